//! What changed from version to version: a page per version, the list of
//! versions, and the Atom feed.

use askama::Template;

use super::{Layout, layout};
use crate::format::thousands;
use crate::paths::{self, root_of};
use crate::site::{Link, Site, Strings};

/// Most items listed per section of a changes page; the rest are in the JSON.
pub const CHANGES_PER_LIST: usize = 1000;

pub struct ChangeLine {
    pub href: String,
    pub text: String,
    pub fields: Vec<FieldView>,
}

#[derive(Hash)]
pub struct FieldView {
    pub field: String,
    pub before: String,
    pub before_href: Option<String>,
    pub after: String,
    pub after_href: Option<String>,
}

pub struct ChangeSection {
    pub id: &'static str,
    pub title: String,
    pub count: String,
    pub lines: Vec<ChangeLine>,
    pub more: String,
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ChangesPage<'a> {
    l: Layout<'a>,
    seq: usize,
    /// This version's id, when the page is published in a later version
    /// (no file of a version can hold its own id).
    id: String,
    published: &'a str,
    previous: String,
    json: String,
    sections: Vec<ChangeSection>,
}

fn area_link(site: &Site<'_>, home: &str, code: &str, form: Option<&str>) -> String {
    match site.el.area_by_code.get(code) {
        Some(&a) => {
            let anchor = form.map(|f| format!("#form-{f}")).unwrap_or_default();
            format!("{home}{}{anchor}", paths::area(site.el, a))
        }
        None => String::new(),
    }
}

pub(super) fn field_view(root: &str, f: &crate::diff::Field) -> FieldView {
    let link = |v: &str| {
        (f.field == crate::diff::FieldName::Scan && v.starts_with("scans/"))
            .then(|| format!("{root}{v}"))
    };
    let show = |v: &str| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.to_string()
        }
    };
    FieldView {
        field: f.field.to_string(),
        before_href: link(&f.before),
        before: show(&f.before),
        after_href: link(&f.after),
        after: show(&f.after),
    }
}

fn section<T>(
    id: &'static str,
    title: &str,
    items: &[T],
    line: impl Fn(&T) -> ChangeLine,
) -> Option<ChangeSection> {
    if items.is_empty() {
        return None;
    }
    let lines: Vec<ChangeLine> = items.iter().take(CHANGES_PER_LIST).map(line).collect();
    Some(ChangeSection {
        id,
        title: title.to_string(),
        count: thousands(items.len() as u64),
        more: if items.len() > lines.len() {
            thousands((items.len() - lines.len()) as u64)
        } else {
            String::new()
        },
        lines,
    })
}

