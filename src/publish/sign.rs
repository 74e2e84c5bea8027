//! Keys and signatures in minisign's format, so that `minisign -Vm
//! SHA256SUMS -p KEY.pub` checks a site and keys made by `minisign -G -W`
//! sign with kura.
//!
//! Signatures are plain RFC 8032 Ed25519, which is deterministic: the same
//! `SHA256SUMS` and trusted comment give the same signature file, so a
//! rebuild is byte-identical, signature included. (minisign itself mixes
//! random noise into each signature; both verify the same way.)

use std::path::Path;

use blake2::Digest;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};

use crate::error::{Error, Result};

const SIG_ALG: &[u8; 2] = b"Ed";
const SIG_ALG_PREHASHED: &[u8; 2] = b"ED";
const KDF_NONE: [u8; 2] = [0, 0];
const CHK_ALG: &[u8; 2] = b"B2";

/// A secret key, unencrypted so that unattended builds can sign.
pub struct SecretKey {
    keynum: [u8; 8],
    key: SigningKey,
}

/// A public key.
pub struct PublicKey {
    keynum: [u8; 8],
    key: VerifyingKey,
}

impl SecretKey {
    /// A key for authenticating what kura keeps beside a site it signs
    /// (the build cache): BLAKE2b-256 of a label and the secret seed, so
    /// that no one without the secret key can forge it.
    pub fn cache_key(&self) -> [u8; 32] {
        let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
        h.update(b"kura build cache key 1\0");
        h.update(self.key.to_bytes());
        h.finalize().into()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            keynum: self.keynum,
            key: self.key.verifying_key(),
        }
    }
}

/// Whether a `.minisig` file claims to be made by `pk` (its key id), true
/// or not: the signature itself is checked by [`verify`].
pub fn claims_key(minisig: &str, pk: &PublicKey) -> bool {
    minisig
        .lines()
        .nth(1)
        .and_then(|l| base64::decode(l.trim()))
        .is_some_and(|sig| sig.len() == 74 && sig[2..10] == pk.keynum)
}

impl PublicKey {
    /// The key id as minisign prints it.
    pub fn id(&self) -> String {
        key_id(&self.keynum)
    }

    /// The key id and the key's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = self.keynum.to_vec();
        b.extend_from_slice(self.key.as_bytes());
        b
    }

    /// Whether both are the same Ed25519 key, whatever their key ids.
    pub fn same_key(&self, other: &PublicKey) -> bool {
        self.key == other.key
    }
}

fn key_id(keynum: &[u8; 8]) -> String {
    format!("{:016X}", u64::from_le_bytes(*keynum))
}

