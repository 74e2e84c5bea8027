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
//! cannot be set back). It is taken before anything is loaded; the hash
//! of each text file the walk read is kept, by its name and the file it
//! named (device and inode), and compared with the bytes the load then
//! read by the same name ([`Walked::read_as_walked`]): a file edited or
//! renamed over another between the two, even one
//! put back as it was before the next build (an attacker's review did
//! that on 2026-12-07, and the site stayed stale, "up to date", for every
//! build after), makes the build record no digest, and the next build a
//! full one.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;
use sha2::Digest;

use crate::digest::Hash32;
use crate::fsx::{FileId, Folder, Kind, Stamp};
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

/// The names kura gives the output and its own folders and files beside
/// it, which an input folder holding the output leaves out of its digest:
/// the output itself and its spare exactly; the folders a build is made in,
/// the old sites moved aside, and the cache (with its temporary copy) by
/// their prefixes. Built from the very functions that name them, so that a
/// name that is not UTF-8 matches as they spell it.
struct Outputs {
    exact: [Vec<u8>; 2],
    prefixes: [Vec<u8>; 3],
}

impl Outputs {
    fn of(dest: &Path) -> Outputs {
        let name = |p: &Path| {
            p.file_name()
                .unwrap_or_default()
                .as_encoded_bytes()
                .to_vec()
        };
        Outputs {
            exact: [name(dest), name(&publish::spare_path(dest))],
            prefixes: [
                publish::BUILD_PREFIX.as_bytes().to_vec(),
                publish::aside_prefix(dest).into_bytes(),
                name(&publish::cache::path_for(dest)),
            ],
        }
    }

    /// Whether `name`, an entry of the output's parent folder, is one of them.
    fn hold(&self, name: &[u8]) -> bool {
        self.exact.iter().any(|e| e == name) || self.prefixes.iter().any(|p| name.starts_with(p))
    }
}

/// What the digest takes of one entry of a folder that is not a folder.
enum Part {
    /// A file whose bytes are hashed: their SHA-256 and the file read
    /// (`None`: unreadable).
    Content(Option<([u8; 32], Option<crate::fsx::FileId>)>),
    /// A scan (or anything not a regular file): its stamp only, never
    /// opened (`None`: gone), and, for a symbolic link, where it leads.
    Stamp {
        link: Option<Vec<u8>>,
        stamp: Option<Stamp>,
        regular: bool,
        /// For a link to a regular file, that file.
        target: Option<FileId>,
    },
}

/// The device and inode of the file `meta` describes.
fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The largest file outside `scans/` whose bytes the walk hashes (a real
/// results.csv at a million stations is about 1.5 GB); a larger one is
/// known by its stamp, as a scan is, and is never read whole (a sparse
/// file of terabytes took the walk for ever). Then the load cannot be
/// shown to read what the walk saw, and no digest is recorded.
const HASHED_AT_MOST: u64 = 4 << 30;

/// How deep the walk goes into nested folders (each one a frame of the
/// stack) before it gives up on a digest: the full build then runs.
const DEPTH: usize = 256;

/// The walk behind [`digest`]: folder by folder, each folder's entries in
/// the order of their names, a folder's content right after its own entry.
struct Walk<'a> {
    /// Left out, with kura's own files beside it ([`Outputs`]).
    dest: &'a Path,
    outputs: Outputs,
    /// Whether a file's content could not be read (then there is no digest).
    unread: bool,
    h: sha2::Sha256,
    listing: Listing,
    /// The input folder (canonical), which names are relative to.
    root: &'a Path,
    /// The walk's findings besides the digest.
    found: Walked,
}

/// What the walk of the input found besides its digest.
#[derive(Default)]
pub struct Walked {
    /// What it saw of each scan, for the hash stage.
    pub listing: Listing,
    /// The file each name outside `scans/` led to when it was walked: a
    /// file's own, or a symbolic link's target's (device and inode).
    names: foldhash::HashMap<std::path::PathBuf, FileId>,
    /// The hash of each file whose bytes the walk read, by file.
    texts: Vec<(FileId, Hash32)>,
}

