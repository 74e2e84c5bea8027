//! The sample's forms: one per station and race (a few not in yet), the
//! declared aggregates above them, and the problems planted among them.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::tree::Tree;
use super::{Race, Rng, Station};

/// One row of forms.csv, with its lines of results.csv.
pub(super) struct FormRow {
    pub(super) form: String,
    pub(super) area: String,
    pub(super) race: usize,
    pub(super) votes: Vec<u64>,
    pub(super) rejected: u64,
    pub(super) total_valid: u64,
    pub(super) scan: Option<String>,
    pub(super) status: &'static str,
    pub(super) captured: String,
    pub(super) device: String,
}

/// The forms of every station, in station order. Stations are done in
/// parallel, each with its own generator seeded from its index, so the
/// result does not depend on the number of threads. With `scans`, each
/// form names a specimen scan.
pub(super) fn of_stations(tree: &Tree, seed: u64, scans: bool) -> Vec<FormRow> {
    let mut forms: Vec<FormRow> = tree
        .stations
        .par_iter()
        .enumerate()
        .flat_map_iter(|(si, st)| of_station(&tree.races, seed, si, st))
        .collect();
    if scans {
        for f in &mut forms {
            f.scan = Some(format!("specimens/{}.png", f.form));
        }
    }
    forms
}

/// The forms of station `st` (number `si`), one per race it holds; about
/// 3 % of them are not in yet.
fn of_station(races: &[Race], seed: u64, si: usize, st: &Station) -> Vec<FormRow> {
    let mut rng = Rng(seed.wrapping_mul(31).wrapping_add(si as u64 * 0x9e37));
    let turnout = 0.55 + rng.unit() * 0.2;
    let cast = (st.registered as f64 * turnout) as u64;
    let device = format!("KIT{:08X}", rng.next() as u32);
    let mut rows = Vec::new();
    for &r in &st.races {
        // About 3 % of station forms are not in yet.
        if rng.below(100) < 3 {
            continue;
        }
        let race = &races[r];
        let rejected = cast * rng.range(0, 20) / 1000;
        let valid = cast - rejected;
        // Candidates are stronger in some counties and wards than in
        // others (from a hash, not from `rng`), so maps show regions.
        let tilt = |c: &str| {
            let county = format!("{}/{}/{c}", st.code.get(..3).unwrap_or(&st.code), race.id);
            let ward = format!("{}/{}/{c}", st.code.get(..10).unwrap_or(&st.code), race.id);
            (0.4 + 1.2 * super::land::unit(&county, 5)) * (0.85 + 0.3 * super::land::unit(&ward, 6))
        };
        let weights: Vec<f64> = race
            .candidates
            .iter()
            .map(|c| c.2 * (0.7 + rng.unit() * 0.6) * tilt(&c.0))
            .collect();
        let sum: f64 = weights.iter().sum();
        let mut votes: Vec<u64> = weights
            .iter()
            .map(|w| (valid as f64 * w / sum) as u64)
            .collect();
        let assigned: u64 = votes.iter().sum();
        votes[0] += valid - assigned;
        let hour = 18 + rng.below(6);
        let minute = rng.below(60);
        let status = if rng.below(100) < 5 {
            "provisional"
        } else {
            "verified"
        };
        rows.push(FormRow {
            form: format!("{}-{}", race.form_type, st.code),
            area: st.code.clone(),
            race: r,
            total_valid: valid,
            rejected,
            votes,
            scan: None,
            status,
            captured: format!(
                "2022-08-09T{hour:02}:{minute:02}:{:02}+03:00",
                rng.below(60)
            ),
            device: device.clone(),
        })
    }
    rows
}

