//! What a build remembers for the next one, kept beside the output folder
//! (never inside it: the published site is exactly the files listed in
//! SHA256SUMS): the hashes of input scans; the size, modification time and
//! hash of every file of the live site and of the spare site; the change
//! times of their folders; the fingerprint of each page; and the basis of
//! each page and download made from one area's data.
//! With them a rebuild hashes only the scans that changed, renders only the
//! pages whose inputs changed, and writes only the files whose bytes
//! changed.

use foldhash::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Record;
use crate::digest::Hash16;
use crate::fsx::{CachedHash, Stamp};
use crate::load::scans::{HashCache, ScanHash};

/// Format 7 names the scans changed just before the build began (`Y`
/// lines) instead of caching their hashes by stamp: a cache of format 6
/// trusted them, and is not read. Format 8 adds each scan's file system
/// (device) to its stamp.
const HEADER: &str = "kura-cache 8";

/// The cache of the site at `dest`.
#[derive(Default)]
pub struct Cache {
    /// Input scans by their (canonical) path.
    pub scans: HashCache,
    /// Files of the live site, by site-relative path.
    pub live: Record,
    /// The SHA-256 of the live site's SHA256SUMS when it was written.
    pub live_sums: String,
    /// Change times of the live site's folders ("" is the root).
    pub live_dirs: HashMap<String, i128>,
    /// Files of the spare site (the version before the live one).
    pub spare: Record,
    pub spare_dirs: HashMap<String, i128>,
    /// How the live site's pages and downloads were made, by path.
    pub made: HashMap<String, Made>,
}

/// How a file of the live site was made: the fingerprint of a page's view,
/// and the basis of a page or download made from one area's data
/// ([`crate::site::basis`]), which stays while the file does. One map for
/// both: a million stations' pages have both, and their paths are kept once.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Made {
    pub fingerprint: Option<Hash16>,
    pub basis: Option<Hash16>,
}

/// `<parent>/.<name>.kura-cache`, beside the output folder.
pub fn path_for(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    dest.with_file_name(format!(".{name}.kura-cache"))
}

/// A time in nanoseconds as the cache writes it ([`Ns`]).
fn ns(s: &str) -> Option<i128> {
    s.parse::<i64>()
        .map(i128::from)
        .ok()
        .or_else(|| s.parse().ok())
}

/// A time in nanoseconds, written as the 64-bit number it is until the
/// year 2262 (formatting an `i128` costs several times as much, and the
/// cache holds two per file).
struct Ns(i128);

impl std::fmt::Display for Ns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match i64::try_from(self.0) {
            Ok(t) => t.fmt(f),
            Err(_) => self.0.fmt(f),
        }
    }
}

/// The hash of a site file's line: `=` stands for the hash its name
/// already spells (`scans/<sha256>.png`: a third of the cache's bytes
/// would otherwise be those hashes written twice).
fn sha_of(path: &str, sha: &str) -> Option<crate::digest::Hash32> {
    let sha = match sha {
        "=" => named_hash(path)?,
        _ => sha,
    };
    crate::digest::Hash32::from_hex(sha)
}

/// The hash a file's name spells (`scans/<64 hex digits>.<ext>`), if any.
fn named_hash(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    let stem = name.split('.').next()?;
    (stem.len() == 64).then_some(stem)
}

/// Whether `path`'s name spells `sha` (its line then says `=`).
fn named(path: &str, sha: &crate::digest::Hash32) -> bool {
    named_hash(path).and_then(crate::digest::Hash32::from_hex) == Some(*sha)
}

fn entry(path: &str, size: &str, mtime: &str, sha: &str) -> Option<CachedHash> {
    let sha256 = sha_of(path, sha)?;
    let (mtime, ctime) = mtime.split_once('/')?;
    // A time past 2262 (written by a kura whose records were 128-bit) is
    // kept as NO_TIME, which never matches: dropping the line instead would
    // leave its file unchecked.
    Some(CachedHash {
        size: size.parse().ok()?,
        mtime_ns: crate::fsx::short(ns(mtime)?),
        ctime_ns: crate::fsx::short(ns(ctime)?),
        sha256,
    })
}

