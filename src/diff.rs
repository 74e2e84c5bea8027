//! Comparing two published versions of a site from what a mirror has:
//! `data/*.csv`, `manifest.json` and `SHA256SUMS`. Used by `kura diff` and
//! by `kura build --previous` for the changes page and station histories.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::opendata::read::{self, FindingRow, FormRow};
use crate::publish::manifest;
use crate::sums::SUMS;

/// One version, as far as a diff needs it.
pub struct Snapshot {
    pub version: Option<String>,
    pub published: Option<String>,
    forms: BTreeMap<String, FormRow>,
    results: BTreeMap<String, BTreeMap<String, u64>>,
    totals: BTreeMap<(String, String, String), u64>,
    findings: Vec<FindingRow>,
    /// Areas, races and candidates by key, with their published values;
    /// `None` when the site does not publish the file.
    areas: Option<Records>,
    races: Option<Records>,
    candidates: Option<Records>,
    /// Path → sha256 from SHA256SUMS, when the site has one.
    files: Option<BTreeMap<String, String>>,
    /// The version ids of the chain before this version (versions.json).
    pub chain: Vec<String>,
}

/// Published records (areas, races, candidates) by key: each value by
/// column name.
type Records = BTreeMap<String, Vec<(&'static str, String)>>;

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
                record(&row[..5], 1, &["name", "parent", "level", "registered"])
            })
            .collect();
        let races = od::race_rows(el)
            .map(|row| record(&row, 1, &["name", "area"]))
            .collect();
        let candidates = od::candidate_rows(el)
            .map(|row| record(&row, 2, &["name", "party", "color"]))
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
            areas: records(
                site,
                "areas.csv",
                &["code"],
                &["name", "parent", "level", "registered"],
            )?,
            races: records(site, "races.csv", &["id"], &["name", "area"])?,
            candidates: records(
                site,
                "candidates.csv",
                &["race", "id"],
                &["name", "party", "color"],
            )?,
            chain,
            forms: read::forms(site)?,
            results: read::results(site)?,
            totals: read::totals(site, &inner)?,
            findings: read::findings(site)?,
            files,
        })
    }
}

/// What changed in version `seq` (1 is the first version published).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionChanges {
    pub seq: usize,
    pub published: String,
    /// The version id this one follows.
    pub previous: Option<String>,
    pub changes: Changes,
}

/// A version's identity in a diff.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub version: Option<String>,
    pub published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormRef {
    pub form: String,
    pub area: String,
    pub race: String,
}

/// One value of a form (or a record) that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub field: FieldName,
    pub before: String,
    pub after: String,
}

/// Which value changed. Published (in `kura diff --json` and a version's
/// changes) as text: `votes:<candidate>`, `valid` (sum of the lines),
/// `rejected`, `total_valid`, `status`, `scan` (its path,
/// `scans/<sha256>.<ext>`), `sha256` (declared, while there is no scan
/// file), `area`, `race`, `device`, `captured_at`, or another column of a
/// published record (`name`, `parent`, `party`, …).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum FieldName {
    /// A candidate's votes, by candidate id.
    Votes(String),
    Valid,
    Rejected,
    TotalValid,
    Status,
    Scan,
    Sha256,
    Area,
    Race,
    Device,
    CapturedAt,
    /// Another column of a published record (areas, races, candidates).
    Column(String),
}

