//! `kura verify`: checks a copy of a site (a folder or a mirror's URL)
//! against its own `SHA256SUMS`, and its signature when a key is given.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use sha2::Digest;

use crate::error::{Error, Result};
use crate::publish::{SUMS, SUMS_SIG, sign};

/// Most requests in flight at once against a mirror.
pub const FETCH_CONCURRENCY: usize = 8;

/// What is wrong with one file of a copy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trouble {
    Missing(String),
    Altered(String),
    Unexpected(String),
    /// A line of SHA256SUMS that is not `<sha256>  <path>` with a safe path.
    BadLine(usize, String),
    /// The file could not be fetched or read (other than not existing).
    Unreadable(String, String),
    Signature(String),
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::Missing(p) => write!(f, "missing: {p}"),
            Trouble::Altered(p) => write!(f, "altered: {p}"),
            Trouble::Unexpected(p) => write!(f, "unexpected: {p} (not listed in SHA256SUMS)"),
            Trouble::BadLine(n, why) => write!(f, "SHA256SUMS:{n}: {why}"),
            Trouble::Unreadable(p, why) => write!(f, "unreadable: {p}: {why}"),
            Trouble::Signature(why) => write!(f, "signature: {why}"),
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
}

impl Report {
    pub fn intact(&self) -> bool {
        self.troubles.is_empty()
    }
}

/// Where a copy's files come from.
enum Copy {
    Folder(PathBuf),
    Web { base: String, agent: ureq::Agent },
}

impl Copy {
    fn open(site: &str) -> Copy {
        if site.starts_with("http://") || site.starts_with("https://") {
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(120)))
                .build();
            let base = if site.ends_with('/') {
                site.to_string()
            } else {
                format!("{site}/")
            };
            Copy::Web {
                base,
                agent: ureq::Agent::new_with_config(config),
            }
        } else {
            Copy::Folder(PathBuf::from(site))
        }
    }

    /// The whole file, `Ok(None)` when it does not exist.
    fn get(&self, rel: &str) -> std::result::Result<Option<Vec<u8>>, String> {
        match self {
            Copy::Folder(root) => match crate::fsx::read(&root.join(rel)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Copy::Web { .. } => {
                let mut out = Vec::new();
                match self.stream(rel, &mut |chunk| out.extend_from_slice(chunk))? {
                    true => Ok(Some(out)),
                    false => Ok(None),
                }
            }
        }
    }

    /// The SHA-256 of a file, read in blocks; `Ok(None)` when it does not exist.
    fn sha256(&self, rel: &str) -> std::result::Result<Option<String>, String> {
        let mut hasher = sha2::Sha256::new();
        let found = match self {
            Copy::Folder(root) => {
                let path = root.join(rel);
                match std::fs::symlink_metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e.to_string()),
                    Ok(m) if !m.is_file() => return Err("not a regular file".into()),
                    Ok(_) => {}
                }
                let mut file = crate::fsx::open(&path).map_err(|e| e.to_string())?;
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = file.read(&mut buf).map_err(|e| e.to_string())?;
                    if n == 0 {
                        break true;
                    }
                    hasher.update(&buf[..n]);
                }
            }
            Copy::Web { .. } => self.stream(rel, &mut |chunk| hasher.update(chunk))?,
        };
        Ok(found.then(|| crate::hex(&hasher.finalize())))
    }

    /// Fetches a file from a mirror, feeding its bytes to `sink`; false on 404.
    fn stream(&self, rel: &str, sink: &mut dyn FnMut(&[u8])) -> std::result::Result<bool, String> {
        let Copy::Web { base, agent } = self else {
            return Err("not a web copy".into());
        };
        let url = format!("{base}{rel}");
        let mut response = agent.get(&url).call().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        if status == 404 || status == 410 {
            return Ok(false);
        }
        if status != 200 {
            return Err(format!("{url}: HTTP {status}"));
        }
        let mut reader = response.body_mut().as_reader();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).map_err(|e| format!("{url}: {e}"))?;
            if n == 0 {
                return Ok(true);
            }
            sink(&buf[..n]);
        }
    }

    /// Every file of a folder copy (relative paths); `None` for a web copy,
    /// which cannot be listed.
    fn list(&self) -> Option<Vec<String>> {
        let Copy::Folder(root) = self else {
            return None;
        };
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if entry.file_type().is_dir() {
                continue;
            }
            if let Ok(rel) = entry.path().strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        Some(out)
    }
}

