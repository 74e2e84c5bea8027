//! Opening files that may be hostile. Every file kura reads from an input
//! folder, a previous site or a copy under verification goes through
//! [`open`]: a FIFO, a device or a socket in their place would otherwise
//! block the process for ever (opening a FIFO for reading waits for a
//! writer) or feed it without end.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Opens `path` for reading only if it is a regular file (following
/// symbolic links). The open itself never blocks: on Unix it is made
/// with `O_NONBLOCK` (which a regular file ignores) and the type is
/// checked on the open handle, so a file swapped for a FIFO between a
/// check and the open is refused too.
pub fn open(path: &Path) -> io::Result<File> {
    regular(open_nonblocking(path)?)
}

/// `file` if it is a regular file.
fn regular(file: File) -> io::Result<File> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO, device or socket?)"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is {what}"),
        ));
    }
    Ok(file)
}

#[cfg(target_os = "linux")]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    let fd = openat(
        CWD,
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

#[cfg(not(target_os = "linux"))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    // Without a non-blocking open, check the type first (a race remains).
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file",
        ));
    }
    File::open(path)
}

/// A file's device and inode: which file a handle reads, whatever its path.
pub type FileId = (u64, u64);

/// The device and inode of the open `file`.
pub fn file_id(file: &File) -> io::Result<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata()?;
        Ok((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Each file read through a [`Beneath`] made by [`Beneath::input`]: what
/// a build was made from, to be compared with what the input walk hashed
/// (`build::unchanged`).
pub type Sources = Vec<Source>;

/// One file read: by the name it was opened by (relative to the folder),
/// the file that name led to, and the SHA-256 of the bytes read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub rel: std::path::PathBuf,
    pub id: Option<FileId>,
    pub hash: crate::digest::Hash32,
}

/// A folder that files are opened beneath ([`Beneath::open`]): a path
/// under it is resolved inside it, never through a symbolic link or `..`
/// that leaves it, whatever happens to the folders on the way while the
/// file is opened (Linux's `openat2` with `RESOLVE_BENEATH`, since 5.6).
/// Where the kernel has no `openat2` (a kernel before 5.6, or a sandbox
/// that answers ENOSYS) the path is opened as it is, as on other systems;
/// a sandbox that answers EPERM instead makes every file fail to open (an
/// error, never a silent fallback). A check made on a path before it is
/// opened can be raced: a folder swapped for a link in between would be
/// followed.
pub struct Beneath {
    root: std::path::PathBuf,
    #[cfg(target_os = "linux")]
    fd: io::Result<rustix::fd::OwnedFd>,
    /// Whether this kernel has `openat2` (decided once, when the folder is
    /// opened: a file whose opening fails is never opened again by path).
    #[cfg(target_os = "linux")]
    beneath: bool,
    /// Each file read whole or through [`Beneath::reader`], with the hash
    /// of its bytes (for the input folder only).
    sources: Option<std::sync::Mutex<Sources>>,
}

#[cfg(target_os = "linux")]
const FOLDER: rustix::fs::OFlags = rustix::fs::OFlags::PATH
    .union(rustix::fs::OFlags::DIRECTORY)
    .union(rustix::fs::OFlags::CLOEXEC);

impl Beneath {
    /// Files beneath `root`, a path without symbolic links (canonical).
    pub fn new(root: &Path) -> Beneath {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{CWD, Mode, ResolveFlags, openat, openat2};
            let (fd, beneath) =
                match openat2(CWD, root, FOLDER, Mode::empty(), ResolveFlags::NO_SYMLINKS) {
                    // A kernel before 5.6.
                    Err(rustix::io::Errno::NOSYS) => {
                        (openat(CWD, root, FOLDER, Mode::empty()), false)
                    }
                    r => (r, true),
                };
            Beneath {
                root: root.to_path_buf(),
                fd: fd.map_err(io::Error::from),
                beneath,
                sources: None,
            }
        }
        #[cfg(not(target_os = "linux"))]
        Beneath {
            root: root.to_path_buf(),
            sources: None,
        }
    }

    /// The input folder `dir`, named as the user named it (a link to it is
    /// followed): its files, named `dir.join(…)`, are opened beneath it, so
    /// that a file or folder of it swapped for a link leading out while a
    /// build runs is refused, not read.
    pub fn input(dir: &Path) -> Beneath {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{CWD, Mode, ResolveFlags, openat, openat2};
            let fd = openat(CWD, dir, FOLDER, Mode::empty());
            // Whether this kernel has openat2, asked once of the folder
            // itself.
            let beneath = match &fd {
                Ok(fd) => !matches!(
                    openat2(fd, ".", FOLDER, Mode::empty(), ResolveFlags::BENEATH),
                    Err(rustix::io::Errno::NOSYS)
                ),
                Err(_) => true,
            };
            Beneath {
                root: dir.to_path_buf(),
                fd: fd.map_err(io::Error::from),
                beneath,
                sources: Some(Default::default()),
            }
        }
        #[cfg(not(target_os = "linux"))]
        Beneath {
            root: dir.to_path_buf(),
            sources: Some(Default::default()),
        }
    }

    /// Reads the whole regular file at `path`, under the root, of at most
    /// `limit` bytes.
    pub fn read_limited(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let file = self.open(path)?;
        let id = file_id(&file).ok();
        let bytes = read_at_most(file, limit)?;
        self.record(path, id, crate::digest::Hash32::of(&bytes));
        Ok(bytes)
    }

    /// Opens the regular file at `path`, under the root, to read it
    /// through, hashing its bytes as they are read.
    pub fn reader(&self, path: &Path) -> io::Result<Hashed<'_>> {
        let file = self.open(path)?;
        Ok(Hashed {
            path: path.to_path_buf(),
            id: file_id(&file).ok(),
            file,
            hasher: Some(sha2::Digest::new()),
            beneath: self,
        })
    }

    fn record(&self, path: &Path, id: Option<FileId>, hash: crate::digest::Hash32) {
        if let Some(sources) = &self.sources {
            let rel = path.strip_prefix(&self.root).unwrap_or(path).to_path_buf();
            sources
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Source { rel, id, hash });
        }
    }

    /// What was read through this folder so far ([`Sources`]).
    pub fn take_sources(&self) -> Sources {
        self.sources
            .as_ref()
            .map(|s| std::mem::take(&mut *s.lock().unwrap_or_else(|e| e.into_inner())))
            .unwrap_or_default()
    }

    /// The `scans/` folder of the input folder `input`, opened beneath it
    /// (a `scans` that is a link leading out of the input, or that becomes
    /// one while this runs, is refused), and its canonical path, checked to
    /// name the very folder opened. `None` when there is none (or it is
    /// refused): no scan is then found.
    pub fn scans(input: &Path) -> Option<Beneath> {
        let root = input.join("scans").canonicalize().ok()?;
        #[cfg(target_os = "linux")]
        {
            let top = Beneath::input(input);
            let fd = match top.beneath_at(&input.join("scans"), FOLDER).ok()? {
                Some(fd) => fd,
                None => {
                    rustix::fs::openat(rustix::fs::CWD, &root, FOLDER, rustix::fs::Mode::empty())
                        .ok()?
                }
            };
            // The path found names the folder opened (not another swapped
            // in between).
            let (a, b) = (rustix::fs::fstat(&fd).ok()?, rustix::fs::stat(&root).ok()?);
            if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino) {
                return None;
            }
            Some(Beneath {
                root,
                fd: Ok(fd),
                beneath: top.beneath,
                sources: None,
            })
        }
        #[cfg(not(target_os = "linux"))]
        Some(Beneath::new(&root))
    }

    /// The folder's canonical path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens the regular file at `path`, which must lie under the root.
    pub fn open(&self, path: &Path) -> io::Result<File> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::OFlags;
            let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
            match self.beneath_at(path, flags)? {
                Some(fd) => regular(File::from(fd)),
                None => open(path),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.under(path)?;
            open(path)
        }
    }

    /// The names in the folder at `path`, under the root, opened beneath
    /// it (without `.` and `..`), in the order it lists them.
    pub fn list(&self, path: &Path) -> io::Result<Vec<std::ffi::OsString>> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{CWD, Dir, Mode, OFlags, openat};
            use std::os::unix::ffi::OsStrExt;
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = match self.beneath_at(path, flags)? {
                Some(fd) => fd,
                None => openat(CWD, path, flags, Mode::empty())?,
            };
            let mut names = Vec::new();
            for e in Dir::read_from(&fd)? {
                let name = std::ffi::OsStr::from_bytes(e?.file_name().to_bytes()).to_os_string();
                if name != "." && name != ".." {
                    names.push(name);
                }
            }
            Ok(names)
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.under(path)?;
            std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.file_name()))
                .collect()
        }
    }

    /// `path` relative to the root.
    fn under<'p>(&self, path: &'p Path) -> io::Result<&'p Path> {
        path.strip_prefix(&self.root).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("is not under {}", self.root.display()),
            )
        })
    }

    /// `path`, under the root, opened beneath it with `flags`; `None` when
    /// this system cannot open beneath a folder (it is then to be opened by
    /// its path).
    #[cfg(target_os = "linux")]
    fn beneath_at(
        &self,
        path: &Path,
        flags: rustix::fs::OFlags,
    ) -> io::Result<Option<rustix::fd::OwnedFd>> {
        use rustix::fs::{Mode, ResolveFlags, openat2};
        let rel = self.under(path)?;
        let fd = self
            .fd
            .as_ref()
            .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
        if !self.beneath {
            return Ok(None);
        }
        let how = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        match retry(|| openat2(fd, rel, flags, Mode::empty(), how)) {
            Ok(fd) => Ok(Some(fd)),
            // Out of the folder, or through an absolute link (which openat2
            // does not follow beneath a folder, wherever it leads).
            Err(rustix::io::Errno::XDEV) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "leads outside {}, or through an absolute symbolic link (make it relative)",
                    self.root.display()
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// A file opened by [`Beneath::reader`]: what is read from it is hashed,
/// and the hash recorded with the folder's sources when it is dropped
/// (the hash of what was read, whole or not).
pub struct Hashed<'a> {
    file: File,
    path: std::path::PathBuf,
    id: Option<FileId>,
    hasher: Option<sha2::Sha256>,
    beneath: &'a Beneath,
}

impl Read for Hashed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if let Some(h) = &mut self.hasher {
            sha2::Digest::update(h, &buf[..n]);
        }
        Ok(n)
    }
}

