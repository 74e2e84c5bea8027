//! `kura verify`: checks a copy of a site (a folder or a mirror's URL)
//! against its own `SHA256SUMS`, and its signature when a key is given.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;

use crate::error::{Error, Result};
pub use crate::fetch::Copy;
use crate::fetch::{self, Failure};
use crate::publish::{sign, tlog};
use crate::sums::{self, SUMS, SUMS_SIG};
use crate::transparency;

pub use crate::sums::MAX_SUMS;
/// Most bytes of a signature file.
pub const MAX_SIG: u64 = 64 << 10;
/// Most bytes of `manifest.json` or `versions.json`.
pub const MAX_JSON: u64 = 64 << 20;

/// What is wrong with one file of a copy, or with the copy as a whole.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trouble {
    Signature(String),
    /// Not the version expected (`--expect`, `--not-before`): a rollback,
    /// a mirror frozen on an old version, or a fork.
    Version(String),
    Missing(String),
    Altered(String),
    Unexpected(String),
    /// A line of SHA256SUMS that is not `<sha256>  <path>` with a safe path.
    BadLine(usize, String),
    /// The file could not be read (other than not existing).
    Unreadable(String, String),
    /// The network or the server failed for this file, through retries.
    Network(String, String),
    /// The transparency log is not what its checkpoint says, or does not
    /// end with this version.
    Log(String),
    /// The log is older than one seen before.
    Rollback(String),
    /// The log contradicts one seen before.
    Fork(String),
    /// Fewer witnesses co-signed than required.
    Witness(String),
    /// The newest signed time is older than `--max-age`.
    Stale(String),
}

impl From<transparency::Fault> for Trouble {
    fn from(f: transparency::Fault) -> Trouble {
        use transparency::Fault;
        match f {
            Fault::Network(p, why) => Trouble::Network(p, why),
            Fault::Log(why) => Trouble::Log(why),
            Fault::Signature(why) => Trouble::Signature(why),
            Fault::Rollback(why) => Trouble::Rollback(why),
            Fault::Fork(why) => Trouble::Fork(why),
        }
    }
}

impl Trouble {
    /// Whether this is a failure to reach the copy rather than a fault in it.
    pub fn is_network(&self) -> bool {
        matches!(self, Trouble::Network(..))
    }
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::Missing(p) => write!(f, "missing: {p}"),
            Trouble::Altered(p) => write!(f, "altered: {p}"),
            Trouble::Unexpected(p) if crate::publish::is_leftover(p) => write!(
                f,
                "unexpected: {p} (left by an interrupted kura run; the next kura mirror or \
                 kura checkpoint removes it)"
            ),
            Trouble::Unexpected(p) => write!(f, "unexpected: {p} (not listed in SHA256SUMS)"),
            Trouble::BadLine(n, why) => write!(f, "SHA256SUMS:{n}: {why}"),
            Trouble::Unreadable(p, why) => write!(f, "unreadable: {p}: {why}"),
            Trouble::Network(p, why) => write!(f, "not fetched: {p}: {why}"),
            Trouble::Signature(why) => write!(f, "signature: {why}"),
            Trouble::Version(why) => write!(f, "version: {why}"),
            Trouble::Log(why) => write!(f, "log: {why}"),
            Trouble::Rollback(why) => write!(f, "rollback: {why}"),
            Trouble::Fork(why) => write!(f, "fork: {why}"),
            Trouble::Witness(why) => write!(f, "witnesses: {why}"),
            Trouble::Stale(why) => write!(f, "freshness: {why}"),
        }
    }
}

/// The outcome of checking a copy.
#[derive(Debug)]
pub struct Report {
    /// The SHA-256 of the copy's SHA256SUMS.
    pub version_id: String,
    /// Files listed in SHA256SUMS.
    pub listed: usize,
    /// The signature's trusted comment, when checked and good.
    pub signed: Option<String>,
    pub troubles: Vec<Trouble>,
    /// Requests made and bytes received, for a web copy.
    pub fetched: Option<(u64, u64)>,
    /// The log's origin and size, when it was read and is intact.
    pub log: Option<(String, u64)>,
    /// Witnesses that co-signed the checkpoint, of those given.
    pub cosigned: usize,
    /// The newest signed time on the checkpoint, from keys given.
    pub signed_at: Option<u64>,
}

