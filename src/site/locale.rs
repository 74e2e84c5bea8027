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
    pub declared_hash: String,
    pub device: String,
    pub captured_at: String,
    pub station_code: String,
    pub up: String,
    pub previous: String,
    pub next: String,
    pub findings: String,
    pub findings_none: String,
    pub finding_check: String,
    pub finding_detail: String,
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
}

const EN: &str = include_str!("../../locales/en.toml");
const SW: &str = include_str!("../../locales/sw.toml");

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
        }
    }
}
