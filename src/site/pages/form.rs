//! What station and area pages show of one form besides its numbers: its
//! badges, its findings worded, and its scan (or why there is none).

use askama::Template;

use crate::model::FormIx;
use crate::site::fingerprint::Shared;
use crate::site::{Site, Strings};

use super::severity_str;

pub(super) fn badges(site: &Site<'_>, form: FormIx) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = site
        .by_form
        .get(form)
        .iter()
        .map(|&i| {
            let f = &site.findings[i as usize];
            (f.check.as_str(), severity_str(f.severity))
        })
        .collect();
    out.dedup();
    out
}

pub(super) fn form_findings(
    site: &Site<'_>,
    form: FormIx,
) -> Vec<(&'static str, &'static str, String)> {
    site.by_form
        .get(form)
        .iter()
        .map(|&i| {
            let f = &site.findings[i as usize];
            (
                f.check.as_str(),
                severity_str(f.severity),
                site.t.finding(&f.parts),
            )
        })
        .collect()
}

#[derive(Hash)]
pub enum ScanView {
    None,
    Missing(String),
    File(ScanFile),
}

#[derive(Hash)]
pub struct ScanFile {
    pub href: String,
    pub pdf: bool,
    pub form: String,
    pub sha256: String,
    pub declared: Option<String>,
    pub specimen: bool,
}

/// The scan of a form, or why there is none: a part of station and area
/// pages, rendered with them.
#[derive(Template, Hash)]
#[template(path = "scan.html")]
pub struct ScanPart<'a> {
    scan: ScanView,
    t: Shared<'a, Strings>,
    root: String,
}

impl ScanPart<'_> {
    /// Whether it shows a scan file (which the scan-checking script then
    /// checks).
    pub(super) fn shows_file(&self) -> bool {
        matches!(self.scan, ScanView::File(_))
    }
}

/// Scans stored under `scans/specimens/` are labelled as specimens.
pub const SPECIMEN_FOLDER: &str = "specimens/";

pub(super) fn scan_part<'a>(site: &'a Site<'_>, form: FormIx, root: &str) -> ScanPart<'a> {
    let f = &site.el.forms[form];
    let scan = match &f.scan {
        Some(s) => ScanView::File(ScanFile {
            href: s.site_path(),
            pdf: s.is_pdf(),
            form: f.id().to_string(),
            sha256: s.sha256.clone(),
            declared: f.declared_sha256().map(str::to_string),
            specimen: f.scan_path().starts_with(SPECIMEN_FOLDER)
                || f.scan_path().starts_with("scans/specimens/"),
        }),
        None if f.scan_path().is_empty() => ScanView::None,
        None => ScanView::Missing(f.scan_path().to_string()),
    };
    ScanPart {
        scan,
        t: Shared(&site.t),
        root: root.to_string(),
    }
}