/// A new key pair: (public key file text, secret key file text).
pub fn keygen() -> Result<(String, String)> {
    let mut seed = [0u8; 32];
    let mut keynum = [0u8; 8];
    getrandom::fill(&mut seed)
        .map_err(|e| Error::Other(format!("no randomness for a key: {e}")))?;
    getrandom::fill(&mut keynum)
        .map_err(|e| Error::Other(format!("no randomness for a key: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    let public = key.verifying_key().to_bytes();
    let mut sk = [0u8; 64];
    sk[..32].copy_from_slice(&seed);
    sk[32..].copy_from_slice(&public);
    let mut raw = Vec::with_capacity(158);
    raw.extend_from_slice(SIG_ALG);
    raw.extend_from_slice(&KDF_NONE);
    raw.extend_from_slice(CHK_ALG);
    raw.extend_from_slice(&[0u8; 32 + 8 + 8]); // salt, opslimit, memlimit: unused without a KDF
    raw.extend_from_slice(&keynum);
    raw.extend_from_slice(&sk);
    raw.extend_from_slice(&checksum(&keynum, &sk));
    let mut pk = Vec::with_capacity(42);
    pk.extend_from_slice(SIG_ALG);
    pk.extend_from_slice(&keynum);
    pk.extend_from_slice(&public);
    let id = key_id(&keynum);
    Ok((
        format!(
            "untrusted comment: minisign public key {id}\n{}\n",
            base64::encode(&pk)
        ),
        format!(
            "untrusted comment: minisign secret key {id} (unencrypted, made by kura)\n{}\n",
            base64::encode(&raw)
        ),
    ))
}

fn checksum(keynum: &[u8; 8], sk: &[u8; 64]) -> [u8; 32] {
    let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
    h.update(SIG_ALG);
    h.update(keynum);
    h.update(sk);
    h.finalize().into()
}

/// The base64 line of a key or signature file: the first line that is not
/// a comment. A bare base64 string is accepted too.
fn payload(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
}

/// Reads a secret key file written by `kura keygen` or `minisign -G -W`.
pub fn read_secret(path: &Path) -> Result<SecretKey> {
    let bad = |why: &str| {
        Error::Other(format!(
            "{}: not a usable minisign secret key: {why}",
            path.display()
        ))
    };
    let text = crate::fsx::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let raw = payload(&text)
        .and_then(base64::decode)
        .ok_or_else(|| bad("no base64 key line"))?;
    if raw.len() != 158 || &raw[..2] != SIG_ALG {
        return Err(bad("wrong length or algorithm"));
    }
    if raw[2..4] != KDF_NONE {
        return Err(bad(
            "it is encrypted with a password; kura signs unattended, so make an unencrypted key \
             with `kura keygen` or `minisign -G -W`",
        ));
    }
    if &raw[4..6] != CHK_ALG {
        return Err(bad("unknown checksum algorithm"));
    }
    let mut keynum = [0u8; 8];
    keynum.copy_from_slice(&raw[54..62]);
    let mut sk = [0u8; 64];
    sk.copy_from_slice(&raw[62..126]);
    // `minisign -G -W` leaves the checksum of an unencrypted key zeroed.
    let stored = &raw[126..158];
    if stored.iter().any(|&b| b != 0) && checksum(&keynum, &sk)[..] != *stored {
        return Err(bad("its checksum does not match (damaged?)"));
    }
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&sk[..32]);
    let key = SigningKey::from_bytes(&seed);
    if key.verifying_key().to_bytes()[..] != sk[32..] {
        return Err(bad("its public half does not match its secret half"));
    }
    Ok(SecretKey { keynum, key })
}

/// Reads a public key file (or a bare base64 public key).
pub fn read_public(path: &Path) -> Result<PublicKey> {
    let text = crate::fsx::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_public(&text).map_err(|why| {
        Error::Other(format!(
            "{}: not a minisign public key: {why}",
            path.display()
        ))
    })
}

fn parse_public(text: &str) -> std::result::Result<PublicKey, String> {
    let raw = payload(text)
        .and_then(base64::decode)
        .ok_or("no base64 key line")?;
    if raw.len() != 42 || &raw[..2] != SIG_ALG {
        return Err("wrong length or algorithm".into());
    }
    let mut keynum = [0u8; 8];
    keynum.copy_from_slice(&raw[2..10]);
    let mut pk = [0u8; 32];
    pk.copy_from_slice(&raw[10..42]);
    let key = VerifyingKey::from_bytes(&pk).map_err(|e| e.to_string())?;
    Ok(PublicKey { keynum, key })
}

fn prehash(data: &[u8]) -> [u8; 64] {
    blake2::Blake2b512::digest(data).into()
}

/// Signs `data` (prehashed, as minisign does by default) and returns the
/// text of the `.minisig` file.
pub fn sign(sk: &SecretKey, data: &[u8], trusted_comment: &str) -> String {
    let signature = sk.key.sign(&prehash(data)).to_bytes();
    let mut sig_line = Vec::with_capacity(74);
    sig_line.extend_from_slice(SIG_ALG_PREHASHED);
    sig_line.extend_from_slice(&sk.keynum);
    sig_line.extend_from_slice(&signature);
    let mut global = signature.to_vec();
    global.extend_from_slice(trusted_comment.as_bytes());
    let global_sig = sk.key.sign(&global).to_bytes();
    format!(
        "untrusted comment: signature from kura secret key {}\n{}\ntrusted comment: {trusted_comment}\n{}\n",
        key_id(&sk.keynum),
        base64::encode(&sig_line),
        base64::encode(&global_sig)
    )
}

/// Checks a `.minisig` text over `data` with `pk`; returns the trusted comment.
pub fn verify(pk: &PublicKey, data: &[u8], minisig: &str) -> std::result::Result<String, String> {
    let mut lines = minisig.lines();
    let untrusted = lines.next().unwrap_or("");
    if !untrusted.starts_with("untrusted comment:") {
        return Err("not a minisign signature file".into());
    }
    let sig = lines
        .next()
        .and_then(|l| base64::decode(l.trim()))
        .ok_or("no signature line")?;
    let trusted = lines
        .next()
        .and_then(|l| l.strip_prefix("trusted comment: "))
        .ok_or("no trusted comment")?;
    let global = lines
        .next()
        .and_then(|l| base64::decode(l.trim()))
        .ok_or("no global signature")?;
    if sig.len() != 74 || global.len() != 64 {
        return Err("malformed signature".into());
    }
    if sig[2..10] != pk.keynum {
        let mut other = [0u8; 8];
        other.copy_from_slice(&sig[2..10]);
        return Err(format!(
            "signed by key {}, not by the given key {}",
            key_id(&other),
            pk.id()
        ));
    }
    let message: Vec<u8> = match &sig[..2] {
        b"ED" => prehash(data).to_vec(),
        b"Ed" => data.to_vec(),
        _ => return Err("unknown signature algorithm".into()),
    };
    let signature =
        ed25519_dalek::Signature::from_slice(&sig[10..74]).map_err(|e| e.to_string())?;
    pk.key
        .verify(&message, &signature)
        .map_err(|_| "the signature does not match the file".to_string())?;
    let mut signed = sig[10..74].to_vec();
    signed.extend_from_slice(trusted.as_bytes());
    let global = ed25519_dalek::Signature::from_slice(&global).map_err(|e| e.to_string())?;
    pk.key
        .verify(&signed, &global)
        .map_err(|_| "the trusted comment's signature does not match".to_string())?;
    Ok(trusted.to_string())
}

/// Writes a new key pair to `PREFIX.pub` and `PREFIX.key` (owner-only),
/// refusing to overwrite either.
pub fn write_keypair(prefix: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf, String)> {
    use std::io::Write;
    let name = prefix
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let public_path = prefix.with_file_name(format!("{name}.pub"));
    let secret_path = prefix.with_file_name(format!("{name}.key"));
    for p in [&public_path, &secret_path] {
        if p.exists() {
            return Err(Error::Other(format!(
                "{}: exists; kura never overwrites a key",
                p.display()
            )));
        }
    }
    let (public, secret) = keygen()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(&secret_path)
        .map_err(|e| Error::io(&secret_path, e))?;
    f.write_all(secret.as_bytes())
        .map_err(|e| Error::io(&secret_path, e))?;
    std::fs::write(&public_path, &public).map_err(|e| Error::io(&public_path, e))?;
    let id = parse_public(&public).map(|k| k.id()).unwrap_or_default();
    Ok((public_path, secret_path, id))
}

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    base64::encode(data)
}

/// Decodes standard base64 with padding; `None` if it is not.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    base64::decode(text)
}

