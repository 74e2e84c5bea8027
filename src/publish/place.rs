//! Where a site goes: the checks on a destination (nothing kura did not
//! publish is ever replaced), the log folder beside the listed files,
//! leftovers of interrupted runs, and putting a folder in place of another
//! in one step.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest;
use crate::error::{Error, Result};
use crate::sums::{SUMS, SUMS_SIG};

pub(super) fn parent_of(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The output folder as an absolute path without `.` or `..` at its end,
/// so that the folders kura makes beside it (the build folder, the spare,
/// the cache) are beside it and never inside it (`-o .` inside a live
/// site). Refuses a path with no parent folder (`/`).
pub fn resolve_destination(dest: &Path) -> Result<PathBuf> {
    let abs = match fs::canonicalize(dest) {
        Ok(p) => p,
        Err(_) => std::path::absolute(dest).map_err(|e| Error::io(dest, e))?,
    };
    if abs.file_name().is_none() || abs.parent().is_none() {
        return Err(Error::Other(format!(
            "{}: cannot be the output folder (it has no parent folder to build beside)",
            crate::error::shown(dest)
        )));
    }
    Ok(abs)
}

/// Refuses to replace a folder unless it is a site kura built and holds
/// nothing else, so no file kura did not publish is ever deleted (a
/// safety net against `-o ~`, or `-o` at a web app's folder). A folder is
/// taken for a kura site when it has a `manifest.json` naming kura as its
/// generator and a `SHA256SUMS` that lists every file in it (besides
/// itself and its signature). An empty folder is fine too.
pub fn check_destination(dest: &Path) -> Result<()> {
    check_destination_keeping(dest, &[]).map(|_| ())
}

/// The folder of the site's transparency log, outside `SHA256SUMS`.
pub const LOG: &str = "log";

/// Whether `rel` is where a file of the log may be: its checkpoint or a
/// tile (which ones exactly is for the log's own checks).
pub fn is_log_path(rel: &str) -> bool {
    rel == "log/checkpoint" || rel.starts_with("log/tile/")
}

/// Whether `rel` is what an interrupted kura run leaves in a site: a new
/// log being assembled (`.kura-log-*`) or a checkpoint being written
/// (`log/.kura-*`). [`clear_leftovers`] removes them.
pub fn is_leftover(rel: &str) -> bool {
    rel.starts_with(".kura-log-") || rel.starts_with("log/.kura-")
}

/// Removes what interrupted kura runs left in the site `root` (see
/// [`is_leftover`]), unless it is younger than a minute (the work of a run
/// still going).
pub fn clear_leftovers(root: &Path) {
    let stale = |p: &Path| {
        fs::symlink_metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() >= 60)
    };
    for (dir, prefix) in [
        (root.to_path_buf(), ".kura-log-"),
        (root.join(LOG), ".kura-"),
    ] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(|e| e.ok()) {
            if e.file_name().to_string_lossy().starts_with(prefix) && stale(&e.path()) {
                remove_any(&e.path());
            }
        }
    }
}

