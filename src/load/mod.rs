//! Reading an input folder (contract section 1) into an [`Election`],
//! with every error of section 2 found and located.

mod config;
pub mod scans;
pub mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::error::Problem;
use crate::model::{Area, AreaIx, Candidate, Election, Form, Page, Race, Status};
pub use config::{LANGUAGES, valid_date, valid_datetime};
use table::{code_problem, count, file_name_problem, optional_count, truncate, valid_code};

/// Options that change how loading reads the disk, not what it accepts.
#[derive(Default)]
pub struct Options<'a> {
    /// Previously computed scan hashes, keyed by path, size and mtime.
    pub hash_cache: Option<&'a scans::HashCache>,
}

/// Reads the input folder `dir` and hashes its scans. Returns every problem
/// found when it cannot be understood.
pub fn load(dir: &Path, options: &Options<'_>) -> Result<Election, Vec<Problem>> {
    let mut el = read(dir)?;
    hash_scans(dir, &mut el, options)?;
    Ok(el)
}

/// Finds and hashes the scans the forms name (the slow part of loading).
pub fn hash_scans(
    dir: &Path,
    el: &mut Election,
    options: &Options<'_>,
) -> Result<(), Vec<Problem>> {
    let mut problems = Vec::new();
    scans::attach(dir, el, options.hash_cache, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort();
        Err(problems)
    }
}

/// Reads and validates the input folder `dir`, without hashing its scans.
pub fn read(dir: &Path) -> Result<Election, Vec<Problem>> {
    let mut problems = Vec::new();
    if !dir.is_dir() {
        problems.push(Problem::file(
            dir,
            "not a folder (the input folder holds election.toml, areas.csv, …)",
        ));
        return Err(problems);
    }
    // Nothing outside the input folder is ever read: refuse, before reading
    // anything, a file or folder of it that is a symbolic link leading out.
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for name in [
        "election.toml",
        "areas.csv",
        "races.csv",
        "candidates.csv",
        "forms.csv",
        "results.csv",
        "pages",
        "scans",
    ] {
        let path = dir.join(name);
        if let Err(p) = inside(&root, &path) {
            problems.push(p);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let meta = config::read(&dir.join("election.toml"), &mut problems);
    let mut seen = Seen::default();
    let areas = read_areas(&dir.join("areas.csv"), &mut seen, &mut problems);
    let area_by_code: BTreeMap<String, AreaIx> = areas
        .as_ref()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, a)| (a.code.clone(), i))
                .collect()
        })
        .unwrap_or_default();
    let mut el = Election {
        meta: meta.clone().unwrap_or_else(|| crate::model::Meta {
            title: String::new(),
            date: String::new(),
            levels: Vec::new(),
            base_url: None,
            languages: vec!["en".into()],
        }),
        races_rooted: vec![Vec::new(); areas.as_ref().map_or(0, Vec::len)],
        areas: areas.unwrap_or_default(),
        races: Vec::new(),
        candidates: Vec::new(),
        forms: Vec::new(),
        pages: Vec::new(),
        area_by_code,
        form_by_area_race: BTreeMap::new(),
    };
    read_races(&dir.join("races.csv"), &mut el, &mut seen, &mut problems);
    read_candidates(
        &dir.join("candidates.csv"),
        &mut el,
        &mut seen,
        &mut problems,
    );
    read_forms(dir, &mut el, &mut seen, &mut problems);
    read_results(&dir.join("results.csv"), &mut el, &seen, &mut problems);
    el.pages = read_pages(&dir.join("pages"), &mut problems);
    if problems.is_empty() && meta.is_some() {
        Ok(el)
    } else {
        // The scans of the forms that did load are checked too (their
        // content, their paths), so that one run lists every error.
        scans::attach(dir, &mut el, None, &mut problems);
        scans::check_unloaded(dir, &seen.unloaded_scans, &mut problems);
        problems.sort();
        problems.dedup();
        Err(problems)
    }
}

/// Checks that `path`, if it exists, resolves to a place inside `root`.
fn inside(root: &Path, path: &Path) -> Result<(), Problem> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_symlink() {
        return Ok(());
    }
    match path.canonicalize() {
        Ok(real) if real.starts_with(root) => Ok(()),
        Ok(_) => Err(Problem::file(
            path,
            "is a symbolic link leading outside the input folder; kura reads nothing outside it",
        )),
        Err(e) => Err(Problem::file(path, format!("cannot read: {e}"))),
    }
}

