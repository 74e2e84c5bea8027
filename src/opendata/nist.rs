//! `data/election-report.json`: the results in the NIST SP 1500-100 v2
//! Election Results Common Data Format (JSON), for the tools election
//! offices and civic-tech projects exchange results with.
//!
//! - The area tree is one `ReportingUnit` per area: a polling station is a
//!   `polling-place`, a level whose name is one of NIST's unit types (county,
//!   ward, state, …) has that type, any other is `other` with the level's
//!   name as `OtherType`. `ComposingGpUnitIds` lists an area's children.
//! - Each race is a `CandidateContest` over its area; each candidate a
//!   `Candidate` and a `CandidateSelection` whose `VoteCounts` (type
//!   `total`) give, for every area of the race's subtree, the same sums as
//!   `data/totals.csv`, and for each polling station with a station form the
//!   votes on that form (a station with no form has no count).
//! - Names are `InternationalizedText` with one string per site language
//!   (kura does not translate names, so the strings are the same).
//! - `Status` is `unofficial-complete` when every station has a station form
//!   for every race it votes in, `unofficial-partial` until then: kura
//!   publishes what the forms say; it certifies nothing.
//! - Ids are derived from kura's codes alone, so they stay the same across
//!   versions: see [`esc`].
//!
//! The file is streamed: counts are never all held in memory at once.

use std::io::Write;

use serde::Serialize;
use serde::ser::Serializer;

use crate::model::{AreaIx, Election, RaceIx};
use crate::tally::Tally;

/// Where the report is published, relative to the site root.
pub const PATH: &str = "data/election-report.json";

/// What the report is, for the `Header`-less fields NIST requires.
pub struct Report<'a> {
    pub el: &'a Election,
    pub tally: &'a Tally,
    /// The publication time, RFC 3339 in UTC (`…Z`).
    pub generated: &'a str,
}

/// Writes the report as compact JSON.
pub fn write<W: Write>(report: &Report<'_>, w: W) -> serde_json::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    let spans = RaceSpans::default();
    serde_json::to_writer(&mut w, &report.document(&spans))?;
    w.write_all(b"\n").map_err(serde_json::Error::io)?;
    w.flush().map_err(serde_json::Error::io)
}

/// A code made into an id fragment: ASCII letters, digits, `.` and `-` are
/// kept, every other byte (`_` too) becomes `_` and two lower-case hex
/// digits. Fragments are joined with `__`, which no fragment contains, so
/// distinct codes always give distinct ids, and every id is an XML NCName.
pub fn esc(s: &str) -> String {
    Esc(s).to_string()
}

/// [`esc`] as it is written out, without a string of its own.
struct Esc<'a>(&'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = |b: &u8| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-';
        let bytes = self.0.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let end = bytes[start..]
                .iter()
                .position(|b| !kept(b))
                .map_or(bytes.len(), |n| start + n);
            // A run of kept bytes is ASCII, so it starts and ends on
            // character boundaries.
            if let Some(run) = self.0.get(start..end).filter(|r| !r.is_empty()) {
                f.write_str(run)?;
            }
            if let Some(b) = bytes.get(end) {
                write!(f, "_{b:02x}")?;
            }
            start = end + 1;
        }
        Ok(())
    }
}

/// The id of an area's `ReportingUnit`.
pub fn unit_id(code: &str) -> String {
    UnitId(code).to_string()
}

/// [`unit_id`] as it is written into the report: the file names a unit
/// once for every count in it (a million times at Kenya's size), and a
/// string made for each was a third of the time the report took.
struct UnitId<'a>(&'a str);

impl std::fmt::Display for UnitId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ru-{}", Esc(self.0))
    }
}

impl Serialize for UnitId<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The id of a race's `CandidateContest`.
pub fn contest_id(race: &str) -> String {
    format!("contest-{}", esc(race))
}

/// The id of a candidate (candidate ids are unique within a race).
pub fn candidate_id(race: &str, candidate: &str) -> String {
    format!("candidate-{}__{}", esc(race), esc(candidate))
}

