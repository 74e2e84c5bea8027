//! `kura mirror` and `kura verify` against a real HTTP server on
//! 127.0.0.1 (no mocks of the HTTP layer): exact copies, updates that fetch
//! only what changed, rollbacks and forks refused, interrupted runs resumed,
//! a bogus SHA256SUMS refused before anything else is fetched, slow servers
//! survived, network failures told apart from tampering.

use crate::common::*;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// v1 and v2 of the awkward fixture, signed, and the public key.
fn signed_versions(tmp: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (key, public) = keygen(tmp);
    let (_, v1, v2) = two_versions_signed(tmp, Some(&key));
    (v1, v2, public)
}

fn mirror(url: &str, dir: &Path, public: Option<&Path>, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["mirror", url, dir.to_str().unwrap()];
    if let Some(p) = public {
        args.extend(["--key", p.to_str().unwrap()]);
    }
    args.extend(extra);
    kura(&args)
}

fn says(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The files a request log names, without the two every run reads first.
fn files_in(log: &[String]) -> BTreeSet<String> {
    log.iter()
        .filter(|p| *p != "SHA256SUMS" && *p != "SHA256SUMS.minisig")
        .cloned()
        .collect()
}

/// The files of a site's log (outside SHA256SUMS).
fn log_of(site: &Path) -> BTreeSet<String> {
    snapshot(site)
        .into_keys()
        .filter(|p| p.starts_with("log/"))
        .collect()
}

#[test]
fn mirror_makes_an_exact_copy_then_fetches_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2, public) = signed_versions(tmp.path());
    let server = Server::start(&v1);
    let copy = tmp.path().join("copy");

    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(stdout(&out).contains(&format!("version {}", version_id(&v1))));
    assert!(snapshot(&copy) == snapshot(&v1), "the copy differs from v1");
    let log = server.take_log();
    assert_eq!(
        &log[..3],
        ["SHA256SUMS", "SHA256SUMS.minisig", "log/checkpoint"]
    );
    let mut listed: BTreeSet<String> = sums_of(&v1).into_keys().collect();
    listed.extend(log_of(&v1));
    assert_eq!(files_in(&log), listed, "each file fetched once");
    assert_eq!(log.len(), listed.len() + 2, "no file fetched twice");
    let verified = kura(&[
        "verify",
        copy.to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", says(&verified));

    // Run again: already current, three requests (the checkpoint may
    // carry a newer time or more co-signatures).
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(stdout(&out).contains("already current"), "{}", says(&out));
    assert_eq!(
        server.take_log(),
        ["SHA256SUMS", "SHA256SUMS.minisig", "log/checkpoint"]
    );

    // The publisher moves on to v2: only files whose bytes the copy does
    // not have are fetched (and versions.json, to check the succession).
    server.set_root(&v2);
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(snapshot(&copy) == snapshot(&v2), "the copy differs from v2");
    let old: BTreeSet<String> = sums_of(&v1).into_values().collect();
    let mut expected: BTreeSet<String> = sums_of(&v2)
        .into_iter()
        .filter(|(_, sha)| !old.contains(sha))
        .map(|(p, _)| p)
        .collect();
    expected.insert("versions.json".into());
    expected.extend(log_of(&v2));
    let fetched = files_in(&server.take_log());
    assert_eq!(fetched, expected);
    assert!(
        (fetched.len() - log_of(&v2).len()) * 2 < sums_of(&v2).len(),
        "{fetched:?}"
    );
    assert!(
        !tmp.path().join(".kura-mirror-copy").exists(),
        "the staging folder is gone"
    );

    // The mirror's own .htaccess: refused unless named, then kept across
    // updates (and named to verify with --ignore).
    std::fs::write(copy.join(".htaccess"), "Options -Indexes\n").unwrap();
    let mirror_v3 = tmp.path().join("v3");
    let out = kura_with(
        tmp.path(),
        &[
            "build",
            tmp.path().join("in").to_str().unwrap(),
            "-o",
            mirror_v3.to_str().unwrap(),
            "--previous",
            v2.to_str().unwrap(),
            "--sign",
            tmp.path().join("key.key").to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700007200")],
    );
    assert!(out.status.success(), "{}", says(&out));
    server.set_root(&mirror_v3);
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains(".htaccess"), "{}", says(&out));
    let out = mirror(&server.url, &copy, Some(&public), &["--keep", ".htaccess"]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert_eq!(read(&copy.join(".htaccess")), "Options -Indexes\n");
    let out = kura(&["verify", copy.to_str().unwrap(), "--ignore", ".htaccess"]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
}

#[test]
fn a_rollback_a_fork_or_an_unrelated_site_is_refused_and_the_copy_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2, public) = signed_versions(tmp.path());
    // A fork: another version 2, also built on v1 and signed.
    let input = tmp.path().join("fork-in");
    copy_tree(&fixture("awkward"), &input);
    let results = read(&input.join("results.csv")).replace("100,F-S1-pres,a", "999,F-S1-pres,a");
    std::fs::write(input.join("results.csv"), results).unwrap();
    let fork = tmp.path().join("fork");
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        fork.to_str().unwrap(),
        "--previous",
        v1.to_str().unwrap(),
        "--sign",
        tmp.path().join("key.key").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", says(&out));

    let server = Server::start(&v2);
    let copy = tmp.path().join("copy");
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    let before = snapshot(&copy);

    for (site, what) in [(&v1, "rollback"), (&fork, "fork")] {
        server.set_root(site);
        server.take_log();
        let out = mirror(&server.url, &copy, Some(&public), &[]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", says(&out));
        let text = stderr(&out);
        assert!(text.contains(&format!("{what}: ")), "{what}: {text}");
        assert!(text.contains(&version_id(&v2)), "{what}: {text}");
        assert!(snapshot(&copy) == before, "{what}: the copy changed");
        // Nothing but what it takes to decide was fetched: the list, its
        // signature and the log, which tells the copy's log is not a prefix.
        let mut expected = vec!["SHA256SUMS".to_string(), "SHA256SUMS.minisig".into()];
        expected.extend(
            ["log/checkpoint", "log/tile/entries", "log/tile/0"]
                .map(|p| log_of(site).into_iter().find(|f| f.starts_with(p)).unwrap()),
        );
        assert_eq!(server.take_log(), expected, "{what}");
        assert!(!tmp.path().join(".kura-mirror-copy").exists());
    }
}

#[test]
fn a_bogus_sha256sums_is_refused_before_any_other_request() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _, public) = signed_versions(tmp.path());
    let hostile = tmp.path().join("hostile");
    copy_tree(&v1, &hostile);
    // 20,000 entries that do not exist, with the real signature beside them.
    let mut sums = read(&hostile.join("SHA256SUMS"));
    for i in 0..20_000 {
        sums.push_str(&format!("{}  bogus/{i}.html\n", "0".repeat(64)));
    }
    std::fs::write(hostile.join("SHA256SUMS"), sums).unwrap();
    let server = Server::start(&hostile);

    let copy = tmp.path().join("copy");
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("bad signature"), "{}", says(&out));
    assert_eq!(server.take_log(), ["SHA256SUMS", "SHA256SUMS.minisig"]);
    assert!(!copy.exists() && !tmp.path().join(".kura-mirror-copy").exists());

    // A folder that is not a kura site is never replaced.
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("notes.txt"), "mine").unwrap();
    server.set_root(&v1);
    let out = mirror(&server.url, &home, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stderr(&out).contains("not a site built by kura"),
        "{}",
        says(&out)
    );
    assert_eq!(read(&home.join("notes.txt")), "mine");
    server.set_root(&hostile);
    server.take_log();

    let out = kura(&["verify", &server.url, "--key", public.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stdout(&out).contains("signature:"), "{}", says(&out));
    assert_eq!(server.take_log(), ["SHA256SUMS", "SHA256SUMS.minisig"]);

    // A list that is not one (a server's HTML error page, say) is refused
    // before any other request, with or without a key.
    let garbled = tmp.path().join("garbled");
    copy_tree(&v1, &garbled);
    std::fs::write(garbled.join("SHA256SUMS"), "<html>Not here</html>\n").unwrap();
    server.set_root(&garbled);
    server.take_log();
    let out = mirror(&server.url, &copy, None, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stderr(&out).contains("SHA256SUMS:1: not of the form"),
        "{}",
        says(&out)
    );
    assert_eq!(server.take_log(), ["SHA256SUMS"]);
    // With a key, the signature is checked before the list is read.
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("bad signature"), "{}", says(&out));
    assert_eq!(
        server.take_log(),
        ["SHA256SUMS", "SHA256SUMS.minisig"],
        "{}",
        says(&out)
    );
    let out = kura(&["verify", &server.url]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stdout(&out).contains("SHA256SUMS:1: not of the form"));
    assert_eq!(server.take_log(), ["SHA256SUMS"], "{}", says(&out));
    assert!(!copy.exists());
    server.set_root(&hostile);

    // Without a key the signature cannot tell, and it says so; but the
    // log still names the genuine version, so no listed file is fetched.
    server.take_log();
    let out = kura(&["verify", &server.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("WARNING: no --key given"));
    assert!(stdout(&out).contains("log: the log's last entry is version"));
    assert!(
        server
            .take_log()
            .iter()
            .all(|p| p.starts_with("SHA256SUMS") || p.starts_with("log/")),
        "files fetched"
    );
    // With the log stripped, that is said (and still nothing is fetched).
    std::fs::remove_dir_all(hostile.join("log")).unwrap();
    let out = kura(&["verify", &server.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("log/checkpoint is missing"));
}

#[test]
fn an_interrupted_mirror_run_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _, public) = signed_versions(tmp.path());
    let server = Server::start(&v1);
    server.set_mode(Mode::AllSlow(Duration::from_millis(150)));
    let copy = tmp.path().join("copy");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kura"))
        .env("XDG_STATE_HOME", tmp.path().join("state"))
        .args([
            "mirror",
            &server.url,
            copy.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let staging = tmp.path().join(".kura-mirror-copy");
    // The files complete in the staging folder (listed while kura renames
    // files in it: whatever vanishes meanwhile is skipped).
    let done = |dir: &Path| -> BTreeSet<String> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .ok()?
                    .to_string_lossy()
                    .into_owned();
                (!rel.ends_with(".kura-part")).then_some(rel)
            })
            .collect()
    };
    let start = std::time::Instant::now();
    while done(&staging).len() < 10 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = done(&staging);
    let total = sums_of(&v1).len();
    assert!(
        kept.len() >= 10 && kept.len() < total,
        "{} of {total} files",
        kept.len()
    );
    assert!(!copy.exists(), "nothing is switched in before the end");

    server.set_mode(Mode::Normal);
    // Requests the killed run had in flight may still be logged by the
    // server's threads (under load, after the kill): wait until it is quiet.
    loop {
        std::thread::sleep(Duration::from_millis(200));
        if server.take_log().is_empty() {
            break;
        }
    }
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(snapshot(&copy) == snapshot(&v1), "the copy differs from v1");
    let fetched = files_in(&server.take_log());
    assert!(
        fetched.is_disjoint(&kept),
        "fetched again: {:?}",
        fetched.intersection(&kept).collect::<Vec<_>>()
    );
    assert_eq!(fetched.len() + kept.len(), total + log_of(&v1).len());
    assert!(!staging.exists());
}