impl Drop for Hashed<'_> {
    fn drop(&mut self) {
        if let Some(h) = self.hasher.take() {
            self.beneath
                .record(&self.path, self.id, crate::digest::Hash32::finish(h));
        }
    }
}

/// `openat2` beneath a folder fails with EAGAIN when a rename or mount
/// anywhere on the system races its resolving of `..`: tried again, a few
/// times.
#[cfg(target_os = "linux")]
fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> rustix::io::Result<T> {
    let mut tries = 0;
    loop {
        match f() {
            Err(rustix::io::Errno::AGAIN) if tries < 16 => tries += 1,
            r => return r,
        }
    }
}

/// Reads a whole regular file.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    read_all(open(path)?)
}

fn read_all(mut file: File) -> io::Result<Vec<u8>> {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(len.min(1 << 30) as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_at_most(open(path)?, limit)
}

fn read_at_most(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("is larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// Reads a whole regular file as UTF-8 text.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not valid UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("areas.csv");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = read(&fifo).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert!(open(dir.path()).unwrap_err().to_string().contains("folder"));
    }

    #[test]
    fn a_recorded_file_holds_until_it_changes_and_never_past_2262() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"12345").unwrap();
        let sha = crate::digest::Hash32::of(b"12345");
        let meta = std::fs::metadata(&f).unwrap();
        let h = CachedHash::new(&meta, sha);
        assert!(h.holds(&meta));
        assert!(!h.holds(&std::fs::metadata(dir.path()).unwrap()));
        // Rewritten with the same size: the change time moves on.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, b"54321").unwrap();
        assert!(!h.holds(&std::fs::metadata(&f).unwrap()));
        // A time 64 bits cannot hold is recorded as NO_TIME, which no file
        // matches, not even itself.
        let year_3000 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(32_503_680_000);
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(year_3000)
            .unwrap();
        let meta = std::fs::metadata(&f).unwrap();
        let h = CachedHash::new(&meta, sha);
        assert_eq!(h.mtime_ns, NO_TIME);
        assert!(!h.holds(&meta));
        assert_eq!(short(i128::from(i64::MAX) + 1), NO_TIME);
        assert_eq!(short(-5), -5);
    }

    /// A file looked up by name in its open folder has the stamp its path
    /// gives; a link is not followed; a listing names every entry once with
    /// its kind.
    #[cfg(unix)]
    #[test]
    fn a_folder_looks_names_up_as_their_paths_would() {
        use std::ffi::OsStr;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f.png"), b"scan").unwrap();
        std::fs::write(root.join("top"), b"t").unwrap();
        std::os::unix::fs::symlink("f.png", root.join("a/b/link")).unwrap();
        let fifo = root.join("a/b/fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let of = |p: &str| Stamp::of(&std::fs::symlink_metadata(root.join(p)).unwrap());
        let folder = Folder::read(&root.join("a/b")).unwrap();
        assert_eq!(
            folder.stamp(OsStr::new("f.png")).unwrap(),
            (true, of("a/b/f.png"))
        );
        assert_eq!(
            folder.stamp(OsStr::new("link")).unwrap(),
            (false, of("a/b/link"))
        );
        assert!(!folder.stamp(OsStr::new("fifo")).unwrap().0);
        assert!(folder.stamp(OsStr::new("none")).is_err());
        let mut entries = folder.entries().unwrap();
        entries.sort();
        let names: Vec<(&str, Kind)> = entries
            .iter()
            .map(|(n, k)| (n.to_str().unwrap(), *k))
            .collect();
        assert_eq!(
            names,
            [
                ("f.png", Kind::File),
                ("fifo", Kind::Other),
                ("link", Kind::Link)
            ]
        );
        let top = Folder::read(root).unwrap().entries().unwrap();
        assert!(top.contains(&("a".into(), Kind::Folder)));
        // A folder opened only to look names up in cannot be listed.
        assert!(Folder::open(root).unwrap().entries().is_err());
        assert!(Folder::open(&root.join("top")).is_err());
        // By relative path, folder after folder.
        let mut folders = Folders::new(root);
        assert_eq!(folders.stamp("a/b/f.png"), Some((true, of("a/b/f.png"))));
        assert_eq!(folders.stamp("top"), Some((true, of("top"))));
        assert_eq!(folders.stamp("a/b/link"), Some((false, of("a/b/link"))));
        assert_eq!(folders.stamp("a/b/none"), None);
        assert_eq!(folders.stamp("a/none/f.png"), None);
        assert_eq!(folders.stamp("a"), Some((false, of("a"))));
    }

    /// A folder's entries are opened in it, never through a link (one put
    /// in a folder's place after it was listed is refused).
    #[cfg(unix)]
    #[test]
    fn entries_are_opened_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("in/sub")).unwrap();
        std::fs::create_dir_all(base.join("out")).unwrap();
        std::fs::write(base.join("in/sub/f"), b"in").unwrap();
        std::fs::write(base.join("out/f"), b"out").unwrap();
        std::os::unix::fs::symlink("../out", base.join("in/link")).unwrap();
        std::os::unix::fs::symlink("sub/f", base.join("in/file-link")).unwrap();
        let open = Folder::read(&base.join("in")).unwrap();
        let mut text = String::new();
        open.folder("sub".as_ref())
            .unwrap()
            .file("f".as_ref())
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "in");
        assert!(open.folder("link".as_ref()).is_err());
        assert!(open.file("file-link".as_ref()).is_err());
        assert!(open.file("sub".as_ref()).is_err());
    }

    /// A file is opened beneath its folder: through a link that stays in
    /// it, never through one that leads out (the race a check of the path
    /// before its opening loses), nor a FIFO.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_is_opened_beneath_its_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("scans");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::create_dir_all(base.join("secret")).unwrap();
        std::fs::write(root.join("a/f.png"), b"scan").unwrap();
        std::fs::write(base.join("secret/f.png"), b"not a scan").unwrap();
        std::os::unix::fs::symlink("a", root.join("inside")).unwrap();
        std::os::unix::fs::symlink(base.join("secret"), root.join("out")).unwrap();
        std::os::unix::fs::symlink("../secret", root.join("up")).unwrap();
        std::os::unix::fs::symlink(root.join("a/f.png"), root.join("absolute.png")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("a/fifo"))
            .status();
        assert!(made.unwrap().success());
        let beneath = Beneath::new(&root);
        let read = |p: &str| {
            let mut s = String::new();
            beneath
                .open(&root.join(p))
                .and_then(|mut f| f.read_to_string(&mut s))
                .map(|_| s)
                .map_err(|e| e.to_string())
        };
        assert_eq!(read("a/f.png").unwrap(), "scan");
        assert_eq!(read("inside/f.png").unwrap(), "scan");
        for p in ["out/f.png", "up/f.png", "a/../../secret/f.png"] {
            let e = read(p).unwrap_err();
            assert!(e.contains("leads outside"), "{p}: {e}");
        }
        // An absolute link is not followed beneath the folder, even one
        // that stays in it: the message says what to do.
        let e = read("absolute.png").unwrap_err();
        assert!(
            e.contains("absolute symbolic link (make it relative)"),
            "{e}"
        );
        assert!(read("a/fifo").unwrap_err().contains("not a regular file"));
        let e = beneath.open(&base.join("secret/f.png")).unwrap_err();
        assert!(e.to_string().contains("is not under"), "{e}");
        // An input's scans/ is opened beneath the input: a link to a
        // folder inside it is followed, one leading out is refused.
        let input = base.join("in");
        std::fs::create_dir_all(input.join("data/scans/a")).unwrap();
        std::fs::write(input.join("data/scans/a/f.png"), b"in").unwrap();
        assert!(Beneath::scans(&input).is_none(), "no scans/ yet");
        std::os::unix::fs::symlink("data/scans", input.join("scans")).unwrap();
        let found = Beneath::scans(&input).expect("scans/ inside the input");
        assert_eq!(found.root(), input.join("data/scans"));
        let mut text = String::new();
        found
            .open(&input.join("data/scans/a/f.png"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "in");
        for outside in [base.join("secret"), "../secret".into()] {
            std::fs::remove_file(input.join("scans")).unwrap();
            std::os::unix::fs::symlink(&outside, input.join("scans")).unwrap();
            assert!(Beneath::scans(&input).is_none(), "{outside:?}");
        }
        // The input folder itself, named through a link as the user may
        // name it: its files are read by the paths the user sees, beneath
        // it, and a file of it that is a link leading out is refused.
        std::fs::write(input.join("areas.csv"), b"code\n").unwrap();
        std::fs::create_dir(input.join("pages")).unwrap();
        std::fs::write(input.join("pages/about.md"), b"# About\n").unwrap();
        std::os::unix::fs::symlink("in", base.join("current")).unwrap();
        let named = base.join("current/./");
        let files = Beneath::input(&named);
        let read = |p: &str| files.read_limited(&named.join(p), 1 << 20);
        assert_eq!(read("areas.csv").unwrap(), b"code\n");
        assert_eq!(read("pages/about.md").unwrap(), b"# About\n");
        assert_eq!(files.list(&named.join("pages")).unwrap(), ["about.md"]);
        let e = files.read_limited(&named.join("areas.csv"), 4).unwrap_err();
        assert!(e.to_string().contains("larger than 4 bytes"), "{e}");
        std::os::unix::fs::symlink("../secret/f.png", input.join("results.csv")).unwrap();
        std::fs::remove_dir_all(input.join("pages")).unwrap();
        std::os::unix::fs::symlink(base.join("secret"), input.join("pages")).unwrap();
        for p in ["results.csv", "pages/f.png"] {
            let e = read(p).unwrap_err().to_string();
            assert!(e.contains("leads outside"), "{p}: {e}");
        }
        let e = files.list(&named.join("pages")).unwrap_err().to_string();
        assert!(e.contains("leads outside"), "{e}");
        // What was read through it, by file: its bytes' hash each.
        let sources = files.take_sources();
        assert_eq!(sources.len(), 2);
        let areas = File::open(input.join("areas.csv")).unwrap();
        assert_eq!(
            sources[0],
            Source {
                rel: "areas.csv".into(),
                id: file_id(&areas).ok(),
                hash: crate::digest::Hash32::of(b"code\n")
            }
        );
    }

    #[test]
    fn limits_hold() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_limited(&f, 5).unwrap(), b"12345");
        assert!(read_limited(&f, 4).is_err());
    }
}