impl Report {
    /// The first five troubles, and how many more there are.
    pub fn first_troubles(&self) -> Vec<String> {
        let mut troubles: Vec<String> = self
            .troubles
            .iter()
            .take(5)
            .map(|t| t.to_string())
            .collect();
        if self.troubles.len() > 5 {
            troubles.push(format!("and {} more", self.troubles.len() - 5));
        }
        troubles
    }

    pub fn intact(&self) -> bool {
        self.troubles.is_empty()
    }

    /// 0 intact, 1 anything missing, altered, unexpected, badly signed or
    /// not the version expected, 3 only that some files could not be
    /// fetched (the copy may be fine; the network was not).
    pub fn exit_code(&self) -> u8 {
        if self.troubles.is_empty() {
            0
        } else if self.troubles.iter().all(Trouble::is_network) {
            3
        } else {
            1
        }
    }
}

/// What `kura verify` is asked.
#[derive(Default)]
pub struct Options<'a> {
    /// The publisher's minisign public key (a file).
    pub key: Option<&'a Path>,
    /// The publisher's key, already read (used instead of `key`).
    pub public: Option<&'a sign::PublicKey>,
    /// The version id the copy must have.
    pub expect: Option<String>,
    /// The copy must be this version or a later one (a version id its
    /// chain contains), or published at or after this time.
    pub not_before: Option<NotBefore>,
    /// Files of a folder copy that are not the site's (a mirror's own
    /// `.htaccess`): relative paths or file names.
    pub ignore: Vec<String>,
    /// Give up a read after this long without a byte.
    pub idle: Option<Duration>,
    pub progress: Option<indicatif::ProgressBar>,
    /// Where the last checkpoint seen for each origin is kept (used when
    /// the checkpoint's signature is checked with a key).
    pub state: Option<PathBuf>,
    /// Witnesses' keys, of whom `quorum` (default: all) must have
    /// co-signed the checkpoint.
    pub witnesses: Vec<sign::PublicKey>,
    pub quorum: Option<usize>,
    /// The newest signed time on the checkpoint (the publisher's, with
    /// `key`, or a witness's) must be at most this old.
    pub max_age: Option<Duration>,
}

/// The oldest version a copy may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotBefore {
    Version(String),
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    Time(String),
}

impl NotBefore {
    /// A version id (64 hex digits) or a UTC time (`YYYY-MM-DD`,
    /// `YYYY-MM-DDTHH:MM:SSZ`).
    pub fn parse(s: &str) -> std::result::Result<NotBefore, String> {
        let s = s.trim();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(NotBefore::Version(s.to_ascii_lowercase()));
        }
        if s.len() == 10 && crate::load::valid_date(s) {
            return Ok(NotBefore::Time(format!("{s}T00:00:00Z")));
        }
        if s.len() == 20 && s.ends_with('Z') && crate::load::valid_datetime(s) {
            return Ok(NotBefore::Time(s.to_string()));
        }
        Err(format!(
            "'{}' is neither a version id (64 hex digits) nor a UTC time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
            crate::term::clean(s)
        ))
    }
}

/// Why a copy could not be checked at all: `Unreachable` is exit 3,
/// anything else exit 1.
fn cannot(site: &str, what: &str, f: Failure) -> Error {
    let site = crate::term::clean(site);
    match f {
        Failure::Network(m) => Error::Unreachable(format!("{site}: cannot fetch {what}: {m}")),
        other => Error::Other(format!("{site}: cannot read {what}: {other}")),
    }
}

/// [`sums::parse`], with its bad lines as troubles.
pub fn parse_sums(text: &str) -> (Vec<(String, String)>, Vec<Trouble>) {
    let (entries, bad) = sums::parse(text);
    let troubles = bad
        .into_iter()
        .map(|(n, why)| Trouble::BadLine(n, why))
        .collect();
    (entries, troubles)
}