/// The id of a candidate's `CandidateSelection` in their race.
pub fn selection_id(race: &str, candidate: &str) -> String {
    format!("selection-{}__{}", esc(race), esc(candidate))
}

/// The id of a party, from its name as written in candidates.csv.
pub fn party_id(party: &str) -> String {
    format!("party-{}", esc(party))
}

/// NIST's `ReportingUnitType` for a level name, when it has one.
fn unit_type(level: &str) -> Option<&'static str> {
    const TYPES: &[&str] = &[
        "borough",
        "city",
        "country",
        "county",
        "municipality",
        "precinct",
        "state",
        "town",
        "township",
        "village",
        "ward",
    ];
    let level = level.trim().to_ascii_lowercase();
    TYPES.iter().copied().find(|t| *t == level)
}

/// `InternationalizedText`: the same string in every site language.
struct Text<'a> {
    content: &'a str,
    languages: &'a [String],
}

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct LanguageString<'a> {
            #[serde(rename = "@type")]
            kind: &'static str,
            content: &'a str,
            language: &'a str,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Internationalized<'a> {
            #[serde(rename = "@type")]
            kind: &'static str,
            text: Vec<LanguageString<'a>>,
        }
        Internationalized {
            kind: "ElectionResults.InternationalizedText",
            text: self
                .languages
                .iter()
                .map(|l| LanguageString {
                    kind: "ElectionResults.LanguageString",
                    content: self.content,
                    language: l,
                })
                .collect(),
        }
        .serialize(s)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    election: [ElectionPart<'a>; 1],
    format: &'static str,
    generated_date: &'a str,
    gp_unit: Units<'a>,
    issuer: &'a str,
    issuer_abbreviation: &'a str,
    party: Vec<Party<'a>>,
    sequence_end: u32,
    sequence_start: u32,
    status: &'static str,
    vendor_application_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ElectionPart<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    candidate: Vec<CandidatePart<'a>>,
    contest: Vec<Contest<'a>>,
    election_scope_id: String,
    end_date: &'a str,
    name: Text<'a>,
    start_date: &'a str,
    #[serde(rename = "Type")]
    election_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Party<'a> {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CandidatePart<'a> {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    ballot_name: Text<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    party_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Contest<'a> {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    contest_selection: Vec<Selection<'a>>,
    count_status: [CountStatus; 1],
    election_district_id: String,
    name: &'a str,
    number_elected: u32,
    sub_units_reported: u64,
    total_sub_units: u64,
    votes_allowed: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CountStatus {
    #[serde(rename = "@type")]
    kind: &'static str,
    status: &'static str,
    #[serde(rename = "Type")]
    count_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Selection<'a> {
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    candidate_ids: [String; 1],
    sequence_order: usize,
    vote_counts: Counts<'a>,
}

/// Where the votes of each area of one race's subtree are, for the race
/// whose candidates are being written: a station's form's votes, or the
/// position of the race in a larger area's tallies. Made once for each
/// race, not looked up again for each of its candidates (the lookups were
/// a third of the report's time).
#[derive(Default)]
struct RaceSpans(std::cell::RefCell<Option<(RaceIx, Vec<Option<Span>>)>>);

#[derive(Clone, Copy)]
enum Span {
    Form(crate::model::VoteSpan),
    Tally(usize),
}

impl RaceSpans {
    /// The votes at position `p` of every area of `race`'s subtree that
    /// has a count, in order, as `f` takes them.
    fn each<R>(
        &self,
        report: &Report<'_>,
        race: RaceIx,
        f: impl FnOnce(&mut dyn Iterator<Item = (AreaIx, u64)>) -> R,
        p: usize,
    ) -> R {
        let Report { el, tally, .. } = *report;
        let home = el.races[race].area;
        let mut cell = self.0.borrow_mut();
        if cell.as_ref().is_none_or(|(r, _)| *r != race) {
            let spans = (home..el.areas[home].end)
                .map(|a| {
                    if el.areas[a].is_station() {
                        el.form_on(a, race).map(|f| Span::Form(el.forms[f].votes))
                    } else {
                        tally.position(a, race).map(Span::Tally)
                    }
                })
                .collect();
            *cell = Some((race, spans));
        }
        let spans = &cell.as_ref().map(|(_, s)| s.as_slice()).unwrap_or_default();
        let mut counts = spans.iter().enumerate().filter_map(|(i, span)| {
            let a = home + i;
            Some(match (*span)? {
                Span::Form(v) => (a, el.votes.get(v, p).unwrap_or(0)),
                Span::Tally(pos) => (a, tally.inner_votes(a, pos, p)),
            })
        });
        f(&mut counts)
    }
}

/// The votes of one candidate over every area of their race: streamed.
struct Counts<'a> {
    report: &'a Report<'a>,
    spans: &'a RaceSpans,
    race: RaceIx,
    /// The candidate's position in the race.
    position: usize,
}

impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct VoteCounts<'a> {
            #[serde(rename = "@type")]
            kind: &'static str,
            count: u64,
            gp_unit_id: UnitId<'a>,
            #[serde(rename = "Type")]
            count_type: &'static str,
        }
        let el = self.report.el;
        let write = |counts: &mut dyn Iterator<Item = (AreaIx, u64)>| {
            s.collect_seq(counts.map(|(a, count)| VoteCounts {
                kind: "ElectionResults.VoteCounts",
                count,
                gp_unit_id: UnitId(&el.areas[a].code),
                count_type: "total",
            }))
        };
        self.spans
            .each(self.report, self.race, write, self.position)
    }
}

