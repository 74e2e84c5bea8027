//! What is done to a checkpoint after a build: a witness co-signs it
//! (`kura witness`), and the publisher signs it again with a fresh time and
//! the co-signatures it received (`kura checkpoint`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::state::{Kind, Seen, State, compare, write_atomically};
use super::{Fault, MAX_CHECKPOINT, check_signature, check_version, now, read};
use crate::error::{Error, Result};
use crate::fetch::Copy;
use crate::publish::sign::{PublicKey, SecretKey, note};
use crate::publish::tlog::{self, Log};

/// Who signed a checkpoint, as far as can be told without the key: the
/// name and key hash of its first signature, under which `kura witness`
/// without `--log-key` keeps its record (it holds a log to the records of
/// every signer the checkpoint claims and of its origin, not to this one
/// alone: see [`claims`]).
fn first_signer(log: &Log) -> std::result::Result<String, Fault> {
    note::split(&log.note)
        .and_then(|(_, lines)| lines.into_iter().next())
        .map(|l| format!("{}+{}", l.name, crate::digest::hex(&l.key_hash)))
        .ok_or_else(|| Fault::Signature("log/checkpoint is not signed".into()))
}

/// Whether the checkpoint of `log` is signed by the signer a record
/// names: for a note verifier key (a record made with `--log-key`), a
/// signature that verifies; for the name and key hash [`first_signer`]
/// gives (a record made without), a line claiming them, verified or not —
/// enough to choose the records a log must extend, since claiming another's
/// key only makes more records apply.
fn claims(log: &Log, signer: &str) -> bool {
    if let Some(pk) = note::parse_verifier_key(signer) {
        return check_signature(log, &pk).is_ok();
    }
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
/// every checkpoint this witness co-signed before of the same origin or
/// signer, co-signs it, and remembers it. A fork is refused and its
/// evidence kept.
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