#[test]
fn verify_over_http_tells_a_rollback_from_the_expected_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2, public) = signed_versions(tmp.path());
    let (id1, id2) = (version_id(&v1), version_id(&v2));
    let server = Server::start(&v1);
    let key = public.to_str().unwrap();

    // A mirror serves the older, correctly signed version.
    let out = kura(&["verify", &server.url, "--key", key]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    server.take_log();
    let out = kura(&["verify", &server.url, "--key", key, "--expect", &id2]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains(&format!(
            "this copy is version {id1}, not the expected {id2}"
        )),
        "{}",
        says(&out)
    );
    assert_eq!(server.take_log(), ["SHA256SUMS", "SHA256SUMS.minisig"]);

    let out = kura(&["verify", &server.url, "--key", key, "--not-before", &id2]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("does not follow version"),
        "{}",
        says(&out)
    );
    assert_eq!(
        server.take_log(),
        ["SHA256SUMS", "SHA256SUMS.minisig", "versions.json"]
    );
    // v1 was published 2023-11-14T22:13:20Z, v2 an hour later.
    let out = kura(&[
        "verify",
        &server.url,
        "--not-before",
        "2023-11-14T23:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stdout(&out).contains("published 2023-11-14T22:13:20Z"));

    // The current version passes all three.
    server.set_root(&v2);
    for args in [
        ["--expect", id2.as_str()],
        ["--not-before", id1.as_str()],
        ["--not-before", "2023-11-14T23:00:00Z"],
    ] {
        let mut all = vec!["verify", server.url.as_str(), "--key", key];
        all.extend(args);
        let out = kura(&all);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", says(&out));
    }
    let out = kura(&["verify", &server.url, "--not-before", "yesterday"]);
    assert_eq!(out.status.code(), Some(2), "{}", says(&out));
}

#[test]
fn a_slow_but_alive_server_is_waited_for_and_a_stalled_one_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _, public) = signed_versions(tmp.path());
    let server = Server::start(&v1);
    // The largest file trickles out over more than twice the timeout,
    // but never stops for as long as the timeout.
    let (largest, size) = snapshot(&v1)
        .into_iter()
        .map(|(p, b)| (p, b.len()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    server.set_mode(Mode::Slow {
        path: largest.clone(),
        chunk: size / 8 + 1,
        pause: Duration::from_millis(300),
    });
    let key = public.to_str().unwrap();
    let out = kura(&["verify", &server.url, "--key", key, "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    let copy = tmp.path().join("copy");
    let out = mirror(&server.url, &copy, Some(&public), &["--timeout", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(snapshot(&copy) == snapshot(&v1));

    // A server that stops sending for longer than the timeout: given up
    // (after retries) as a network failure, exit 3, not as tampering.
    server.set_mode(Mode::Slow {
        path: largest.clone(),
        chunk: size / 2 + 1,
        pause: Duration::from_millis(2500),
    });
    let out = kura(&["verify", &server.url, "--key", key, "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", says(&out));
    assert!(
        stdout(&out).contains(&format!("not fetched: {largest}")),
        "{}",
        says(&out)
    );
}

#[test]
fn a_server_that_is_down_is_exit_3_and_the_copy_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _, public) = signed_versions(tmp.path());
    let server = Server::start(&v1);
    let copy = tmp.path().join("copy");
    assert_eq!(
        mirror(&server.url, &copy, Some(&public), &[]).status.code(),
        Some(0)
    );
    let before = snapshot(&copy);
    server.take_log();
    server.set_mode(Mode::Down);
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", says(&out));
    assert!(stderr(&out).contains("503"), "{}", says(&out));
    assert!(snapshot(&copy) == before);
    // Retried with back-off, not hammered.
    assert_eq!(server.take_log(), ["SHA256SUMS"; 4]);
    let out = kura(&["verify", &server.url]);
    assert_eq!(out.status.code(), Some(3), "{}", says(&out));
}

#[test]
fn verify_works_through_a_symlinked_site_root() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, v2, public) = signed_versions(tmp.path());
    let releases = tmp.path().join("releases");
    std::fs::create_dir(&releases).unwrap();
    std::fs::rename(&v2, releases.join("2")).unwrap();
    std::os::unix::fs::symlink("releases/2", tmp.path().join("current")).unwrap();
    let out = kura_in(
        tmp.path(),
        &["verify", "current", "--key", public.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(stdout(&out).contains("intact"), "{}", says(&out));
    let out = kura(&[
        "verify",
        tmp.path().join("current").to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));

    // A mirror's own files are named with --ignore, not silently skipped.
    std::fs::write(releases.join("2/.htaccess"), "Options -Indexes\n").unwrap();
    let out = kura_in(tmp.path(), &["verify", "current"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("unexpected: .htaccess"));
    let out = kura_in(tmp.path(), &["verify", "current", "--ignore", ".htaccess"]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
}

#[test]
fn two_runs_on_one_copy_do_not_mix_and_links_beside_it_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, _, public) = signed_versions(tmp.path());
    let server = Server::start(&v1);
    let copy = tmp.path().join("copy");

    // Links planted where kura stages its work are removed, not followed.
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(outside.join("inner")).unwrap();
    std::fs::write(outside.join("mine.txt"), "mine").unwrap();
    std::fs::write(outside.join("inner/results.csv"), "precious").unwrap();
    let staging = tmp.path().join(".kura-mirror-copy");
    std::os::unix::fs::symlink(&outside, &staging).unwrap();
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    std::fs::create_dir(&staging).unwrap();
    std::os::unix::fs::symlink(outside.join("inner"), staging.join("data")).unwrap();
    std::fs::remove_dir_all(&copy).unwrap();
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert_eq!(read(&outside.join("mine.txt")), "mine");
    assert_eq!(read(&outside.join("inner/results.csv")), "precious");
    assert!(snapshot(&copy) == snapshot(&v1));

    // A second run while the first is under way (cron): refused, exit 3,
    // and the first finishes with an exact copy.
    std::fs::remove_dir_all(&copy).unwrap();
    server.set_mode(Mode::AllSlow(Duration::from_millis(100)));
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_kura"))
        .env("XDG_STATE_HOME", tmp.path().join("state"))
        .args(["mirror", &server.url, copy.to_str().unwrap()])
        .args(["--key", public.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    server.take_log();
    let start = std::time::Instant::now();
    let mut seen = 0;
    while seen < 3 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
        seen += server.take_log().len();
    }
    let second = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(second.status.code(), Some(3), "{}", says(&second));
    assert!(
        stderr(&second).contains("another kura mirror is updating"),
        "{}",
        says(&second)
    );
    assert!(first.wait().unwrap().success());
    assert!(snapshot(&copy) == snapshot(&v1));
}

/// A checkpoint served again after a fresher one (a stale cache, someone
/// on the path replaying it, or stripping a witness's line) does not take
/// the fresher one away from a mirror that already holds it.
#[test]
fn a_mirror_keeps_the_fresher_checkpoint_of_its_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    let (_, v1, _) = two_versions_signed(tmp.path(), Some(&key));
    let old_checkpoint = read(&v1.join("log/checkpoint"));
    let server = Server::start(&v1);
    let copy = tmp.path().join("copy");
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));

    // The publisher signs the checkpoint again, later: the mirror takes it.
    let out = kura_with(
        tmp.path(),
        &[
            "checkpoint",
            v1.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1800000000")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    let fresh = read(&v1.join("log/checkpoint"));
    assert_ne!(fresh, old_checkpoint);
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert_eq!(read(&copy.join("log/checkpoint")), fresh);

    // The old one is served again: the mirror keeps the fresh one.
    std::fs::write(v1.join("log/checkpoint"), &old_checkpoint).unwrap();
    let out = mirror(&server.url, &copy, Some(&public), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(stdout(&out).contains("already current"), "{}", says(&out));
    assert_eq!(read(&copy.join("log/checkpoint")), fresh);
}