/// Every area as a `ReportingUnit`: streamed.
struct Units<'a>(&'a Election);

impl Serialize for Units<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Unit<'a> {
            #[serde(rename = "@id")]
            id: UnitId<'a>,
            #[serde(rename = "@type")]
            kind: &'static str,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            composing_gp_unit_ids: Vec<UnitId<'a>>,
            name: Text<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            other_type: Option<&'a str>,
            #[serde(rename = "Type")]
            unit_type: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            voters_registered: Option<u64>,
        }
        let el = self.0;
        s.collect_seq((0..el.areas.len()).map(|a| {
            let area = &el.areas[a];
            let level = el.level_name(a);
            let (unit_type, other_type) = if area.is_station() {
                ("polling-place", None)
            } else {
                match self::unit_type(level) {
                    Some(t) => (t, None),
                    None => ("other", Some(level)),
                }
            };
            Unit {
                id: UnitId(&area.code),
                kind: "ElectionResults.ReportingUnit",
                composing_gp_unit_ids: area
                    .children
                    .iter()
                    .map(|&c| UnitId(&el.areas[c].code))
                    .collect(),
                name: Text {
                    content: &area.name,
                    languages: &el.meta.languages,
                },
                other_type,
                unit_type,
                voters_registered: area.registered,
            }
        }))
    }
}

impl<'a> Report<'a> {
    fn text(&self, content: &'a str) -> Text<'a> {
        Text {
            content,
            languages: &self.el.meta.languages,
        }
    }

    /// Every party named in candidates.csv, sorted by name.
    fn parties(&self) -> Vec<Party<'a>> {
        let names: std::collections::BTreeSet<&str> = self
            .el
            .candidates
            .iter()
            .map(|c| c.party.as_str())
            .filter(|p| !p.is_empty())
            .collect();
        names
            .into_iter()
            .map(|p| Party {
                id: party_id(p),
                kind: "ElectionResults.Party",
                name: self.text(p),
            })
            .collect()
    }

