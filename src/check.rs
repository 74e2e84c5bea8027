//! Findings: numbers and scans that deserve an auditor's eye. Every check
//! lives here, in [`CHECKS`] and [`findings`]; `docs/findings.md` gives the
//! same rules in words.

use crate::format::{percent, signed, thousands};
use crate::model::{AreaIx, Election, FormIx, RaceIx, Status};
use crate::tally::Tally;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// What a finding is: one of the checks, in the order findings are listed
/// (the index of its [`Check`] in [`CHECKS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckId {
    SumMismatch,
    OverRegistered,
    AggregateMismatch,
    ScanHashMismatch,
    ScanReused,
    ScanMissing,
    FullTurnout,
    HighTurnout,
    HighRejected,
    AggregateIncomplete,
    MissingLine,
    StatusDisputed,
    NoScan,
}

impl CheckId {
    /// Every check, in [`CHECKS`] order.
    pub const ALL: [CheckId; 13] = [
        CheckId::SumMismatch,
        CheckId::OverRegistered,
        CheckId::AggregateMismatch,
        CheckId::ScanHashMismatch,
        CheckId::ScanReused,
        CheckId::ScanMissing,
        CheckId::FullTurnout,
        CheckId::HighTurnout,
        CheckId::HighRejected,
        CheckId::AggregateIncomplete,
        CheckId::MissingLine,
        CheckId::StatusDisputed,
        CheckId::NoScan,
    ];

    /// The stable id, as in `findings.csv` and on the badges of pages.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::SumMismatch => "sum-mismatch",
            CheckId::OverRegistered => "over-registered",
            CheckId::AggregateMismatch => "aggregate-mismatch",
            CheckId::ScanHashMismatch => "scan-hash-mismatch",
            CheckId::ScanReused => "scan-reused",
            CheckId::ScanMissing => "scan-missing",
            CheckId::FullTurnout => "full-turnout",
            CheckId::HighTurnout => "high-turnout",
            CheckId::HighRejected => "high-rejected",
            CheckId::AggregateIncomplete => "aggregate-incomplete",
            CheckId::MissingLine => "missing-line",
            CheckId::StatusDisputed => "status-disputed",
            CheckId::NoScan => "no-scan",
        }
    }

    /// The check of an id read back from `findings.csv`.
    pub fn parse(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == id)
    }

    /// Its severity, rule and place in the listing.
    pub fn check(self) -> &'static Check {
        &CHECKS[self as usize]
    }

    pub fn severity(self) -> Severity {
        self.check().severity
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check: its id, severity and one-line rule.
pub struct Check {
    pub id: CheckId,
    pub severity: Severity,
    pub rule: &'static str,
}

/// Turnout (valid + rejected over registered) at or above which a station
/// gets `high-turnout`.
pub const HIGH_TURNOUT: f64 = 0.90;
/// Share of rejected ballots above which a station gets `high-rejected`.
pub const HIGH_REJECTED: f64 = 0.05;
/// `high-rejected` needs at least this many rejected ballots, so that a
/// tiny station with two spoilt papers is not flagged.
pub const HIGH_REJECTED_MIN: u64 = 10;

/// Every check, in the order findings are listed.
pub const CHECKS: &[Check] = &[
    Check {
        id: CheckId::SumMismatch,
        severity: Severity::Error,
        rule: "the candidate votes on a form do not add up to the total_valid written on it",
    },
    Check {
        id: CheckId::OverRegistered,
        severity: Severity::Error,
        rule: "valid + rejected on a station form exceeds the station's registered voters",
    },
    Check {
        id: CheckId::AggregateMismatch,
        severity: Severity::Error,
        rule: "a declared aggregate form differs from the sum of the station forms under it, for a candidate or for rejected ballots",
    },
    Check {
        id: CheckId::ScanHashMismatch,
        severity: Severity::Error,
        rule: "the scan file's SHA-256 differs from the sha256 declared when it was captured",
    },
    Check {
        id: CheckId::ScanReused,
        severity: Severity::Error,
        rule: "the same scan content (same SHA-256) backs two or more forms",
    },
    Check {
        id: CheckId::ScanMissing,
        severity: Severity::Warning,
        rule: "a form names a scan file that does not exist",
    },
    Check {
        id: CheckId::FullTurnout,
        severity: Severity::Warning,
        rule: "valid + rejected on a station form equals the station's registered voters exactly (100 % turnout)",
    },
    Check {
        id: CheckId::HighTurnout,
        severity: Severity::Warning,
        rule: "turnout on a station form is at or above 90 % (and below 100 %) of registered voters",
    },
    Check {
        id: CheckId::HighRejected,
        severity: Severity::Warning,
        rule: "rejected ballots are more than 5 % of all ballots on a form (and at least 10)",
    },
    Check {
        id: CheckId::AggregateIncomplete,
        severity: Severity::Warning,
        rule: "a declared aggregate form exists while some station forms under it are not in",
    },
    Check {
        id: CheckId::MissingLine,
        severity: Severity::Warning,
        rule: "a form has no results line for a candidate of its race (counted as 0)",
    },
    Check {
        id: CheckId::StatusDisputed,
        severity: Severity::Info,
        rule: "a form's status is disputed",
    },
    Check {
        id: CheckId::NoScan,
        severity: Severity::Info,
        rule: "a form has no scan yet",
    },
];

/// One phrase of a finding's detail: which phrase, and its values. The
/// detail is its parts joined by "; ", so that each language can word it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Part {
    pub key: Detail,
    /// Boxed, without spare room: 16 bytes where a list of strings is 24.
    pub args: Box<[Box<str>]>,
}

