//! The content of each kind of page, as askama templates over view data.

use askama::Template;

use super::{HistoryChange, Link, Site, Strings, chart};
use crate::check::{CHECKS, Severity, thousands};
use crate::model::{AreaIx, FormIx, RaceIx, Status};
use crate::paths::{self, root_of};
use crate::tally::RaceTally;

/// What the base template needs.
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
    pub t: &'a Strings,
    pub nav: Vec<Link>,
    pub crumbs: Vec<Link>,
    pub date: &'a str,
}

fn layout<'a>(
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
        t: &site.t,
        nav,
        crumbs,
        date: &el.meta.date,
    }
}

/// Links to the ancestors of `a`, root first (not `a` itself).
fn crumbs(site: &Site<'_>, a: AreaIx) -> Vec<Link> {
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

fn pct(num: u64, den: u64) -> String {
    if den == 0 {
        "—".to_string()
    } else {
        format!("{:.1}%", num as f64 * 100.0 / den as f64)
    }
}

fn severity_str(s: Severity) -> &'static str {
    s.as_str()
}

fn status_text(t: &Strings, s: Status) -> String {
    match s {
        Status::Verified => t.status_verified.clone(),
        Status::Provisional => t.status_provisional.clone(),
        Status::Disputed => t.status_disputed.clone(),
    }
}

pub struct CandRow {
    pub name: String,
    pub party: String,
    pub votes: String,
    pub share: String,
    pub color: String,
}

pub struct ChildRow {
    pub name: String,
    pub href: String,
    pub leader: String,
    pub margin: String,
    pub reporting: String,
}

pub struct RaceView {
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
    pub chart: String,
    pub declared: Option<String>,
    pub children_level: String,
    pub children: Vec<ChildRow>,
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    level: &'a str,
    finding_counts: Vec<(&'static str, &'static str, String)>,
    findings_href: String,
    races: Vec<RaceView>,
    children: Vec<Link>,
}

/// Candidate rows of a race, most votes first.
fn candidate_rows(
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
        Some(x) => format!("{:.1}%", x * 100.0),
        None => t.unknown.clone(),
    }
}

fn child_row(site: &Site<'_>, from: &str, child: AreaIx, race: RaceIx) -> ChildRow {
    let el = site.el;
    let tally = site.tally.get(el, child, race).unwrap_or_default();
    let ranking = tally.ranking();
    let (leader, margin) = match (ranking.first(), tally.reporting > 0 && tally.valid > 0) {
        (Some(&first), true) => {
            let second = ranking.get(1).map_or(0, |&s| tally.votes[s]);
            let m = tally.votes[first] - second;
            let name = el.candidates[el.races[race].candidates[first]].name.clone();
            (name, format!("{} ({})", thousands(m), pct(m, tally.valid)))
        }
        _ => ("—".to_string(), "—".to_string()),
    };
    ChildRow {
        name: el.areas[child].name.clone(),
        href: format!("{}{}", site.home(from), paths::area(el, child)),
        leader,
        margin,
        reporting: format!(
            "{}/{}",
            thousands(tally.reporting),
            thousands(tally.stations)
        ),
    }
}

