//! One race at one area: its candidate rows, totals and chart, and the
//! declared form beside the tally (shared by area and station pages).

use askama::Template;

use super::form::{ScanPart, badges, form_findings, scan_part};
use super::{pct, status_text};
use crate::format::thousands;
use crate::model::{AreaIx, FormIx, RaceIx};
use crate::paths::{self, root_of};
use crate::site::chart::{self, Chart};
use crate::site::fingerprint::Shared;
use crate::site::{Site, Strings};
use crate::tally::RaceTally;

#[derive(Hash)]
pub struct CandRow {
    pub name: String,
    pub party: String,
    pub votes: String,
    pub share: String,
    pub color: String,
}

#[derive(Hash)]
pub struct RaceView<'a> {
    pub id: String,
    pub name: String,
    pub reporting: String,
    pub stations: String,
    pub reporting_pct: String,
    pub reporting_n: u64,
    pub stations_n: u64,
    pub registered: String,
    pub valid: String,
    pub rejected: String,
    pub turnout: String,
    pub rows: Vec<CandRow>,
    pub chart: Chart,
    pub declared: Option<DeclaredPart<'a>>,
    pub children_level: String,
    pub children: Vec<ChildRow>,
    /// The map of the children, on an area page's first race.
    pub map: Option<crate::site::map::Map>,
    /// The link to this race's results here, station by station (CSV).
    pub download: Option<String>,
}

/// Candidate rows of a race, most votes first.
pub(super) fn candidate_rows(
    site: &Site<'_>,
    race: RaceIx,
    votes: &[u64],
    valid: u64,
) -> Vec<(usize, CandRow)> {
    let el = site.el;
    let r = &el.races[race];
    let mut order: Vec<usize> = (0..votes.len()).collect();
    order.sort_by(|&a, &b| votes[b].cmp(&votes[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .map(|p| {
            let c = r.candidates[p];
            (
                p,
                CandRow {
                    name: el.candidates[c].name.clone(),
                    party: el.candidates[c].party.clone(),
                    votes: thousands(votes[p]),
                    share: pct(votes[p], valid),
                    color: site.colors[c].clone(),
                },
            )
        })
        .collect()
}

fn registered_text(t: &Strings, tally: &RaceTally) -> String {
    if tally.registered_unknown == tally.stations {
        t.unknown.clone()
    } else if tally.registered_unknown > 0 {
        format!(
            "{} ({} {} {})",
            thousands(tally.registered),
            thousands(tally.registered_unknown),
            t.stations_reporting.split(' ').next().unwrap_or(""),
            t.unknown
        )
    } else {
        thousands(tally.registered)
    }
}

fn rejected_text(t: &Strings, tally: &RaceTally) -> String {
    if tally.reporting > 0 && tally.rejected_unknown == tally.reporting {
        t.unknown.clone()
    } else {
        thousands(tally.rejected)
    }
}

fn turnout_text(t: &Strings, tally: &RaceTally) -> String {
    match tally.turnout() {
        Some(x) => crate::format::percent(x),
        None => t.unknown.clone(),
    }
}

/// An area's own declared form beside the tally of its children: a part
/// of area pages, rendered with them.
#[derive(Template, Hash)]
#[template(path = "declared.html")]
pub struct DeclaredPart<'a> {
    t: Shared<'a, Strings>,
    form: &'a str,
    status: &'static str,
    status_text: String,
    badges: Vec<(&'static str, &'static str)>,
    rows: Vec<(String, String, String, String)>,
    scan: ScanPart<'a>,
    findings: Vec<(&'static str, &'static str, String)>,
}

impl DeclaredPart<'_> {
    pub(super) fn shows_scan(&self) -> bool {
        self.scan.shows_file()
    }
}

fn declared_part<'a>(
    site: &'a Site<'_>,
    form: FormIx,
    sum: &RaceTally,
    root: &str,
) -> DeclaredPart<'a> {
    let el = site.el;
    let f = &el.forms[form];
    let race = &el.races[f.race];
    let diff = |a: u64, b: u64| crate::format::signed(i128::from(a) - i128::from(b));
    let mut rows: Vec<(String, String, String, String)> = race
        .candidates
        .iter()
        .enumerate()
        .map(|(p, &c)| {
            let declared = el.votes.get(f.votes, p).unwrap_or(0);
            (
                el.candidates[c].name.clone(),
                thousands(declared),
                thousands(sum.votes[p]),
                diff(declared, sum.votes[p]),
            )
        })
        .collect();
    let declared_valid = el.votes.valid(f.votes).unwrap_or(0);
    rows.push((
        site.t.valid.clone(),
        thousands(declared_valid),
        thousands(sum.valid),
        diff(declared_valid, sum.valid),
    ));
    if let Some(r) = f.rejected() {
        rows.push((
            site.t.rejected.clone(),
            thousands(r),
            thousands(sum.rejected),
            diff(r, sum.rejected),
        ));
    }
    DeclaredPart {
        t: Shared(&site.t),
        form: f.id(),
        status: f.status.as_str(),
        status_text: status_text(&site.t, f.status),
        badges: badges(site, form),
        rows,
        scan: scan_part(site, form, root),
        findings: form_findings(site, form),
    }
}

