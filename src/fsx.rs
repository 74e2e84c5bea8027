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
    let file = open_nonblocking(path)?;
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

/// Reads a whole regular file.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open(path)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(len.min(1 << 30) as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
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
    mtime != NO_TIME
        && ctime != NO_TIME
        && meta.is_file()
        && meta.len() == size
        && short(mtime_ns(meta)) == mtime
        && short(Stamp::of(meta).ctime_ns) == ctime
}

/// What says a file is the one hashed before: its size, modification and
/// change times, and inode. The modification time alone is not enough: it
/// can be set back by anyone who can write the file (`touch -d`), so a
/// file replaced by one of the same size with its old time restored would
/// keep its old hash. The change time cannot be set by a user: any write,
/// rename or `touch` moves it on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub ino: u64,
}

impl Stamp {
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
        }
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
