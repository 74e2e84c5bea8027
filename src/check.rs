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

/// One finding, pointing at its form (when it concerns one) and area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub area: AreaIx,
    pub race: RaceIx,
    pub form: Option<FormIx>,
    pub detail: String,
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
    let mut push = |check: &'static str, f: FormIx, detail: String| {
        let form = &el.forms[f];
        let severity = self::check(check).map_or(Severity::Info, |c| c.severity);
        out.push(Finding {
            check,
            severity,
            area: form.area,
            race: form.race,
            form: Some(f),
            detail,
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
                format!(
                    "candidate votes add up to {}, the form says total_valid {} ({})",
                    thousands(valid),
                    thousands(total),
                    signed(valid as i128 - total as i128)
                ),
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
                        format!(
                            "valid {} + rejected {} = {} ballots, {} registered voters ({} over)",
                            thousands(valid),
                            thousands(rejected),
                            thousands(cast),
                            thousands(reg),
                            thousands(cast - reg)
                        ),
                    );
                } else if cast == reg && reg > 0 {
                    push(
                        "full-turnout",
                        i,
                        format!(
                            "{} ballots for {} registered voters",
                            thousands(cast),
                            thousands(reg)
                        ),
                    );
                } else if reg > 0 && cast as f64 >= HIGH_TURNOUT * reg as f64 {
                    push(
                        "high-turnout",
                        i,
                        format!(
                            "turnout {} ({} ballots, {} registered)",
                            percent(cast as f64 / reg as f64),
                            thousands(cast),
                            thousands(reg)
                        ),
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
                    format!(
                        "{} rejected of {} ballots ({})",
                        thousands(rejected),
                        thousands(cast),
                        percent(rejected as f64 / cast as f64)
                    ),
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
                format!("no line for {}", missing.join(", ")),
            );
        }
        if form.status == Status::Disputed {
            push(
                "status-disputed",
                i,
                "the form's status is disputed".to_string(),
            );
        }
        match (&form.scan, form.scan_path.is_empty()) {
            (_, true) => push("no-scan", i, "no scan yet".to_string()),
            (None, false) => push(
                "scan-missing",
                i,
                format!("scans/{} does not exist", form.scan_path),
            ),
            (Some(scan), false) => {
                by_hash.entry(scan.sha256.as_str()).or_default().push(i);
                if let Some(declared) = &form.declared_sha256
                    && declared != &scan.sha256
                {
                    push(
                        "scan-hash-mismatch",
                        i,
                        format!("declared {declared}, file has {}", scan.sha256),
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
                format!(
                    "scan {} also backs form(s) {}",
                    &hash[..12],
                    others.join(", ")
                ),
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
    push: &mut impl FnMut(&'static str, FormIx, String),
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
            diffs.push(format!(
                "{} ({}): declared {}, station forms {} ({})",
                c.id,
                c.name,
                thousands(declared),
                thousands(sum.votes[p]),
                signed(declared as i128 - sum.votes[p] as i128)
            ));
        }
    }
    if let Some(rejected) = form.rejected
        && rejected != sum.rejected
    {
        diffs.push(format!(
            "rejected: declared {}, station forms {} ({})",
            thousands(rejected),
            thousands(sum.rejected),
            signed(rejected as i128 - sum.rejected as i128)
        ));
    }
    let missing = sum.stations - sum.reporting;
    if !diffs.is_empty() {
        let mut detail = diffs.join("; ");
        if missing > 0 {
            detail.push_str(&format!(
                "; {} of {} station forms under it are missing",
                thousands(missing),
                thousands(sum.stations)
            ));
        }
        push("aggregate-mismatch", f, detail);
    }
    if missing > 0 {
        push(
            "aggregate-incomplete",
            f,
            format!(
                "{} of {} station forms under it are not in",
                thousands(missing),
                thousands(sum.stations)
            ),
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
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22102532), "22,102,532");
    }
}
