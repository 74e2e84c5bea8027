//! The page of an area above the stations: each race's tally, its children
//! and its finding counts.
//!
//! It is made from what its [basis](crate::site::basis) covers and nothing
//! else: the context (areas, races, candidates, settings, pages), the forms
//! and findings of its area's subtree. Showing anything more (a
//! parent's result, a neighbour's, a national rank) needs it in the basis
//! too, or the page goes stale in release builds (debug builds notice).

use askama::Template;

use super::race::{RaceView, race_view};
use super::{Layout, Page, crumbs, layout};
use crate::check::CHECKS;
use crate::format::thousands;
use crate::model::AreaIx;
use crate::paths::{self};
use crate::site::{Link, Site};

#[derive(Template, Hash)]
#[template(path = "area.html")]
struct AreaPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    level: &'a str,
    finding_counts: Vec<(&'static str, &'static str, String)>,
    findings_href: String,
    races: Vec<RaceView<'a>>,
    children: Vec<Link>,
}

fn finding_counts(site: &Site<'_>, a: AreaIx) -> Vec<(&'static str, &'static str, String)> {
    site.subtree_counts[a]
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| {
            (
                CHECKS[i].id.as_str(),
                CHECKS[i].severity.as_str(),
                thousands(u64::from(*n)),
            )
        })
        .collect()
}

pub fn area<'a>(site: &'a Site<'_>, a: AreaIx, global: &[u8]) -> Page<'a> {
    let el = site.el;
    let path = site.page(&paths::area(el, a));
    let area = &el.areas[a];
    let tallies = site.tally.all(el, a);
    let mut races: Vec<RaceView<'a>> = tallies
        .iter()
        .map(|t| race_view(site, a, &path, t))
        .collect();
    // One map per page, on the first race: each more would cost as much.
    if let Some(first) = races.first_mut() {
        let id = format!("map-{}", first.id);
        first.map = crate::site::map::draw(site, a, tallies[0].race, &path, &id);
    }
    let children = if races.is_empty() {
        area.children
            .iter()
            .map(|&c| Link {
                href: format!("{}{}", site.home(&path), paths::area(el, c)),
                text: el.areas[c].name.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let description = format!("{} — {}: {}", el.meta.title, el.level_name(a), area.name);
    let mut l = layout(site, &path, area.name.clone(), description, crumbs(site, a));
    if races
        .iter()
        .any(|r| r.declared.as_ref().is_some_and(|d| d.shows_scan()))
    {
        l.scan_js = Some(site.scan_js.clone());
    }
    let page = AreaPage {
        l,
        name: &area.name,
        level: el.level_name(a),
        finding_counts: finding_counts(site, a),
        findings_href: paths::findings(el, a),
        races,
        children,
    };
    Page::of_view(path, page, global)
}
