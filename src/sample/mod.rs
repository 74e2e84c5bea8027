//! `kura sample`: a deterministic, Kenya-shaped synthetic election — 47
//! counties, 290 constituencies, 1,450 wards (fewer when there are fewer
//! stations than wards), N polling stations, the six races of a Kenyan
//! general election, specimen scans, and a few planted problems.

mod files;
mod forms;
mod land;
pub mod specimen;
mod tree;

use std::path::Path;

use crate::error::{Error, Result};
use files::Folder;
use tree::Tree;

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "ki", "ma", "mu", "nya", "ra", "si", "wa", "to", "ne", "la", "go", "ri", "be", "zu",
    "ndi", "mbo", "ke", "chu", "lo", "ta", "ngo", "shi", "ye",
];

/// A made-up name of `min` to `min + spread` syllables.
fn name(rng: &mut Rng, min: u64, spread: u64) -> String {
    let syllables = min + rng.below(spread + 1);
    let mut s = String::new();
    for _ in 0..syllables {
        s.push_str(SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize]);
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

const PARTIES: &[(&str, &str)] = &[
    ("Umoja Party", "#d62728"),
    ("Jubilee Alliance", "#bcbd22"),
    ("Orange Movement", "#ff7f0e"),
    ("Green Democrats", "#2ca02c"),
    ("Wiper Front", "#1f77b4"),
    ("Roots Party", "#8c564b"),
    ("Safina & Allies", "#9467bd"),
    ("Independent", "#7f7f7f"),
];

/// (id prefix, race name, form type) of the six races.
const RACE_KINDS: &[(&str, &str, &str)] = &[
    ("president", "President", "34A"),
    ("governor", "Governor", "37A"),
    ("senator", "Senator", "38A"),
    ("woman-rep", "Woman Representative", "39A"),
    ("mp", "Member of the National Assembly", "35A"),
    ("mca", "Member of the County Assembly", "36A"),
];

struct Race {
    id: String,
    name: String,
    area: String,
    form_type: &'static str,
    /// (candidate id, party index, weight)
    candidates: Vec<(String, usize, f64)>,
}

struct Station {
    code: String,
    registered: u64,
    /// Races in scope: indices into the race list.
    races: Vec<usize>,
}

/// How many areas of each level the sample has.
struct Size {
    stations: usize,
    wards: usize,
    constituencies: usize,
    counties: usize,
}

impl Size {
    /// 47 counties, 290 constituencies and 1,450 wards, or fewer when
    /// there are fewer `stations` than that.
    fn new(stations: usize) -> Size {
        let wards = stations.min(1450);
        let constituencies = wards.min(290);
        let counties = constituencies.min(47);
        Size {
            stations,
            wards,
            constituencies,
            counties,
        }
    }
}

/// Writes a sample input folder. Returns a one-line summary. Without
/// `scans`, no scan files are written (for memory benchmarks at a million
/// stations, where six million small files would measure only the disk).
pub fn write(dir: &Path, stations: usize, seed: u64, scans: bool) -> Result<String> {
    if stations == 0 {
        return Err(Error::Other("--stations must be at least 1".into()));
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .next()
            .is_some()
    {
        return Err(Error::Other(format!(
            "{}: exists and is not empty; choose a new folder",
            dir.display()
        )));
    }
    let size = Size::new(stations);
    let mut rng = Rng(seed ^ 0x6b75_7261);
    let tree = Tree::grow(&mut rng, &size);
    let candidates_csv = tree.candidates_csv(&mut rng);
    let mut forms = forms::of_stations(&tree, seed, scans);
    forms::add_aggregates(&mut forms, &tree, scans);
    let planted = forms::plant(&mut forms, scans);

    let folder = Folder {
        dir,
        size: &size,
        seed,
        races: &tree.races,
        forms: &forms,
        planted: &planted,
    };
    folder.create()?;
    folder.config()?;
    folder.areas(&tree.areas)?;
    folder.put("boundaries.geojson", &tree.boundaries)?;
    folder.races()?;
    folder.put("candidates.csv", &candidates_csv)?;
    let scan_hashes = folder.scans()?;
    folder.forms_and_results(&scan_hashes)?;
    folder.about()?;
    Ok(format!(
        "wrote {}: {} counties, {} constituencies, {} wards, {stations} stations, {} races, {} forms; planted: {}",
        dir.display(),
        size.counties,
        size.constituencies,
        size.wards,
        tree.races.len(),
        forms.len(),
        planted.notes.join("; ")
    ))
}