/// The bar chart of one race at one area, its title and description
/// carrying the same numbers as the table beside it.
pub(super) fn race_chart(
    site: &Site<'_>,
    a: AreaIx,
    race: RaceIx,
    rows: &[(usize, CandRow)],
    votes: &[u64],
) -> Chart {
    let r = &site.el.races[race];
    let bars: Vec<chart::Bar> = rows
        .iter()
        .map(|(p, c)| chart::Bar {
            label: c.name.clone(),
            value: votes[*p],
            share: c.share.clone(),
            color: c.color.clone(),
        })
        .collect();
    let desc = rows
        .iter()
        .map(|(_, c)| format!("{}: {} ({})", c.name, c.votes, c.share))
        .collect::<Vec<_>>()
        .join("; ");
    Chart {
        id: r.id.clone(),
        title: format!(
            "{}: {} — {}",
            site.t.chart_title, r.name, site.el.areas[a].name
        ),
        desc,
        bars,
    }
}

pub(super) fn race_view<'a>(
    site: &'a Site<'_>,
    a: AreaIx,
    path: &str,
    tally: &RaceTally,
) -> RaceView<'a> {
    let el = site.el;
    let t = &site.t;
    let race = tally.race;
    let r = &el.races[race];
    let root = root_of(path);
    let rows = candidate_rows(site, race, &tally.votes, tally.valid);
    let svg = race_chart(site, a, race, &rows, &tally.votes);
    let declared = el
        .form_on(a, race)
        .map(|f| declared_part(site, f, tally, &root));
    let area = &el.areas[a];
    let children: Vec<ChildRow> = area
        .children
        .iter()
        .map(|&c| child_row(site, path, c, race))
        .collect();
    let children_level = area
        .children
        .first()
        .map(|&c| el.level_name(c).to_string())
        .unwrap_or_default();
    RaceView {
        id: r.id.clone(),
        name: r.name.clone(),
        reporting: thousands(tally.reporting),
        stations: thousands(tally.stations),
        reporting_pct: pct(tally.reporting, tally.stations),
        reporting_n: tally.reporting,
        stations_n: tally.stations,
        registered: registered_text(t, tally),
        valid: thousands(tally.valid),
        rejected: rejected_text(t, tally),
        turnout: turnout_text(t, tally),
        rows: rows.into_iter().map(|(_, c)| c).collect(),
        chart: svg,
        declared,
        children_level,
        children,
        map: None,
        // Open data is at the site's root, whatever the page's language.
        download: crate::opendata::per_area::has_downloads(el, a)
            .then(|| format!("{root}{}", crate::opendata::per_area::path(el, a, race))),
    }
}

#[derive(Hash)]
pub struct ChildRow {
    pub name: String,
    pub href: String,
    pub leader: String,
    /// The leader's lead in votes, and as a share of valid votes.
    pub margin: String,
    pub margin_share: String,
    pub reporting: String,
}

fn child_row(site: &Site<'_>, from: &str, child: AreaIx, race: RaceIx) -> ChildRow {
    let el = site.el;
    let tally = site.tally.get(el, child, race).unwrap_or_default();
    let ranking = tally.ranking();
    let (leader, margin, margin_share) =
        match (ranking.first(), tally.reporting > 0 && tally.valid > 0) {
            (Some(&first), true) => {
                let second = ranking.get(1).map_or(0, |&s| tally.votes[s]);
                let m = tally.votes[first] - second;
                let name = el.candidates[el.races[race].candidates[first]].name.clone();
                (name, thousands(m), pct(m, tally.valid))
            }
            _ => ("—".to_string(), "—".to_string(), String::new()),
        };
    ChildRow {
        name: el.areas[child].name.clone(),
        href: format!("{}{}", site.home(from), paths::area(el, child)),
        leader,
        margin,
        margin_share,
        reporting: format!(
            "{}/{}",
            thousands(tally.reporting),
            thousands(tally.stations)
        ),
    }
}
