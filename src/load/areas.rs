//! areas.csv: its rows checked one by one, then linked into a tree whose
//! order, depth and cycles are checked as a whole.

use std::collections::HashMap;
use std::path::Path;

use super::table::{
    self, Row, code_problem, file_name_problem, optional_count, truncate, valid_code,
};
use super::{Seen, schema};
use crate::error::Problem;
use crate::fsx::Beneath;
use crate::model::Area;

/// Most levels an area tree may have. Real trees have under ten; a deeper
/// one is a mistake, and would make every page's breadcrumb enormous.
pub const MAX_DEPTH: usize = 32;

/// Raw row of areas.csv before the tree is built.
struct AreaRow {
    code: String,
    name: String,
    parent: String,
    registered: Option<u64>,
    position: Option<(f64, f64)>,
    line: u64,
}

/// Reads areas.csv and returns the areas in tree order (root first, then
/// depth-first with children sorted by code), or `None` when the tree is broken.
pub(super) fn read_areas(
    input: &Beneath,
    path: &Path,
    ids: &mut Seen,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Area>> {
    let before = problems.len();
    let rows = read_rows(input, path, ids, problems);
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
    let (root, parent_of) = link(path, &rows, problems)?;
    if problems.len() > before {
        return None;
    }
    let shape = Shape::walk(&rows, parent_of, root);
    if let Some(deep) = (0..rows.len()).find(|&a| shape.depth[a] >= MAX_DEPTH) {
        problems.push(Problem::at(
            path,
            rows[deep].line,
            format!(
                "area '{}' is {} levels below the root; the tree may have at most {MAX_DEPTH} levels",
                rows[deep].code, shape.depth[deep]
            ),
        ));
        return None;
    }
    if shape.order.len() < rows.len() {
        report_unreached(path, &rows, &shape, problems);
        return None;
    }
    Some(shape.areas(rows))
}

/// The rows of areas.csv read so far, and the codes they hold.
#[derive(Default)]
struct Rows {
    /// The rows accepted (their code is usable).
    rows: Vec<AreaRow>,
    /// The line of each accepted code.
    seen: HashMap<String, u64>,
    /// Each accepted code in lower case, with its spelling and line.
    folded: HashMap<String, (String, u64)>,
}

/// Reads the rows of areas.csv, each checked on its own, and keeps those
/// whose code is usable. Records in `ids` whether the file could be read
/// and every valid code it holds.
fn read_rows(
    input: &Beneath,
    path: &Path,
    ids: &mut Seen,
    problems: &mut Vec<Problem>,
) -> Vec<AreaRow> {
    let mut rows = Rows::default();
    ids.areas_read = table::read(
        input,
        path,
        schema::AREAS.columns,
        schema::AREAS.required(),
        problems,
        |row, problems| rows.add(path, row, ids, problems),
    );
    rows.rows
}

impl Rows {
    /// Checks one row and keeps it if its code is usable.
    fn add(&mut self, path: &Path, row: &Row<'_>, ids: &mut Seen, problems: &mut Vec<Problem>) {
        let code = row.get(0);
        let (problem, ok) = self.check_code(code);
        if let Some(m) = problem {
            problems.push(Problem::at(path, row.line, m));
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
        let position = match position(row.get(4), row.get(5)) {
            Ok(p) => p,
            Err(m) => {
                problems.push(Problem::at(path, row.line, m));
                None
            }
        };
        if valid_code(code) {
            ids.areas.insert(code.to_string());
        }
        if ok {
            self.seen.insert(code.to_string(), row.line);
            self.folded
                .insert(code.to_ascii_lowercase(), (code.to_string(), row.line));
            self.rows.push(AreaRow {
                code: code.to_string(),
                name: name.to_string(),
                parent: parent.to_string(),
                registered,
                position,
                line: row.line,
            });
        }
    }

    /// What is wrong with area code `code`, if anything, and whether the
    /// row may still be kept (a reserved file name is reported, but kept).
    fn check_code(&self, code: &str) -> (Option<String>, bool) {
        if !valid_code(code) {
            (Some(code_problem("area code", code)), false)
        } else if let Some(m) = file_name_problem("area code", code) {
            (Some(m), true)
        } else if let Some(first) = self.seen.get(code) {
            (
                Some(format!(
                    "duplicate area code '{code}' (first on line {first})"
                )),
                false,
            )
        } else if let Some((other, first)) = self.folded.get(&code.to_ascii_lowercase()) {
            (
                Some(format!(
                    "area code '{code}' differs only in case from '{other}' (line {first}); \
                     their pages would collide on case-insensitive file systems"
                )),
                false,
            )
        } else {
            (None, true)
        }
    }
}

/// A point from the optional `lat` and `lon` columns: both or neither,
/// each a finite number of degrees within range.
fn position(lat: &str, lon: &str) -> Result<Option<(f64, f64)>, String> {
    let degrees = |name: &str, v: &str, max: f64| -> Result<f64, String> {
        match v.parse::<f64>() {
            Ok(d) if d.is_finite() && d.abs() <= max => Ok(d),
            _ => Err(format!(
                "{name} '{}' is not a number of degrees from -{max} to {max}",
                truncate(v, 40)
            )),
        }
    };
    match (lat.is_empty(), lon.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Ok(Some((
            degrees("lat", lat, 90.0)?,
            degrees("lon", lon, 180.0)?,
        ))),
        _ => Err("lat and lon must be given together, or both left empty".to_string()),
    }
}

/// Finds each row's parent and the one root. Reports a second root, an
/// area that is its own parent, an unknown parent, and a missing root;
/// returns the root and each row's parent (`None` when not found), or
/// `None` when there is no root.
fn link(
    path: &Path,
    rows: &[AreaRow],
    problems: &mut Vec<Problem>,
) -> Option<(usize, Vec<Option<usize>>)> {
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
    Some((root, parent_of))
}

/// The shape of the area tree, by row index.
struct Shape {
    parent_of: Vec<Option<usize>>,
    /// Each area's children, sorted by code.
    children: Vec<Vec<usize>>,
    /// The areas reached from the root, depth-first.
    order: Vec<usize>,
    /// Each reached area's depth (the root's is 0).
    depth: Vec<usize>,
}

impl Shape {
    /// Walks the tree depth-first from `root`; whatever is not reached
    /// hangs on a cycle.
    fn walk(rows: &[AreaRow], parent_of: Vec<Option<usize>>, root: usize) -> Shape {
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
        for (i, p) in parent_of.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        for c in &mut children {
            c.sort_by(|&a, &b| rows[a].code.cmp(&rows[b].code));
        }
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
        Shape {
            parent_of,
            children,
            order,
            depth,
        }
    }

    /// The areas in tree order, with their links renumbered to that order
    /// (every row must have been reached).
    fn areas(&self, rows: Vec<AreaRow>) -> Vec<Area> {
        let mut new_index = vec![0usize; rows.len()];
        for (new, &old) in self.order.iter().enumerate() {
            new_index[old] = new;
        }
        let mut rows: Vec<Option<AreaRow>> = rows.into_iter().map(Some).collect();
        let mut areas: Vec<Area> = self
            .order
            .iter()
            .enumerate()
            .filter_map(|(new, &old)| {
                let r = rows[old].take()?;
                let is_station = self.children[old].is_empty();
                Some(Area {
                    code: r.code,
                    name: r.name,
                    parent: self.parent_of[old].map(|p| new_index[p]),
                    registered: if is_station { r.registered } else { None },
                    position: r.position,
                    children: self.children[old].iter().map(|&c| new_index[c]).collect(),
                    depth: self.depth[old],
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
        areas
    }
}

/// Reports every area the walk from the root did not reach: each cycle
/// once (at the area where it was entered), and each area hanging below
/// one as not connected to the root.
fn report_unreached(path: &Path, rows: &[AreaRow], shape: &Shape, problems: &mut Vec<Problem>) {
    let parent_of = &shape.parent_of;
    let mut reached = vec![false; rows.len()];
    for &a in &shape.order {
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
}
