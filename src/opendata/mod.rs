//! The published CSV schema, in one place: written by the build, read by
//! `kura diff`. Each file's rows are made once, here, from the election
//! (the `*_row` functions): the CSV writers write them, and the build's
//! in-memory [`crate::diff::Snapshot`] is made of the same rows, so what a
//! build compares is what it publishes. Rows are sorted so the files do not
//! depend on the order of the input's rows.

use std::io::Write;

pub mod nist;
pub mod per_area;

use crate::check::Finding;
use crate::model::{AreaIx, Election, FormIx};
use crate::paths;
use crate::tally::Tally;

pub const AREAS: &[&str] = &["code", "name", "parent", "level", "registered", "url"];
pub const FORMS: &[&str] = &[
    "form",
    "area",
    "race",
    "status",
    "rejected",
    "total_valid",
    "scan",
    "sha256",
    "device",
    "captured_at",
];
pub const RESULTS: &[&str] = &["form", "candidate", "votes"];
pub const TOTALS: &[&str] = &["area", "race", "candidate", "votes"];
pub const SUMMARY: &[&str] = &[
    "area",
    "race",
    "stations",
    "reporting",
    "registered",
    "valid",
    "rejected",
];
pub const FINDINGS: &[&str] = &["severity", "check", "area", "race", "form", "detail"];
pub const RACES: &[&str] = &["id", "name", "area"];
pub const CANDIDATES: &[&str] = &["race", "id", "name", "party", "color"];

/// A CSV writer with the house settings: LF line ends, quoting only where needed.
pub fn writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

fn opt(n: Option<u64>) -> String {
    n.map(|v| v.to_string()).unwrap_or_default()
}

/// A row of `areas.csv`, in [`AREAS`] order.
pub fn area_row(el: &Election, a: AreaIx) -> [String; 6] {
    let area = &el.areas[a];
    [
        area.code.clone(),
        area.name.clone(),
        area.parent
            .map(|p| el.areas[p].code.clone())
            .unwrap_or_default(),
        el.level_name(a).to_string(),
        opt(area.registered),
        paths::area(el, a),
    ]
}

pub fn areas<W: Write>(el: &Election, w: W) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(AREAS)?;
    for a in 0..el.areas.len() {
        out.write_record(area_row(el, a))?;
    }
    out.flush()?;
    Ok(())
}

/// Forms sorted by id (on every core: six million at India's size, and
/// the open data waits for it; ids are unique, the index breaks any tie).
pub fn form_order(el: &Election) -> Vec<usize> {
    use rayon::prelude::*;
    let mut order: Vec<usize> = (0..el.forms.len()).collect();
    order.par_sort_unstable_by(|&a, &b| el.forms[a].id().cmp(el.forms[b].id()).then(a.cmp(&b)));
    order
}

/// Room to write one row of `forms.csv` in without a string per field.
#[derive(Default)]
pub struct FormFields {
    scan: String,
    rejected: itoa::Buffer,
    total_valid: itoa::Buffer,
}

impl FormFields {
    /// Form `f`'s row of `forms.csv`, in [`FORMS`] order.
    pub fn of<'a>(&'a mut self, el: &'a Election, f: FormIx) -> [&'a str; 10] {
        let form = &el.forms[f];
        self.scan.clear();
        let sha256 = match &form.scan {
            Some(s) => {
                self.scan.push_str(&s.site_path());
                s.sha256.as_str()
            }
            None => form.declared_sha256().unwrap_or_default(),
        };
        [
            form.id(),
            &el.areas[form.area].code,
            &el.races[form.race].id,
            form.status.as_str(),
            form.rejected().map_or("", |n| self.rejected.format(n)),
            form.total_valid()
                .map_or("", |n| self.total_valid.format(n)),
            &self.scan,
            sha256,
            form.device(),
            form.captured_at(),
        ]
    }
}

/// A row of `forms.csv`: the form's id and the rest of its columns.
pub fn form_row(el: &Election, f: FormIx) -> (&str, read::FormRow) {
    let mut fields = FormFields::default();
    let [
        _,
        area,
        race,
        status,
        rejected,
        total_valid,
        scan,
        sha256,
        device,
        captured_at,
    ] = fields.of(el, f).map(str::to_string);
    let row = read::FormRow {
        area,
        race,
        status,
        rejected,
        total_valid,
        scan,
        sha256,
        device,
        captured_at,
    };
    (el.forms[f].id(), row)
}

/// `forms.csv` (a million stations have six million forms: no string is
/// made per field).
pub fn forms<W: Write>(el: &Election, order: &[usize], w: W) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(FORMS)?;
    let mut fields = FormFields::default();
    for &f in order {
        out.write_record(fields.of(el, f))?;
    }
    out.flush()?;
    Ok(())
}

