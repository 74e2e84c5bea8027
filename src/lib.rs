//! kura: turns verified scans of polling-station tally forms and their
//! tallies into a static results website with open data and published hashes.
//!
//! The build is a pipeline of stages, each a module, data flowing one way:
//! [`load`] (reading and hashing the input) → [`tally`] → [`check`] →
//! [`opendata`] → [`diff`] (what changed since `--previous`) → [`site`]
//! (render) → [`publish`] (scans, `SHA256SUMS`, the log, the swap), run in
//! order by [`build`], which times each stage. Beside it: [`verify`] and
//! [`mirror`] check published copies, [`diff`] compares two versions,
//! [`transparency`] reads and witnesses the log of versions. Below them
//! all: [`paths`], [`digest`], [`sums`], [`format`](mod@format), [`fsx`], [`model`].

pub mod build;
pub mod check;
pub mod diff;
pub mod digest;
pub mod error;
pub mod fetch;
pub mod format;
pub mod fsx;
pub mod load;
pub mod mirror;
pub mod model;
pub mod opendata;
pub mod paths;
pub mod publish;
pub mod sample;
pub mod serve;
pub mod site;
pub mod sums;
pub mod tally;
pub mod term;
pub mod transparency;
pub mod verify;

use std::path::Path;
use std::time::Duration;

pub use build::{BuildOptions, BuildReport, Checked, build, prepare};
pub use error::{Error, Problem, Result};

/// One side of `kura diff`, verified and read.
struct Side {
    snapshot: diff::Snapshot,
    /// The local copy of a web site, removed when the diff is done.
    _fetched: Option<tempfile::TempDir>,
}

/// Verifies the copy at `site` (a folder or an http(s) URL) and reads it
/// for a diff. A web copy is fetched with [`mirror::mirror`] into a
/// temporary folder, so every byte is checked as it arrives.
fn diff_side(site: &str, key: Option<&Path>, idle: Duration) -> Result<Side> {
    let shown = term::clean(site).into_owned();
    if fetch::is_url(site) {
        let tmp =
            tempfile::tempdir().map_err(|e| Error::Other(format!("temporary folder: {e}")))?;
        let dir = tmp.path().join("site");
        mirror::mirror(
            site,
            &dir,
            &mirror::Options {
                key,
                idle,
                keep: Vec::new(),
                progress: None,
                state: None,
            },
        )
        .map_err(|e| match e {
            Error::Unreachable(m) => Error::Unreachable(m),
            other => Error::Other(format!("{shown}: {other}")),
        })?;
        let snapshot = diff::Snapshot::read(&dir).map_err(Error::Other)?;
        return Ok(Side {
            snapshot,
            _fetched: Some(tmp),
        });
    }
    let report = verify::verify(
        site,
        &verify::Options {
            key,
            idle: Some(idle),
            ..Default::default()
        },
    )?;
    if !report.intact() {
        let troubles = report.first_troubles();
        return Err(Error::Other(format!(
            "{shown} does not verify{}: {}; a diff of it would not be of a published version",
            if key.is_some() {
                " against its SHA256SUMS and signature"
            } else {
                " against its own SHA256SUMS"
            },
            troubles.join("; ")
        )));
    }
    let path = Path::new(site)
        .canonicalize()
        .map_err(|e| Error::io(Path::new(site), e))?;
    Ok(Side {
        snapshot: diff::Snapshot::read(&path).map_err(Error::Other)?,
        _fetched: None,
    })
}

/// `kura diff OLD NEW`: verifies both copies (against their signatures
/// when `key` is given), then compares them. Returns the changes and
/// warnings, such as NEW not following OLD.
pub fn diff_versions(
    old: &str,
    new: &str,
    key: Option<&Path>,
    idle: Duration,
) -> Result<(diff::Changes, Vec<String>)> {
    let a = diff_side(old, key, idle)?;
    let b = diff_side(new, key, idle)?;
    let mut warnings = Vec::new();
    if key.is_none() {
        warnings.push(
            "no --key given: each copy matches its own SHA256SUMS, but nothing says who \
             published either"
                .to_string(),
        );
    }
    if let (Some(o), Some(n)) = (&a.snapshot.version, &b.snapshot.version)
        && o != n
        && !b.snapshot.chain.contains(o)
    {
        warnings.push(format!(
            "NEW (version {n}) does not follow OLD (version {o}): its versions.json does not \
             list OLD, so OLD is newer, or the two are forks of one history"
        ));
    }
    Ok((diff::diff(&a.snapshot, &b.snapshot), warnings))
}