/// A published file's hash as kura wrote it, valid while its size,
/// modification time and change time hold (the change time because the
/// modification time can be set back after an edit). Its times are 64-bit
/// ([`short`]): a rebuild at a million stations holds four million of
/// these, and `i128` times would make each 24 bytes larger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedHash {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub sha256: crate::digest::Hash32,
}

impl CachedHash {
    /// The record of the file whose metadata is `meta`, with hash `sha256`.
    pub fn new(meta: &std::fs::Metadata, sha256: crate::digest::Hash32) -> CachedHash {
        CachedHash {
            size: meta.len(),
            mtime_ns: short(mtime_ns(meta)),
            ctime_ns: short(Stamp::of(meta).ctime_ns),
            sha256,
        }
    }

    /// Whether `meta` is still the file recorded ([`same_file`]).
    pub fn holds(&self, meta: &std::fs::Metadata) -> bool {
        same_file(meta, self.size, self.mtime_ns, self.ctime_ns)
    }
}

/// A time kept in 64 bits: nanoseconds since the epoch, which reach from
/// 1677 to 2262. A time outside (a clock set wrong, `touch -d 3000-01-01`)
/// is [`NO_TIME`], which never matches: the file is then hashed again
/// rather than taken for another file that is out of range too. (A
/// modification time before 1970 is 0 already, from [`mtime_ns`]: such
/// files are told apart by their change time, which no user can set.)
pub fn short(t: i128) -> i64 {
    i64::try_from(t).unwrap_or(NO_TIME)
}

