//! Scans: checking the paths named in forms.csv stay inside `scans/`, and
//! hashing the files they name.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::error::Problem;
use crate::model::{Election, Scan};

/// File types a scan may have.
pub const SCAN_TYPES: &[&str] = &["pdf", "jpg", "jpeg", "png", "webp"];

/// A scan's hash as computed before, valid while its size and mtime hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CachedHash {
    pub size: u64,
    pub mtime_ns: i128,
    pub sha256: String,
}

/// Hashes remembered between builds, keyed by the file's path (as bytes:
/// hashing and comparing a `Path` goes component by component, which is
/// slow at hundreds of thousands of entries).
pub type HashCache = std::collections::HashMap<std::ffi::OsString, CachedHash>;

/// Checks the form of a scan path from forms.csv (empty is fine: no scan yet).
pub fn check_path(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Ok(());
    }
    let shown = super::table::truncate(p, 80);
    if p.contains('\0') || p.contains('\\') {
        return Err(format!(
            "scan '{shown}': use '/' between folders; '\\' and NUL are not allowed"
        ));
    }
    let path = Path::new(p);
    if path.is_absolute() || p.starts_with('/') || p.as_bytes().get(1) == Some(&b':') {
        return Err(format!(
            "scan '{shown}' is an absolute path; give a path under scans/"
        ));
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!(
            "scan '{shown}' leaves scans/ ('..' is not allowed)"
        ));
    }
    let ext = extension(p);
    if !SCAN_TYPES.contains(&ext.as_str()) {
        return Err(format!(
            "scan '{shown}' is not a PDF, JPEG, PNG or WebP file (by its extension)"
        ));
    }
    Ok(())
}

/// The lower-case extension, with `jpeg` folded into `jpg`.
pub fn extension(p: &str) -> String {
    let ext = Path::new(p)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "jpeg" {
        "jpg".to_string()
    } else {
        ext
    }
}

/// Finds and hashes every scan named by a form, and attaches it to the form.
/// A scan that does not exist is left unattached (a finding, not an error);
/// one that leads outside `scans/` is an error.
pub fn attach(
    dir: &Path,
    el: &mut Election,
    cache: Option<&HashCache>,
    problems: &mut Vec<Problem>,
) {
    let forms_csv = dir.join("forms.csv");
    let scans_dir = dir.join("scans");
    let root = scans_dir.canonicalize().ok();
    // Each distinct path once, in sorted order.
    let mut paths: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in el.forms.iter().enumerate() {
        if !f.scan_path.is_empty() {
            paths.entry(f.scan_path.as_str()).or_default().push(i);
        }
    }
    let jobs: Vec<(&str, u64)> = paths
        .iter()
        .map(|(p, forms)| (*p, el.forms[forms[0]].line))
        .collect();
    let mut dirs: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for (p, _) in &jobs {
        if let Some(parent) = scans_dir.join(p).parent() {
            dirs.entry(parent.to_path_buf())
                .or_insert_with(|| parent.canonicalize().ok());
        }
    }
    let results: Vec<(String, Result<Option<Scan>, Problem>)> = jobs
        .par_iter()
        .map(|&(p, line)| {
            let r = locate(&scans_dir, root.as_deref(), &dirs, p)
                .map_err(|m| Problem::at(&forms_csv, line, m))
                .and_then(|found| match found {
                    None => Ok(None),
                    Some((source, meta)) => {
                        hash_scan(p, source, &meta, cache).map(Some).map_err(|e| {
                            Problem::at(&forms_csv, line, format!("scan '{p}': cannot read: {e}"))
                        })
                    }
                });
            (p.to_string(), r)
        })
        .collect();
    let mut found: BTreeMap<String, Scan> = BTreeMap::new();
    for (p, r) in results {
        match r {
            Ok(Some(scan)) => {
                found.insert(p, scan);
            }
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    for f in &mut el.forms {
        f.scan = found.get(&f.scan_path).cloned();
    }
}

/// Resolves a scan path under `scans/`. `Ok(None)` when no such file exists.
/// `dirs` holds the canonical form of every folder scans are in, computed
/// once per folder: one `lstat` per scan is then enough, unless the scan is
/// itself a symbolic link.
fn locate(
    scans_dir: &Path,
    root: Option<&Path>,
    dirs: &BTreeMap<PathBuf, Option<PathBuf>>,
    p: &str,
) -> Result<Option<(PathBuf, std::fs::Metadata)>, String> {
    let mut candidate = scans_dir.join(p);
    let mut meta = std::fs::symlink_metadata(&candidate);
    if meta.is_err()
        && let Some(stripped) = p.strip_prefix("scans/")
    {
        // Tolerate paths written relative to the input folder.
        candidate = scans_dir.join(stripped);
        meta = std::fs::symlink_metadata(&candidate);
    }
    let Ok(mut meta) = meta else { return Ok(None) };
    let real = if meta.file_type().is_symlink() {
        match candidate.canonicalize() {
            Ok(r) => {
                meta = std::fs::metadata(&r).map_err(|e| format!("scan '{p}': {e}"))?;
                r
            }
            // A dangling symlink: treat as missing.
            Err(_) => return Ok(None),
        }
    } else {
        let parent = candidate
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let canonical = match dirs.get(&parent) {
            Some(c) => c.clone(),
            None => parent.canonicalize().ok(),
        };
        match (canonical, candidate.file_name()) {
            (Some(dir), Some(name)) => dir.join(name),
            _ => return Ok(None),
        }
    };
    if !root.is_some_and(|r| real.starts_with(r)) {
        return Err(format!(
            "scan '{p}' leads outside scans/ (through a symbolic link)"
        ));
    }
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file"
        };
        return Err(format!("scan '{p}' is {what}"));
    }
    Ok(Some((real, meta)))
}

fn hash_scan(
    p: &str,
    source: PathBuf,
    meta: &std::fs::Metadata,
    cache: Option<&HashCache>,
) -> std::io::Result<Scan> {
    let size = meta.len();
    let mtime_ns = mtime_ns(meta);
    let cached = cache
        .and_then(|c| c.get(source.as_os_str()))
        .filter(|c| c.size == size && c.mtime_ns == mtime_ns)
        .map(|c| c.sha256.clone());
    let sha256 = match cached {
        Some(s) => s,
        None => sha256_file(&source)?,
    };
    Ok(Scan {
        path: p.to_string(),
        source,
        sha256,
        ext: extension(p),
        size,
        mtime_ns,
    })
}

/// Modification time in nanoseconds since the epoch (0 when unknown).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Lower-case hex SHA-256 of a file: small files read whole, large ones in blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len <= 4 << 20 {
        let mut bytes = Vec::with_capacity(len as usize);
        file.read_to_end(&mut bytes)?;
        return Ok(crate::hex(&sha2::Sha256::digest(&bytes)));
    }
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::hex(&hasher.finalize()))
}
