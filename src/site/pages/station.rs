//! The page of a polling station: each race's form, as read from its scan,
//! with the scan beside it, the form's findings and its history.
//!
//! It is made from what its [basis](crate::site::basis) covers and nothing
//! else: the context (areas, races, candidates, settings, pages), the forms
//! and findings of its area's subtree, and its history. Showing anything more (a
//! parent's result, a neighbour's, a national rank) needs it in the basis
//! too, or the page goes stale in release builds (debug builds notice).

use askama::Template;

use super::changes::{FieldView, field_view};
use super::form::{ScanPart, badges, form_findings, scan_part};
use super::race::{CandRow, candidate_rows, race_chart};
use super::{Layout, Page, crumbs, layout, pct, status_text};
use crate::format::thousands;
use crate::model::AreaIx;
use crate::paths::{self, root_of};
use crate::site::chart::Chart;
use crate::site::{HistoryChange, Site};

#[derive(Hash)]
pub struct FormView<'a> {
    pub id: String,
    pub status: &'static str,
    pub status_text: String,
    pub badges: Vec<(&'static str, &'static str)>,
    pub rows: Vec<CandRow>,
    pub chart: Option<Chart>,
    pub valid: String,
    pub total_valid: String,
    pub rejected: String,
    pub turnout: String,
    pub findings: Vec<(&'static str, &'static str, String)>,
    pub device: String,
    pub captured_at: String,
    pub scan: ScanPart<'a>,
}

#[derive(Hash)]
pub struct StationRace<'a> {
    pub id: String,
    pub name: String,
    pub form: Option<FormView<'a>>,
}

#[derive(Template, Hash)]
#[template(path = "station.html")]
struct StationPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    level: &'a str,
    code: &'a str,
    registered: String,
    up_href: String,
    up_name: String,
    prev: Option<(String, String)>,
    next: Option<(String, String)>,
    races: Vec<StationRace<'a>>,
    history: Vec<HistoryLine>,
}

/// The areas before and after `a` among its parent's children.
pub fn neighbours(el: &crate::model::Election, a: AreaIx) -> (Option<AreaIx>, Option<AreaIx>) {
    let Some(p) = el.areas[a].parent else {
        return (None, None);
    };
    let siblings = &el.areas[p].children;
    let code = el.areas[a].code.as_str();
    let pos = siblings
        .binary_search_by(|&s| el.areas[s].code.as_str().cmp(code))
        .unwrap_or(0);
    (
        pos.checked_sub(1).map(|i| siblings[i]),
        siblings.get(pos + 1).copied(),
    )
}

pub fn station<'a>(site: &'a Site<'_>, a: AreaIx, global: &[u8]) -> Page<'a> {
    let el = site.el;
    let t = &site.t;
    let path = site.page(&paths::area(el, a));
    let root = root_of(&path);
    let home = site.home(&path);
    let area = &el.areas[a];
    let mut races = Vec::new();
    let mut charted = false;
    for &race in site.tally.scope(a) {
        let r = &el.races[race];
        let form = match el.form_on(a, race) {
            None => None,
            Some(f) => {
                let form = &el.forms[f];
                let votes: Vec<u64> = el.votes.of(form.votes).map(|v| v.unwrap_or(0)).collect();
                let valid = el.votes.valid(form.votes).unwrap_or(0);
                let cast = valid.saturating_add(form.rejected().unwrap_or(0));
                let rows = candidate_rows(site, race, &votes, valid);
                // One chart per station page, for its first form: the rest
                // are tables, which keeps a six-race page light on a phone.
                let chart = if charted {
                    None
                } else {
                    charted = true;
                    Some(race_chart(site, a, race, &rows, &votes))
                };
                Some(FormView {
                    id: form.id().to_string(),
                    status: form.status.as_str(),
                    status_text: status_text(t, form.status),
                    badges: badges(site, f),
                    rows: rows.into_iter().map(|(_, c)| c).collect(),
                    chart,
                    valid: thousands(valid),
                    total_valid: form
                        .total_valid()
                        .map_or_else(|| t.unknown.clone(), thousands),
                    rejected: form.rejected().map_or_else(|| t.unknown.clone(), thousands),
                    turnout: match area.registered {
                        Some(reg) if reg > 0 => pct(cast, reg),
                        _ => t.unknown.clone(),
                    },
                    findings: form_findings(site, f),
                    device: form.device().to_string(),
                    captured_at: form.captured_at().to_string(),
                    scan: scan_part(site, f, &root),
                })
            }
        };
        races.push(StationRace {
            id: r.id.clone(),
            name: r.name.clone(),
            form,
        });
    }
    let (up_href, up_name, prev, next) = match area.parent {
        Some(p) => {
            let link = |s: AreaIx| {
                (
                    format!("{home}{}", paths::area(el, s)),
                    el.areas[s].name.clone(),
                )
            };
            let (prev, next) = neighbours(el, a);
            (
                format!("{home}{}", paths::area(el, p)),
                el.areas[p].name.clone(),
                prev.map(link),
                next.map(link),
            )
        }
        None => (
            paths::HOME.to_string(),
            el.areas[a].name.clone(),
            None,
            None,
        ),
    };
    let description = format!(
        "{} — {}: {} ({})",
        el.meta.title,
        el.level_name(a),
        area.name,
        area.code
    );
    let mut l = layout(site, &path, area.name.clone(), description, crumbs(site, a));
    if races
        .iter()
        .any(|r| r.form.as_ref().is_some_and(|f| f.scan.shows_file()))
    {
        l.scan_js = Some(site.scan_js.clone());
    }
    let page = StationPage {
        l,
        name: &area.name,
        level: el.level_name(a),
        code: &area.code,
        registered: area.registered.map_or_else(|| t.unknown.clone(), thousands),
        up_href,
        up_name,
        prev,
        next,
        races,
        history: station_history(site, a, &path),
    };
    Page::of_view(path, page, global)
}

#[derive(Hash)]
pub struct HistoryLine {
    pub seq: usize,
    pub published: String,
    pub href: String,
    pub form: String,
    pub fields: Vec<FieldView>,
}

/// Station `a`'s history, its page being at `path`: every version in
/// which it or one of its forms changed (newest first).
pub fn station_history(site: &Site<'_>, a: AreaIx, path: &str) -> Vec<HistoryLine> {
    let Some(items) = site.history_by_area.get(site.el.areas[a].code.as_str()) else {
        return Vec::new();
    };
    let (root, home) = (&root_of(path), &site.home(path));
    let mut out: Vec<HistoryLine> = items
        .iter()
        .map(|item| {
            let doc = &site.versions.history[item.version];
            let fields = match item.change {
                HistoryChange::Form(i) => doc.changes.forms.changed[i]
                    .changes
                    .iter()
                    .map(|f| field_view(root, f))
                    .collect(),
                HistoryChange::Area(i) => doc.changes.areas.changed[i]
                    .changes
                    .iter()
                    .map(|f| field_view(root, f))
                    .collect(),
                HistoryChange::FormAdded => vec![FieldView {
                    field: site.t.form_added.clone(),
                    before: "—".into(),
                    before_href: None,
                    after: item.form.clone(),
                    after_href: None,
                }],
            };
            HistoryLine {
                seq: doc.seq,
                published: doc.published.clone(),
                href: format!("{home}{}", paths::changes_page(doc.seq)),
                form: item.form.clone(),
                fields,
            }
        })
        .collect();
    out.sort_by(|a, b| b.seq.cmp(&a.seq).then(a.form.cmp(&b.form)));
    out
}