/// A path from SHA256SUMS that is safe to open under the copy's root.
fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Parses SHA256SUMS: `(sha256, path)` per line, and the lines it could not read.
pub fn parse_sums(text: &str) -> (Vec<(String, String)>, Vec<Trouble>) {
    let mut entries = Vec::new();
    let mut troubles = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(sha, rest)| {
            let path = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
            (sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit()))
                .then(|| (sha.to_ascii_lowercase(), path))
        });
        match parsed {
            Some((sha, path)) if safe_path(path) => entries.push((sha, path.to_string())),
            Some((_, path)) => {
                troubles.push(Trouble::BadLine(i + 1, format!("unsafe path '{path}'")))
            }
            None => troubles.push(Trouble::BadLine(
                i + 1,
                "not of the form '<sha256>  <path>'".into(),
            )),
        }
    }
    (entries, troubles)
}

/// Checks the copy at `site` (a folder or an http(s) URL).
pub fn verify(site: &str, key: Option<&Path>) -> Result<Report> {
    let key = key.map(sign::read_public).transpose()?;
    let copy = Copy::open(site);
    let sums = match copy.get(SUMS) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return Err(Error::Other(format!(
                "{site}: no {SUMS}: not a kura site, or not all of it"
            )));
        }
        Err(e) => return Err(Error::Other(format!("{site}: cannot read {SUMS}: {e}"))),
    };
    let version_id = crate::hex(&sha2::Sha256::digest(&sums));
    let text = String::from_utf8_lossy(&sums);
    let (entries, mut troubles) = parse_sums(&text);

    let check = |(sha, path): &(String, String)| -> Option<Trouble> {
        match copy.sha256(path) {
            Ok(Some(actual)) if &actual == sha => None,
            Ok(Some(_)) => Some(Trouble::Altered(path.clone())),
            Ok(None) => Some(Trouble::Missing(path.clone())),
            Err(e) => Some(Trouble::Unreadable(path.clone(), e)),
        }
    };
    let found: Vec<Trouble> = match &copy {
        Copy::Folder(_) => entries.par_iter().filter_map(check).collect(),
        Copy::Web { .. } => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(FETCH_CONCURRENCY)
                .build()
                .map_err(|e| Error::Other(format!("cannot start fetching: {e}")))?;
            pool.install(|| entries.par_iter().filter_map(check).collect())
        }
    };
    troubles.extend(found);

    if let Some(all) = copy.list() {
        let listed: BTreeSet<&str> = entries.iter().map(|(_, p)| p.as_str()).collect();
        for f in all {
            if f != SUMS && f != SUMS_SIG && !listed.contains(f.as_str()) {
                troubles.push(Trouble::Unexpected(f));
            }
        }
    }

    let mut signed = None;
    if let Some(pk) = &key {
        match copy.get(SUMS_SIG) {
            Ok(Some(sig)) => match sign::verify(pk, &sums, &String::from_utf8_lossy(&sig)) {
                Ok(comment) if comment.contains(&version_id) => signed = Some(comment),
                Ok(comment) => troubles.push(Trouble::Signature(format!(
                    "good signature, but its trusted comment ({comment}) does not name this version {version_id}"
                ))),
                Err(why) => troubles.push(Trouble::Signature(why)),
            },
            Ok(None) => troubles.push(Trouble::Signature(format!("{SUMS_SIG} is missing"))),
            Err(e) => troubles.push(Trouble::Signature(format!("cannot read {SUMS_SIG}: {e}"))),
        }
    }
    troubles.sort();
    Ok(Report {
        version_id,
        listed: entries.len(),
        signed,
        troubles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_lines() {
        let sha = "a".repeat(64);
        let (ok, bad) = parse_sums(&format!(
            "{sha}  index.html\n{sha} *data/x.csv\n{sha}  ../etc/passwd\nnonsense\n"
        ));
        assert_eq!(ok.len(), 2);
        assert_eq!(bad.len(), 2);
        assert_eq!(
            bad[0].to_string(),
            "SHA256SUMS:3: unsafe path '../etc/passwd'"
        );
    }
}
