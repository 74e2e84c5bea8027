//! Downloads of one area's results: `data/races/<race>/<code>.csv` for
//! every area between the root and the polling stations, and each race
//! held there — one row per polling station under the area, its form's
//! numbers and a column per candidate — so a journalist covering one
//! constituency downloads a file of its size, not the country's.
//!
//! One row per station and race (not per candidate line, as results.csv)
//! keeps the files small: each station is in one file per level and race.
//!
//! A file is made from the context and its area's subtree alone (its
//! [basis](crate::site::basis)): a rebuild keeps it without making it
//! while neither changes.

use std::io::Write;

use crate::model::{AreaIx, Election, RaceIx};
use crate::tally::Tally;

/// The fixed columns; a column per candidate follows, in the race's order,
/// headed `name (id)`: two candidates may share a name, or be named like a
/// fixed column, but not an id.
pub const COLUMNS: &[&str] = &[
    "station",
    "name",
    "form",
    "status",
    "registered",
    "rejected",
    "total_valid",
    "valid",
];

/// Whether area `a` has downloads of its own (the root's are the whole
/// open data; a station's page shows its every number).
pub fn has_downloads(el: &Election, a: AreaIx) -> bool {
    el.areas[a].parent.is_some() && !el.areas[a].is_station()
}

/// Where area `a`'s file for `race` is, relative to the site root.
pub fn path(el: &Election, a: AreaIx, race: RaceIx) -> String {
    format!("data/races/{}/{}.csv", el.races[race].id, el.areas[a].code)
}

/// Every (area, race) with a download, in area then scope order.
pub fn files(el: &Election, tally: &Tally) -> Vec<(AreaIx, RaceIx)> {
    (0..el.areas.len())
        .filter(|&a| has_downloads(el, a))
        .flat_map(|a| tally.scope(a).iter().map(move |&r| (a, r)))
        .collect()
}

/// Writes area `a`'s file for `race`: every polling station under `a`, in
/// tree order; one without a form for the race has only its code, name
/// and register.
pub fn write<W: Write>(el: &Election, a: AreaIx, race: RaceIx, w: W) -> csv::Result<()> {
    let mut out = super::writer(w);
    header(el, race, &mut out)?;
    let mut row = Vec::new();
    for s in a..el.areas[a].end {
        station_row(el, s, race, &mut row, &mut out)?;
    }
    out.flush()?;
    Ok(())
}

/// The header of a file of `race`.
fn header<W: Write>(el: &Election, race: RaceIx, out: &mut csv::Writer<W>) -> csv::Result<()> {
    let r = &el.races[race];
    let header = COLUMNS
        .iter()
        .copied()
        .map(str::to_string)
        .chain(r.candidates.iter().map(|&c| {
            let c = &el.candidates[c];
            format!("{} ({})", c.name, c.id)
        }));
    out.write_record(header)
}

/// Writes area `s`'s row for `race` if it is a station (`row` is room to
/// make it in).
fn station_row<W: Write>(
    el: &Election,
    s: AreaIx,
    race: RaceIx,
    row: &mut Vec<String>,
    out: &mut csv::Writer<W>,
) -> csv::Result<()> {
    let station = &el.areas[s];
    if !station.is_station() {
        return Ok(());
    }
    let opt = |n: Option<u64>| n.map(|v| v.to_string()).unwrap_or_default();
    let candidates = el.races[race].candidates.len();
    row.clear();
    row.push(station.code.clone());
    row.push(station.name.clone());
    match el.form_on(s, race) {
        Some(f) => {
            let form = &el.forms[f];
            row.push(form.id().to_string());
            row.push(form.status.as_str().to_string());
            row.push(opt(station.registered));
            row.push(opt(form.rejected()));
            row.push(opt(form.total_valid()));
            row.push(opt(el.votes.valid(form.votes)));
            row.extend(el.votes.of(form.votes).map(opt));
        }
        None => {
            row.extend([String::new(), String::new(), opt(station.registered)]);
            row.resize(COLUMNS.len() + candidates, String::new());
        }
    }
    out.write_record(&*row)
}

/// Every station's row of one race, made once for all the race's files: a
/// station is in the file of each area above it (three or four), and an
/// area's stations are the ones between it and its `end` in tree order,
/// so its rows are one run of these bytes.
pub struct Rows {
    race: RaceIx,
    /// The first area of the race's subtree.
    first: AreaIx,
    bytes: Vec<u8>,
    /// Where each area's row (if it is a station) begins in `bytes`, from
    /// `first` on, and where the last one ends.
    start: Vec<usize>,
}

impl Rows {
    /// The rows of every station where `race` is held, made side by side
    /// in runs of areas.
    pub fn new(el: &Election, race: RaceIx) -> csv::Result<Rows> {
        use rayon::prelude::*;
        const RUN: usize = 4096;
        let first = el.races[race].area;
        let end = el.areas[first].end;
        let runs: Vec<csv::Result<(Vec<u8>, Vec<usize>)>> = (first..end)
            .step_by(RUN)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|from| {
                let mut out = super::writer(Vec::new());
                let mut row = Vec::new();
                let mut start = Vec::with_capacity(RUN);
                for s in from..(from + RUN).min(end) {
                    out.flush()?;
                    start.push(out.get_ref().len());
                    station_row(el, s, race, &mut row, &mut out)?;
                }
                let bytes = out
                    .into_inner()
                    .map_err(|e| csv::Error::from(e.into_error()))?;
                Ok((bytes, start))
            })
            .collect();
        let mut bytes = Vec::new();
        let mut start = Vec::with_capacity(end - first + 1);
        for run in runs {
            let (b, s) = run?;
            start.extend(s.iter().map(|o| o + bytes.len()));
            bytes.extend_from_slice(&b);
        }
        start.push(bytes.len());
        Ok(Rows {
            race,
            first,
            bytes,
            start,
        })
    }

    /// Area `a`'s file (`a` within the race's subtree): what [`write`]
    /// writes.
    pub fn file(&self, el: &Election, a: AreaIx) -> csv::Result<Vec<u8>> {
        let (from, to) = (a - self.first, el.areas[a].end - self.first);
        let rows = &self.bytes[self.start[from]..self.start[to]];
        let mut out = super::writer(Vec::with_capacity(rows.len() + 256));
        header(el, self.race, &mut out)?;
        out.flush()?;
        let mut bytes = out
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        bytes.extend_from_slice(rows);
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each area's file made from the race's rows is, byte for byte, the
    /// file written station by station.
    #[test]
    fn files_made_from_a_race_s_rows_are_the_files_written_alone() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        crate::sample::write(&input, 400, 7, false).unwrap();
        let el = crate::load::load(&input, &Default::default()).unwrap();
        let tally = crate::tally::tally(&el, &input.join("forms.csv")).unwrap();
        let files = files(&el, &tally);
        assert!(files.len() > 20);
        let mut rows: Vec<Option<Rows>> = (0..el.races.len()).map(|_| None).collect();
        for &(a, r) in &files {
            let rows = rows[r].get_or_insert_with(|| Rows::new(&el, r).unwrap());
            let mut alone = Vec::new();
            write(&el, a, r, &mut alone).unwrap();
            assert_eq!(rows.file(&el, a).unwrap(), alone, "{}", path(&el, a, r));
        }
    }
}
