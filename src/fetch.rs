//! Fetching a published site over HTTP(S), for `kura verify`, `kura mirror`
//! and `kura diff`, from a server that may be slow, flaky or hostile:
//! an idle timeout per read rather than a total one (a large file over a
//! slow but live link still arrives), a few retries with back-off for
//! failures of the network or the server, a bound on what is read into
//! memory, and a count of the requests made.

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::Digest;

/// Most requests in flight at once against one server: polite to a
/// volunteer's mirror, enough to fill a link.
pub const CONNECTIONS: usize = 4;
/// How long a read may wait for a byte before the request is given up.
pub const IDLE: Duration = Duration::from_secs(30);
/// Attempts per file (the first and its retries).
pub const ATTEMPTS: u32 = 4;
/// A transfer slower than this many bytes per [`SLOW_WINDOW`] is given up
/// (as curl's `--speed-limit`): a server dribbling a byte now and then,
/// never idle for long, cannot hold a run for ever. 1 KiB a minute lets a
/// 28 MB file through in a day; a real link is thousands of times faster.
pub const SLOW_BYTES: u64 = 1024;
pub const SLOW_WINDOW: Duration = Duration::from_secs(60);
const TOO_SLOW: &str = ": too slow";
/// Most bytes of any one file of a site (a scan, `data/results.csv`).
pub const MAX_FILE: u64 = 2 << 30;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered, and not with the file (404, 403, …): the copy
    /// lacks it.
    Refused(String),
    /// The network or the server failed (refused connection, timeout,
    /// 5xx) and kept failing through the retries.
    Network(String),
    /// The file is larger than allowed.
    TooLarge(String),
    /// Writing what arrived failed (a local problem).
    Local(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(m)
            | Failure::Network(m)
            | Failure::TooLarge(m)
            | Failure::Local(m) => f.write_str(m),
        }
    }
}

/// A site on a web server.
pub struct Remote {
    base: String,
    agent: ureq::Agent,
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// Whether `site` names a web copy rather than a folder.
pub fn is_url(site: &str) -> bool {
    site.starts_with("http://") || site.starts_with("https://")
}

impl Remote {
    /// A remote site at `url` (its root; a trailing `/` is added), each
    /// read given up after `idle` without a byte.
    pub fn new(url: &str, idle: Duration) -> Remote {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(idle))
            .timeout_per_read(Some(idle))
            .timeout_per_write(Some(idle))
            // The status line and headers, however slowly they trickle.
            .timeout_recv_response(Some(idle.saturating_mul(2)))
            .max_redirects(5)
            .max_response_header_size(64 * 1024)
            .user_agent(concat!("kura/", env!("CARGO_PKG_VERSION")))
            .build();
        let base = if url.ends_with('/') {
            url.to_string()
        } else {
            format!("{url}/")
        };
        Remote {
            base,
            agent: ureq::Agent::new_with_config(config),
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Requests made so far, and bytes received.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }

    /// Fetches `rel` whole, at most `limit` bytes; `Ok(None)` when the
    /// server says it does not exist (404, 410).
    pub fn get(&self, rel: &str, limit: u64) -> Result<Option<Vec<u8>>, Failure> {
        let mut out = Vec::new();
        let found = self.stream(rel, limit, &mut |chunk| {
            match chunk {
                Some(bytes) => out.extend_from_slice(bytes),
                None => out.clear(),
            }
            Ok(())
        })?;
        Ok(found.then_some(out))
    }