/// A scan's entry: its stamp's times, inode and device are one field,
/// `mtime/ctime/ino/dev`.
fn scan_entry(size: &str, times: &str, sha: &str) -> Option<ScanHash> {
    let mut t = times.split('/');
    let stamp = Stamp {
        size: size.parse().ok()?,
        mtime_ns: ns(t.next()?)?,
        ctime_ns: ns(t.next()?)?,
        ino: t.next()?.parse().ok()?,
        dev: t.next()?.parse().ok()?,
    };
    if t.next().is_some() {
        return None;
    }
    (sha.len() == 64).then(|| ScanHash {
        stamp,
        sha256: sha.to_string(),
    })
}

/// Whether a site-relative path from the cache may be joined to a site's
/// folder: the cache lies beside the output and may have been written by
/// anyone who can write there, so a path that would lead out of the site
/// (`../x`, `/etc`) is not cached. A folder's path may be `""` (the root).
fn site_path(p: &str, folder: bool) -> bool {
    (folder && p.is_empty()) || crate::sums::safe_path(p)
}

/// The cache's text ("" when there is none, or it cannot be read), to be
/// [`parse`]d whole or looked into by [`live`]. With a `key` (a signed
/// build: [`SecretKey::cache_key`](super::sign::SecretKey::cache_key)),
/// only a cache whose last line authenticates the rest with that key is
/// read: the cache lies beside the output, and whoever can write there
/// could otherwise make the build take a planted file for one it wrote
/// and sign it.
pub fn read_text(dest: &Path, key: Option<&[u8; 32]>) -> String {
    let Some(text) = crate::fsx::read_to_string(&path_for(dest))
        .ok()
        .filter(|t| t.lines().next() == Some(HEADER))
    else {
        return String::new();
    };
    let Some(key) = key else {
        return text;
    };
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let Some((body, mac)) = body.rsplit_once('\n') else {
        return String::new();
    };
    let body = &text[..body.len() + 1];
    if mac.strip_prefix("M\t")
        == Some(crate::digest::hex(&authenticate(key, body.as_bytes())).as_str())
    {
        text
    } else {
        String::new()
    }
}

/// The code that authenticates the cache's text with `key`: BLAKE2b-256
/// of the key then the text (BLAKE2 needs no HMAC construction), the text
/// still to be added.
fn authenticator(key: &[u8; 32]) -> blake2::Blake2b<blake2::digest::consts::U32> {
    use blake2::Digest;
    let mut h = blake2::Blake2b::new();
    h.update(key);
    h
}

/// The code that authenticates `text` with `key`.
fn authenticate(key: &[u8; 32], text: &[u8]) -> [u8; 32] {
    use blake2::Digest;
    let mut h = authenticator(key);
    h.update(text);
    h.finalize().into()
}

