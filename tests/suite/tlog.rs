//! The transparency log (log/): what three signed builds publish, and the
//! verifier, witness and checkpoint commands that read it — rollbacks and
//! forks refused with a remembering --state, witnesses' co-signatures and
//! --quorum, --max-age against a frozen copy, a tampered log.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Three signed versions of the awkward fixture, each built from the one
/// before: (input, [v1, v2, v3], secret key, public key).
fn three_versions(tmp: &Path) -> (PathBuf, [PathBuf; 3], PathBuf, PathBuf) {
    let (key, public) = keygen(tmp);
    let (input, v1, v2) = two_versions_signed(tmp, Some(&key));
    let v3 = tmp.join("v3");
    let results = read(&input.join("results.csv")).replace("30,F-S4-pres,a", "31,F-S4-pres,a");
    std::fs::write(input.join("results.csv"), results).unwrap();
    build_from(&input, &v3, &v2, &key, "1700007200");
    (input, [v1, v2, v3], key, public)
}

fn build_from(input: &Path, out: &Path, previous: &Path, key: &Path, epoch: &str) {
    let o = kura_with(
        input.parent().unwrap(),
        &[
            "build",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--previous",
            previous.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", epoch)],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The entries of a log of fewer than 256 versions, read by hand from its
/// bundle (uint16 big-endian lengths, then the bytes).
fn entries(site: &Path, n: usize) -> Vec<String> {
    let bytes = std::fs::read(site.join(format!("log/tile/entries/000.p/{n}"))).unwrap();
    let mut out = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        out.push(String::from_utf8(rest[2..2 + len].to_vec()).unwrap());
        rest = &rest[2 + len..];
    }
    out
}

fn verify_with(site: &Path, state: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "verify",
        site.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    args.extend(extra);
    kura(&args)
}

fn says(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[test]
fn three_signed_builds_make_a_log_of_three_entries_naming_each_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, [v1, v2, v3], _, public) = three_versions(tmp.path());
    let ids: Vec<String> = [&v1, &v2, &v3].iter().map(|v| version_id(v)).collect();
    let found = entries(&v3, 3);
    assert_eq!(found.len(), 3);
    for (i, e) in found.iter().enumerate() {
        assert!(e.starts_with("kura-version/v1\norigin "), "{e}");
        assert!(e.contains(&format!("\nseq {}\n", i + 1)), "{e}");
        assert!(e.contains(&format!("\nversion {}\n", ids[i])), "{e}");
        let before = if i == 0 { "-" } else { ids[i - 1].as_str() };
        assert!(e.ends_with(&format!("\nprevious {before}\n")), "{e}");
    }
    // The log only grows: version 2's entries begin version 3's.
    assert_eq!(entries(&v2, 2), found[..2]);
    let checkpoint = read(&v3.join("log/checkpoint"));
    let mut lines = checkpoint.lines();
    assert_eq!(
        lines.next(),
        Some(found[0].lines().nth(1).unwrap()[7..].trim())
    );
    assert_eq!(lines.next(), Some("3"));
    // Signed by the publisher (an Ed25519 note signature and a timestamped
    // co-signature, both under the key's note name).
    let key_line = kura(&["keygen", "-o", tmp.path().join("other").to_str().unwrap()]);
    let verifier = stdout(&key_line);
    assert!(verifier.trim().starts_with("kura-"), "{verifier}");
    let parts: Vec<&str> = verifier.trim().splitn(3, '+').collect();
    assert_eq!(parts[1].len(), 8, "{verifier}");
    assert_eq!(parts[2].len(), 44, "{verifier}");
    assert_eq!(
        checkpoint.matches("\n\u{2014} kura-").count(),
        2,
        "{checkpoint}"
    );

    let state = tmp.path().join("state");
    let out = verify_with(&v3, &state, &["--key", public.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(stdout(&out).contains(", 3 version(s)"), "{}", says(&out));
    // sha256sum -c still checks everything but the log.
    let sums = std::process::Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&v3)
        .output()
        .unwrap();
    assert!(sums.status.success());
}

#[test]
fn a_remembering_verifier_refuses_a_rollback_and_a_fork() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, [v1, v2, v3], key, public) = three_versions(tmp.path());
    let state = tmp.path().join("state");
    let pubkey = public.to_str().unwrap();
    for v in [&v1, &v3] {
        let out = verify_with(v, &state, &["--key", pubkey]);
        assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    }
    // Version 2 after version 3: a rollback, though it is genuine and signed.
    let out = verify_with(&v2, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stdout(&out).contains("rollback: "), "{}", says(&out));
    assert!(stdout(&out).contains(&version_id(&v3)), "{}", says(&out));
    // Without the state it is a good copy of version 2.
    let fresh = tmp.path().join("fresh");
    let out = verify_with(&v2, &fresh, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));

    // A different version 3, built from version 2 with the same key.
    let results = read(&input.join("results.csv")).replace("31,F-S4-pres,a", "99,F-S4-pres,a");
    std::fs::write(input.join("results.csv"), results).unwrap();
    let fork = tmp.path().join("fork");
    build_from(&input, &fork, &v2, &key, "1700007300");
    let out = verify_with(&fork, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    let text = stdout(&out);
    assert!(text.contains("fork: version 3 of "), "{text}");
    assert!(
        text.contains(&version_id(&fork)) && text.contains(&version_id(&v3)),
        "{text}"
    );
    // The record still holds version 3: the genuine one verifies.
    let out = verify_with(&v3, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));

    // kura mirror remembers too: a copy of version 2 into a new folder is
    // refused once version 3 was seen.
    let server = Server::start(&v2);
    let copy = tmp.path().join("copy");
    let out = kura(&[
        "mirror",
        &server.url,
        copy.to_str().unwrap(),
        "--key",
        pubkey,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("rollback: "), "{}", says(&out));
    assert!(!copy.exists());
}