pub fn changes(site: &Site<'_>, v: usize) -> Result<(String, Vec<u8>), askama::Error> {
    let doc = &site.versions.history[v];
    let t = &site.t;
    let path = site.page(&paths::changes_page(doc.seq));
    let root = root_of(&path);
    let home = site.home(&path);
    let c = &doc.changes;
    let form_line = |f: &crate::diff::FormRef| ChangeLine {
        href: area_link(site, &home, &f.area, Some(&f.form)),
        text: format!("{} ({}, {})", f.form, f.area, f.race),
        fields: Vec::new(),
    };
    let sections: Vec<ChangeSection> = [
        section("added", &t.forms_added, &c.forms.added, form_line),
        section("removed", &t.forms_removed, &c.forms.removed, form_line),
        section("changed", &t.forms_changed, &c.forms.changed, |f| {
            ChangeLine {
                href: area_link(site, &home, &f.area, Some(&f.form)),
                text: format!("{} ({}, {})", f.form, f.area, f.race),
                fields: f.changes.iter().map(|x| field_view(&root, x)).collect(),
            }
        }),
        section("totals", &t.totals_changed, &c.totals, |x| ChangeLine {
            href: area_link(site, &home, &x.area, None),
            text: format!("{} · {} · {}", x.area, x.race, x.candidate),
            fields: vec![FieldView {
                field: t.votes.clone(),
                before: thousands(x.before),
                before_href: None,
                after: thousands(x.after),
                after_href: None,
            }],
        }),
        record_section("areas", &t.areas_changed, &c.areas, &|id| {
            area_link(site, &home, id, None)
        }),
        record_section("races", &t.races_changed, &c.races, &|_| String::new()),
        record_section("candidates", &t.candidates_changed, &c.candidates, &|_| {
            String::new()
        }),
        section(
            "appeared",
            &t.findings_appeared,
            &c.findings.appeared,
            |f| finding_line(site, &home, f),
        ),
        section(
            "resolved",
            &t.findings_resolved,
            &c.findings.resolved,
            |f| finding_line(site, &home, f),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let title = format!("{}: {} {}", t.changes, t.version, doc.seq);
    let crumbs = vec![Link {
        href: paths::CHANGES_INDEX.into(),
        text: t.changes.clone(),
    }];
    let page = ChangesPage {
        l: layout(site, &path, title.clone(), title, crumbs),
        seq: doc.seq,
        id: version_id_of(site, doc.seq),
        published: &doc.published,
        previous: doc.previous.clone().unwrap_or_default(),
        json: format!("{root}{}", paths::changes_data(doc.seq)),
        sections,
    };
    Ok((path, page.render()?.into_bytes()))
}

/// The id of version `seq` when this build knows it: every version before
/// the one being built (from `versions.json`); empty for this one.
fn version_id_of(site: &Site<'_>, seq: usize) -> String {
    seq.checked_sub(1)
        .and_then(|i| site.versions.chain.get(i))
        .map(|v| v.id.clone())
        .unwrap_or_default()
}

/// Areas, races or candidates added (+), removed (−) and changed, as one
/// section of a changes page.
fn record_section(
    id: &'static str,
    title: &str,
    r: &crate::diff::RecordChanges,
    href: &dyn Fn(&str) -> String,
) -> Option<ChangeSection> {
    let items: Vec<(&str, &str, &[crate::diff::Field])> = r
        .added
        .iter()
        .map(|x| ("+ ", x.as_str(), &[][..]))
        .chain(r.removed.iter().map(|x| ("− ", x.as_str(), &[][..])))
        .chain(
            r.changed
                .iter()
                .map(|x| ("", x.id.as_str(), x.changes.as_slice())),
        )
        .collect();
    section(id, title, &items, |&(mark, key, fields)| ChangeLine {
        // A removed area has no page in this version.
        href: if mark == "− " {
            String::new()
        } else {
            href(key)
        },
        text: format!("{mark}{key}"),
        fields: fields.iter().map(|f| field_view("", f)).collect(),
    })
}

fn finding_line(site: &Site<'_>, home: &str, f: &crate::opendata::read::FindingRow) -> ChangeLine {
    let form = (!f.form.is_empty()).then_some(f.form.as_str());
    ChangeLine {
        href: area_link(site, home, &f.area, form),
        // Worded in this language from its phrases where they are known
        // (findings of the version being built); else from findings.csv,
        // which is in English: other languages then show it without.
        text: format!(
            "{} {} · {} · {} {}{}",
            crate::check::Severity::parse(&f.severity)
                .map_or(f.severity.as_str(), |s| site.t.severity(s)),
            f.check,
            f.area,
            f.race,
            f.form,
            match &f.parts {
                Some(parts) => format!(": {}", site.t.finding(parts)),
                None if site.lang == "en" => format!(": {}", f.detail),
                None => String::new(),
            }
        ),
        fields: Vec::new(),
    }
}

pub struct VersionLine {
    pub seq: usize,
    /// Empty for the version being built (see [`version_id_of`]).
    pub id: String,
    pub published: String,
    pub href: String,
    pub summary: String,
}

/// Every version, newest first, with a link to its changes page when it has one.
fn version_lines(site: &Site<'_>, home: &str) -> Vec<VersionLine> {
    let v = &site.versions;
    let t = &site.t;
    let mut out: Vec<VersionLine> = v
        .chain
        .iter()
        .enumerate()
        .map(|(i, x)| (i + 1, x.published.clone()))
        .chain(std::iter::once((v.seq, v.published.to_string())))
        .map(|(seq, published)| {
            let doc = v.history.iter().find(|d| d.seq == seq);
            let (href, summary) = match doc {
                Some(d) => {
                    let c = &d.changes;
                    (
                        format!("{home}{}", paths::changes_page(seq)),
                        format!(
                            "{}: {}, {}: {}, {}: {}, {}: {}",
                            t.forms_added,
                            c.forms.added.len(),
                            t.forms_changed,
                            c.forms.changed.len(),
                            t.forms_removed,
                            c.forms.removed.len(),
                            t.findings_appeared,
                            c.findings.appeared.len()
                        ),
                    )
                }
                None => (format!("{home}{}", paths::HOME), t.first_version.clone()),
            };
            VersionLine {
                seq,
                id: version_id_of(site, seq),
                published,
                href,
                summary,
            }
        })
        .collect();
    out.reverse();
    out
}

#[derive(Template)]
#[template(path = "changes_index.html")]
struct ChangesIndexPage<'a> {
    l: Layout<'a>,
    versions: Vec<VersionLine>,
}

pub fn changes_index(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let path = site.page(paths::CHANGES_INDEX);
    let title = site.t.versions.clone();
    let page = ChangesIndexPage {
        versions: version_lines(site, &site.home(&path)),
        l: layout(site, &path, title.clone(), title, Vec::new()),
    };
    Ok((path, page.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed<'a> {
    id: String,
    title: &'a str,
    updated: &'a str,
    base: String,
    versions: Vec<VersionLine>,
    t: &'a Strings,
}

pub fn feed(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    use sha2::Digest;
    let el = site.el;
    let key = crate::digest::hex(&sha2::Sha256::digest(
        format!("{}\n{}", el.meta.title, el.meta.date).as_bytes(),
    ));
    let base = el
        .meta
        .base_url
        .as_ref()
        .map(|b| format!("{b}/"))
        .unwrap_or_default();
    let feed = Feed {
        id: format!("urn:kura:{}", &key[..32]),
        title: &el.meta.title,
        updated: site.versions.published,
        versions: version_lines(site, &base),
        base,
        t: &site.t,
    };
    Ok(("feed.xml".to_string(), feed.render()?.into_bytes()))
}
