//! What a build remembers for the next one, kept beside the output folder
//! (never inside it: the published site is exactly the files listed in
//! SHA256SUMS): the hashes of input scans, and the size, modification time
//! and hash of every file it wrote. With them a rebuild hashes only the
//! scans that changed and reuses, by hard link, every published file whose
//! bytes did not change.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::load::scans::{CachedHash, HashCache};

const HEADER: &str = "kura-cache 1";

/// The cache of the site at `dest`.
#[derive(Default)]
pub struct Cache {
    /// Input scans by their (canonical) path.
    pub scans: HashCache,
    /// Files of the published site by site-relative path.
    pub outputs: HashMap<String, CachedHash>,
}

/// `<parent>/.<name>.kura-cache`, beside the output folder.
pub fn path_for(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    dest.with_file_name(format!(".{name}.kura-cache"))
}

/// Reads the cache; anything unreadable is simply not cached.
pub fn read(dest: &Path) -> Cache {
    let mut cache = Cache::default();
    let Ok(text) = std::fs::read_to_string(path_for(dest)) else {
        return cache;
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return cache;
    }
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let [kind, path, size, mtime, sha] = f[..] else {
            continue;
        };
        let (Ok(size), Ok(mtime_ns)) = (size.parse(), mtime.parse()) else {
            continue;
        };
        if sha.len() != 64 {
            continue;
        }
        let entry = CachedHash {
            size,
            mtime_ns,
            sha256: sha.to_string(),
        };
        match kind {
            "S" => {
                cache.scans.insert(PathBuf::from(path), entry);
            }
            "O" => {
                cache.outputs.insert(path.to_string(), entry);
            }
            _ => {}
        }
    }
    cache
}

/// Writes the cache for the site just published at `dest` (atomically).
pub fn write<'a>(
    dest: &Path,
    scans: impl Iterator<Item = (&'a Path, &'a CachedHash)>,
    outputs: &[(String, CachedHash)],
) -> std::io::Result<()> {
    let path = path_for(dest);
    let tmp = path.with_extension("kura-cache-new");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    writeln!(out, "{HEADER}")?;
    let clean = |s: &str| !s.contains(['\t', '\n', '\r']);
    for (p, h) in scans {
        let p = p.to_string_lossy();
        if clean(&p) {
            writeln!(out, "S\t{p}\t{}\t{}\t{}", h.size, h.mtime_ns, h.sha256)?;
        }
    }
    for (p, h) in outputs {
        if clean(p) {
            writeln!(out, "O\t{p}\t{}\t{}\t{}", h.size, h.mtime_ns, h.sha256)?;
        }
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&tmp, &path)
}