/// Ids seen in a file, whether or not their row was accepted: a reference to
/// a row that had its own error is not reported a second time, and every
/// other reference is still checked against what did load, so that one run
/// lists the errors of every file (a broken area tree does not hide an
/// unknown candidate in results.csv).
#[derive(Default)]
struct Seen {
    /// Whether areas.csv could be read at all (else every area reference
    /// would be reported as unknown).
    areas_read: bool,
    areas: BTreeSet<String>,
    races: BTreeSet<String>,
    candidates: BTreeSet<(String, String)>,
    forms: BTreeSet<String>,
    /// The race of each form whose race is known, loaded or not.
    form_race: HashMap<String, usize>,
    /// Scan paths (well formed) of forms that did not load, and their lines.
    unloaded_scans: Vec<(String, u64)>,
}

impl Seen {
    /// Whether a reference to area `code` is an error of its own: the code
    /// appears nowhere in a readable areas.csv.
    fn unknown_area(&self, code: &str) -> bool {
        self.areas_read && !self.areas.contains(code)
    }
}

/// The area of a race whose area is known but could not be placed in the
/// tree (areas.csv has errors of its own): its forms are still checked
/// against the race's candidates, nothing more.
const UNPLACED: AreaIx = AreaIx::MAX;

/// Most levels an area tree may have. Real trees have under ten; a deeper
/// one is a mistake, and would make every page's breadcrumb enormous.
pub const MAX_DEPTH: usize = 32;

/// Raw row of areas.csv before the tree is built.
struct AreaRow {
    code: String,
    name: String,
    parent: String,
    registered: Option<u64>,
    line: u64,
}

