//! The transparency log of versions: an append-only Merkle tree with RFC
//! 6962 hashing, served as static files laid out per C2SP `tlog-tiles`
//! (hash tiles `tile/<L>/<N>`, entry bundles `tile/entries/<N>`, partial
//! tiles `.p/<W>`), and its checkpoint, a C2SP `signed-note` whose body is
//! a C2SP `tlog-checkpoint` (origin, tree size, root hash).
//!
//! One entry per version, a short canonical text (see [`Entry`]). The log
//! is small — one entry per published version — so readers recompute the
//! whole tree from the entries rather than walking proofs: the root of the
//! first `n` entries is the consistency check, and the last entry naming
//! the version id is the inclusion check.

use sha2::{Digest, Sha256};

/// Hashes per tile (tile height 8).
pub const TILE: u64 = 256;

pub type Hash = [u8; 32];

/// RFC 6962 leaf hash: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 6962 Merkle tree hash of `leaves` (leaf hashes); SHA-256 of nothing
/// for an empty tree.
pub fn tree_hash(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            // The largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&tree_hash(&leaves[..k]), &tree_hash(&leaves[k..]))
        }
    }
}

/// A tile index as path elements: zero-padded groups of three digits, all
/// but the last prefixed with `x` (1234067 → `x001/x234/067`).
fn index_path(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// `tile/<level>/<N>`, with `.p/<width>` for a partial tile.
pub fn tile_path(level: &str, index: u64, width: u64) -> String {
    let partial = if width < TILE {
        format!(".p/{width}")
    } else {
        String::new()
    };
    format!("tile/{level}/{}{partial}", index_path(index))
}

/// Every file of a log holding `entries`, as (path under `log/`, bytes):
/// the entry bundles and the hash tiles of every level.
pub fn tiles(entries: &[Vec<u8>]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, chunk) in entries.chunks(TILE as usize).enumerate() {
        let mut bundle = Vec::new();
        for e in chunk {
            bundle.extend_from_slice(&(e.len() as u16).to_be_bytes());
            bundle.extend_from_slice(e);
        }
        out.push((tile_path("entries", i as u64, chunk.len() as u64), bundle));
    }
    // Level 0 holds the leaf hashes; level L+1 the roots of each full
    // 256-hash run of level L.
    let mut level: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let mut l = 0;
    while !level.is_empty() {
        for (i, chunk) in level.chunks(TILE as usize).enumerate() {
            let bytes: Vec<u8> = chunk.iter().flatten().copied().collect();
            out.push((
                tile_path(&l.to_string(), i as u64, chunk.len() as u64),
                bytes,
            ));
        }
        level = level.chunks_exact(TILE as usize).map(tree_hash).collect();
        l += 1;
    }
    out
}

/// Reads the entries of a bundle; `None` if it is not well formed.
pub fn parse_bundle(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return None;
        }
        let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        let body = rest.get(2..2 + n)?;
        out.push(body.to_vec());
        rest = &rest[2 + n..];
    }
    Some(out)
}

/// One version's entry in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub origin: String,
    /// 1 for the first version.
    pub seq: u64,
    pub version: String,
    pub published: String,
    pub previous: Option<String>,
}

impl Entry {
    /// The canonical text: five `key value` lines.
    pub fn to_text(&self) -> String {
        format!(
            "kura-version/v1\norigin {}\nseq {}\nversion {}\npublished {}\nprevious {}\n",
            self.origin,
            self.seq,
            self.version,
            self.published,
            self.previous.as_deref().unwrap_or("-")
        )
    }

    /// Parses [`Entry::to_text`]; `None` for anything else.
    pub fn parse(bytes: &[u8]) -> Option<Entry> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != "kura-version/v1" {
            return None;
        }
        let mut field = |key: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_string)
        };
        let origin = field("origin")?;
        let seq = field("seq")?.parse().ok()?;
        let version = field("version")?;
        let published = field("published")?;
        let previous = field("previous")?;
        let entry = Entry {
            origin,
            seq,
            version,
            published,
            previous: (previous != "-").then_some(previous),
        };
        // Canonical only: parsing and writing again gives the same bytes.
        (lines.next().is_none() && entry.to_text().as_bytes() == bytes).then_some(entry)
    }
}

