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
        // Not `format!`: its machinery was a fifth of the time spent
        // placing 269,000 scans.
        let mut path = String::with_capacity(7 + self.sha256.len() + self.ext.len());
        path.push_str("scans/");
        path.push_str(&self.sha256);
        path.push('.');
        path.push_str(&self.ext);
        path
    }

    pub fn is_pdf(&self) -> bool {
        self.ext == "pdf"
    }
}

/// One tally sheet: a station form (on a leaf) or a declared aggregate.
/// Kept small: at a million stations there are six million forms. Its text
/// is one allocation ([`FormText`]), its counts carry no `Option` tag
/// ([`Count`]), and its votes live in the election's one list
/// ([`Votes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub text: FormText,
    /// Line of forms.csv it was read from.
    pub line: u64,
    pub area: AreaIx,
    pub race: RaceIx,
    /// The scan, when the path names a file that exists.
    pub scan: Option<Box<Scan>>,
    pub rejected: Count,
    pub total_valid: Count,
    pub status: Status,
    /// Its votes per candidate of the race, in the race's candidate order,
    /// in [`Election::votes`].
    pub votes: VoteSpan,
}

impl Form {
    pub fn id(&self) -> &str {
        self.text.part(0)
    }

    /// The scan path as written in the input (empty when none).
    pub fn scan_path(&self) -> &str {
        self.text.part(1)
    }

    pub fn device(&self) -> &str {
        self.text.part(2)
    }

    pub fn captured_at(&self) -> &str {
        self.text.part(3)
    }

    /// Hash declared at capture (lower-case hex), if any.
    pub fn declared_sha256(&self) -> Option<&str> {
        Some(self.text.part(4)).filter(|h| !h.is_empty())
    }

    pub fn rejected(&self) -> Option<u64> {
        self.rejected.get()
    }

    pub fn total_valid(&self) -> Option<u64> {
        self.total_valid.get()
    }
}

/// A form's text fields (id, scan path, device, capture time, declared
/// hash) one after another in one allocation, with where each ends: 32
/// bytes and one allocation where five boxed strings took 80 and four.
#[derive(Debug, Clone, PartialEq)]
pub struct FormText {
    text: Box<str>,
    ends: [u32; 4],
}

impl FormText {
    /// `None` when the fields together are longer than 4 GiB.
    pub fn new(
        id: &str,
        scan_path: &str,
        device: &str,
        captured_at: &str,
        declared_sha256: Option<&str>,
    ) -> Option<FormText> {
        let parts = [id, scan_path, device, captured_at];
        let mut text = String::with_capacity(
            parts.iter().map(|p| p.len()).sum::<usize>() + declared_sha256.map_or(0, str::len),
        );
        let mut ends = [0u32; 4];
        for (end, part) in ends.iter_mut().zip(parts) {
            text.push_str(part);
            *end = u32::try_from(text.len()).ok()?;
        }
        text.push_str(declared_sha256.unwrap_or(""));
        u32::try_from(text.len()).ok()?;
        Some(FormText {
            text: text.into_boxed_str(),
            ends,
        })
    }

    /// The five fields, in the order [`FormText::new`] takes them (an
    /// empty declared hash for none).
    pub fn parts(&self) -> [&str; 5] {
        std::array::from_fn(|i| self.part(i))
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        &self.text[start..end]
    }
}

/// A count that may be absent, in eight bytes: counts are at most
/// [`crate::load::table::MAX_COUNT`], so `u64::MAX` is free to mean none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(u64);

impl Count {
    pub const NONE: Count = Count(u64::MAX);

    pub fn new(n: Option<u64>) -> Count {
        Count(n.unwrap_or(u64::MAX))
    }

    pub fn get(self) -> Option<u64> {
        (self.0 != u64::MAX).then_some(self.0)
    }
}

/// Where a form's votes are in [`Votes`]: the first and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteSpan {
    at: u32,
    len: u32,
}

impl VoteSpan {
    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// Every form's votes in one list, four bytes each: a million stations
/// have twenty million candidate lines. A number too big for four bytes
/// (more than four billion votes on one line, only ever a mistake) is
/// kept aside.
#[derive(Debug, Clone, Default)]
pub struct Votes {
    cells: Vec<u32>,
    wide: BTreeMap<usize, u64>,
}

impl Votes {
    /// No line for this candidate.
    const NONE: u32 = u32::MAX;
    /// The number is in `wide`.
    const WIDE: u32 = u32::MAX - 1;

    /// Whether there is room for the `n` votes of one more form: four
    /// billion lines in all.
    pub fn has_room(&self, n: usize) -> bool {
        self.cells
            .len()
            .checked_add(n)
            .is_some_and(|end| u32::try_from(end).is_ok())
    }

    /// Room for the `n` votes of a new form, none given yet; `None` when
    /// there is no more ([`Votes::has_room`]).
    pub fn add(&mut self, n: usize) -> Option<VoteSpan> {
        if !self.has_room(n) {
            return None;
        }
        let span = VoteSpan {
            at: self.cells.len() as u32,
            len: n as u32,
        };
        self.cells.resize(self.cells.len() + n, Votes::NONE);
        Some(span)
    }

