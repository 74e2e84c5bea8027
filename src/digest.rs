//! SHA-256 as kura publishes it: lower-case hexadecimal.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    Hex(bytes).to_string()
}

/// Bytes shown (`{}`) in lower-case hexadecimal, 32 bytes at a time
/// through a buffer on the stack: `{:02x}` per byte costs several times as
/// much, and SHA256SUMS and the cache show a million hashes.
struct Hex<'a>(&'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 64];
        for chunk in self.0.chunks(32) {
            for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
                pair[0] = DIGITS[(b >> 4) as usize];
                pair[1] = DIGITS[(b & 15) as usize];
            }
            let text = std::str::from_utf8(&buf[..2 * chunk.len()]).map_err(|_| std::fmt::Error)?;
            f.write_str(text)?;
        }
        Ok(())
    }
}

/// The SHA-256 of `bytes`, in hexadecimal.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(bytes.as_ref()))
}

/// The SHA-256 of everything `reader` yields, in hexadecimal, read in
/// blocks of up to 256 KiB. The block is allocated, never zeroed: the
/// scans a build re-hashes are a few kilobytes each, and zeroing a
/// 256 KiB buffer for each of 58,000 of them cost more than their reading.
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<String> {
    const BLOCK: u64 = 256 << 10;
    let mut hasher = Sha256::new();
    let mut buf = Vec::with_capacity(BLOCK as usize);
    loop {
        buf.clear();
        // `read_to_end` retries an interrupted read and fills the block
        // without first writing zeros to it.
        if (&mut reader).take(BLOCK).read_to_end(&mut buf)? == 0 {
            break;
        }
        hasher.update(&buf);
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of a file, in hexadecimal.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_reader(std::fs::File::open(path)?)
}

/// A digest kept as its bytes rather than as hexadecimal in a string of
/// its own: the record of every file a build wrote holds two million
/// SHA-256 ([`Hash32`]) at a million stations, and the fingerprints of a
/// million pages ([`Hash16`]). Shown (`{}`) in lower-case hexadecimal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes<const N: usize>(pub [u8; N]);

/// A SHA-256.
pub type Hash32 = Bytes<32>;

/// The first 16 bytes of a SHA-256 (a page's fingerprint).
pub type Hash16 = Bytes<16>;

impl Hash32 {
    pub fn of(bytes: impl AsRef<[u8]>) -> Hash32 {
        Hash32::finish(Sha256::new_with_prefix(bytes))
    }

    /// The SHA-256 of everything `hasher` was given.
    pub fn finish(hasher: Sha256) -> Hash32 {
        Bytes(hasher.finalize().into())
    }
}

impl<const N: usize> Bytes<N> {
    /// From 2N lower-case hexadecimal digits (`None` for anything else).
    pub fn from_hex(s: &str) -> Option<Bytes<N>> {
        let s = s.as_bytes();
        if s.len() != 2 * N {
            return None;
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; N];
        for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
            *o = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Some(Bytes(out))
    }
}

impl<const N: usize> std::fmt::Display for Bytes<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Hex(&self.0).fmt(f)
    }
}

impl<const N: usize> std::fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_reader(&b"abc"[..]).unwrap(), sha256_hex("abc"));
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }

    #[test]
    fn a_hash_goes_to_hex_and_back() {
        let h = Hash32::of(b"abc");
        let hex = h.to_string();
        assert_eq!(hex, sha256_hex(b"abc"));
        assert_eq!(Hash32::from_hex(&hex), Some(h));
        assert_eq!(Hash32::from_hex(&hex.to_uppercase()), None);
        assert_eq!(Hash32::from_hex(&hex[..63]), None);
        assert_eq!(Hash32::from_hex(&format!("{}g", &hex[..63])), None);
        assert_eq!(Hash32::from_hex(&format!("{hex}00")), None);
        let short = Hash16::from_hex(&hex[..32]).unwrap();
        assert_eq!(short.0, h.0[..16]);
        assert_eq!(short.to_string(), hex[..32]);
        assert_eq!(Hash16::from_hex(&hex), None);
        assert_eq!(format!("{:?}", Bytes([0u8, 15, 255])), "000fff");
    }
}
