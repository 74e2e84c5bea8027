//! Comparing two published versions of a site from what a mirror has:
//! `data/*.csv`, `manifest.json` and `SHA256SUMS`. Used by `kura diff` and
//! by `kura build --previous` for the changes page and station histories.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::opendata::read::{FindingRow, FormRow};

mod snapshot;
mod text;

use snapshot::Records;
pub use snapshot::Snapshot;
pub use text::to_text;

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
        forms: form_changes(old, new),
        areas: RecordChanges::between(&old.areas, &new.areas),
        races: RecordChanges::between(&old.races, &new.races),
        candidates: RecordChanges::between(&old.candidates, &new.candidates),
        totals: total_changes(old, new),
        findings,
        files,
    }
}

/// Forms added, removed, and changed (each value that changed).
fn form_changes(old: &Snapshot, new: &Snapshot) -> FormChanges {
    let mut forms = FormChanges::default();
    for (id, row) in &new.forms {
        let Some(before) = old.forms.get(id) else {
            forms.added.push(form_ref(id, row));
            continue;
        };
        let changes = form_fields(old, new, id, before, row);
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
    forms
}

/// The values of form `id` that differ between two versions: its votes
/// (by candidate), their sum, and its other columns.
fn form_fields(
    old: &Snapshot,
    new: &Snapshot,
    id: &str,
    before: &FormRow,
    row: &FormRow,
) -> Vec<Field> {
    let empty = BTreeMap::new();
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
    // The scan's published path carries its SHA-256; a scan declared but
    // not (yet) present has only its declared hash.
    let sha256 = before.scan.is_empty() && row.scan.is_empty();
    for (name, b, a) in [
        (FieldName::Rejected, &before.rejected, &row.rejected),
        (FieldName::TotalValid, &before.total_valid, &row.total_valid),
        (FieldName::Status, &before.status, &row.status),
        (FieldName::Scan, &before.scan, &row.scan),
        (FieldName::Sha256, &before.sha256, &row.sha256),
        (FieldName::Area, &before.area, &row.area),
        (FieldName::Race, &before.race, &row.race),
        (FieldName::Device, &before.device, &row.device),
        (FieldName::CapturedAt, &before.captured_at, &row.captured_at),
    ] {
        if name != FieldName::Sha256 || sha256 {
            field(&mut changes, name, b, a);
        }
    }
    changes
}

/// The totals of areas above the stations that changed.
fn total_changes(old: &Snapshot, new: &Snapshot) -> Vec<TotalChange> {
    let keys: BTreeSet<&(String, String, String)> =
        old.totals.keys().chain(new.totals.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (b, a) = (old.totals.get(key).copied(), new.totals.get(key).copied());
            (b != a).then(|| TotalChange {
                area: key.0.clone(),
                race: key.1.clone(),
                candidate: key.2.clone(),
                before: b.unwrap_or(0),
                after: a.unwrap_or(0),
            })
        })
        .collect()
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
