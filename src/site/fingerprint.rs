//! Fingerprints of pages: a hash of everything a page is made from, so that
//! a rebuild renders only the pages whose inputs changed. Station, area
//! and findings pages have one (all but a handful of a site's pages); the
//! A–Z lists, the changes pages, the feed and the like are always rendered.
//!
//! A fingerprint must change whenever the page's bytes could: it covers the
//! program itself (templates, strings and code are compiled in), the
//! site-wide settings, and the page's view — the very struct its template
//! renders, hashed through `#[derive(Hash)]` (charts and scans are in the
//! view as data, drawn only when the page is rendered). The incremental
//! tests compare rebuilds with fresh builds byte for byte.

use std::fmt::Write;
use std::hash::Hash;
use std::sync::OnceLock;

use sha2::Digest;

use super::Site;
use crate::digest::Hash16;

/// A [`std::fmt::Write`] that hashes what is written to it.
struct Hasher(sha2::Sha256);

impl Write for Hasher {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

impl Hasher {
    fn new(seed: &[u8]) -> Hasher {
        let mut h = Hasher(sha2::Sha256::new());
        h.0.update(seed);
        h
    }

    fn finish16(self) -> Hash16 {
        let mut out = [0u8; 16];
        out.copy_from_slice(&self.0.finalize()[..16]);
        crate::digest::Bytes(out)
    }
}

/// The SHA-256 of the running program: any change to kura, its templates
/// or its strings changes every fingerprint. When the program cannot be
/// read, a random value: nothing is then reused.
pub(crate) fn program() -> &'static [u8; 32] {
    static PROGRAM: OnceLock<[u8; 32]> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let bytes = std::env::current_exe().and_then(std::fs::read);
        match bytes {
            Ok(b) => sha2::Sha256::digest(&b).into(),
            Err(_) => {
                let mut r = [0u8; 32];
                let _ = getrandom::fill(&mut r);
                r
            }
        }
    })
}

/// What every page of one language of `site` is made from besides its own
/// data.
pub fn global(site: &Site<'_>) -> Vec<u8> {
    let mut h = Hasher::new(program());
    let el = site.el;
    let _ = write!(
        h,
        "{:?}",
        (
            &site.lang,
            &site.prefix,
            &site.languages,
            site.version,
            &site.css,
            &site.favicon,
            &site.js,
            &site.scan_js,
            &site.sha256_js,
            &site.t,
            &el.meta,
            &el.pages,
        )
    );
    h.0.finalize().to_vec()
}

/// The fingerprint of a page made from `view`: a hash of the [`global`]
/// one, the view's type and every field of the view — what the template
/// receives, so a field added to a view is covered without being listed
/// anywhere else. (What views share by reference, the strings of the
/// language, is in `global` and not hashed again: see [`Shared`].)
pub fn of<V: Hash>(global: &[u8], view: &V) -> Hash16 {
    let mut h = Hasher::new(global);
    h.0.update(std::any::type_name::<V>().as_bytes());
    view.hash(&mut h);
    h.finish16()
}

impl std::hash::Hasher for Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Unused: the fingerprint is the SHA-256 ([`Hasher::finish16`]).
    fn finish(&self) -> u64 {
        0
    }
}

/// A reference a view holds to what every page of the site shares (the
/// strings of its language), which [`global`] already covers: hashing it
/// again for each page would only cost time.
#[derive(Debug)]
pub struct Shared<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Hash for Shared<'_, T> {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

impl<T: ?Sized> std::ops::Deref for Shared<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
    }
}

impl<T: ?Sized> Clone for Shared<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Shared<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A station page's view before and after a field is added to it: the
    /// derived `Hash` takes the new field in, and the type name keeps two
    /// kinds of view apart, with nothing to list by hand anywhere else.
    #[derive(Hash)]
    struct Before<'a> {
        name: String,
        t: Shared<'a, str>,
    }

    #[derive(Hash)]
    struct After<'a> {
        name: String,
        t: Shared<'a, str>,
        turnout: String,
    }

    #[test]
    fn a_field_added_to_a_view_is_in_its_fingerprint() {
        let global = b"global";
        let before = Before {
            name: "Likoni".into(),
            t: Shared("strings"),
        };
        let after = |turnout: &str| After {
            name: "Likoni".into(),
            t: Shared("other strings: covered by global"),
            turnout: turnout.into(),
        };
        assert_ne!(of(global, &before), of(global, &after("")));
        assert_ne!(of(global, &after("61.2%")), of(global, &after("61.3%")));
        assert_eq!(of(global, &after("61.2%")), of(global, &after("61.2%")));
        assert_ne!(of(global, &before), of(b"another global", &before));
        // Field boundaries count: ("ab", "") is not ("a", "b").
        let split = |a: &str, b: &str| After {
            name: a.into(),
            t: Shared(""),
            turnout: b.into(),
        };
        assert_ne!(of(global, &split("ab", "")), of(global, &split("a", "b")));
    }
}