/// Removes `path`, a folder (with what it holds) or anything else.
fn remove_any(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// Replaces `root/log/` whole by `files` (paths under it): written in a
/// folder beside it, then switched in with one rename, so a reader of a
/// live copy sees the old log or the new one.
pub fn write_log(root: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let dest = root.join(LOG);
    clear_leftovers(root);
    let ready = tempfile::Builder::new()
        .prefix(".kura-log-")
        .tempdir_in(root)
        .map_err(|e| Error::io(root, e))?;
    write_files(ready.path(), files)?;
    #[cfg(unix)]
    fs::set_permissions(
        ready.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .map_err(|e| Error::io(ready.path(), e))?;
    switch_in(&ready.keep(), &dest)
}

/// Writes `files` (paths under `dir`), making folders as needed.
fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// Whether `rel` is named by `keep`: its relative path, or its file name.
pub fn is_kept(rel: &str, keep: &[String]) -> bool {
    keep.iter()
        .any(|k| rel == k || rel.rsplit('/').next() == Some(k.as_str()))
}

/// [`check_destination`], allowing the files `keep` names (a mirror's own
/// `.htaccess`, say: see [`is_kept`]) besides the listed ones; returns the
/// relative paths of those found, sorted.
pub fn check_destination_keeping(dest: &Path, keep: &[String]) -> Result<Vec<String>> {
    let shown = crate::error::shown(dest);
    let meta = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dest, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(Error::Other(format!(
            "{shown}: is a symbolic link; give the folder itself as the output (kura replaces the folder in one step, which would replace the link)"
        )));
    }
    if !meta.is_dir() {
        return Err(Error::Other(format!(
            "{shown}: exists and is not a folder; choose another output"
        )));
    }
    let empty = fs::read_dir(dest)
        .map_err(|e| Error::io(dest, e))?
        .next()
        .is_none();
    if empty {
        return Ok(Vec::new());
    }
    let refuse = |why: String| {
        Err(Error::Other(format!(
            "{shown}: exists but is not a site built by kura ({why}); refusing to replace it, \
             since that would delete files kura did not publish. Choose an empty or new output folder."
        )))
    };
    let by_kura = crate::fsx::read_limited(&dest.join("manifest.json"), 1 << 20)
        .ok()
        .and_then(|b| serde_json::from_slice::<manifest::Manifest>(&b).ok())
        .is_some_and(|m| m.generator.name == "kura");
    if !by_kura {
        return refuse("no manifest.json written by kura".into());
    }
    let sums = match crate::fsx::read(&dest.join(SUMS)) {
        Ok(b) => b,
        Err(_) => return refuse("no readable SHA256SUMS".into()),
    };
    let listed: std::collections::HashSet<&[u8]> = sums
        .split(|&b| b == b'\n')
        .filter_map(|line| line.get(66..).filter(|_| line.get(64..66) == Some(b"  ")))
        .collect();
    let mut strays = Vec::new();
    let mut kept = Vec::new();
    let mut count = 0usize;
    for entry in walkdir::WalkDir::new(dest).min_depth(1) {
        let entry = entry.map_err(|e| Error::Other(format!("{shown}: {e}")))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dest).unwrap_or(entry.path());
        let rel = rel.to_string_lossy();
        if rel == SUMS
            || rel == SUMS_SIG
            || is_log_path(&rel)
            || is_leftover(&rel)
            || listed.contains(rel.as_bytes())
        {
            continue;
        }
        if entry.file_type().is_file() && is_kept(&rel, keep) {
            kept.push(rel.into_owned());
            continue;
        }
        count += 1;
        strays.push(crate::term::clean(&rel).into_owned());
        if strays.len() > 64 {
            strays.sort();
            strays.truncate(3);
        }
    }
    strays.sort();
    strays.truncate(3);
    if count > 0 {
        let more = if count > strays.len() {
            format!(" and {} more", count - strays.len())
        } else {
            String::new()
        };
        return refuse(format!(
            "it holds files its SHA256SUMS does not list: {}{more}; move them out, or build elsewhere",
            strays.join(", ")
        ));
    }
    kept.sort();
    Ok(kept)
}

/// The prefix of the folders that old sites are moved to by [`publish`].
pub fn aside_prefix(dest: &Path) -> String {
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

/// Moves a folder aside, to be deleted by the next build of `dest` (see
/// [`clear_aside`]); deletes it now if that fails.
pub(super) fn move_aside(path: &Path, dest: &Path) {
    let moved = tempfile::Builder::new()
        .prefix(&aside_prefix(dest))
        .tempdir_in(parent_of(dest))
        .map(|d| d.keep())
        // rename() onto an empty folder replaces it.
        .is_ok_and(|aside| fs::rename(path, &aside).is_ok() || fs::remove_dir(&aside).is_err());
    if !moved {
        let _ = fs::remove_dir_all(path);
    }
}

/// Puts the complete folder `ready` in place of `dest` in one step (an
/// atomic exchange where the system has one), then deletes what `dest`
/// held. For `kura mirror`, which keeps no spare.
pub fn switch_in(ready: &Path, dest: &Path) -> Result<()> {
    if !dest.exists() {
        return fs::rename(ready, dest).map_err(|e| Error::io(dest, e));
    }
    if exchange(ready, dest).is_ok() {
        // `ready` now holds the replaced copy (a folder, or whatever was
        // in the way).
        remove_any(ready);
        return Ok(());
    }
    let aside = replace_by_renames(ready, dest)?;
    remove_any(&aside);
    Ok(())
}

/// Where no atomic exchange exists: moves `dest` aside and `ready` into
/// its place (putting `dest` back if that fails). Returns where the old
/// `dest` went.
pub(super) fn replace_by_renames(ready: &Path, dest: &Path) -> Result<PathBuf> {
    let aside = tempfile::Builder::new()
        .prefix(&aside_prefix(dest))
        .tempdir_in(parent_of(dest))
        .map_err(|e| Error::io(dest, e))?
        .keep();
    // rename() onto an empty folder replaces it.
    fs::rename(dest, &aside).map_err(|e| Error::io(dest, e))?;
    if let Err(e) = fs::rename(ready, dest) {
        let _ = fs::rename(&aside, dest);
        return Err(Error::io(dest, e));
    }
    Ok(aside)
}

/// Exchanges two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
pub(super) fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}
