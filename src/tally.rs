//! Totals up the area tree: for every area and every race held there, the
//! votes per candidate and the reporting summary, summed over **station
//! forms only** (declared aggregates are compared, never added).

use std::path::Path;

use crate::error::Problem;
use crate::model::{AreaIx, Election, RaceIx};

/// One race's numbers over one area's subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RaceTally {
    pub race: RaceIx,
    /// Votes per candidate, in the race's candidate order.
    pub votes: Vec<u64>,
    /// Polling stations in scope.
    pub stations: u64,
    /// Stations with a station form.
    pub reporting: u64,
    /// Registered voters of all stations in scope (known ones summed).
    pub registered: u64,
    /// Stations in scope whose registered voters are unknown.
    pub registered_unknown: u64,
    /// Registered voters of the reporting stations.
    pub registered_reporting: u64,
    /// Reporting stations whose registered voters are unknown.
    pub registered_reporting_unknown: u64,
    /// Sum of the candidate lines of the station forms.
    pub valid: u64,
    /// Rejected ballots on the station forms (empty counts as 0).
    pub rejected: u64,
    /// Station forms whose rejected count is empty.
    pub rejected_unknown: u64,
}

impl RaceTally {
    /// Turnout of the reporting stations, when every one of them has a known register.
    pub fn turnout(&self) -> Option<f64> {
        (self.reporting > 0
            && self.registered_reporting_unknown == 0
            && self.registered_reporting > 0)
            .then(|| (self.valid as f64 + self.rejected as f64) / self.registered_reporting as f64)
    }

    /// Candidate positions ordered by votes (most first, ties by list order).
    pub fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.votes.len()).collect();
        order.sort_by(|&a, &b| self.votes[b].cmp(&self.votes[a]).then(a.cmp(&b)));
        order
    }
}

/// Every area's race tallies.
pub struct Tally {
    /// Races held at each area, outermost first (a prefix of each child's).
    scopes: Vec<Vec<RaceIx>>,
    /// Tallies of areas that are not stations, parallel to their scope.
    inner: Vec<Vec<RaceTally>>,
}

impl Tally {
    /// Races held at `area`: those whose subtree contains it, outermost first.
    pub fn scope(&self, area: AreaIx) -> &[RaceIx] {
        &self.scopes[area]
    }

    /// The tally of `race` over `area`'s subtree, if the race is held there.
    pub fn get(&self, el: &Election, area: AreaIx, race: RaceIx) -> Option<RaceTally> {
        let pos = self.scopes[area].iter().position(|&r| r == race)?;
        if el.areas[area].is_station() {
            Some(station_tally(el, area, race))
        } else {
            self.inner[area].get(pos).cloned()
        }
    }

    /// Where `race` is among the tallies of `area`, an area that is not a
    /// station, if the race is held there.
    pub fn position(&self, area: AreaIx, race: RaceIx) -> Option<usize> {
        let pos = self.scopes[area].iter().position(|&r| r == race)?;
        self.inner[area].get(pos).is_some().then_some(pos)
    }

    /// The votes of candidate `p` in the tally at `pos` of `area`, an area
    /// that is not a station ([`Tally::position`]): without copying the
    /// tally as [`Tally::get`] does.
    pub fn inner_votes(&self, area: AreaIx, pos: usize, p: usize) -> u64 {
        self.inner[area]
            .get(pos)
            .and_then(|t| t.votes.get(p))
            .copied()
            .unwrap_or(0)
    }

    /// All tallies of `area`, in scope order.
    pub fn all(&self, el: &Election, area: AreaIx) -> Vec<RaceTally> {
        if el.areas[area].is_station() {
            self.scopes[area]
                .iter()
                .map(|&r| station_tally(el, area, r))
                .collect()
        } else {
            self.inner[area].clone()
        }
    }
}

