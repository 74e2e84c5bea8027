//! `manifest.json` (this version) and `versions.json` (the chain before it).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The generator that built a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

/// Counts of what a version holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub areas: u64,
    pub stations: u64,
    pub races: u64,
    pub candidates: u64,
    pub forms: u64,
    pub scans: u64,
    pub findings: u64,
    pub pages: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub generator: Generator,
    pub title: String,
    pub election_date: String,
    /// RFC 3339, UTC.
    pub published: String,
    /// The version id of the site this one follows, if built with `--previous`.
    pub previous: Option<String>,
    pub counts: Counts,
}

/// One earlier version in `versions.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub id: String,
    pub published: String,
    pub previous: Option<String>,
}

/// `versions.json`: every version before this one, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    pub versions: Vec<Version>,
}

/// The publication time: `SOURCE_DATE_EPOCH` when set, else now.
pub fn publication_time(source_date_epoch: Option<&str>) -> Result<i64> {
    // Empty is unset, as most tools of reproducible builds take it.
    match source_date_epoch.filter(|s| !s.trim().is_empty()) {
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|&t| t >= 0)
            .ok_or_else(|| {
                Error::Other(format!(
                    "SOURCE_DATE_EPOCH '{}' is not a whole number of seconds since 1970",
                    crate::term::clean(s)
                ))
            }),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
    }
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// What a previous site tells about itself: its id and the chain it carries.
pub struct Previous {
    pub id: String,
    pub chain: Versions,
}

/// Reads a previously published site (for `--previous`).
pub fn read_previous(site: &Path) -> Result<Previous> {
    let sums_path = site.join(crate::sums::SUMS);
    let sums = crate::fsx::read(&sums_path).map_err(|e| Error::io(&sums_path, e))?;
    let id = crate::sums::version_id(&sums);
    let manifest_path = site.join("manifest.json");
    let manifest: Manifest = read_json(&manifest_path)?;
    let versions_path = site.join("versions.json");
    let mut chain: Versions = if versions_path.exists() {
        read_json(&versions_path)?
    } else {
        Versions::default()
    };
    chain.versions.push(Version {
        id: id.clone(),
        published: manifest.published,
        previous: manifest.previous,
    });
    Ok(Previous { id, chain })
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let bytes = crate::fsx::read(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Other(format!("{}: not a valid kura file: {e}", path.display())))
}

/// Pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_660_000_000), "2022-08-08T23:06:40Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