/// Signed notes (C2SP `signed-note`), for the log's checkpoint: Ed25519
/// signatures by the same key that signs `SHA256SUMS`, under the key name
/// `kura-<minisign key id>`.
pub mod note {
    use super::{PublicKey, SecretKey};
    use ed25519_dalek::{Signer, Verifier};
    use sha2::Digest;

    /// Signature type of Ed25519 keys in signed notes.
    const ED25519: u8 = 0x01;

    /// The note key name of a kura key.
    pub fn name(pk: &PublicKey) -> String {
        format!("kura-{}", pk.id())
    }

    /// Signature type of timestamped co-signatures (C2SP `tlog-cosignature`).
    const COSIGNATURE: u8 = 0x04;

    /// The first four bytes of SHA-256(name || "\n" || type || key).
    fn typed_key_hash(name: &str, pk: &PublicKey, kind: u8) -> [u8; 4] {
        let mut h = sha2::Sha256::new();
        h.update(name.as_bytes());
        h.update(b"\n");
        h.update([kind]);
        h.update(pk.key.as_bytes());
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    fn key_hash(name: &str, pk: &PublicKey) -> [u8; 4] {
        typed_key_hash(name, pk, ED25519)
    }

    /// What a co-signature signs: the `cosignature/v1` header, the time and
    /// the checkpoint body.
    fn cosigned_message(time: u64, body: &str) -> Vec<u8> {
        format!("cosignature/v1\ntime {time}\n{body}").into_bytes()
    }

    /// A co-signature of a checkpoint `body` at `time` (seconds since the
    /// epoch): one signature line, `— <name> base64(key id || time || sig)`.
    pub fn cosign(sk: &SecretKey, body: &str, time: u64) -> String {
        let pk = sk.public();
        let name = name(&pk);
        let mut sig = typed_key_hash(&name, &pk, COSIGNATURE).to_vec();
        sig.extend_from_slice(&time.to_be_bytes());
        sig.extend_from_slice(&sk.key.sign(&cosigned_message(time, body)).to_bytes());
        format!("\u{2014} {name} {}\n", super::base64::encode(&sig))
    }

    /// Whether `line` is a co-signature line by `pk` (its name and key id),
    /// good or not.
    pub fn is_cosignature_by(line: &Line<'_>, pk: &PublicKey) -> bool {
        let name = name(pk);
        line.name == name && line.key_hash == typed_key_hash(&name, pk, COSIGNATURE)
    }

    /// The time of `pk`'s co-signature of `body` among `lines`: `Ok(None)`
    /// if there is none, `Err` if there is one and it does not verify.
    pub fn cosigned_at(
        pk: &PublicKey,
        body: &str,
        lines: &[Line<'_>],
    ) -> Result<Option<u64>, String> {
        let Some(line) = lines.iter().find(|l| is_cosignature_by(l, pk)) else {
            return Ok(None);
        };
        let name = line.name;
        if line.signature.len() != 8 + 64 {
            return Err(format!("the co-signature by {name} is not well formed"));
        }
        let time = u64::from_be_bytes(line.signature[..8].try_into().unwrap_or_default());
        let sig = ed25519_dalek::Signature::from_slice(&line.signature[8..])
            .map_err(|e| e.to_string())?;
        pk.key
            .verify(&cosigned_message(time, body), &sig)
            .map_err(|_| format!("the co-signature by {name} does not match"))?;
        Ok(Some(time))
    }

    /// The verifier key, `<name>+<key hash, 8 hex digits>+<base64(0x01 || key)>`,
    /// as Go's `golang.org/x/mod/sumdb/note` reads it.
    pub fn verifier_key(pk: &PublicKey) -> String {
        let name = name(pk);
        let mut key = vec![ED25519];
        key.extend_from_slice(pk.key.as_bytes());
        format!(
            "{name}+{}+{}",
            crate::digest::hex(&key_hash(&name, pk)),
            super::base64::encode(&key)
        )
    }

    /// The key of a verifier key [`verifier_key`] wrote, if it is one
    /// (its name, key hash and key agree).
    pub fn parse_verifier_key(text: &str) -> Option<PublicKey> {
        let mut parts = text.splitn(3, '+');
        let (name, hash, key) = (parts.next()?, parts.next()?, parts.next()?);
        let id = u64::from_str_radix(name.strip_prefix("kura-")?, 16).ok()?;
        let key = super::base64::decode(key)?;
        let (&ED25519, key) = key.split_first()? else {
            return None;
        };
        let pk = PublicKey {
            keynum: id.to_le_bytes(),
            key: ed25519_dalek::VerifyingKey::from_bytes(key.try_into().ok()?).ok()?,
        };
        (verifier_key(&pk) == text && hash.len() == 8).then_some(pk)
    }

    /// Signs `body` (ending in a newline): the note's text.
    pub fn sign(sk: &SecretKey, body: &str) -> String {
        let pk = sk.public();
        let name = name(&pk);
        let mut sig = key_hash(&name, &pk).to_vec();
        sig.extend_from_slice(&sk.key.sign(body.as_bytes()).to_bytes());
        format!("{body}\n\u{2014} {name} {}\n", super::base64::encode(&sig))
    }

    /// One signature line of a note.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Line<'a> {
        pub name: &'a str,
        pub key_hash: [u8; 4],
        pub signature: Vec<u8>,
    }

    impl Line<'_> {
        /// The line as it appears in a note, newline included.
        pub fn to_text(&self) -> String {
            let mut bytes = self.key_hash.to_vec();
            bytes.extend_from_slice(&self.signature);
            format!("\u{2014} {} {}\n", self.name, super::base64::encode(&bytes))
        }
    }

