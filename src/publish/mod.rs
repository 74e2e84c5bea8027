//! Writing the site: every file goes through [`Output`], which hashes what
//! it writes; the site is built in a folder beside the destination and
//! swapped in only when complete.

pub mod cache;
pub mod history;
pub mod manifest;
pub mod sign;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::Digest;

use crate::error::{Error, Result};
use crate::load::scans::{CachedHash, mtime_ns};

/// Name of the checksum file at the site root.
pub const SUMS: &str = "SHA256SUMS";
/// Name of the signature of [`SUMS`].
pub const SUMS_SIG: &str = "SHA256SUMS.minisig";

/// Files of the previously published site that may be reused: those whose
/// hash in its SHA256SUMS is the hash the cache remembers for them.
#[derive(Default)]
pub struct Reuse {
    root: PathBuf,
    files: std::collections::HashMap<String, CachedHash>,
}

impl Reuse {
    /// What can be reused from the site at `dest`, built before with `cache`.
    pub fn from_site(dest: &Path, cache: &mut cache::Cache) -> Reuse {
        let mut files = std::collections::HashMap::new();
        if let Ok(text) = fs::read_to_string(dest.join(SUMS)) {
            let (entries, _) = crate::verify::parse_sums(&text);
            for (sha, path) in entries {
                if let Some(c) = cache.outputs.remove(&path)
                    && c.sha256 == sha
                {
                    files.insert(path, c);
                }
            }
        }
        Reuse {
            root: dest.to_path_buf(),
            files,
        }
    }
}

/// A site being written into a staging folder.
pub struct Output {
    root: PathBuf,
    /// Every file written: site-relative path, size, mtime and sha256.
    files: Mutex<Vec<(String, CachedHash)>>,
    reuse: Reuse,
}

impl Output {
    pub fn new(root: PathBuf, reuse: Reuse) -> Output {
        Output {
            root,
            files: Mutex::new(Vec::new()),
            reuse,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn record(&self, rel: &str, path: &Path, sha: String) -> Result<()> {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let entry = CachedHash {
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            sha256: sha,
        };
        // A poisoned lock means another writer panicked; keep its entries.
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.push((rel.to_string(), entry));
        Ok(())
    }

    /// Hard-links the previous site's copy of `rel` when it has exactly
    /// these bytes (its hash, and a size and mtime unchanged since it was
    /// written). Returns whether it did.
    fn reuse(&self, rel: &str, sha: &str, dest: &Path) -> bool {
        let Some(old) = self.reuse.files.get(rel) else {
            return false;
        };
        if old.sha256 != sha {
            return false;
        }
        let source = self.reuse.root.join(rel);
        let unchanged = fs::symlink_metadata(&source)
            .is_ok_and(|m| m.is_file() && m.len() == old.size && mtime_ns(&m) == old.mtime_ns);
        unchanged && fs::hard_link(&source, dest).is_ok()
    }

    fn prepare(&self, rel: &str) -> Result<PathBuf> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        Ok(path)
    }

    /// Writes a whole file (or reuses the previous site's identical copy)
    /// and records its hash.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.prepare(rel)?;
        let sha = crate::hex(&sha2::Sha256::digest(bytes));
        if !self.reuse(rel, &sha, &path) {
            fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        }
        self.record(rel, &path, sha)
    }

    /// Opens a file to stream into (for open data too large to hold),
    /// hashing as it goes; [`Output::finish`] records it.
    pub fn create(&self, rel: &str) -> Result<HashingWriter> {
        let path = self.prepare(rel)?;
        let file = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(HashingWriter {
            rel: rel.to_string(),
            path,
            inner: BufWriter::with_capacity(1 << 17, file),
            hasher: sha2::Sha256::new(),
        })
    }

    /// Flushes a streamed file and records its hash.
    pub fn finish(&self, mut w: HashingWriter) -> Result<()> {
        w.inner.flush().map_err(|e| Error::io(&w.path, e))?;
        let sha = crate::hex(&w.hasher.finalize());
        self.record(&w.rel, &w.path, sha)
    }

    /// Streams one file through `fill`.
    pub fn stream<F>(&self, rel: &str, fill: F) -> Result<()>
    where
        F: FnOnce(&mut HashingWriter) -> std::result::Result<(), csv::Error>,
    {
        let mut w = self.create(rel)?;
        fill(&mut w).map_err(|e| csv_error(&w.path, e))?;
        self.finish(w)
    }

    /// Copies a scan in (or links the previous site's copy), checking its
    /// bytes still have the hash it was loaded with: the file may have been
    /// changed or deleted since.
    pub fn copy_scan(&self, rel: &str, source: &Path, sha256: &str) -> Result<()> {
        let path = self.prepare(rel)?;
        if self.reuse(rel, sha256, &path) {
            return self.record(rel, &path, sha256.to_string());
        }
        let actual = copy_hashing(source, &path)?;
        if actual != sha256 {
            let _ = fs::remove_file(&path);
            return Err(Error::Other(format!(
                "{}: the scan changed during the build (was {sha256}, now {actual}); build again",
                source.display()
            )));
        }
        self.record(rel, &path, actual)
    }