/// Reads areas.csv and returns the areas in tree order (root first, then
/// depth-first with children sorted by code), or `None` when the tree is broken.
fn read_areas(path: &Path, ids: &mut Seen, problems: &mut Vec<Problem>) -> Option<Vec<Area>> {
    let mut rows: Vec<AreaRow> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut folded: HashMap<String, (String, u64)> = HashMap::new();
    let before = problems.len();
    ids.areas_read = table::read(
        path,
        &["code", "name", "parent", "registered"],
        &["code", "name", "parent"],
        problems,
        |row, problems| {
            let code = row.get(0);
            let mut ok = true;
            if !valid_code(code) {
                problems.push(Problem::at(path, row.line, code_problem("area code", code)));
                ok = false;
            } else if let Some(m) = file_name_problem("area code", code) {
                problems.push(Problem::at(path, row.line, m));
            } else if let Some(first) = seen.get(code) {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!("duplicate area code '{code}' (first on line {first})"),
                ));
                ok = false;
            } else if let Some((other, first)) = folded.get(&code.to_ascii_lowercase()) {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!(
                        "area code '{code}' differs only in case from '{other}' (line {first}); \
                         their pages would collide on case-insensitive file systems"
                    ),
                ));
                ok = false;
            }
            let name = row.get(1);
            if name.is_empty() {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!("area '{code}' has an empty name"),
                ));
            }
            let parent = row.get(2);
            if !parent.is_empty() && !valid_code(parent) {
                problems.push(Problem::at(path, row.line, code_problem("parent", parent)));
            }
            let registered = match optional_count("registered", row.get(3)) {
                Ok(r) => r,
                Err(m) => {
                    problems.push(Problem::at(path, row.line, m));
                    None
                }
            };
            if valid_code(code) {
                ids.areas.insert(code.to_string());
            }
            if ok {
                seen.insert(code.to_string(), row.line);
                folded.insert(code.to_ascii_lowercase(), (code.to_string(), row.line));
                rows.push(AreaRow {
                    code: code.to_string(),
                    name: name.to_string(),
                    parent: parent.to_string(),
                    registered,
                    line: row.line,
                });
            }
        },
    );
    if problems.len() > before {
        return None;
    }
    if rows.is_empty() {
        problems.push(Problem::file(
            path,
            "no areas: at least the root area is required",
        ));
        return None;
    }
    let index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    let mut root = None;
    let mut parent_of: Vec<Option<usize>> = vec![None; rows.len()];
    for (i, r) in rows.iter().enumerate() {
        if r.parent.is_empty() {
            match root {
                None => root = Some(i),
                Some(first) => problems.push(Problem::at(
                    path,
                    r.line,
                    format!(
                        "second root: area '{}' has no parent, but '{}' (line {}) is already the root",
                        r.code, rows[first].code, rows[first].line
                    ),
                )),
            }
        } else if r.parent == r.code {
            problems.push(Problem::at(
                path,
                r.line,
                format!("area '{}' is its own parent", r.code),
            ));
        } else {
            match index.get(r.parent.as_str()) {
                Some(&p) => parent_of[i] = Some(p),
                None => problems.push(Problem::at(
                    path,
                    r.line,
                    format!(
                        "area '{}' has unknown parent '{}'",
                        r.code,
                        truncate(&r.parent, 64)
                    ),
                )),
            }
        }
    }
    let Some(root) = root else {
        problems.push(Problem::file(
            path,
            "no root area: exactly one area must have an empty parent",
        ));
        return None;
    };
    if problems.len() > before {
        return None;
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for (i, p) in parent_of.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    for c in &mut children {
        c.sort_by(|&a, &b| rows[a].code.cmp(&rows[b].code));
    }
    // Depth-first from the root; whatever is not reached hangs on a cycle.
    let mut order = Vec::with_capacity(rows.len());
    let mut depth = vec![0usize; rows.len()];
    let mut stack = vec![root];
    while let Some(a) = stack.pop() {
        order.push(a);
        for &c in children[a].iter().rev() {
            depth[c] = depth[a] + 1;
            stack.push(c);
        }
    }
    if let Some(deep) = (0..rows.len()).find(|&a| depth[a] >= MAX_DEPTH) {
        problems.push(Problem::at(
            path,
            rows[deep].line,
            format!(
                "area '{}' is {} levels below the root; the tree may have at most {MAX_DEPTH} levels",
                rows[deep].code, depth[deep]
            ),
        ));
        return None;
    }
    if order.len() < rows.len() {
        let mut reached = vec![false; rows.len()];
        for &a in &order {
            reached[a] = true;
        }
        let mut reported = vec![false; rows.len()];
        for start in 0..rows.len() {
            if reached[start] || reported[start] {
                continue;
            }
            // Walk up until a node repeats: that node is on the cycle.
            let mut seen_on_walk = Vec::new();
            let mut a = start;
            while !seen_on_walk.contains(&a) {
                seen_on_walk.push(a);
                match parent_of[a] {
                    Some(p) => a = p,
                    None => break,
                }
            }
            let cycle_start = a;
            let mut cycle = vec![cycle_start];
            let mut b = parent_of[cycle_start];
            while let Some(p) = b {
                if p == cycle_start {
                    break;
                }
                cycle.push(p);
                b = parent_of[p];
            }
            if !reported[cycle_start] {
                let mut names: Vec<&str> = cycle.iter().map(|&c| rows[c].code.as_str()).collect();
                names.push(&rows[cycle_start].code);
                problems.push(Problem::at(
                    path,
                    rows[cycle_start].line,
                    format!("cycle in the area tree: {}", names.join(" → ")),
                ));
                for &c in &cycle {
                    reported[c] = true;
                }
            }
            for &c in &seen_on_walk {
                if !cycle.contains(&c) && !reported[c] {
                    problems.push(Problem::at(
                        path,
                        rows[c].line,
                        format!(
                            "area '{}' is not connected to the root (its ancestors form a cycle)",
                            rows[c].code
                        ),
                    ));
                    reported[c] = true;
                }
            }
        }
        return None;
    }
    let mut new_index = vec![0usize; rows.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut rows: Vec<Option<AreaRow>> = rows.into_iter().map(Some).collect();
    let mut areas: Vec<Area> = order
        .iter()
        .enumerate()
        .filter_map(|(new, &old)| {
            let r = rows[old].take()?;
            let is_station = children[old].is_empty();
            Some(Area {
                code: r.code,
                name: r.name,
                parent: parent_of[old].map(|p| new_index[p]),
                registered: if is_station { r.registered } else { None },
                children: children[old].iter().map(|&c| new_index[c]).collect(),
                depth: depth[old],
                end: new + 1,
            })
        })
        .collect();
    // Depth-first order: a subtree ends where its last child's subtree ends.
    for a in (0..areas.len()).rev() {
        if let Some(&last) = areas[a].children.last() {
            areas[a].end = areas[last].end;
        }
    }
    Some(areas)
}

fn read_races(path: &Path, el: &mut Election, ids: &mut Seen, problems: &mut Vec<Problem>) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    table::read(
        path,
        &["id", "name", "area"],
        &["id", "name", "area"],
        problems,
        |row, problems| {
            let id = row.get(0);
            if !valid_code(id) {
                problems.push(Problem::at(path, row.line, code_problem("race id", id)));
                return;
            }
            if let Some(first) = seen.get(id) {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!("duplicate race id '{id}' (first on line {first})"),
                ));
                return;
            }
            seen.insert(id.to_string(), row.line);
            ids.races.insert(id.to_string());
            let name = row.get(1);
            if name.is_empty() {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!("race '{id}' has an empty name"),
                ));
            }
            let area_code = row.get(2);
            let area = match el.area_by_code.get(area_code) {
                Some(&a) => a,
                None if ids.unknown_area(area_code) => {
                    problems.push(Problem::at(
                        path,
                        row.line,
                        format!(
                            "race '{id}' is held in unknown area '{}'",
                            truncate(area_code, 64)
                        ),
                    ));
                    return;
                }
                None => UNPLACED,
            };
            if area != UNPLACED {
                el.races_rooted[area].push(el.races.len());
            }
            el.races.push(Race {
                id: id.to_string(),
                name: name.to_string(),
                area,
                candidates: Vec::new(),
            });
        },
    );
}

