//! The findings page of an area: every finding in its subtree, by check.
//!
//! It is made from what its [basis](crate::site::basis) covers and nothing
//! else: the context (areas, races, candidates, settings, pages), the forms
//! and findings of its area's subtree. Showing anything more (a
//! parent's result, a neighbour's, a national rank) needs it in the basis
//! too, or the page goes stale in release builds (debug builds notice).

use askama::Template;

use super::{Layout, Page, crumbs, layout};
use crate::check::CHECKS;
use crate::format::thousands;
use crate::model::AreaIx;
use crate::paths::{self};
use crate::site::{Link, Site};

/// Most findings listed per check on one findings page; the rest are in findings.csv.
pub const FINDINGS_PER_CHECK: usize = 500;

#[derive(Hash)]
pub struct FindingItem {
    pub href: String,
    pub place: String,
    pub race: String,
    pub form: String,
    pub detail: String,
}

#[derive(Hash)]
pub struct FindingGroup {
    pub id: &'static str,
    pub severity: &'static str,
    pub severity_text: String,
    pub rule: String,
    pub count: String,
    pub items: Vec<FindingItem>,
    pub more: String,
}

#[derive(Template, Hash)]
#[template(path = "findings.html")]
struct FindingsPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    area_href: String,
    groups: Vec<FindingGroup>,
}

pub fn findings<'a>(site: &'a Site<'_>, a: AreaIx, global: &[u8]) -> Page<'a> {
    let el = site.el;
    let path = site.page(&paths::findings(el, a));
    let home = site.home(&path);
    let counts = &site.subtree_counts[a];
    let mut groups = Vec::new();
    for (rank, check) in CHECKS.iter().enumerate() {
        let n = counts.get(rank).copied().unwrap_or(0) as usize;
        if n == 0 {
            continue;
        }
        let items: Vec<FindingItem> = site.subtree_listed[a]
            .iter()
            .map(|&i| &site.findings[i as usize])
            .filter(|f| f.check == check.id)
            .map(|f| {
                let form = f
                    .form()
                    .map(|x| el.forms[x].id().to_string())
                    .unwrap_or_default();
                let anchor = if form.is_empty() {
                    String::new()
                } else {
                    format!("#form-{form}")
                };
                FindingItem {
                    href: format!("{home}{}{anchor}", paths::area(el, f.area)),
                    place: el.areas[f.area].name.clone(),
                    race: el.races[f.race].name.clone(),
                    form,
                    detail: site.t.finding(&f.parts),
                }
            })
            .collect();
        groups.push(FindingGroup {
            id: check.id.as_str(),
            severity: check.severity.as_str(),
            severity_text: site.t.severity(check.severity).to_string(),
            rule: site.t.rule(check.id).to_string(),
            count: thousands(n as u64),
            more: if n > items.len() {
                thousands((n - items.len()) as u64)
            } else {
                String::new()
            },
            items,
        });
    }
    let area = &el.areas[a];
    let mut crumbs = crumbs(site, a);
    crumbs.push(Link {
        href: paths::area(el, a),
        text: area.name.clone(),
    });
    let title = format!("{}: {}", site.t.findings, area.name);
    let page = FindingsPage {
        l: layout(site, &path, title.clone(), title, crumbs),
        name: &area.name,
        area_href: format!("{home}{}", paths::area(el, a)),
        groups,
    };
    Page::of_view(path, page, global)
}
