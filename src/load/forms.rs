//! forms.csv, one row per form, and results.csv, one line per candidate
//! of a form.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::table::{self, Row, code_problem, count, optional_count, truncate, valid_code};
use super::{FormSeen, Seen, UNPLACED, race_index, scans, schema, valid_datetime};
use crate::error::Problem;
use crate::model::{AreaIx, Count, Election, Form, FormText, Status};

/// Reads forms.csv.
pub(super) fn read_forms(
    input: &crate::fsx::Beneath,
    dir: &Path,
    el: &mut Election,
    ids: &mut Seen,
    problems: &mut Vec<Problem>,
) {
    let path = dir.join(schema::FORMS.file);
    let path = path.as_path();
    let mut forms = Forms {
        path,
        races: race_index(el)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        unloaded_placed: BTreeMap::new(),
        placed: None,
        race_seen: None,
    };
    // The two tables that find a form are made as large as forms.csv can
    // need at once, instead of doubling as it is read (each doubling hashed
    // every form id again: a third of the time of adding a form).
    let room = most_forms(el, path);
    ids.forms.reserve(room, &el.forms);
    el.form_by_area_race.reserve(&el.forms, room);
    table::read(
        input,
        path,
        schema::FORMS.columns,
        schema::FORMS.required(),
        problems,
        |row, problems| forms.add(row, el, ids, problems),
    );
}

/// The room to make for the forms of forms.csv: as many as can load at
/// most, one for each race and area in the race's subtree (known before
/// forms.csv is read, and as large as the election), but no more than
/// eight for each area and race already read, nor than forms.csv's lines
/// of at least 16 bytes. The first bound alone is the product of two
/// counts the input chooses (20,000 areas and 20,000 races made a 6 MB
/// input ask for gigabytes), and the file's length may be that of a sparse
/// file; an area or race read holds far more memory than the room for
/// eight forms (six bytes each in each table), so the room stays in
/// proportion to what was read.
fn most_forms(el: &Election, path: &Path) -> usize {
    let tree: usize = el
        .races
        .iter()
        .filter_map(|r| el.areas.get(r.area).map(|a| a.end.saturating_sub(r.area)))
        .fold(0, usize::saturating_add);
    let read = (el.areas.len() + el.races.len()).saturating_mul(8);
    let lines = std::fs::metadata(path).map_or(0, |m| m.len() / 16);
    tree.min(read)
        .min(usize::try_from(lines).unwrap_or(usize::MAX))
}

/// What reading forms.csv needs from row to row.
struct Forms<'a> {
    path: &'a Path,
    /// Race id → race.
    races: HashMap<String, usize>,
    /// The form (id and line) placed on an area and race whose row did not
    /// load (those that loaded are in the election's `form_by_area_race`).
    unloaded_placed: BTreeMap<(AreaIx, usize), (String, u64)>,
    /// The area and race the row being read is the first form for.
    placed: Option<(AreaIx, usize)>,
    /// The race of the row being read, when known (placed in the tree or
    /// not).
    race_seen: Option<usize>,
}

