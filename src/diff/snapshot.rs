//! One version's open data as a diff needs it: read from a published site
//! (`kura diff`, the previous version of a build) or made in memory from
//! an election (the version being built).

use std::collections::BTreeMap;
use std::path::Path;

use crate::opendata::read::{self, FindingRow, FormRow};
use crate::publish::manifest;
use crate::sums::SUMS;

/// One version, as far as a diff needs it.
pub struct Snapshot {
    pub version: Option<String>,
    pub published: Option<String>,
    pub(super) forms: BTreeMap<String, FormRow>,
    pub(super) results: BTreeMap<String, BTreeMap<String, u64>>,
    pub(super) totals: BTreeMap<(String, String, String), u64>,
    pub(super) findings: Vec<FindingRow>,
    /// Areas, races and candidates by key, with their published values;
    /// `None` when the site does not publish the file.
    pub(super) areas: Option<Records>,
    pub(super) races: Option<Records>,
    pub(super) candidates: Option<Records>,
    /// Path → sha256 from SHA256SUMS, when the site has one.
    pub(super) files: Option<BTreeMap<String, String>>,
    /// The version ids of the chain before this version (versions.json).
    pub chain: Vec<String>,
}

/// Published records (areas, races, candidates) by key: each value by
/// column name.
/// The columns that key an area, race and candidate record, and the
/// values compared (as [`crate::opendata`] writes them, in its column
/// order): one list for a snapshot read from a site and one made in memory.
const AREA_KEY: &[&str] = &["code"];
const AREA_VALUES: &[&str] = &["name", "parent", "level", "registered"];
const RACE_KEY: &[&str] = &["id"];
const RACE_VALUES: &[&str] = &["name", "area"];
const CANDIDATE_KEY: &[&str] = &["race", "id"];
const CANDIDATE_VALUES: &[&str] = &["name", "party", "color"];

pub(super) type Records = BTreeMap<String, Vec<(&'static str, String)>>;

/// Reads `data/<file>` into [`Records`] keyed by the `key` columns joined
/// with `/` (codes cannot contain one); `None` when the file is absent.
fn records(
    site: &Path,
    file: &str,
    key: &[&'static str],
    values: &[&'static str],
) -> Result<Option<Records>, String> {
    let path = site.join("data").join(file);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let columns: Vec<&str> = key.iter().chain(values).copied().collect();
    let mut out = Records::new();
    read::rows(&path, &columns, |mut r| {
        let id = r[..key.len()].join("/");
        let vals = values
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, std::mem::take(&mut r[key.len() + i])))
            .collect();
        out.insert(id, vals);
    })?;
    Ok(Some(out))
}

impl Snapshot {
    /// The open data of an election as a build publishes it, made from the
    /// same rows its CSV files are written from (no `SHA256SUMS`, version
    /// or chain: the caller adds what it knows).
    pub fn of(
        el: &crate::model::Election,
        tally: &crate::tally::Tally,
        findings: &[crate::check::Finding],
    ) -> Snapshot {
        use crate::opendata as od;
        let mut forms = BTreeMap::new();
        let mut results: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for f in 0..el.forms.len() {
            let (id, row) = od::form_row(el, f);
            let votes: BTreeMap<String, u64> = od::result_rows(el, f)
                .map(|(c, v)| (c.to_string(), v))
                .collect();
            if !votes.is_empty() {
                results.insert(id.to_string(), votes);
            }
            forms.insert(id.to_string(), row);
        }
        let mut totals = BTreeMap::new();
        for a in (0..el.areas.len()).filter(|&a| !el.areas[a].is_station()) {
            for rt in tally.all(el, a) {
                let race = &el.races[rt.race];
                for (p, &c) in race.candidates.iter().enumerate() {
                    let key = (
                        el.areas[a].code.clone(),
                        race.id.clone(),
                        el.candidates[c].id.clone(),
                    );
                    totals.insert(key, rt.votes[p]);
                }
            }
        }
        let record = |row: &[String], key: usize, names: &[&'static str]| {
            let values = names.iter().zip(&row[key..]);
            (
                row[..key].join("/"),
                values.map(|(n, v)| (*n, v.clone())).collect::<Vec<_>>(),
            )
        };
        let areas = (0..el.areas.len())
            .map(|a| {
                let row = od::area_row(el, a);
                record(&row[..5], AREA_KEY.len(), AREA_VALUES)
            })
            .collect();
        let races = od::race_rows(el)
            .map(|row| record(&row, RACE_KEY.len(), RACE_VALUES))
            .collect();
        let candidates = od::candidate_rows(el)
            .map(|row| record(&row, CANDIDATE_KEY.len(), CANDIDATE_VALUES))
            .collect();
        Snapshot {
            version: None,
            published: None,
            forms,
            results,
            totals,
            findings: findings.iter().map(|f| od::finding_row(el, f)).collect(),
            areas: Some(areas),
            races: Some(races),
            candidates: Some(candidates),
            files: None,
            chain: Vec::new(),
        }
    }

    /// Whether two snapshots hold the same open data (forms, results,
    /// totals, findings, areas, races and candidates), whatever else they
    /// know of their versions.
    pub fn same_data(&self, other: &Snapshot) -> bool {
        self.forms == other.forms
            && self.results == other.results
            && self.totals == other.totals
            && self.findings == other.findings
            && self.areas == other.areas
            && self.races == other.races
            && self.candidates == other.candidates
    }

    /// Reads a published site folder (or a staging folder without SHA256SUMS).
    pub fn read(site: &Path) -> Result<Snapshot, String> {
        if !site.is_dir() {
            return Err(format!("{}: not a folder", site.display()));
        }
        let (inner, _) = read::area_kinds(site)?;
        let manifest: Option<manifest::Manifest> =
            manifest::read_json(&site.join("manifest.json")).ok();
        let (files, version) = match crate::fsx::read(&site.join(SUMS)) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let (entries, _) = crate::sums::parse(&text);
                let files = entries.into_iter().map(|(sha, path)| (path, sha)).collect();
                (Some(files), Some(crate::sums::version_id(&bytes)))
            }
            Err(_) => (None, None),
        };
        let chain = manifest::read_json::<manifest::Versions>(&site.join("versions.json"))
            .map(|v| v.versions.into_iter().map(|x| x.id).collect())
            .unwrap_or_default();
        Ok(Snapshot {
            version,
            published: manifest.map(|m| m.published),
            areas: records(site, "areas.csv", AREA_KEY, AREA_VALUES)?,
            races: records(site, "races.csv", RACE_KEY, RACE_VALUES)?,
            candidates: records(site, "candidates.csv", CANDIDATE_KEY, CANDIDATE_VALUES)?,
            chain,
            forms: read::forms(site)?,
            results: read::results(site)?,
            totals: read::totals(site, &inner)?,
            findings: read::findings(site)?,
            files,
        })
    }
}
