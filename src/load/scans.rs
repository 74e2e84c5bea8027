//! Scans: checking the paths named in forms.csv stay inside `scans/`, and
//! hashing the files they name.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::error::Problem;
use crate::fsx::{Beneath, Stamp};
use crate::model::{Election, Scan};

/// File types a scan may have.
pub const SCAN_TYPES: &[&str] = &["pdf", "jpg", "jpeg", "png", "webp"];

/// A scan's hash as computed before, valid while its [`Stamp`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanHash {
    pub stamp: Stamp,
    pub sha256: String,
}

/// Hashes remembered between builds, keyed by the file's path (as bytes:
/// hashing and comparing a `Path` goes component by component, which is
/// slow at hundreds of thousands of entries).
pub type HashCache = foldhash::HashMap<std::ffi::OsString, ScanHash>;

/// What a walk of `scans/` taken just before (see `build::unchanged`) saw
/// in each folder under it (by its path under `scans/`, `""` for `scans/`
/// itself): each entry that is not a folder, by name, in the order of
/// names, with a regular file's [`Stamp`], or, for anything else (a
/// symbolic link, a FIFO), `None`: look again. A path it does not list did
/// not exist then, and is looked for again too.
#[derive(Debug, Default)]
pub struct Listing {
    /// The canonical `scans/` folder the walk went through.
    pub dir: PathBuf,
    pub seen: foldhash::HashMap<String, Vec<(String, Option<Stamp>)>>,
}

/// What a [`Listing`] knows of a path under `scans/`.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A regular file: its canonical path and [`Stamp`].
    Regular(PathBuf, Stamp),
    /// Certainly nothing there: the folder it would be in was listed whole
    /// without it, or a folder on its way does not exist.
    Absent,
    /// Anything else (a symbolic link, a FIFO, a path through a link, a
    /// spelling such as `a/./b`): look for it on the disk.
    Unknown,
}

/// Longest path (bytes) and most names in it that [`Listing::get`] looks
/// up: Linux's `PATH_MAX`, and the walk's own depth limit.
const MAX_LOOKUP: usize = 4096;
const MAX_LOOKUP_DEPTH: usize = 257;

impl Listing {
    /// What the walk saw at `p`, a path under `scans/`.
    pub fn get(&self, p: &str) -> Lookup {
        // Each step up the path below hashes what is left of it: a path
        // longer than any the system opens, or deeper than the walk goes,
        // is looked for on the disk instead (where it fails at once), or a
        // hostile path of megabytes would take hours.
        if p.len() > MAX_LOOKUP || p.split('/').count() > MAX_LOOKUP_DEPTH {
            return Lookup::Unknown;
        }
        if p.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Lookup::Unknown;
        }
        let (mut folder, mut name) = p.rsplit_once('/').unwrap_or(("", p));
        let mut depth = 0;
        // The deepest folder on the way that the walk listed whole.
        loop {
            if let Some(names) = self.seen.get(folder) {
                return match names.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
                    Ok(i) => match names[i].1 {
                        Some(stamp) if depth == 0 => Lookup::Regular(self.dir.join(p), stamp),
                        // Not a regular file, or one where a folder
                        // should be on the way.
                        _ => Lookup::Unknown,
                    },
                    // A folder there (listed under its own path), or
                    // nothing.
                    Err(_) => {
                        let path = if folder.is_empty() {
                            name.to_string()
                        } else {
                            format!("{folder}/{name}")
                        };
                        if self.seen.contains_key(&path) {
                            Lookup::Unknown
                        } else {
                            Lookup::Absent
                        }
                    }
                };
            }
            match folder.rsplit_once('/') {
                Some((up, next)) => (folder, name) = (up, next),
                None if !folder.is_empty() => (folder, name) = ("", folder),
                // The walk did not list scans/ at all.
                None => return Lookup::Unknown,
            }
            depth += 1;
        }
    }
}

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
    (cache, listing): (Option<&HashCache>, Option<&Listing>),
    problems: &mut Vec<Problem>,
) {
    let forms_csv = dir.join(super::schema::FORMS.file);
    let scans_dir = dir.join("scans");
    // `scans/` is opened beneath the input folder, and every scan beneath
    // it, so that a folder swapped for a link after it was checked is not
    // followed out (without one, any scan found leads outside).
    let found = Beneath::scans(dir);
    let root = found.as_ref().map(|b| b.root().to_path_buf());
    let beneath = found.unwrap_or_else(|| Beneath::new(&scans_dir));
    // Each distinct path once, in sorted order, with the forms naming it
    // (a run of `named`, in the forms' order).
    let mut named: Vec<(&str, usize)> = el
        .forms
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.scan_path().is_empty())
        .map(|(i, f)| (f.scan_path(), i))
        .collect();
    named.par_sort_unstable();
    let jobs: Vec<(&str, &[(&str, usize)])> = named
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| (run[0].0, run))
        .collect();
    // What the walk saw of each (if it walked the `scans/` this load reads:
    // the input's path may be a link switched in between); the canonical
    // folders of the others.
    let listing = listing.filter(|l| root.as_deref() == Some(l.dir.as_path()));
    let seen: Vec<Option<(PathBuf, Stamp)>> = jobs
        .par_iter()
        .map(|(p, _)| listing.and_then(|l| listed(l, p)))
        .collect();
    let mut dirs: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for ((p, _), seen) in jobs.iter().zip(&seen) {
        if seen.is_none()
            && let Some(parent) = scans_dir.join(p).parent()
        {
            dirs.entry(parent.to_path_buf())
                .or_insert_with(|| parent.canonicalize().ok());
        }
    }
    let results: Vec<Result<Option<Scan>, Problem>> = jobs
        .par_iter()
        .zip(seen)
        .map(|((p, forms), seen)| {
            let line = el.forms[forms[0].1].line;
            seen.map_or_else(
                || locate(&scans_dir, root.as_deref(), &dirs, p),
                |l| Ok(Some(l)),
            )
            .map_err(|m| Problem::at(&forms_csv, line, m))
            .and_then(|found| match found {
                None => Ok(None),
                Some((source, stamp)) => hash_scan(p, (&beneath, source), stamp, cache)
                    .map(Some)
                    .map_err(|e| {
                        let m = match e.kind() {
                            std::io::ErrorKind::InvalidData => format!("scan '{p}' {e}"),
                            _ => format!("scan '{p}': cannot read: {e}"),
                        };
                        Problem::at(&forms_csv, line, m)
                    }),
            })
        })
        .collect();
    let groups: Vec<Vec<usize>> = jobs
        .into_iter()
        .map(|(_, forms)| forms.iter().map(|&(_, f)| f).collect())
        .collect();
    drop(named);
    for f in &mut el.forms {
        f.scan = None;
    }
    for (forms, r) in groups.into_iter().zip(results) {
        match r {
            Ok(Some(scan)) => {
                for &f in &forms[1..] {
                    el.forms[f].scan = Some(Box::new(scan.clone()));
                }
                el.forms[forms[0]].scan = Some(Box::new(scan));
            }
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
}

/// Checks the scans of forms that did not load (they had errors of their
/// own): where each leads and whether its content is of its type, so that
/// one run lists these errors too.
pub fn check_unloaded(dir: &Path, scans: &[(String, u64)], problems: &mut Vec<Problem>) {
    let forms_csv = dir.join(super::schema::FORMS.file);
    let scans_dir = dir.join("scans");
    let found = Beneath::scans(dir);
    let root = found.as_ref().map(|b| b.root().to_path_buf());
    let beneath = found.unwrap_or_else(|| Beneath::new(&scans_dir));
    let dirs = BTreeMap::new();
    let found: Vec<Problem> = scans
        .par_iter()
        .filter_map(|(p, line)| {
            let m = match locate(&scans_dir, root.as_deref(), &dirs, p) {
                Err(m) => m,
                Ok(None) => return None,
                Ok(Some((source, _))) => match sha256_scan(&beneath, &source, &extension(p)) {
                    Ok(_) => return None,
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        format!("scan '{p}' {e}")
                    }
                    Err(e) => format!("scan '{p}': cannot read: {e}"),
                },
            };
            Some(Problem::at(&forms_csv, *line, m))
        })
        .collect();
    problems.extend(found);
}