/// A writer that also hashes what passes through it, for [`authenticate`].
struct Tee<W> {
    out: W,
    mac: Option<blake2::Blake2b<blake2::digest::consts::U32>>,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        if let Some(mac) = &mut self.mac {
            blake2::Digest::update(mac, &buf[..n]);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// What the cache says of the live site alone, borrowed from its text:
/// enough to tell whether the site is untouched since it was written.
#[derive(Default)]
pub struct Live<'a> {
    pub input: &'a str,
    pub extras: &'a str,
    /// The SHA-256 of its `SHA256SUMS` (its version id).
    pub sums: &'a str,
    pub findings: Vec<(String, usize)>,
    /// Its files (path, size, modification and change times), and its
    /// folders' change times.
    pub files: Vec<(&'a str, u64, i64, i64)>,
    pub dirs: Vec<(&'a str, i128)>,
    /// Scans changed shortly before that build began, whose stamps cannot
    /// tell whether they changed since: (path under `scans/`, SHA-256).
    pub racy: Vec<(&'a str, &'a str)>,
}

/// Looks into the cache's text for what it says of the live site.
pub fn live(text: &str) -> Live<'_> {
    let mut live = Live::default();
    // A file or folder line that cannot be read would leave that file or
    // folder unchecked: then nothing the cache says of the live site is
    // trusted.
    let mut broken = false;
    for line in text.lines().skip(1) {
        let kind = line.as_bytes().first().copied();
        if !matches!(kind, Some(b'I' | b'H' | b'C' | b'O' | b'D' | b'Y')) {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        match f[..] {
            ["I", input, extras] => (live.input, live.extras) = (input, extras),
            ["H", sums] => live.sums = sums,
            ["C", check, n] => {
                if let Ok(n) = n.parse() {
                    live.findings.push((check.to_string(), n));
                }
            }
            ["O", path, size, mtime, sha] if site_path(path, false) => {
                match entry(path, size, mtime, sha) {
                    Some(e) => live.files.push((path, e.size, e.mtime_ns, e.ctime_ns)),
                    None => broken = true,
                }
            }
            ["D", path, mtime] if site_path(path, true) => match ns(mtime) {
                Some(t) => live.dirs.push((path, t)),
                None => broken = true,
            },
            ["Y", path, sha] => live.racy.push((path, sha)),
            _ => broken |= matches!(kind, Some(b'O' | b'D' | b'Y')),
        }
    }
    if broken {
        return Live::default();
    }
    live
}

/// Parses the cache's text. An unreadable scan or fingerprint line is
/// simply not cached; an unreadable file or folder line drops the whole
/// record of its site.
///
/// The spare site's files are written as they differ from the live
/// site's (most are the same files, hard-linked): a `P` line gives a spare
/// file whose record is not the live one's, an `R` line a live file the
/// spare does not hold; every other live file is the spare's too.
pub fn parse(text: &str) -> Cache {
    let mut cache = Cache::default();
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return cache;
    }
    let mut lines = lines.peekable();
    let mut spare_files = None;
    if let Some(n) = lines.peek().and_then(|l| l.strip_prefix("N\t")) {
        // The number of lines of each kind; only the spare's is used (the
        // others could size the maps, but the file may lie to make a
        // build reserve gigabytes).
        let n: Vec<usize> = n.split('\t').map(|n| n.parse().unwrap_or(0)).collect();
        if let [_, _, spare, _] = n[..] {
            spare_files = Some(spare);
        }
        lines.next();
    }
    // A file or folder line that cannot be read would leave that file or
    // folder out of its site's record, and a file the record does not name
    // could stay in a later version unlisted: then the live site's record
    // ([0]) or the spare's ([1]) is not used at all, as in [`live`]. The
    // spare's record is made from the live's: without it, it is unknown.
    let mut broken = [false; 2];
    let mut not_spare: Vec<&str> = Vec::new();
    for line in lines {
        let mut f = line.split('\t');
        let (Some(kind), Some(path)) = (f.next(), f.next()) else {
            broken[0] |= line.starts_with(['O', 'D']);
            broken[1] |= line.starts_with(['P', 'Q', 'R']);
            continue;
        };
        let (a, b, c) = (f.next(), f.next(), f.next());
        match (kind, a, b, c) {
            ("S", Some(size), Some(times), Some(sha)) => {
                if let Some(e) = scan_entry(size, times, sha) {
                    cache.scans.insert(PathBuf::from(path).into_os_string(), e);
                }
            }
            ("O" | "P", Some(size), Some(mtime), Some(sha)) if site_path(path, false) => {
                match entry(path, size, mtime, sha) {
                    Some(e) if kind == "O" => drop(cache.live.insert(path.to_string(), e)),
                    Some(e) => drop(cache.spare.insert(path.to_string(), e)),
                    None => broken[usize::from(kind == "P")] = true,
                }
            }
            ("D" | "Q", Some(mtime), None, None) if site_path(path, true) => match ns(mtime) {
                Some(t) if kind == "D" => drop(cache.live_dirs.insert(path.to_string(), t)),
                Some(t) => drop(cache.spare_dirs.insert(path.to_string(), t)),
                None => broken[usize::from(kind == "Q")] = true,
            },
            ("R", None, None, None) if site_path(path, false) => not_spare.push(path),
            ("O" | "D", ..) => broken[0] = true,
            ("P" | "Q" | "R", ..) => broken[1] = true,
            // `F path fingerprint [basis]`, `B path basis`.
            ("F" | "B", Some(h), basis, None) if site_path(path, false) => {
                let h = Hash16::from_hex(h);
                let made = match (kind, basis) {
                    ("F", None) => h.map(|f| (Some(f), None)),
                    ("F", Some(b)) => h.zip(Hash16::from_hex(b)).map(|(f, b)| (Some(f), Some(b))),
                    (_, None) => h.map(|b| (None, Some(b))),
                    _ => None,
                };
                // A path's fingerprint and basis may come on two lines
                // (as an earlier kura wrote them): each fills its own part.
                if let Some((fingerprint, basis)) = made {
                    let entry = cache.made.entry(path.to_string()).or_default();
                    entry.fingerprint = fingerprint.or(entry.fingerprint);
                    entry.basis = basis.or(entry.basis);
                }
            }
            ("H", None, None, None) => cache.live_sums = path.to_string(),
            _ => {}
        }
    }
    if broken[0] {
        cache.live.clear();
        cache.live_dirs.clear();
    }
    if broken[0] || broken[1] {
        cache.spare.clear();
        cache.spare_dirs.clear();
    } else if !cache.spare_dirs.is_empty() {
        let not_spare: foldhash::HashSet<&str> = not_spare.into_iter().collect();
        for (p, h) in &cache.live {
            if !not_spare.contains(p.as_str()) && !cache.spare.contains_key(p) {
                cache.spare.insert(p.clone(), h.clone());
            }
        }
        // A spare record that does not come to the count written is not
        // the one written: not used.
        if spare_files.is_some_and(|n| n != cache.spare.len()) {
            cache.spare.clear();
            cache.spare_dirs.clear();
        }
    }
    cache
}

/// What [`write`] writes: the cache of a site just published.
pub struct Contents<'a> {
    /// Input scans: path, stamp and hash.
    pub scans: &'a [(&'a Path, Stamp, &'a str)],
    /// Input scans whose stamps are not to be trusted next time: path
    /// under `scans/` and hash ([`Live::racy`]).
    pub racy: &'a [(&'a str, &'a str)],
    pub live: &'a [(String, CachedHash)],
    pub live_sums: &'a str,
    pub live_dirs: &'a HashMap<String, i128>,
    pub spare: &'a Record,
    pub spare_dirs: &'a HashMap<String, i128>,
    /// Sorted by path.
    pub made: &'a [(String, Made)],
    /// What [`Live::input`], [`Live::extras`] and [`Live::findings`] hold.
    pub input: &'a str,
    pub extras: &'a str,
    pub findings: &'a [(String, usize)],
}

/// Writes a line (or none) for each of `items` with `line`: made side by
/// side, a run of lines at a time, and written in order (formatting a
/// million lines is most of the cost of writing the cache).
fn lines<T: Sync>(
    out: &mut impl Write,
    items: &[T],
    line: impl Fn(&mut Vec<u8>, &T) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    // At most this many lines are held at once, in runs of `RUN`.
    const HELD: usize = 1 << 17;
    const RUN: usize = 1 << 13;
    for held in items.chunks(HELD) {
        let runs: Vec<std::io::Result<Vec<u8>>> = held
            .par_chunks(RUN)
            .map(|run| {
                let mut b = Vec::with_capacity(run.len() * 128);
                run.iter().try_for_each(|t| line(&mut b, t))?;
                Ok(b)
            })
            .collect();
        for run in runs {
            out.write_all(&run?)?;
        }
    }
    Ok(())
}

/// Writes the cache for the site just published at `dest` (atomically),
/// authenticated with `key` when given (see [`read_text`]).
pub fn write(dest: &Path, c: Contents<'_>, key: Option<&[u8; 32]>) -> std::io::Result<()> {
    use blake2::Digest;
    let path = path_for(dest);
    let tmp = path.with_extension("kura-cache-new");
    let mut out = Tee {
        out: std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?),
        mac: key.map(authenticator),
    };
    writeln!(out, "{HEADER}")?;
    let clean = |s: &str| !s.contains(['\t', '\n', '\r']);
    // The spare's files as they differ from the live's (see [`parse`]).
    let mut differ = Vec::new();
    let mut not_spare = Vec::new();
    let mut shared = 0;
    if !c.spare_dirs.is_empty() {
        for (p, h) in c.live {
            match c.spare.get(p) {
                Some(s) => {
                    shared += 1;
                    if s != h {
                        differ.push((p.as_str(), s));
                    }
                }
                None => not_spare.push(p.as_str()),
            }
        }
        if shared < c.spare.len() {
            let live: foldhash::HashSet<&str> = c.live.iter().map(|(p, _)| p.as_str()).collect();
            differ.extend(
                c.spare
                    .iter()
                    .filter(|(p, _)| !live.contains(p.as_str()))
                    .map(|(p, h)| (p.as_str(), h)),
            );
        }
    }
    writeln!(
        out,
        "N\t{}\t{}\t{}\t{}",
        c.scans.len(),
        c.live.len(),
        c.spare.len(),
        c.made.len()
    )?;
    lines(&mut out, c.scans, |b, &(p, st, sha)| {
        let p = p.to_string_lossy();
        if clean(&p) {
            writeln!(
                b,
                "S\t{p}\t{}\t{}/{}/{}/{}\t{sha}",
                st.size,
                Ns(st.mtime_ns),
                Ns(st.ctime_ns),
                st.ino,
                st.dev
            )?;
        }
        Ok(())
    })?;
    // A racy scan whose path cannot be written on a line leaves the next
    // build nothing to check it by: then the input is not recorded (no `I`
    // line) and the next build is a full one.
    let racy_described = c.racy.iter().all(|(p, _)| clean(p));
    for (p, sha) in c.racy.iter().filter(|(p, _)| clean(p)) {
        writeln!(out, "Y\t{p}\t{sha}")?;
    }
    // A live file or folder whose path cannot be written on a line would be
    // left unchecked by the next build: then the live site is not described
    // at all (no `H` line), and the next build checks it whole.
    let describable = c.live.iter().all(|(p, _)| clean(p)) && c.live_dirs.keys().all(|d| clean(d));
    if describable {
        writeln!(out, "H\t{}", c.live_sums)?;
    }
    if !c.input.is_empty() && racy_described {
        writeln!(out, "I\t{}\t{}", c.input, c.extras)?;
    }
    for (check, n) in c.findings {
        if clean(check) {
            writeln!(out, "C\t{check}\t{n}")?;
        }
    }
    let file = |b: &mut Vec<u8>, kind: &str, p: &str, h: &CachedHash| {
        if !clean(p) {
            return Ok(());
        }
        write!(
            b,
            "{kind}\t{p}\t{}\t{}/{}\t",
            h.size, h.mtime_ns, h.ctime_ns
        )?;
        if named(p, &h.sha256) {
            writeln!(b, "=")
        } else {
            writeln!(b, "{}", h.sha256)
        }
    };
    lines(&mut out, c.live, |b, (p, h)| file(b, "O", p, h))?;
    lines(&mut out, &differ, |b, &(p, h)| file(b, "P", p, h))?;
    for p in not_spare {
        if clean(p) {
            writeln!(out, "R\t{p}")?;
        }
    }
    for (kind, dirs) in [("D", c.live_dirs), ("Q", c.spare_dirs)] {
        for (d, t) in dirs {
            if clean(d) {
                writeln!(out, "{kind}\t{d}\t{}", Ns(*t))?;
            }
        }
    }
    lines(&mut out, c.made, |b, (p, made)| {
        if clean(p) {
            match (made.fingerprint, made.basis) {
                (Some(f), Some(basis)) => writeln!(b, "F\t{p}\t{f}\t{basis}")?,
                (Some(f), None) => writeln!(b, "F\t{p}\t{f}")?,
                (None, Some(basis)) => writeln!(b, "B\t{p}\t{basis}")?,
                (None, None) => {}
            }
        }
        Ok(())
    })?;
    if let Some(mac) = out.mac.take() {
        writeln!(out.out, "M\t{}", crate::digest::hex(&mac.finalize()))?;
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&tmp, &path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldhash::HashMapExt;

    const SHA: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    static NO_FILES: std::sync::LazyLock<Record> = std::sync::LazyLock::new(Record::default);
    static NO_DIRS: std::sync::LazyLock<HashMap<String, i128>> =
        std::sync::LazyLock::new(HashMap::new);

    /// What a build with only `live` files (sums "abc", no folders, spare,
    /// scans or fingerprints) and input digest `input` writes: each test
    /// changes what it is about.
    fn only_live<'a>(live: &'a [(String, CachedHash)], input: &'a str) -> Contents<'a> {
        Contents {
            scans: &[],
            racy: &[],
            live,
            live_sums: "abc",
            live_dirs: &NO_DIRS,
            spare: &NO_FILES,
            spare_dirs: &NO_DIRS,
            made: &[],
            input,
            extras: "",
            findings: &[],
        }
    }

    #[test]
    fn a_time_past_2262_keeps_its_file_checked() {
        // Written by a kura whose records were 128-bit: the file is still
        // listed, with a time no file matches.
        let text = format!(
            "{HEADER}\nH\tabc\nO\ta.html\t5\t32503680000000000000/1\t{SHA}\nO\tb.html\t5\t1/2\t{SHA}\n"
        );
        let live = live(&text);
        assert_eq!(live.sums, "abc");
        assert_eq!(live.files[0], ("a.html", 5, crate::fsx::NO_TIME, 1));
        assert_eq!(live.files[1], ("b.html", 5, 1, 2));
        let cache = parse(&text);
        assert_eq!(cache.live["a.html"].mtime_ns, crate::fsx::NO_TIME);
    }

    #[test]
    fn a_file_line_that_cannot_be_read_makes_the_live_site_unknown() {
        for bad in [
            format!("O\ta.html\t5\tx/1\t{SHA}"),
            format!("O\ta.html\t5\t1/1\t{}", SHA.to_uppercase()),
            format!("O\t../a.html\t5\t1/1\t{SHA}"),
            "O\ta.html\t5".to_string(),
            "D\tareas\tsoon".to_string(),
        ] {
            let text = format!("{HEADER}\nI\tdigest\t\nH\tabc\n{bad}\nO\tb.html\t5\t1/2\t{SHA}\n");
            let live = live(&text);
            assert!(live.sums.is_empty() && live.input.is_empty(), "{bad}");
            assert!(live.files.is_empty(), "{bad}");
        }
    }

    #[test]
    fn a_record_line_that_cannot_be_read_drops_its_sites_record() {
        // The spare holds b.html and not the live site's a.html.
        let good = format!(
            "O\ta.html\t5\t1/2\t{SHA}\nD\tareas\t3\nP\tb.html\t5\t1/2\t{SHA}\nQ\tareas\t4\nR\ta.html\n"
        );
        let cache = parse(&format!("{HEADER}\n{good}"));
        assert_eq!((cache.live.len(), cache.live_dirs.len()), (1, 1));
        assert_eq!((cache.spare.len(), cache.spare_dirs.len()), (1, 1));
        for (bad, live_kept) in [
            (format!("P\tc.html\t5\tx/2\t{SHA}"), true),
            ("Q\tareas/x\tsoon".to_string(), true),
            ("P".to_string(), true),
            ("R\ta.html\tx".to_string(), true),
            ("R\t../a.html".to_string(), true),
            (format!("O\t../c.html\t5\t1/2\t{SHA}"), false),
            ("D\tx\t1\textra".to_string(), false),
        ] {
            let cache = parse(&format!("{HEADER}\n{good}{bad}\n"));
            assert_eq!(!cache.live.is_empty(), live_kept, "{bad}");
            assert_eq!(!cache.live_dirs.is_empty(), live_kept, "{bad}");
            // The spare's record is made from the live's: it goes with it.
            assert!(cache.spare.is_empty(), "{bad}");
            assert!(cache.spare_dirs.is_empty(), "{bad}");
        }
    }

    #[test]
    fn the_spare_is_written_as_it_differs_from_the_live_site_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("site");
        let sha = crate::digest::Hash32::of(b"scan");
        let entry = |size, sha256| CachedHash {
            size,
            mtime_ns: 1,
            ctime_ns: 2,
            sha256,
        };
        let scan = format!("scans/{sha}.png");
        let other = crate::digest::Hash32::of(b"other");
        let live = vec![
            (scan.clone(), entry(4, sha)),
            ("index.html".to_string(), entry(5, other)),
            ("changed.html".to_string(), entry(6, other)),
            ("gone.html".to_string(), entry(7, other)),
        ];
        let spare: Record = [
            (scan.clone(), entry(4, sha)),
            ("index.html".to_string(), entry(5, other)),
            ("changed.html".to_string(), entry(8, other)),
            ("new.html".to_string(), entry(9, sha)),
        ]
        .into_iter()
        .collect();
        let dirs: HashMap<String, i128> = [(String::new(), 3)].into_iter().collect();
        let contents = Contents {
            live_dirs: &dirs,
            spare: &spare,
            spare_dirs: &dirs,
            ..only_live(&live, "")
        };
        write(&dest, contents, None).unwrap();
        let text = read_text(&dest, None);
        // The scan's hash is its name; only what differs is on P and R lines.
        assert!(text.contains(&format!("O\t{scan}\t4\t1/2\t=\n")), "{text}");
        assert_eq!(text.matches("\nP\t").count(), 2, "{text}");
        assert!(text.contains("\nR\tgone.html\n"), "{text}");
        let cache = parse(&text);
        assert_eq!(cache.live, live.into_iter().collect::<Record>());
        assert_eq!(cache.spare, spare);
        // A count that does not match is not the record written.
        let wrong = text.replace("\nN\t0\t4\t4\t0\n", "\nN\t0\t4\t5\t0\n");
        assert_ne!(wrong, text);
        let cache = parse(&wrong);
        assert!(cache.spare.is_empty() && !cache.live.is_empty());
        // Counts that claim the moon reserve nothing, however long the file.
        let huge = text.replace(
            "\nN\t0\t4\t4\t0\n",
            &format!(
                "\nN\t{0}\t{0}\t4\t{0}\n{1}\n",
                u64::MAX,
                "Z".repeat(100_000)
            ),
        );
        assert_ne!(huge, text);
        let cache = parse(&huge);
        assert_eq!(cache.spare, spare);
        assert!(cache.scans.capacity() < 1000 && cache.live.capacity() < 1000);
        assert!(cache.made.capacity() < 1000);
    }