/// The rows of `results.csv` of one form: (candidate id, votes) for each
/// line the form has.
pub fn result_rows(el: &Election, f: FormIx) -> impl Iterator<Item = (&str, u64)> {
    let form = &el.forms[f];
    let race = &el.races[form.race];
    el.votes
        .of(form.votes)
        .enumerate()
        .filter_map(move |(p, v)| v.map(|v| (el.candidates[race.candidates[p]].id.as_str(), v)))
}

pub fn results<W: Write>(el: &Election, order: &[usize], w: W) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(RESULTS)?;
    let mut n = itoa::Buffer::new();
    for &f in order {
        for (candidate, votes) in result_rows(el, f) {
            out.write_record([el.forms[f].id(), candidate, n.format(votes)])?;
        }
    }
    out.flush()?;
    Ok(())
}

/// totals.csv and summary.csv in one pass over the tree.
pub fn totals_and_summary<W: Write, V: Write>(
    el: &Election,
    tally: &Tally,
    totals: W,
    summary: V,
) -> csv::Result<()> {
    let mut t = writer(totals);
    let mut s = writer(summary);
    t.write_record(TOTALS)?;
    s.write_record(SUMMARY)?;
    let mut n: [itoa::Buffer; 5] = Default::default();
    for a in 0..el.areas.len() {
        let code = &el.areas[a].code;
        for rt in tally.all(el, a) {
            let race = &el.races[rt.race];
            for (p, &c) in race.candidates.iter().enumerate() {
                let votes = n[0].format(rt.votes[p]);
                t.write_record([code, &race.id, &el.candidates[c].id, votes])?;
            }
            let [stations, reporting, registered, valid, rejected] = &mut n;
            s.write_record([
                code,
                &race.id,
                stations.format(rt.stations),
                reporting.format(rt.reporting),
                registered.format(rt.registered),
                valid.format(rt.valid),
                rejected.format(rt.rejected),
            ])?;
        }
    }
    t.flush()?;
    s.flush()?;
    Ok(())
}

/// A row of `findings.csv`, with the finding's phrases (which the file
/// does not carry) for wording it in other languages.
pub fn finding_row(el: &Election, f: &Finding) -> read::FindingRow {
    read::FindingRow {
        severity: f.severity.as_str().to_string(),
        check: f.check.as_str().to_string(),
        area: el.areas[f.area].code.clone(),
        race: el.races[f.race].id.clone(),
        form: f
            .form()
            .map(|x| el.forms[x].id().to_string())
            .unwrap_or_default(),
        detail: f.detail(),
        parts: Some(f.parts.to_vec()),
    }
}

pub fn findings<W: Write>(el: &Election, findings: &[Finding], w: W) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(FINDINGS)?;
    for f in findings {
        let r = finding_row(el, f);
        out.write_record([&r.severity, &r.check, &r.area, &r.race, &r.form, &r.detail])?;
    }
    out.flush()?;
    Ok(())
}

/// The rows of `races.csv`, in [`RACES`] order.
pub fn race_rows(el: &Election) -> impl Iterator<Item = [String; 3]> {
    el.races
        .iter()
        .map(|r| [r.id.clone(), r.name.clone(), el.areas[r.area].code.clone()])
}

pub fn races<W: Write>(el: &Election, w: W) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(RACES)?;
    for row in race_rows(el) {
        out.write_record(row)?;
    }
    out.flush()?;
    Ok(())
}

/// The rows of `candidates.csv`, in [`CANDIDATES`] order.
pub fn candidate_rows(el: &Election) -> impl Iterator<Item = [String; 5]> {
    el.races.iter().flat_map(move |r| {
        r.candidates.iter().map(move |&c| {
            let c = &el.candidates[c];
            [
                r.id.clone(),
                c.id.clone(),
                c.name.clone(),
                c.party.clone(),
                c.color.clone().unwrap_or_default(),
            ]
        })
    })
}

pub fn candidates<W: Write>(el: &Election, w: W) -> csv::Result<()> {
    let mut out = writer(w);
    out.write_record(CANDIDATES)?;
    for row in candidate_rows(el) {
        out.write_record(row)?;
    }
    out.flush()?;
    Ok(())
}