impl Walked {
    /// Whether every file of `sources` (what the load read) was read by the
    /// walk: the same name leading to the same file, with the same bytes
    /// (a file read under two names must have had the same bytes under
    /// both). Only then does the digest describe what the build was made
    /// from.
    pub fn read_as_walked(&self, sources: &crate::fsx::Sources) -> bool {
        sources.iter().all(|s| {
            s.id.is_some_and(|id| {
                self.names.get(&s.rel) == Some(&id) && {
                    let i = self.texts.partition_point(|(t, _)| *t < id);
                    let same = &self.texts[i..self.texts.partition_point(|(t, _)| *t <= id)];
                    !same.is_empty() && same.iter().all(|(_, h)| *h == s.hash)
                }
            })
        })
    }
}

impl Walk<'_> {
    /// The name of `name` in `dir` relative to the input folder.
    fn rel(&self, dir: &Path, name: &std::ffi::OsStr) -> std::path::PathBuf {
        dir.strip_prefix(self.root).unwrap_or(dir).join(name)
    }

    /// Feeds folder `dir`, `depth` folders below the input folder, to the
    /// digest; `scans` is its path under `scans/` when it is there.
    /// `Err` when a folder or an entry cannot be listed, or folders nest
    /// deeper than [`DEPTH`]: there is then neither a digest nor a listing
    /// (a folder it could not list would pass for an empty one).
    fn folder(
        &mut self,
        (dir, open): (&Path, Folder),
        scans: Option<&str>,
        depth: usize,
    ) -> Result<(), ()> {
        if depth > DEPTH {
            return Err(());
        }
        let root = depth == 0;
        let beside_dest = self.dest.parent() == Some(dir);
        // The folder is opened once (from its parent's open folder, never
        // through a link), listed, and its entries looked up and opened by
        // name in it (not through the whole path, whose folders may be
        // swapped for links leading out meanwhile).
        let mut entries = open.entries().map_err(drop)?;
        if beside_dest {
            entries.retain(|(name, _)| !self.outputs.hold(name.as_encoded_bytes()));
        }
        // In one order whatever order the folder lists its entries in.
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // Each entry's part, made side by side.
        let parts: Vec<Option<Part>> = entries
            .par_iter()
            .map(|(name, kind)| {
                if *kind == Kind::Folder {
                    return None;
                }
                let path = || dir.join(name);
                let in_scans = scans.is_some() || (root && name == "scans");
                let large = || open.stamp(name).is_ok_and(|(_, s)| s.size > HASHED_AT_MOST);
                Some(if *kind == Kind::File && !in_scans && !large() {
                    Part::Content(content_hash(open.file(name)))
                } else if *kind == Kind::Link {
                    // Following a link: the stamp of what it leads to.
                    let link = std::fs::read_link(path())
                        .map(|t| t.into_os_string().into_encoded_bytes())
                        .ok();
                    let meta = std::fs::metadata(path()).ok();
                    Part::Stamp {
                        link: Some(link.unwrap_or_default()),
                        stamp: meta.as_ref().map(Stamp::of),
                        regular: false,
                        target: meta.as_ref().filter(|m| m.is_file()).and_then(file_id),
                    }
                } else {
                    let stamp = open.stamp(name).ok();
                    Part::Stamp {
                        link: None,
                        regular: stamp.is_some_and(|(file, _)| file),
                        stamp: stamp.map(|(_, s)| s),
                        target: None,
                    }
                })
            })
            .collect();
        // Each subfolder is opened in this one, which stays open meanwhile:
        // at most DEPTH + 1 open folders, however deep they nest.
        let mut seen = Vec::new();
        for ((name, _), part) in entries.into_iter().zip(parts) {
            // Each entry is "n", its name's length and name, its kind and
            // what follows from it; a folder's content ends with "e".
            let n = name.as_encoded_bytes();
            self.h.update(b"n");
            self.h.update((n.len() as u64).to_le_bytes());
            self.h.update(n);
            match part {
                None => {
                    self.h.update(b"d");
                    let under = match (scans, name.to_str()) {
                        (Some(""), Some(n)) => Some(n.to_string()),
                        (Some(s), Some(n)) => Some(format!("{s}/{n}")),
                        (None, _) if root && name == "scans" => Some(String::new()),
                        // A folder under scans/ whose name is not UTF-8
                        // cannot be named by forms.csv: walked, not listed.
                        _ => None,
                    };
                    let sub = open.folder(&name).map_err(drop)?;
                    self.folder((&dir.join(&name), sub), under.as_deref(), depth + 1)?;
                    self.h.update(b"e");
                }
                Some(Part::Content(hash)) => {
                    self.h.update(b"f");
                    match hash {
                        Some((hash, id)) => {
                            self.h.update(hash);
                            if let Some(id) = id {
                                self.found.names.insert(self.rel(dir, &name), id);
                                self.found.texts.push((id, crate::digest::Bytes(hash)));
                            }
                        }
                        // No digest, but the listing stays whole.
                        None => self.unread = true,
                    }
                }
                Some(Part::Stamp {
                    link,
                    stamp,
                    regular,
                    target,
                }) => {
                    // A link to a file: its name leads to that file.
                    if let Some(id) = target.filter(|_| scans.is_none()) {
                        self.found.names.insert(self.rel(dir, &name), id);
                    }
                    match &link {
                        Some(target) => {
                            self.h.update(b"l");
                            self.h.update((target.len() as u64).to_le_bytes());
                            self.h.update(target);
                        }
                        None => self.h.update(b"s"),
                    }
                    match stamp {
                        Some(s) => {
                            self.h.update(s.size.to_le_bytes());
                            self.h.update(s.mtime_ns.to_le_bytes());
                            self.h.update(s.ctime_ns.to_le_bytes());
                            self.h.update(s.ino.to_le_bytes());
                            self.h.update(s.dev.to_le_bytes());
                        }
                        None => self.h.update(b"-"),
                    }
                    if scans.is_some()
                        && let Ok(n) = name.into_string()
                    {
                        seen.push((n, stamp.filter(|_| regular && link.is_none())));
                    }
                }
            }
        }
        if let Some(s) = scans {
            self.listing.seen.insert(s.to_string(), seen);
        }
        Ok(())
    }
}