impl FieldName {
    const NAMED: [(FieldName, &'static str); 10] = [
        (FieldName::Valid, "valid"),
        (FieldName::Rejected, "rejected"),
        (FieldName::TotalValid, "total_valid"),
        (FieldName::Status, "status"),
        (FieldName::Scan, "scan"),
        (FieldName::Sha256, "sha256"),
        (FieldName::Area, "area"),
        (FieldName::Race, "race"),
        (FieldName::Device, "device"),
        (FieldName::CapturedAt, "captured_at"),
    ];
}

impl From<String> for FieldName {
    fn from(name: String) -> FieldName {
        if let Some(c) = name.strip_prefix("votes:") {
            return FieldName::Votes(c.to_string());
        }
        FieldName::NAMED
            .into_iter()
            .find(|(_, n)| *n == name)
            .map_or(FieldName::Column(name), |(f, _)| f)
    }
}

impl From<FieldName> for String {
    fn from(f: FieldName) -> String {
        f.to_string()
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldName::Votes(c) => write!(f, "votes:{c}"),
            FieldName::Column(c) => f.write_str(c),
            named => f.write_str(
                FieldName::NAMED
                    .iter()
                    .find(|(n, _)| n == named)
                    .map_or("", |(_, s)| s),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormChange {
    pub form: String,
    pub area: String,
    pub race: String,
    pub changes: Vec<Field>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormChanges {
    pub added: Vec<FormRef>,
    pub removed: Vec<FormRef>,
    pub changed: Vec<FormChange>,
}

/// A total of an area (not a polling station) that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalChange {
    pub area: String,
    pub race: String,
    pub candidate: String,
    pub before: u64,
    pub after: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingChanges {
    pub appeared: Vec<FindingRow>,
    pub resolved: Vec<FindingRow>,
}

/// An area, race or candidate whose published values changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordChange {
    /// The area's code, the race's id, or `<race>/<candidate>`.
    pub id: String,
    pub changes: Vec<Field>,
}

/// Areas, races or candidates added, removed and changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<RecordChange>,
}

impl RecordChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    fn between(old: &Option<Records>, new: &Option<Records>) -> RecordChanges {
        let (Some(old), Some(new)) = (old, new) else {
            return RecordChanges::default();
        };
        let mut out = RecordChanges::default();
        for (id, after) in new {
            let Some(before) = old.get(id) else {
                out.added.push(id.clone());
                continue;
            };
            let mut changes = Vec::new();
            for ((name, b), (_, a)) in before.iter().zip(after) {
                field(&mut changes, FieldName::from(name.to_string()), b, a);
            }
            if !changes.is_empty() {
                out.changed.push(RecordChange {
                    id: id.clone(),
                    changes,
                });
            }
        }
        out.removed = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

/// Everything that changed between two versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub old: Side,
    pub new: Side,
    pub forms: FormChanges,
    /// Areas (name, parent, level, registered voters), races (name, area)
    /// and candidates (name, party, colour). Absent from the changes of
    /// versions built before kura compared them.
    #[serde(default)]
    pub areas: RecordChanges,
    #[serde(default)]
    pub races: RecordChanges,
    #[serde(default)]
    pub candidates: RecordChanges,
    pub totals: Vec<TotalChange>,
    pub findings: FindingChanges,
    /// File-level summary; absent while the new version is being built.
    pub files: Option<FileChanges>,
}

impl Changes {
    /// Whether anything at all differs.
    pub fn is_empty(&self) -> bool {
        self.forms.added.is_empty()
            && self.forms.removed.is_empty()
            && self.forms.changed.is_empty()
            && self.areas.is_empty()
            && self.races.is_empty()
            && self.candidates.is_empty()
            && self.totals.is_empty()
            && self.findings.appeared.is_empty()
            && self.findings.resolved.is_empty()
            && self
                .files
                .as_ref()
                .is_none_or(|f| f.added.is_empty() && f.removed.is_empty() && f.changed.is_empty())
    }
}

fn form_ref(form: &str, row: &FormRow) -> FormRef {
    FormRef {
        form: form.to_string(),
        area: row.area.clone(),
        race: row.race.clone(),
    }
}

fn field(out: &mut Vec<Field>, name: FieldName, before: &str, after: &str) {
    if before != after {
        out.push(Field {
            field: name,
            before: before.to_string(),
            after: after.to_string(),
        });
    }
}

/// Compares two versions.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Changes {
    let mut forms = FormChanges::default();
    let empty = BTreeMap::new();
    for (id, row) in &new.forms {
        let Some(before) = old.forms.get(id) else {
            forms.added.push(form_ref(id, row));
            continue;
        };
        let mut changes = Vec::new();
        let (vb, va) = (
            old.results.get(id).unwrap_or(&empty),
            new.results.get(id).unwrap_or(&empty),
        );
        let candidates: BTreeSet<&String> = vb.keys().chain(va.keys()).collect();
        for c in candidates {
            let show = |v: Option<&u64>| v.map(u64::to_string).unwrap_or_default();
            field(
                &mut changes,
                FieldName::Votes(c.to_string()),
                &show(vb.get(c)),
                &show(va.get(c)),
            );
        }
        let sum = |m: &BTreeMap<String, u64>| {
            m.values()
                .fold(0u64, |a, v| a.saturating_add(*v))
                .to_string()
        };
        field(&mut changes, FieldName::Valid, &sum(vb), &sum(va));
        field(
            &mut changes,
            FieldName::Rejected,
            &before.rejected,
            &row.rejected,
        );
        field(
            &mut changes,
            FieldName::TotalValid,
            &before.total_valid,
            &row.total_valid,
        );
        field(&mut changes, FieldName::Status, &before.status, &row.status);
        // The scan's published path carries its SHA-256; a scan declared but
        // not (yet) present has only its declared hash.
        field(&mut changes, FieldName::Scan, &before.scan, &row.scan);
        if before.scan.is_empty() && row.scan.is_empty() {
            field(&mut changes, FieldName::Sha256, &before.sha256, &row.sha256);
        }
        field(&mut changes, FieldName::Area, &before.area, &row.area);
        field(&mut changes, FieldName::Race, &before.race, &row.race);
        field(&mut changes, FieldName::Device, &before.device, &row.device);
        field(
            &mut changes,
            FieldName::CapturedAt,
            &before.captured_at,
            &row.captured_at,
        );
        if !changes.is_empty() {
            forms.changed.push(FormChange {
                form: id.clone(),
                area: row.area.clone(),
                race: row.race.clone(),
                changes,
            });
        }
    }
    for (id, row) in &old.forms {
        if !new.forms.contains_key(id) {
            forms.removed.push(form_ref(id, row));
        }
    }
    let mut totals = Vec::new();
    let keys: BTreeSet<&(String, String, String)> =
        old.totals.keys().chain(new.totals.keys()).collect();
    for key in keys {
        let (b, a) = (old.totals.get(key).copied(), new.totals.get(key).copied());
        if b != a {
            totals.push(TotalChange {
                area: key.0.clone(),
                race: key.1.clone(),
                candidate: key.2.clone(),
                before: b.unwrap_or(0),
                after: a.unwrap_or(0),
            });
        }
    }
    let old_f: BTreeSet<&FindingRow> = old.findings.iter().collect();
    let new_f: BTreeSet<&FindingRow> = new.findings.iter().collect();
    let findings = FindingChanges {
        appeared: new_f.difference(&old_f).map(|f| (*f).clone()).collect(),
        resolved: old_f.difference(&new_f).map(|f| (*f).clone()).collect(),
    };
    let files = match (&old.files, &new.files) {
        (Some(o), Some(n)) => Some(FileChanges {
            added: n.keys().filter(|p| !o.contains_key(*p)).cloned().collect(),
            removed: o.keys().filter(|p| !n.contains_key(*p)).cloned().collect(),
            changed: n
                .iter()
                .filter(|(p, sha)| o.get(*p).is_some_and(|s| s != *sha))
                .map(|(p, _)| p.clone())
                .collect(),
        }),
        _ => None,
    };
    Changes {
        old: Side {
            version: old.version.clone(),
            published: old.published.clone(),
        },
        new: Side {
            version: new.version.clone(),
            published: new.published.clone(),
        },
        forms,
        areas: RecordChanges::between(&old.areas, &new.areas),
        races: RecordChanges::between(&old.races, &new.races),
        candidates: RecordChanges::between(&old.candidates, &new.candidates),
        totals,
        findings,
        files,
    }
}

fn short(s: &Option<String>) -> String {
    s.as_deref()
        .map(|v| v[..v.len().min(12)].to_string())
        .unwrap_or_else(|| "?".into())
}

/// Shows a value, `(none)` for empty.
fn shown(v: &str) -> &str {
    if v.is_empty() { "(none)" } else { v }
}

/// Text for a terminal, one line at a time: whatever a line shows from the
/// input is escaped ([`crate::term::clean`]), so a value cannot break the
/// line or send escape sequences.
struct Lines(String);

impl Lines {
    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> std::fmt::Result {
        let line = args.to_string();
        let body = line.strip_suffix('\n').unwrap_or(&line);
        self.0.push_str(&crate::term::clean(body));
        self.0.push('\n');
        Ok(())
    }
}

/// The diff as text for a terminal.
pub fn to_text(c: &Changes) -> String {
    let mut s = Lines(String::new());
    let _ = writeln!(
        s,
        "old version {} ({}) → new version {} ({})",
        short(&c.old.version),
        c.old.published.as_deref().unwrap_or("?"),
        short(&c.new.version),
        c.new.published.as_deref().unwrap_or("?")
    );
    if !c.forms.added.is_empty() {
        let _ = writeln!(s, "forms added ({}):", c.forms.added.len());
        for f in &c.forms.added {
            let _ = writeln!(s, "  + {} (area {}, race {})", f.form, f.area, f.race);
        }
    }
    if !c.forms.removed.is_empty() {
        let _ = writeln!(s, "forms removed ({}):", c.forms.removed.len());
        for f in &c.forms.removed {
            let _ = writeln!(s, "  - {} (area {}, race {})", f.form, f.area, f.race);
        }
    }
    if !c.forms.changed.is_empty() {
        let _ = writeln!(s, "forms changed ({}):", c.forms.changed.len());
        for f in &c.forms.changed {
            let _ = writeln!(s, "  ~ {} (area {}, race {})", f.form, f.area, f.race);
            for x in &f.changes {
                let _ = writeln!(
                    s,
                    "      {}: {} → {}",
                    x.field,
                    shown(&x.before),
                    shown(&x.after)
                );
            }
        }
    }
    for (what, r) in [
        ("areas", &c.areas),
        ("races", &c.races),
        ("candidates", &c.candidates),
    ] {
        if !r.added.is_empty() {
            let _ = writeln!(s, "{what} added ({}):", r.added.len());
            for id in &r.added {
                let _ = writeln!(s, "  + {id}");
            }
        }
        if !r.removed.is_empty() {
            let _ = writeln!(s, "{what} removed ({}):", r.removed.len());
            for id in &r.removed {
                let _ = writeln!(s, "  - {id}");
            }
        }
        if !r.changed.is_empty() {
            let _ = writeln!(s, "{what} changed ({}):", r.changed.len());
            for x in &r.changed {
                let _ = writeln!(s, "  ~ {}", x.id);
                for f in &x.changes {
                    let _ = writeln!(
                        s,
                        "      {}: {} → {}",
                        f.field,
                        shown(&f.before),
                        shown(&f.after)
                    );
                }
            }
        }
    }
    if !c.totals.is_empty() {
        let _ = writeln!(s, "totals changed ({}):", c.totals.len());
        for t in &c.totals {
            let _ = writeln!(
                s,
                "  {} {} {}: {} → {}",
                t.area, t.race, t.candidate, t.before, t.after
            );
        }
    }
    for (title, list, mark) in [
        ("findings appeared", &c.findings.appeared, '+'),
        ("findings resolved", &c.findings.resolved, '-'),
    ] {
        if !list.is_empty() {
            let _ = writeln!(s, "{title} ({}):", list.len());
            for f in list {
                let form = if f.form.is_empty() { "-" } else { &f.form };
                let _ = writeln!(
                    s,
                    "  {mark} {} {} {} {} {form}: {}",
                    f.severity, f.check, f.area, f.race, f.detail
                );
            }
        }
    }
    if let Some(files) = &c.files {
        let _ = writeln!(
            s,
            "files: {} added, {} removed, {} changed",
            files.added.len(),
            files.removed.len(),
            files.changed.len()
        );
    }
    if c.is_empty() {
        let _ = writeln!(s, "no differences");
    }
    s.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_name_is_published_as_the_text_it_always_was() {
        for text in [
            "votes:odinga",
            "valid",
            "total_valid",
            "captured_at",
            "scan",
            "name",
            "party",
        ] {
            let f = FieldName::from(text.to_string());
            assert_eq!(f.to_string(), text);
            assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{text}\""));
        }
        assert_eq!(
            FieldName::from("votes:a".to_string()),
            FieldName::Votes("a".into())
        );
        assert_eq!(FieldName::from("scan".to_string()), FieldName::Scan);
        assert_eq!(
            FieldName::from("party".to_string()),
            FieldName::Column("party".into())
        );
    }
}