    /// How many votes there are room for, over all forms.
    pub fn cells(&self) -> usize {
        self.cells.len()
    }

    /// Where candidate `p` of a form is among all [`Votes::cells`].
    pub fn cell(&self, span: VoteSpan, p: usize) -> usize {
        assert!(p < span.len(), "candidate {p} of {}", span.len);
        span.at as usize + p
    }

    /// The votes of candidate `p` (its place in the race), if given.
    pub fn get(&self, span: VoteSpan, p: usize) -> Option<u64> {
        let i = self.cell(span, p);
        match self.cells[i] {
            Votes::NONE => None,
            Votes::WIDE => self.wide.get(&i).copied(),
            n => Some(u64::from(n)),
        }
    }

    pub fn set(&mut self, span: VoteSpan, p: usize, votes: u64) {
        let i = self.cell(span, p);
        match u32::try_from(votes) {
            Ok(n) if n < Votes::WIDE => {
                self.cells[i] = n;
                self.wide.remove(&i);
            }
            _ => {
                self.cells[i] = Votes::WIDE;
                self.wide.insert(i, votes);
            }
        }
    }

    /// A form's votes in candidate order; `None` where it has no line.
    pub fn of(&self, span: VoteSpan) -> impl ExactSizeIterator<Item = Option<u64>> + Clone + '_ {
        (0..span.len()).map(move |p| self.get(span, p))
    }

    /// Sum of a form's candidate lines (checked; `None` on overflow).
    pub fn valid(&self, span: VoteSpan) -> Option<u64> {
        self.of(span)
            .try_fold(0u64, |acc, v| acc.checked_add(v.unwrap_or(0)))
    }

    pub fn shrink_to_fit(&mut self) {
        self.cells.shrink_to_fit();
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
    /// The votes of every form (see [`Form::votes`]).
    pub votes: Votes,
    pub pages: Vec<Page>,
    /// Area code → index.
    pub area_by_code: BTreeMap<String, AreaIx>,
    /// Form for each (area, race): see [`Election::form_on`].
    pub form_by_area_race: FormIndex,
    /// Races whose `area` is exactly this area, per area.
    pub races_rooted: Vec<Vec<RaceIx>>,
    /// Outlines of areas from `boundaries.geojson` (longitude, latitude).
    pub boundaries: BTreeMap<AreaIx, geo::MultiPolygon<f64>>,
    /// The SHA-256 of the bytes of each text file the election was read
    /// from, by the file read: a build records its input as unchanged only
    /// if they are the bytes the input walk hashed (see `build::unchanged`).
    pub sources: crate::fsx::Sources,
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

    /// Makes room for `n` more forms among `forms`.
    pub fn reserve(&mut self, forms: &[Form], n: usize) {
        use std::hash::BuildHasher;
        let hasher = &self.hasher;
        self.table
            .reserve(n, |&g| hasher.hash_one((forms[g].area, forms[g].race)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_keep_every_count_up_to_the_largest_and_none() {
        let mut votes = Votes::default();
        let a = votes.add(3).unwrap();
        let b = votes.add(2).unwrap();
        let big = crate::load::table::MAX_COUNT;
        votes.set(a, 0, 7);
        votes.set(a, 2, u64::from(u32::MAX));
        votes.set(b, 0, big);
        votes.set(b, 1, u64::from(u32::MAX) - 2);
        assert_eq!(
            votes.of(a).collect::<Vec<_>>(),
            [Some(7), None, Some(u64::from(u32::MAX))]
        );
        assert_eq!(
            votes.of(b).collect::<Vec<_>>(),
            [Some(big), Some(u64::from(u32::MAX) - 2)]
        );
        assert_eq!(votes.valid(a), Some(7 + u64::from(u32::MAX)));
        // A wide number overwritten by a narrow one leaves nothing aside.
        votes.set(b, 0, 1);
        assert_eq!(votes.get(b, 0), Some(1));
        assert!(!votes.wide.contains_key(&votes.cell(b, 0)));
        assert_eq!((votes.cells(), a.len(), b.len()), (5, 3, 2));
    }

    #[test]
    fn the_sum_of_votes_is_none_on_overflow() {
        let mut votes = Votes::default();
        let a = votes.add(2).unwrap();
        votes.set(a, 0, u64::MAX - 1);
        votes.set(a, 1, 2);
        assert_eq!(votes.valid(a), None);
    }

    #[test]
    fn a_form_stays_small() {
        // Six million of them at a million stations: each byte is 6 MB.
        assert_eq!(std::mem::size_of::<Form>(), 96);
    }

    #[test]
    fn a_form_text_gives_back_its_fields() {
        let t = FormText::new("34A-1", "a/b.pdf", "KIEMS", "2022-08-09T20:00:00", None).unwrap();
        assert_eq!(
            t.parts(),
            ["34A-1", "a/b.pdf", "KIEMS", "2022-08-09T20:00:00", ""]
        );
        let t = FormText::new("", "", "", "", Some("ab")).unwrap();
        assert_eq!(t.parts(), ["", "", "", "", "ab"]);
        assert_eq!(Count::new(Some(0)).get(), Some(0));
        assert_eq!(Count::NONE.get(), None);
    }
}
