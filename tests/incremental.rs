//! Building again into an existing site reuses what did not change, and
//! gives exactly the bytes a fresh build of the same input gives.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::*;

fn build_into(input: &Path, site: &Path) {
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Changes the votes of every `step`-th station form of the sample.
fn change_votes(input: &Path, step: usize) -> usize {
    let results = read(&input.join("results.csv"));
    let mut changed = std::collections::BTreeSet::new();
    let mut out = String::new();
    for (i, line) in results.lines().enumerate() {
        let mut l = line.to_string();
        if i > 0 && i % step == 0 && line.starts_with("34A-") {
            let (rest, votes) = line.rsplit_once(',').unwrap();
            let v: u64 = votes.parse().unwrap();
            l = format!("{rest},{}", v + 1);
            changed.insert(rest.split(',').next().unwrap().to_string());
        }
        out.push_str(&l);
        out.push('\n');
    }
    std::fs::write(input.join("results.csv"), out).unwrap();
    changed.len()
}

#[test]
fn a_rebuild_after_changes_equals_a_fresh_build_and_reuses_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    assert!(
        kura(&["sample", "-o", input.to_str().unwrap(), "--stations", "500"])
            .status
            .success()
    );
    let site = tmp.path().join("site");
    build_into(&input, &site);
    assert!(
        tmp.path().join(".site.kura-cache").is_file(),
        "the cache lives beside the site"
    );
    let inodes: std::collections::BTreeMap<String, u64> = snapshot(&site)
        .into_keys()
        .map(|p| {
            let ino = std::fs::metadata(site.join(&p)).unwrap().ino();
            (p, ino)
        })
        .collect();

    // About 1 % of the forms change, and one scan is replaced.
    let n = change_votes(&input, 400);
    assert!(n > 0);
    let scan = std::fs::read_dir(input.join("scans/specimens"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&scan).unwrap();
    bytes.extend_from_slice(b"rescanned");
    std::fs::write(&scan, &bytes).unwrap();
    let forms = read(&input.join("forms.csv"));
    let name = format!("specimens/{}", scan.file_name().unwrap().to_string_lossy());
    let forms: String = forms
        .lines()
        .map(|l| {
            if l.contains(&format!(",{name},")) {
                let mut f: Vec<&str> = l.split(',').collect();
                f[4] = "";
                f.join(",") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(input.join("forms.csv"), forms).unwrap();

    build_into(&input, &site);
    let fresh = tmp.path().join("fresh");
    build_into(&input, &fresh);
    let (a, b) = (snapshot(&site), snapshot(&fresh));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let mut differ = Vec::new();
    for (p, bytes) in &a {
        if &b[p] != bytes {
            differ.push(p.clone());
        }
    }
    assert!(
        differ.is_empty(),
        "rebuild differs from a fresh build in {differ:?}"
    );

    // Unchanged files were linked, not rewritten: same inode as before.
    let mut reused = 0;
    let mut rewritten = 0;
    for (p, ino) in &inodes {
        if let Ok(m) = std::fs::metadata(site.join(p)) {
            if m.ino() == *ino {
                reused += 1;
            } else {
                rewritten += 1;
            }
        }
    }
    assert!(
        reused > inodes.len() * 8 / 10,
        "only {reused} of {} files reused",
        inodes.len()
    );
    assert!(rewritten > 0);
    assert_eq!(
        kura(&["verify", site.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn a_file_altered_in_the_published_site_is_not_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    build_into(&fixture("awkward"), &site);
    std::fs::write(site.join("areas/S1.html"), "defaced").unwrap();
    let scan = std::fs::read_dir(site.join("scans"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&scan, "defaced").unwrap();
    build_into(&fixture("awkward"), &site);
    let out = kura(&["verify", site.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(read(&site.join("areas/S1.html")).contains("<!DOCTYPE html>"));
}
