//! Findings: numbers and scans that deserve an auditor's eye. Every check
//! lives here, in [`CHECKS`] and [`findings`]; `docs/findings.md` gives the
//! same rules in words.

use std::collections::BTreeMap;

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

/// A check: its stable id, severity and one-line rule.
pub struct Check {
    pub id: &'static str,
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
        id: "sum-mismatch",
        severity: Severity::Error,
        rule: "the candidate votes on a form do not add up to the total_valid written on it",
    },
    Check {
        id: "over-registered",
        severity: Severity::Error,
        rule: "valid + rejected on a station form exceeds the station's registered voters",
    },
    Check {
        id: "aggregate-mismatch",
        severity: Severity::Error,
        rule: "a declared aggregate form differs from the sum of the station forms under it, for a candidate or for rejected ballots",
    },
    Check {
        id: "scan-hash-mismatch",
        severity: Severity::Error,
        rule: "the scan file's SHA-256 differs from the sha256 declared when it was captured",
    },
    Check {
        id: "scan-reused",
        severity: Severity::Error,
        rule: "the same scan content (same SHA-256) backs two or more forms",
    },
    Check {
        id: "scan-missing",
        severity: Severity::Warning,
        rule: "a form names a scan file that does not exist",
    },
    Check {
        id: "full-turnout",
        severity: Severity::Warning,
        rule: "valid + rejected on a station form equals the station's registered voters exactly (100 % turnout)",
    },
    Check {
        id: "high-turnout",
        severity: Severity::Warning,
        rule: "turnout on a station form is at or above 90 % (and below 100 %) of registered voters",
    },
    Check {
        id: "high-rejected",
        severity: Severity::Warning,
        rule: "rejected ballots are more than 5 % of all ballots on a form (and at least 10)",
    },
    Check {
        id: "aggregate-incomplete",
        severity: Severity::Warning,
        rule: "a declared aggregate form exists while some station forms under it are not in",
    },
    Check {
        id: "missing-line",
        severity: Severity::Warning,
        rule: "a form has no results line for a candidate of its race (counted as 0)",
    },
    Check {
        id: "status-disputed",
        severity: Severity::Info,
        rule: "a form's status is disputed",
    },
    Check {
        id: "no-scan",
        severity: Severity::Info,
        rule: "a form has no scan yet",
    },
];

/// Looks a check up by id.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// One phrase of a finding's detail: a template key and its values. The
/// detail is its parts joined by "; ", so that each language can word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub key: &'static str,
    pub args: Vec<String>,
}

fn part(key: &'static str, args: Vec<String>) -> Part {
    Part { key, args }
}

/// The English wording of every part, the language of `findings.csv`.
/// `locales/en.toml` has the same texts as `detail_<key>` (a test checks).
pub const DETAILS: &[(&str, &str)] = &[
    (
        "sum_mismatch",
        "candidate votes add up to {0}, the form says total_valid {1} ({2})",
    ),
    (
        "over_registered",
        "valid {0} + rejected {1} = {2} ballots, {3} registered voters ({4} over)",
    ),
    ("full_turnout", "{0} ballots for {1} registered voters"),
    ("high_turnout", "turnout {0} ({1} ballots, {2} registered)"),
    ("high_rejected", "{0} rejected of {1} ballots ({2})"),
    ("missing_line", "no line for {0}"),
    ("status_disputed", "the form's status is disputed"),
    ("no_scan", "no scan yet"),
    ("scan_missing", "scans/{0} does not exist"),
    ("scan_hash_mismatch", "declared {0}, file has {1}"),
    ("scan_reused", "scan {0} also backs form(s) {1}"),
    (
        "aggregate_candidate",
        "{0} ({1}): declared {2}, station forms {3} ({4})",
    ),
    (
        "aggregate_rejected",
        "rejected: declared {0}, station forms {1} ({2})",
    ),
    (
        "aggregate_missing",
        "{0} of {1} station forms under it are missing",
    ),
    (
        "aggregate_incomplete",
        "{0} of {1} station forms under it are not in",
    ),
];

/// Words `parts` with `template` (key → text with `{0}`, `{1}`, …).
pub fn word<'a>(parts: &[Part], template: impl Fn(&str) -> &'a str) -> String {
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

/// The English template of a part.
pub fn english(key: &str) -> &'static str {
    DETAILS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, t)| t)
}

/// One finding, pointing at its form (when it concerns one) and area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub area: AreaIx,
    pub race: RaceIx,
    pub form: Option<FormIx>,
    /// In English, as published in findings.csv.
    pub detail: String,
    /// The same, to be worded in another language.
    pub parts: Vec<Part>,
}

/// Formats a count with thousands separators, for details and pages.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn signed(d: i128) -> String {
    if d >= 0 {
        format!("+{}", thousands(d as u64))
    } else {
        format!("-{}", thousands(d.unsigned_abs() as u64))
    }
}

fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// Runs every check over the election. The result is sorted by check (in
/// [`CHECKS`] order), then area (tree order), race and form.
pub fn findings(el: &Election, tally: &Tally) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |check: &'static str, f: FormIx, parts: Vec<Part>| {
        let form = &el.forms[f];
        let severity = self::check(check).map_or(Severity::Info, |c| c.severity);
        out.push(Finding {
            check,
            severity,
            area: form.area,
            race: form.race,
            form: Some(f),
            detail: word(&parts, english),
            parts,
        });
    };
    let mut by_hash: BTreeMap<&str, Vec<FormIx>> = BTreeMap::new();
    for (i, form) in el.forms.iter().enumerate() {
        let race = &el.races[form.race];
        let valid = form.valid().unwrap_or(u64::MAX);
        if let Some(total) = form.total_valid
            && total != valid
        {
            push(
                "sum-mismatch",
                i,
                vec![part(
                    "sum_mismatch",
                    vec![
                        thousands(valid),
                        thousands(total),
                        signed(valid as i128 - total as i128),
                    ],
                )],
            );
        }
        let area = &el.areas[form.area];
        if area.is_station() {
            let rejected = form.rejected.unwrap_or(0);
            let cast = valid.saturating_add(rejected);
            if let Some(reg) = area.registered {
                if cast > reg {
                    push(
                        "over-registered",
                        i,
                        vec![part(
                            "over_registered",
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
                        "full-turnout",
                        i,
                        vec![part("full_turnout", vec![thousands(cast), thousands(reg)])],
                    );
                } else if reg > 0 && cast as f64 >= HIGH_TURNOUT * reg as f64 {
                    push(
                        "high-turnout",
                        i,
                        vec![part(
                            "high_turnout",
                            vec![
                                percent(cast as f64 / reg as f64),
                                thousands(cast),
                                thousands(reg),
                            ],
                        )],
                    );
                }
            }
        }
        if let Some(rejected) = form.rejected {
            let cast = valid.saturating_add(rejected);
            if rejected >= HIGH_REJECTED_MIN && rejected as f64 > HIGH_REJECTED * cast as f64 {
                push(
                    "high-rejected",
                    i,
                    vec![part(
                        "high_rejected",
                        vec![
                            thousands(rejected),
                            thousands(cast),
                            percent(rejected as f64 / cast as f64),
                        ],
                    )],
                );
            }
        }
        let missing: Vec<&str> = form
            .votes
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_none())
            .map(|(p, _)| el.candidates[race.candidates[p]].id.as_str())
            .collect();
        if !missing.is_empty() {
            push(
                "missing-line",
                i,
                vec![part("missing_line", vec![missing.join(", ")])],
            );
        }
        if form.status == Status::Disputed {
            push(
                "status-disputed",
                i,
                vec![part("status_disputed", Vec::new())],
            );
        }
        match (&form.scan, form.scan_path.is_empty()) {
            (_, true) => push("no-scan", i, vec![part("no_scan", Vec::new())]),
            (None, false) => push(
                "scan-missing",
                i,
                vec![part("scan_missing", vec![form.scan_path.clone()])],
            ),
            (Some(scan), false) => {
                by_hash.entry(scan.sha256.as_str()).or_default().push(i);
                if let Some(declared) = &form.declared_sha256
                    && declared != &scan.sha256
                {
                    push(
                        "scan-hash-mismatch",
                        i,
                        vec![part(
                            "scan_hash_mismatch",
                            vec![declared.clone(), scan.sha256.clone()],
                        )],
                    );
                }
            }
        }
        if !area.is_station() {
            aggregate(el, tally, i, &mut push);
        }
    }
    for (hash, forms) in &by_hash {
        if forms.len() < 2 {
            continue;
        }
        for &f in forms {
            let others: Vec<&str> = forms
                .iter()
                .filter(|&&o| o != f)
                .map(|&o| el.forms[o].id.as_str())
                .collect();
            push(
                "scan-reused",
                f,
                vec![part(
                    "scan_reused",
                    vec![hash[..12].to_string(), others.join(", ")],
                )],
            );
        }
    }
    let rank = |id: &str| CHECKS.iter().position(|c| c.id == id).unwrap_or(usize::MAX);
    out.sort_by(|a, b| {
        (
            rank(a.check),
            a.area,
            a.race,
            a.form.map(|f| &el.forms[f].id),
        )
            .cmp(&(
                rank(b.check),
                b.area,
                b.race,
                b.form.map(|f| &el.forms[f].id),
            ))
    });
    out
}

/// Reconciles a declared aggregate form with the station forms under it.
fn aggregate(
    el: &Election,
    tally: &Tally,
    f: FormIx,
    push: &mut impl FnMut(&'static str, FormIx, Vec<Part>),
) {
    let form = &el.forms[f];
    let Some(sum) = tally.get(el, form.area, form.race) else {
        return;
    };
    let race = &el.races[form.race];
    let mut diffs = Vec::new();
    for (p, declared) in form.votes.iter().enumerate() {
        let declared = declared.unwrap_or(0);
        if declared != sum.votes[p] {
            let c = &el.candidates[race.candidates[p]];
            diffs.push(part(
                "aggregate_candidate",
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
    if let Some(rejected) = form.rejected
        && rejected != sum.rejected
    {
        diffs.push(part(
            "aggregate_rejected",
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
                "aggregate_missing",
                vec![thousands(missing), thousands(sum.stations)],
            ));
        }
        push("aggregate-mismatch", f, diffs);
    }
    if missing > 0 {
        push(
            "aggregate-incomplete",
            f,
            vec![part(
                "aggregate_incomplete",
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
    fn the_english_locale_words_details_as_findings_csv_does() {
        let en = crate::site::locale::strings("en").unwrap();
        for (key, text) in DETAILS {
            assert_eq!(en.detail(key), *text, "detail_{key} in locales/en.toml");
        }
        let parts = vec![
            part(
                "aggregate_candidate",
                vec!["a".into(), "A".into(), "1".into(), "2".into(), "-1".into()],
            ),
            part("aggregate_missing", vec!["3".into(), "9".into()]),
        ];
        assert_eq!(
            word(&parts, english),
            "a (A): declared 1, station forms 2 (-1); 3 of 9 station forms under it are missing"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22102532), "22,102,532");
    }
}