    #[test]
    fn a_pages_fingerprint_and_basis_are_read_from_one_line_or_two() {
        let (f, b) = (
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        );
        let made = Made {
            fingerprint: Hash16::from_hex(f),
            basis: Hash16::from_hex(b),
        };
        let one = format!("{HEADER}\nF\ta.html\t{f}\t{b}\nB\tdata/x.csv\t{b}\n");
        let cache = parse(&one);
        assert_eq!(cache.made["a.html"], made);
        assert_eq!(cache.made["data/x.csv"].basis, made.basis);
        assert_eq!(cache.made["data/x.csv"].fingerprint, None);
        // As an earlier kura wrote them: the later line does not undo the first.
        let two = format!("{HEADER}\nF\ta.html\t{f}\nB\ta.html\t{b}\n");
        assert_eq!(parse(&two).made["a.html"], made);
        // What cannot be read is not cached, and a path leading out is not.
        let bad = format!("{HEADER}\nF\ta.html\t{f}\tzz\nB\t../x\t{b}\nF\tb\t{f}\t{b}\textra\n");
        assert!(parse(&bad).made.is_empty());
        // Written and read back.
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("site");
        let list = vec![
            ("a.html".to_string(), made),
            (
                "data/x.csv".to_string(),
                Made {
                    fingerprint: None,
                    basis: made.basis,
                },
            ),
            (
                "z.html".to_string(),
                Made {
                    fingerprint: made.fingerprint,
                    basis: None,
                },
            ),
        ];
        let mut c = only_live(&[], "");
        c.made = &list;
        write(&dest, c, None).unwrap();
        let back = parse(&read_text(&dest, None));
        let mut back: Vec<(String, Made)> = back.made.into_iter().collect();
        back.sort();
        assert_eq!(back, list);
    }