fn badges(site: &Site<'_>, form: FormIx) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = site
        .by_form
        .get(&form)
        .map(|v| {
            v.iter()
                .map(|&i| {
                    (
                        site.findings[i].check,
                        severity_str(site.findings[i].severity),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.dedup();
    out
}

fn form_findings(site: &Site<'_>, form: FormIx) -> Vec<(&'static str, &'static str, String)> {
    site.by_form
        .get(&form)
        .map(|v| {
            v.iter()
                .map(|&i| {
                    let f = &site.findings[i];
                    (f.check, severity_str(f.severity), site.t.finding(&f.parts))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub enum ScanView {
    None,
    Missing(String),
    File(ScanFile),
}

pub struct ScanFile {
    pub href: String,
    pub pdf: bool,
    pub form: String,
    pub sha256: String,
    pub declared: Option<String>,
    pub specimen: bool,
}

#[derive(Template)]
#[template(path = "scan.html")]
struct ScanPart<'a> {
    scan: ScanView,
    t: &'a Strings,
    root: &'a str,
}

/// Whether a rendered scan part shows a scan file (which the
/// scan-checking script then checks).
fn shows_scan(html: &str) -> bool {
    html.contains("<figure class=\"scan\">")
}

/// Scans stored under `scans/specimens/` are labelled as specimens.
pub const SPECIMEN_FOLDER: &str = "specimens/";

fn scan_html(site: &Site<'_>, form: FormIx, root: &str) -> Result<String, askama::Error> {
    let f = &site.el.forms[form];
    let scan = match &f.scan {
        Some(s) => ScanView::File(ScanFile {
            href: s.site_path(),
            pdf: s.is_pdf(),
            form: f.id.clone(),
            sha256: s.sha256.clone(),
            declared: f.declared_sha256.clone(),
            specimen: f.scan_path.starts_with(SPECIMEN_FOLDER)
                || f.scan_path.starts_with("scans/specimens/"),
        }),
        None if f.scan_path.is_empty() => ScanView::None,
        None => ScanView::Missing(f.scan_path.clone()),
    };
    ScanPart {
        scan,
        t: &site.t,
        root,
    }
    .render()
}

#[derive(Template)]
#[template(path = "declared.html")]
struct DeclaredPart<'a> {
    t: &'a Strings,
    form: &'a str,
    status: &'static str,
    status_text: String,
    badges: Vec<(&'static str, &'static str)>,
    rows: Vec<(String, String, String, String)>,
    scan: String,
    findings: Vec<(&'static str, &'static str, String)>,
}

fn declared_html(
    site: &Site<'_>,
    form: FormIx,
    sum: &RaceTally,
    root: &str,
) -> Result<String, askama::Error> {
    let el = site.el;
    let f = &el.forms[form];
    let race = &el.races[f.race];
    let diff = |a: u64, b: u64| {
        let d = a as i128 - b as i128;
        if d > 0 {
            format!("+{}", thousands(d as u64))
        } else if d < 0 {
            format!("−{}", thousands(d.unsigned_abs() as u64))
        } else {
            "0".to_string()
        }
    };
    let mut rows: Vec<(String, String, String, String)> = race
        .candidates
        .iter()
        .enumerate()
        .map(|(p, &c)| {
            let declared = f.votes[p].unwrap_or(0);
            (
                el.candidates[c].name.clone(),
                thousands(declared),
                thousands(sum.votes[p]),
                diff(declared, sum.votes[p]),
            )
        })
        .collect();
    let declared_valid = f.valid().unwrap_or(0);
    rows.push((
        site.t.valid.clone(),
        thousands(declared_valid),
        thousands(sum.valid),
        diff(declared_valid, sum.valid),
    ));
    if let Some(r) = f.rejected {
        rows.push((
            site.t.rejected.clone(),
            thousands(r),
            thousands(sum.rejected),
            diff(r, sum.rejected),
        ));
    }
    DeclaredPart {
        t: &site.t,
        form: &f.id,
        status: f.status.as_str(),
        status_text: status_text(&site.t, f.status),
        badges: badges(site, form),
        rows,
        scan: scan_html(site, form, root)?,
        findings: form_findings(site, form),
    }
    .render()
}

/// The bar chart of one race at one area, its title and description
/// carrying the same numbers as the table beside it.
fn race_chart(
    site: &Site<'_>,
    a: AreaIx,
    race: RaceIx,
    rows: &[(usize, CandRow)],
    votes: &[u64],
) -> String {
    let r = &site.el.races[race];
    let bars: Vec<chart::Bar<'_>> = rows
        .iter()
        .map(|(p, c)| chart::Bar {
            label: &c.name,
            value: votes[*p],
            share: &c.share,
            color: &c.color,
        })
        .collect();
    let desc = rows
        .iter()
        .map(|(_, c)| format!("{}: {} ({})", c.name, c.votes, c.share))
        .collect::<Vec<_>>()
        .join("; ");
    chart::bars(
        &r.id,
        &format!(
            "{}: {} — {}",
            site.t.chart_title, r.name, site.el.areas[a].name
        ),
        &desc,
        &bars,
    )
}

fn race_view(
    site: &Site<'_>,
    a: AreaIx,
    path: &str,
    tally: &RaceTally,
) -> Result<RaceView, askama::Error> {
    let el = site.el;
    let t = &site.t;
    let race = tally.race;
    let r = &el.races[race];
    let root = root_of(path);
    let rows = candidate_rows(site, race, &tally.votes, tally.valid);
    let svg = race_chart(site, a, race, &rows, &tally.votes);
    let declared = match el.form_by_area_race.get(&(a, race)) {
        Some(&f) => Some(declared_html(site, f, tally, &root)?),
        None => None,
    };
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
    Ok(RaceView {
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
    })
}

fn finding_counts(site: &Site<'_>, a: AreaIx) -> Vec<(&'static str, &'static str, String)> {
    site.subtree_counts[a]
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| {
            (
                CHECKS[i].id,
                CHECKS[i].severity.as_str(),
                thousands(u64::from(*n)),
            )
        })
        .collect()
}

pub fn area(site: &Site<'_>, a: AreaIx) -> Result<(String, Vec<u8>), askama::Error> {
    let el = site.el;
    let path = site.page(&paths::area(el, a));
    let area = &el.areas[a];
    let tallies = site.tally.all(el, a);
    let races = tallies
        .iter()
        .map(|t| race_view(site, a, &path, t))
        .collect::<Result<Vec<_>, _>>()?;
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
        .any(|r| r.declared.as_deref().is_some_and(shows_scan))
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
    Ok((path, page.render()?.into_bytes()))
}

pub struct FormView {
    pub id: String,
    pub status: &'static str,
    pub status_text: String,
    pub badges: Vec<(&'static str, &'static str)>,
    pub rows: Vec<CandRow>,
    pub chart: String,
    pub valid: String,
    pub total_valid: String,
    pub rejected: String,
    pub turnout: String,
    pub findings: Vec<(&'static str, &'static str, String)>,
    pub device: String,
    pub captured_at: String,
    pub scan: String,
}

pub struct StationRace {
    pub id: String,
    pub name: String,
    pub form: Option<FormView>,
}

#[derive(Template)]
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
    races: Vec<StationRace>,
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

pub fn station(site: &Site<'_>, a: AreaIx) -> Result<(String, Vec<u8>), askama::Error> {
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
        let form = match el.form_by_area_race.get(&(a, race)) {
            None => None,
            Some(&f) => {
                let form = &el.forms[f];
                let votes: Vec<u64> = form.votes.iter().map(|v| v.unwrap_or(0)).collect();
                let valid = form.valid().unwrap_or(0);
                let cast = valid.saturating_add(form.rejected.unwrap_or(0));
                let rows = candidate_rows(site, race, &votes, valid);
                // One chart per station page, for its first form: the rest
                // are tables, which keeps a six-race page light on a phone.
                let chart = if charted {
                    String::new()
                } else {
                    charted = true;
                    race_chart(site, a, race, &rows, &votes)
                };
                Some(FormView {
                    id: form.id.clone(),
                    status: form.status.as_str(),
                    status_text: status_text(t, form.status),
                    badges: badges(site, f),
                    rows: rows.into_iter().map(|(_, c)| c).collect(),
                    chart,
                    valid: thousands(valid),
                    total_valid: form
                        .total_valid
                        .map_or_else(|| t.unknown.clone(), thousands),
                    rejected: form.rejected.map_or_else(|| t.unknown.clone(), thousands),
                    turnout: match area.registered {
                        Some(reg) if reg > 0 => pct(cast, reg),
                        _ => t.unknown.clone(),
                    },
                    findings: form_findings(site, f),
                    device: form.device.clone(),
                    captured_at: form.captured_at.clone(),
                    scan: scan_html(site, f, &root)?,
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
        .any(|r| r.form.as_ref().is_some_and(|f| shows_scan(&f.scan)))
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
        history: station_history(site, &area.code, &root, &home),
    };
    Ok((path, page.render()?.into_bytes()))
}

/// Most findings listed per check on one findings page; the rest are in findings.csv.
pub const FINDINGS_PER_CHECK: usize = 500;

pub struct FindingItem {
    pub href: String,
    pub place: String,
    pub race: String,
    pub form: String,
    pub detail: String,
}

pub struct FindingGroup {
    pub id: &'static str,
    pub severity: &'static str,
    pub severity_text: String,
    pub rule: String,
    pub count: String,
    pub items: Vec<FindingItem>,
    pub more: String,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    area_href: String,
    groups: Vec<FindingGroup>,
}

pub fn findings(site: &Site<'_>, a: AreaIx) -> Result<(String, Vec<u8>), askama::Error> {
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
                let form = f.form.map(|x| el.forms[x].id.clone()).unwrap_or_default();
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
            id: check.id,
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
    Ok((path, page.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "page.html")]
struct MarkdownPage<'a> {
    l: Layout<'a>,
    body: String,
}

pub fn markdown(site: &Site<'_>, p: usize) -> Result<(String, Vec<u8>), askama::Error> {
    let page = &site.el.pages[p];
    let path = site.page(&paths::page(&page.slug));
    let out = MarkdownPage {
        l: layout(
            site,
            &path,
            page.title.clone(),
            page.title.clone(),
            Vec::new(),
        ),
        body: super::markdown::render(&page.markdown),
    };
    Ok((path, out.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage<'a> {
    l: Layout<'a>,
}

pub fn data_index(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let path = site.page(paths::DATA_INDEX);
    let title = site.t.about_data.clone();
    let page = DataPage {
        l: layout(site, &path, title.clone(), title, Vec::new()),
    };
    Ok((path, page.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "404.html")]
struct NotFoundPage<'a> {
    l: Layout<'a>,
}

pub fn not_found(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let path = paths::NOT_FOUND.to_string();
    let title = site.t.not_found.clone();
    let mut l = layout(site, &path, title.clone(), title, Vec::new());
    // The 404 page exists once, in the first language.
    l.languages.clear();
    let page = NotFoundPage { l };
    Ok((path, page.render()?.into_bytes()))
}

/// Most items listed per section of a changes page; the rest are in the JSON.
pub const CHANGES_PER_LIST: usize = 1000;

pub struct ChangeLine {
    pub href: String,
    pub text: String,
    pub fields: Vec<FieldView>,
}

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

fn field_view(root: &str, f: &crate::diff::Field) -> FieldView {
    let link =
        |v: &str| (f.field == "scan" && v.starts_with("scans/")).then(|| format!("{root}{v}"));
    let show = |v: &str| {
        if v.is_empty() {
            "—".to_string()
        } else {
            v.to_string()
        }
    };
    FieldView {
        field: f.field.clone(),
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
        // The detail comes from findings.csv, which is in English: other
        // languages show the finding without it (its page words it).
        text: format!(
            "{} {} · {} · {} {}{}",
            crate::check::Severity::parse(&f.severity)
                .map_or(f.severity.as_str(), |s| site.t.severity(s)),
            f.check,
            f.area,
            f.race,
            f.form,
            if site.lang == "en" {
                format!(": {}", f.detail)
            } else {
                String::new()
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

pub struct HistoryLine {
    pub seq: usize,
    pub published: String,
    pub href: String,
    pub form: String,
    pub fields: Vec<FieldView>,
}

/// A station's history: every version in which one of its forms changed.
fn station_history(site: &Site<'_>, code: &str, root: &str, home: &str) -> Vec<HistoryLine> {
    let Some(items) = site.history_by_area.get(code) else {
        return Vec::new();
    };
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

pub struct LetterGroup {
    pub id: String,
    pub letter: String,
    pub items: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "az.html")]
struct AzPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    groups: Vec<LetterGroup>,
}

/// Every polling station under a top-level area, A to Z: the way to a
/// station without JavaScript.
pub fn az(site: &Site<'_>, a: AreaIx) -> Result<(String, Vec<u8>), askama::Error> {
    let el = site.el;
    let path = site.page(&paths::az(el, a));
    let home = site.home(&path);
    let mut stations: Vec<(String, AreaIx)> = el
        .stations_under(a)
        .into_iter()
        .map(|s| {
            (
                super::search::normalize(&el.areas[s].name)
                    .trim()
                    .to_string(),
                s,
            )
        })
        .collect();
    stations.sort();
    let mut groups: Vec<LetterGroup> = Vec::new();
    for (key, s) in stations {
        let first = key.chars().next().filter(|c| c.is_ascii_alphabetic());
        let (id, letter) = match first {
            Some(c) => (format!("letter-{c}"), c.to_ascii_uppercase().to_string()),
            None => ("letter-other".to_string(), "#".to_string()),
        };
        if groups.last().is_none_or(|g| g.id != id) {
            groups.push(LetterGroup {
                id,
                letter,
                items: Vec::new(),
            });
        }
        let context: Vec<&str> = el
            .ancestors(s)
            .skip(1)
            .take_while(|&p| p != a)
            .map(|p| el.areas[p].name.as_str())
            .collect();
        if let Some(g) = groups.last_mut() {
            g.items.push((
                format!("{home}{}", paths::area(el, s)),
                el.areas[s].name.clone(),
                context.join(", "),
            ));
        }
    }
    // Stations whose names start with a digit or sign come first in "#".
    groups.sort_by_key(|g| g.id != "letter-other");
    let area = &el.areas[a];
    let title = format!("{}: {}", site.t.stations_az, area.name);
    let page = AzPage {
        l: layout(site, &path, title.clone(), title, Vec::new()),
        name: &area.name,
        groups,
    };
    Ok((path, page.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "az_index.html")]
struct AzIndexPage<'a> {
    l: Layout<'a>,
    areas: Vec<(String, String)>,
}

pub fn az_index(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let el = site.el;
    let path = site.page(paths::AZ_INDEX);
    let home = site.home(&path);
    let areas = el.areas[el.root()]
        .children
        .iter()
        .map(|&c| {
            let target = if el.areas[c].is_station() {
                paths::area(el, c)
            } else {
                paths::az(el, c)
            };
            (format!("{home}{target}"), el.areas[c].name.clone())
        })
        .collect();
    let title = site.t.stations_az.clone();
    let page = AzIndexPage {
        l: layout(site, &path, title.clone(), title, Vec::new()),
        areas,
    };
    Ok((path, page.render()?.into_bytes()))
}