/// The digest of the program, `settings` and everything under `input`
/// (`None` when the folder cannot be read: the full build then says why),
/// and what the walk saw of each scan, for the hash stage.
pub fn digest(input: &Path, settings: &Settings) -> (Option<String>, Walked) {
    let Ok(root) = input.canonicalize() else {
        return (None, Walked::default());
    };
    let dest = match settings.output.parent().map(Path::canonicalize) {
        Some(Ok(dir)) => dir.join(settings.output.file_name().unwrap_or_default()),
        _ => settings.output.clone(),
    };
    let mut h = sha2::Sha256::new();
    h.update(
        format!(
            "kura-input 4\0{}\0{}\0{}\0{:?}\0",
            root.to_string_lossy(),
            settings.epoch,
            settings.strict,
            settings.signer
        )
        .as_bytes(),
    );
    let mut walk = Walk {
        outputs: Outputs::of(&dest),
        unread: false,
        dest: &dest,
        h,
        listing: Listing {
            dir: root.join("scans"),
            seen: Default::default(),
        },
        root: &root,
        found: Walked::default(),
    };
    // The program (50 MB) is hashed while the input is walked.
    let (program, walked) = rayon::join(
        || *crate::site::fingerprint::program(),
        || match Folder::read(&root) {
            Ok(open) => walk.folder((&root, open), None, 0),
            Err(_) => Err(()),
        },
    );
    walk.found.texts.sort_unstable();
    let found = Walked {
        listing: walk.listing,
        ..walk.found
    };
    match walked {
        Ok(()) if walk.unread => (None, found),
        Ok(()) => {
            let mut h = sha2::Sha256::new();
            h.update(program);
            h.update(walk.h.finalize());
            (Some(crate::digest::hex(&h.finalize())), found)
        }
        Err(()) => (None, Walked::default()),
    }
}

