//! The site's transparency log as readers meet it: reading `log/` from a
//! copy (a folder or a URL) and checking it against itself, remembering
//! the last checkpoint seen for each origin (so a rollback or a fork is
//! refused), witnesses' co-signatures (`kura witness`), and refreshing the
//! checkpoint of a published site (`kura checkpoint`).
//!
//! The pure parts — hashing, the tile layout, entries and checkpoints —
//! are in [`crate::publish::tlog`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fetch::Copy;
use crate::fetch::Failure;
use crate::publish::sign::{self, PublicKey, SecretKey, note};
use crate::publish::tlog::{self, Checkpoint, Log};

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
        let text = format!(
            "# kura: two checkpoints signed by {signer} that no honest log can both have signed\n\
             # seen before ({} versions of {origin}):\n{}\n# then ({} versions of {}):\n{}",
            seen.size,
            seen.checkpoint,
            log.checkpoint.size,
            log.checkpoint.origin,
            log.note,
            origin = seen.origin,
            signer = seen.signer,
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

/// Who signed a checkpoint, as far as can be told without the key: the
/// name and key hash of its first signature (which `kura witness` without
/// `--log-key` trusts on first sight).
fn first_signer(log: &Log) -> std::result::Result<String, Fault> {
    note::split(&log.note)
        .and_then(|(_, lines)| lines.into_iter().next())
        .map(|l| format!("{}+{}", l.name, crate::digest::hex(&l.key_hash)))
        .ok_or_else(|| Fault::Signature("log/checkpoint is not signed".into()))
}

/// Whether the checkpoint of `log` carries a signature line claiming to be
/// by the signer a record names (a note verifier key, or the name and key
/// hash [`first_signer`] gives), whether it verifies or not: enough to
/// choose the records a log must extend, since claiming another's key only
/// makes more records apply.
fn claims(log: &Log, signer: &str) -> bool {
    let mut parts = signer.splitn(3, '+');
    let (Some(name), Some(hash)) = (parts.next(), parts.next()) else {
        return false;
    };
    note::split(&log.note).is_some_and(|(_, lines)| {
        lines
            .iter()
            .any(|l| l.name == name && crate::digest::hex(&l.key_hash) == hash)
    })
}

/// What `kura witness` did.
pub struct Cosigned {
    pub origin: String,
    pub size: u64,
    pub last_version: String,
    /// The co-signature line, to send to the publisher.
    pub line: String,
    /// The size of the checkpoint co-signed before, if any.
    pub before: Option<u64>,
}

/// `kura witness`: checks the log of a copy (and the publisher's
/// signature on its checkpoint, given `log_key`), checks that it extends
/// the last checkpoint this witness co-signed for the origin, co-signs it,
/// and remembers it. A fork is refused and its evidence kept.
pub fn witness(
    site: &str,
    key: &SecretKey,
    log_key: Option<&PublicKey>,
    state: &State,
    idle: Duration,
) -> Result<Cosigned> {
    let copy = Copy::open(site, idle);
    let refused = |t: Fault| match t {
        Fault::Network(p, m) => Error::Unreachable(format!(
            "{}: cannot fetch {p}: {m}",
            crate::term::clean(site)
        )),
        other => Error::Other(format!("refusing to co-sign: {other}")),
    };
    let (log, _) = read(&copy).map_err(refused)?;
    let signer = match log_key {
        Some(pk) => {
            check_signature(&log, pk).map_err(refused)?;
            note::verifier_key(pk)
        }
        None => first_signer(&log).map_err(refused)?,
    };
    // Every record this log must extend: its signer's, and any other of
    // the same origin or of a key whose signature the checkpoint carries
    // (so neither reordering the signatures nor a new name for the log
    // escapes what was co-signed before).
    let records = state.all(Kind::Cosigned)?;
    let relevant: Vec<&Seen> = records
        .iter()
        .filter(|r| {
            r.signer == signer || r.origin == log.checkpoint.origin || claims(&log, &r.signer)
        })
        .collect();
    for seen in &relevant {
        if let Err(t) = compare(seen, &log, &state.recorded()) {
            let mut message = format!("refusing to co-sign: {t}");
            if matches!(t, Fault::Fork(_)) {
                let kept = state.keep_evidence(seen, &log)?;
                message.push_str(&format!(
                    ". THIS IS A FORK: both checkpoints are kept in {}; publish them",
                    crate::error::shown(&kept)
                ));
            }
            return Err(Error::Other(message));
        }
    }
    let before = relevant.iter().map(|r| r.size).max();
    let line = note::cosign(key, log.body(), now());
    state.save(Kind::Cosigned, &signer, &log)?;
    Ok(Cosigned {
        origin: log.checkpoint.origin.clone(),
        size: log.checkpoint.size,
        last_version: log
            .entries
            .last()
            .map(|e| e.version.clone())
            .unwrap_or_default(),
        line,
        before,
    })
}

/// Most witnesses' co-signatures one checkpoint carries.
pub const MAX_COSIGNATURES: usize = 64;

/// What `kura checkpoint` did.
pub struct Refreshed {
    pub origin: String,
    pub size: u64,
    /// Witnesses' co-signatures the checkpoint now carries.
    pub cosignatures: usize,
    pub time: u64,
    /// Co-signatures not taken, and why (one line each).
    pub skipped: Vec<String>,
}

/// `kura checkpoint SITE --sign KEY`: signs the checkpoint of a published
/// site again with a new time (so `--max-age` sees it is current) and adds
/// the co-signatures in `files` to those it carries. The site must be one
/// this key signed, and its log intact and ending with its version; only
/// `log/checkpoint` changes, replaced in one step.
pub fn refresh(
    site: &Path,
    key: &SecretKey,
    files: &[PathBuf],
    witnesses: &[PublicKey],
    time: u64,
) -> Result<Refreshed> {
    let shown = crate::error::shown(site);
    let fail = |t: Fault| Error::Other(format!("{shown}: {t}"));
    let (log, _) = read(&Copy::Folder(site.to_path_buf())).map_err(fail)?;
    check_signature(&log, &key.public()).map_err(fail)?;
    let sums = site.join(crate::sums::SUMS);
    let sums =
        crate::fsx::read_limited(&sums, crate::sums::MAX_SUMS).map_err(|e| Error::io(&sums, e))?;
    let version = crate::sums::version_id(&sums);
    check_version(&log, &version).map_err(fail)?;
    let own = note::name(&key.public());
    // A file or line that cannot be taken is passed over with a warning,
    // not allowed to stop the refresh: a stale file in the publisher's
    // inbox, or junk sent by anyone, must not freeze the checkpoint.
    let mut skipped: Vec<String> = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    for f in files {
        let shown = crate::error::shown(f);
        let text = crate::fsx::read_limited(f, MAX_CHECKPOINT).map_err(|e| Error::io(f, e))?;
        match String::from_utf8(text)
            .ok()
            .map(|t| format!("{}\n", t.trim_end_matches('\n')))
            .filter(|t| note::lines(t).is_some())
        {
            Some(t) => texts.push((shown, t)),
            None => skipped.push(format!(
                "{shown}: not co-signature lines (`— NAME BASE64`, as kura witness writes them)"
            )),
        }
    }
    let body = log.body();
    let old = note::split(&log.note).map(|(_, l)| l).unwrap_or_default();
    let mut lines: Vec<note::Line<'_>> = old.into_iter().filter(|l| l.name != own).collect();
    for (shown, t) in &texts {
        for l in note::lines(t).unwrap_or_default() {
            let name = crate::term::clean(l.name).into_owned();
            if l.name == own {
                skipped.push(format!(
                    "{shown}: a co-signature by {own}, the publisher's own key: a witness must use a key of its own"
                ));
                continue;
            }
            let Some(pk) = witnesses.iter().find(|pk| note::is_cosignature_by(&l, pk)) else {
                skipped.push(format!(
                    "{shown}: a co-signature by {name}, whose key is not among the --witness keys given"
                ));
                continue;
            };
            let at = |l: &note::Line<'_>| {
                note::cosigned_at(pk, body, std::slice::from_ref(l))
                    .ok()
                    .flatten()
            };
            let Some(new) = at(&l) else {
                skipped.push(format!(
                    "{shown}: the co-signature by {name} is not of this checkpoint ({} \
                     versions): one made for another checkpoint, or forged",
                    log.checkpoint.size
                ));
                continue;
            };
            // One co-signature per witness: the newest.
            match lines.iter().position(|o| note::is_cosignature_by(o, pk)) {
                Some(i) if at(&lines[i]).is_some_and(|old| old >= new) => {}
                Some(i) => lines[i] = l,
                None => lines.push(l),
            }
        }
    }
    if lines.len() > MAX_COSIGNATURES {
        return Err(Error::Other(format!(
            "{} co-signatures: a checkpoint carries at most {MAX_COSIGNATURES}",
            lines.len()
        )));
    }
    let cosignatures = lines.len();
    let text = tlog::checkpoint_text(body, Some(key), time, &lines);
    crate::publish::clear_leftovers(site);
    write_atomically(&site.join("log/checkpoint"), text.as_bytes())?;
    Ok(Refreshed {
        origin: log.checkpoint.origin.clone(),
        size: log.checkpoint.size,
        cosignatures,
        time,
        skipped,
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