fn race_index(el: &Election) -> HashMap<&str, usize> {
    el.races
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect()
}

fn read_candidates(path: &Path, el: &mut Election, ids: &mut Seen, problems: &mut Vec<Problem>) {
    let races: HashMap<String, usize> = race_index(el)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut seen: HashMap<(usize, String), u64> = HashMap::new();
    table::read(
        path,
        &["race", "id", "name", "party", "color"],
        &["race", "id", "name", "party"],
        problems,
        |row, problems| {
            let race_id = row.get(0);
            let id = row.get(1);
            let mut ok = true;
            let race = races.get(race_id).copied();
            if race.is_none() {
                if !ids.races.contains(race_id) {
                    problems.push(Problem::at(
                        path,
                        row.line,
                        format!("unknown race '{}'", truncate(race_id, 64)),
                    ));
                }
                ok = false;
            }
            if !valid_code(id) {
                problems.push(Problem::at(
                    path,
                    row.line,
                    code_problem("candidate id", id),
                ));
                ok = false;
            } else {
                ids.candidates.insert((race_id.to_string(), id.to_string()));
            }
            let name = row.get(2);
            if name.is_empty() {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!("candidate '{id}' has an empty name"),
                ));
            }
            let color = row.get(4);
            let color = if color.is_empty() {
                None
            } else if color.len() == 7
                && color.starts_with('#')
                && color[1..].bytes().all(|c| c.is_ascii_hexdigit())
            {
                Some(color.to_ascii_lowercase())
            } else {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!("color '{}' is not of the form #rrggbb", truncate(color, 20)),
                ));
                None
            };
            let (Some(race), true) = (race, ok) else {
                return;
            };
            if let Some(first) = seen.get(&(race, id.to_string())) {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!(
                        "duplicate candidate '{id}' in race '{race_id}' (first on line {first})"
                    ),
                ));
                return;
            }
            seen.insert((race, id.to_string()), row.line);
            el.races[race].candidates.push(el.candidates.len());
            el.candidates.push(Candidate {
                race,
                id: id.to_string(),
                name: name.to_string(),
                party: row.get(3).to_string(),
                color,
            });
        },
    );
    for r in &el.races {
        if r.candidates.is_empty() && !problems.iter().any(|p| p.file == path) {
            problems.push(Problem::file(
                path,
                format!("race '{}' has no candidates", r.id),
            ));
        }
    }
}

