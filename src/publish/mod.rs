//! Writing the site: every file goes through [`Output`], which hashes what
//! it writes; the site is built in a folder beside the destination and
//! swapped in only when complete.

pub mod cache;
pub mod manifest;
mod place;
pub mod sign;
pub mod tlog;

pub use place::{
    LOG, aside_prefix, check_destination, check_destination_keeping, clear_aside, clear_leftovers,
    is_kept, is_leftover, is_log_path, resolve_destination, switch_in, write_log,
};
use place::{exchange, move_aside, parent_of, replace_by_renames};

use foldhash::{HashMap, HashMapExt};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::Digest;

use crate::digest::{Hash16, Hash32};
use crate::error::{Error, Result};
use crate::fsx::{CachedHash, Stamp};

pub use crate::sums::{MAX_SUMS, SUMS, SUMS_SIG};

/// What a folder of published files holds as kura left it: each file's
/// size, modification time and hash, by site-relative path.
pub type Record = HashMap<String, CachedHash>;

/// What a build may reuse instead of writing.
#[derive(Default)]
pub struct Reuse {
    /// The live site (the output folder) and what it holds.
    live_root: PathBuf,
    live: Record,
    /// What the folder being written already holds: the spare site being
    /// brought up to date in place; empty for a new folder.
    present: Record,
    /// How each page and download of the live site was made, by path.
    made: HashMap<String, cache::Made>,
}

impl Reuse {
    /// The fingerprint the live site's page `rel` was made with.
    fn fingerprint(&self, rel: &str) -> Option<Hash16> {
        self.made.get(rel).and_then(|m| m.fingerprint)
    }

    /// The basis the live site's file `rel` was made with.
    fn basis(&self, rel: &str) -> Option<Hash16> {
        self.made.get(rel).and_then(|m| m.basis)
    }

    /// What can be reused from the site at `dest` (described by `cache`)
    /// when writing into `target`.
    pub fn new(dest: &Path, cache: &mut cache::Cache, target: &mut Target) -> Reuse {
        // The live record is trusted only if the live SHA256SUMS is still
        // the one that build wrote: each file's size and time are checked
        // again before it is reused.
        let mut live = std::mem::take(&mut cache.live);
        let sums_ok = crate::fsx::read(&dest.join(SUMS))
            .is_ok_and(|b| crate::digest::sha256_hex(&b) == cache.live_sums);
        if !sums_ok {
            live.clear();
        }
        Reuse {
            live_root: dest.to_path_buf(),
            live,
            present: std::mem::take(&mut target.present),
            made: std::mem::take(&mut cache.made),
        }
    }
}

/// The folder a build writes into, beside the output folder: either the
/// spare site (the version before the live one, which kura keeps after
/// each swap) brought up to date in place, or a new empty folder. Dropped
/// without being published, it is deleted.
pub struct Target {
    path: PathBuf,
    present: Record,
    /// Whether `path` is the spare being updated (files may be hard links
    /// shared with the live site, so they are replaced, never written into).
    updating: bool,
    published: bool,
}