    /// Every file written so far (path and sha256), sorted by path.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = self
            .entries()
            .into_iter()
            .map(|(p, c)| (p, c.sha256))
            .collect();
        files.sort();
        files
    }

    /// Every file written so far with its size and mtime, for the cache.
    pub fn entries(&self) -> Vec<(String, CachedHash)> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Files up to this size are read whole; larger ones in blocks.
const WHOLE: u64 = 4 << 20;

/// Copies `source` to `dest` and returns the SHA-256 of what was copied.
fn copy_hashing(source: &Path, dest: &Path) -> Result<String> {
    use std::io::Read;
    let mut input = fs::File::open(source).map_err(|e| Error::io(source, e))?;
    let len = input.metadata().map_err(|e| Error::io(source, e))?.len();
    if len <= WHOLE {
        let mut bytes = Vec::with_capacity(len as usize);
        input
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(source, e))?;
        fs::write(dest, &bytes).map_err(|e| Error::io(dest, e))?;
        return Ok(crate::hex(&sha2::Sha256::digest(&bytes)));
    }
    let mut output = BufWriter::with_capacity(
        1 << 20,
        fs::File::create(dest).map_err(|e| Error::io(dest, e))?,
    );
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).map_err(|e| Error::io(source, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output
            .write_all(&buf[..n])
            .map_err(|e| Error::io(dest, e))?;
    }
    output.flush().map_err(|e| Error::io(dest, e))?;
    Ok(crate::hex(&hasher.finalize()))
}

/// Turns a CSV writer's error into ours.
pub fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::Other(format!("{}: {other:?}", path.display())),
    }
}

/// A writer that hashes what passes through it.
pub struct HashingWriter {
    rel: String,
    path: PathBuf,
    inner: BufWriter<fs::File>,
    hasher: sha2::Sha256,
}

impl HashingWriter {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The text of `SHA256SUMS` for these files: GNU coreutils form, sorted by path.
pub fn sums(files: &[(String, String)]) -> String {
    let mut out = String::with_capacity(files.len() * 100);
    for (path, sha) in files {
        out.push_str(sha);
        out.push_str("  ");
        out.push_str(path);
        out.push('\n');
    }
    out
}

/// The version id: the SHA-256 of the `SHA256SUMS` text.
pub fn version_id(sums: &str) -> String {
    crate::hex(&sha2::Sha256::digest(sums.as_bytes()))
}

/// Makes a staging folder beside `dest` (same file system, so the final
/// rename is atomic).
pub fn staging(dest: &Path) -> Result<tempfile::TempDir> {
    let parent = parent_of(dest);
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    tempfile::Builder::new()
        .prefix(".kura-build-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))
}

fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses to replace a folder that is not a site kura built (a safety
/// net against `-o ~`).
pub fn check_destination(dest: &Path) -> Result<()> {
    if !dest.exists() {
        return Ok(());
    }
    if !dest.is_dir() {
        return Err(Error::Other(format!(
            "{}: exists and is not a folder; choose another output",
            dest.display()
        )));
    }
    let empty = fs::read_dir(dest)
        .map_err(|e| Error::io(dest, e))?
        .next()
        .is_none();
    if empty || dest.join(SUMS).is_file() || dest.join("manifest.json").is_file() {
        return Ok(());
    }
    Err(Error::Other(format!(
        "{}: exists but is not a site built by kura (no SHA256SUMS); refusing to replace it",
        dest.display()
    )))
}

/// The prefix of the folders that old sites are moved to by [`swap_in`].
fn aside_prefix(dest: &Path) -> String {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".kura-old-{name}-")
}

/// Deletes, in a background thread, the old sites earlier builds moved
/// aside: deleting hundreds of thousands of files takes seconds, which this
/// overlaps with the next build's work. Join the handle before exiting.
pub fn clear_aside(dest: &Path) -> std::thread::JoinHandle<()> {
    let parent = parent_of(dest);
    let prefix = aside_prefix(dest);
    std::thread::spawn(move || {
        let Ok(entries) = fs::read_dir(&parent) else {
            return;
        };
        for e in entries.filter_map(|e| e.ok()) {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    })
}

/// Swaps the complete staging folder in place of `dest`. The old site is
/// moved aside first (and deleted by the next build's [`clear_aside`]); if
/// the second rename fails, the old one is put back.
pub fn swap_in(staged: tempfile::TempDir, dest: &Path) -> Result<()> {
    let staged = staged.keep();
    let result = (|| {
        if dest.exists() {
            let aside = tempfile::Builder::new()
                .prefix(&aside_prefix(dest))
                .tempdir_in(parent_of(dest))
                .map_err(|e| Error::io(dest, e))?
                .keep();
            // rename() onto an empty folder replaces it.
            fs::rename(dest, &aside).map_err(|e| Error::io(dest, e))?;
            if let Err(e) = fs::rename(&staged, dest) {
                let _ = fs::rename(&aside, dest);
                return Err(Error::io(dest, e));
            }
        } else {
            fs::rename(&staged, dest).map_err(|e| Error::io(dest, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staged);
    }
    result
}
