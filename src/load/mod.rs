//! Reading an input folder (contract section 1) into an [`Election`],
//! with every error of section 2 found and located.

mod areas;
pub mod boundaries;
mod config;
mod forms;
pub mod scans;
pub mod schema;
pub mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::error::Problem;
use crate::fsx::Beneath;
use crate::model::{AreaIx, Candidate, Election, Page, Race};
pub use areas::MAX_DEPTH;
use areas::read_areas;

pub use config::{LANGUAGES, valid_date, valid_datetime};
use forms::{read_forms, read_results};
use table::{code_problem, file_name_problem, truncate, valid_code};

/// Options that change how loading reads the disk, not what it accepts.
#[derive(Default)]
pub struct Options<'a> {
    /// Previously computed scan hashes, keyed by path, size and mtime.
    pub hash_cache: Option<&'a scans::HashCache>,
    /// What a walk of `scans/` just before saw (saves a `stat` per scan).
    pub listing: Option<&'a scans::Listing>,
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
    scans::attach(
        dir,
        el,
        (options.hash_cache, options.listing),
        &mut problems,
    );
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort();
        Err(problems)
    }
}

/// The most forms an election may have: a finding names its form in four
/// bytes (six million forms at a million stations; this is seven hundred
/// times that).
pub const MAX_FORMS: usize = u32::MAX as usize - 1;

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
    let csv = schema::ALL.iter().map(|t| t.file);
    for name in
        std::iter::once("election.toml")
            .chain(csv)
            .chain([boundaries::FILE, "pages", "scans"])
    {
        let path = dir.join(name);
        if let Err(p) = inside(&root, &path) {
            problems.push(p);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Every file is opened beneath the input folder: a file or folder of it
    // swapped for a link leading out once the check above is made is
    // refused, not read.
    let input = Beneath::input(dir);
    let input = &input;
    let meta = config::read(input, &dir.join("election.toml"), &mut problems);
    let mut seen = Seen::default();
    let areas = read_areas(
        input,
        &dir.join(schema::AREAS.file),
        &mut seen,
        &mut problems,
    );
    let area_by_code: BTreeMap<String, AreaIx> = areas
        .as_ref()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, a)| (a.code.clone(), i))
                .collect()
        })
        .unwrap_or_default();
    let boundaries = boundaries::read(
        input,
        &dir.join(boundaries::FILE),
        &area_by_code,
        &mut problems,
    );
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
        votes: Default::default(),
        pages: Vec::new(),
        area_by_code,
        form_by_area_race: Default::default(),
        boundaries,
        sources: Vec::new(),
    };
    read_races(
        input,
        &dir.join(schema::RACES.file),
        &mut el,
        &mut seen,
        &mut problems,
    );
    read_candidates(
        input,
        &dir.join(schema::CANDIDATES.file),
        &mut el,
        &mut seen,
        &mut problems,
    );
    read_forms(input, dir, &mut el, &mut seen, &mut problems);
    // Grown by doubling, the list may hold room for twice the forms: at a
    // million stations that room alone is over half a gigabyte.
    el.forms.shrink_to_fit();
    el.votes.shrink_to_fit();
    read_results(
        input,
        &dir.join(schema::RESULTS.file),
        &mut el,
        &seen,
        &mut problems,
    );
    el.pages = read_pages(input, &dir.join("pages"), &mut problems);
    if problems.is_empty() && meta.is_some() {
        el.sources = input.take_sources();
        Ok(el)
    } else {
        // The scans of the forms that did load are checked too (their
        // content, their paths), so that one run lists every error.
        scans::attach(dir, &mut el, (None, None), &mut problems);
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
    /// Every well-formed form id of forms.csv, with what its row said.
    forms: FormIds,
    /// Scan paths (well formed) of forms that did not load, and their lines.
    unloaded_scans: Vec<(String, u64)>,
}

/// What forms.csv said of one form id.
#[derive(Clone, Copy)]
enum FormSeen {
    /// It loaded: this form.
    Loaded(crate::model::FormIx),
    /// It did not load (its row has errors): its race, when known.
    Unloaded(Option<usize>),
}

/// Every form id of forms.csv. Those that loaded are found through their
/// index into the election's forms, so their ids are not kept a second
/// time (at six million forms a map keyed by a copy of each id cost over
/// half a gigabyte); the few that did not load are kept with their race
/// and the line they first appear on.
#[derive(Default)]
struct FormIds {
    hasher: std::hash::RandomState,
    loaded: hashbrown::HashTable<crate::model::FormIx>,
    unloaded: HashMap<String, (Option<usize>, u64)>,
}

