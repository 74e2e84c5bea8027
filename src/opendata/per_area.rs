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
    let r = &el.races[race];
    let header = COLUMNS
        .iter()
        .copied()
        .map(str::to_string)
        .chain(r.candidates.iter().map(|&c| {
            let c = &el.candidates[c];
            format!("{} ({})", c.name, c.id)
        }));
    out.write_record(header)?;
    let opt = |n: Option<u64>| n.map(|v| v.to_string()).unwrap_or_default();
    let mut row: Vec<String> = Vec::with_capacity(COLUMNS.len() + r.candidates.len());
    for s in a..el.areas[a].end {
        let station = &el.areas[s];
        if !station.is_station() {
            continue;
        }
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
                row.resize(COLUMNS.len() + r.candidates.len(), String::new());
            }
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}
