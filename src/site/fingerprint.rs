//! Fingerprints of pages: a hash of everything a page is made from, so that
//! a rebuild renders only the pages whose inputs changed. Station pages,
//! nineteen in twenty of a site's pages, have one; pages of areas above
//! them sum many stations and are always rendered.
//!
//! A fingerprint must change whenever the page's bytes could: it covers the
//! program itself (templates, strings and code are compiled in), the
//! site-wide settings, and each piece of data the station page shows. The
//! incremental tests compare rebuilds with fresh builds byte for byte.

use std::fmt::Write;
use std::sync::OnceLock;

use sha2::Digest;

use super::{Site, pages};
use crate::model::AreaIx;

/// A [`std::fmt::Write`] that hashes what is written to it.
struct Hasher(sha2::Sha256);

impl Write for Hasher {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

impl Hasher {
    fn new(seed: &[u8]) -> Hasher {
        let mut h = Hasher(sha2::Sha256::new());
        h.0.update(seed);
        h
    }

    fn hex(self) -> String {
        crate::hex(&self.0.finalize()[..16])
    }
}

/// The SHA-256 of the running program: any change to kura, its templates
/// or its strings changes every fingerprint. When the program cannot be
/// read, a random value: nothing is then reused.
fn program() -> &'static [u8; 32] {
    static PROGRAM: OnceLock<[u8; 32]> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let bytes = std::env::current_exe().and_then(std::fs::read);
        match bytes {
            Ok(b) => sha2::Sha256::digest(&b).into(),
            Err(_) => {
                let mut r = [0u8; 32];
                let _ = getrandom::fill(&mut r);
                r
            }
        }
    })
}

/// What every page of one language of `site` is made from besides its own
/// data.
pub fn global(site: &Site<'_>) -> Vec<u8> {
    let mut h = Hasher::new(program());
    let el = site.el;
    let _ = write!(
        h,
        "{:?}",
        (
            &site.lang,
            &site.prefix,
            &site.languages,
            site.version,
            &site.css,
            &site.favicon,
            &site.js,
            &site.t,
            &el.meta,
            &el.pages,
        )
    );
    h.0.finalize().to_vec()
}

/// The fingerprint of station `a`'s page, given the [`global`] one.
pub fn station(site: &Site<'_>, a: AreaIx, global: &[u8]) -> String {
    let el = site.el;
    let mut h = Hasher::new(global);
    let area = &el.areas[a];
    let _ = write!(h, "{:?}", area.registered);
    // The station, its ancestors (crumbs, the way up) and its neighbours.
    for x in el.ancestors(a) {
        let y = &el.areas[x];
        let _ = write!(h, "|{}|{}|{}", y.code, y.name, y.depth);
    }
    let (prev, next) = pages::neighbours(el, a);
    for x in [prev, next] {
        match x {
            Some(x) => {
                let _ = write!(h, "|{}|{}", el.areas[x].code, el.areas[x].name);
            }
            None => h.0.update(b"|-"),
        }
    }
    for &race in site.tally.scope(a) {
        let r = &el.races[race];
        let _ = write!(h, "#{}|{}", r.id, r.name);
        for &c in &r.candidates {
            let _ = write!(h, "|{:?}|{}", el.candidates[c], site.colors[c]);
        }
        let Some(&f) = el.form_by_area_race.get(&(a, race)) else {
            h.0.update(b"#-");
            continue;
        };
        let form = &el.forms[f];
        // Line numbers are left out: rows moving in the input change no page.
        let _ = write!(
            h,
            "{:?}",
            (
                &form.id,
                form.status,
                &form.votes,
                form.total_valid,
                form.rejected,
                &form.device,
                &form.captured_at,
                &form.scan_path,
                &form.declared_sha256,
                form.scan.as_ref().map(|s| (&s.sha256, &s.ext)),
            )
        );
        for &i in site.by_form.get(&f).into_iter().flatten() {
            let _ = write!(h, "{:?}", site.findings[i]);
        }
    }
    for item in site
        .history_by_area
        .get(area.code.as_str())
        .into_iter()
        .flatten()
    {
        let doc = &site.versions.history[item.version];
        let _ = write!(h, "@{}|{}|{}", doc.seq, doc.published, item.form);
        if let Some(i) = item.change {
            let _ = write!(h, "{:?}", doc.changes.forms.changed[i].changes);
        }
    }
    h.hex()
}