/// The SHA-256 of the regular file `file` (opened), read in blocks, and
/// which file it is; `None` when it could not be opened or read, or past
/// [`HASHED_AT_MOST`] bytes (it grew since its size was seen).
fn content_hash(
    file: std::io::Result<std::fs::File>,
) -> Option<([u8; 32], Option<crate::fsx::FileId>)> {
    let file = file.ok()?;
    let id = crate::fsx::file_id(&file).ok();
    let mut file = file.take(HASHED_AT_MOST + 1);
    let mut total = 0u64;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                h.update(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    (total <= HASHED_AT_MOST).then(|| (h.finalize().into(), id))
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
                h.update(
                    content_hash(crate::fsx::open(&f))
                        .map(|(h, _)| h)
                        .unwrap_or_default(),
                );
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

/// Now, in nanoseconds since 1970 (0 if the clock is set before it).
pub fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Whether something last changed at `changed` (nanoseconds since 1970)
/// may change again, when looked at from `at` on, without its time moving:
/// it changed within [`RACY_NS`] of `at`, or after it.
pub fn racy(changed: i128, at: i128) -> bool {
    changed > at - RACY_NS
}

/// Whether a scan with stamp `stamp`, read by a build that began at
/// `started` (this machine's clock) and `clock` (the file system's beside
/// the output, if known), may change again without its stamp moving. On
/// that file system, when its time is not before the build's beginning by
/// that clock (the very tick, or ahead of it); elsewhere, when it is within
/// [`RACY_NS`] of the beginning by this machine's clock, or ahead of it.
pub fn racy_scan(stamp: &Stamp, started: i128, clock: Option<crate::fsx::Clock>) -> bool {
    let changed = stamp.mtime_ns.max(stamp.ctime_ns);
    match clock {
        Some(clock) if clock.device == stamp.dev => changed >= clock.ns,
        _ => racy(changed, started),
    }
}

/// The folders' times to record, as [`tree_holds`] will read them: a
/// folder that may change again without its time moving becomes [`RACY`].
///
/// `clock` is the time the site's file system gave a file made beside the
/// site after the build's last change to it and before the folders' times
/// were read ([`crate::fsx::clock`]). A folder on that file system whose
/// time is before it changed last in an earlier tick of its clock: any
/// later change gets a later time, whatever the clock's granularity or how
/// far it runs from this machine's. Only folders changed in that very tick
/// (or dated after it) are racy: a handful, where the rule below made every
/// folder a rebuild touched in its last two seconds racy (795 of 1,899 at
/// Kenya's size), each one listed by the next build. Without that time (no
/// file could be made there), or for a folder on another file system (one
/// mounted inside the site), a folder is racy when changed within
/// [`RACY_NS`] of now, by this machine's clock.
pub fn settle(
    dirs: foldhash::HashMap<String, (i128, u64)>,
    clock: Option<crate::fsx::Clock>,
) -> foldhash::HashMap<String, i128> {
    let now = now_ns();
    dirs.into_iter()
        .map(|(dir, (t, device))| {
            let unsettled = match clock {
                Some(clock) if clock.device == device => t >= clock.ns,
                _ => racy(t, now),
            };
            (dir, if unsettled { RACY } else { t })
        })
        .collect()
}

/// Whether the scans the cache names as changed shortly before the last
/// build began ([`Live::racy`]) still hold what that build read: their
/// stamps alone cannot tell (see `write_cache`), so their content is hashed
/// again. Each must be a regular file the walk saw in `scans/`; a name
/// given twice with two hashes, or one the walk did not see as a regular
/// file, is no match (the cache may have been written by anyone who can
/// write beside the output, and a name is never read outside `scans/`).
pub fn racy_scans_hold(live: &Live<'_>, listing: &Listing, input: &Path) -> bool {
    let mut racy = live.racy.clone();
    racy.sort_unstable();
    racy.dedup();
    if racy.windows(2).any(|w| w[0].0 == w[1].0) {
        return false;
    }
    if racy.is_empty() {
        return true;
    }
    // Read beneath the input's scans/, never through a folder swapped for
    // a link since the walk (as the load reads them: `fsx::Beneath`).
    let Some(beneath) = crate::fsx::Beneath::scans(input) else {
        return false;
    };
    racy.par_iter().all(|&(p, sha)| {
        crate::load::scans::listed(listing, p).is_some_and(|(path, _)| {
            beneath
                .open(&path)
                .and_then(crate::digest::sha256_reader)
                .is_ok_and(|h| h == sha)
        })
    })
}

/// Whether the folders of the site at `dest` are as the build that wrote
/// `live` (from the cache) left them: its `SHA256SUMS` is the one that
/// build wrote, and no folder has had an entry added or removed since (a
/// folder's change time moves with each; a folder recorded as
/// [`RACY`] is listed instead, and must hold only what kura put there).
/// Then the site holds nothing its `SHA256SUMS` does not list, without a
/// walk of every file.
pub fn tree_holds<'a>(dest: &Path, live: &Live<'a>) -> bool {
    if live.sums.is_empty()
        || live.dirs.is_empty()
        || !crate::fsx::read(&dest.join(publish::SUMS))
            .is_ok_and(|b| crate::digest::sha256_hex(&b) == live.sums)
    {
        return false;
    }
    // A set: every folder may be racy (a clock set back, a copied site).
    let racy: foldhash::HashSet<&str> = live
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
    // Only the entries of the racy folders are looked up: a set of them
    // alone, not of every file of the site (330,000 at Kenya's size).
    let parent = |p: &'a str| p.rsplit_once('/').map_or("", |(d, _)| d);
    let under_racy = |p: &&'a str| racy.contains(parent(p));
    let files: foldhash::HashSet<&str> =
        live.files.iter().map(|f| f.0).filter(under_racy).collect();
    let dirs: foldhash::HashSet<&str> = live.dirs.iter().map(|d| d.0).filter(under_racy).collect();
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
/// `live` published (for the input whose digest is `live.input`, which
/// the caller compares): folders as they were ([`tree_holds`]), the same
/// signature and log, and every recorded file with its recorded size and
/// times.
pub fn holds(dest: &Path, live: &Live<'_>) -> bool {
    !live.input.is_empty()
        && !live.files.is_empty()
        && tree_holds(dest, live)
        && extras(dest) == live.extras
        && live
            .files
            .par_iter()
            .map_init(
                || crate::fsx::Folders::new(dest),
                |folders, &(rel, size, mtime, ctime)| {
                    folders
                        .stamp(rel)
                        .is_some_and(|(file, s)| file && s.is(size, mtime, ctime))
                },
            )
            .all(|same| same)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(output: &Path) -> Settings {
        Settings {
            epoch: 1,
            strict: false,
            signer: None,
            output: output.to_path_buf(),
        }
    }

    fn write(path: &Path, bytes: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// An input folder: a CSV, scans in two folders, and a site with its
    /// cache and spare inside.
    fn input() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("in");
        write(&root.join("forms.csv"), "form\n1\n");
        write(&root.join("scans/a/1.png"), "one");
        write(&root.join("scans/a/2.png"), "two");
        write(&root.join("scans/b/c/3.png"), "three");
        write(&root.join("scans/top.png"), "top");
        write(&root.join("site/index.html"), "built");
        write(&root.join(".site.kura-cache"), "kura-cache 5\n");
        write(&root.join(".kura-spare-site/index.html"), "spare");
        (tmp, root)
    }

    #[test]
    fn the_digest_follows_every_change_of_the_input_and_none_of_the_output() {
        let (_tmp, root) = input();
        let s = settings(&root.join("site"));
        let d = |root: &Path| digest(root, &s).0.expect("a digest");
        let first = d(&root);
        assert_eq!(d(&root), first, "the same input, the same digest");
        // The output, its cache and its spare are not input.
        write(&root.join("site/new.html"), "x");
        write(&root.join(".site.kura-cache"), "kura-cache 5\nS\tx\n");
        write(&root.join(".kura-spare-site/more.html"), "x");
        assert_eq!(d(&root), first);
        // A CSV edited, a scan rewritten, a file added or renamed, a folder
        // added: each one moves it.
        let mut seen = vec![first];
        let mut changed = |what: &str| {
            let now = d(&root);
            assert!(!seen.contains(&now), "{what} left the digest as it was");
            seen.push(now);
        };
        write(&root.join("forms.csv"), "form\n2\n");
        changed("an edited CSV");
        // (Its times set apart: two writes within one tick of the file
        // system's clock may leave them as they were.)
        write(&root.join("scans/b/c/3.png"), "thre3");
        std::fs::File::options()
            .write(true)
            .open(root.join("scans/b/c/3.png"))
            .unwrap()
            .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
            .unwrap();
        changed("a scan rewritten");
        write(&root.join("scans/b/4.png"), "four");
        changed("a scan added");
        std::fs::rename(root.join("scans/b/4.png"), root.join("scans/b/5.png")).unwrap();
        changed("a scan renamed");
        std::fs::rename(root.join("scans/b/5.png"), root.join("scans/a/5.png")).unwrap();
        changed("a scan moved to another folder");
        std::fs::create_dir(root.join("scans/empty")).unwrap();
        changed("an empty folder");
        write(&root.join("notes/README"), "n");
        changed("a file kura does not read");
        // Folders nested past DEPTH: no digest (the full build runs).
        let deep: std::path::PathBuf = std::iter::repeat_n("d", DEPTH + 1).collect();
        std::fs::create_dir_all(root.join(&deep)).unwrap();
        assert_eq!(digest(&root, &s).0, None);
    }

    /// What the load read counts as what the walk hashed only when it was
    /// read by the same name, from the same file (device and inode), with
    /// the same bytes.
    #[test]
    fn the_load_must_read_what_the_walk_hashed() {
        let (_tmp, root) = input();
        write(&root.join("pages/about.md"), "# About\n");
        write(&root.join("spare.csv"), "form\n9\n");
        std::os::unix::fs::symlink("forms.csv", root.join("linked.csv")).unwrap();
        let walk = || digest(&root, &settings(&root.join("site")));
        let (d, walked) = walk();
        assert!(d.is_some());
        let read = |p: &str| {
            let input = crate::fsx::Beneath::input(&root);
            input.read_limited(&root.join(p), 1 << 20).unwrap();
            input.take_sources()
        };
        let (forms, page) = (read("forms.csv"), read("pages/about.md"));
        assert!(walked.read_as_walked(&forms));
        assert!(walked.read_as_walked(&[forms[0].clone(), page[0].clone()].to_vec()));
        assert!(walked.read_as_walked(&Vec::new()));
        // Through a link inside the input, to a file the walk read.
        assert!(walked.read_as_walked(&read("linked.csv")));
        // A file whose identity could not be taken.
        let unknown = crate::fsx::Source {
            id: None,
            ..forms[0].clone()
        };
        assert!(!walked.read_as_walked(&vec![unknown]));
        // Another file the walk read, renamed over this one: the right
        // bytes of a file the walk knew, under the wrong name.
        std::fs::rename(root.join("spare.csv"), root.join("forms.csv")).unwrap();
        assert!(!walked.read_as_walked(&read("forms.csv")));
        // Other bytes of the same file (written in place).
        let (_, walked) = walk();
        assert!(walked.read_as_walked(&read("forms.csv")));
        write(&root.join("forms.csv"), "form\n2\n");
        assert!(!walked.read_as_walked(&read("forms.csv")));
        // The same bytes in another file (put in its place).
        let (_, walked) = walk();
        let before = read("forms.csv");
        write(&root.join("copy.csv"), "form\n2\n");
        std::fs::rename(root.join("copy.csv"), root.join("forms.csv")).unwrap();
        let moved = read("forms.csv");
        assert_eq!(moved[0].hash, before[0].hash);
        assert!(!walked.read_as_walked(&moved));
    }

    #[test]
    fn the_walk_lists_each_regular_scan_with_its_stamp() {
        use crate::load::scans::Lookup;
        let (_tmp, root) = input();
        let link = |to: &str, at: &str| std::os::unix::fs::symlink(to, root.join(at)).unwrap();
        link("1.png", "scans/a/link.png");
        link("b", "scans/a/folder-link");
        write(
            &root.join("scans/scans/a/1.png"),
            "a scan kept under scans/scans",
        );
        let (d, walked) = digest(&root, &settings(&root.join("site")));
        let listing = walked.listing;
        assert!(d.is_some());
        let scans = root.canonicalize().unwrap().join("scans");
        assert_eq!(listing.dir, scans);
        let stamp = |p: &str| Stamp::of(&std::fs::metadata(scans.join(p)).unwrap());
        for p in [
            "a/1.png",
            "a/2.png",
            "b/c/3.png",
            "top.png",
            "scans/a/1.png",
        ] {
            assert_eq!(
                listing.get(p),
                Lookup::Regular(scans.join(p), stamp(p)),
                "{p}"
            );
        }
        // Certainly not there: looked for no further.
        for p in ["a/9.png", "x/y/9.png", "b/c/d/9.png", "9.png"] {
            assert_eq!(listing.get(p), Lookup::Absent, "{p}");
        }
        // Looked for on the disk: a link, a path through a link or through
        // a file, a folder, and any other spelling of a path.
        for p in [
            "a/link.png",
            "a/folder-link/c/3.png",
            "top.png/x.png",
            "a",
            "b/c",
            "a//1.png",
            "./top.png",
            "a/./1.png",
            "a/../a/1.png",
            "",
        ] {
            assert_eq!(listing.get(p), Lookup::Unknown, "{p}");
        }
        let names: Vec<&str> = listing.seen["a"].iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["1.png", "2.png", "folder-link", "link.png"]);
        // A walk that saw no scans/ knows nothing.
        assert_eq!(Listing::default().get("a/1.png"), Lookup::Unknown);
        // A path longer than the system opens, or deeper than the walk
        // goes, is not looked up name by name (a hostile path of megabytes
        // took hours): it is looked for on the disk. Under those limits a
        // long path is still found in the listing.
        let stamp = Stamp::default();
        for (n, found) in [(4_000, true), (4_100, false), (200, true), (300, false)] {
            let deep = |n: usize| "a/".repeat(n);
            let long = if n >= 1_000 {
                "x".repeat(n) + "/"
            } else {
                deep(n)
            };
            let mut listing = Listing::default();
            let folder = long.trim_end_matches('/').to_string();
            listing
                .seen
                .insert(folder, vec![("b.png".to_string(), Some(stamp))]);
            let p = format!("{long}b.png");
            let got = listing.get(&p);
            assert_eq!(matches!(got, Lookup::Regular(..)), found, "{n}: {got:?}");
            if !found {
                assert_eq!(got, Lookup::Unknown);
            }
        }
    }

    /// A folder's time is kept when it is before the file system's own
    /// time read after the folder's last change, and only then; without
    /// that time, when it is more than [`RACY_NS`] before now.
    #[test]
    fn folders_are_settled_by_the_file_systems_clock() {
        let tmp = tempfile::tempdir().unwrap();
        let made = |name: &str| {
            let path = tmp.path().join(name);
            std::fs::create_dir(&path).unwrap();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            (crate::fsx::folder_time(&meta), crate::fsx::device(&meta))
        };
        let (before, device) = made("before");
        // Past the coarsest tick of a local file system's clock.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let clock = crate::fsx::clock(tmp.path(), ".kura-build-").expect("a file made there");
        let (after, _) = made("after");
        assert!(
            before < clock.ns && clock.ns <= after,
            "{before} {clock:?} {after}"
        );
        assert_eq!(clock.device, device);
        // A file's stamp names its file system as the folder's metadata.
        std::fs::write(tmp.path().join("before/f"), "f").unwrap();
        let open = crate::fsx::Folder::read(&tmp.path().join("before")).unwrap();
        assert_eq!(open.stamp("f".as_ref()).unwrap().1.dev, device);
        std::fs::remove_file(tmp.path().join("before/f")).unwrap();
        // The probe is gone.
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 2);
        let dirs = |times: &[(&str, i128, u64)]| -> foldhash::HashMap<String, (i128, u64)> {
            times
                .iter()
                .map(|(d, t, v)| (d.to_string(), (*t, *v)))
                .collect()
        };
        let now = now_ns();
        let settled = settle(
            dirs(&[
                ("before", before, device),
                ("after", after, device),
                ("same", clock.ns, device),
                // On another file system (mounted in the site): by this
                // machine's clock.
                ("elsewhere", before, device + 1),
                ("elsewhere, long ago", now - 3 * RACY_NS, device + 1),
            ]),
            Some(clock),
        );
        assert_eq!(settled["before"], before);
        assert_eq!(settled["after"], RACY);
        assert_eq!(settled["same"], RACY, "changed in the very tick");
        assert_eq!(settled["elsewhere"], RACY);
        assert_eq!(settled["elsewhere, long ago"], now - 3 * RACY_NS);
        // By this machine's clock: two seconds back, and anything ahead.
        let settled = settle(
            dirs(&[
                ("old", now - 3 * RACY_NS, device),
                ("recent", now - RACY_NS / 2, device),
                ("ahead", now + RACY_NS, device),
            ]),
            None,
        );
        assert_eq!(settled["old"], now - 3 * RACY_NS);
        assert_eq!(settled["recent"], RACY);
        assert_eq!(settled["ahead"], RACY);
        // No file can be made in a folder that is not there.
        assert_eq!(crate::fsx::clock(&tmp.path().join("gone"), "x"), None);
    }

    /// A scan on the file system beside the output is racy from the tick
    /// the build began in, by that file system's clock; one on another,
    /// within two seconds of it by this machine's.
    #[test]
    fn scans_are_dated_by_their_own_file_systems_clock() {
        let started = 100 * RACY_NS;
        let clock = crate::fsx::Clock {
            device: 7,
            ns: started - RACY_NS / 2,
        };
        let scan = |dev: u64, mtime_ns: i128, ctime_ns: i128| Stamp {
            dev,
            mtime_ns,
            ctime_ns,
            ..Stamp::default()
        };
        let beside = |t: i128| scan(7, t, t);
        assert!(!racy_scan(&beside(clock.ns - 1), started, Some(clock)));
        assert!(
            racy_scan(&beside(clock.ns), started, Some(clock)),
            "the very tick"
        );
        assert!(racy_scan(&beside(clock.ns + 1), started, Some(clock)));
        // Either time ahead makes it racy.
        assert!(racy_scan(
            &scan(7, clock.ns + RACY_NS, 0),
            started,
            Some(clock)
        ));
        assert!(racy_scan(&scan(7, 0, clock.ns), started, Some(clock)));
        // On another file system, or with no clock read: two seconds.
        for c in [Some(clock), None] {
            let elsewhere = |t: i128| scan(8, t, t);
            assert!(!racy_scan(&elsewhere(started - 3 * RACY_NS), started, c));
            assert!(racy_scan(&elsewhere(clock.ns - 1), started, c));
            assert!(racy_scan(&elsewhere(started + 1), started, c));
        }
        assert!(!racy_scan(&beside(started - 3 * RACY_NS), started, None));
        assert!(racy_scan(&beside(clock.ns - 1), started, None));
    }

    /// Beside the output only the names kura gives its own folders and
    /// files are left out: a user's `.kura-notes` is input.
    #[test]
    fn only_kuras_own_names_beside_the_output_are_left_out() {
        use std::os::unix::ffi::OsStrExt;
        let dest = Path::new("/in").join(std::ffi::OsStr::from_bytes(b"s\xff"));
        let o = Outputs::of(&dest);
        let cache = crate::publish::cache::path_for(&dest);
        let spare = crate::publish::spare_path(&dest);
        for name in [
            dest.file_name().unwrap().as_encoded_bytes(),
            spare.file_name().unwrap().as_encoded_bytes(),
            cache.file_name().unwrap().as_encoded_bytes(),
            &[cache.file_name().unwrap().as_encoded_bytes(), b"-new"].concat(),
            b".kura-build-x1y2z3",
            format!("{}123", crate::publish::aside_prefix(&dest)).as_bytes(),
        ] {
            assert!(o.hold(name), "{}", String::from_utf8_lossy(name));
        }
        for name in [
            &b".kura-notes"[..],
            b".kura-spare-other",
            b"s",
            b".s.kura-cache",
        ] {
            assert!(!o.hold(name), "{}", String::from_utf8_lossy(name));
        }
    }
}
