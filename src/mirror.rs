//! `kura mirror URL DIR`: the one command a mirror runs, by hand or from
//! cron. It reads the published `SHA256SUMS` and its signature first and
//! checks them before downloading anything else; refuses a version that
//! does not follow the one `DIR` holds (a rollback or a fork); downloads
//! only files whose bytes `DIR` does not already have, hard-linking the
//! rest; checks every byte against `SHA256SUMS`; and switches the new copy
//! in with one atomic step, as `kura build` publishes. An interrupted run
//! leaves its work in `.kura-mirror-<name>` beside `DIR`, and the next run
//! carries on from there.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rayon::prelude::*;
use sha2::Digest;

use crate::error::{Error, Result};
use crate::fetch::{self, Failure, Remote};
use crate::publish::{self, SUMS, SUMS_SIG, manifest, sign, tlog};
use crate::transparency;
use crate::transparency::Fault;
use crate::verify::{self, MAX_JSON, MAX_SIG, MAX_SUMS};

/// What `kura mirror` is asked.
pub struct Options<'a> {
    /// The publisher's minisign public key.
    pub key: Option<&'a Path>,
    /// Give up a read after this long without a byte.
    pub idle: Duration,
    /// Files of `DIR` that are the mirror's own (an `.htaccess`): relative
    /// paths or file names. Allowed in `DIR` and carried into each new copy.
    pub keep: Vec<String>,
    pub progress: Option<indicatif::ProgressBar>,
    /// Where the last log checkpoint seen for each origin is kept.
    pub state: Option<std::path::PathBuf>,
}

/// What a mirror run did.
#[derive(Debug)]
pub struct Report {
    pub version_id: String,
    /// `DIR` already held this version; nothing was changed.
    pub current: bool,
    pub downloaded: usize,
    /// Files already in place (from an interrupted run) or hard-linked
    /// from the version `DIR` held.
    pub reused: usize,
    pub requests: u64,
    pub bytes: u64,
}

/// The folder an update is assembled in: `.kura-mirror-<name>` beside `dir`.
pub fn staging_path(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    dir.with_file_name(format!(".kura-mirror-{name}"))
}