    /// Fetches `rel`, feeding its bytes to `sink`, at most `limit` bytes.
    /// Before each attempt `sink` is given `None`: a retry starts over.
    /// `Ok(false)` when the server says it does not exist.
    pub fn stream(
        &self,
        rel: &str,
        limit: u64,
        sink: &mut dyn FnMut(Option<&[u8]>) -> std::io::Result<()>,
    ) -> Result<bool, Failure> {
        let url = format!("{}{}", self.base, encode_path(rel));
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                // 0.5 s, 1 s, 2 s: a server that is restarting gets time.
                std::thread::sleep(Duration::from_millis(500 << (attempt - 1)));
            }
            sink(None).map_err(|e| Failure::Local(e.to_string()))?;
            match self.once(&url, limit, sink) {
                Ok(found) => return Ok(found),
                // A server that dribbled for a minute is not retried.
                Err(Failure::Network(m)) if m.ends_with(TOO_SLOW) => {
                    return Err(Failure::Network(m));
                }
                Err(Failure::Network(m)) => last = m,
                Err(other) => return Err(other),
            }
        }
        Err(Failure::Network(format!(
            "{last} (after {ATTEMPTS} attempts)"
        )))
    }

    fn once(
        &self,
        url: &str,
        limit: u64,
        sink: &mut dyn FnMut(Option<&[u8]>) -> std::io::Result<()>,
    ) -> Result<bool, Failure> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let shown = crate::term::clean(url).into_owned();
        let mut response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| Failure::Network(format!("{shown}: {e}")))?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Ok(false),
            500..=599 | 408 | 429 => {
                return Err(Failure::Network(format!("{shown}: HTTP {status}")));
            }
            _ => return Err(Failure::Refused(format!("{shown}: HTTP {status}"))),
        }
        let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        let (mut window, mut in_window) = (std::time::Instant::now(), 0u64);
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| Failure::Network(format!("{shown}: {e}")))?;
            if n == 0 {
                return Ok(true);
            }
            in_window += n as u64;
            if window.elapsed() >= SLOW_WINDOW {
                if in_window < SLOW_BYTES {
                    return Err(Failure::Network(format!(
                        "{shown}: {in_window} bytes in {} s{TOO_SLOW}",
                        SLOW_WINDOW.as_secs()
                    )));
                }
                (window, in_window) = (std::time::Instant::now(), 0);
            }
            total += n as u64;
            self.bytes.fetch_add(n as u64, Ordering::Relaxed);
            if total > limit {
                return Err(Failure::TooLarge(format!(
                    "{shown}: larger than {limit} bytes"
                )));
            }
            sink(Some(&buf[..n])).map_err(|e| Failure::Local(e.to_string()))?;
        }
    }
}

/// A site-relative path as a URL path: each segment percent-encoded
/// where it holds anything but unreserved characters.
fn encode_path(rel: &str) -> String {
    let mut out = String::with_capacity(rel.len());
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a copy's files come from.
pub enum Copy {
    Folder(PathBuf),
    Web(Remote),
}

impl Copy {
    /// A folder (through any symbolic links to it) or an http(s) URL.
    pub fn open(site: &str, idle: Duration) -> Copy {
        if is_url(site) {
            Copy::Web(Remote::new(site, idle))
        } else {
            let path = PathBuf::from(site);
            Copy::Folder(path.canonicalize().unwrap_or(path))
        }
    }

    /// The whole file, at most `limit` bytes; `Ok(None)` when it does not exist.
    pub fn get(&self, rel: &str, limit: u64) -> std::result::Result<Option<Vec<u8>>, Failure> {
        match self {
            Copy::Folder(root) => match crate::fsx::read_limited(&root.join(rel), limit) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                    Err(Failure::TooLarge(e.to_string()))
                }
                Err(e) => Err(Failure::Local(e.to_string())),
            },
            Copy::Web(remote) => remote.get(rel, limit),
        }
    }

    /// The SHA-256 of a file, read in blocks; `Ok(None)` when it does not exist.
    pub fn sha256(&self, rel: &str) -> std::result::Result<Option<String>, Failure> {
        let mut hasher = sha2::Sha256::new();
        let found = match self {
            Copy::Folder(root) => {
                let path = root.join(rel);
                match std::fs::symlink_metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(Failure::Local(e.to_string())),
                    Ok(m) if !m.is_file() => {
                        return Err(Failure::Local("not a regular file".into()));
                    }
                    Ok(_) => {}
                }
                let file = crate::fsx::open(&path).map_err(|e| Failure::Local(e.to_string()))?;
                return crate::digest::sha256_reader(file)
                    .map(Some)
                    .map_err(|e| Failure::Local(e.to_string()));
            }
            Copy::Web(remote) => remote.stream(rel, MAX_FILE, &mut |chunk| {
                match chunk {
                    Some(bytes) => hasher.update(bytes),
                    None => hasher = sha2::Sha256::new(),
                }
                Ok(())
            })?,
        };
        Ok(found.then(|| crate::digest::hex(&hasher.finalize())))
    }

    /// Every file of a folder copy (relative paths); `None` for a web copy,
    /// which cannot be listed.
    pub fn list(&self) -> Option<Vec<String>> {
        let Copy::Folder(root) = self else {
            return None;
        };
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
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

    pub fn counts(&self) -> Option<(u64, u64)> {
        match self {
            Copy::Web(r) => Some(r.counts()),
            Copy::Folder(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::encode_path;

    #[test]
    fn paths_are_encoded() {
        assert_eq!(encode_path("areas/a b.html"), "areas/a%20b.html");
        assert_eq!(encode_path("scans/ab.png"), "scans/ab.png");
        assert_eq!(encode_path("x?y#z"), "x%3Fy%23z");
    }
}
