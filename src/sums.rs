//! `SHA256SUMS`, the list every published site carries: how it is named,
//! written and parsed, and the version id (its SHA-256) that names a
//! version everywhere else (signatures, `versions.json`, the log).

/// Name of the checksum file at the site root.
pub const SUMS: &str = "SHA256SUMS";
/// Name of the signature of [`SUMS`].
pub const SUMS_SIG: &str = "SHA256SUMS.minisig";
/// Most bytes of `SHA256SUMS` a reader takes (about five million files).
pub const MAX_SUMS: u64 = 512 << 20;

/// The text of `SHA256SUMS` for these `(path, sha256)` files, in the order
/// given (the caller sorts by path): GNU coreutils form.
pub fn text<P: AsRef<str>, S: std::fmt::Display>(files: &[(P, S)]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(files.len() * 100);
    for (path, sha) in files {
        let _ = write!(out, "{sha}  ");
        out.push_str(path.as_ref());
        out.push('\n');
    }
    out
}

/// The version id: the SHA-256 of the `SHA256SUMS` bytes.
pub fn version_id(sums: impl AsRef<[u8]>) -> String {
    crate::digest::sha256_hex(sums)
}

/// Longest path a listed file may have, in bytes, and most folders deep:
/// far beyond any site kura builds, and what keeps reading a hostile list
/// linear in its size.
pub const MAX_PATH: usize = 1024;
pub const MAX_DEPTH: usize = 32;
/// Most unreadable lines reported: past them the list is not read further
/// (a hostile list of millions of bad lines costs neither memory nor a
/// screenful of output per line).
pub const MAX_BAD: usize = 100;

/// A path from SHA256SUMS that is safe to open under the copy's root.
pub fn safe_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= MAX_PATH
        && p.bytes().filter(|&b| b == b'/').count() < MAX_DEPTH
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// A line of `SHA256SUMS` that could not be read: its number and why.
pub type BadLine = (usize, String);

/// Parses `SHA256SUMS`: `(sha256, path)` per line, and the lines it could
/// not read (at most [`MAX_BAD`], then one saying the rest was not read).
pub fn parse(text: &str) -> (Vec<(String, String)>, Vec<BadLine>) {
    let mut entries = Vec::new();
    let mut troubles = Vec::new();
    // Each path once, and no path also a folder of another: a copy could
    // not hold both, and a mirror would trip over them.
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut folders: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut line_of = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        if troubles.len() == MAX_BAD {
            troubles.push((
                i + 1,
                format!("more than {MAX_BAD} bad lines: not read further"),
            ));
            break;
        }
        let parsed = line.split_once(' ').and_then(|(sha, rest)| {
            let path = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
            (sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit()))
                .then(|| (sha.to_ascii_lowercase(), path))
        });
        match parsed {
            Some((_, path)) if safe_path(path) && !seen.insert(path) => {
                troubles.push((i + 1, format!("'{path}' is listed twice")))
            }
            Some((sha, path)) if safe_path(path) => {
                // Longest folder first: once one is known, so are those above it.
                for (j, _) in path.rmatch_indices('/') {
                    if !folders.insert(&path[..j]) {
                        break;
                    }
                }
                line_of.push(i + 1);
                entries.push((sha, path.to_string()))
            }
            Some((_, path)) if path.len() > MAX_PATH => troubles.push((
                i + 1,
                format!("a path of {} bytes (at most {MAX_PATH})", path.len()),
            )),
            Some((_, path)) if path.bytes().filter(|&b| b == b'/').count() >= MAX_DEPTH => troubles
                .push((
                    i + 1,
                    format!("'{path}' is more than {MAX_DEPTH} folders deep"),
                )),
            Some((_, path)) => troubles.push((i + 1, format!("unsafe path '{path}'"))),
            None => troubles.push((i + 1, "not of the form '<sha256>  <path>'".into())),
        }
    }
    if entries.iter().any(|(_, p)| folders.contains(p.as_str())) {
        for ((_, p), &n) in entries.iter().zip(&line_of) {
            if folders.contains(p.as_str()) {
                troubles.push((
                    n,
                    format!("'{p}' is listed as a file and is also a folder of listed files"),
                ));
            }
        }
        entries.retain(|(_, p)| !folders.contains(p.as_str()));
    }
    (entries, troubles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_text_parses_back() {
        let files = vec![
            ("a/b.html".to_string(), "ab".repeat(32)),
            ("c.csv".to_string(), "cd".repeat(32)),
        ];
        let t = text(&files);
        let (entries, bad) = parse(&t);
        assert!(bad.is_empty());
        let back: Vec<(String, String)> = entries.into_iter().map(|(s, p)| (p, s)).collect();
        assert_eq!(back, files);
        assert_eq!(version_id(&t), crate::digest::sha256_hex(t.as_bytes()));
    }

    #[test]
    fn a_hostile_list_is_cut_short() {
        let long = format!("{}  {}b\n", "0".repeat(64), "ab/".repeat(400));
        let (entries, bad) = parse(&long);
        assert!(entries.is_empty());
        assert!(bad[0].1.contains("a path of 1201 bytes"), "{bad:?}");
        let folders = format!("{}  {}b\n", "0".repeat(64), "a/".repeat(40));
        assert!(
            parse(&folders).1[0]
                .1
                .contains("is more than 32 folders deep")
        );
        let junk = format!("{}  kept\n{}", "0".repeat(64), "x\n".repeat(1_000_000));
        let (entries, bad) = parse(&junk);
        assert_eq!(entries.len(), 1, "lines read before are kept");
        assert_eq!(bad.len(), MAX_BAD + 1);
        assert!(bad[MAX_BAD].1.contains("not read further"));
    }
}
