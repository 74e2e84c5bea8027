//! What a reader remembers of the logs it has checked (`--state`), and
//! the comparison of a log with that record: a rollback or a fork.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Fault;
use crate::error::{Error, Result};
use crate::publish::sign;
use crate::publish::tlog::{self, Log};

/// What this machine remembers of the logs it has checked: for each
/// publisher's key the last checkpoint seen (`seen/`, by `kura verify` and
/// `kura mirror`) or co-signed (`cosigned/`, by `kura witness`), and the
/// checkpoints that contradicted it (`evidence/`). Records are kept by key,
/// not by origin: the origin is a line the publisher writes, so a log
/// under a new origin is a second log by the same key, which a reader
/// must see as a fork (else an old version could be shown again under a
/// new name as a "first sight").
pub struct State {
    dir: PathBuf,
}

/// The record of one publisher's log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Seen {
    /// Who signed it: the note verifier key (or, for a witness not given
    /// the publisher's key, the name and key hash of the first signature).
    #[serde(default)]
    pub signer: String,
    pub origin: String,
    pub size: u64,
    /// The root hash, base64 as in the checkpoint.
    pub root: String,
    /// The version id of the log's last entry.
    pub last_version: String,
    /// The checkpoint file as it was read.
    pub checkpoint: String,
}

impl Seen {
    pub fn of(log: &Log, signer: &str) -> Seen {
        Seen {
            signer: signer.to_string(),
            origin: log.checkpoint.origin.clone(),
            size: log.checkpoint.size,
            root: sign::base64_encode(&log.checkpoint.root),
            last_version: log
                .entries
                .last()
                .map(|e| e.version.clone())
                .unwrap_or_default(),
            checkpoint: log.note.clone(),
        }
    }
}

/// The default folder of [`State`]: `$XDG_STATE_HOME/kura`, else
/// `~/.local/state/kura`; `None` without a home.
pub fn default_state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("kura"));
    }
    std::env::var_os("HOME")
        .filter(|d| !d.is_empty())
        .map(|h| PathBuf::from(h).join(".local/state/kura"))
}

/// Which record: what a verifier has seen, or what a witness co-signed.
#[derive(Clone, Copy)]
pub enum Kind {
    Seen,
    Cosigned,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Seen => "seen",
            Kind::Cosigned => "cosigned",
        }
    }
}

/// A record read from `path`, checked to be whole.
fn record(path: &Path, bytes: &[u8]) -> Result<Seen> {
    let seen: Seen = serde_json::from_slice(bytes).map_err(|e| damaged(path, &e.to_string()))?;
    let root = sign::base64_decode(&seen.root).filter(|r| r.len() == 32);
    if seen.size == 0 || root.is_none() || seen.signer.is_empty() {
        return Err(damaged(path, "not a whole record"));
    }
    Ok(seen)
}

fn damaged(path: &Path, why: &str) -> Error {
    Error::Other(format!(
        "{}: not a kura state file ({why}); move it away to start afresh",
        crate::error::shown(path)
    ))
}