#[test]
fn witnesses_co_sign_refuse_a_fork_and_make_a_quorum() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, [v1, v2, v3], key, public) = three_versions(tmp.path());
    let (w1, w1_pub) = keygen_named(tmp.path(), "w1");
    let (w2, w2_pub) = keygen_named(tmp.path(), "w2");
    let w1_state = tmp.path().join("w1-state");
    let witness = |site: &Path, w: &Path, state: &Path, out: &Path| {
        kura(&[
            "witness",
            site.to_str().unwrap(),
            "--key",
            w.to_str().unwrap(),
            "--log-key",
            public.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    // Witness 1 follows the log from version 2 to version 3, over HTTP.
    let server = Server::start(&v2);
    let cosig = tmp.path().join("w1.cosig");
    let out = witness(Path::new(&server.url), &w1, &w1_state, &cosig);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    server.set_root(&v3);
    let out = witness(Path::new(&server.url), &w1, &w1_state, &cosig);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(
        stderr(&out).contains("co-signed before at 2"),
        "{}",
        says(&out)
    );
    assert!(read(&cosig).starts_with("\u{2014} kura-"));

    // It refuses to go back, and refuses a fork loudly, keeping evidence.
    let out = witness(&v1, &w1, &w1_state, &tmp.path().join("x"));
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("rollback: "), "{}", says(&out));
    let results = read(&input.join("results.csv")).replace("31,F-S4-pres,a", "99,F-S4-pres,a");
    std::fs::write(input.join("results.csv"), results).unwrap();
    let fork = tmp.path().join("fork");
    build_from(&input, &fork, &v2, &key, "1700007300");
    let out = witness(&fork, &w1, &w1_state, &tmp.path().join("x"));
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("THIS IS A FORK"), "{}", says(&out));
    assert!(!tmp.path().join("x").exists());
    let evidence: Vec<_> = std::fs::read_dir(w1_state.join("evidence"))
        .unwrap()
        .collect();
    assert_eq!(evidence.len(), 1);
    // A checkpoint not signed by the publisher's key is refused.
    let (_, other_pub) = keygen_named(tmp.path(), "other");
    let out = kura(&[
        "witness",
        v3.to_str().unwrap(),
        "--key",
        w2.to_str().unwrap(),
        "--log-key",
        other_pub.to_str().unwrap(),
        "--state",
        tmp.path().join("w2-state").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("signature: "), "{}", says(&out));

    // The publisher adds the co-signature; verifiers require witnesses.
    let pubkey = public.to_str().unwrap();
    let out = kura(&[
        "checkpoint",
        v3.to_str().unwrap(),
        "--sign",
        key.to_str().unwrap(),
        "--cosignature",
        cosig.to_str().unwrap(),
        "--witness",
        w1_pub.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(
        stderr(&out).contains("1 witness co-signature"),
        "{}",
        says(&out)
    );
    let state = tmp.path().join("state");
    let (w1p, w2p) = (w1_pub.to_str().unwrap(), w2_pub.to_str().unwrap());
    let out = verify_with(&v3, &state, &["--key", pubkey, "--witness", w1p]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(
        stdout(&out).contains("witnesses: 1 of 1 co-signed"),
        "{}",
        says(&out)
    );
    let out = verify_with(
        &v3,
        &state,
        &["--key", pubkey, "--witness", w1p, "--witness", w2p],
    );
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains(
            "witnesses: 1 of the 2 witnesses given co-signed this checkpoint; 2 required"
        ),
        "{}",
        says(&out)
    );
    let out = verify_with(
        &v3,
        &state,
        &[
            "--key",
            pubkey,
            "--witness",
            w1p,
            "--witness",
            w2p,
            "--quorum",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    // The whole copy still verifies as a site, and sha256sum -c too.
    assert_eq!(
        kura(&["verify", v3.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let out = verify_with(&v3, &state, &["--quorum", "3", "--witness", w1p]);
    assert_eq!(out.status.code(), Some(2), "{}", says(&out));
}

#[test]
fn a_second_log_under_one_key_and_hostile_co_signatures_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, [_, v2, v3], key, public) = three_versions(tmp.path());
    let pubkey = public.to_str().unwrap();
    let (w1, w1_pub) = keygen_named(tmp.path(), "w1");
    let (_, w2_pub) = keygen_named(tmp.path(), "w2");
    let state = tmp.path().join("state");
    let w_state = tmp.path().join("w-state");
    let witness = |site: &Path, out: &Path| {
        kura(&[
            "witness",
            site.to_str().unwrap(),
            "--key",
            w1.to_str().unwrap(),
            "--log-key",
            pubkey,
            "--state",
            w_state.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let out = verify_with(&v3, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    // The witness writes through a symbolic link, never replacing it.
    let target = tmp.path().join("w1-v2.txt");
    let link = tmp.path().join("w1-v2.link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_eq!(witness(&v2, &link).status.code(), Some(0));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&target).starts_with("\u{2014} kura-"));
    let w1_v3 = tmp.path().join("w1-v3.txt");
    assert_eq!(witness(&v3, &w1_v3).status.code(), Some(0));

    // Version 2's input rebuilt from nothing under another name, signed by
    // the same key: a new log, whose first sight would show version 2 as
    // current again. Verifier and witness both refuse it.
    let toml =
        read(&input.join("election.toml")).replace("results.example.org", "rerun.example.org");
    std::fs::write(input.join("election.toml"), toml).unwrap();
    let renamed = tmp.path().join("renamed");
    let o = kura_with(
        tmp.path(),
        &[
            "build",
            input.to_str().unwrap(),
            "-o",
            renamed.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700009000")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        verify_with(&renamed, &tmp.path().join("fresh"), &["--key", pubkey])
            .status
            .code(),
        Some(0)
    );
    let out = verify_with(&renamed, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("a second log under one key"),
        "{}",
        says(&out)
    );
    let out = witness(&renamed, &tmp.path().join("x"));
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stderr(&out).contains("a second log under one key"),
        "{}",
        says(&out)
    );

    // kura checkpoint takes co-signatures only with the witnesses' keys,
    // and only those of this very checkpoint; others (a stale file in the
    // inbox, a key not given) are passed over with a warning, and the
    // checkpoint is still signed afresh.
    let checkpoint = |extra: &[&str]| {
        let mut args = vec![
            "checkpoint",
            v3.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ];
        args.extend(extra);
        kura(&args)
    };
    let stale = target.to_str().unwrap();
    let out = checkpoint(&["--cosignature", stale]);
    assert_eq!(out.status.code(), Some(2), "{}", says(&out));
    let junk = tmp.path().join("junk.txt");
    std::fs::write(&junk, "not a signature\n").unwrap();
    let w1_name = read(&w1_v3).split(' ').nth(1).unwrap().to_string();
    let cosigned_by_w1 = |out: &std::process::Output| {
        assert_eq!(out.status.code(), Some(0), "{}", says(out));
        read(&v3.join("log/checkpoint")).contains(&format!("\u{2014} {w1_name} "))
    };
    let out = checkpoint(&[
        "--cosignature",
        stale,
        "--cosignature",
        junk.to_str().unwrap(),
        "--witness",
        w1_pub.to_str().unwrap(),
    ]);
    assert!(!cosigned_by_w1(&out), "a stale co-signature was taken");
    for why in [
        "is not of this checkpoint",
        "not co-signature lines",
        "0 witness co-signature(s)",
    ] {
        assert!(stderr(&out).contains(why), "{why}: {}", says(&out));
    }
    let out = checkpoint(&[
        "--cosignature",
        w1_v3.to_str().unwrap(),
        "--witness",
        w2_pub.to_str().unwrap(),
    ]);
    assert!(
        !cosigned_by_w1(&out),
        "a co-signature by a key not given was taken"
    );
    assert!(
        stderr(&out).contains("not among the --witness keys"),
        "{}",
        says(&out)
    );
    let out = checkpoint(&[
        "--cosignature",
        stale,
        "--cosignature",
        w1_v3.to_str().unwrap(),
        "--witness",
        w1_pub.to_str().unwrap(),
    ]);
    assert!(cosigned_by_w1(&out), "{}", says(&out));
    assert!(
        stderr(&out).contains("1 witness co-signature(s)"),
        "{}",
        says(&out)
    );
    // Readable by a web server running as someone else.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(v3.join("log/checkpoint"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o044, 0o044, "{mode:o}");

    // One witness counts once, and the publisher is no witness.
    let copy = tmp.path().join("w1-copy.pub");
    std::fs::copy(&w1_pub, &copy).unwrap();
    let w1p = w1_pub.to_str().unwrap();
    for extra in [
        &[
            "--witness",
            w1p,
            "--witness",
            copy.to_str().unwrap(),
            "--quorum",
            "2",
        ][..],
        &["--witness", pubkey],
    ] {
        let mut args = vec!["--key", pubkey];
        args.extend(extra);
        let out = verify_with(&v3, &state, &args);
        assert_eq!(out.status.code(), Some(2), "{}", says(&out));
    }

    // A damaged record is an error, not a crash.
    let seen = std::fs::read_dir(state.join("seen"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = read(&seen);
    let size = text
        .lines()
        .find(|l| l.contains("\"size\""))
        .unwrap()
        .to_string();
    std::fs::write(&seen, text.replace(&size, "  \"size\": 0,")).unwrap();
    let out = verify_with(&v3, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        says(&out).contains("not a kura state file"),
        "{}",
        says(&out)
    );
}

fn keygen_named(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let prefix = dir.join(name);
    let out = kura(&["keygen", "-o", prefix.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    (prefix.with_extension("key"), prefix.with_extension("pub"))
}

#[test]
fn max_age_tells_a_frozen_copy_and_kura_checkpoint_refreshes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    let (_, _, v2) = two_versions_signed(tmp.path(), Some(&key));
    let state = tmp.path().join("state");
    let pubkey = public.to_str().unwrap();
    // Built "in 2023": more than an hour old.
    let out = verify_with(&v2, &state, &["--key", pubkey, "--max-age", "1h"]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("freshness: the newest signed time on the checkpoint is 2023-11-14T"),
        "{}",
        says(&out)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let before = snapshot(&v2);
    let out = kura_with(
        tmp.path(),
        &[
            "checkpoint",
            v2.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", &now)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    let after = snapshot(&v2);
    let changed: Vec<&String> = after
        .keys()
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert_eq!(changed, ["log/checkpoint"], "only the checkpoint changes");
    let out = verify_with(&v2, &state, &["--key", pubkey, "--max-age", "1h"]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    // A time a day ahead does not count: a clock that far off vouches for
    // nothing.
    let tomorrow = (now.parse::<u64>().unwrap() + 86_400).to_string();
    let out = kura_with(
        tmp.path(),
        &[
            "checkpoint",
            v2.to_str().unwrap(),
            "--sign",
            key.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", &tomorrow)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    let out = verify_with(&v2, &state, &["--key", pubkey, "--max-age", "1h"]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("no signed time (not in the future)"),
        "{}",
        says(&out)
    );
    // --max-age needs a signed time to read.
    let out = verify_with(&v2, &state, &["--max-age", "1h"]);
    assert_eq!(out.status.code(), Some(2), "{}", says(&out));
    // A key that did not sign the site cannot refresh its checkpoint.
    let (other, _) = keygen_named(tmp.path(), "other");
    let out = kura(&[
        "checkpoint",
        v2.to_str().unwrap(),
        "--sign",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("no signature by"), "{}", says(&out));
}

#[test]
fn a_tampered_log_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path());
    let (_, _, v2) = two_versions_signed(tmp.path(), Some(&key));
    let state = tmp.path().join("state");
    let pubkey = public.to_str().unwrap();
    let bundle = v2.join("log/tile/entries/000.p/2");
    let genuine = std::fs::read(&bundle).unwrap();

    // An entry rewritten (same length): the root no longer matches.
    let at = genuine.windows(5).position(|w| w == b"seq 1").unwrap();
    let mut forged = genuine.clone();
    forged[at + 4] = b'7';
    std::fs::write(&bundle, &forged).unwrap();
    let out = verify_with(&v2, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("log: the checkpoint's root hash is not that of the log's entries"),
        "{}",
        says(&out)
    );
    std::fs::write(&bundle, &genuine).unwrap();

    // A hash tile changed.
    let tile = v2.join("log/tile/0/000.p/2");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();
    let out = verify_with(&v2, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("log/tile/0/000.p/2 does not hold the hashes"),
        "{}",
        says(&out)
    );
    bytes[0] ^= 1;
    std::fs::write(&tile, &bytes).unwrap();

    // A stray file in log/, and the checkpoint's signature broken.
    std::fs::write(v2.join("log/tile/0/001"), b"x").unwrap();
    let out = verify_with(&v2, &state, &["--key", pubkey]);
    assert!(
        stdout(&out).contains("unexpected: log/tile/0/001"),
        "{}",
        says(&out)
    );
    std::fs::remove_file(v2.join("log/tile/0/001")).unwrap();
    let checkpoint = read(&v2.join("log/checkpoint"));
    let unsigned = checkpoint.split("\n\n").next().unwrap().to_string() + "\n";
    std::fs::write(v2.join("log/checkpoint"), &unsigned).unwrap();
    let out = verify_with(&v2, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("signature: log/checkpoint is not signed"),
        "{}",
        says(&out)
    );
    std::fs::write(v2.join("log/checkpoint"), &checkpoint).unwrap();
    let out = verify_with(&v2, &state, &["--key", pubkey]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
}

#[test]
fn a_witness_without_the_publishers_key_is_not_fooled_by_reordered_signatures() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, [_, v2, v3], key, public) = three_versions(tmp.path());
    let (w1, _) = keygen_named(tmp.path(), "w1");
    let (w2, _) = keygen_named(tmp.path(), "w2");
    let w1_state = tmp.path().join("w1-state");
    let witness = |site: &Path, w: &Path, state: &Path, log_key: bool| {
        let out = tmp.path().join("line.txt");
        let _ = std::fs::remove_file(&out);
        let mut args = vec![
            "witness",
            site.to_str().unwrap(),
            "--key",
            w.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        if log_key {
            args.extend(["--log-key", public.to_str().unwrap()]);
        }
        let o = kura(&args);
        (o, std::fs::read_to_string(&out).unwrap_or_default())
    };
    // Witness 1, not given the publisher's key, co-signs versions 2 and 3.
    for v in [&v2, &v3] {
        let (out, _) = witness(v, &w1, &w1_state, false);
        assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    }

    // A different version 3, whose checkpoint carries a co-signature first
    // (so its first signature is not the publisher's), then none of the
    // publisher's at all: each is the same log, and refused as a fork.
    let results = read(&input.join("results.csv")).replace("31,F-S4-pres,a", "77,F-S4-pres,a");
    std::fs::write(input.join("results.csv"), results).unwrap();
    let fork = tmp.path().join("fork");
    build_from(&input, &fork, &v2, &key, "1700009000");
    let (out, w2_line) = witness(&fork, &w2, &tmp.path().join("w2-state"), false);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    let signed = read(&fork.join("log/checkpoint"));
    let (body, publisher) = signed.split_once("\n\n").unwrap();
    for checkpoint in [
        format!("{body}\n\n{w2_line}{publisher}"),
        format!("{body}\n\n{w2_line}"),
    ] {
        std::fs::write(fork.join("log/checkpoint"), &checkpoint).unwrap();
        let (out, line) = witness(&fork, &w1, &w1_state, false);
        assert_eq!(out.status.code(), Some(1), "{checkpoint}\n{}", says(&out));
        assert!(stderr(&out).contains("THIS IS A FORK"), "{}", says(&out));
        assert!(line.is_empty());
    }
    // What it co-signed without the key binds it with the key too.
    std::fs::write(fork.join("log/checkpoint"), &signed).unwrap();
    let (out, _) = witness(&fork, &w1, &w1_state, true);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(stderr(&out).contains("THIS IS A FORK"), "{}", says(&out));
}

#[test]
fn what_an_interrupted_run_leaves_in_a_site_is_named_and_cleared() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, [_, _, v3], key, _) = three_versions(tmp.path());
    let assembling = v3.join(".kura-log-x1y2z3/tile/0");
    std::fs::create_dir_all(&assembling).unwrap();
    std::fs::write(assembling.join("000"), b"").unwrap();
    std::fs::write(v3.join(".kura-log-x1y2z3/checkpoint"), b"half").unwrap();
    std::fs::write(v3.join("log/.kura-abc123"), b"half a checkpoint").unwrap();
    // Older than a minute: no run is still writing them.
    for p in [v3.join(".kura-log-x1y2z3"), v3.join("log/.kura-abc123")] {
        let ok = std::process::Command::new("touch")
            .args(["-h", "-d", "2 hours ago"])
            .arg(&p)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let out = kura(&["verify", v3.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", says(&out));
    assert!(
        stdout(&out).contains("left by an interrupted kura run"),
        "{}",
        says(&out)
    );
    let out = kura(&[
        "checkpoint",
        v3.to_str().unwrap(),
        "--sign",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
    assert!(!v3.join(".kura-log-x1y2z3").exists());
    assert!(!v3.join("log/.kura-abc123").exists());
    let out = kura(&["verify", v3.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", says(&out));
}