/// A checkpoint body (C2SP `tlog-checkpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            crate::publish::sign::base64_encode(&self.root)
        )
    }

    /// Parses a checkpoint body (extension lines are allowed and ignored).
    pub fn parse(text: &str) -> Option<Checkpoint> {
        let mut lines = text.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty())?.to_string();
        let size = lines.next()?.parse().ok()?;
        let root = crate::publish::sign::base64_decode(lines.next()?)?;
        Some(Checkpoint {
            origin,
            size,
            root: root.try_into().ok()?,
        })
    }
}

/// Most versions a log may hold (a version every ten minutes for two and a
/// half years): bounds what a reader fetches and holds.
pub const MAX_SIZE: u64 = 1 << 17;

/// The log's origin for an election that has no log yet: the site's
/// address without its scheme when `base_url` is set (as C2SP advises),
/// else `kura/<date>/<title, simplified>`. Once a log exists its origin is
/// carried from version to version, whatever the configuration says.
pub fn origin_for(meta: &crate::model::Meta) -> String {
    if let Some(url) = &meta.base_url {
        let bare = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let bare = bare.trim_end_matches('/');
        if !bare.is_empty() && bare.chars().all(|c| c.is_ascii_graphic()) {
            return bare.to_string();
        }
    }
    let mut slug = String::new();
    for c in meta.title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    format!("kura/{}/{}", meta.date, slug.trim_end_matches('-'))
}