    /// A note's body and its signature lines.
    pub fn split(text: &str) -> Option<(&str, Vec<Line<'_>>)> {
        let at = text.rfind("\n\n")?;
        let (body, sigs) = (&text[..at + 1], &text[at + 2..]);
        Some((body, lines(sigs)?))
    }

    /// Signature lines (`— <name> <base64>`, each ending in a newline), as
    /// in a note or a file of co-signatures; `None` if any line is not one.
    pub fn lines(text: &str) -> Option<Vec<Line<'_>>> {
        let mut out = Vec::new();
        for line in text.strip_suffix('\n')?.split('\n') {
            let rest = line.strip_prefix("\u{2014} ")?;
            let (name, b64) = rest.split_once(' ')?;
            if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
                return None;
            }
            let bytes = super::base64::decode(b64)?;
            if bytes.len() < 5 {
                return None;
            }
            out.push(Line {
                name,
                key_hash: [bytes[0], bytes[1], bytes[2], bytes[3]],
                signature: bytes[4..].to_vec(),
            });
        }
        Some(out)
    }

    /// Checks that `text` is a note signed by `pk`; returns its body.
    pub fn open<'a>(pk: &PublicKey, text: &'a str) -> Result<&'a str, String> {
        let (body, sigs) = split(text).ok_or("not a signed note")?;
        let name = name(pk);
        let hash = key_hash(&name, pk);
        let Some(line) = sigs.iter().find(|l| l.name == name && l.key_hash == hash) else {
            return Err(format!("no signature by {name}"));
        };
        let sig =
            ed25519_dalek::Signature::from_slice(&line.signature).map_err(|e| e.to_string())?;
        pk.key
            .verify(body.as_bytes(), &sig)
            .map_err(|_| format!("the signature by {name} does not match"))?;
        Ok(body)
    }
}