impl Forms<'_> {
    /// Checks one row of forms.csv and adds its form to `el` when it has
    /// no error; a form that does not load still has its scan path noted
    /// (for the scan checks) and its race (for results.csv's checks).
    fn add(
        &mut self,
        row: &Row<'_>,
        el: &mut Election,
        ids: &mut Seen,
        problems: &mut Vec<Problem>,
    ) {
        let id = row.get(0);
        let before = problems.len();
        let path = self.path;
        let at = |m: String| Problem::at(path, row.line, m);
        if !valid_code(id) {
            problems.push(at(code_problem("form id", id)));
        } else if let Some(first) = ids.forms.first_line(id, &el.forms) {
            problems.push(at(format!(
                "duplicate form id '{id}' (first on line {first})"
            )));
        }
        let (area, race) = self.place(row, el, ids, problems);
        let scan_path = row.get(3);
        if let Err(m) = scans::check_path(scan_path) {
            problems.push(at(m));
        }
        let declared = declared_sha256(row.get(4)).unwrap_or_else(|m| {
            problems.push(at(m));
            None
        });
        let mut num = |i: usize, name: &str| match optional_count(name, row.get(i)) {
            Ok(v) => v,
            Err(m) => {
                problems.push(at(m));
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
        // Past what the compact model holds (never a real election): the
        // form does not load, and is known by its id like any other.
        let text = FormText::new(id, scan_path, row.get(8), captured_at, declared.as_deref());
        let room = el.forms.len() < super::MAX_FORMS
            && race.is_none_or(|r| el.votes.has_room(el.races[r].candidates.len()));
        if text.is_none() || !room {
            problems.push(at(format!(
                "too big: a form's text is at most 4 GiB, and an election has at most {} forms and four billion candidate lines",
                super::MAX_FORMS
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
            // Known by its id even when the id itself is malformed: its
            // lines in results.csv are not each an "unknown form".
            if !id.is_empty() && ids.forms.loaded(id, &el.forms).is_none() {
                ids.forms.add_unloaded(id, self.race_seen, row.line);
            }
            if let Some(key) = self.placed {
                self.unloaded_placed.insert(key, (id.to_string(), row.line));
            }
            return;
        };
        let n = el.races[race].candidates.len();
        let (Some(text), Some(votes)) = (text, el.votes.add(n)) else {
            return;
        };
        el.forms.push(Form {
            text,
            line: row.line,
            area,
            race,
            scan: None,
            rejected: Count::new(rejected),
            total_valid: Count::new(total_valid),
            status,
            votes,
        });
        ids.forms.add_loaded(el.forms.len() - 1, &el.forms);
        el.form_by_area_race.insert(&el.forms, el.forms.len() - 1);
    }

    /// The form (id and line) already placed on `key`, loaded or not.
    fn placed_on<'e>(&'e self, el: &'e Election, key: (AreaIx, usize)) -> Option<(&'e str, u64)> {
        match el.form_on(key.0, key.1) {
            Some(f) => Some((el.forms[f].id(), el.forms[f].line)),
            None => self
                .unloaded_placed
                .get(&key)
                .map(|(id, line)| (id.as_str(), *line)),
        }
    }

    /// Finds the form's area and race. Reports an unknown area or race, a
    /// form outside its race's area, and a second form for one area and
    /// race. Returns the area and the race when known (the race only when
    /// it is placed in the tree).
    fn place(
        &mut self,
        row: &Row<'_>,
        el: &Election,
        ids: &mut Seen,
        problems: &mut Vec<Problem>,
    ) -> (Option<AreaIx>, Option<usize>) {
        let at = |m: String| Problem::at(self.path, row.line, m);
        self.placed = None;
        let id = row.get(0);
        let area_code = row.get(1);
        let area = el.area_by_code.get(area_code).copied();
        if area.is_none() && ids.unknown_area(area_code) {
            problems.push(at(format!(
                "form '{id}' is on unknown area '{}'",
                truncate(area_code, 64)
            )));
        }
        let race_id = row.get(2);
        let race = self.races.get(race_id).copied();
        if race.is_none() && !ids.races.contains(race_id) {
            problems.push(at(format!(
                "form '{id}' is for unknown race '{}'",
                truncate(race_id, 64)
            )));
        }
        self.race_seen = race;
        let race = race.filter(|&r| el.races[r].area != UNPLACED);
        if let (Some(a), Some(r)) = (area, race) {
            let race_area = el.races[r].area;
            if !el.is_within(a, race_area) {
                problems.push(at(format!(
                    "form '{id}' is on area '{area_code}', outside race '{race_id}', which is held in '{}'",
                    el.areas[race_area].code
                )));
            } else if let Some((other, line)) = self.placed_on(el, (a, r)) {
                problems.push(at(format!(
                    "second form for area '{area_code}' and race '{race_id}' (form '{other}' on line {line})"
                )));
            } else {
                self.placed = Some((a, r));
            }
        }
        (area, race)
    }
}

/// The scan's SHA-256 declared in column sha256: none when empty, in
/// lower case, or why it is not one.
fn declared_sha256(sha: &str) -> Result<Option<String>, String> {
    if sha.is_empty() {
        Ok(None)
    } else if sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(Some(sha.to_ascii_lowercase()))
    } else {
        Err(format!(
            "sha256 '{}' is not 64 hexadecimal digits",
            truncate(sha, 70)
        ))
    }
}

/// Races with at most this many candidates have a line's candidate found
/// by comparing ids in turn.
const FEW_CANDIDATES: usize = 32;

/// Reads results.csv: each line's votes go to its candidate on its form.
/// Lines of a form that did not load are still checked against its race.
pub(super) fn read_results(
    input: &crate::fsx::Beneath,
    path: &Path,
    el: &mut Election,
    ids: &Seen,
    problems: &mut Vec<Problem>,
) {
    // Candidate id → every (race, position in the race's list) it has;
    // looked up by &str, without allocating, for a line of a race of many
    // candidates, and to say where a candidate not in its race stands.
    let mut cand_races: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for r in 0..el.races.len() {
        for (pos, &c) in el.races[r].candidates.iter().enumerate() {
            cand_races
                .entry(el.candidates[c].id.clone())
                .or_default()
                .push((r, pos));
        }
    }
    // The line each vote was read from, to name it when a second line
    // gives the same candidate's votes: one flat list for the whole file,
    // dropped once it is read (a list per form would be kept with it).
    let mut lines = vec![0u64; el.votes.cells()];
    // A form's lines are most often one after the other: the last form
    // looked up is kept rather than looked up again for each.
    let mut last: (String, Option<FormSeen>) = (String::new(), None);
    table::read(
        input,
        path,
        schema::RESULTS.columns,
        schema::RESULTS.required(),
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
            let seen = if !last.0.is_empty() && last.0 == form_id {
                last.1
            } else {
                // And the forms follow one another as in forms.csv most
                // often too: the one after the last is tried before the
                // table (which finds a form at a random place in memory).
                // Form ids are unique among the forms that loaded.
                let next = match last.1 {
                    Some(FormSeen::Loaded(f)) => el
                        .forms
                        .get(f + 1)
                        .filter(|g| g.id() == form_id)
                        .map(|_| FormSeen::Loaded(f + 1)),
                    _ => None,
                };
                let seen = next.or_else(|| ids.forms.get(form_id, &el.forms));
                last.0.clear();
                last.0.push_str(form_id);
                last.1 = seen;
                seen
            };
            let (loaded, race) = match seen {
                Some(FormSeen::Loaded(f)) => (Some(f), el.forms[f].race),
                // A form with errors of its own: its lines are still
                // checked against its race's candidates.
                Some(FormSeen::Unloaded(Some(r))) => (None, r),
                _ => {
                    if seen.is_none() {
                        problems.push(Problem::at(
                            path,
                            row.line,
                            format!("unknown form '{}'", truncate(form_id, 64)),
                        ));
                    }
                    return;
                }
            };
            // Found among the race's own candidates when they are few (a
            // few comparisons cost less than hashing the id), else in the map.
            let candidates = &el.races[race].candidates;
            let pos = if candidates.len() <= FEW_CANDIDATES {
                candidates.iter().position(|&c| el.candidates[c].id == cand)
            } else {
                cand_races
                    .get(cand)
                    .and_then(|rs| rs.iter().find(|(r, _)| *r == race))
                    .map(|&(_, pos)| pos)
            };
            let Some(pos) = pos else {
                let in_races = cand_races.get(cand);
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
            let span = el.forms[f].votes;
            let cell = el.votes.cell(span, pos);
            if el.votes.get(span, pos).is_some() {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!(
                        "second line for candidate '{cand}' on form '{form_id}' (first on line {})",
                        lines[cell]
                    ),
                ));
                return;
            }
            if let Some(v) = votes {
                el.votes.set(span, pos, v);
                lines[cell] = row.line;
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The room made for the forms of a whole election is at least as many
    /// forms as it has (else the tables still grow as it is read) and not
    /// many more (a form for each race of each area above the stations too:
    /// 2.6 times as many for this sample's 300 stations under Kenya's 1,787
    /// wards, constituencies and counties; about 1.07 at Kenya's size); a file
    /// shorter than that makes room for its lines only.
    #[test]
    fn the_room_made_for_forms_fits_the_election() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        crate::sample::write(&input, 300, 1, false).unwrap();
        let el = crate::load::read(&input).unwrap();
        let forms = input.join(schema::FORMS.file);
        let room = most_forms(&el, &forms);
        assert!(room >= el.forms.len(), "{room} < {}", el.forms.len());
        assert!(
            room <= el.forms.len() * 3,
            "{room} against {}",
            el.forms.len()
        );
        std::fs::write(&forms, "\n".repeat(16 * 100)).unwrap();
        assert_eq!(most_forms(&el, &forms), 100);
        // Many races over many areas (a product of two counts the input
        // chooses), with a forms.csv that claims 64 GB (a sparse file):
        // room for eight forms an area and race read, no more.
        let mut crafted = el.clone();
        let race = crafted.races[0].clone();
        crafted.races = vec![race; 5_000];
        for r in &mut crafted.races {
            r.area = 0;
        }
        std::fs::File::options()
            .write(true)
            .open(&forms)
            .unwrap()
            .set_len(64 << 30)
            .unwrap();
        let read = crafted.areas.len() + crafted.races.len();
        assert_eq!(most_forms(&crafted, &forms), 8 * read);
    }
}