impl State {
    pub fn new(dir: PathBuf) -> State {
        State { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a record is kept, in words for messages.
    pub fn recorded(&self) -> String {
        format!("recorded in {}", crate::error::shown(&self.dir))
    }

    /// The file of `signer`: its readable characters, and a hash so that
    /// signers that read the same stay apart.
    fn path(&self, kind: Kind, signer: &str) -> PathBuf {
        let readable: String = signer
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        let hash = crate::digest::sha256_hex(signer.as_bytes());
        self.dir
            .join(kind.folder())
            .join(format!("{readable}-{}.json", &hash[..16]))
    }

    /// The record of `signer`'s log, if any.
    pub fn load(&self, kind: Kind, signer: &str) -> Result<Option<Seen>> {
        let path = self.path(kind, signer);
        match crate::fsx::read_limited(&path, 1 << 20) {
            Ok(bytes) => {
                let seen = record(&path, &bytes)?;
                if seen.signer != signer {
                    return Err(damaged(&path, "not the record it is named for"));
                }
                Ok(Some(seen))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Every record of `kind`, in the order of their file names.
    pub fn all(&self, kind: Kind) -> Result<Vec<Seen>> {
        let folder = self.dir.join(kind.folder());
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&folder, e)),
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for e in entries {
            let e = e.map_err(|e| Error::io(&folder, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.starts_with('.') {
                paths.push(e.path());
            }
        }
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let bytes = crate::fsx::read_limited(p, 1 << 20).map_err(|e| Error::io(p, e))?;
                record(p, &bytes)
            })
            .collect()
    }

    /// Remembers `log` as `signer`'s (written whole, then renamed).
    pub fn save(&self, kind: Kind, signer: &str, log: &Log) -> Result<()> {
        let path = self.path(kind, signer);
        let seen = Seen::of(log, signer);
        write_atomically(&path, &crate::publish::manifest::to_json(&seen))
    }

    /// Keeps a checkpoint that contradicts what was seen before, with the
    /// record it contradicts: the evidence of a fork, to publish.
    pub fn keep_evidence(&self, seen: &Seen, log: &Log) -> Result<PathBuf> {
        let id = crate::digest::sha256_hex(log.note.as_bytes());
        let path = self.dir.join("evidence").join(format!("{}.txt", &id[..16]));
        // Only a note verifier key was checked; a name and key hash (a
        // witness not given the publisher's key) may be claimed by anyone.
        let by = if sign::note::parse_verifier_key(&seen.signer).is_some() {
            format!("signed by {}", seen.signer)
        } else {
            format!(
                "of one log ({}, or claiming that signer; signatures not checked: \
                 no --log-key)",
                seen.signer
            )
        };
        let text = format!(
            "# kura: two checkpoints {by} that no honest log can both have\n\
             # seen before ({} versions of {origin}):\n{}\n# then ({} versions of {}):\n{}",
            seen.size,
            seen.checkpoint,
            log.checkpoint.size,
            log.checkpoint.origin,
            log.note,
            origin = seen.origin,
        );
        write_atomically(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// Writes `bytes` to a file a user named (`-o FILE`): where it is not a
/// regular file (`/dev/stdout`, a FIFO, a symbolic link the user made) it
/// is written through, else replaced as by [`write_atomically`].
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::write(path, bytes).map_err(|e| Error::io(path, e));
    }
    write_atomically(path, bytes)
}

/// Writes `bytes` to `path` through a temporary file beside it, so a
/// reader sees the old file or the new one, never a part. The new file
/// takes the old one's permissions, or is readable by all (a web server
/// running as another user must be able to serve a checkpoint). A
/// symbolic link at `path` is replaced, never followed: what kura keeps
/// (its state, a site's checkpoint) is written where kura put it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let old = std::fs::symlink_metadata(path).ok().filter(|m| m.is_file());
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".kura-")
        .tempfile_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    let permissions = old
        .map(|m| m.permissions())
        .or_else(|| Some(std::os::unix::fs::PermissionsExt::from_mode(0o644)));
    #[cfg(not(unix))]
    let permissions = old.map(|m| m.permissions());
    if let Some(p) = permissions {
        tmp.as_file()
            .set_permissions(p)
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Compares a log with the record of what was seen (or co-signed) before:
/// it must hold at least as many versions (else a rollback) and begin with
/// the very tree seen (else a fork).
pub fn compare(seen: &Seen, log: &Log, at: &str) -> std::result::Result<(), Fault> {
    let root: Option<tlog::Hash> = sign::base64_decode(&seen.root).and_then(|r| r.try_into().ok());
    let n = log.checkpoint.size;
    let Some(root) = root.filter(|_| seen.size > 0) else {
        return Err(Fault::Log(format!(
            "the record of {} ({at}) is damaged",
            seen.origin
        )));
    };
    if seen.origin != log.checkpoint.origin {
        return Err(Fault::Fork(format!(
            "this checkpoint is of a log named '{}', but the same key signed the log '{}' \
             ({} versions, {at}): a second log under one key, which can show an old version \
             again as new; if this is another election, keep its records apart with another \
             --state",
            crate::term::clean(&log.checkpoint.origin),
            crate::term::clean(&seen.origin),
            seen.size
        )));
    }
    if n >= seen.size && log.contains_tree(seen.size, &root) {
        return Ok(());
    }
    if n < seen.size {
        return Err(Fault::Rollback(format!(
            "this copy's log holds {n} versions, the last {}, but {} versions of {} were seen \
             before, the last {} ({at}): an older state, shown by a mirror frozen in \
             the past or by someone rolling readers back",
            log.entries
                .last()
                .map(|e| e.version.as_str())
                .unwrap_or("-"),
            seen.size,
            seen.origin,
            seen.last_version
        )));
    }
    let here = &log.entries[seen.size as usize - 1].version;
    Err(Fault::Fork(if here != &seen.last_version {
        format!(
            "version {} of {} is {here} in this copy's log, but {} was seen before ({at}): two different histories were published under one origin",
            seen.size, seen.origin, seen.last_version
        )
    } else {
        format!(
            "this copy's log of {} ({n} versions) does not contain the log of {} versions seen \
             before ({at}): its past was rewritten",
            seen.origin, seen.size
        )
    }))
}
