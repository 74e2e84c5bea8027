//! A build whose input has not changed since the build that published the
//! live site has nothing to do: the same program, input, options and
//! `SOURCE_DATE_EPOCH` make the same bytes. Telling that costs a read of
//! the input's text files and a `stat` of each scan and each published
//! file, instead of loading, rendering and sealing the whole election.
//!
//! The [`digest`] covers every file under the input folder: the content of
//! each one outside `scans/` (CSV, TOML, GeoJSON, Markdown: what a person
//! edits), and the size, modification and change times and inode of each
//! scan (the [`Stamp`] the scan hash cache already trusts; the change time
//! cannot be set back). It is taken before anything is loaded, so an input
//! edited during a build makes the next build a full one, never a stale
//! one.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use sha2::Digest;

use crate::fsx::Stamp;
use crate::load::scans::Listing;
use crate::publish::{self, cache::Live};

/// What the output depends on besides the input folder.
pub struct Settings {
    /// `SOURCE_DATE_EPOCH` as given (without it there is no fast path:
    /// each build is published at its own time).
    pub epoch: i64,
    pub strict: bool,
    /// The public key `SHA256SUMS` is signed with, if any.
    pub signer: Option<Vec<u8>>,
    /// The output folder (absolute): when it lies inside the input, it and
    /// what kura keeps beside it are left out of the digest (they change
    /// with each build, and would be read whole).
    pub output: std::path::PathBuf,
}

/// Whether `path` is the output `dest` or one of kura's own folders and
/// files beside it (`.kura-spare-*`, `.kura-build-*`, `.kura-old-*`, the
/// cache `.<name>.kura-cache`).
fn is_output(path: &Path, dest: &Path) -> bool {
    if path == dest {
        return true;
    }
    let (Some(parent), Some(dir)) = (path.parent(), dest.parent()) else {
        return false;
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let site = dest
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    parent == dir
        && (name.starts_with(".kura-") || name.starts_with(&format!(".{site}.kura-cache")))
}

/// One file or folder of the input, as the digest sees it.
enum Seen {
    /// A file whose bytes are hashed.
    Content(std::path::PathBuf),
    /// A scan (or anything not a regular file): its stamp only (and, for a
    /// symbolic link, where it leads).
    Stamp {
        path: std::path::PathBuf,
        link: bool,
    },
    Folder,
}

/// The digest of the program, `settings` and everything under `input`
/// (`None` when the folder cannot be read: the full build then says why),
/// and what the walk saw of each scan, for the hash stage.
pub fn digest(input: &Path, settings: &Settings) -> (Option<String>, Listing) {
    let Ok(root) = input.canonicalize() else {
        return (None, Listing::new());
    };
    let scans = root.join("scans");
    let dest = match settings.output.parent().map(Path::canonicalize) {
        Some(Ok(dir)) => dir.join(settings.output.file_name().unwrap_or_default()),
        _ => settings.output.clone(),
    };
    let mut entries: Vec<(String, Seen)> = Vec::new();
    for e in walkdir::WalkDir::new(&root)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !is_output(e.path(), &dest))
    {
        let Ok(e) = e else {
            return (None, Listing::new());
        };
        let rel = e.path().strip_prefix(&root).unwrap_or(e.path());
        let rel = rel.to_string_lossy().into_owned();
        let t = e.file_type();
        let seen = if t.is_dir() {
            Seen::Folder
        } else if t.is_file() && !e.path().starts_with(&scans) {
            Seen::Content(e.into_path())
        } else {
            // Scans, symbolic links, FIFOs: never opened here.
            Seen::Stamp {
                link: !t.is_file(),
                path: e.into_path(),
            }
        };
        entries.push((rel, seen));
    }
    // In one order whatever order the folders list their entries in.
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Each entry's part, made side by side, joined in the walk's order.
    let parts: Vec<(Option<Vec<u8>>, Option<Stamp>)> = entries
        .par_iter()
        .map(|(rel, seen)| {
            let mut part = Vec::with_capacity(rel.len() + 80);
            part.extend_from_slice(rel.as_bytes());
            part.push(0);
            let mut stamp = None;
            match seen {
                Seen::Folder => part.push(b'd'),
                Seen::Content(path) => {
                    part.push(b'f');
                    match content_hash(path) {
                        Some(h) => part.extend_from_slice(&h),
                        None => return (None, None),
                    }
                }
                Seen::Stamp { path, link } => {
                    part.push(b's');
                    if *link && let Ok(target) = std::fs::read_link(path) {
                        part.extend_from_slice(target.to_string_lossy().as_bytes());
                        part.push(0);
                    }
                    // Following a link: the stamp of what it leads to.
                    match std::fs::metadata(path) {
                        Ok(m) => {
                            let s = Stamp::of(&m);
                            part.extend_from_slice(&s.size.to_le_bytes());
                            part.extend_from_slice(&s.mtime_ns.to_le_bytes());
                            part.extend_from_slice(&s.ctime_ns.to_le_bytes());
                            part.extend_from_slice(&s.ino.to_le_bytes());
                            stamp = (!*link && m.is_file()).then_some(s);
                        }
                        Err(_) => part.push(b'-'),
                    }
                }
            }
            (Some(part), stamp)
        })
        .collect();
    let mut h = sha2::Sha256::new();
    h.update(crate::site::fingerprint::program());
    h.update(
        format!(
            "kura-input 1\0{}\0{}\0{}\0{:?}\0",
            root.to_string_lossy(),
            settings.epoch,
            settings.strict,
            settings.signer
        )
        .as_bytes(),
    );
    let mut listing = Listing::new();
    let mut complete = true;
    for ((rel, seen), (part, stamp)) in entries.into_iter().zip(parts) {
        let Some(part) = part else {
            complete = false;
            continue;
        };
        h.update((part.len() as u64).to_le_bytes());
        h.update(&part);
        if let (Some(name), Seen::Stamp { path, .. }) = (rel.strip_prefix("scans/"), seen) {
            listing.insert(name.to_string(), stamp.map(|s| (path, s)));
        }
    }
    let digest = complete.then(|| crate::digest::hex(&h.finalize()));
    (digest, listing)
}

