//! SHA-256 as kura publishes it: lower-case hexadecimal.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// The SHA-256 of `bytes`, in hexadecimal.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(bytes.as_ref()))
}

/// The SHA-256 of everything `reader` yields, in hexadecimal, read in
/// 256 KiB blocks.
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The SHA-256 of a file, in hexadecimal.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_reader(std::fs::File::open(path)?)
}

/// A SHA-256 kept as its 32 bytes rather than 64 hexadecimal characters
/// in a string of its own: the record of every file a build wrote holds
/// two million of them at a million stations. Shown (`{}`) in lower-case
/// hexadecimal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    pub fn of(bytes: impl AsRef<[u8]>) -> Hash32 {
        Hash32(Sha256::digest(bytes.as_ref()).into())
    }

    /// From 64 lower-case hexadecimal digits (`None` for anything else).
    pub fn from_hex(s: &str) -> Option<Hash32> {
        let s = s.as_bytes();
        if s.len() != 64 {
            return None;
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
            *o = (digit(pair[0])? << 4) | digit(pair[1])?;
        }
        Some(Hash32(out))
    }
}

impl std::fmt::Display for Hash32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Hash32 {
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
    }
}
