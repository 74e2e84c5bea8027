//! Helpers shared by the integration tests: run the real binary, copy
//! fixtures, read what a build wrote.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of a fixture folder under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `kura` with `args` in `dir`, with a fixed SOURCE_DATE_EPOCH
/// unless `env` sets another, and `env` set.
pub fn kura_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kura"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the kura binary runs")
}

/// Runs `kura` with `args` in `dir`, with a fixed SOURCE_DATE_EPOCH.
pub fn kura_in(dir: &Path, args: &[&str]) -> Output {
    kura_with(dir, args, &[])
}

pub fn kura(args: &[&str]) -> Output {
    kura_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copies a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Writes `kura sample --stations N` into `<tmp>/in` and returns its path.
pub fn sample_input(tmp: &Path, stations: &str) -> PathBuf {
    let input = tmp.join("in");
    let out = kura(&[
        "sample",
        "-o",
        input.to_str().unwrap(),
        "--stations",
        stations,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    input
}

/// A temporary copy of a fixture, to change.
pub fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_tree(&fixture(name), &dir);
    (tmp, dir)
}

/// Every file under `root` with its bytes, keyed by relative path.
pub fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, std::fs::read(entry.path()).unwrap());
        }
    }
    out
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Builds `input` into `<tmp>/site` and returns the site's path.
pub fn build(input: &Path, tmp: &Path) -> PathBuf {
    let site = tmp.join("site");
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
    site
}

/// Every value of `attr="…"` in an HTML text.
pub fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let end = after.find('"').unwrap_or(after.len());
        out.push(&after[..end]);
        rest = &after[end..];
    }
    out
}

/// Checks every href and src of every HTML page under `site`: relative,
/// pointing at a file that exists, and at an id that exists for `#anchors`.
/// Returns the problems found.
pub fn broken_links(site: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let pages: Vec<PathBuf> = walkdir::WalkDir::new(site)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.into_path())
        .collect();
    let mut ids: BTreeMap<PathBuf, String> = BTreeMap::new();
    for page in &pages {
        let html = read(page);
        for (attr, url) in attr_values(&html, "href")
            .into_iter()
            .map(|u| ("href", u))
            .chain(attr_values(&html, "src").into_iter().map(|u| ("src", u)))
            .chain(attr_values(&html, "data").into_iter().map(|u| ("data", u)))
        {
            let url = url.replace("&amp;", "&");
            if url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("mailto:")
            {
                if attr != "href" {
                    problems.push(format!("{}: loads {url} from another host", page.display()));
                }
                continue;
            }
            if url.starts_with('/') {
                problems.push(format!("{}: absolute link {url}", page.display()));
                continue;
            }
            let (path, anchor) = match url.split_once('#') {
                Some((p, a)) => (p.to_string(), Some(a.to_string())),
                None => (url.clone(), None),
            };
            let target = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(&path)
            };
            let Ok(target) = target.canonicalize() else {
                problems.push(format!("{}: broken link {url}", page.display()));
                continue;
            };
            if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
                let text = ids.entry(target.clone()).or_insert_with(|| read(&target));
                if !text.contains(&format!("id=\"{anchor}\"")) {
                    problems.push(format!("{}: broken anchor {url}", page.display()));
                }
            }
        }
    }
    problems
}
