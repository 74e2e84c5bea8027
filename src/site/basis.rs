//! What each area's pages and downloads are made from, taken from the
//! election itself rather than from the pages' views: a rebuild after a
//! batch of forms compares these with the last build's and makes the view
//! (and its [fingerprint](super::fingerprint)) only of a page whose basis
//! changed. Building and hashing the views of the tens of thousands of
//! pages a batch does not touch was most of the render stage.
//!
//! A basis must change whenever the page's bytes could. It is made of:
//! - the **context**: the program, and every input file the load read
//!   except `forms.csv` and `results.csv` (the areas, races, candidates,
//!   settings, pages and boundaries, by their SHA-256): any change there,
//!   a renamed area or a new candidate, changes every basis;
//! - the **subtree** of the area: every form of it and of the areas below
//!   it (each field, its scan's hash, its votes) and every finding on them
//!   (the station and area pages, the findings lists and the downloads
//!   show nothing else of the forms);
//! - for a page, its language's [`global`](super::fingerprint::global) one
//!   and its kind; for a station page, its history of changes.
//!
//! Debug builds (the tests) check every reuse: the view is made anyway and
//! its fingerprint must be the one the basis stood for.

use std::hash::{Hash, Hasher as _};

use rayon::prelude::*;
use sha2::Digest;

use crate::check::Finding;
use crate::digest::{Bytes, Hash16};
use crate::model::{AreaIx, Election, Form};

/// The bases of every area of an election.
pub struct Bases {
    context: [u8; 32],
    /// Per area: its forms and findings and those of every area below it.
    subtree: Vec<Hash16>,
}

/// A SHA-256 that `#[derive(Hash)]` types and fields are fed to.
struct Sha(sha2::Sha256);

impl std::hash::Hasher for Sha {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Unused: the digest is the SHA-256.
    fn finish(&self) -> u64 {
        0
    }
}

impl Sha {
    fn new(seed: &[u8]) -> Sha {
        Sha(sha2::Sha256::new_with_prefix(seed))
    }

    fn finish16(self) -> Hash16 {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.0.finalize()[..16]);
        Bytes(out)
    }
}

/// Every field of a form that anything published is made from, its votes
/// by value (the form's place in the list of votes is not its content, and
/// its line in forms.csv is shown only in errors: a row inserted above it
/// does not change it).
/// Every field is named, so that a field added to `Form` or `Scan` does
/// not compile until it is hashed here or said to be shown nowhere.
fn hash_form(el: &Election, form: &Form, h: &mut Sha) {
    let Form {
        text,
        line: _,
        area,
        race,
        scan,
        rejected,
        total_valid,
        status,
        votes,
    } = form;
    text.parts().hash(h);
    (area, race, status.as_str()).hash(h);
    (rejected.get(), total_valid.get()).hash(h);
    match scan.as_deref() {
        Some(crate::model::Scan {
            path,
            // Where the file was read and its stamp are on no page.
            source: _,
            sha256,
            ext,
            stamp: _,
        }) => (1u8, path, sha256, ext).hash(h),
        None => 0u8.hash(h),
    }
    el.votes.of(*votes).len().hash(h);
    for v in el.votes.of(*votes) {
        v.hash(h);
    }
}

/// The input files the context is made of: all but the two tables of forms.
fn in_context(rel: &std::path::Path) -> bool {
    let forms = [
        crate::load::schema::FORMS.file,
        crate::load::schema::RESULTS.file,
    ];
    !forms.iter().any(|f| rel == std::path::Path::new(f))
}

impl Bases {
    /// The bases of `el`'s areas, given its `findings`.
    pub fn new(el: &Election, findings: &[Finding]) -> Bases {
        let mut context = Sha::new(super::fingerprint::program());
        let mut sources: Vec<_> = el
            .sources
            .iter()
            .filter(|s| in_context(&s.rel))
            .map(|s| (s.rel.as_os_str().as_encoded_bytes(), s.hash))
            .collect();
        sources.sort_unstable();
        sources.hash(&mut context);
        let context: [u8; 32] = context.0.finalize().into();

        // Each form's digest, then each area's own: its forms in the order
        // of the list, then its findings in theirs.
        let forms: Vec<Hash16> = el
            .forms
            .par_iter()
            .map(|f| {
                let mut h = Sha::new(b"form");
                hash_form(el, f, &mut h);
                h.finish16()
            })
            .collect();
        let mut own: Vec<Sha> = (0..el.areas.len()).map(|_| Sha::new(b"area")).collect();
        for (form, digest) in el.forms.iter().zip(&forms) {
            if let Some(h) = own.get_mut(form.area) {
                h.write(&digest.0);
            }
        }
        for f in findings {
            let form = f.form().and_then(|x| el.forms.get(x));
            // By content: the form by its id, not its place in the list.
            let mut d = Sha::new(b"finding");
            (f.check, f.severity, f.area, f.race).hash(&mut d);
            (form.map(Form::id), &*f.parts).hash(&mut d);
            let d = d.finish16();
            let form_area = form.map(|x| x.area);
            for a in std::iter::once(f.area).chain(form_area.filter(|&x| x != f.area)) {
                if let Some(h) = own.get_mut(a) {
                    h.write(&d.0);
                }
            }
        }
        let own: Vec<Hash16> = own.into_par_iter().map(Sha::finish16).collect();
        // Areas are in tree order, each before the areas below it: from
        // the last, every child's subtree is known before its parent's.
        let mut subtree = own;
        for a in (0..el.areas.len()).rev() {
            if el.areas[a].children.is_empty() {
                continue;
            }
            let mut h = Sha::new(&subtree[a].0);
            for &c in &el.areas[a].children {
                h.write(&subtree[c].0);
            }
            subtree[a] = h.finish16();
        }
        Bases { context, subtree }
    }

    /// The basis of something made from the context alone (the search
    /// index: the areas' names and codes).
    pub fn of_context(&self, what: &[u8]) -> Hash16 {
        let mut h = Sha::new(&self.context);
        what.hash(&mut h);
        h.finish16()
    }

    /// The basis of something made from area `a`'s subtree by `what` (a
    /// page's global fingerprint and kind, a download's race), `extra`
    /// hashed in after.
    pub fn of(&self, a: AreaIx, what: &[&[u8]], extra: impl Hash) -> Hash16 {
        let mut h = Sha::new(&self.context);
        what.hash(&mut h);
        h.write(&self.subtree[a].0);
        extra.hash(&mut h);
        h.finish16()
    }
}
