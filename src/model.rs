//! The election as plain data: areas, races, candidates, forms. No I/O here.
//!
//! Everything refers to everything else by index into the `Election`'s
//! vectors, which the loader fills in input order and never reorders, so an
//! index is stable for the life of a build.

use std::collections::BTreeMap;

/// Index of an area in `Election::areas`.
pub type AreaIx = usize;
/// Index of a race in `Election::races`.
pub type RaceIx = usize;
/// Index of a candidate in `Election::candidates`.
pub type CandidateIx = usize;
/// Index of a form in `Election::forms`.
pub type FormIx = usize;

/// Settings from `election.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub title: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// Names of the levels of the area tree, root first.
    pub levels: Vec<String>,
    /// Absolute URL of the published site, for the sitemap and the feed.
    pub base_url: Option<String>,
    /// Languages to build, the first at the site root.
    pub languages: Vec<String>,
}

/// A node of the area tree: the country, a county, …, a polling station.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub parent: Option<AreaIx>,
    /// Registered voters; only ever set on polling stations (leaves).
    pub registered: Option<u64>,
    /// Where it is, as (latitude, longitude) in WGS 84 degrees, when given.
    pub position: Option<(f64, f64)>,
    /// Children in input order of their codes (sorted by code).
    pub children: Vec<AreaIx>,
    /// Distance from the root (root = 0).
    pub depth: usize,
    /// One past the last area of this area's subtree: areas are stored in
    /// depth-first order, so the subtree is `self index .. end`.
    pub end: AreaIx,
}

impl Area {
    /// A polling station is a leaf of the tree.
    pub fn is_station(&self) -> bool {
        self.children.is_empty()
    }
}

/// A contest: a seat voted for by the whole subtree of `area`.
#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    pub id: String,
    pub name: String,
    pub area: AreaIx,
    /// Candidates of this race, in input order.
    pub candidates: Vec<CandidateIx>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub race: RaceIx,
    pub id: String,
    pub name: String,
    pub party: String,
    /// `#rrggbb`, validated.
    pub color: Option<String>,
}

/// How far a form's numbers can be trusted, as declared in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Verified,
    Provisional,
    Disputed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::Provisional => "provisional",
            Status::Disputed => "disputed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "" | "verified" => Some(Status::Verified),
            "provisional" => Some(Status::Provisional),
            "disputed" => Some(Status::Disputed),
            _ => None,
        }
    }
}

/// A scan file found under `scans/`, hashed.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// The path as written in forms.csv, relative to `scans/`.
    pub path: String,
    /// Absolute or data-relative path of the file on disk.
    pub source: std::path::PathBuf,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Lower-case extension: pdf, jpg, jpeg, png or webp.
    pub ext: String,
    /// The file's size, times and inode when hashed, for the hash cache.
    pub stamp: crate::fsx::Stamp,
}

impl Scan {
    /// Where the scan is published, relative to the site root.
    pub fn site_path(&self) -> String {
        format!("scans/{}.{}", self.sha256, self.ext)
    }

    pub fn is_pdf(&self) -> bool {
        self.ext == "pdf"
    }
}

/// One tally sheet: a station form (on a leaf) or a declared aggregate.
/// Its text is boxed (`Box<str>`, no spare capacity, two words not three):
/// at a million stations there are six million forms.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub id: Box<str>,
    /// Line of forms.csv it was read from.
    pub line: u64,
    pub area: AreaIx,
    pub race: RaceIx,
    /// The scan path as written in the input (empty when none).
    pub scan_path: Box<str>,
    /// The scan, when the path names a file that exists.
    pub scan: Option<Box<Scan>>,
    /// Hash declared at capture (lower-case hex), if any.
    pub declared_sha256: Option<Box<str>>,
    pub rejected: Option<u64>,
    pub total_valid: Option<u64>,
    pub status: Status,
    pub device: Box<str>,
    pub captured_at: Box<str>,
    /// Votes per candidate of the race, in the race's candidate order;
    /// `None` where the form has no line for that candidate.
    pub votes: Box<[Option<u64>]>,
}

