//! `kura sample`: a deterministic, Kenya-shaped synthetic election — 47
//! counties, 290 constituencies, 1,450 wards (fewer when there are fewer
//! stations than wards), N polling stations, the six races of a Kenyan
//! general election, specimen scans, and a few planted problems.

pub mod specimen;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};

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
    let mut rng = Rng(seed ^ 0x6b75_7261);
    let wards_n = stations.min(1450);
    let consts_n = wards_n.min(290);
    let counties_n = consts_n.min(47);

    let mut areas = String::from("code,name,parent,registered\nKE,Republic of Kenya (sample),,\n");
    let mut races: Vec<Race> = Vec::new();
    let mut candidates_csv = String::from("race,id,name,party,color\n");
    let new_race = |rng: &mut Rng,
                    kind: usize,
                    area: &str,
                    races: &mut Vec<Race>,
                    min: u64,
                    spread: u64|
     -> usize {
        let n = min + rng.below(spread + 1);
        let (prefix, title, form_type) = RACE_KINDS[kind];
        let id = if kind == 0 {
            prefix.to_string()
        } else {
            format!("{prefix}-{area}")
        };
        let mut cands = Vec::new();
        let mut used = Vec::new();
        for i in 0..n {
            let mut party = rng.below(PARTIES.len() as u64) as usize;
            while used.contains(&party) {
                party = (party + 1) % PARTIES.len();
            }
            used.push(party);
            let weight = 0.2 + rng.unit() * if i == 0 { 2.0 } else { 1.2 };
            cands.push((format!("c{}", i + 1), party, weight));
        }
        races.push(Race {
            id,
            name: if kind == 0 {
                title.to_string()
            } else {
                format!("{title}, {area}")
            },
            area: area.to_string(),
            form_type,
            candidates: cands,
        });
        races.len() - 1
    };
    let president = new_race(&mut rng, 0, "KE", &mut races, 4, 0);

    // Spread the levels evenly: the first ones take the remainders.
    let share =
        |total: usize, parts: usize, i: usize| total / parts + usize::from(i < total % parts);
    let mut station_list: Vec<Station> = Vec::with_capacity(stations);
    let mut const_no = 0usize;
    let mut ward_no = 0usize;
    for c in 0..counties_n {
        let county = format!("{:03}", c + 1);
        let county_code = format!("C{county}");
        let county_name = format!("{} County", name(&mut rng, 2, 1));
        let _ = writeln!(areas, "{county_code},{county_name},KE,");
        let county_races: Vec<usize> = (1..=3)
            .map(|k| new_race(&mut rng, k, &county_code, &mut races, 2, 2))
            .collect();
        for _ in 0..share(consts_n, counties_n, c) {
            const_no += 1;
            let const_code = format!("K{const_no:03}");
            let const_name = name(&mut rng, 2, 1);
            let _ = writeln!(areas, "{const_code},{const_name},{county_code},");
            let mp = new_race(&mut rng, 4, &const_code, &mut races, 2, 3);
            for _ in 0..share(wards_n, consts_n, const_no - 1) {
                ward_no += 1;
                let ward_code = format!("W{ward_no:04}");
                let ward_name = name(&mut rng, 2, 1);
                let _ = writeln!(areas, "{ward_code},{ward_name},{const_code},");
                let mca = new_race(&mut rng, 5, &ward_code, &mut races, 2, 4);
                let n = share(stations, wards_n, ward_no - 1);
                let mut centre = 0;
                let mut stream = 0;
                let mut centre_name = String::new();
                for i in 0..n {
                    if i == 0 || stream > rng.below(4) as usize {
                        centre += 1;
                        stream = 0;
                        let kind = [
                            "Primary School",
                            "Secondary School",
                            "Social Hall",
                            "Church & School",
                            "Market",
                        ][rng.below(5) as usize];
                        centre_name = format!("{} {kind}", name(&mut rng, 2, 1));
                    }
                    stream += 1;
                    let code = format!("{county}{const_no:03}{ward_no:04}{centre:03}{stream:02}");
                    let registered = rng.range(150, 700);
                    let quoted = if centre_name.contains('&') && i % 7 == 3 {
                        // A name with an apostrophe and a quote, to keep escaping honest.
                        format!("\"St. Mary's \"\"{centre_name}\"\"\"")
                    } else {
                        centre_name.clone()
                    };
                    let _ = writeln!(
                        areas,
                        "{code},{quoted} (stream {stream}),{ward_code},{registered}"
                    );
                    let mut rs = vec![president];
                    rs.extend(&county_races);
                    rs.push(mp);
                    rs.push(mca);
                    station_list.push(Station {
                        code,
                        registered,
                        races: rs,
                    });
                }
            }
        }
    }
    for r in &races {
        for (id, party, _) in &r.candidates {
            let (pname, color) = PARTIES[*party];
            let cname = format!("{} {}", name(&mut rng, 2, 0), name(&mut rng, 3, 0));
            let pname = if pname.contains('&') {
                format!("\"{pname}\"")
            } else {
                pname.to_string()
            };
            let _ = writeln!(candidates_csv, "{},{id},{cname},{pname},{color}", r.id);
        }
    }

    // Votes per station form; rows are generated per station, in parallel
    // chunks, each chunk with its own generator seeded from the station index.
    struct FormRow {
        form: String,
        area: String,
        race: usize,
        votes: Vec<u64>,
        rejected: u64,
        total_valid: u64,
        scan: Option<String>,
        status: &'static str,
        captured: String,
        device: String,
    }
    let forms: Vec<FormRow> = station_list
        .par_iter()
        .enumerate()
        .flat_map_iter(|(si, st)| {
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
                let weights: Vec<f64> = race
                    .candidates
                    .iter()
                    .map(|c| c.2 * (0.7 + rng.unit() * 0.6))
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
        })
        .collect();
    let mut forms = forms;
    if scans {
        for f in &mut forms {
            f.scan = Some(format!("specimens/{}.png", f.form));
        }
    }
    // Declared aggregates: Form 34B per constituency and 34C for the nation,
    // each equal to the sum of the station forms under it.
    let mut agg: std::collections::BTreeMap<String, (Vec<u64>, u64)> =
        std::collections::BTreeMap::new();
    let president_n = races[president].candidates.len();
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

    // Planted problems, at fixed places so they are easy to find.
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

    // Write everything.
    let scans_dir = dir.join("scans").join("specimens");
    std::fs::create_dir_all(&scans_dir).map_err(|e| Error::io(&scans_dir, e))?;
    std::fs::create_dir_all(dir.join("pages")).map_err(|e| Error::io(dir, e))?;
    let mut areas_csv = areas;
    if let Some(code) = &over_registered {
        // Lower this station's register below its ballots.
        let needle = format!("\n{code},");
        if let Some(start) = areas_csv.find(&needle) {
            let line_end = areas_csv[start + 1..]
                .find('\n')
                .map(|e| start + 1 + e)
                .unwrap_or(areas_csv.len());
            let line = &areas_csv[start + 1..line_end];
            if let Some(comma) = line.rfind(',') {
                let new_line = format!("{},{}", &line[..comma], 10);
                areas_csv.replace_range(start + 1..line_end, &new_line);
            }
        }
    }
    let put = |name: &str, text: &str| -> Result<()> {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    put(
        "election.toml",
        &format!(
            "# A synthetic election written by `kura sample --stations {stations} --seed {seed}`.\n\
             title = \"Sample general election (synthetic)\"\n\
             date = \"2022-08-09\"\n\
             levels = [\"Country\", \"County\", \"Constituency\", \"Ward\", \"Polling station\"]\n\n\
             [site]\nlanguage = \"en\"\n"
        ),
    )?;
    put("areas.csv", &areas_csv)?;
    let mut races_csv = String::from("id,name,area\n");
    for r in &races {
        let _ = writeln!(
            races_csv,
            "{},{},{}",
            r.id,
            r.name.replace(',', " "),
            r.area
        );
    }
    put("races.csv", &races_csv)?;
    put("candidates.csv", &candidates_csv)?;

    // Scans, in parallel; their hashes are declared in forms.csv.
    let scan_hashes: Vec<Option<String>> = forms
        .par_iter()
        .enumerate()
        .map(|(i, f)| -> Result<Option<String>> {
            let Some(scan) = &f.scan else { return Ok(None) };
            if scan.starts_with("specimens/missing-") {
                return Ok(None);
            }
            if let Some((_, b)) = reused
                && i == b
            {
                // Point at the other form's file: same content, two forms.
                return Ok(None);
            }
            let race = &races[f.race];
            let mut lines = vec![
                "SPECIMEN - NOT A REAL FORM".to_string(),
                "GENERATED BY KURA SAMPLE".to_string(),
                format!("FORM {}", f.form),
            ];
            let votes: Vec<String> = race
                .candidates
                .iter()
                .zip(&f.votes)
                .map(|(c, v)| format!("{}={v}", c.0))
                .collect();
            lines.push(votes.join(" "));
            lines.push(format!("REJECTED={} VALID={}", f.rejected, f.total_valid));
            let bytes = if scan.ends_with(".pdf") {
                specimen::pdf(&lines)
            } else {
                specimen::png(&lines)
            };
            let path = dir.join("scans").join(scan);
            std::fs::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
            Ok(Some(crate::digest::sha256_hex(&bytes)))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut forms_file = std::io::BufWriter::new(
        std::fs::File::create(dir.join("forms.csv"))
            .map_err(|e| Error::io(&dir.join("forms.csv"), e))?,
    );
    let mut results_file = std::io::BufWriter::new(
        std::fs::File::create(dir.join("results.csv"))
            .map_err(|e| Error::io(&dir.join("results.csv"), e))?,
    );
    let io = |e: std::io::Error| Error::io(dir, e);
    writeln!(
        forms_file,
        "form,area,race,scan,sha256,rejected,total_valid,status,device,captured_at"
    )
    .map_err(io)?;
    writeln!(results_file, "form,candidate,votes").map_err(io)?;
    for (i, f) in forms.iter().enumerate() {
        let mut scan = f.scan.clone().unwrap_or_default();
        let mut sha = scan_hashes[i].clone().unwrap_or_default();
        if let Some((a, b)) = reused
            && i == b
        {
            scan = forms[a].scan.clone().unwrap_or_default();
            sha = scan_hashes[a].clone().unwrap_or_default();
        }
        if hash_mismatch == Some(i) {
            sha = "0".repeat(64);
        }
        writeln!(
            forms_file,
            "{},{},{},{scan},{sha},{},{},{},{},{}",
            f.form,
            f.area,
            races[f.race].id,
            f.rejected,
            f.total_valid,
            f.status,
            f.device,
            f.captured
        )
        .map_err(io)?;
        for (c, v) in races[f.race].candidates.iter().zip(&f.votes) {
            writeln!(results_file, "{},{},{v}", f.form, c.0).map_err(io)?;
        }
    }
    forms_file.flush().map_err(io)?;
    results_file.flush().map_err(io)?;
    put(
        "pages/about.md",
        &format!(
            "# About this sample\n\n\
             This election is **synthetic**: it was written by `kura sample --stations {stations} --seed {seed}`. \
             Every name, number and scan is generated; the scans say so on their face.\n\n\
             | level | count |\n|---|---|\n| counties | {counties_n} |\n| constituencies | {consts_n} |\n\
             | wards | {wards_n} |\n| polling stations | {stations} |\n| races | {} |\n| forms | {} |\n\n\
             ## Planted problems\n\nSo that the findings show, these were planted:\n\n{}\n",
            races.len(),
            forms.len(),
            planted
                .iter()
                .map(|p| format!("- {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    )?;
    Ok(format!(
        "wrote {}: {counties_n} counties, {consts_n} constituencies, {wards_n} wards, {stations} stations, {} races, {} forms; planted: {}",
        dir.display(),
        races.len(),
        forms.len(),
        planted.join("; ")
    ))
}