fn part(key: Detail, args: Vec<String>) -> Part {
    Part {
        key,
        args: args.into_iter().map(String::into_boxed_str).collect(),
    }
}

/// Every phrase a finding's detail is made of. Its English wording
/// ([`Detail::english`]) is the language of `findings.csv`;
/// `locales/*.toml` word it as `detail_<key>` (a test checks English).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    SumMismatch,
    OverRegistered,
    FullTurnout,
    HighTurnout,
    HighRejected,
    MissingLine,
    StatusDisputed,
    NoScan,
    ScanMissing,
    ScanHashMismatch,
    ScanReused,
    AggregateCandidate,
    AggregateRejected,
    AggregateMissing,
    AggregateIncomplete,
}

impl Detail {
    pub const ALL: [Detail; 15] = [
        Detail::SumMismatch,
        Detail::OverRegistered,
        Detail::FullTurnout,
        Detail::HighTurnout,
        Detail::HighRejected,
        Detail::MissingLine,
        Detail::StatusDisputed,
        Detail::NoScan,
        Detail::ScanMissing,
        Detail::ScanHashMismatch,
        Detail::ScanReused,
        Detail::AggregateCandidate,
        Detail::AggregateRejected,
        Detail::AggregateMissing,
        Detail::AggregateIncomplete,
    ];