impl Form {
    /// Sum of the candidate lines (checked; `None` on overflow).
    pub fn valid(&self) -> Option<u64> {
        self.votes
            .iter()
            .try_fold(0u64, |acc, v| acc.checked_add(v.unwrap_or(0)))
    }
}

/// A Markdown page from `pages/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// File stem, used as its address: `pages/<slug>.html`.
    pub slug: String,
    pub title: String,
    pub markdown: String,
}

/// A whole election as read from an input folder.
#[derive(Debug, Clone)]
pub struct Election {
    pub meta: Meta,
    pub areas: Vec<Area>,
    pub races: Vec<Race>,
    pub candidates: Vec<Candidate>,
    pub forms: Vec<Form>,
    pub pages: Vec<Page>,
    /// Area code → index.
    pub area_by_code: BTreeMap<String, AreaIx>,
    /// Form for each (area, race): see [`Election::form_on`].
    pub form_by_area_race: FormIndex,
    /// Races whose `area` is exactly this area, per area.
    pub races_rooted: Vec<Vec<RaceIx>>,
    /// Outlines of areas from `boundaries.geojson` (longitude, latitude).
    pub boundaries: BTreeMap<AreaIx, geo::MultiPolygon<f64>>,
}

/// The form of each (area, race), found through the forms themselves: a
/// table of form indices, 8 bytes a form where a B-tree keyed by area and
/// race took about 40 (six million forms at a million stations).
#[derive(Debug, Clone, Default)]
pub struct FormIndex {
    hasher: std::hash::RandomState,
    table: hashbrown::HashTable<FormIx>,
}

impl FormIndex {
    /// The form among `forms` for `area` and `race`.
    pub fn get(&self, forms: &[Form], (area, race): (AreaIx, RaceIx)) -> Option<FormIx> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one((area, race));
        self.table
            .find(hash, |&f| forms[f].area == area && forms[f].race == race)
            .copied()
    }

    /// Adds `forms[f]`, the only form for its area and race.
    pub fn insert(&mut self, forms: &[Form], f: FormIx) {
        use std::hash::BuildHasher;
        let hasher = &self.hasher;
        let hash = hasher.hash_one((forms[f].area, forms[f].race));
        self.table.insert_unique(hash, f, |&g| {
            hasher.hash_one((forms[g].area, forms[g].race))
        });
    }
}

impl Election {
    /// The form for `area` and `race`, if there is one.
    pub fn form_on(&self, area: AreaIx, race: RaceIx) -> Option<FormIx> {
        self.form_by_area_race.get(&self.forms, (area, race))
    }

    /// The root of the area tree (index 0 after loading).
    pub fn root(&self) -> AreaIx {
        0
    }

    /// The area and its ancestors, nearest first.
    pub fn ancestors(&self, area: AreaIx) -> impl Iterator<Item = AreaIx> + '_ {
        std::iter::successors(Some(area), move |&a| self.areas[a].parent)
    }

    /// Whether `area` lies in the subtree of `top` (itself included).
    pub fn is_within(&self, area: AreaIx, top: AreaIx) -> bool {
        (top..self.areas[top].end).contains(&area)
    }

    /// The level name of an area, from `election.toml`'s `levels`.
    pub fn level_name(&self, area: AreaIx) -> &str {
        let depth = self.areas[area].depth;
        let levels = &self.meta.levels;
        if self.areas[area].is_station() && depth + 1 >= levels.len() {
            return levels
                .last()
                .map(String::as_str)
                .unwrap_or("Polling station");
        }
        levels.get(depth).map(String::as_str).unwrap_or("Area")
    }

    /// All polling stations under `area` (itself if it is one), in tree order.
    pub fn stations_under(&self, area: AreaIx) -> Vec<AreaIx> {
        let mut out = Vec::new();
        let mut stack = vec![area];
        while let Some(a) = stack.pop() {
            let node = &self.areas[a];
            if node.is_station() {
                out.push(a);
            } else {
                stack.extend(node.children.iter().rev());
            }
        }
        out
    }
}
