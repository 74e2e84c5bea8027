//! Interface strings, one locale file per language (`locales/*.toml`),
//! compiled in. Names from the input are never translated.

use serde::Deserialize;

/// Every interface string of the site.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub lang_name: String,
    pub skip: String,
    pub home: String,
    pub you_are_here: String,
    pub about_data: String,
    pub integrity: String,
    pub generated_by: String,
    pub published: String,
    pub election_date: String,
    pub reporting: String,
    pub stations_reporting: String,
    pub of: String,
    pub registered: String,
    pub valid: String,
    pub rejected: String,
    pub turnout: String,
    pub unknown: String,
    pub candidate: String,
    pub party: String,
    pub votes: String,
    pub share: String,
    pub leader: String,
    pub margin: String,
    pub results_for: String,
    pub no_results: String,
    pub chart_title: String,
    pub declared_form: String,
    pub declared: String,
    pub computed: String,
    pub difference: String,
    pub form: String,
    pub status: String,
    pub status_verified: String,
    pub status_provisional: String,
    pub status_disputed: String,
    pub no_form: String,
    pub total_valid_written: String,
    pub scan: String,
    pub scan_open: String,
    pub scan_pdf: String,
    pub scan_none: String,
    pub scan_missing: String,
    pub sha256: String,
    pub hash_matches: String,
    pub hash_differs: String,
    pub hash_not_declared: String,
    pub device: String,
    pub captured_at: String,
    pub station_code: String,
    pub up: String,
    pub previous: String,
    pub next: String,
    pub findings: String,
    pub findings_none: String,
    pub finding_check: String,
    pub severity_error: String,
    pub severity_warning: String,
    pub severity_info: String,
    pub areas_in: String,
    pub open_data_intro: String,
    pub pages: String,
    pub specimen: String,
    pub race: String,
    pub level: String,
    pub station: String,
    pub not_found: String,
    pub not_found_text: String,
    pub changes: String,
    pub version: String,
    pub versions: String,
    pub since_version: String,
    pub first_version: String,
    pub forms_added: String,
    pub forms_removed: String,
    pub forms_changed: String,
    pub totals_changed: String,
    pub findings_appeared: String,
    pub findings_resolved: String,
    pub no_changes: String,
    pub more_in: String,
    pub history: String,
    pub form_added: String,
    pub before: String,
    pub after: String,
    pub area: String,
    pub feed: String,
    pub language: String,
    pub search: String,
    pub search_label: String,
    pub search_hint: String,
    pub search_none: String,
    pub search_more: String,
    pub stations_az: String,
    pub az_intro: String,
    pub manifest_about: String,
    pub rule_sum_mismatch: String,
    pub rule_over_registered: String,
    pub rule_aggregate_mismatch: String,
    pub rule_scan_hash_mismatch: String,
    pub rule_scan_reused: String,
    pub rule_scan_missing: String,
    pub rule_full_turnout: String,
    pub rule_high_turnout: String,
    pub rule_high_rejected: String,
    pub rule_aggregate_incomplete: String,
    pub rule_missing_line: String,
    pub rule_disputed: String,
    pub rule_no_scan: String,
    pub detail_sum_mismatch: String,
    pub detail_over_registered: String,
    pub detail_full_turnout: String,
    pub detail_high_turnout: String,
    pub detail_high_rejected: String,
    pub detail_missing_line: String,
    pub detail_status_disputed: String,
    pub detail_no_scan: String,
    pub detail_scan_missing: String,
    pub detail_scan_hash_mismatch: String,
    pub detail_scan_reused: String,
    pub detail_aggregate_candidate: String,
    pub detail_aggregate_rejected: String,
    pub detail_aggregate_missing: String,
    pub detail_aggregate_incomplete: String,
}

const EN: &str = include_str!("../../locales/en.toml");
const SW: &str = include_str!("../../locales/sw.toml");

impl Strings {
    /// The rule of a check, in words, in this language.
    pub fn rule(&self, check: &str) -> &str {
        match check {
            "sum-mismatch" => &self.rule_sum_mismatch,
            "over-registered" => &self.rule_over_registered,
            "aggregate-mismatch" => &self.rule_aggregate_mismatch,
            "scan-hash-mismatch" => &self.rule_scan_hash_mismatch,
            "scan-reused" => &self.rule_scan_reused,
            "scan-missing" => &self.rule_scan_missing,
            "full-turnout" => &self.rule_full_turnout,
            "high-turnout" => &self.rule_high_turnout,
            "high-rejected" => &self.rule_high_rejected,
            "aggregate-incomplete" => &self.rule_aggregate_incomplete,
            "missing-line" => &self.rule_missing_line,
            "status-disputed" => &self.rule_disputed,
            _ => &self.rule_no_scan,
        }
    }

    /// The template of a part of a finding's detail (see `check::DETAILS`).
    pub fn detail(&self, key: &str) -> &str {
        match key {
            "sum_mismatch" => &self.detail_sum_mismatch,
            "over_registered" => &self.detail_over_registered,
            "full_turnout" => &self.detail_full_turnout,
            "high_turnout" => &self.detail_high_turnout,
            "high_rejected" => &self.detail_high_rejected,
            "missing_line" => &self.detail_missing_line,
            "status_disputed" => &self.detail_status_disputed,
            "no_scan" => &self.detail_no_scan,
            "scan_missing" => &self.detail_scan_missing,
            "scan_hash_mismatch" => &self.detail_scan_hash_mismatch,
            "scan_reused" => &self.detail_scan_reused,
            "aggregate_candidate" => &self.detail_aggregate_candidate,
            "aggregate_rejected" => &self.detail_aggregate_rejected,
            "aggregate_missing" => &self.detail_aggregate_missing,
            _ => &self.detail_aggregate_incomplete,
        }
    }

    /// A finding's detail in this language.
    pub fn finding(&self, parts: &[crate::check::Part]) -> String {
        crate::check::word(parts, |k| self.detail(k))
    }

    /// A severity's name in this language.
    pub fn severity(&self, s: crate::check::Severity) -> &str {
        match s {
            crate::check::Severity::Error => &self.severity_error,
            crate::check::Severity::Warning => &self.severity_warning,
            crate::check::Severity::Info => &self.severity_info,
        }
    }
}

/// The strings of `lang` (one of `load::LANGUAGES`; English otherwise).
pub fn strings(lang: &str) -> Result<Strings, String> {
    let text = match lang {
        "sw" => SW,
        _ => EN,
    };
    toml::from_str(text).map_err(|e| format!("locale '{lang}' is broken: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_string() {
        for lang in crate::load::LANGUAGES {
            let s = strings(lang).unwrap();
            assert!(!s.home.is_empty());
            for c in crate::check::CHECKS {
                assert!(!s.rule(c.id).is_empty());
            }
        }
        // Every check has its own rule text.
        let en = strings("en").unwrap();
        let rules: std::collections::BTreeSet<&str> =
            crate::check::CHECKS.iter().map(|c| en.rule(c.id)).collect();
        assert_eq!(rules.len(), crate::check::CHECKS.len());
    }
}