    /// Its key in the locale files (`detail_<key>`).
    pub fn key(self) -> &'static str {
        match self {
            Detail::SumMismatch => "sum_mismatch",
            Detail::OverRegistered => "over_registered",
            Detail::FullTurnout => "full_turnout",
            Detail::HighTurnout => "high_turnout",
            Detail::HighRejected => "high_rejected",
            Detail::MissingLine => "missing_line",
            Detail::StatusDisputed => "status_disputed",
            Detail::NoScan => "no_scan",
            Detail::ScanMissing => "scan_missing",
            Detail::ScanHashMismatch => "scan_hash_mismatch",
            Detail::ScanReused => "scan_reused",
            Detail::AggregateCandidate => "aggregate_candidate",
            Detail::AggregateRejected => "aggregate_rejected",
            Detail::AggregateMissing => "aggregate_missing",
            Detail::AggregateIncomplete => "aggregate_incomplete",
        }
    }

    /// Its English template, with `{0}`, `{1}`, … for the values.
    pub fn english(self) -> &'static str {
        match self {
            Detail::SumMismatch => {
                "candidate votes add up to {0}, the form says total_valid {1} ({2})"
            }
            Detail::OverRegistered => {
                "valid {0} + rejected {1} = {2} ballots, {3} registered voters ({4} over)"
            }
            Detail::FullTurnout => "{0} ballots for {1} registered voters",
            Detail::HighTurnout => "turnout {0} ({1} ballots, {2} registered)",
            Detail::HighRejected => "{0} rejected of {1} ballots ({2})",
            Detail::MissingLine => "no line for {0}",
            Detail::StatusDisputed => "the form's status is disputed",
            Detail::NoScan => "no scan yet",
            Detail::ScanMissing => "scans/{0} does not exist",
            Detail::ScanHashMismatch => "declared {0}, file has {1}",
            Detail::ScanReused => "scan {0} also backs form(s) {1}",
            Detail::AggregateCandidate => "{0} ({1}): declared {2}, station forms {3} ({4})",
            Detail::AggregateRejected => "rejected: declared {0}, station forms {1} ({2})",
            Detail::AggregateMissing => "{0} of {1} station forms under it are missing",
            Detail::AggregateIncomplete => "{0} of {1} station forms under it are not in",
        }
    }
}

