//! Published hashes, signatures, mirror verification, reproducible and
//! atomic builds: what lets a mirror prove it holds exactly what was published.

use crate::common::*;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

fn build_signed(input: &Path, site: &Path, key: &Path, cwd: &Path, threads: &str) -> String {
    let out = kura_with(
        cwd,
        &[
            "build",
            input.to_str().unwrap(),
            "-o",
            site.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("RAYON_NUM_THREADS", threads)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let version = stdout(&out);
    version.trim().strip_prefix("version ").unwrap().to_string()
}

/// Whether an external tool is on the PATH; in CI it must be.
fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var("CI").is_err(),
        "{tool} must be installed in CI"
    );
    if !found {
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

#[test]
fn sha256sums_lists_every_other_file_and_sha256sum_accepts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = keygen(tmp.path());
    let site = tmp.path().join("site");
    let version = build_signed(&fixture("awkward"), &site, &key, tmp.path(), "2");
    let sums = read(&site.join("SHA256SUMS"));
    let listed: Vec<&str> = sums.lines().map(|l| &l[66..]).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "sorted by path");
    let files: Vec<String> = snapshot(&site)
        .into_keys()
        .filter(|p| p != "SHA256SUMS" && p != "SHA256SUMS.minisig" && !p.starts_with("log/"))
        .collect();
    assert_eq!(listed, files);
    // The log stands outside SHA256SUMS: its checkpoint and tiles.
    assert!(site.join("log/checkpoint").is_file());
    assert!(site.join("log/tile/entries/000.p/1").is_file());
    assert!(site.join("log/tile/0/000.p/1").is_file());
    // The version id is the SHA-256 of SHA256SUMS, and no listed file
    // holds it (the log does: its newest entry names it).
    let out = Command::new("sha256sum")
        .arg("SHA256SUMS")
        .current_dir(&site)
        .output()
        .unwrap();
    assert!(stdout(&out).starts_with(&version));
    for (path, bytes) in snapshot(&site) {
        if path != "SHA256SUMS.minisig" && !path.starts_with("log/") {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&version),
                "{path} holds the version id"
            );
        }
    }
    let out = Command::new("sha256sum")
        .args(["--strict", "-c", "SHA256SUMS"])
        .current_dir(&site)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(stdout(&out).lines().count(), files.len());
    // Scans are content-addressed.
    for p in listed.iter().filter(|p| p.starts_with("scans/")) {
        let name = p.trim_start_matches("scans/");
        let sha = &sums.lines().find(|l| l.ends_with(*p)).unwrap()[..64];
        assert!(name.starts_with(sha), "{p} is not named by its hash");
    }
}

#[test]
fn minisign_verifies_the_signature() {
    if !have("minisign") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    let site = tmp.path().join("site");
    let version = build_signed(&fixture("awkward"), &site, &key, tmp.path(), "2");
    let out = Command::new("minisign")
        .args(["-Vm", "SHA256SUMS", "-p", public.to_str().unwrap()])
        .current_dir(&site)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains(&format!(
        "Trusted comment: kura version {version} published 2023-11-14T22:13:20Z"
    )));
}