/// See [`short`].
pub const NO_TIME: i64 = i64::MIN;

/// Whether the file whose metadata is `meta` is still the regular file of
/// this size and these times (recorded with [`short`]).
pub fn same_file(meta: &std::fs::Metadata, size: u64, mtime: i64, ctime: i64) -> bool {
    meta.is_file() && Stamp::of(meta).is(size, mtime, ctime)
}

/// What says a file is the one hashed before: its size, modification and
/// change times, inode and file system. The modification time alone is not
/// enough: it can be set back by anyone who can write the file (`touch
/// -d`), so a file replaced by one of the same size with its old time
/// restored would keep its old hash. The change time cannot be set by a
/// user: any write, rename or `touch` moves it on. An inode number names a
/// file only on its own file system ([`device`]), whose clock dates it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub ino: u64,
    pub dev: u64,
}

impl Stamp {
    /// Whether this is the stamp of a file of this size and these times
    /// (recorded with [`short`]).
    pub fn is(&self, size: u64, mtime: i64, ctime: i64) -> bool {
        mtime != NO_TIME
            && ctime != NO_TIME
            && self.size == size
            && short(self.mtime_ns) == mtime
            && short(self.ctime_ns) == ctime
    }

    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (ctime_ns, ino) = {
            use std::os::unix::fs::MetadataExt;
            (
                meta.ctime() as i128 * 1_000_000_000 + meta.ctime_nsec() as i128,
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (ctime_ns, ino) = (0, 0);
        Stamp {
            size: meta.len(),
            mtime_ns: mtime_ns(meta),
            ctime_ns,
            ino,
            dev: device(meta),
        }
    }
}

/// What an entry of a folder is, as its listing says (a symbolic link is
/// not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Folder,
    Link,
    /// A FIFO, a device, a socket.
    Other,
}