    fn candidates(&self) -> Vec<CandidatePart<'a>> {
        let el = self.el;
        el.candidates
            .iter()
            .map(|c| CandidatePart {
                id: candidate_id(&el.races[c.race].id, &c.id),
                kind: "ElectionResults.Candidate",
                ballot_name: self.text(&c.name),
                party_id: (!c.party.is_empty()).then(|| party_id(&c.party)),
            })
            .collect()
    }

    fn contest(&'a self, r: RaceIx, spans: &'a RaceSpans) -> Contest<'a> {
        let el = self.el;
        let race = &el.races[r];
        let t = self.tally.get(el, race.area, r).unwrap_or_default();
        Contest {
            id: contest_id(&race.id),
            kind: "ElectionResults.CandidateContest",
            contest_selection: race
                .candidates
                .iter()
                .enumerate()
                .map(|(p, &c)| Selection {
                    id: selection_id(&race.id, &el.candidates[c].id),
                    kind: "ElectionResults.CandidateSelection",
                    candidate_ids: [candidate_id(&race.id, &el.candidates[c].id)],
                    sequence_order: p + 1,
                    vote_counts: Counts {
                        report: self,
                        spans,
                        race: r,
                        position: p,
                    },
                })
                .collect(),
            count_status: [CountStatus {
                kind: "ElectionResults.CountStatus",
                status: if t.reporting == t.stations {
                    "completed"
                } else {
                    "in-process"
                },
                count_type: "total",
            }],
            election_district_id: unit_id(&el.areas[race.area].code),
            name: &race.name,
            number_elected: 1,
            sub_units_reported: t.reporting,
            total_sub_units: t.stations,
            votes_allowed: 1,
        }
    }

    /// Whether every station has a station form for every race it votes in.
    pub fn complete(&self) -> bool {
        (0..self.el.races.len()).all(|r| {
            let t = self
                .tally
                .get(self.el, self.el.races[r].area, r)
                .unwrap_or_default();
            t.reporting == t.stations
        })
    }

    fn document(&'a self, spans: &'a RaceSpans) -> Document<'a> {
        let el = self.el;
        let root = &el.areas[el.root()];
        Document {
            kind: "ElectionResults.ElectionReport",
            election: [ElectionPart {
                kind: "ElectionResults.Election",
                candidate: self.candidates(),
                contest: (0..el.races.len())
                    .map(|r| self.contest(r, spans))
                    .collect(),
                election_scope_id: unit_id(&root.code),
                end_date: &el.meta.date,
                name: self.text(&el.meta.title),
                start_date: &el.meta.date,
                election_type: "general",
            }],
            format: "precinct-level",
            generated_date: self.generated,
            gp_unit: Units(el),
            issuer: &el.meta.title,
            issuer_abbreviation: &root.code,
            party: self.parties(),
            sequence_end: 1,
            sequence_start: 1,
            status: if self.complete() {
                "unofficial-complete"
            } else {
                "unofficial-partial"
            },
            vendor_application_id: format!("kura {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_ncnames_and_distinct_codes_give_distinct_ids() {
        assert_eq!(unit_id("001"), "ru-001");
        assert_eq!(esc("a_b c"), "a_5fb_20c");
        // Bytes of a character beyond ASCII are each escaped.
        assert_eq!(esc("é-1"), "_c3_a9-1");
        assert_eq!(esc("_"), "_5f");
        assert_eq!(esc("ab"), "ab");
        assert_eq!(unit_id("x y"), "ru-x_20y");
        // `a` + `b__c` and `a__b` + `c` would meet if `_` were kept.
        assert_ne!(candidate_id("a", "b__c"), candidate_id("a__b", "c"));
        assert_ne!(party_id("A B"), party_id("A_B"));
        for id in [candidate_id("pres", "c.1"), party_id("Chama cha Mapinduzi")] {
            assert!(id.chars().next().unwrap().is_ascii_alphabetic());
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            );
        }
    }

    #[test]
    fn level_names_map_to_nist_unit_types() {
        assert_eq!(unit_type("County"), Some("county"));
        assert_eq!(unit_type(" Ward "), Some("ward"));
        assert_eq!(unit_type("Constituency"), None);
    }
}