/// Words `parts` with `template` (phrase → text with `{0}`, `{1}`, …).
pub fn word<'a>(parts: &[Part], template: impl Fn(Detail) -> &'a str) -> String {
    parts
        .iter()
        .map(|p| {
            let mut text = template(p.key).to_string();
            for (i, a) in p.args.iter().enumerate().rev() {
                text = text.replace(&format!("{{{i}}}"), a);
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One finding, pointing at its form (when it concerns one) and area.
/// 48 bytes: a million stations without scans have six million findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: CheckId,
    pub severity: Severity,
    /// The form's index, or [`NO_FORM`] ([`Finding::form`]).
    form: u32,
    pub area: AreaIx,
    pub race: RaceIx,
    /// What it found, to be worded in each language ([`Finding::detail`]
    /// in English): a million findings hold no sentence each.
    pub parts: Parts,
}

/// A finding about no form in particular. The loader stops short of this
/// many forms ([`crate::load::MAX_FORMS`]).
const NO_FORM: u32 = u32::MAX;

/// The phrases of a finding. Most findings have one, kept in place rather
/// than in a list of its own: a million stations without scans make six
/// million "no scan" findings, and a list each cost 48 bytes more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parts {
    One(Part),
    Many(Box<[Part]>),
}

impl std::ops::Deref for Parts {
    type Target = [Part];
    fn deref(&self) -> &[Part] {
        match self {
            Parts::One(p) => std::slice::from_ref(p),
            Parts::Many(ps) => ps,
        }
    }
}

impl From<Vec<Part>> for Parts {
    fn from(mut parts: Vec<Part>) -> Parts {
        match parts.len() {
            1 => Parts::One(parts.remove(0)),
            _ => Parts::Many(parts.into_boxed_slice()),
        }
    }
}

impl Finding {
    pub fn new(
        check: CheckId,
        area: AreaIx,
        race: RaceIx,
        form: Option<FormIx>,
        parts: Parts,
    ) -> Finding {
        let form = form.map_or(NO_FORM, |f| {
            u32::try_from(f)
                .ok()
                .filter(|&f| f != NO_FORM)
                .expect("the loader keeps fewer forms than NO_FORM")
        });
        Finding {
            check,
            severity: check.severity(),
            form,
            area,
            race,
            parts,
        }
    }

    /// The form it is about, if any.
    pub fn form(&self) -> Option<FormIx> {
        (self.form != NO_FORM).then_some(self.form as FormIx)
    }

    /// In English, as published in findings.csv.
    pub fn detail(&self) -> String {
        word(&self.parts, Detail::english)
    }
}

/// Puts `v` in the order `order` gives (position `k` receives the element
/// at `order[k]`), in place, by following each cycle of the permutation;
/// `order` is used up.
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for i in 0..v.len() {
        let mut j = i;
        loop {
            let k = order[j];
            order[j] = j;
            if k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// Runs every check over the election. The result is sorted by check (in
/// [`CHECKS`] order), then area (tree order), race and form.
pub fn findings(el: &Election, tally: &Tally) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |check: CheckId, f: FormIx, parts: Vec<Part>| {
        let form = &el.forms[f];
        out.push(Finding::new(
            check,
            form.area,
            form.race,
            Some(f),
            parts.into(),
        ));
    };
    let mut by_hash: Vec<(&str, FormIx)> = Vec::new();
    for f in 0..el.forms.len() {
        let station = el.areas[el.forms[f].area].is_station();
        sums(el, f, &mut push);
        if station {
            turnout(el, f, &mut push);
        }
        rejected(el, f, &mut push);
        lines_and_status(el, f, &mut push);
        scan(el, f, &mut push, &mut by_hash);
        if !station {
            aggregate(el, tally, f, &mut push);
        }
    }
    reused(el, by_hash, &mut push);
    // Sorted through a list of positions (8 bytes a finding) rather than
    // in place (a stable sort of the findings themselves takes half their
    // size again), equal ones kept in the order they were found.
    let key = |x: &Finding| (x.check, x.area, x.race, x.form().map(|f| el.forms[f].id()));
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_unstable_by(|&a, &b| key(&out[a]).cmp(&key(&out[b])).then(a.cmp(&b)));
    permute(&mut out, &mut order);
    out.shrink_to_fit();
    out
}

/// What the checks of one form report a finding through.
type Push<'a> = dyn FnMut(CheckId, FormIx, Vec<Part>) + 'a;

/// `sum-mismatch`: the lines do not add up to the total written.
fn sums(el: &Election, f: FormIx, push: &mut Push<'_>) {
    let form = &el.forms[f];
    let valid = el.votes.valid(form.votes).unwrap_or(u64::MAX);
    if let Some(total) = form.total_valid()
        && total != valid
    {
        push(
            CheckId::SumMismatch,
            f,
            vec![part(
                Detail::SumMismatch,
                vec![
                    thousands(valid),
                    thousands(total),
                    signed(valid as i128 - total as i128),
                ],
            )],
        );
    }
}

/// `over-registered`, `full-turnout` and `high-turnout`, on a station's form.
fn turnout(el: &Election, f: FormIx, push: &mut Push<'_>) {
    let form = &el.forms[f];
    let Some(reg) = el.areas[form.area].registered else {
        return;
    };
    let valid = el.votes.valid(form.votes).unwrap_or(u64::MAX);
    let rejected = form.rejected().unwrap_or(0);
    let cast = valid.saturating_add(rejected);
    if cast > reg {
        push(
            CheckId::OverRegistered,
            f,
            vec![part(
                Detail::OverRegistered,
                vec![
                    thousands(valid),
                    thousands(rejected),
                    thousands(cast),
                    thousands(reg),
                    thousands(cast - reg),
                ],
            )],
        );
    } else if cast == reg && reg > 0 {
        push(
            CheckId::FullTurnout,
            f,
            vec![part(
                Detail::FullTurnout,
                vec![thousands(cast), thousands(reg)],
            )],
        );
    } else if reg > 0 && cast as f64 >= HIGH_TURNOUT * reg as f64 {
        push(
            CheckId::HighTurnout,
            f,
            vec![part(
                Detail::HighTurnout,
                vec![
                    percent(cast as f64 / reg as f64),
                    thousands(cast),
                    thousands(reg),
                ],
            )],
        );
    }
}

/// `high-rejected`.
fn rejected(el: &Election, f: FormIx, push: &mut Push<'_>) {
    let form = &el.forms[f];
    let Some(rejected) = form.rejected() else {
        return;
    };
    let cast = el
        .votes
        .valid(form.votes)
        .unwrap_or(u64::MAX)
        .saturating_add(rejected);
    if rejected >= HIGH_REJECTED_MIN && rejected as f64 > HIGH_REJECTED * cast as f64 {
        push(
            CheckId::HighRejected,
            f,
            vec![part(
                Detail::HighRejected,
                vec![
                    thousands(rejected),
                    thousands(cast),
                    percent(rejected as f64 / cast as f64),
                ],
            )],
        );
    }
}

/// `missing-line` and `status-disputed`.
fn lines_and_status(el: &Election, f: FormIx, push: &mut Push<'_>) {
    let form = &el.forms[f];
    let race = &el.races[form.race];
    let missing: Vec<&str> = el
        .votes
        .of(form.votes)
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .map(|(p, _)| el.candidates[race.candidates[p]].id.as_str())
        .collect();
    if !missing.is_empty() {
        push(
            CheckId::MissingLine,
            f,
            vec![part(Detail::MissingLine, vec![missing.join(", ")])],
        );
    }
    if form.status == Status::Disputed {
        push(
            CheckId::StatusDisputed,
            f,
            vec![part(Detail::StatusDisputed, Vec::new())],
        );
    }
}

/// `no-scan`, `scan-missing` and `scan-hash-mismatch`; notes the scan's
/// hash in `by_hash` for [`reused`].
fn scan<'a>(
    el: &'a Election,
    f: FormIx,
    push: &mut Push<'_>,
    by_hash: &mut Vec<(&'a str, FormIx)>,
) {
    let form = &el.forms[f];
    match (&form.scan, form.scan_path().is_empty()) {
        (_, true) => push(CheckId::NoScan, f, vec![part(Detail::NoScan, Vec::new())]),
        (None, false) => push(
            CheckId::ScanMissing,
            f,
            vec![part(
                Detail::ScanMissing,
                vec![form.scan_path().to_string()],
            )],
        ),
        (Some(scan), false) => {
            by_hash.push((scan.sha256.as_str(), f));
            if let Some(declared) = form.declared_sha256()
                && declared != scan.sha256
            {
                push(
                    CheckId::ScanHashMismatch,
                    f,
                    vec![part(
                        Detail::ScanHashMismatch,
                        vec![declared.to_string(), scan.sha256.clone()],
                    )],
                );
            }
        }
    }
}

/// `scan-reused`: one scan's content behind two or more forms.
/// `by_hash` holds each form with a scan and its scan's hash; sorted, the
/// forms of one hash follow one another (a list, not a map holding a list
/// for each of hundreds of thousands of hashes).
fn reused(el: &Election, mut by_hash: Vec<(&str, FormIx)>, push: &mut Push<'_>) {
    by_hash.sort_unstable();
    for run in by_hash.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let hash = run[0].0;
        for &(_, f) in run {
            let others: Vec<&str> = run
                .iter()
                .filter(|&&(_, o)| o != f)
                .map(|&(_, o)| el.forms[o].id())
                .collect();
            push(
                CheckId::ScanReused,
                f,
                vec![part(
                    Detail::ScanReused,
                    vec![hash[..12].to_string(), others.join(", ")],
                )],
            );
        }
    }
}

/// Reconciles a declared aggregate form with the station forms under it.
fn aggregate(el: &Election, tally: &Tally, f: FormIx, push: &mut Push<'_>) {
    let form = &el.forms[f];
    let Some(sum) = tally.get(el, form.area, form.race) else {
        return;
    };
    let race = &el.races[form.race];
    let mut diffs = Vec::new();
    for (p, declared) in el.votes.of(form.votes).enumerate() {
        let declared = declared.unwrap_or(0);
        if declared != sum.votes[p] {
            let c = &el.candidates[race.candidates[p]];
            diffs.push(part(
                Detail::AggregateCandidate,
                vec![
                    c.id.clone(),
                    c.name.clone(),
                    thousands(declared),
                    thousands(sum.votes[p]),
                    signed(declared as i128 - sum.votes[p] as i128),
                ],
            ));
        }
    }
    if let Some(rejected) = form.rejected()
        && rejected != sum.rejected
    {
        diffs.push(part(
            Detail::AggregateRejected,
            vec![
                thousands(rejected),
                thousands(sum.rejected),
                signed(rejected as i128 - sum.rejected as i128),
            ],
        ));
    }
    let missing = sum.stations - sum.reporting;
    if !diffs.is_empty() {
        if missing > 0 {
            diffs.push(part(
                Detail::AggregateMissing,
                vec![thousands(missing), thousands(sum.stations)],
            ));
        }
        push(CheckId::AggregateMismatch, f, diffs);
    }
    if missing > 0 {
        push(
            CheckId::AggregateIncomplete,
            f,
            vec![part(
                Detail::AggregateIncomplete,
                vec![thousands(missing), thousands(sum.stations)],
            )],
        );
    }
}

/// Counts of findings per check, in [`CHECKS`] order (checks with none left out).
pub fn counts(findings: &[Finding]) -> Vec<(&'static Check, usize)> {
    CHECKS
        .iter()
        .map(|c| (c, findings.iter().filter(|f| f.check == c.id).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_stays_small_and_knows_its_form() {
        // Six million "no scan" findings at a million stations.
        assert_eq!(std::mem::size_of::<Finding>(), 48);
        let parts = || Parts::One(part(Detail::NoScan, Vec::new()));
        let f = Finding::new(CheckId::NoScan, 1, 2, Some(7), parts());
        assert_eq!((f.form(), f.area, f.race), (Some(7), 1, 2));
        assert_eq!(f.severity, CheckId::NoScan.severity());
        let f = Finding::new(CheckId::NoScan, 1, 2, None, parts());
        assert_eq!(f.form(), None);
    }

    #[test]
    fn permute_puts_each_element_where_the_order_says() {
        // Shuffles of every size (a Fisher-Yates shuffle driven by a fixed
        // linear congruential sequence), the identity and one long cycle.
        let mut seed = 12345u64;
        for n in [0usize, 1, 2, 3, 7, 64, 1000] {
            let mut shuffled: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                shuffled.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let cycle: Vec<usize> = (0..n).map(|k| (k + 1) % n.max(1)).collect();
            for order in [shuffled, (0..n).collect(), cycle] {
                let v: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
                let want: Vec<String> = order.iter().map(|&k| v[k].clone()).collect();
                let mut got = v.clone();
                permute(&mut got, &mut order.clone());
                assert_eq!(got, want, "n={n} order={order:?}");
            }
        }
    }

    #[test]
    fn the_english_locale_words_details_as_findings_csv_does() {
        let en = crate::site::locale::strings("en").unwrap();
        for d in Detail::ALL {
            assert_eq!(
                en.detail(d),
                d.english(),
                "detail_{} in locales/en.toml",
                d.key()
            );
        }
        for (i, c) in CHECKS.iter().enumerate() {
            assert_eq!(c.id as usize, i, "{} is out of place in CHECKS", c.id);
            assert_eq!(CheckId::parse(c.id.as_str()), Some(c.id));
        }
        let parts = vec![
            part(
                Detail::AggregateCandidate,
                vec!["a".into(), "A".into(), "1".into(), "2".into(), "-1".into()],
            ),
            part(Detail::AggregateMissing, vec!["3".into(), "9".into()]),
        ];
        assert_eq!(
            word(&parts, Detail::english),
            "a (A): declared 1, station forms 2 (-1); 3 of 9 station forms under it are missing"
        );
    }
}