#[test]
fn a_key_made_by_minisign_signs_with_kura() {
    if !have("minisign") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("minisign")
        .args(["-G", "-W", "-p", "m.pub", "-s", "m.key"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let site = tmp.path().join("site");
    build_signed(
        &fixture("awkward"),
        &site,
        &tmp.path().join("m.key"),
        tmp.path(),
        "2",
    );
    let out = Command::new("minisign")
        .args(["-Vm", "SHA256SUMS", "-p", "../m.pub"])
        .current_dir(&site)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kura(&[
        "verify",
        site.to_str().unwrap(),
        "--key",
        tmp.path().join("m.pub").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn keygen_writes_an_owner_only_secret_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(read(&public).starts_with("untrusted comment: minisign public key "));
    let before = std::fs::read(&key).unwrap();
    let out = kura(&["keygen", "-o", tmp.path().join("key").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("never overwrites a key"));
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

#[test]
fn verify_accepts_an_intact_copy_and_names_every_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    let site = tmp.path().join("site");
    let version = build_signed(&fixture("awkward"), &site, &key, tmp.path(), "2");
    let verify = |site: &Path, key: Option<&Path>| {
        let mut args = vec!["verify".to_string(), site.to_str().unwrap().to_string()];
        if let Some(k) = key {
            args.extend(["--key".to_string(), k.to_str().unwrap().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        kura(&args)
    };
    let out = verify(&site, Some(&public));
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("version {version}")));
    assert!(stdout(&out).contains("signature: good"));

    // One page altered.
    let copy = tmp.path().join("altered");
    copy_tree(&site, &copy);
    std::fs::write(copy.join("areas/S1.html"), "<p>forged</p>").unwrap();
    let out = verify(&copy, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("altered: areas/S1.html"),
        "{}",
        stdout(&out)
    );

    // One scan deleted.
    let copy = tmp.path().join("deleted");
    copy_tree(&site, &copy);
    let scan = std::fs::read_dir(copy.join("scans"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&scan).unwrap();
    let out = verify(&copy, None);
    assert_eq!(out.status.code(), Some(1));
    let name = format!(
        "missing: scans/{}",
        scan.file_name().unwrap().to_string_lossy()
    );
    assert!(stdout(&out).contains(&name), "{}", stdout(&out));

    // One file added.
    let copy = tmp.path().join("added");
    copy_tree(&site, &copy);
    std::fs::write(copy.join("areas/extra.html"), "<p>extra</p>").unwrap();
    let out = verify(&copy, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("unexpected: areas/extra.html"),
        "{}",
        stdout(&out)
    );

    // A page and its SHA256SUMS line rewritten to match: only the key can tell.
    let copy = tmp.path().join("rewritten");
    copy_tree(&site, &copy);
    let forged = b"<p>forged</p>";
    std::fs::write(copy.join("areas/S1.html"), forged).unwrap();
    let sha = kura::digest::sha256_hex(forged);
    let sums: String = read(&copy.join("SHA256SUMS"))
        .lines()
        .map(|l| {
            if l.ends_with("  areas/S1.html") {
                format!("{sha}  areas/S1.html\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(copy.join("SHA256SUMS"), sums).unwrap();
    // Without a key the copy would be consistent with itself, but its log
    // still names the genuine version.
    let out = verify(&copy, None);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("log: the log's last entry is version"),
        "{}",
        stdout(&out)
    );
    let out = verify(&copy, Some(&public));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("signature: the signature does not match the file"),
        "{}",
        stdout(&out)
    );

    // Signed by another key.
    let other = tempfile::tempdir().unwrap();
    let (_, other_public) = keygen(other.path());
    let out = verify(&site, Some(&other_public));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("signature: signed by key"),
        "{}",
        stdout(&out)
    );

    // No signature at all.
    let copy = tmp.path().join("unsigned");
    copy_tree(&site, &copy);
    std::fs::remove_file(copy.join("SHA256SUMS.minisig")).unwrap();
    let out = verify(&copy, Some(&public));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("SHA256SUMS.minisig is missing"));
}

#[test]
fn verify_checks_a_mirror_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    let site = tmp.path().join("site");
    let version = build_signed(&fixture("awkward"), &site, &key, tmp.path(), "2");
    let server = Server::start(&site);
    let url = server.url.clone();
    let out = kura(&["verify", &url, "--key", public.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains(&format!("version {version}")));

    std::fs::write(site.join("areas/S2.html"), "changed").unwrap();
    let scan = std::fs::read_dir(site.join("scans"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_file(&scan).unwrap();
    let out = kura(&["verify", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("altered: areas/S2.html"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("missing: scans/"), "{}", stdout(&out));

    // A host that is not there: a clear message, exit 3 (could not reach).
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = kura(&["verify", &format!("http://{closed}/")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("cannot fetch SHA256SUMS"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn builds_are_byte_identical_across_thread_counts_and_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = keygen(tmp.path());
    let input = tmp.path().join("in");
    let out = kura(&["sample", "-o", input.to_str().unwrap(), "--stations", "400"]);
    assert!(out.status.success());
    let a_dir = tmp.path().join("a");
    let b_dir = tmp.path().join("b/c");
    std::fs::create_dir_all(&a_dir).unwrap();
    std::fs::create_dir_all(&b_dir).unwrap();
    let a = build_signed(&input, Path::new("site"), &key, &a_dir, "1");
    let b = build_signed(&input, Path::new("out"), &key, &b_dir, "4");
    assert_eq!(a, b);
    let (sa, sb) = (snapshot(&a_dir.join("site")), snapshot(&b_dir.join("out")));
    assert_eq!(sa.keys().collect::<Vec<_>>(), sb.keys().collect::<Vec<_>>());
    for (path, bytes) in &sa {
        assert!(&sb[path] == bytes, "{path} differs");
    }
    assert!(sa.contains_key("SHA256SUMS.minisig"));
}

#[test]
fn previous_links_versions_into_a_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = tmp.path().join("v1");
    let v2 = tmp.path().join("v2");
    let v3 = tmp.path().join("v3");
    let run = |args: &[&str]| -> String {
        let out = kura(args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .trim()
            .strip_prefix("version ")
            .unwrap()
            .to_string()
    };
    let input = fixture("awkward");
    let id1 = run(&["build", input.to_str().unwrap(), "-o", v1.to_str().unwrap()]);
    let id2 = run(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        v2.to_str().unwrap(),
        "--previous",
        v1.to_str().unwrap(),
    ]);
    let id3 = run(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        v3.to_str().unwrap(),
        "--previous",
        v2.to_str().unwrap(),
    ]);
    let m2: serde_json::Value = serde_json::from_str(&read(&v2.join("manifest.json"))).unwrap();
    assert_eq!(m2["previous"], id1.as_str());
    assert_eq!(m2["generator"]["name"], "kura");
    assert_eq!(m2["published"], "2023-11-14T22:13:20Z");
    assert_eq!(m2["counts"]["areas"], 11);
    assert_eq!(m2["counts"]["forms"], 13);
    let m1: serde_json::Value = serde_json::from_str(&read(&v1.join("manifest.json"))).unwrap();
    assert!(m1["previous"].is_null());
    let chain: serde_json::Value = serde_json::from_str(&read(&v3.join("versions.json"))).unwrap();
    let ids: Vec<&str> = chain["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id1.as_str(), id2.as_str()]);
    assert_eq!(chain["versions"][1]["previous"], id1.as_str());
    assert_ne!(id3, id2);
}

/// Runs a build under a file-size limit, so that it fails part way: on the
/// first file over 64 KiB, a CSV of the open data (the first stage that
/// writes), with the output folder half written.
fn limited_build(input: &Path, site: &Path, ignore_signal: bool) -> std::process::Output {
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    Command::new("bash")
        .args([
            "-c",
            &format!(
                "{trap}ulimit -f 64; exec '{}' build '{}' -o '{}'",
                env!("CARGO_BIN_EXE_kura"),
                input.display(),
                site.display()
            ),
        ])
        .output()
        .unwrap()
}

#[test]
fn a_build_that_fails_part_way_leaves_the_previous_site_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_input(tmp.path(), "300");
    let site = build(&fixture("awkward"), tmp.path());
    let before = snapshot(&site);

    // The write fails (EFBIG): a clear message, exit 1, nothing left behind.
    let out = limited_build(&input, &site, true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
    assert!(snapshot(&site) == before, "the previous site changed");
    let leftovers = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".kura")
        })
        .count();
    assert_eq!(leftovers, 0);

    // The process is killed mid-write: the previous site is still whole.
    let out = limited_build(&input, &site, false);
    assert!(!out.status.success());
    assert!(snapshot(&site) == before, "the previous site changed");
    let out = kura(&["verify", site.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// Rewrites a site's SHA256SUMS to match its files, as someone covering
/// their tracks would.
fn reseal(site: &Path) {
    use sha2::Digest;
    let mut sums = String::new();
    for (path, bytes) in snapshot(site) {
        if path == "SHA256SUMS" || path == "SHA256SUMS.minisig" {
            continue;
        }
        let sha: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        sums.push_str(&format!("{sha}  {path}\n"));
    }
    std::fs::write(site.join("SHA256SUMS"), sums).unwrap();
}

#[test]
fn a_tampered_previous_version_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = keygen(tmp.path());
    let v1 = tmp.path().join("v1");
    build_signed(&fixture("awkward"), &v1, &key, tmp.path(), "2");
    let v2 = tmp.path().join("v2");
    let build = |previous: &Path, sign: bool| {
        let mut args = vec![
            "build",
            "tests/fixtures/awkward",
            "-o",
            v2.to_str().unwrap(),
            "--previous",
            previous.to_str().unwrap(),
        ];
        if sign {
            args.extend(["--sign", key.to_str().unwrap()]);
        }
        kura(&args)
    };

    // A number edited in the open data of a copy of version 1.
    let edited = tmp.path().join("edited");
    copy_tree(&v1, &edited);
    let forms = read(&edited.join("data/results.csv")).replacen(",100\n", ",1000\n", 1);
    std::fs::write(edited.join("data/results.csv"), forms).unwrap();
    let out = build(&edited, false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("does not verify against its own SHA256SUMS: altered: data/results.csv"),
        "{}",
        stderr(&out)
    );
    assert!(!v2.exists(), "nothing is written");

    // A file planted in scans/, which --previous would carry forward.
    let planted = tmp.path().join("planted");
    copy_tree(&v1, &planted);
    std::fs::write(planted.join("scans/forged.png"), b"\x89PNG\r\n\x1a\nforged").unwrap();
    let out = build(&planted, false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unexpected: scans/forged.png"),
        "{}",
        stderr(&out)
    );
    assert!(!v2.exists());

    // The edit covered up by a rewritten SHA256SUMS: the publisher's own
    // signature no longer matches.
    reseal(&edited);
    let out = build(&edited, true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("and signature") && stderr(&out).contains("signature:"),
        "{}",
        stderr(&out)
    );
    assert!(!v2.exists());
    // Covered up further by removing the signature: the log still names
    // the genuine version, so the resealed list is refused anyway.
    std::fs::remove_file(edited.join("SHA256SUMS.minisig")).unwrap();
    let out = build(&edited, true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("log: the log's last entry is version"),
        "{}",
        stderr(&out)
    );
    assert!(!v2.exists());
    // And with the log stripped too, kura says the previous version was
    // not checked against the key (it has nothing signed to check).
    std::fs::remove_dir_all(edited.join("log")).unwrap();
    let out = build(&edited, true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("log/checkpoint is missing"),
        "{}",
        stderr(&out)
    );

    // A URL is not a folder: it is refused, not checked as a URL and then
    // read from a folder of that name.
    let out = build(Path::new("http://127.0.0.1:9/"), false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("kura mirror"), "{}", stderr(&out));

    // The genuine version 1 is accepted.
    let out = build(&v1, true);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
