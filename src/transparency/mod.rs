//! The site's transparency log as readers meet it: reading `log/` from a
//! copy (a folder or a URL) and checking it against itself, remembering
//! the last checkpoint seen for each origin (so a rollback or a fork is
//! refused), witnesses' co-signatures (`kura witness`), and refreshing the
//! checkpoint of a published site (`kura checkpoint`).
//!
//! The pure parts — hashing, the tile layout, entries and checkpoints —
//! are in [`crate::publish::tlog`].

use std::path::Path;
use std::time::Duration;

use crate::fetch::Copy;
use crate::fetch::Failure;
use crate::publish::sign::{PublicKey, SecretKey, note};
use crate::publish::tlog::{self, Checkpoint, Log};

mod state;
mod witness;

pub use state::{Kind, Seen, State, compare, default_state_dir, write_atomically, write_output};
pub use witness::{Cosigned, MAX_COSIGNATURES, Refreshed, refresh, witness};

/// What is wrong with a log, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// A file of the log could not be fetched (path, why).
    Network(String, String),
    /// The log is not what its checkpoint says, or not this version's.
    Log(String),
    /// The checkpoint is not signed by the key.
    Signature(String),
    /// The log is older than one seen before.
    Rollback(String),
    /// The log contradicts one seen before.
    Fork(String),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Network(p, why) => write!(f, "not fetched: {p}: {why}"),
            Fault::Log(why) => write!(f, "log: {why}"),
            Fault::Signature(why) => write!(f, "signature: {why}"),
            Fault::Rollback(why) => write!(f, "rollback: {why}"),
            Fault::Fork(why) => write!(f, "fork: {why}"),
        }
    }
}

/// Most bytes of `log/checkpoint` (a body and up to a hundred signatures).
pub const MAX_CHECKPOINT: u64 = 64 << 10;
/// Most bytes of an entry bundle (256 entries of a few hundred bytes; an
/// origin is at most 1,000 bytes).
const MAX_BUNDLE: u64 = 256 * 1280;
/// Most bytes of a hash tile.
const MAX_TILE: u64 = 32 * tlog::TILE;

/// Every file of the log of `entries` (oldest first, this build's last):
/// tiles and bundles, and the checkpoint, signed by `key` with a timestamp
/// `time` when there is one. Paths are under `log/`.
pub fn log_files(
    origin: &str,
    entries: &[tlog::Entry],
    key: Option<&SecretKey>,
    time: u64,
) -> Vec<(String, Vec<u8>)> {
    let entries: Vec<Vec<u8>> = entries.iter().map(|e| e.to_text().into_bytes()).collect();
    let mut files = tlog::tiles(&entries);
    let leaves: Vec<tlog::Hash> = entries.iter().map(|e| tlog::leaf_hash(e)).collect();
    let body = Checkpoint {
        origin: origin.to_string(),
        size: entries.len() as u64,
        root: tlog::tree_hash(&leaves),
    }
    .to_text();
    files.push((
        "checkpoint".into(),
        tlog::checkpoint_text(&body, key, time, &[]).into_bytes(),
    ));
    files
}

/// A fault found in a log, or a failure to fetch it.
fn trouble(f: Failure, what: &str) -> Fault {
    match f {
        Failure::Network(m) => Fault::Network(format!("log/{what}"), m),
        other => Fault::Log(format!("log/{what}: {other}")),
    }
}

/// Reads the log of a copy and checks it against itself: the checkpoint's
/// body, the entries of its bundles (whose tree hash must be its root) and
/// every hash tile (which must be those the entries give, so that readers
/// walking proofs through the tiles get the same answers). Returns the log
/// and the paths under the site root of every file it is made of.
pub fn read(copy: &Copy) -> std::result::Result<(Log, Vec<String>), Fault> {
    read_with(&|rel, limit| copy.get(rel, limit))
}

/// A file of a copy, at most so many bytes; `Ok(None)` when there is none.
pub type Get<'a> = dyn Fn(&str, u64) -> std::result::Result<Option<Vec<u8>>, Failure> + 'a;

/// [`read`], through any way of getting a copy's files.
pub fn read_with(get: &Get<'_>) -> std::result::Result<(Log, Vec<String>), Fault> {
    let note = match get("log/checkpoint", MAX_CHECKPOINT) {
        Ok(Some(b)) => {
            String::from_utf8(b).map_err(|_| Fault::Log("log/checkpoint is not text".into()))?
        }
        Ok(None) => {
            return Err(Fault::Log(
                "log/checkpoint is missing: this copy has no transparency log".into(),
            ));
        }
        Err(e) => return Err(trouble(e, "checkpoint")),
    };
    let checkpoint = tlog::parse_checkpoint(&note).map_err(Fault::Log)?;
    let mut raw = Vec::new();
    for (path, width) in tlog::bundle_paths(checkpoint.size) {
        let bytes = match get(&format!("log/{path}"), MAX_BUNDLE) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(Fault::Log(format!("log/{path} is missing"))),
            Err(e) => return Err(trouble(e, &path)),
        };
        let entries = tlog::parse_bundle(&bytes)
            .filter(|e| e.len() as u64 == width)
            .ok_or_else(|| Fault::Log(format!("log/{path} is not a bundle of {width} entries")))?;
        raw.extend(entries);
    }
    let expected = tlog::tiles(&raw);
    let log = tlog::check(note, checkpoint, raw).map_err(Fault::Log)?;
    for (path, bytes) in expected
        .iter()
        .filter(|(p, _)| !p.starts_with("tile/entries/"))
    {
        match get(&format!("log/{path}"), MAX_TILE) {
            Ok(Some(b)) if &b == bytes => {}
            Ok(Some(_)) => {
                return Err(Fault::Log(format!(
                    "log/{path} does not hold the hashes of the log's entries"
                )));
            }
            Ok(None) => return Err(Fault::Log(format!("log/{path} is missing"))),
            Err(e) => return Err(trouble(e, path)),
        }
    }
    let mut paths: Vec<String> = expected
        .into_iter()
        .map(|(p, _)| format!("log/{p}"))
        .collect();
    paths.push("log/checkpoint".into());
    Ok((log, paths))
}

