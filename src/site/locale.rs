//! Interface strings, one locale file per language (`locales/*.toml`),
//! compiled in. Names from the input are never translated.

use std::collections::BTreeMap;

macro_rules! strings {
    ($($key:ident),* $(,)?) => {
        /// Every interface string of the site.
        #[derive(Debug)]
        pub struct Strings {
            $(pub $key: String,)*
        }

        impl Strings {
            /// Takes every key out of a locale's table: a key it lacks or
            /// one it has beyond these is an error. (Straight-line code on
            /// purpose: a derived deserializer of 120 fields was a tenth of
            /// the crate's machine code and most of its compile time.)
            fn from_table(mut table: BTreeMap<String, String>) -> Result<Strings, String> {
                let mut missing = Vec::new();
                let strings = Strings {
                    $($key: take(&mut table, stringify!($key), &mut missing),)*
                };
                if !missing.is_empty() {
                    return Err(format!("missing {}", missing.join(", ")));
                }
                if let Some(extra) = table.keys().next() {
                    return Err(format!("unknown key {extra}"));
                }
                Ok(strings)
            }
        }
    };
}

#[inline(never)]
fn take(
    table: &mut BTreeMap<String, String>,
    key: &'static str,
    missing: &mut Vec<&'static str>,
) -> String {
    table.remove(key).unwrap_or_else(|| {
        missing.push(key);
        String::new()
    })
}

strings! {
    lang_name,
    skip,
    home,
    you_are_here,
    about_data,
    integrity,
    generated_by,
    published,
    election_date,
    reporting,
    stations_reporting,
    of,
    registered,
    valid,
    rejected,
    turnout,
    unknown,
    candidate,
    party,
    votes,
    share,
    leader,
    margin,
    results_for,
    no_results,
    chart_title,
    declared_form,
    declared,
    computed,
    difference,
    form,
    status,
    status_verified,
    status_provisional,
    status_disputed,
    no_form,
    total_valid_written,
    scan,
    scan_open,
    scan_pdf,
    scan_none,
    scan_missing,
    sha256,
    hash_matches,
    hash_differs,
    hash_not_declared,
    check_running,
    check_ok,
    check_bad,
    check_choose,
    check_by_hand,
    device,
    captured_at,
    station_code,
    up,
    previous,
    next,
    findings,
    findings_none,
    finding_check,
    severity_error,
    severity_warning,
    severity_info,
    areas_in,
    open_data_intro,
    pages,
    specimen,
    race,
    level,
    station,
    not_found,
    not_found_text,
    changes,
    version,
    versions,
    since_version,
    first_version,
    forms_added,
    forms_removed,
    forms_changed,
    areas_changed,
    races_changed,
    candidates_changed,
    version_id,
    version_id_self,
    totals_changed,
    findings_appeared,
    findings_resolved,
    no_changes,
    more_in,
    history,
    form_added,
    before,
    after,
    area,
    feed,
    language,
    search,
    search_label,
    search_hint,
    search_none,
    search_more,
    stations_az,
    az_intro,
    manifest_about,
    nist_about,
    download_csv,
    per_area_about,
    map_about,
    rule_sum_mismatch,
    rule_over_registered,
    rule_aggregate_mismatch,
    rule_scan_hash_mismatch,
    rule_scan_reused,
    rule_scan_missing,
    rule_full_turnout,
    rule_high_turnout,
    rule_high_rejected,
    rule_aggregate_incomplete,
    rule_missing_line,
    rule_disputed,
    rule_no_scan,
    detail_sum_mismatch,
    detail_over_registered,
    detail_full_turnout,
    detail_high_turnout,
    detail_high_rejected,
    detail_missing_line,
    detail_status_disputed,
    detail_no_scan,
    detail_scan_missing,
    detail_scan_hash_mismatch,
    detail_scan_reused,
    detail_aggregate_candidate,
    detail_aggregate_rejected,
    detail_aggregate_missing,
    detail_aggregate_incomplete,
}

use crate::check::{CheckId, Detail};

const EN: &str = include_str!("../../locales/en.toml");
const SW: &str = include_str!("../../locales/sw.toml");

impl Strings {
    /// The rule of a check, in words, in this language.
    pub fn rule(&self, check: CheckId) -> &str {
        match check {
            CheckId::SumMismatch => &self.rule_sum_mismatch,
            CheckId::OverRegistered => &self.rule_over_registered,
            CheckId::AggregateMismatch => &self.rule_aggregate_mismatch,
            CheckId::ScanHashMismatch => &self.rule_scan_hash_mismatch,
            CheckId::ScanReused => &self.rule_scan_reused,
            CheckId::ScanMissing => &self.rule_scan_missing,
            CheckId::FullTurnout => &self.rule_full_turnout,
            CheckId::HighTurnout => &self.rule_high_turnout,
            CheckId::HighRejected => &self.rule_high_rejected,
            CheckId::AggregateIncomplete => &self.rule_aggregate_incomplete,
            CheckId::MissingLine => &self.rule_missing_line,
            CheckId::StatusDisputed => &self.rule_disputed,
            CheckId::NoScan => &self.rule_no_scan,
        }
    }

    /// The template of a phrase of a finding's detail.
    pub fn detail(&self, key: Detail) -> &str {
        match key {
            Detail::SumMismatch => &self.detail_sum_mismatch,
            Detail::OverRegistered => &self.detail_over_registered,
            Detail::FullTurnout => &self.detail_full_turnout,
            Detail::HighTurnout => &self.detail_high_turnout,
            Detail::HighRejected => &self.detail_high_rejected,
            Detail::MissingLine => &self.detail_missing_line,
            Detail::StatusDisputed => &self.detail_status_disputed,
            Detail::NoScan => &self.detail_no_scan,
            Detail::ScanMissing => &self.detail_scan_missing,
            Detail::ScanHashMismatch => &self.detail_scan_hash_mismatch,
            Detail::ScanReused => &self.detail_scan_reused,
            Detail::AggregateCandidate => &self.detail_aggregate_candidate,
            Detail::AggregateRejected => &self.detail_aggregate_rejected,
            Detail::AggregateMissing => &self.detail_aggregate_missing,
            Detail::AggregateIncomplete => &self.detail_aggregate_incomplete,
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
    toml::from_str(text)
        .map_err(|e| e.to_string())
        .and_then(Strings::from_table)
        .map_err(|e| format!("locale '{lang}' is broken: {e}"))
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