/// Makes the staging folder ready: a real folder (a symbolic link in its
/// place is removed, not followed), and nothing in it but folders and
/// regular files left by an interrupted run.
fn prepare_staging(dir: &Path) -> Result<PathBuf> {
    let staging = staging_path(dir);
    if let Ok(m) = fs::symlink_metadata(&staging)
        && !m.is_dir()
    {
        fs::remove_file(&staging).map_err(|e| Error::io(&staging, e))?;
    }
    fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
    for entry in walkdir::WalkDir::new(&staging).min_depth(1) {
        let Ok(entry) = entry else { continue };
        let t = entry.file_type();
        if !t.is_dir() && !t.is_file() {
            fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(staging)
}

/// Holds `.kura-mirror-<name>.lock` beside `dir` for the whole run: two
/// runs on one copy (cron firing while a long first copy is under way)
/// would write the same files.
fn lock(dir: &Path) -> Result<fs::File> {
    let path = dir.with_file_name(format!(
        "{}.lock",
        staging_path(dir)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
    ));
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        // Exit 3, as for a server that is down: nothing is wrong, try later.
        Err(fs::TryLockError::WouldBlock) => Err(Error::Unreachable(format!(
            "another kura mirror is updating {} (it holds {}); nothing was done: try again when it is finished",
            crate::error::shown(dir),
            crate::error::shown(&path)
        ))),
        Err(fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

fn refused(why: String) -> Error {
    Error::Other(format!("refused: {why}"))
}

/// Fetches a file named in `SHA256SUMS` whole, checked against its hash.
fn listed(remote: &Remote, entries: &[(String, String)], rel: &str) -> Result<Option<Vec<u8>>> {
    let Some((sha, _)) = entries.iter().find(|(_, p)| p == rel) else {
        return Ok(None);
    };
    match remote.get(rel, MAX_JSON) {
        Ok(Some(b)) if &crate::digest::sha256_hex(&b) == sha => Ok(Some(b)),
        Ok(Some(_)) => Err(refused(format!("{rel} differs from SHA256SUMS"))),
        Ok(None) => Err(refused(format!("{rel} is listed but missing"))),
        Err(Failure::Network(m)) => Err(Error::Unreachable(m)),
        Err(e) => Err(refused(format!("{rel}: {e}"))),
    }
}

/// The SHA-256 of a local regular file inside `root`, if it is one.
fn local_sha(root: &Path, rel: &str) -> Option<String> {
    let path = root.join(rel);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    // No folder on the way may lead out of the copy.
    let real = path.canonicalize().ok()?;
    if !real.starts_with(root) {
        return None;
    }
    crate::digest::sha256_reader(crate::fsx::open(&path).ok()?).ok()
}

/// How one file came to be in the staging folder.
enum Got {
    Reused,
    Downloaded,
}

/// Makes or updates the verified copy of the site at `url` in `dir`.
pub fn mirror(url: &str, dir: &Path, o: &Options<'_>) -> Result<Report> {
    if !fetch::is_url(url) {
        return Err(Error::Other(format!(
            "{}: give the site's http:// or https:// address",
            crate::term::clean(url)
        )));
    }
    let key = o.key.map(sign::read_public).transpose()?;
    let dir = publish::resolve_destination(dir)?;
    let _lock = lock(&dir)?;
    let remote = Remote::new(url, o.idle);

    // 1. SHA256SUMS and its signature, before anything else.
    let signed = Signed::fetch(&remote, key.as_ref())?;
    let version_id = signed.version_id.clone();
    // 1b. The log: signed by the key, ending with this version, and
    //     extending both the log DIR holds and the last one seen here.
    let log = check_log(&remote, &dir, &version_id, key.as_ref(), o.state.as_deref())?;

    // 2. What DIR holds. The same version: nothing to do but take a newer
    //    checkpoint (a fresh time, witnesses' co-signatures), if any.
    let old_sums = crate::fsx::read_limited(&dir.join(SUMS), MAX_SUMS).ok();
    let old_id = old_sums.as_ref().map(crate::sums::version_id);
    if old_id.as_deref() == Some(version_id.as_str()) {
        // The whole log, switched in at once: the new checkpoint with the
        // tiles of the entries it was checked against — if it is better
        // than the one held (a replayed or stripped checkpoint is not).
        let held = transparency::read_folder(&dir).ok();
        if better_checkpoint(held.as_ref(), &log, key.as_ref()) {
            write_log(&dir, &log)?;
        } else {
            publish::clear_leftovers(&dir);
        }
        remember(&log, key.as_ref(), o.state.as_deref())?;
        let (requests, bytes) = remote.counts();
        return Ok(Report {
            version_id,
            current: true,
            downloaded: 0,
            reused: 0,
            requests,
            bytes,
        });
    }

    // Otherwise DIR must be a kura site (nothing else is ever replaced),
    // and the version it holds one the new version follows.
    let kept = publish::check_destination_keeping(&dir, &o.keep)?;
    let old: Option<(String, HashMap<String, String>)> = old_sums.zip(old_id).map(|(bytes, id)| {
        let (old_entries, _) = crate::sums::parse(&String::from_utf8_lossy(&bytes));
        (id, old_entries.into_iter().map(|(s, p)| (p, s)).collect())
    });
    if let Some((old_id, _)) = &old {
        check_follows(&remote, &signed, &dir, old_id)?;
    }

    // 3. Assemble the new version beside DIR, reusing what is there.
    let staging = prepare_staging(&dir)?;
    let by_hash: HashMap<&str, &str> = old
        .as_ref()
        .map(|(_, files)| {
            files
                .iter()
                .map(|(p, s)| (s.as_str(), p.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let assembly = Assembly {
        remote: &remote,
        entries: &signed.entries,
        staging: &staging,
        parts: staging.with_file_name(format!(
            "{}.parts",
            staging.file_name().unwrap_or_default().to_string_lossy()
        )),
        old_root: dir.canonicalize().ok(),
        by_hash,
    };
    let bar = o
        .progress
        .clone()
        .unwrap_or_else(indicatif::ProgressBar::hidden);
    let (downloaded, reused) = assembly
        .fetch_all(&bar)
        .map_err(|failures| failed(&failures, &dir, &version_id, remote.base()))?;

    // 4. Nothing but the listed files, then the checksums, then the switch.
    tidy(&staging, &signed.entries, &dir, &kept)?;
    write_log(&staging, &log)?;
    fs::write(staging.join(SUMS), &signed.sums).map_err(|e| Error::io(&staging, e))?;
    let sig_path = staging.join(SUMS_SIG);
    match &signed.signature {
        Some(sig) => fs::write(&sig_path, sig).map_err(|e| Error::io(&sig_path, e))?,
        None => {
            let _ = fs::remove_file(&sig_path);
        }
    }
    publish::switch_in(&staging, &dir)?;
    remember(&log, key.as_ref(), o.state.as_deref())?;
    let (requests, bytes) = remote.counts();
    Ok(Report {
        version_id,
        current: false,
        downloaded,
        reused,
        requests,
        bytes,
    })
}

/// A version's `SHA256SUMS` as fetched, with its entries and signature.
struct Signed {
    sums: Vec<u8>,
    version_id: String,
    entries: Vec<(String, String)>,
    signature: Option<Vec<u8>>,
}

impl Signed {
    /// Fetches `SHA256SUMS` and its signature, the first requests of a run:
    /// a signature that is not `key`'s for this very version, or a list
    /// that is not one, is refused before any other request.
    fn fetch(remote: &Remote, key: Option<&sign::PublicKey>) -> Result<Signed> {
        let sums = match remote.get(SUMS, MAX_SUMS) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(refused(format!("no {SUMS} at {}", remote.base()))),
            Err(Failure::Network(m)) => return Err(Error::Unreachable(m)),
            Err(e) => return Err(refused(format!("{SUMS}: {e}"))),
        };
        let version_id = crate::sums::version_id(&sums);
        // Read only once signed (or at once, with no key to check it by):
        // a hostile list costs nothing but its bytes, and a list that is
        // not one gets no further request.
        let parse = || match verify::parse_sums(&String::from_utf8_lossy(&sums)) {
            (_, bad) if !bad.is_empty() => Err(refused(
                crate::term::clean(&bad[0].to_string()).into_owned(),
            )),
            (entries, _) => Ok(entries),
        };
        let unsigned = if key.is_none() { Some(parse()?) } else { None };
        let signature = match remote.get(SUMS_SIG, MAX_SIG) {
            Ok(s) => s,
            Err(Failure::Network(m)) => return Err(Error::Unreachable(m)),
            Err(e) => return Err(refused(format!("{SUMS_SIG}: {e}"))),
        };
        if let Some(pk) = key {
            let Some(sig) = &signature else {
                return Err(refused(format!(
                    "version {version_id} is not signed ({SUMS_SIG} is missing)"
                )));
            };
            match sign::verify(pk, &sums, &String::from_utf8_lossy(sig)) {
                Ok(comment) if comment.contains(&version_id) => {}
                Ok(comment) => {
                    return Err(refused(format!(
                        "the signature's trusted comment ({}) does not name version {version_id}",
                        crate::term::clean(&comment)
                    )));
                }
                Err(why) => return Err(refused(format!("bad signature: {why}"))),
            }
        }
        let entries = match unsigned {
            Some(entries) => entries,
            None => parse()?,
        };
        Ok(Signed {
            sums,
            version_id,
            entries,
            signature,
        })
    }
}

/// Refuses a version whose `versions.json` does not list `old_id`, the
/// version the copy holds: a rollback or a fork.
fn check_follows(remote: &Remote, signed: &Signed, dir: &Path, old_id: &str) -> Result<()> {
    let chain: manifest::Versions = match listed(remote, &signed.entries, "versions.json")? {
        Some(b) => serde_json::from_slice(&b)
            .map_err(|e| refused(format!("versions.json is not valid: {e}")))?,
        None => manifest::Versions::default(),
    };
    if chain.versions.iter().any(|v| v.id == old_id) {
        return Ok(());
    }
    Err(refused(format!(
        "rollback or fork: {} holds version {old_id}, and version {} at {} \
         does not follow it (its versions.json does not list it); the copy is left as it was",
        crate::error::shown(dir),
        signed.version_id,
        crate::term::clean(remote.base())
    )))
}

/// The new version being assembled in `staging`, from the files the copy
/// already holds (by hash) and downloads.
struct Assembly<'a> {
    remote: &'a Remote,
    entries: &'a [(String, String)],
    staging: &'a Path,
    /// Where downloads arrive, each named by its entry's number (no listed
    /// name can collide with one), before they are checked and moved in.
    parts: PathBuf,
    /// The copy's folder, and its files by hash.
    old_root: Option<PathBuf>,
    by_hash: HashMap<&'a str, &'a str>,
}

impl Assembly<'_> {
    /// Puts every listed file in place, at most [`fetch::CONNECTIONS`] at a
    /// time: (downloaded, reused), or what failed, by path.
    fn fetch_all(
        &self,
        bar: &indicatif::ProgressBar,
    ) -> std::result::Result<(usize, usize), Vec<(String, Failure)>> {
        let local =
            |e: &dyn std::fmt::Display| vec![(String::new(), Failure::Local(e.to_string()))];
        let _ = fs::remove_dir_all(&self.parts);
        fs::create_dir_all(&self.parts).map_err(|e| local(&e))?;
        bar.set_length(self.entries.len() as u64);
        let downloaded = AtomicUsize::new(0);
        let reused = AtomicUsize::new(0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(fetch::CONNECTIONS)
            .build()
            .map_err(|e| local(&format!("cannot start fetching: {e}")))?;
        let mut failures: Vec<(String, Failure)> = pool.install(|| {
            (0..self.entries.len())
                .into_par_iter()
                .filter_map(|i| {
                    let r = self.one(i);
                    bar.inc(1);
                    match r {
                        Ok(Got::Reused) => {
                            reused.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                        Ok(Got::Downloaded) => {
                            downloaded.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                        Err(f) => Some(f),
                    }
                })
                .collect()
        });
        bar.finish_and_clear();
        let _ = fs::remove_dir_all(&self.parts);
        failures.sort_by(|a, b| a.0.cmp(&b.0));
        if failures.is_empty() {
            Ok((downloaded.into_inner(), reused.into_inner()))
        } else {
            Err(failures)
        }
    }

    /// Puts entry `i` in place: left as it is, linked from the copy, or
    /// downloaded and checked against its hash.
    fn one(&self, i: usize) -> std::result::Result<Got, (String, Failure)> {
        let (sha, rel) = &self.entries[i];
        let dest = self.staging.join(rel);
        let local = |f: std::io::Error| (rel.clone(), Failure::Local(f.to_string()));
        if let Ok(m) = fs::symlink_metadata(&dest) {
            if m.is_file() && local_sha(self.staging, rel).as_deref() == Some(sha.as_str()) {
                return Ok(Got::Reused);
            }
            if m.is_dir() {
                fs::remove_dir_all(&dest).map_err(local)?;
            } else {
                fs::remove_file(&dest).map_err(local)?;
            }
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(local)?;
        }
        if let (Some(root), Some(have)) = (&self.old_root, self.by_hash.get(sha.as_str()))
            && local_sha(root, have).as_deref() == Some(sha.as_str())
        {
            let source = root.join(have);
            if fs::hard_link(&source, &dest).is_ok() || fs::copy(&source, &dest).is_ok() {
                return Ok(Got::Reused);
            }
        }
        let part = self.parts.join(i.to_string());
        let mut file: Option<fs::File> = None;
        let mut hasher = sha2::Sha256::new();
        let found = self
            .remote
            .stream(rel, fetch::MAX_FILE, &mut |chunk| {
                match chunk {
                    None => {
                        hasher = sha2::Sha256::new();
                        file = Some(fs::File::create(&part)?);
                    }
                    Some(bytes) => {
                        hasher.update(bytes);
                        if let Some(f) = file.as_mut() {
                            f.write_all(bytes)?;
                        }
                    }
                }
                Ok(())
            })
            .map_err(|e| (rel.clone(), e))?;
        drop(file);
        if !found {
            let _ = fs::remove_file(&part);
            return Err((rel.clone(), Failure::Refused("listed but missing".into())));
        }
        let actual = crate::digest::hex(&hasher.finalize());
        if &actual != sha {
            let _ = fs::remove_file(&part);
            return Err((
                rel.clone(),
                Failure::Refused(format!("differs from SHA256SUMS (got {actual})")),
            ));
        }
        fs::rename(&part, &dest).map_err(local)?;
        Ok(Got::Downloaded)
    }
}

/// The error for files that could not be put in place: the copy could not
/// be written, the server could not be reached, or it serves files that do
/// not match its own `SHA256SUMS`.
fn failed(failures: &[(String, Failure)], dir: &Path, version_id: &str, base: &str) -> Error {
    let network = failures
        .iter()
        .all(|(_, f)| matches!(f, Failure::Network(_)));
    let local = failures.iter().any(|(_, f)| matches!(f, Failure::Local(_)));
    let shown: Vec<String> = failures
        .iter()
        .take(5)
        .map(|(p, f)| crate::term::clean(&format!("{p}: {f}")).into_owned())
        .collect();
    let more = failures.len().saturating_sub(shown.len());
    let list = if more > 0 {
        format!("{}; and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    };
    if local {
        Error::Other(format!(
            "could not write the copy: {list}. The copy in {} is unchanged",
            crate::error::shown(dir)
        ))
    } else if network {
        Error::Unreachable(format!(
            "{} file(s) could not be fetched: {list}. The copy in {} is unchanged; \
             run again to carry on where this run stopped",
            failures.len(),
            crate::error::shown(dir)
        ))
    } else {
        refused(format!(
            "version {version_id} at {} does not match its own SHA256SUMS: {list}; \
             the copy is left as it was",
            crate::term::clean(base)
        ))
    }
}

/// Leaves nothing in `staging` but the listed files and the mirror's own
/// (`kept`, linked from `dir` unless the site now publishes one of them),
/// and checks every listed file is there, a regular file, before anything
/// is switched in (each was hashed as it arrived or before it was linked).
fn tidy(staging: &Path, entries: &[(String, String)], dir: &Path, kept: &[String]) -> Result<()> {
    let listed_set: std::collections::HashSet<&str> =
        entries.iter().map(|(_, p)| p.as_str()).collect();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(staging).min_depth(1) {
        let Ok(entry) = entry else { continue };
        let rel = entry
            .path()
            .strip_prefix(staging)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .into_owned();
        if entry.file_type().is_dir() {
            dirs.push(entry.path().to_path_buf());
        } else if !listed_set.contains(rel.as_str()) {
            let _ = fs::remove_file(entry.path());
        }
    }
    for d in dirs.iter().rev() {
        let _ = fs::remove_dir(d);
    }
    for rel in kept.iter().filter(|k| !listed_set.contains(k.as_str())) {
        let (from, to) = (dir.join(rel), staging.join(rel));
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
    }
    if let Some((_, rel)) = entries
        .iter()
        .find(|(_, rel)| !fs::symlink_metadata(staging.join(rel)).is_ok_and(|m| m.is_file()))
    {
        return Err(refused(format!(
            "{} is not in the assembled copy; the copy is left as it was",
            crate::term::clean(rel)
        )));
    }
    Ok(())
}

/// Reads the site's log and checks it before anything else is downloaded:
/// against itself, the publisher's key, the version (its last entry), the
/// log `dir` holds and the last one seen on this machine. When the
/// checkpoint is the one `dir` has, `dir`'s own log is used.
fn check_log(
    remote: &Remote,
    dir: &Path,
    version_id: &str,
    key: Option<&sign::PublicKey>,
    state: Option<&Path>,
) -> Result<tlog::Log> {
    let failed = |t: Fault| match t {
        Fault::Network(p, m) => Error::Unreachable(format!("{p}: {m}")),
        other => refused(format!("{other}; the copy is left as it was")),
    };
    let note = match remote.get("log/checkpoint", transparency::MAX_CHECKPOINT) {
        Ok(n) => n,
        Err(Failure::Network(m)) => return Err(Error::Unreachable(m)),
        Err(e) => return Err(refused(format!("log/checkpoint: {e}"))),
    };
    let here = transparency::read_folder(dir).ok();
    let log = match (&here, &note) {
        (Some(h), Some(n)) if h.note.as_bytes() == n.as_slice() => h.clone(),
        _ => {
            let get = |rel: &str, limit: u64| {
                if rel == "log/checkpoint" {
                    Ok(note.clone())
                } else {
                    remote.get(rel, limit)
                }
            };
            transparency::read_with(&get).map_err(failed)?.0
        }
    };
    if let Some(pk) = key {
        transparency::check_signature(&log, pk).map_err(failed)?;
    }
    transparency::check_version(&log, version_id).map_err(failed)?;
    // The log DIR holds was checked when it was fetched: the new one must
    // extend it, under the same origin.
    if let Some(h) = &here {
        let held = format!("held in {}", crate::error::shown(dir));
        transparency::compare(&transparency::Seen::of(h, ""), &log, &held).map_err(failed)?;
    }
    if let Some(pk) = key
        && let Some(state) = state
    {
        let state = transparency::State::new(state.to_path_buf());
        let signer = sign::note::verifier_key(pk);
        if let Some(seen) = state.load(transparency::Kind::Seen, &signer)? {
            transparency::compare(&seen, &log, &state.recorded()).map_err(failed)?;
        }
    }
    Ok(log)
}

/// Whether the checkpoint of `new` (of the version a copy already holds)
/// should replace the one `held`: it differs, and is signed by `key` at a
/// later time, or at the same time with every signature line of the held
/// one and more (more witnesses). Co-signature lines are outside the
/// publisher's signature, and an old checkpoint can be served again (a
/// stale cache, someone on the path): neither may take a fresher or better
/// witnessed checkpoint away from a mirror. Without a key nothing is
/// authenticated and the server's checkpoint is taken.
fn better_checkpoint(
    held: Option<&tlog::Log>,
    new: &tlog::Log,
    key: Option<&sign::PublicKey>,
) -> bool {
    let (Some(held), Some(pk)) = (held, key) else {
        return held.is_none_or(|h| h.note != new.note);
    };
    if held.note == new.note {
        return false;
    }
    let time = |log: &tlog::Log| {
        transparency::cosignatures(log, std::slice::from_ref(pk))
            .0
            .into_iter()
            .max()
    };
    let lines = |log: &tlog::Log| -> Vec<String> {
        sign::note::split(&log.note)
            .map(|(_, l)| l.iter().map(|l| l.to_text()).collect())
            .unwrap_or_default()
    };
    match time(new).cmp(&time(held)) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            let new_lines = lines(new);
            lines(held).iter().all(|l| new_lines.contains(l))
        }
    }
}

/// Writes the files of `log` under `root/log/`, replacing what was there:
/// the tiles are those its entries give (checked equal to the server's
/// when the log was read), the checkpoint as the server had it.
fn write_log(root: &Path, log: &tlog::Log) -> Result<()> {
    let entries: Vec<Vec<u8>> = log
        .entries
        .iter()
        .map(|e| e.to_text().into_bytes())
        .collect();
    let mut files = tlog::tiles(&entries);
    files.push(("checkpoint".into(), log.note.clone().into_bytes()));
    publish::write_log(root, &files)
}

/// Remembers a log whose signature by `key` was checked, as `kura verify` does.
fn remember(log: &tlog::Log, key: Option<&sign::PublicKey>, state: Option<&Path>) -> Result<()> {
    match (state, key) {
        (Some(dir), Some(pk)) => transparency::State::new(dir.to_path_buf()).save(
            transparency::Kind::Seen,
            &sign::note::verifier_key(pk),
            log,
        ),
        _ => Ok(()),
    }
}