/// Adds the declared aggregates: Form 34B per constituency and 34C for the
/// nation, each equal to the sum of the presidential station forms under it.
pub(super) fn add_aggregates(forms: &mut Vec<FormRow>, tree: &Tree, scans: bool) {
    let president = tree.president;
    let mut agg: BTreeMap<String, (Vec<u64>, u64)> = BTreeMap::new();
    let president_n = tree.races[president].candidates.len();
    for f in forms.iter().filter(|f| f.race == president) {
        let const_code = format!("K{}", &f.area[3..6]);
        for key in [const_code, "KE".to_string()] {
            let e = agg.entry(key).or_insert_with(|| (vec![0; president_n], 0));
            for (i, v) in f.votes.iter().enumerate() {
                e.0[i] += v;
            }
            e.1 += f.rejected;
        }
    }
    for (area, (votes, rejected)) in &agg {
        let kind = if area == "KE" { "34C" } else { "34B" };
        forms.push(FormRow {
            form: format!("{kind}-{area}"),
            area: area.clone(),
            race: president,
            total_valid: votes.iter().sum(),
            votes: votes.clone(),
            rejected: *rejected,
            scan: scans.then(|| format!("specimens/{kind}-{area}.pdf")),
            status: "verified",
            captured: "2022-08-12T10:00:00+03:00".to_string(),
            device: String::new(),
        });
    }
}

/// The problems planted in the sample, and where the files must show them.
pub(super) struct Planted {
    /// One line for each, for the summary and the about page.
    pub(super) notes: Vec<String>,
    /// The station whose register is lowered below its ballots.
    pub(super) over_registered: Option<String>,
    /// The form whose declared sha256 is wrong.
    pub(super) hash_mismatch: Option<usize>,
    /// Two forms with one scan: the second points at the first's file.
    pub(super) reused: Option<(usize, usize)>,
}

/// Plants problems at fixed places among the station forms (so they are
/// easy to find), changing the forms where the problem is theirs.
pub(super) fn plant(forms: &mut [FormRow], scans: bool) -> Planted {
    let mut planted = Vec::new();
    let station_forms: Vec<usize> = (0..forms.len())
        .filter(|&i| forms[i].form.len() > 8 && forms[i].area.len() == 15)
        .collect();
    let pick = |k: usize| station_forms.get(k * station_forms.len() / 8).copied();
    if let Some(i) = pick(1) {
        forms[i].total_valid += 10;
        planted.push(format!("sum-mismatch on {}", forms[i].form));
    }
    let mut over_registered = None;
    if let Some(i) = pick(2) {
        over_registered = Some(forms[i].area.clone());
        planted.push(format!("over-registered on {}", forms[i].form));
    }
    let mut hash_mismatch = None;
    if let Some(i) = pick(3).filter(|_| scans) {
        hash_mismatch = Some(i);
        planted.push(format!("scan-hash-mismatch on {}", forms[i].form));
    }
    let mut reused = None;
    if let (Some(a), Some(b)) = (pick(4), pick(4).map(|x| x + 1))
        && b < forms.len()
        && scans
    {
        reused = Some((a, b));
        planted.push(format!(
            "scan-reused on {} and {}",
            forms[a].form, forms[b].form
        ));
    }
    if let Some(i) = pick(5).filter(|_| scans) {
        forms[i].scan = Some(format!("specimens/missing-{}.png", forms[i].form));
        planted.push(format!("scan-missing on {}", forms[i].form));
    }
    if let Some(i) = pick(6).filter(|_| scans) {
        forms[i].scan = None;
        forms[i].status = "provisional";
        planted.push(format!("no-scan on {}", forms[i].form));
    }
    if let Some(i) = pick(7) {
        forms[i].status = "disputed";
        planted.push(format!("status-disputed on {}", forms[i].form));
    }
    if let Some(i) = forms.iter().position(|f| f.form.starts_with("34B-")) {
        forms[i].votes[1] += 25;
        forms[i].total_valid += 25;
        planted.push(format!("aggregate-mismatch on {}", forms[i].form));
    }
    Planted {
        notes: planted,
        over_registered,
        hash_mismatch,
        reused,
    }
}
