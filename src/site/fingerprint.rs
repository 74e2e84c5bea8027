//! Fingerprints of pages: a hash of everything a page is made from, so that
//! a rebuild renders only the pages whose inputs changed. Station, area
//! and findings pages have one (all but a handful of a site's pages); the
//! A–Z lists, the changes pages, the feed and the like are always rendered.
//!
//! A fingerprint must change whenever the page's bytes could: it covers the
//! program itself (templates, strings and code are compiled in), the
//! site-wide settings, and each piece of data the station page shows. The
//! incremental tests compare rebuilds with fresh builds byte for byte.

use std::fmt::Write;
use std::sync::OnceLock;

use sha2::Digest;

use super::{Job, Site, pages};
use crate::model::{AreaIx, FormIx, RaceIx};
use crate::paths;

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
        crate::digest::hex(&self.0.finalize()[..16])
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
            &site.scan_js,
            &site.sha256_js,
            &site.t,
            &el.meta,
            &el.pages,
        )
    );
    h.0.finalize().to_vec()
}

/// The path and fingerprint of the page `job` makes, for the pages that
/// have one: station, area and findings pages (all but a handful of a
/// site's pages).
pub fn page(site: &Site<'_>, job: Job, global: &[u8]) -> Option<(String, String)> {
    let el = site.el;
    match job {
        Job::Area(a) if el.areas[a].is_station() => {
            Some((site.page(&paths::area(el, a)), station(site, a, global)))
        }
        Job::Area(a) => Some((site.page(&paths::area(el, a)), area(site, a, global))),
        Job::Findings(a) => Some((
            site.page(&paths::findings(el, a)),
            findings(site, a, global),
        )),
        _ => None,
    }
}

/// An area and its ancestors: what the crumbs and titles show.
fn lineage(h: &mut Hasher, site: &Site<'_>, a: AreaIx) {
    let el = site.el;
    for x in el.ancestors(a) {
        let y = &el.areas[x];
        let _ = write!(h, "|{}|{}|{}", y.code, y.name, y.depth);
    }
}

/// A race: its names, and its candidates with their colours.
fn race(h: &mut Hasher, site: &Site<'_>, race: RaceIx) {
    let el = site.el;
    let r = &el.races[race];
    let _ = write!(h, "#{}|{}", r.id, r.name);
    for &c in &r.candidates {
        let _ = write!(h, "|{:?}|{}", el.candidates[c], site.colors[c]);
    }
}

/// A form, its scan and its findings. Line numbers are left out: rows
/// moving in the input change no page.
fn form(h: &mut Hasher, site: &Site<'_>, f: FormIx) {
    let form = &site.el.forms[f];
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

/// The fingerprint of station `a`'s page, given the [`global`] one.
pub fn station(site: &Site<'_>, a: AreaIx, global: &[u8]) -> String {
    let el = site.el;
    let mut h = Hasher::new(global);
    let area = &el.areas[a];
    let _ = write!(h, "station {:?}", area.registered);
    // The station, its ancestors (crumbs, the way up) and its neighbours.
    lineage(&mut h, site, a);
    let (prev, next) = pages::neighbours(el, a);
    for x in [prev, next] {
        match x {
            Some(x) => {
                let _ = write!(h, "|{}|{}", el.areas[x].code, el.areas[x].name);
            }
            None => h.0.update(b"|-"),
        }
    }
    for &r in site.tally.scope(a) {
        race(&mut h, site, r);
        match el.form_by_area_race.get(&(a, r)) {
            Some(&f) => form(&mut h, site, f),
            None => h.0.update(b"#-"),
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
        match item.change {
            super::HistoryChange::FormAdded => {}
            super::HistoryChange::Form(i) => {
                let _ = write!(h, "{:?}", doc.changes.forms.changed[i].changes);
            }
            super::HistoryChange::Area(i) => {
                let _ = write!(h, "area{:?}", doc.changes.areas.changed[i].changes);
            }
        }
    }
    h.hex()
}

/// A hasher for a page about area `a`'s subtree (of kind `kind`), fed with
/// what such pages share: the area's lineage and its finding counts.
fn summary(site: &Site<'_>, a: AreaIx, global: &[u8], kind: &[u8]) -> Hasher {
    let mut h = Hasher::new(global);
    h.0.update(kind);
    lineage(&mut h, site, a);
    let _ = write!(h, "{:?}", site.subtree_counts[a]);
    h
}

/// The fingerprint of the page of area `a` (not a station): its tallies,
/// its declared forms, its children's tallies, and its finding counts.
pub fn area(site: &Site<'_>, a: AreaIx, global: &[u8]) -> String {
    let el = site.el;
    let mut h = summary(site, a, global, b"area");
    let children = &el.areas[a].children;
    for &c in children {
        let y = &el.areas[c];
        let _ = write!(h, "|{}|{}|{}", y.code, y.name, y.depth);
    }
    for t in site.tally.all(el, a) {
        let _ = write!(h, "{t:?}");
        race(&mut h, site, t.race);
        if let Some(&f) = el.form_by_area_race.get(&(a, t.race)) {
            form(&mut h, site, f);
        }
        for &c in children {
            let _ = write!(h, "{:?}", site.tally.get(el, c, t.race));
        }
    }
    h.hex()
}

/// The fingerprint of the findings page of area `a`: the counts and every
/// finding it lists, with the names its lines show.
pub fn findings(site: &Site<'_>, a: AreaIx, global: &[u8]) -> String {
    let el = site.el;
    let mut h = summary(site, a, global, b"findings");
    for &i in &site.subtree_listed[a] {
        let f = &site.findings[i as usize];
        let _ = write!(
            h,
            "{f:?}|{}|{}|{}|{}",
            el.areas[f.area].code,
            el.areas[f.area].name,
            el.races[f.race].name,
            f.form.map_or("", |x| el.forms[x].id.as_str())
        );
    }
    h.hex()
}