/// A listed file of the copy, fetched whole and checked against its
/// listed hash: `manifest.json` or `versions.json`, read before the rest.
fn listed_file(
    copy: &Copy,
    entries: &[(String, String)],
    rel: &str,
) -> std::result::Result<Option<Vec<u8>>, Trouble> {
    let Some((sha, _)) = entries.iter().find(|(_, p)| p == rel) else {
        return Ok(None);
    };
    match copy.get(rel, MAX_JSON) {
        Ok(Some(b)) if &crate::digest::sha256_hex(&b) == sha => Ok(Some(b)),
        Ok(Some(_)) => Err(Trouble::Altered(rel.to_string())),
        Ok(None) => Err(Trouble::Missing(rel.to_string())),
        Err(Failure::Network(m)) => Err(Trouble::Network(rel.to_string(), m)),
        Err(e) => Err(Trouble::Unreadable(rel.to_string(), e.to_string())),
    }
}

/// Checks `--not-before`: the copy is that version or one after it (its
/// `versions.json` names it), or was published at or after that time.
fn check_not_before(
    copy: &Copy,
    entries: &[(String, String)],
    version_id: &str,
    not_before: &NotBefore,
) -> Option<Trouble> {
    match not_before {
        NotBefore::Version(id) if id == version_id => None,
        NotBefore::Version(id) => {
            let bytes = match listed_file(copy, entries, "versions.json") {
                Ok(Some(b)) => b,
                Ok(None) => Vec::new(),
                Err(t) => return Some(t),
            };
            let chain: crate::publish::manifest::Versions =
                serde_json::from_slice(&bytes).unwrap_or_default();
            if chain.versions.iter().any(|v| &v.id == id) {
                None
            } else {
                Some(Trouble::Version(format!(
                    "this copy is version {version_id}, which does not follow version {id}: \
                     an older version (rollback, or a mirror frozen in the past) or a fork"
                )))
            }
        }
        NotBefore::Time(t) => {
            let bytes = match listed_file(copy, entries, "manifest.json") {
                Ok(Some(b)) => b,
                Ok(None) => return Some(Trouble::Missing("manifest.json".into())),
                Err(t) => return Some(t),
            };
            let published = serde_json::from_slice::<crate::publish::manifest::Manifest>(&bytes)
                .map(|m| m.published)
                .unwrap_or_default();
            (published.as_str() < t.as_str()).then(|| {
                Trouble::Version(format!(
                    "this copy was published {}, before {t}: an older version (rollback, or a mirror frozen in the past)",
                    crate::term::clean(&published)
                ))
            })
        }
    }
}

/// Checks the copy at `site` (a folder, a symbolic link to one, or an
/// http(s) URL). `SHA256SUMS` is read first, then its signature (with a
/// key) and the version asked for: a copy that fails these is reported
/// without a single other file being fetched.
pub fn verify(site: &str, options: &Options<'_>) -> Result<Report> {
    let read_key = options.key.map(sign::read_public).transpose()?;
    let key = options.public.or(read_key.as_ref());
    let copy = Copy::open(site, options.idle.unwrap_or(fetch::IDLE));
    let sums = match copy.get(SUMS, MAX_SUMS) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return Err(Error::Other(format!(
                "{}: no {SUMS}: not a kura site, or not all of it",
                crate::term::clean(site)
            )));
        }
        Err(e) => return Err(cannot(site, SUMS, e)),
    };
    let version_id = sums::version_id(&sums);
    let mut report = Report {
        version_id: version_id.clone(),
        listed: 0,
        signed: None,
        troubles: Vec::new(),
        fetched: None,
        log: None,
        cosigned: 0,
        signed_at: None,
    };
    if let Some(pk) = key {
        check_signed(&copy, site, pk, &sums, &mut report)?;
    }
    if let Some(expected) = &options.expect
        && !expected.eq_ignore_ascii_case(&version_id)
    {
        report.troubles.push(Trouble::Version(format!(
            "this copy is version {version_id}, not the expected {}: an older or other version \
             (rollback, a mirror frozen in the past, or a fork)",
            crate::term::clean(expected)
        )));
    }
    if !report.troubles.is_empty() {
        report.fetched = copy.counts();
        return Ok(report);
    }
    let text = String::from_utf8_lossy(&sums);
    let (entries, mut troubles) = parse_sums(&text);
    drop(text);
    report.listed = entries.len();
    if !troubles.is_empty() && matches!(copy, Copy::Web(_)) {
        // A list with lines that are not SHA256SUMS lines is not fetched
        // from: a hostile server gets no further requests from it.
        report.troubles.append(&mut troubles);
        report.fetched = copy.counts();
        return Ok(report);
    }
    if let Some(nb) = &options.not_before
        && let Some(t) = check_not_before(&copy, &entries, &version_id, nb)
    {
        report.troubles.push(t);
        report.fetched = copy.counts();
        return Ok(report);
    }
    // The log next: a rollback or a fork is told after a few requests.
    let (log, log_paths) = check_log(&copy, key, options, &mut report);
    if matches!(copy, Copy::Web(_)) && !report.troubles.is_empty() {
        report.fetched = copy.counts();
        return Ok(report);
    }
    troubles.extend(check_files(&copy, &entries, options.progress.as_ref())?);
    if let Some(all) = copy.list() {
        let of_log = |f: &str| match &log {
            Some(_) => log_paths.binary_search_by(|p| p.as_str().cmp(f)).is_ok(),
            None => crate::publish::is_log_path(f),
        };
        troubles.extend(unexpected(all, &entries, &options.ignore, of_log));
    }
    report.troubles.extend(troubles);
    report.troubles.sort();
    report.fetched = copy.counts();
    if let Some(log) = log {
        report.log = Some((log.checkpoint.origin.clone(), log.checkpoint.size));
        if report.intact()
            && let Some(pk) = &key
            && let Some(dir) = &options.state
        {
            let signer = sign::note::verifier_key(pk);
            transparency::State::new(dir.clone()).save(transparency::Kind::Seen, &signer, &log)?;
        }
    }
    Ok(report)
}