/// The text of `log/checkpoint`: the checkpoint body, then, when signed,
/// the publisher's note signature, its timestamped co-signature (what
/// `--max-age` reads) and the witnesses' co-signatures in `others`
/// (sorted; any by the publisher's own key name are dropped). Unsigned,
/// the file is the bare body.
pub fn checkpoint_text(
    body: &str,
    key: Option<&crate::publish::sign::SecretKey>,
    time: u64,
    others: &[crate::publish::sign::note::Line<'_>],
) -> String {
    use crate::publish::sign::note;
    let Some(key) = key else {
        return body.to_string();
    };
    let mut text = note::sign(key, body);
    text.push_str(&note::cosign(key, body, time));
    let own = note::name(&key.public());
    let mut lines: Vec<String> = others
        .iter()
        .filter(|l| l.name != own)
        .map(|l| l.to_text())
        .collect();
    lines.sort();
    lines.dedup();
    for l in lines {
        text.push_str(&l);
    }
    text
}

/// A log read from a copy and checked against itself.
#[derive(Debug, Clone)]
pub struct Log {
    /// `log/checkpoint` as published.
    pub note: String,
    pub checkpoint: Checkpoint,
    pub entries: Vec<Entry>,
    pub leaves: Vec<Hash>,
}

impl Log {
    /// The checkpoint body (what signatures sign).
    pub fn body(&self) -> &str {
        body_of(&self.note)
    }

    /// Whether this log extends (or is) the tree of `size` entries with
    /// `root`: the consistency check, done on the entries themselves.
    pub fn contains_tree(&self, size: u64, root: &Hash) -> bool {
        size as usize <= self.leaves.len() && &tree_hash(&self.leaves[..size as usize]) == root
    }
}

/// The body of a checkpoint file: the text before its signatures, or the
/// whole text when it has none.
pub fn body_of(note: &str) -> &str {
    match note.rfind("\n\n") {
        Some(at) => &note[..at + 1],
        None => note,
    }
}

/// Parses a checkpoint file's body, bounding its size; the error says why.
pub fn parse_checkpoint(note: &str) -> Result<Checkpoint, String> {
    let cp = Checkpoint::parse(body_of(note)).ok_or("log/checkpoint is not a checkpoint")?;
    if cp.origin.chars().any(char::is_control) || cp.origin.len() > 1000 {
        return Err("log/checkpoint: the origin is not one line of text".into());
    }
    if cp.size == 0 || cp.size > MAX_SIZE {
        return Err(format!(
            "log/checkpoint: a log of {} versions (1 to {MAX_SIZE} expected)",
            cp.size
        ));
    }
    Ok(cp)
}

/// The bundles (path, width) a log of `size` entries is read from.
pub fn bundle_paths(size: u64) -> Vec<(String, u64)> {
    (0..size.div_ceil(TILE))
        .map(|i| {
            let width = (size - i * TILE).min(TILE);
            (tile_path("entries", i, width), width)
        })
        .collect()
}

/// Checks the entries read from the bundles against the checkpoint: as
/// many as it counts, whose tree hash is its root, each well formed, of
/// its origin, numbered from 1 and each naming the one before.
pub fn check(note: String, checkpoint: Checkpoint, raw: Vec<Vec<u8>>) -> Result<Log, String> {
    if raw.len() as u64 != checkpoint.size {
        return Err(format!(
            "the log's bundles hold {} entries, its checkpoint counts {}",
            raw.len(),
            checkpoint.size
        ));
    }
    let leaves: Vec<Hash> = raw.iter().map(|e| leaf_hash(e)).collect();
    if tree_hash(&leaves) != checkpoint.root {
        return Err("the checkpoint's root hash is not that of the log's entries".into());
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(raw.len());
    let mut versions = std::collections::HashSet::new();
    for (i, bytes) in raw.iter().enumerate() {
        let n = i + 1;
        let e = Entry::parse(bytes).ok_or(format!("entry {n} is not a kura version entry"))?;
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if e.origin != checkpoint.origin {
            return Err(format!("entry {n} names another origin"));
        }
        if e.seq != n as u64 || !hex64(&e.version) {
            return Err(format!(
                "entry {n} is numbered {} or names no version id",
                e.seq
            ));
        }
        if !versions.insert(e.version.clone()) {
            return Err(format!(
                "entry {n} names version {} a second time",
                e.version
            ));
        }
        let before = entries.last().map(|p| p.version.as_str());
        if e.previous.as_deref() != before {
            return Err(format!(
                "entry {n} names {} as the version before it, not {}",
                e.previous.as_deref().unwrap_or("none"),
                before.unwrap_or("none")
            ));
        }
        entries.push(e);
    }
    Ok(Log {
        note,
        checkpoint,
        entries,
        leaves,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_tlog_tiles() {
        assert_eq!(tile_path("0", 1234067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path("0", 0, 3), "tile/0/000.p/3");
        assert_eq!(tile_path("entries", 1000, 256), "tile/entries/x001/000");
    }

    #[test]
    fn tree_hashes_match_rfc6962_shape() {
        let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        let left = node_hash(
            &node_hash(&leaves[0], &leaves[1]),
            &node_hash(&leaves[2], &leaves[3]),
        );
        assert_eq!(tree_hash(&leaves), node_hash(&left, &leaves[4]));
        // The empty tree's hash is SHA-256 of nothing.
        assert_eq!(
            crate::digest::hex(&tree_hash(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn entries_round_trip_and_bundles_parse() {
        let e = Entry {
            origin: "results.example.org/ke".into(),
            seq: 2,
            version: "ab".repeat(32),
            published: "2023-11-14T22:13:20Z".into(),
            previous: Some("cd".repeat(32)),
        };
        let text = e.to_text();
        assert_eq!(Entry::parse(text.as_bytes()), Some(e));
        assert_eq!(Entry::parse(b"kura-version/v1\norigin x\n"), None);
        let files = tiles(&[text.clone().into_bytes(), b"x".to_vec()]);
        assert_eq!(files[0].0, "tile/entries/000.p/2");
        assert_eq!(
            parse_bundle(&files[0].1),
            Some(vec![text.into_bytes(), b"x".to_vec()])
        );
        assert_eq!(files[1].0, "tile/0/000.p/2");
        assert_eq!(files.len(), 2);
    }
}