/// A folder opened to list it and look files up in it by name
/// ([`Folder::stamp`]): every name is looked for in this very folder,
/// whatever happens to its path meanwhile.
pub struct Folder {
    #[cfg(target_os = "linux")]
    fd: rustix::fd::OwnedFd,
    #[cfg(not(target_os = "linux"))]
    path: std::path::PathBuf,
}

impl Folder {
    /// Opens the folder at `path` (following symbolic links, as a path
    /// leading to a file would) to look names up in, not to list it.
    pub fn open(path: &Path) -> io::Result<Folder> {
        Folder::opened(path, false)
    }

    /// Opens the folder at `path` to list it too ([`Folder::entries`]).
    pub fn read(path: &Path) -> io::Result<Folder> {
        Folder::opened(path, true)
    }

    #[cfg(target_os = "linux")]
    fn opened(path: &Path, list: bool) -> io::Result<Folder> {
        use rustix::fs::{CWD, Mode, OFlags, openat};
        let flags = if list {
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC
        } else {
            FOLDER
        };
        Ok(Folder {
            fd: openat(CWD, path, flags, Mode::empty())?,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn opened(path: &Path, _list: bool) -> io::Result<Folder> {
        if !std::fs::metadata(path)?.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        Ok(Folder {
            path: path.to_path_buf(),
        })
    }

    /// The folder's entries (without `.` and `..`), in the order it lists
    /// them. Only for a folder opened with [`Folder::read`].
    #[cfg(target_os = "linux")]
    pub fn entries(&self) -> io::Result<Vec<(std::ffi::OsString, Kind)>> {
        use rustix::fs::{Dir, FileType};
        use std::os::unix::ffi::OsStrExt;
        let mut entries = Vec::new();
        for e in Dir::read_from(&self.fd)? {
            let e = e?;
            let name = std::ffi::OsStr::from_bytes(e.file_name().to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            let kind = match e.file_type() {
                FileType::RegularFile => Kind::File,
                FileType::Directory => Kind::Folder,
                FileType::Symlink => Kind::Link,
                // A file system that does not say: asked of the entry.
                FileType::Unknown => self.kind(name)?,
                _ => Kind::Other,
            };
            entries.push((name.to_os_string(), kind));
        }
        Ok(entries)
    }

    #[cfg(not(target_os = "linux"))]
    pub fn entries(&self) -> io::Result<Vec<(std::ffi::OsString, Kind)>> {
        let mut entries = Vec::new();
        for e in std::fs::read_dir(&self.path)? {
            let e = e?;
            let t = e.file_type()?;
            let kind = if t.is_file() {
                Kind::File
            } else if t.is_dir() {
                Kind::Folder
            } else if t.is_symlink() {
                Kind::Link
            } else {
                Kind::Other
            };
            entries.push((e.file_name(), kind));
        }
        Ok(entries)
    }

    /// What the entry `name` is (a symbolic link is not followed).
    #[cfg(target_os = "linux")]
    fn kind(&self, name: &std::ffi::OsStr) -> io::Result<Kind> {
        use rustix::fs::{AtFlags, FileType, StatxFlags, statx};
        let s = statx(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::TYPE)?;
        Ok(match FileType::from_raw_mode(s.stx_mode.into()) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Folder,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        })
    }

    /// The stamp of the entry `name` and whether it is a regular file (a
    /// symbolic link is not followed): what [`Stamp::of`] the
    /// `std::fs::symlink_metadata` of its path gives, with a walk of one
    /// name instead of every name of the path (a third less work a file,
    /// for hundreds of thousands of files).
    #[cfg(target_os = "linux")]
    pub fn stamp(&self, name: &std::ffi::OsStr) -> io::Result<(bool, Stamp)> {
        use rustix::fs::{AtFlags, FileType, StatxFlags, statx};
        let flags = AtFlags::SYMLINK_NOFOLLOW;
        let ns = |sec: i128, nsec: i128| sec * 1_000_000_000 + nsec;
        // size, mode, (seconds, nanoseconds) modified and changed, inode,
        // device (as the standard library makes it of statx's, [`device`]).
        let (size, mode, mtime, ctime, ino, dev) =
            match statx(&self.fd, name, flags, StatxFlags::BASIC_STATS) {
                Ok(s) => (
                    s.stx_size,
                    u32::from(s.stx_mode),
                    (
                        i128::from(s.stx_mtime.tv_sec),
                        i128::from(s.stx_mtime.tv_nsec),
                    ),
                    (
                        i128::from(s.stx_ctime.tv_sec),
                        i128::from(s.stx_ctime.tv_nsec),
                    ),
                    s.stx_ino,
                    rustix::fs::makedev(s.stx_dev_major, s.stx_dev_minor),
                ),
                // A kernel before 4.11, or a sandbox that forbids `statx`
                // (the standard library falls back the same way).
                Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {
                    let s = rustix::fs::statat(&self.fd, name, flags)?;
                    #[allow(clippy::unnecessary_cast)]
                    (
                        s.st_size as u64,
                        s.st_mode as u32,
                        (s.st_mtime as i128, s.st_mtime_nsec as i128),
                        (s.st_ctime as i128, s.st_ctime_nsec as i128),
                        s.st_ino as u64,
                        s.st_dev as u64,
                    )
                }
                Err(e) => return Err(e.into()),
            };
        let regular = FileType::from_raw_mode(mode) == FileType::RegularFile;
        let stamp = Stamp {
            size,
            // As [`mtime_ns`] reads it: a time before 1970 is unknown.
            mtime_ns: if mtime.0 >= 0 {
                ns(mtime.0, mtime.1)
            } else {
                0
            },
            ctime_ns: ns(ctime.0, ctime.1),
            ino,
            dev,
        };
        Ok((regular, stamp))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn stamp(&self, name: &std::ffi::OsStr) -> io::Result<(bool, Stamp)> {
        let m = std::fs::symlink_metadata(self.path.join(name))?;
        Ok((m.is_file(), Stamp::of(&m)))
    }

    /// The folder `name` in this one, opened to list it: never through a
    /// symbolic link (one put there since it was listed is an error).
    #[cfg(target_os = "linux")]
    pub fn folder(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        use rustix::fs::{Mode, OFlags, openat};
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(Folder {
            fd: openat(&self.fd, name, flags, Mode::empty())?,
        })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn folder(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        let path = self.path.join(name);
        if std::fs::symlink_metadata(&path)?.file_type().is_symlink() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        Folder::read(&path)
    }

    /// The regular file `name` in this one, opened to read: never through
    /// a symbolic link, and never blocking (see [`open`]).
    #[cfg(target_os = "linux")]
    pub fn file(&self, name: &std::ffi::OsStr) -> io::Result<File> {
        use rustix::fs::{Mode, OFlags, openat};
        let flags =
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
        regular(File::from(openat(&self.fd, name, flags, Mode::empty())?))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn file(&self, name: &std::ffi::OsStr) -> io::Result<File> {
        let path = self.path.join(name);
        if std::fs::symlink_metadata(&path)?.file_type().is_symlink() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        open(&path)
    }
}

/// Stamps of files under one folder looked up by their relative paths,
/// each in its open folder ([`Folder`]): the last folder used stays open,
/// so files taken in the order of their paths open each folder about
/// once.
pub struct Folders<'a> {
    root: &'a Path,
    last: Option<(String, Folder)>,
}

impl<'a> Folders<'a> {
    pub fn new(root: &'a Path) -> Folders<'a> {
        Folders { root, last: None }
    }

    /// The stamp of `rel` (a `/`-separated path under the root) and
    /// whether it is a regular file; `None` if it cannot be looked up.
    pub fn stamp(&mut self, rel: &str) -> Option<(bool, Stamp)> {
        let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        if self.last.as_ref().is_none_or(|(f, _)| f != folder) {
            self.last = None;
            let open = Folder::open(&self.root.join(folder)).ok()?;
            self.last = Some((folder.to_string(), open));
        }
        let (_, open) = self.last.as_ref()?;
        open.stamp(std::ffi::OsStr::new(name)).ok()
    }
}

/// A file system's own clock, read in one of its folders ([`clock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The file system's device number.
    pub device: u64,
    /// Its time, in nanoseconds since 1970.
    pub ns: i128,
}

/// The time the file system holding folder `dir` gives a change made in
/// it now: the change time of a file made there (named `prefix` and a
/// random part) and removed at once. That is the file system's own clock,
/// at its own granularity (a network file server's may run apart from
/// this machine's). `None` when no file can be made there.
pub fn clock(dir: &Path, prefix: &str) -> Option<Clock> {
    let probe = tempfile::Builder::new()
        .prefix(prefix)
        .tempfile_in(dir)
        .ok()?;
    let meta = probe.as_file().metadata().ok()?;
    cfg!(unix).then(|| Clock {
        device: device(&meta),
        ns: Stamp::of(&meta).ctime_ns,
    })
}

/// The device number of the file system `meta` describes a file of (0
/// where the system has none). [`Folder::stamp`] gives the same number.
pub fn device(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    return std::os::unix::fs::MetadataExt::dev(meta);
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

/// What tells whether a folder had an entry added, removed or renamed
/// since it was recorded: its change time, in nanoseconds (which moves
/// with each such change, like the modification time, but unlike it
/// cannot be set back by whoever can write there). 0 when unknown.
pub fn folder_time(meta: &std::fs::Metadata) -> i128 {
    Stamp::of(meta).ctime_ns
}

/// Modification time in nanoseconds since the epoch (0 when unknown).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}