/// Reads forms.csv.
fn read_forms(dir: &Path, el: &mut Election, ids: &mut Seen, problems: &mut Vec<Problem>) {
    let path = dir.join("forms.csv");
    let path = path.as_path();
    let races: HashMap<String, usize> = race_index(el)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut by_area_race: BTreeMap<(AreaIx, usize), (String, u64)> = BTreeMap::new();
    table::read(
        path,
        &[
            "form",
            "area",
            "race",
            "scan",
            "sha256",
            "rejected",
            "total_valid",
            "status",
            "device",
            "captured_at",
        ],
        &[
            "form",
            "area",
            "race",
            "scan",
            "sha256",
            "rejected",
            "total_valid",
            "status",
        ],
        problems,
        |row, problems| {
            let id = row.get(0);
            let before = problems.len();
            let at = |m: String| Problem::at(path, row.line, m);
            if !valid_code(id) {
                problems.push(at(code_problem("form id", id)));
            } else if let Some(first) = seen.get(id) {
                problems.push(at(format!(
                    "duplicate form id '{id}' (first on line {first})"
                )));
            } else {
                ids.forms.insert(id.to_string());
            }
            let area_code = row.get(1);
            let area = el.area_by_code.get(area_code).copied();
            if area.is_none() && ids.unknown_area(area_code) {
                problems.push(at(format!(
                    "form '{id}' is on unknown area '{}'",
                    truncate(area_code, 64)
                )));
            }
            let race_id = row.get(2);
            let race = races.get(race_id).copied();
            if race.is_none() && !ids.races.contains(race_id) {
                problems.push(at(format!(
                    "form '{id}' is for unknown race '{}'",
                    truncate(race_id, 64)
                )));
            }
            if let (Some(r), true) = (race, valid_code(id)) {
                ids.form_race.insert(id.to_string(), r);
            }
            let race = race.filter(|&r| el.races[r].area != UNPLACED);
            if let (Some(a), Some(r)) = (area, race) {
                let race_area = el.races[r].area;
                if !el.is_within(a, race_area) {
                    problems.push(at(format!(
                        "form '{id}' is on area '{area_code}', outside race '{race_id}', which is held in '{}'",
                        el.areas[race_area].code
                    )));
                } else if let Some((other, line)) = by_area_race.get(&(a, r)) {
                    problems.push(at(format!(
                        "second form for area '{area_code}' and race '{race_id}' (form '{other}' on line {line})"
                    )));
                } else {
                    by_area_race.insert((a, r), (id.to_string(), row.line));
                }
            }
            let scan_path = row.get(3);
            if let Err(m) = scans::check_path(scan_path) {
                problems.push(at(m));
            }
            let sha = row.get(4);
            let declared = if sha.is_empty() {
                None
            } else if sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit()) {
                Some(sha.to_ascii_lowercase())
            } else {
                problems.push(at(format!(
                    "sha256 '{}' is not 64 hexadecimal digits",
                    truncate(sha, 70)
                )));
                None
            };
            let mut num = |i: usize, name: &str| match optional_count(name, row.get(i)) {
                Ok(v) => v,
                Err(m) => {
                    problems.push(Problem::at(path, row.line, m));
                    None
                }
            };
            let rejected = num(5, "rejected");
            let total_valid = num(6, "total_valid");
            let status = row.get(7);
            let status = match Status::parse(status) {
                Some(s) => s,
                None => {
                    problems.push(at(format!(
                        "status '{}' is not one of verified, provisional, disputed",
                        truncate(status, 30)
                    )));
                    Status::Verified
                }
            };
            let captured_at = row.get(9);
            if !captured_at.is_empty() && !valid_datetime(captured_at) {
                problems.push(at(format!(
                    "captured_at '{}' is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS, optional zone)",
                    truncate(captured_at, 40)
                )));
            }
            let loaded = match (area, race) {
                (Some(area), Some(race)) if problems.len() == before => Some((area, race)),
                _ => None,
            };
            let Some((area, race)) = loaded else {
                if !scan_path.is_empty() && scans::check_path(scan_path).is_ok() {
                    ids.unloaded_scans.push((scan_path.to_string(), row.line));
                }
                return;
            };
            seen.insert(id.to_string(), row.line);
            el.form_by_area_race.insert((area, race), el.forms.len());
            let n = el.races[race].candidates.len();
            el.forms.push(Form {
                id: id.to_string(),
                line: row.line,
                area,
                race,
                scan_path: scan_path.to_string(),
                scan: None,
                declared_sha256: declared,
                rejected,
                total_valid,
                status,
                device: row.get(8).to_string(),
                captured_at: captured_at.to_string(),
                votes: vec![None; n],
                lines: vec![0; n],
            });
        },
    );
}