/// Standard base64 with padding, as minisign writes it.
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let text = text.trim_end_matches('=');
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        let mut acc = 0u32;
        let mut bits = 0;
        for c in text.bytes() {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verifier_key_reads_back_and_nothing_else_does() {
        let sk = SecretKey {
            keynum: [7, 0, 0, 0, 0, 0, 0, 1],
            key: SigningKey::from_bytes(&[9; 32]),
        };
        let text = note::verifier_key(&sk.public());
        let pk = note::parse_verifier_key(&text).expect(&text);
        assert!(pk.same_key(&sk.public()) && pk.id() == sk.public().id());
        let (name, rest) = text.split_once('+').unwrap();
        for bad in [
            format!("{name}+00000000+{}", rest.split_once('+').unwrap().1),
            format!("kura-0000000000000001+{rest}"),
            format!("{name}+{rest}A"),
            "kura-XYZ+0+AA==".to_string(),
            String::new(),
        ] {
            assert!(note::parse_verifier_key(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn base64_round_trips() {
        for n in 0..10 {
            let data: Vec<u8> = (0..n)
                .map(|i: u8| i.wrapping_mul(37).wrapping_add(1))
                .collect();
            assert_eq!(base64::decode(&base64::encode(&data)).unwrap(), data);
        }
        assert_eq!(base64::encode(b"Ed"), "RWQ=");
    }

    #[test]
    fn sign_and_verify_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let (public, secret) = keygen().unwrap();
        std::fs::write(dir.path().join("k.key"), &secret).unwrap();
        let sk = read_secret(&dir.path().join("k.key")).unwrap();
        let pk = parse_public(&public).unwrap();
        let a = sign(&sk, b"hello", "version x");
        let b = sign(&sk, b"hello", "version x");
        assert_eq!(a, b);
        assert_eq!(verify(&pk, b"hello", &a).unwrap(), "version x");
        assert!(verify(&pk, b"hellO", &a).is_err());
        let forged = a.replace("version x", "version y");
        assert!(verify(&pk, b"hello", &forged).is_err());
    }
}