/// A station's own numbers for one race.
fn station_tally(el: &Election, station: AreaIx, race: RaceIx) -> RaceTally {
    let area = &el.areas[station];
    let n = el.races[race].candidates.len();
    let mut t = RaceTally {
        race,
        votes: vec![0; n],
        stations: 1,
        registered: area.registered.unwrap_or(0),
        registered_unknown: u64::from(area.registered.is_none()),
        ..RaceTally::default()
    };
    if let Some(f) = el.form_on(station, race) {
        let form = &el.forms[f];
        for (i, v) in el.votes.of(form.votes).enumerate() {
            t.votes[i] = v.unwrap_or(0);
        }
        t.reporting = 1;
        // Overflow is impossible here: tally() has already summed these.
        t.valid = el.votes.valid(form.votes).unwrap_or(u64::MAX);
        t.rejected = form.rejected().unwrap_or(0);
        t.rejected_unknown = u64::from(form.rejected().is_none());
        t.registered_reporting = t.registered;
        t.registered_reporting_unknown = t.registered_unknown;
    }
    t
}

/// Sums every station form up the tree. Fails only when a sum would exceed
/// 2^64, naming the form that tipped it over.
pub fn tally(el: &Election, forms_csv: &Path) -> Result<Tally, Problem> {
    let n = el.areas.len();
    let mut scopes: Vec<Vec<RaceIx>> = vec![Vec::new(); n];
    // Areas are in tree order: a parent comes before its children.
    for a in 0..n {
        let mut scope = match el.areas[a].parent {
            Some(p) => scopes[p].clone(),
            None => Vec::new(),
        };
        scope.extend(el.races_rooted[a].iter().copied());
        scopes[a] = scope;
    }
    let mut inner: Vec<Vec<RaceTally>> = (0..n)
        .map(|a| {
            if el.areas[a].is_station() {
                Vec::new()
            } else {
                scopes[a]
                    .iter()
                    .map(|&r| RaceTally {
                        race: r,
                        votes: vec![0; el.races[r].candidates.len()],
                        ..RaceTally::default()
                    })
                    .collect()
            }
        })
        .collect();
    let overflow = |what: &str, station: AreaIx, race: RaceIx| {
        let line = el
            .form_on(station, race)
            .map(|f| el.forms[f].line)
            .unwrap_or(0);
        Problem::at(
            forms_csv,
            line,
            format!(
                "{what} of race '{}' overflows when adding station '{}'",
                el.races[race].id, el.areas[station].code
            ),
        )
    };
    for (s, scope) in scopes.iter().enumerate() {
        if !el.areas[s].is_station() {
            continue;
        }
        for (pos, &race) in scope.iter().enumerate() {
            let st = station_tally(el, s, race);
            let form_valid_overflow = el
                .form_on(s, race)
                .is_some_and(|f| el.votes.valid(el.forms[f].votes).is_none());
            if form_valid_overflow {
                return Err(overflow("valid votes", s, race));
            }
            let race_area = el.races[race].area;
            if race_area == s {
                continue;
            }
            // Every ancestor up to the race's own area holds this race at `pos`.
            let mut a = el.areas[s].parent;
            while let Some(up) = a {
                add(&mut inner[up][pos], &st).map_err(|what| overflow(what, s, race))?;
                if up == race_area {
                    break;
                }
                a = el.areas[up].parent;
            }
        }
    }
    Ok(Tally { scopes, inner })
}

fn add(t: &mut RaceTally, s: &RaceTally) -> Result<(), &'static str> {
    fn sum(a: &mut u64, b: u64, what: &'static str) -> Result<(), &'static str> {
        *a = a.checked_add(b).ok_or(what)?;
        Ok(())
    }
    for (i, v) in s.votes.iter().enumerate() {
        sum(&mut t.votes[i], *v, "votes")?;
    }
    sum(&mut t.stations, s.stations, "stations")?;
    sum(&mut t.reporting, s.reporting, "reporting")?;
    sum(&mut t.registered, s.registered, "registered voters")?;
    sum(
        &mut t.registered_unknown,
        s.registered_unknown,
        "registered",
    )?;
    sum(
        &mut t.registered_reporting,
        s.registered_reporting,
        "registered voters",
    )?;
    sum(
        &mut t.registered_reporting_unknown,
        s.registered_reporting_unknown,
        "registered",
    )?;
    sum(&mut t.valid, s.valid, "valid votes")?;
    sum(&mut t.rejected, s.rejected, "rejected ballots")?;
    sum(&mut t.rejected_unknown, s.rejected_unknown, "rejected")?;
    Ok(())
}