impl FormIds {
    /// The form with id `id` among `forms`, if it loaded.
    fn loaded(&self, id: &str, forms: &[crate::model::Form]) -> Option<crate::model::FormIx> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(id);
        self.loaded.find(hash, |&f| forms[f].id() == id).copied()
    }

    /// What forms.csv said of `id` (`None`: it has no such id).
    fn get(&self, id: &str, forms: &[crate::model::Form]) -> Option<FormSeen> {
        match self.loaded(id, forms) {
            Some(f) => Some(FormSeen::Loaded(f)),
            None => self
                .unloaded
                .get(id)
                .map(|&(race, _)| FormSeen::Unloaded(race)),
        }
    }

    /// The line of forms.csv where `id` first appears, if it does.
    fn first_line(&self, id: &str, forms: &[crate::model::Form]) -> Option<u64> {
        let unloaded = self.unloaded.get(id).map(|&(_, line)| line);
        let loaded = self.loaded(id, forms).map(|f| forms[f].line);
        unloaded.into_iter().chain(loaded).min()
    }

    /// Makes room for `n` more forms among `forms`.
    fn reserve(&mut self, n: usize, forms: &[crate::model::Form]) {
        use std::hash::BuildHasher;
        let hasher = &self.hasher;
        self.loaded.reserve(n, |&g| hasher.hash_one(forms[g].id()));
    }

    /// Notes that `forms[f]` loaded.
    fn add_loaded(&mut self, f: crate::model::FormIx, forms: &[crate::model::Form]) {
        use std::hash::BuildHasher;
        let hasher = &self.hasher;
        let hash = hasher.hash_one(forms[f].id());
        self.loaded
            .insert_unique(hash, f, |&g| hasher.hash_one(forms[g].id()));
    }

    /// Notes a row of form `id` that did not load, on `line`, and its race
    /// if known.
    fn add_unloaded(&mut self, id: &str, race: Option<usize>, line: u64) {
        match self.unloaded.get_mut(id) {
            Some(known) => known.0 = race.or(known.0),
            None => {
                self.unloaded.insert(id.to_string(), (race, line));
            }
        }
    }
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

fn read_races(
    input: &Beneath,
    path: &Path,
    el: &mut Election,
    ids: &mut Seen,
    problems: &mut Vec<Problem>,
) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut folded: HashMap<String, (String, u64)> = HashMap::new();
    table::read(
        input,
        path,
        schema::RACES.columns,
        schema::RACES.required(),
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
            // A race id names files (data/races/<race>/<code>.csv): the rules
            // for codes that become file names apply.
            if let Some(m) = file_name_problem("race id", id) {
                problems.push(Problem::at(path, row.line, m));
            }
            let fold = id.to_ascii_lowercase();
            if let Some((other, first)) = folded.get(&fold) {
                problems.push(Problem::at(
                    path,
                    row.line,
                    format!(
                        "race id '{id}' differs only in case from '{other}' (line {first}); \
                         their files would collide on case-insensitive file systems"
                    ),
                ));
            }
            folded.insert(fold, (id.to_string(), row.line));
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

fn read_candidates(
    input: &Beneath,
    path: &Path,
    el: &mut Election,
    ids: &mut Seen,
    problems: &mut Vec<Problem>,
) {
    let races: HashMap<String, usize> = race_index(el)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut seen: HashMap<(usize, String), u64> = HashMap::new();
    table::read(
        input,
        path,
        schema::CANDIDATES.columns,
        schema::CANDIDATES.required(),
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

/// The largest page read from `pages/` (its Markdown).
pub const MAX_PAGE_BYTES: u64 = 16 << 20;

/// Reads `pages/*.md`, sorted by file name.
fn read_pages(input: &Beneath, dir: &Path, problems: &mut Vec<Problem>) -> Vec<Page> {
    let mut pages = Vec::new();
    // Listed beneath the input folder: a pages/ swapped for a link leading
    // out is refused, its names never shown.
    let names = match input.list(dir) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return pages,
        Err(e) => {
            problems.push(Problem::file(dir, format!("cannot read folder: {e}")));
            return pages;
        }
    };
    let mut paths: Vec<PathBuf> = names
        .into_iter()
        .map(|n| dir.join(n))
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
        let bytes = match input.read_limited(&path, MAX_PAGE_BYTES) {
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