/// The SHA-256 of a regular file, read in blocks.
fn content_hash(path: &Path) -> Option<[u8; 32]> {
    let mut file = crate::fsx::open(path).ok()?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(h.finalize().into())
}

/// The digest of what the live site holds besides the files of its
/// record and `SHA256SUMS` (which [`tree_holds`] checks): the signature
/// and the log, listed in neither.
pub fn extras(dest: &Path) -> String {
    let mut h = sha2::Sha256::new();
    let mut files = vec![dest.join(publish::SUMS_SIG)];
    let log = dest.join(publish::LOG);
    files.extend(
        walkdir::WalkDir::new(&log)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .map(|e| e.into_path()),
    );
    for f in files {
        let rel = f.strip_prefix(dest).unwrap_or(&f).to_string_lossy();
        h.update(rel.as_bytes());
        h.update([0]);
        match std::fs::symlink_metadata(&f) {
            Ok(m) if m.is_file() => {
                h.update(b"f");
                h.update(content_hash(&f).unwrap_or_default());
            }
            Ok(m) if m.is_dir() => h.update(b"d"),
            Ok(_) => h.update(b"?"),
            Err(_) => h.update(b"-"),
        }
    }
    crate::digest::hex(&h.finalize())
}

/// A folder modified this close to the moment its time was recorded may
/// be modified again within the same tick of the file system's clock
/// without its time moving: its time is recorded as [`RACY`] instead, and
/// the folder is listed when next checked (git's "racily clean" entries).
pub const RACY_NS: i128 = 2_000_000_000;
pub const RACY: i128 = -1;

/// The folders' times to record, as [`tree_holds`] will read them: those
/// modified within [`RACY_NS`] of now become [`RACY`].
pub fn settle(
    mut dirs: std::collections::HashMap<String, i128>,
) -> std::collections::HashMap<String, i128> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    for t in dirs.values_mut() {
        if *t > now - RACY_NS {
            *t = RACY;
        }
    }
    dirs
}

/// Whether the folders of the site at `dest` are as the build that wrote
/// `live` (from the cache) left them: its `SHA256SUMS` is the one that
/// build wrote, and no folder has had an entry added or removed since (a
/// folder's change time moves with each; a folder recorded as
/// [`RACY`] is listed instead, and must hold only what kura put there).
/// Then the site holds nothing its `SHA256SUMS` does not list, without a
/// walk of every file.
pub fn tree_holds(dest: &Path, live: &Live<'_>) -> bool {
    if live.sums.is_empty()
        || live.dirs.is_empty()
        || !crate::fsx::read(&dest.join(publish::SUMS))
            .is_ok_and(|b| crate::digest::sha256_hex(&b) == live.sums)
    {
        return false;
    }
    let racy: Vec<&str> = live
        .dirs
        .iter()
        .filter(|(_, t)| *t == RACY)
        .map(|(d, _)| *d)
        .collect();
    let steady = live
        .dirs
        .par_iter()
        .filter(|(_, t)| *t != RACY)
        .all(|(rel, t)| {
            std::fs::symlink_metadata(dest.join(rel))
                .is_ok_and(|m| m.is_dir() && crate::fsx::folder_time(&m) == *t)
        });
    if !steady {
        return false;
    }
    if racy.is_empty() {
        return true;
    }
    let files: std::collections::HashSet<&str> = live.files.iter().map(|f| f.0).collect();
    let dirs: std::collections::HashSet<&str> = live.dirs.iter().map(|d| d.0).collect();
    racy.iter().all(|dir| {
        let path = if dir.is_empty() {
            dest.to_path_buf()
        } else {
            dest.join(dir)
        };
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return false;
        }
        let Ok(entries) = std::fs::read_dir(&path) else {
            return false;
        };
        entries.into_iter().all(|e| {
            let Ok(e) = e else { return false };
            let name = e.file_name();
            let Some(name) = name.to_str() else {
                return false;
            };
            let rel = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            match e.file_type() {
                Ok(t) if t.is_dir() => dirs.contains(rel.as_str()),
                // What an interrupted run left (`publish::is_leftover`)
                // is not what the build published: a full build clears it.
                Ok(t) if t.is_file() => {
                    files.contains(rel.as_str())
                        || rel == publish::SUMS
                        || rel == publish::SUMS_SIG
                        || publish::is_log_path(&rel)
                }
                _ => false,
            }
        })
    })
}

/// Whether the site at `dest` is still exactly what the build that wrote
/// `live` published for the input of digest `input`: same digest, folders
/// as they were ([`tree_holds`]), the same signature and log, and every
/// recorded file with its recorded size and times.
pub fn holds(dest: &Path, live: &Live<'_>, input: &str) -> bool {
    !live.input.is_empty()
        && live.input == input
        && !live.files.is_empty()
        && tree_holds(dest, live)
        && extras(dest) == live.extras
        && live.files.par_iter().all(|&(rel, size, mtime, ctime)| {
            std::fs::symlink_metadata(dest.join(rel))
                .is_ok_and(|m| crate::fsx::same_file(&m, size, mtime, ctime))
        })
}