fn read_results(path: &Path, el: &mut Election, ids: &Seen, problems: &mut Vec<Problem>) {
    let forms: HashMap<String, usize> = el
        .forms
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone(), i))
        .collect();
    // Candidate id → every (race, position in the race's list) it has;
    // looked up by &str, without allocating, for each of a million lines.
    let mut cand_races: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for r in 0..el.races.len() {
        for (pos, &c) in el.races[r].candidates.iter().enumerate() {
            cand_races
                .entry(el.candidates[c].id.clone())
                .or_default()
                .push((r, pos));
        }
    }
    table::read(
        path,
        &["form", "candidate", "votes"],
        &["form", "candidate", "votes"],
        problems,
        |row, problems| {
            let form_id = row.get(0);
            let cand = row.get(1);
            let votes = match count("votes", row.get(2)) {
                Ok(v) => Some(v),
                Err(m) => {
                    problems.push(Problem::at(path, row.line, m));
                    None
                }
            };
            let loaded = forms.get(form_id).copied();
            let race = match (loaded, ids.form_race.get(form_id)) {
                (Some(f), _) => el.forms[f].race,
                // A form with errors of its own: its lines are still
                // checked against its race's candidates.
                (None, Some(&r)) => r,
                (None, None) => {
                    if !ids.forms.contains(form_id) {
                        problems.push(Problem::at(
                            path,
                            row.line,
                            format!("unknown form '{}'", truncate(form_id, 64)),
                        ));
                    }
                    return;
                }
            };
            let in_races = cand_races.get(cand);
            let found = in_races.and_then(|rs| rs.iter().find(|(r, _)| *r == race));
            let Some(&(_, pos)) = found else {
                let message = match in_races {
                    Some(rs) => format!(
                        "candidate '{cand}' stands in race '{}', not in race '{}' of form '{form_id}'",
                        el.races[rs[0].0].id, el.races[race].id
                    ),
                    None if ids
                        .candidates
                        .contains(&(el.races[race].id.clone(), cand.to_string())) =>
                    {
                        return;
                    }
                    None => format!(
                        "unknown candidate '{}' in race '{}'",
                        truncate(cand, 64),
                        el.races[race].id
                    ),
                };
                problems.push(Problem::at(path, row.line, message));
                return;
            };
            let Some(f) = loaded else { return };
            let form = &mut el.forms[f];
            if form.votes[pos].is_some() {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!(
                        "second line for candidate '{cand}' on form '{form_id}' (first on line {})",
                        form.lines[pos]
                    ),
                ));
                return;
            }
            if let Some(v) = votes {
                form.votes[pos] = Some(v);
                form.lines[pos] = row.line;
            }
        },
    );
}

/// Reads `pages/*.md`, sorted by file name.
fn read_pages(dir: &Path, problems: &mut Vec<Problem>) -> Vec<Page> {
    let mut pages = Vec::new();
    if !dir.exists() {
        return pages;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem::file(dir, format!("cannot read folder: {e}")));
            return pages;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    let mut slugs = BTreeSet::new();
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for path in paths {
        if let Err(p) = inside(&root, &path) {
            problems.push(p);
            continue;
        }
        let slug = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if !valid_code(&slug) {
            problems.push(Problem::file(&path, code_problem("page name", &slug)));
            continue;
        }
        if let Some(m) = file_name_problem("page name", &slug) {
            problems.push(Problem::file(&path, m));
            continue;
        }
        if !slugs.insert(slug.to_ascii_lowercase()) {
            problems.push(Problem::file(
                &path,
                format!("page name '{slug}' differs only in case from another page"),
            ));
            continue;
        }
        let bytes = match crate::fsx::read(&path) {
            Ok(b) => b,
            Err(e) => {
                problems.push(Problem::file(&path, format!("cannot read: {e}")));
                continue;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let off = e.utf8_error().valid_up_to();
                let line = e.as_bytes()[..off].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                problems.push(Problem::at(&path, line, "not valid UTF-8 text"));
                continue;
            }
        };
        let text = text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text);
        let title = text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|t| t.trim().trim_end_matches('#').trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| slug.clone());
        pages.push(Page {
            slug,
            title,
            markdown: text,
        });
    }
    pages
}
