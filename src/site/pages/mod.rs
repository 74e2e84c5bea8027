//! The content of each kind of page, as askama templates over view data:
//! one module per kind of page, the layout they share here.

mod area;
mod az;
mod changes;
mod findings;
mod form;
mod plain;
mod race;
mod station;

use super::fingerprint::Shared;
use super::{Link, Page, Site, Strings};
use crate::check::Severity;
use crate::model::{AreaIx, Status};
use crate::paths::{self, root_of};

pub use area::area;
pub use az::{az, az_index};
pub use changes::{changes, changes_index, feed};
pub use findings::{FINDINGS_PER_CHECK, findings};
pub use plain::{data_index, markdown, not_found};
pub use station::{station, station_history};

/// What the base template needs.
#[derive(Hash)]
pub struct Layout<'a> {
    pub lang: &'a str,
    pub title: String,
    pub site_title: &'a str,
    pub description: String,
    pub version: &'a str,
    pub root: String,
    /// The way to this language's home: `root` plus the language prefix.
    pub home: String,
    /// This page in every language of the site: (href, name, code, is this one).
    pub languages: Vec<(String, String, String, bool)>,
    pub css: &'a str,
    pub favicon: &'a str,
    pub js: Option<String>,
    /// The scan-checking script, on pages that show a scan.
    pub scan_js: Option<String>,
    pub sha256_js: &'a str,
    pub t: Shared<'a, Strings>,
    pub nav: Vec<Link>,
    pub crumbs: Vec<Link>,
    pub date: &'a str,
}

pub(super) fn layout<'a>(
    site: &'a Site<'_>,
    path: &str,
    title: String,
    description: String,
    crumbs: Vec<Link>,
) -> Layout<'a> {
    let el = site.el;
    let mut nav = vec![Link {
        href: paths::HOME.into(),
        text: site.t.home.clone(),
    }];
    nav.extend(el.pages.iter().map(|p| Link {
        href: paths::page(&p.slug),
        text: p.title.clone(),
    }));
    nav.push(Link {
        href: paths::DATA_INDEX.into(),
        text: site.t.about_data.clone(),
    });
    Layout {
        lang: &site.lang,
        title,
        site_title: &el.meta.title,
        description,
        version: site.version,
        root: root_of(path),
        home: site.home(path),
        languages: site.switch(path),
        css: &site.css,
        favicon: &site.favicon,
        js: Some(site.js.clone()),
        scan_js: None,
        sha256_js: &site.sha256_js,
        t: Shared(&site.t),
        nav,
        crumbs,
        date: &el.meta.date,
    }
}

/// Links to the ancestors of `a`, root first (not `a` itself).
pub(super) fn crumbs(site: &Site<'_>, a: AreaIx) -> Vec<Link> {
    let el = site.el;
    let mut out: Vec<Link> = el
        .ancestors(a)
        .skip(1)
        .map(|x| Link {
            href: paths::area(el, x),
            text: el.areas[x].name.clone(),
        })
        .collect();
    out.reverse();
    out
}

pub(super) use crate::format::share as pct;

pub(super) fn severity_str(s: Severity) -> &'static str {
    s.as_str()
}

pub(super) fn status_text(t: &Strings, s: Status) -> String {
    match s {
        Status::Verified => t.status_verified.clone(),
        Status::Provisional => t.status_provisional.clone(),
        Status::Disputed => t.status_disputed.clone(),
    }
}
