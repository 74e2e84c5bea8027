//! The sample's area tree, written as the rows of areas.csv as it grows,
//! and the races held in each area.

use std::fmt::Write as _;

use super::land::{Node, lay_out};
use super::{PARTIES, RACE_KINDS, Race, Rng, Size, Station, name};

/// The areas (as areas.csv text), races and polling stations of the sample.
pub(super) struct Tree {
    /// areas.csv: its header, then one row per area, parents first.
    pub(super) areas: String,
    /// boundaries.geojson: outlines of the counties, constituencies and wards.
    pub(super) boundaries: String,
    /// Each area's code and parent, for laying out the land.
    nodes: Vec<Node>,
    /// Index of each area code in `nodes` (looked up, never iterated).
    index: std::collections::HashMap<String, usize>,
    /// Each area's row of areas.csv but its position: `code,name,parent`
    /// and `registered`.
    rows: Vec<(String, String)>,
    pub(super) races: Vec<Race>,
    pub(super) stations: Vec<Station>,
    /// The national race, held in every station.
    pub(super) president: usize,
    /// Constituencies numbered so far (they are numbered across counties).
    constituencies: usize,
    /// Wards numbered so far (numbered across constituencies).
    wards: usize,
}

/// Spreads `total` evenly over `parts`: the share of part `i`, the first
/// parts taking the remainders.
fn share(total: usize, parts: usize, i: usize) -> usize {
    total / parts + usize::from(i < total % parts)
}

impl Tree {
    /// Grows the tree of `size`: the country, its counties, constituencies,
    /// wards and polling stations, each drawn from `rng` in that order.
    pub(super) fn grow(rng: &mut Rng, size: &Size) -> Tree {
        let mut tree = Tree {
            areas: String::new(),
            boundaries: String::new(),
            nodes: Vec::new(),
            index: std::collections::HashMap::new(),
            rows: Vec::new(),
            races: Vec::new(),
            stations: Vec::with_capacity(size.stations),
            president: 0,
            constituencies: 0,
            wards: 0,
        };
        tree.area("KE", "Republic of Kenya (sample)", "", "");
        tree.president = tree.new_race(rng, 0, "KE", 4, 0);
        for c in 0..size.counties {
            tree.county(rng, size, c);
        }
        let land = lay_out(&tree.nodes);
        tree.boundaries = land.geojson;
        // `registered` last, where the planted over-registered station's
        // register is changed.
        tree.areas = String::from("code,name,parent,lat,lon,registered\n");
        for ((row, registered), pos) in tree.rows.iter().zip(&land.positions) {
            let (lat, lon) = pos.map_or((String::new(), String::new()), |(lat, lon)| {
                (lat.to_string(), lon.to_string())
            });
            let _ = writeln!(tree.areas, "{row},{lat},{lon},{registered}");
        }
        tree
    }

    /// Adds an area: `name` as a CSV field, `parent` a code already added
    /// (empty for the root).
    fn area(&mut self, code: &str, name: &str, parent: &str, registered: &str) {
        let parent_ix = self.index.get(parent).copied();
        self.index.insert(code.to_string(), self.nodes.len());
        self.nodes.push(Node {
            code: code.to_string(),
            parent: parent_ix,
        });
        self.rows
            .push((format!("{code},{name},{parent}"), registered.to_string()));
    }

    /// Adds a race of kind `kind` (an index into `RACE_KINDS`) held in
    /// `area`, with `min` to `min + spread` candidates of different
    /// parties; returns its index.
    fn new_race(&mut self, rng: &mut Rng, kind: usize, area: &str, min: u64, spread: u64) -> usize {
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
        self.races.push(Race {
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
        self.races.len() - 1
    }

    /// Adds county number `c` (from 0), its three races, and its
    /// constituencies.
    fn county(&mut self, rng: &mut Rng, size: &Size, c: usize) {
        let county = format!("{:03}", c + 1);
        let county_code = format!("C{county}");
        let county_name = format!("{} County", name(rng, 2, 1));
        self.area(&county_code, &county_name, "KE", "");
        let county_races: Vec<usize> = (1..=3)
            .map(|k| self.new_race(rng, k, &county_code, 2, 2))
            .collect();
        for _ in 0..share(size.constituencies, size.counties, c) {
            self.constituency(rng, size, &county, &county_races);
        }
    }

    /// Adds the next constituency, in county `county` (its number, such as
    /// "001"), with its MP race, its wards (each with its MCA race) and
    /// their polling stations.
    fn constituency(&mut self, rng: &mut Rng, size: &Size, county: &str, county_races: &[usize]) {
        self.constituencies += 1;
        let const_no = self.constituencies;
        let const_code = format!("K{const_no:03}");
        let const_name = name(rng, 2, 1);
        self.area(&const_code, &const_name, &format!("C{county}"), "");
        let mp = self.new_race(rng, 4, &const_code, 2, 3);
        for _ in 0..share(size.wards, size.constituencies, const_no - 1) {
            self.wards += 1;
            let ward_no = self.wards;
            let ward_code = format!("W{ward_no:04}");
            let ward_name = name(rng, 2, 1);
            self.area(&ward_code, &ward_name, &const_code, "");
            let mca = self.new_race(rng, 5, &ward_code, 2, 4);
            let mut races = vec![self.president];
            races.extend(county_races);
            races.push(mp);
            races.push(mca);
            let n = share(size.stations, size.wards, ward_no - 1);
            let prefix = format!("{county}{const_no:03}{ward_no:04}");
            self.stations(rng, &ward_code, &prefix, &races, n);
        }
    }

    /// Adds `n` polling stations to ward `ward_code`: streams of voting
    /// centres, a few streams to a centre, their codes starting with
    /// `prefix`, each holding `races`.
    fn stations(
        &mut self,
        rng: &mut Rng,
        ward_code: &str,
        prefix: &str,
        races: &[usize],
        n: usize,
    ) {
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
                centre_name = format!("{} {kind}", name(rng, 2, 1));
            }
            stream += 1;
            let code = format!("{prefix}{centre:03}{stream:02}");
            let registered = rng.range(150, 700);
            let quoted = if centre_name.contains('&') && i % 7 == 3 {
                // A name with an apostrophe and a quote, to keep escaping honest.
                format!("\"St. Mary's \"\"{centre_name}\"\"\"")
            } else {
                centre_name.clone()
            };
            self.area(
                &code,
                &format!("{quoted} (stream {stream})"),
                ward_code,
                &registered.to_string(),
            );
            self.stations.push(Station {
                code,
                registered,
                races: races.to_vec(),
            });
        }
    }

    /// candidates.csv: each race's candidates, with made-up names drawn
    /// from `rng`, and their parties and colours.
    pub(super) fn candidates_csv(&self, rng: &mut Rng) -> String {
        let mut csv = String::from("race,id,name,party,color\n");
        for r in &self.races {
            for (id, party, _) in &r.candidates {
                let (pname, color) = PARTIES[*party];
                let cname = format!("{} {}", name(rng, 2, 0), name(rng, 3, 0));
                let pname = if pname.contains('&') {
                    format!("\"{pname}\"")
                } else {
                    pname.to_string()
                };
                let _ = writeln!(csv, "{},{id},{cname},{pname},{color}", r.id);
            }
        }
        csv
    }
}