/// The log of a site folder, read and checked against itself.
pub fn read_folder(dir: &Path) -> std::result::Result<Log, Fault> {
    read(&Copy::Folder(dir.to_path_buf())).map(|(log, _)| log)
}

/// Checks that the log's last entry names `version_id` (the SHA-256 of
/// the copy's `SHA256SUMS`): the copy is the newest version of its log.
pub fn check_version(log: &Log, version_id: &str) -> std::result::Result<(), Fault> {
    let last = log
        .entries
        .last()
        .map(|e| e.version.as_str())
        .unwrap_or("-");
    if last == version_id {
        return Ok(());
    }
    Err(Fault::Log(format!(
        "the log's last entry is version {last}, not this copy's version {version_id}"
    )))
}

/// Checks that the checkpoint is signed by the publisher's key.
pub fn check_signature(log: &Log, pk: &PublicKey) -> std::result::Result<(), Fault> {
    if !log.note.contains("\n\n") {
        return Err(Fault::Signature("log/checkpoint is not signed".into()));
    }
    note::open(pk, &log.note)
        .map(|_| ())
        .map_err(|why| Fault::Signature(format!("log/checkpoint: {why}")))
}

/// The co-signatures of `log`'s checkpoint by `keys` that verify, as the
/// times they were made (one per key that co-signed), and the troubles
/// of those that do not.
pub fn cosignatures(log: &Log, keys: &[PublicKey]) -> (Vec<u64>, Vec<String>) {
    let lines = note::split(&log.note).map(|(_, l)| l).unwrap_or_default();
    let mut times = Vec::new();
    let mut bad = Vec::new();
    for pk in keys {
        match note::cosigned_at(pk, log.body(), &lines) {
            Ok(Some(t)) => times.push(t),
            Ok(None) => {}
            Err(why) => bad.push(why),
        }
    }
    (times, bad)
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A number of seconds in words: `3 days`, `5 hours`, `12 minutes`.
pub fn age_text(secs: u64) -> String {
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 2 * 3600 => (s / 3600, "hours"),
        s if s >= 120 => (s / 60, "minutes"),
        s => (s, "seconds"),
    };
    format!("{n} {unit}")
}

/// A duration such as `90s`, `30m`, `1h`, `2d`.
pub fn parse_age(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let secs = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "'{}': give a number and s, m, h or d (1h, 30m)",
                crate::term::clean(s)
            ));
        }
    };
    n.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(secs))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            format!(
                "'{}': give a number and s, m, h or d (1h, 30m)",
                crate::term::clean(s)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log of `versions` (each a hex digit, repeated) under `origin`,
    /// read back as a reader would.
    fn log_of(origin: &str, versions: &[&str]) -> std::result::Result<Log, Fault> {
        let mut entries: Vec<tlog::Entry> = Vec::new();
        for (i, v) in versions.iter().enumerate() {
            entries.push(tlog::Entry {
                origin: origin.into(),
                seq: i as u64 + 1,
                version: v.repeat(64),
                published: "2023-11-14T22:13:20Z".into(),
                previous: entries.last().map(|e| e.version.clone()),
            });
        }
        let files: std::collections::HashMap<String, Vec<u8>> =
            log_files(origin, &entries, None, 0)
                .into_iter()
                .map(|(p, b)| (format!("log/{p}"), b))
                .collect();
        read_with(&|rel, _| Ok(files.get(rel).cloned())).map(|(log, _)| log)
    }

    #[test]
    fn a_record_is_extended_not_renamed_shrunk_or_rewritten() {
        let seen = Seen::of(&log_of("a.example/x", &["1", "2"]).unwrap(), "k");
        assert!(
            compare(
                &seen,
                &log_of("a.example/x", &["1", "2", "3"]).unwrap(),
                "here"
            )
            .is_ok()
        );
        let verdict = |log: Log| compare(&seen, &log, "here").unwrap_err();
        assert!(matches!(
            verdict(log_of("a.example/x", &["1"]).unwrap()),
            Fault::Rollback(_)
        ));
        assert!(matches!(
            verdict(log_of("a.example/x", &["1", "4"]).unwrap()),
            Fault::Fork(_)
        ));
        let renamed = verdict(log_of("b.example/x", &["1", "2", "3"]).unwrap());
        assert!(
            renamed.to_string().contains("a second log under one key"),
            "{renamed}"
        );
        let damaged = Seen {
            size: 0,
            ..seen.clone()
        };
        let log = log_of("a.example/x", &["1"]).unwrap();
        assert!(matches!(
            compare(&damaged, &log, "here"),
            Err(Fault::Log(_))
        ));
    }

    #[test]
    fn a_version_logged_twice_is_refused() {
        let Err(Fault::Log(why)) = log_of("a.example/x", &["1", "1"]) else {
            panic!("a log naming one version twice was read");
        };
        assert!(why.contains("a second time"), "{why}");
    }
}