/// A scan the [`Listing`] saw as a regular file, found as [`locate`]
/// would find it (`p` first, then without a leading `scans/`).
pub fn listed(listing: &Listing, p: &str) -> Option<(PathBuf, Stamp)> {
    let seen = match (listing.get(p), p.strip_prefix("scans/")) {
        (Lookup::Absent, Some(stripped)) => listing.get(stripped),
        (seen, _) => seen,
    };
    match seen {
        Lookup::Regular(path, stamp) => Some((path, stamp)),
        Lookup::Absent | Lookup::Unknown => None,
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
) -> Result<Option<(PathBuf, Stamp)>, String> {
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
    Ok(Some((real, Stamp::of(&meta))))
}

fn hash_scan(
    p: &str,
    (beneath, source): (&Beneath, PathBuf),
    stamp: Stamp,
    cache: Option<&HashCache>,
) -> std::io::Result<Scan> {
    let cached = cache
        .and_then(|c| c.get(source.as_os_str()))
        .filter(|c| c.stamp == stamp)
        .map(|c| c.sha256.clone());
    let ext = extension(p);
    let sha256 = match cached {
        // Only scans whose content was accepted are cached.
        Some(s) => s,
        None => sha256_scan(beneath, &source, &ext)?,
    };
    Ok(Scan {
        path: p.to_string(),
        source,
        sha256,
        ext,
        stamp,
    })
}

/// Whether `head`, a file's leading bytes, is how a file of type `ext`
/// (as [`extension`] gives it) begins. A scan is published under its own
/// extension and shown in the station page's origin: HTML or SVG named
/// `.png` would run script there behind a host that sends no
/// `Content-Type`, so the content must be what the name says.
pub fn content_matches(ext: &str, head: &[u8]) -> bool {
    match ext {
        "png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" => head.starts_with(&[0xff, 0xd8, 0xff]),
        "webp" => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        "pdf" => head.starts_with(b"%PDF-"),
        _ => false,
    }
}

/// What a scan's content was taken for, in an error.
fn content_error(ext: &str, head: &[u8]) -> std::io::Error {
    let start = String::from_utf8_lossy(&head[..head.len().min(16)]).to_string();
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "is not a {} file by its content (it begins {:?}); only PDF, JPEG, PNG and WebP scans are published",
            ext.to_ascii_uppercase(),
            crate::term::clean(&start)
        ),
    )
}

/// Lower-case hex SHA-256 of a scan, after checking its content is of the
/// type its extension names: small files read whole, large ones in blocks.
pub fn sha256_scan(beneath: &Beneath, path: &Path, ext: &str) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = beneath.open(path)?;
    let len = file.metadata()?.len();
    if len <= 4 << 20 {
        let mut bytes = Vec::with_capacity(len as usize);
        file.read_to_end(&mut bytes)?;
        if !content_matches(ext, &bytes) {
            return Err(content_error(ext, &bytes));
        }
        return Ok(crate::digest::sha256_hex(&bytes));
    }
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut first = true;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if first && !content_matches(ext, &buf[..n]) {
            return Err(content_error(ext, &buf[..n]));
        }
        first = false;
        hasher.update(&buf[..n]);
    }
    Ok(crate::digest::hex(&hasher.finalize()))
}