    #[test]
    fn a_live_path_that_cannot_be_written_leaves_the_live_site_undescribed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("site");
        let entry = CachedHash {
            size: 5,
            mtime_ns: 1,
            ctime_ns: 2,
            sha256: crate::digest::Hash32::from_hex(SHA).unwrap(),
        };
        for (name, described) in [("a.html", true), ("a\tb.html", false)] {
            let files = vec![(name.to_string(), entry.clone())];
            let contents = only_live(&files, "digest");
            write(&dest, contents, None).unwrap();
            let text = read_text(&dest, None);
            assert_eq!(live(&text).sums == "abc", described, "{name}");
        }
    }

    #[test]
    fn racy_scans_are_named_not_cached_and_need_a_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("site");
        let stamp = Stamp {
            size: 3,
            mtime_ns: 1,
            ctime_ns: 2,
            ino: 4,
            dev: 5,
        };
        let steady = [(Path::new("/in/scans/a.png"), stamp, SHA)];
        for (racy, described) in [("b.png", true), ("b\tc.png", false)] {
            let contents = Contents {
                scans: &steady,
                racy: &[(racy, SHA)],
                ..only_live(&[], "digest")
            };
            write(&dest, contents, None).unwrap();
            let text = read_text(&dest, None);
            // The steady scan is cached by its stamp; the racy one is only
            // named, with the hash its content must still have.
            let cache = parse(&text);
            assert_eq!(cache.scans.len(), 1, "{text}");
            // Its whole stamp, its file system's device with it.
            assert_eq!(
                cache.scans[std::ffi::OsStr::new("/in/scans/a.png")].stamp,
                stamp
            );
            let live = live(&text);
            if described {
                assert_eq!(live.racy, vec![("b.png", SHA)]);
                assert_eq!(live.input, "digest");
            } else {
                // Nothing to check it by: the input is not recorded.
                assert!(live.racy.is_empty() && live.input.is_empty(), "{text}");
            }
        }
        // A racy line that cannot be read drops what the cache says of the
        // live site.
        let text = read_text(&dest, None).replace("H\tabc\n", "H\tabc\nY\tonly-a-path\n");
        assert!(live(&text).sums.is_empty());
    }
}