impl Target {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if !self.published {
            // A failed build leaves nothing behind (the spare, if it was
            // being updated, is lost: the next build starts a new one).
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The prefix of the folders a build is made in, beside its output, when
/// there is no spare site to bring up to date.
pub const BUILD_PREFIX: &str = ".kura-build-";

/// The spare site of `dest`: `.kura-spare-<name>` beside it.
pub fn spare_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    parent_of(dest).join(format!(".kura-spare-{name}"))
}

/// Makes the folder to build `dest` in: the spare site when the cache
/// knows what it holds, else a new empty folder.
pub fn target(dest: &Path, cache: &mut cache::Cache) -> Result<Target> {
    let parent = parent_of(dest);
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let path = tempfile::Builder::new()
        .prefix(BUILD_PREFIX)
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?
        .keep();
    let spare = spare_path(dest);
    let known = !cache.spare.is_empty() && dest.is_dir();
    // rename() of a folder onto an empty folder replaces it.
    if known && spare.is_dir() && fs::rename(&spare, &path).is_ok() {
        // Until sealed, the folder has no checksums: it is no site yet
        // (and `kura diff` reads it as a staging folder).
        for name in [SUMS, SUMS_SIG] {
            let _ = fs::remove_file(path.join(name));
        }
        let present = reconcile(&path, std::mem::take(&mut cache.spare), &cache.spare_dirs);
        return Ok(Target {
            path,
            present,
            updating: true,
            published: false,
        });
    }
    Ok(Target {
        path,
        present: Record::new(),
        updating: false,
        published: false,
    })
}

/// Brings the record of a spare site in line with its folder: a folder
/// whose change time is not the one recorded has had entries added or
/// removed since (or was renamed, as the spare's root was), so it is
/// listed and what kura did not put there is removed. Files named in the
/// record are checked one by one as they are reused.
fn reconcile(root: &Path, record: Record, dirs: &HashMap<String, i128>) -> Record {
    // The folders recorded, those above them and those holding a recorded
    // file, parents before children.
    let recorded = dirs.keys().filter(|d| !d.is_empty());
    let mut known_dirs = folders_holding(record.keys().chain(recorded.clone()).map(String::as_str));
    known_dirs.extend(recorded.map(String::as_str));
    known_dirs.insert("");
    for dir in &known_dirs {
        let path = if dir.is_empty() {
            root.to_path_buf()
        } else {
            root.join(dir)
        };
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        // A symbolic link (or file) put where a folder was is removed, not
        // followed: folders are seen parents first, so nothing below is
        // then reached through it, and only real folders are listed.
        if !meta.is_dir() {
            let _ = fs::remove_file(&path);
            continue;
        }
        if dirs.get(*dir) == Some(&crate::fsx::folder_time(&meta)) {
            continue;
        }
        let Ok(entries) = fs::read_dir(&path) else {
            continue;
        };
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && known_dirs.contains(rel.as_str()) {
                continue;
            }
            if !is_dir && (record.contains_key(&rel) || rel == SUMS || rel == SUMS_SIG) {
                continue;
            }
            if is_dir {
                let _ = fs::remove_dir_all(e.path());
            } else {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    record
}

/// Every folder holding one of `files` (site-relative paths), directly or
/// further down, without the root: parents sort before their children.
fn folders_holding<'a>(
    files: impl Iterator<Item = &'a str>,
) -> std::collections::BTreeSet<&'a str> {
    let parents: foldhash::HashSet<&str> = files
        .filter_map(|rel| rel.rsplit_once('/').map(|(dir, _)| dir))
        .collect();
    let mut out = std::collections::BTreeSet::new();
    for mut dir in parents {
        loop {
            out.insert(dir);
            match dir.rsplit_once('/') {
                Some((up, _)) => dir = up,
                None => break,
            }
        }
    }
    out
}

/// A site being written into its [`Target`] folder.
pub struct Output {
    root: PathBuf,
    updating: bool,
    /// Every file written: site-relative path, size, mtime and sha256.
    files: Mutex<Vec<(String, CachedHash)>>,
    /// The fingerprint of every page that has one.
    fingerprints: Mutex<Vec<(String, Hash16)>>,
    /// The basis of every file made from one area's data.
    bases: Mutex<Vec<(String, Hash16)>>,
    /// Folders known to exist.
    dirs: Mutex<foldhash::HashSet<PathBuf>>,
    /// Files of the live site hard-linked into the target, with their new
    /// change time (to keep the live record true when it becomes the spare).
    relinked: Mutex<Vec<(String, i64)>>,
    reuse: Reuse,
    /// The target's `scans/` folder, opened when first looked in (`None`
    /// if it could not be): a file for each form, each looked up by name.
    scans: std::sync::OnceLock<Option<crate::fsx::Folder>>,
    /// Pages rendered, pages reused without rendering, files written,
    /// files kept or linked, pages reused without making their view.
    counts: [AtomicUsize; 5],
}

impl Output {
    pub fn new(target: &Target, reuse: Reuse) -> Output {
        Output {
            root: target.path.clone(),
            updating: target.updating,
            files: Mutex::new(Vec::new()),
            fingerprints: Mutex::new(Vec::new()),
            bases: Mutex::new(Vec::new()),
            dirs: Mutex::new(<foldhash::HashSet<_> as foldhash::HashSetExt>::new()),
            relinked: Mutex::new(Vec::new()),
            reuse,
            scans: std::sync::OnceLock::new(),
            counts: Default::default(),
        }
    }