/// Checks the signature of `SHA256SUMS` by `pk` (fetched before any other
/// file), and that its trusted comment names this version.
fn check_signed(
    copy: &Copy,
    site: &str,
    pk: &sign::PublicKey,
    sums: &[u8],
    report: &mut Report,
) -> Result<()> {
    let version_id = &report.version_id;
    match copy.get(SUMS_SIG, MAX_SIG) {
        Ok(Some(sig)) => match sign::verify(pk, sums, &String::from_utf8_lossy(&sig)) {
            Ok(comment) if comment.contains(version_id.as_str()) => report.signed = Some(comment),
            Ok(comment) => report.troubles.push(Trouble::Signature(format!(
                "good signature, but its trusted comment ({comment}) does not name this version {version_id}"
            ))),
            Err(why) => report.troubles.push(Trouble::Signature(why)),
        },
        Ok(None) => report
            .troubles
            .push(Trouble::Signature(format!("{SUMS_SIG} is missing"))),
        Err(e) => return Err(cannot(site, SUMS_SIG, e)),
    }
    Ok(())
}

/// Hashes every listed file of the copy (at most [`fetch::CONNECTIONS`]
/// requests at a time over the web): the ones missing, altered or
/// unreadable.
fn check_files(
    copy: &Copy,
    entries: &[(String, String)],
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Vec<Trouble>> {
    let bar = progress
        .cloned()
        .unwrap_or_else(indicatif::ProgressBar::hidden);
    bar.set_length(entries.len() as u64);
    let check = |(sha, path): &(String, String)| -> Option<Trouble> {
        bar.inc(1);
        match copy.sha256(path) {
            Ok(Some(actual)) if &actual == sha => None,
            Ok(Some(_)) => Some(Trouble::Altered(path.clone())),
            Ok(None) | Err(Failure::Refused(_)) => Some(Trouble::Missing(path.clone())),
            Err(Failure::Network(e)) => Some(Trouble::Network(path.clone(), e)),
            Err(e) => Some(Trouble::Unreadable(path.clone(), e.to_string())),
        }
    };
    let found: Vec<Trouble> = match copy {
        Copy::Folder(_) => entries.par_iter().filter_map(check).collect(),
        Copy::Web(_) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(fetch::CONNECTIONS)
                .build()
                .map_err(|e| Error::Other(format!("cannot start fetching: {e}")))?;
            pool.install(|| entries.par_iter().filter_map(check).collect())
        }
    };
    bar.finish_and_clear();
    Ok(found)
}

/// The files of a folder copy that nothing lists: not in `SHA256SUMS`, not
/// it or its signature, not of the log, not one the reader said to ignore.
fn unexpected(
    all: Vec<String>,
    entries: &[(String, String)],
    ignore: &[String],
    of_log: impl Fn(&str) -> bool,
) -> Vec<Trouble> {
    let listed: BTreeSet<&str> = entries.iter().map(|(_, p)| p.as_str()).collect();
    all.into_iter()
        .filter(|f| {
            f != SUMS
                && f != SUMS_SIG
                && !of_log(f)
                && !listed.contains(f.as_str())
                && !crate::publish::is_kept(f, ignore)
        })
        .map(Trouble::Unexpected)
        .collect()
}