/// Reading published open data back (for `kura diff` and `--previous`).
pub mod read {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// A row of data/forms.csv, by column name.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct FormRow {
        pub area: String,
        pub race: String,
        pub status: String,
        pub rejected: String,
        pub total_valid: String,
        pub scan: String,
        pub sha256: String,
        pub device: String,
        pub captured_at: String,
    }

    /// A row of data/findings.csv; read back from a published site, it has
    /// no `parts` (the file is in English), and two rows are the same
    /// finding whatever their parts.
    #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    pub struct FindingRow {
        pub severity: String,
        pub check: String,
        pub area: String,
        pub race: String,
        pub form: String,
        pub detail: String,
        /// The phrases of the detail, to word it in every language; known
        /// for findings of the version being built.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub parts: Option<Vec<crate::check::Part>>,
    }

    impl FindingRow {
        fn key(&self) -> [&str; 6] {
            [
                &self.severity,
                &self.check,
                &self.area,
                &self.race,
                &self.form,
                &self.detail,
            ]
        }
    }

    impl PartialEq for FindingRow {
        fn eq(&self, other: &Self) -> bool {
            self.key() == other.key()
        }
    }

    impl Eq for FindingRow {}

    impl PartialOrd for FindingRow {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for FindingRow {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.key().cmp(&other.key())
        }
    }

    /// Reads a published CSV, calling `each` with the values of `columns` per row.
    pub fn rows(
        path: &Path,
        columns: &[&str],
        mut each: impl FnMut(Vec<String>),
    ) -> Result<(), String> {
        let file = crate::fsx::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut reader =
            csv::ReaderBuilder::new().from_reader(std::io::BufReader::with_capacity(1 << 16, file));
        let headers = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .clone();
        let idx: Vec<usize> = columns
            .iter()
            .map(|c| {
                headers
                    .iter()
                    .position(|h| h == *c)
                    .ok_or_else(|| format!("{}: no column '{c}'", path.display()))
            })
            .collect::<Result<_, _>>()?;
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => each(
                    idx.iter()
                        .map(|&i| record.get(i).unwrap_or("").to_string())
                        .collect(),
                ),
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
    }

    pub fn forms(site: &Path) -> Result<BTreeMap<String, FormRow>, String> {
        let mut out = BTreeMap::new();
        rows(&site.join("data/forms.csv"), super::FORMS, |mut r| {
            let mut take = |i: usize| std::mem::take(&mut r[i]);
            let form = take(0);
            out.insert(
                form,
                FormRow {
                    area: take(1),
                    race: take(2),
                    status: take(3),
                    rejected: take(4),
                    total_valid: take(5),
                    scan: take(6),
                    sha256: take(7),
                    device: take(8),
                    captured_at: take(9),
                },
            );
        })?;
        Ok(out)
    }

    /// Votes per form and candidate.
    pub fn results(site: &Path) -> Result<BTreeMap<String, BTreeMap<String, u64>>, String> {
        let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut bad = None;
        rows(
            &site.join("data/results.csv"),
            super::RESULTS,
            |r| match r[2].parse() {
                Ok(v) => {
                    out.entry(r[0].clone()).or_default().insert(r[1].clone(), v);
                }
                Err(_) => {
                    bad = Some(format!(
                        "data/results.csv: votes '{}' is not a number",
                        r[2]
                    ))
                }
            },
        )?;
        bad.map_or(Ok(out), Err)
    }

    /// Codes of the areas that are not polling stations, and of those that are.
    pub fn area_kinds(
        site: &Path,
    ) -> Result<
        (
            std::collections::BTreeSet<String>,
            std::collections::BTreeSet<String>,
        ),
        String,
    > {
        let mut codes = Vec::new();
        let mut parents = std::collections::BTreeSet::new();
        rows(&site.join("data/areas.csv"), &["code", "parent"], |r| {
            if !r[1].is_empty() {
                parents.insert(r[1].clone());
            }
            codes.push(r[0].clone());
        })?;
        let stations = codes.into_iter().filter(|c| !parents.contains(c)).collect();
        Ok((parents, stations))
    }

    /// Totals of the areas in `areas` (stations' totals are their forms' numbers).
    pub fn totals(
        site: &Path,
        areas: &std::collections::BTreeSet<String>,
    ) -> Result<BTreeMap<(String, String, String), u64>, String> {
        let mut out = BTreeMap::new();
        let mut bad = None;
        rows(&site.join("data/totals.csv"), super::TOTALS, |mut r| {
            if !areas.contains(&r[0]) {
                return;
            }
            match r[3].parse() {
                Ok(v) => {
                    let c = std::mem::take(&mut r[2]);
                    let race = std::mem::take(&mut r[1]);
                    out.insert((std::mem::take(&mut r[0]), race, c), v);
                }
                Err(_) => bad = Some(format!("data/totals.csv: votes '{}' is not a number", r[3])),
            }
        })?;
        bad.map_or(Ok(out), Err)
    }

    pub fn findings(site: &Path) -> Result<Vec<FindingRow>, String> {
        let mut out = Vec::new();
        rows(&site.join("data/findings.csv"), super::FINDINGS, |mut r| {
            let mut take = |i: usize| std::mem::take(&mut r[i]);
            out.push(FindingRow {
                severity: take(0),
                check: take(1),
                area: take(2),
                race: take(3),
                form: take(4),
                detail: take(5),
                parts: None,
            });
        })?;
        Ok(out)
    }
}