    /// Whether the target holds `rel`, a scan, as the regular file `have`
    /// records. A scan is looked up by its name in the open `scans/`
    /// folder instead of by its whole path (a third less work, for one
    /// file per form); any other file, or any doubt, is `false`, and is
    /// looked at again by its path.
    fn holds_scan(&self, rel: &str, have: &CachedHash) -> bool {
        let Some(name) = rel.strip_prefix("scans/").filter(|n| !n.contains('/')) else {
            return false;
        };
        self.scans
            .get_or_init(|| crate::fsx::Folder::open(&self.root.join("scans")).ok())
            .as_ref()
            .and_then(|f| f.stamp(std::ffi::OsStr::new(name)).ok())
            .is_some_and(|(file, s)| file && s.is(have.size, have.mtime_ns, have.ctime_ns))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn push(&self, rel: &str, entry: CachedHash) {
        // A poisoned lock means another writer panicked; keep its entries.
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.push((rel.to_string(), entry));
    }

    fn count(&self, i: usize) {
        self.counts[i].fetch_add(1, Ordering::Relaxed);
    }

    /// (pages rendered, pages reused, pages reused without making their
    /// view), (files written, files kept or linked).
    pub fn counts(&self) -> ((usize, usize, usize), (usize, usize)) {
        let n = |i: usize| self.counts[i].load(Ordering::Relaxed);
        ((n(0), n(1), n(4)), (n(2), n(3)))
    }

    /// Records a file just written.
    fn record(&self, rel: &str, path: &Path, sha: Hash32) -> Result<()> {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        self.record_meta(rel, &meta, sha);
        Ok(())
    }

    /// Records a file just written, whose metadata is `meta`.
    fn record_meta(&self, rel: &str, meta: &fs::Metadata, sha: Hash32) {
        self.count(2);
        self.push(rel, CachedHash::new(meta, sha));
    }

    /// Puts the file `rel` with hash `sha` in place without writing it,
    /// when it can: it is already in the target folder with exactly these
    /// bytes (its size and time unchanged since kura wrote it), or the live
    /// site has it and it can be hard-linked: true. Otherwise makes room
    /// for it (removing a different file there) and returns false.
    fn place(&self, rel: &str, sha: Hash32, path: &Path) -> Result<bool> {
        if let Some(have) = self.reuse.present.get(rel) {
            if have.sha256 == sha && self.holds_scan(rel, have) {
                self.push(rel, have.clone());
                self.count(3);
                return Ok(true);
            }
            match fs::symlink_metadata(path) {
                Ok(m) if have.sha256 == sha && have.holds(&m) => {
                    self.push(rel, have.clone());
                    self.count(3);
                    return Ok(true);
                }
                Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(|e| Error::io(path, e))?,
                // It may be a hard link shared with the live site: replace
                // it, never write into it.
                Ok(_) => fs::remove_file(path).map_err(|e| Error::io(path, e))?,
                Err(_) => self.make_parent(path)?,
            }
        } else {
            self.make_parent(path)?;
            if self.updating {
                let _ = fs::remove_file(path);
            }
        }
        if let Some(old) = self.reuse.live.get(rel)
            && old.sha256 == sha
        {
            let source = self.reuse.live_root.join(rel);
            if fs::symlink_metadata(&source).is_ok_and(|m| old.holds(&m))
                && fs::hard_link(&source, path).is_ok()
            {
                // Linking moves the file's change time on, for both names.
                let mut entry = old.clone();
                if let Ok(m) = fs::symlink_metadata(path) {
                    entry.ctime_ns = crate::fsx::short(Stamp::of(&m).ctime_ns);
                }
                self.relinked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((rel.to_string(), entry.ctime_ns));
                self.push(rel, entry);
                self.count(3);
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn make_parent(&self, path: &Path) -> Result<()> {
        let Some(parent) = path.parent() else {
            return Ok(());
        };
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if !dirs.contains(parent) {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            dirs.insert(parent.to_path_buf());
        }
        Ok(())
    }

    /// Writes a whole file (unless the target folder or the live site
    /// already has exactly these bytes) and records its hash.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(rel);
        let sha = Hash32::of(bytes);
        if !self.place(rel, sha, &path)? {
            // The file's times as written, from its handle (no second lookup
            // of its path).
            let meta = fs::File::create(&path)
                .and_then(|mut f| {
                    f.write_all(bytes)?;
                    f.metadata()
                })
                .map_err(|e| Error::io(&path, e))?;
            self.record_meta(rel, &meta, sha);
        }
        Ok(())
    }

    /// A page with a fingerprint of everything it is made from: when the
    /// live site has the page with the same fingerprint, its bytes are
    /// reused without rendering it (true); otherwise `render` makes them,
    /// with the fingerprint of the view they were made from (recorded).
    pub fn page<F>(&self, rel: &str, fingerprint: Hash16, render: F) -> Result<bool>
    where
        F: FnOnce() -> Result<(Vec<u8>, Hash16)>,
    {
        let same = self.reuse.fingerprint(rel) == Some(fingerprint);
        let known = same.then(|| self.reuse.live.get(rel)).flatten();
        let placed = match known {
            Some(old) => self.place(rel, old.sha256, &self.root.join(rel))?,
            None => false,
        };
        let mut fingerprint = fingerprint;
        if !placed {
            self.count(0);
            let bytes;
            (bytes, fingerprint) = render()?;
            self.write(rel, &bytes)?;
        } else {
            self.count(1);
        }
        let mut fps = self.fingerprints.lock().unwrap_or_else(|e| e.into_inner());
        fps.push((rel.to_string(), fingerprint));
        Ok(placed)
    }

    /// The fingerprint the live site's page `rel` had when its basis was
    /// `basis`: the page is the same without making its view.
    pub fn known(&self, rel: &str, basis: Hash16) -> Option<Hash16> {
        (self.reuse.basis(rel) == Some(basis))
            .then(|| self.reuse.fingerprint(rel))
            .flatten()
    }

    /// Counts a page reused without making its view.
    pub fn count_unmade_view(&self) {
        self.count(4);
    }

    /// Records the basis of the file `rel`, for the next build.
    pub fn note_basis(&self, rel: &str, basis: Hash16) {
        let mut bases = self.bases.lock().unwrap_or_else(|e| e.into_inner());
        bases.push((rel.to_string(), basis));
    }

    /// Whether the file `rel` with basis `basis` is one [`Output::derived`]
    /// will most likely reuse without making it (the live site has it,
    /// made from the same basis).
    pub fn reusable(&self, rel: &str, basis: Hash16) -> bool {
        self.reuse.basis(rel) == Some(basis) && self.reuse.live.contains_key(rel)
    }

    /// A file made from one area's data alone (a download), whose basis
    /// is `basis`: when the live site has it with the same basis, its
    /// bytes are reused without making them; otherwise `make` makes them.
    /// Debug builds make them anyway and check they are the same.
    pub fn derived<F>(&self, rel: &str, basis: Hash16, make: F) -> Result<()>
    where
        F: FnOnce() -> Result<Vec<u8>>,
    {
        let known = (self.reuse.basis(rel) == Some(basis))
            .then(|| self.reuse.live.get(rel))
            .flatten();
        let placed = match known {
            Some(old) => self.place(rel, old.sha256, &self.root.join(rel))?,
            None => false,
        };
        match known {
            Some(old) if placed => {
                if cfg!(debug_assertions) && Hash32::of(make()?) != old.sha256 {
                    return Err(Error::Other(format!(
                        "{rel}: its basis is unchanged but its bytes changed"
                    )));
                }
            }
            _ => self.write(rel, &make()?)?,
        }
        self.note_basis(rel, basis);
        Ok(())
    }

    /// The files under `folder` (a site-relative path ending in `/`), all
    /// made together by `make` (which hands each to its `emit`) from what
    /// `basis` stands for: when every file the live site has there has
    /// that basis, they are placed as they are and `make` is not run
    /// (debug builds run it anyway and check it makes the same files).
    /// Otherwise, or if one cannot be placed, `make` makes them.
    pub fn derived_folder<M>(&self, folder: &str, basis: Hash16, make: M) -> Result<()>
    where
        M: FnOnce(&mut dyn FnMut(&str, &[u8]) -> Result<()>) -> Result<()>,
    {
        let mut known: Vec<(&str, Hash32)> = self
            .reuse
            .live
            .iter()
            .filter(|(p, _)| p.starts_with(folder))
            .map(|(p, h)| (p.as_str(), h.sha256))
            .collect();
        known.sort_unstable();
        let same = !known.is_empty()
            && known
                .iter()
                .all(|(p, _)| self.reuse.basis(p) == Some(basis));
        let mut placed = HashMap::new();
        if same {
            for &(rel, sha) in &known {
                if self.place(rel, sha, &self.root.join(rel))? {
                    placed.insert(rel.to_string(), sha);
                    self.note_basis(rel, basis);
                }
            }
            if placed.len() == known.len() && !cfg!(debug_assertions) {
                return Ok(());
            }
        }
        let mut made = 0;
        make(&mut |rel, bytes| {
            made += 1;
            match placed.get(rel) {
                Some(sha) if *sha == Hash32::of(bytes) => Ok(()),
                Some(_) => Err(Error::Other(format!(
                    "{rel}: its basis is unchanged but its bytes changed"
                ))),
                None => {
                    self.note_basis(rel, basis);
                    self.write(rel, bytes)
                }
            }
        })?;
        if same && made != known.len() {
            return Err(Error::Other(format!(
                "{folder}: its basis is unchanged but its files changed"
            )));
        }
        Ok(())
    }

    /// Opens a file to stream into (for open data too large to hold),
    /// hashing as it goes; [`Output::finish`] puts it in place.
    pub fn create(&self, rel: &str) -> Result<HashingWriter> {
        let dest = self.root.join(rel);
        self.make_parent(&dest)?;
        let path = dest.with_file_name(format!(
            ".{}.kura-new",
            dest.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        let file = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(HashingWriter {
            rel: rel.to_string(),
            path,
            dest,
            inner: BufWriter::with_capacity(1 << 17, file),
            hasher: sha2::Sha256::new(),
        })
    }

    /// Finishes a streamed file: when the target folder or the live site
    /// already has these bytes, they are kept and what was streamed is
    /// dropped; otherwise it takes their place.
    pub fn finish(&self, mut w: HashingWriter) -> Result<()> {
        w.inner.flush().map_err(|e| Error::io(&w.path, e))?;
        drop(w.inner);
        let sha = Hash32::finish(w.hasher);
        if self.place(&w.rel, sha, &w.dest)? {
            return fs::remove_file(&w.path).map_err(|e| Error::io(&w.path, e));
        }
        fs::rename(&w.path, &w.dest).map_err(|e| Error::io(&w.dest, e))?;
        self.record(&w.rel, &w.dest, sha)
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

    /// Copies a scan in (unless it is there already or can be linked),
    /// checking its bytes still have the hash it was loaded with: the file
    /// may have been changed or deleted since.
    /// The scan is opened beneath the folder it was found in (`beneath`).
    pub fn copy_scan(
        &self,
        rel: &str,
        (beneath, source): (&crate::fsx::Beneath, &Path),
        sha256: &str,
    ) -> Result<()> {
        let path = self.root.join(rel);
        let want = Hash32::from_hex(sha256).ok_or_else(|| {
            Error::Other(format!("{}: not a SHA-256: {sha256}", source.display()))
        })?;
        if self.place(rel, want, &path)? {
            return Ok(());
        }
        let input = beneath.open(source).map_err(|e| Error::io(source, e))?;
        let actual = copy_hashing((input, source), &path)?;
        if actual != want {
            let _ = fs::remove_file(&path);
            return Err(Error::Other(format!(
                "{}: the scan changed during the build (was {sha256}, now {actual}); build again",
                source.display()
            )));
        }
        self.record(rel, &path, actual)
    }

    /// Removes what the target folder held that this build did not write
    /// (and folders left empty), then writes `SHA256SUMS` (and its
    /// signature, or removes an old one) for the files written. Returns
    /// the text of `SHA256SUMS`.
    pub fn seal(&self, signature: impl FnOnce(&str) -> Option<Vec<u8>>) -> Result<String> {
        use rayon::prelude::*;
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        // The files written and those the target held, each sorted by
        // path (as SHA256SUMS lists them) side by side: the stale ones,
        // held and not written, come from one walk along both, in one
        // order whatever the map's (the first error is the one reported).
        let mut sorted: Vec<(&str, Hash32)> = files
            .par_iter()
            .map(|(p, c)| (p.as_str(), c.sha256))
            .collect();
        sorted.par_sort_unstable();
        let mut held: Vec<&str> = self.reuse.present.keys().map(String::as_str).collect();
        held.par_sort_unstable();
        let mut written = sorted.iter().map(|(p, _)| *p).peekable();
        let stale = held.into_iter().filter(|rel| {
            while written.next_if(|p| p < rel).is_some() {}
            written.peek() != Some(rel)
        });
        let mut emptied = std::collections::BTreeSet::new();
        for rel in stale {
            let path = self.root.join(rel);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
            let mut dir = Path::new(rel).parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                emptied.insert(d.to_path_buf());
                dir = d.parent();
            }
        }
        // Deepest first; a folder still holding files stays.
        for d in emptied.iter().rev() {
            let _ = fs::remove_dir(self.root.join(d));
        }
        let sums = sums_text(&sorted);
        drop(sorted);
        drop(files);
        // The list is not copied to be written (30 MB at Kenya's size).
        let signed = signature(&sums);
        for (name, bytes) in [(SUMS, Some(sums.as_bytes())), (SUMS_SIG, signed.as_deref())] {
            let path = self.root.join(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
            if let Some(bytes) = bytes {
                fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(sums)
    }

    /// Writes the transparency log after [`Output::seal`]: `log/` is
    /// replaced whole by `files` (paths under it), which `SHA256SUMS` does
    /// not list.
    pub fn write_log(&self, files: &[(String, Vec<u8>)]) -> Result<()> {
        write_log(&self.root, files)
    }

    /// The paths of the files written so far whose names end in `suffix`,
    /// sorted.
    pub fn paths_ending(&self, suffix: &str) -> Vec<String> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let mut paths: Vec<String> = files
            .iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .map(|(p, _)| p.clone())
            .collect();
        paths.sort_unstable();
        paths
    }

    /// Every file written so far with its size and mtime, for the cache.
    pub fn entries(&self) -> Vec<(String, CachedHash)> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How every page and download with a fingerprint or a basis was
    /// made, sorted by path, for the cache (leaving none recorded).
    pub fn take_made(&mut self) -> Vec<(String, cache::Made)> {
        let mut bases = std::mem::take(self.bases.get_mut().unwrap_or_else(|e| e.into_inner()));
        bases.sort_unstable();
        let fingerprints = self.take_fingerprints();
        let mut made = Vec::with_capacity(fingerprints.len().max(bases.len()));
        let (mut f, mut b) = (
            fingerprints.into_iter().peekable(),
            bases.into_iter().peekable(),
        );
        loop {
            let order = match (f.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((p, _)), Some((q, _))) => p.cmp(q),
            };
            let (path, fingerprint, basis) = match order {
                std::cmp::Ordering::Less => f.next().map(|(p, x)| (p, Some(x), None)),
                std::cmp::Ordering::Greater => b.next().map(|(p, x)| (p, None, Some(x))),
                std::cmp::Ordering::Equal => {
                    let basis = b.next().map(|(_, x)| x);
                    f.next().map(|(p, x)| (p, Some(x), basis))
                }
            }
            .unwrap_or_default();
            made.push((path, cache::Made { fingerprint, basis }));
        }
        // Each file is rendered or made once, so has one line.
        debug_assert!(made.windows(2).all(|w| w[0].0 < w[1].0));
        made
    }

    /// Every page fingerprint recorded, sorted, for the cache (leaving
    /// none: a million of them are not copied).
    fn take_fingerprints(&mut self) -> Vec<(String, Hash16)> {
        let mut fps = std::mem::take(
            self.fingerprints
                .get_mut()
                .unwrap_or_else(|e| e.into_inner()),
        );
        fps.sort_unstable();
        fps
    }

    /// Every file written, with its size and mtime (the record of the new
    /// site), leaving none.
    pub fn take_entries(&mut self) -> Vec<(String, CachedHash)> {
        std::mem::take(self.files.get_mut().unwrap_or_else(|e| e.into_inner()))
    }

    /// What the live site holds, as the cache described it (to become the
    /// spare's record when it is swapped out).
    pub fn take_live(&mut self) -> Record {
        let mut live = std::mem::take(&mut self.reuse.live);
        let relinked = std::mem::take(self.relinked.get_mut().unwrap_or_else(|e| e.into_inner()));
        for (rel, ctime_ns) in relinked {
            if let Some(h) = live.get_mut(&rel) {
                h.ctime_ns = ctime_ns;
            }
        }
        live
    }
}

/// Files up to this size are read whole; larger ones in blocks.
const WHOLE: u64 = 4 << 20;

/// Copies `source` to `dest` and returns the SHA-256 of what was copied.
fn copy_hashing((mut input, source): (fs::File, &Path), dest: &Path) -> Result<Hash32> {
    use std::io::Read;
    let len = input.metadata().map_err(|e| Error::io(source, e))?.len();
    if len <= WHOLE {
        let mut bytes = Vec::with_capacity(len as usize);
        input
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(source, e))?;
        fs::write(dest, &bytes).map_err(|e| Error::io(dest, e))?;
        return Ok(Hash32::of(&bytes));
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
    Ok(Hash32::finish(hasher))
}

/// Turns a CSV writer's error into ours.
pub fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::Other(format!("{}: {other:?}", path.display())),
    }
}

/// The text of `SHA256SUMS` for `files` (sorted), as [`crate::sums::text`]
/// makes it, written in runs side by side (330,000 lines at Kenya's size,
/// a million at India's) straight into one buffer of its final size: no
/// run is held apart from it.
fn sums_text(files: &[(&str, Hash32)]) -> String {
    use rayon::prelude::*;
    const RUN: usize = 1 << 13;
    // "<64 hex digits>  <path>\n"
    let line = |(path, _): &(&str, Hash32)| 64 + 2 + path.len() + 1;
    let sizes: Vec<usize> = files
        .par_chunks(RUN)
        .map(|run| run.iter().map(line).sum())
        .collect();
    let mut bytes = vec![0u8; sizes.iter().sum()];
    let mut parts = Vec::with_capacity(sizes.len());
    let mut rest = bytes.as_mut_slice();
    for n in sizes {
        let (part, after) = rest.split_at_mut(n);
        parts.push(part);
        rest = after;
    }
    files.par_chunks(RUN).zip(parts).for_each(|(run, part)| {
        let text = crate::sums::text(run);
        part.copy_from_slice(text.as_bytes());
    });
    // Hexadecimal digits and paths that are `str`: UTF-8 throughout.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A writer that hashes what passes through it.
pub struct HashingWriter {
    rel: String,
    /// Where it is streamed to, and where it goes when finished.
    path: PathBuf,
    dest: PathBuf,
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

/// Puts the complete target folder in place of `dest` in one step. Where
/// the file system can exchange two folders atomically, the site it
/// replaces becomes the spare site, which the build after next brings up
/// to date in place (writing only what changed); elsewhere the old site is
/// moved aside and deleted by the next build. Returns whether the replaced
/// site was kept as the spare.
pub fn publish(mut target: Target, dest: &Path) -> Result<bool> {
    let spare = spare_path(dest);
    if !dest.exists() {
        fs::rename(&target.path, dest).map_err(|e| Error::io(dest, e))?;
        target.published = true;
        return Ok(false);
    }
    if exchange(&target.path, dest).is_ok() {
        target.published = true;
        // `target.path` now holds the replaced site.
        if spare.exists() {
            move_aside(&spare, dest);
        }
        if fs::rename(&target.path, &spare).is_ok() {
            return Ok(true);
        }
        move_aside(&target.path, dest);
        return Ok(false);
    }
    replace_by_renames(&target.path, dest)?;
    target.published = true;
    if spare.exists() {
        move_aside(&spare, dest);
    }
    Ok(false)
}

/// The [`folder_time`](crate::fsx::folder_time) of every folder of the
/// site at `root` that holds one of `files` (and of `root` itself, as ""),
/// to tell later whether anything was added to or removed from it, and
/// the file system it is on ([`crate::fsx::device`]).
pub fn folder_times<'a>(
    root: &Path,
    files: impl Iterator<Item = &'a str>,
) -> HashMap<String, (i128, u64)> {
    std::iter::once("")
        .chain(folders_holding(files))
        .filter_map(|d| {
            let meta = fs::symlink_metadata(root.join(d)).ok()?;
            let time = crate::fsx::folder_time(&meta);
            Some((d.to_string(), (time, crate::fsx::device(&meta))))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA256SUMS written in runs side by side into one buffer is the text
    /// written line by line, across runs and with paths of several bytes
    /// a character.
    #[test]
    fn sums_written_side_by_side_are_the_same_text() {
        let paths: Vec<String> = (0..20_000)
            .map(|i| match i % 3 {
                0 => format!("stations/{i}/index.html"),
                1 => format!("data/ŋaoundéré-{i}.csv"),
                _ => format!("{i}"),
            })
            .collect();
        let mut files: Vec<(&str, Hash32)> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), Hash32::of(i.to_le_bytes())))
            .collect();
        files.sort_unstable();
        assert_eq!(sums_text(&files), crate::sums::text(&files));
        assert_eq!(sums_text(&[]), "");
    }
}