/// Reads and checks the copy's log: against itself, the publisher's key,
/// this version (its last entry), the witnesses and `--max-age`, and what
/// was seen before. Returns the log when it could be read, the paths of
/// its files (sorted), and what is wrong.
fn check_log(
    copy: &Copy,
    key: Option<&sign::PublicKey>,
    options: &Options<'_>,
    report: &mut Report,
) -> (Option<tlog::Log>, Vec<String>) {
    let version_id = report.version_id.as_str();
    let troubles = &mut report.troubles;
    let (log, mut paths) = match transparency::read(copy) {
        Ok(x) => x,
        Err(t) => {
            troubles.push(t.into());
            return (None, Vec::new());
        }
    };
    paths.sort();
    let signed = match key {
        Some(pk) => match transparency::check_signature(&log, pk) {
            Ok(()) => true,
            Err(t) => {
                troubles.push(t.into());
                false
            }
        },
        None => false,
    };
    if let Err(t) = transparency::check_version(&log, version_id) {
        troubles.push(t.into());
    }
    let mut times = Vec::new();
    if !options.witnesses.is_empty() {
        let (t, bad) = transparency::cosignatures(&log, &options.witnesses);
        let need = options.quorum.unwrap_or(options.witnesses.len());
        if t.len() < need {
            let mut why = format!(
                "{} of the {} witnesses given co-signed this checkpoint; {need} required",
                t.len(),
                options.witnesses.len()
            );
            for b in bad {
                why.push_str(&format!("; {b}"));
            }
            troubles.push(Trouble::Witness(why));
        }
        report.cosigned = t.len();
        times.extend(t);
    }
    if signed && let Some(pk) = key {
        times.extend(transparency::cosignatures(&log, std::slice::from_ref(pk)).0);
    }
    // A time more than ten minutes ahead of this clock is not taken: a
    // signer's clock that far off cannot vouch for freshness.
    let now = transparency::now();
    let newest = times.iter().filter(|&&t| t <= now + 600).max().copied();
    report.signed_at = newest;
    let troubles = &mut report.troubles;
    if let Some(age) = options.max_age {
        match newest {
            None => troubles.push(Trouble::Stale(
                "the checkpoint carries no signed time (not in the future) from the keys given"
                    .into(),
            )),
            Some(t) if now.saturating_sub(t) > age.as_secs() => {
                troubles.push(Trouble::Stale(format!(
                    "the newest signed time on the checkpoint is {}, {} ago, more than --max-age allows: a copy frozen in the past, or a publisher that stopped signing",
                    crate::publish::manifest::rfc3339(t as i64),
                    transparency::age_text(now - t)
                )));
            }
            Some(_) => {}
        }
    }
    if signed
        && let Some(pk) = key
        && let Some(dir) = &options.state
    {
        let state = transparency::State::new(dir.clone());
        match state.load(transparency::Kind::Seen, &sign::note::verifier_key(pk)) {
            Ok(Some(seen)) => {
                if let Err(t) = transparency::compare(&seen, &log, &state.recorded()) {
                    troubles.push(t.into());
                }
            }
            Ok(None) => {}
            Err(e) => troubles.push(Trouble::Log(e.to_string())),
        }
    }
    (Some(log), paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_lines() {
        let sha = "a".repeat(64);
        let (ok, bad) = parse_sums(&format!(
            "{sha}  index.html\n{sha} *data/x.csv\n{sha}  ../etc/passwd\nnonsense\n\
             {sha}  index.html\n{sha}  data\n"
        ));
        assert_eq!(ok.len(), 2);
        assert_eq!(bad.len(), 4);
        assert_eq!(
            bad[2].to_string(),
            "SHA256SUMS:5: 'index.html' is listed twice"
        );
        assert_eq!(
            bad[3].to_string(),
            "SHA256SUMS:6: 'data' is listed as a file and is also a folder of listed files"
        );
        assert_eq!(
            bad[0].to_string(),
            "SHA256SUMS:3: unsafe path '../etc/passwd'"
        );
    }
}
