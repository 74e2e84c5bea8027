//! Writing the site: every file goes through [`Output`], which hashes what
//! it writes; the site is built in a folder beside the destination and
//! swapped in only when complete.

pub mod history;
pub mod manifest;
pub mod sign;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::Digest;

use crate::error::{Error, Result};

/// Name of the checksum file at the site root.
pub const SUMS: &str = "SHA256SUMS";
/// Name of the signature of [`SUMS`].
pub const SUMS_SIG: &str = "SHA256SUMS.minisig";

/// A site being written into a staging folder.
pub struct Output {
    root: PathBuf,
    /// (site-relative path, sha256) of every file written.
    files: Mutex<Vec<(String, String)>>,
}

impl Output {
    pub fn new(root: PathBuf) -> Output {
        Output {
            root,
            files: Mutex::new(Vec::new()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn record(&self, rel: &str, sha: String) {
        // A poisoned lock means another writer panicked; keep its entries.
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.push((rel.to_string(), sha));
    }

    fn prepare(&self, rel: &str) -> Result<PathBuf> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        Ok(path)
    }

    /// Writes a whole file and records its hash.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.prepare(rel)?;
        fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        self.record(rel, crate::hex(&sha2::Sha256::digest(bytes)));
        Ok(())
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
        self.record(&w.rel, crate::hex(&w.hasher.finalize()));
        Ok(())
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

    /// Copies a scan in, block by block (scans can be large), checking its
    /// bytes still have the hash it was loaded with: the file may have been
    /// changed or deleted since.
    pub fn copy_scan(&self, rel: &str, source: &Path, sha256: &str) -> Result<()> {
        use std::io::Read;
        let path = self.prepare(rel)?;
        let mut input = fs::File::open(source).map_err(|e| Error::io(source, e))?;
        let mut output = BufWriter::with_capacity(
            1 << 16,
            fs::File::create(&path).map_err(|e| Error::io(&path, e))?,
        );
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = input.read(&mut buf).map_err(|e| Error::io(source, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            output
                .write_all(&buf[..n])
                .map_err(|e| Error::io(&path, e))?;
        }
        output.flush().map_err(|e| Error::io(&path, e))?;
        let actual = crate::hex(&hasher.finalize());
        if actual != sha256 {
            return Err(Error::Other(format!(
                "{}: the scan changed during the build (was {sha256}, now {actual}); build again",
                source.display()
            )));
        }
        self.record(rel, actual);
        Ok(())
    }

    /// Every file written so far, sorted by path.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner()).clone();
        files.sort();
        files
    }
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

/// Swaps the complete staging folder in place of `dest`. The old site is
/// moved aside first and deleted only once the new one is in place; if the
/// second rename fails, the old one is put back.
pub fn swap_in(staged: tempfile::TempDir, dest: &Path) -> Result<()> {
    let staged = staged.keep();
    let result = (|| {
        if dest.exists() {
            let aside = tempfile::Builder::new()
                .prefix(".kura-old-")
                .tempdir_in(parent_of(dest))
                .map_err(|e| Error::io(dest, e))?
                .keep();
            // rename() onto an empty folder replaces it.
            fs::rename(dest, &aside).map_err(|e| Error::io(dest, e))?;
            if let Err(e) = fs::rename(&staged, dest) {
                let _ = fs::rename(&aside, dest);
                return Err(Error::io(dest, e));
            }
            let _ = fs::remove_dir_all(&aside);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_deleted_or_changed_mid_build_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let out = Output::new(tmp.path().join("site"));
        let scan = tmp.path().join("a.png");
        std::fs::write(&scan, b"scan").unwrap();
        let sha = crate::hex(&sha2::Sha256::digest(b"scan"));
        out.copy_scan("scans/x.png", &scan, &sha).unwrap();
        std::fs::write(&scan, b"other").unwrap();
        let e = out
            .copy_scan("scans/y.png", &scan, &sha)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the scan changed during the build"), "{e}");
        std::fs::remove_file(&scan).unwrap();
        let e = out
            .copy_scan("scans/z.png", &scan, &sha)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.png") && e.contains("No such file"), "{e}");
        assert_eq!(out.files().len(), 1);
    }
}
