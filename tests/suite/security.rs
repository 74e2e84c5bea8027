//! The holes an attacker found, each as a class: data loss, bytes
//! published that differ from the input, colliding output paths, markup
//! and script injection, hangs on special files and unbounded growth,
//! forged terminal output, and errors hidden behind others. Every test
//! here failed before its fix.

use crate::common::*;
use crate::errors::refused;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs kura with `args` in `dir`, killing it if it has not finished within
/// `limit`: the test then fails, naming the command that hung.
fn kura_within(dir: &Path, args: &[&str], limit: Duration) -> std::process::Output {
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("XDG_STATE_HOME", state.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kura {args:?} hung for over {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success());
}

// ---- data loss and integrity -------------------------------------------

#[test]
fn a_folder_that_is_not_a_kura_site_is_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    std::fs::create_dir_all(app.join("js")).unwrap();
    // A web app's manifest.json is no kura manifest.
    std::fs::write(app.join("manifest.json"), r#"{"name":"my app"}"#).unwrap();
    std::fs::write(app.join("index.html"), "mine").unwrap();
    std::fs::write(app.join("js/app.js"), "mine too").unwrap();
    let before = snapshot(&app);
    for _ in 0..3 {
        let out = kura(&[
            "build",
            fixture("awkward").to_str().unwrap(),
            "-o",
            app.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not a site built by kura"),
            "{}",
            stderr(&out)
        );
    }
    assert!(snapshot(&app) == before, "the user's files changed");
    let others: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(others, ["app"], "nothing is left beside it");

    // A SHA256SUMS of its own does not make it a kura site either.
    std::fs::write(app.join("SHA256SUMS"), "").unwrap();
    let out = kura(&[
        "build",
        fixture("awkward").to_str().unwrap(),
        "-o",
        app.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_file_added_to_a_live_site_stops_the_next_build_and_survives() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    std::fs::write(site.join("CNAME"), "results.example.org\n").unwrap();
    std::fs::create_dir_all(site.join("extra")).unwrap();
    std::fs::write(site.join("extra/notes.txt"), "keep me").unwrap();
    for _ in 0..3 {
        let out = kura(&[
            "build",
            fixture("awkward").to_str().unwrap(),
            "-o",
            site.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("does not list: CNAME, extra/notes.txt;"),
            "{err}"
        );
    }
    assert_eq!(read(&site.join("CNAME")), "results.example.org\n");
    assert_eq!(read(&site.join("extra/notes.txt")), "keep me");
    // Moved out, the build goes ahead.
    std::fs::remove_file(site.join("CNAME")).unwrap();
    std::fs::remove_dir_all(site.join("extra")).unwrap();
    let out = kura(&[
        "build",
        fixture("awkward").to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_scan_swapped_with_its_time_restored_is_published_as_it_is_now() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_tree(&fixture("awkward"), &input);
    let scan = input.join("scans/s1-pres.png");
    let site = build(&input, tmp.path());
    let old = std::fs::read(&scan).unwrap();
    let modified = std::fs::metadata(&scan).unwrap().modified().unwrap();
    // Same size, same first bytes, one byte different, time put back.
    let mut new = old.clone();
    let last = new.len() - 1;
    new[last] ^= 0xff;
    std::fs::write(&scan, &new).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&scan)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let forms = read(&site.join("data/forms.csv"));
    let published = forms
        .lines()
        .find(|l| l.starts_with("F-S1-pres,"))
        .and_then(|l| l.split(',').find(|f| f.starts_with("scans/")))
        .unwrap()
        .to_string();
    assert_eq!(std::fs::read(site.join(&published)).unwrap(), new);
    let verify = kura(&["verify", site.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    // `check` and `build` agree: the declared hash no longer matches.
    let check = kura(&["check", input.to_str().unwrap()]);
    assert!(
        stdout(&check).contains("scan-hash-mismatch"),
        "{}",
        stdout(&check)
    );
    let findings = read(&site.join("data/findings.csv"));
    assert!(findings.contains("scan-hash-mismatch"), "{findings}");
}

#[test]
fn codes_whose_pages_would_collide_are_refused() {
    let areas = std::fs::read_to_string(fixture("awkward").join("areas.csv")).unwrap();
    for (code, why) in [
        ("index", "a name kura uses"),
        ("INDEX", "a name kura uses"),
        ("CON", "Windows reserves"),
        ("nul.x", "Windows reserves"),
        ("Lpt1", "Windows reserves"),
    ] {
        // A region renamed: its children follow.
        let changed = areas
            .replace(",N,R2,", &format!(",N,{code},"))
            .replace(",R2,D3,", &format!(",{code},D3,"));
        let line = changed
            .lines()
            .position(|l| l.contains(&format!(",N,{code},")))
            .unwrap()
            + 1;
        refused(
            &[("areas.csv", Some(changed.as_bytes()))],
            &[&format!("areas.csv:{line}: area code '{code}'"), why],
        );
    }
    refused(
        &[("pages/con.md", Some(b"# Con\n".as_slice()))],
        &["pages/con.md: page name 'con'", "Windows reserves"],
    );
}

#[test]
fn building_into_the_current_folder_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let input = fixture("awkward");
    // A rebuild from inside the live site: `-o .`.
    let out = kura_in(&site, &["build", input.to_str().unwrap(), "-o", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let strays: Vec<String> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".kura"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
    // A failed one leaves nothing, inside or beside.
    let (_bad_tmp, bad) = scratch("awkward");
    std::fs::write(
        bad.join("races.csv"),
        "id,name,area\npres,President,NOWHERE\n",
    )
    .unwrap();
    let before = snapshot(&site);
    let out = kura_in(&site, &["build", bad.to_str().unwrap(), "-o", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert!(snapshot(&site) == before);
    let beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".kura-build"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    assert!(kura(&["verify", site.to_str().unwrap()]).status.success());
}

// ---- script and markup injection ---------------------------------------

#[test]
fn markdown_cannot_make_attributes() {
    let (tmp, input) = scratch("awkward");
    std::fs::write(
        input.join("pages/about.md"),
        "# About {#main .x onfocus=alert(1) tabindex=1 style=position:fixed}\n\n## Two {onclick=alert(2)}\n\nText.\n",
    )
    .unwrap();
    let site = build(&input, tmp.path());
    let page = read(&site.join("pages/about.html"));
    // The braces stay text; no heading gets an attribute.
    assert!(
        page.contains("onfocus=alert(1)"),
        "the text is kept as text"
    );
    for bad in [
        "onfocus=\"",
        "onclick=\"",
        "tabindex=\"1\"",
        "style=\"position",
        "<h1 ",
        "<h2 ",
    ] {
        assert!(!page.contains(bad), "{bad} reached the page");
    }
}

#[test]
fn scans_are_accepted_by_content_not_by_name() {
    let forms = std::fs::read_to_string(fixture("awkward").join("forms.csv")).unwrap();
    let line = forms
        .lines()
        .position(|l| l.contains("s1-pres.png"))
        .unwrap()
        + 1;
    let unhashed = forms.replace(
        "91CB1497D8051BB2C359A325105F43CCFA33E43DE643C074B9C60E269D486F9C",
        "",
    );
    for body in [
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".as_slice(),
        b"<!doctype html><script>alert(1)</script>",
        b"%PDF-1.4 but named png",
        b"",
    ] {
        refused(
            &[
                ("forms.csv", Some(unhashed.as_bytes())),
                ("scans/s1-pres.png", Some(body)),
            ],
            &[&format!(
                "forms.csv:{line}: scan 's1-pres.png' is not a PNG file by its content"
            )],
        );
    }
    let pdf_line = forms
        .lines()
        .position(|l| l.contains("agg/d1.pdf"))
        .unwrap()
        + 1;
    refused(
        &[(
            "scans/agg/d1.pdf",
            Some(b"<html><body onload=alert(1)>".as_slice()),
        )],
        &[&format!(
            "forms.csv:{pdf_line}: scan 'agg/d1.pdf' is not a PDF file"
        )],
    );
}

#[test]
fn kura_serve_sends_nosniff_and_a_policy_and_bounds_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let mut server = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(["serve", site.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = server.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while !first.ends_with('\n') && stdout.read(&mut byte).unwrap() == 1 {
        first.push(byte[0] as char);
    }
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let get = |request: &[u8]| -> String {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let _ = s.write_all(request);
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    let answer = get(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("X-Content-Type-Options: nosniff\r\n"));
    assert!(answer.contains("Content-Security-Policy: default-src 'self'"));
    // An endless header is cut off.
    let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 200_000));
    let answer = get(&huge);
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "{}",
        &answer[..answer.len().min(80)]
    );
    // Hundreds of idle connections hold a bounded number of threads.
    let idle: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
    let threads: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        threads <= 40,
        "{threads} threads for {} idle connections",
        idle.len()
    );
    drop(idle);
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn settings_that_reach_robots_sitemap_and_feed_are_checked() {
    let toml = std::fs::read_to_string(fixture("awkward").join("election.toml")).unwrap();
    let line = toml
        .lines()
        .position(|l| l.starts_with("base_url"))
        .unwrap()
        + 1;
    for url in [
        "https://results.example.org/\\nDisallow: /",
        "https://results.example.org/a b",
        "https://results.example.org/\\\"><script>",
        "https:///nohost",
        "https://results.example.org/?q=1",
        "https://user:secret@results.example.org/",
        "https://results.example.org/it's",
    ] {
        let changed = toml.replace("https://results.example.org/awkward/", url);
        refused(
            &[("election.toml", Some(changed.as_bytes()))],
            &[&format!("election.toml:{line}: base_url")],
        );
    }
    let title = toml.replace("title = \"Awkward", "title = \"Awk\\u001b[2Kward");
    refused(
        &[("election.toml", Some(title.as_bytes()))],
        &["election.toml:2: 'title' contains a control character"],
    );
    // A CSV value with an escape inside quotes (a line break is white
    // space, and real exports have them).
    let areas = std::fs::read_to_string(fixture("awkward").join("areas.csv")).unwrap();
    let broken = areas.replace("South & Co", "\"South\x1b]0;x\x07Region\"");
    refused(
        &[("areas.csv", Some(broken.as_bytes()))],
        &["areas.csv:4: column 'name' holds a control character"],
    );
}

// ---- hangs and resource exhaustion -------------------------------------

#[test]
fn special_files_are_refused_without_hanging() {
    let limit = Duration::from_secs(20);
    for (file, expected) in [
        ("areas.csv", "areas.csv: cannot read: is not a regular file"),
        (
            "election.toml",
            "election.toml: cannot read: is not a regular file",
        ),
        (
            "pages/about.md",
            "about.md: cannot read: is not a regular file",
        ),
        (
            "results.csv",
            "results.csv: cannot read: is not a regular file",
        ),
    ] {
        let (tmp, input) = scratch("awkward");
        mkfifo(&input.join(file));
        for cmd in ["check", "build"] {
            let out = kura_within(
                tmp.path(),
                &[cmd, input.to_str().unwrap(), "-o", "site"][..if cmd == "check" { 2 } else { 4 }],
                limit,
            );
            assert_eq!(out.status.code(), Some(1), "{cmd} {file}: {}", stderr(&out));
            assert!(
                stderr(&out).contains(expected),
                "{cmd} {file}: {}",
                stderr(&out)
            );
        }
        assert!(!tmp.path().join("site").exists());
    }
    // A site whose files are FIFOs: verify, diff and --previous.
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let other = tmp.path().join("other");
    copy_tree(&site, &other);
    for name in ["data/forms.csv", "SHA256SUMS", "manifest.json"] {
        let copy = tmp.path().join("copy");
        let _ = std::fs::remove_dir_all(&copy);
        copy_tree(&site, &copy);
        mkfifo(&copy.join(name));
        let c = copy.to_str().unwrap();
        let verify = kura_within(tmp.path(), &["verify", c], limit);
        assert_ne!(verify.status.code(), Some(0), "verify with a FIFO {name}");
        let diff = kura_within(tmp.path(), &["diff", other.to_str().unwrap(), c], limit);
        if name == "data/forms.csv" {
            assert_eq!(diff.status.code(), Some(2), "diff with a FIFO {name}");
        }
        let input = fixture("awkward");
        let previous = kura_within(
            tmp.path(),
            &[
                "build",
                input.to_str().unwrap(),
                "-o",
                "next",
                "--previous",
                c,
            ],
            limit,
        );
        assert_ne!(
            previous.status.code(),
            Some(0),
            "--previous with a FIFO {name}"
        );
    }
}

#[test]
fn one_long_name_cannot_blow_up_the_search_index() {
    let (tmp, input) = scratch("awkward");
    let areas = read(&input.join("areas.csv"));
    let long: String = (0..3000).map(|i| format!("w{i:05} ")).collect();
    std::fs::write(
        input.join("areas.csv"),
        areas.replace("Station 1,", &format!("{long},")),
    )
    .unwrap();
    let site = build(&input, tmp.path());
    let mut total = 0u64;
    let mut with_name = 0;
    for e in std::fs::read_dir(site.join("search")).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        total += bytes.len() as u64;
        if String::from_utf8_lossy(&bytes).contains("w02999") {
            with_name += 1;
        }
    }
    // The name (21 KB) is filed under at most 12 words and its code.
    assert!(with_name <= 13, "{with_name} pieces carry the name");
    assert!(total < 400_000, "search index is {total} bytes");
}

// ---- forged terminal output --------------------------------------------

#[test]
fn what_is_echoed_from_a_copy_cannot_drive_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let mut sums = read(&site.join("SHA256SUMS"));
    sums.push_str(&format!(
        "{}  evil\x1b[2K\rintact: 99 files match SHA256SUMS\n",
        "0".repeat(64)
    ));
    std::fs::write(site.join("SHA256SUMS"), sums).unwrap();
    let out = kura(&["verify", site.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    assert!(text.contains("evil\\u{1b}[2K\\rintact"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("intact")), "{text}");

    // kura diff: a form id in an edited copy's open data.
    let other = tmp.path().join("other");
    let v1 = build(&fixture("awkward"), &tmp.path().join("v1"));
    copy_tree(&v1, &other);
    let forms = read(&other.join("data/forms.csv"));
    std::fs::write(
        other.join("data/forms.csv"),
        forms.replace("F-S1-pres,", "\"F-S1\nforms.csv:1: forged\x1b]0;x\x07\","),
    )
    .unwrap();
    let _ = std::fs::remove_file(other.join("SHA256SUMS"));
    let out = kura(&["diff", v1.to_str().unwrap(), other.to_str().unwrap()]);
    let text = stdout(&out) + &stderr(&out);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    assert!(
        !text.lines().any(|l| l.starts_with("forms.csv:1:")),
        "{text}"
    );
}

// ---- all errors at once ------------------------------------------------

#[test]
fn errors_in_every_file_are_listed_in_one_run() {
    let (tmp, input) = scratch("awkward");
    let areas = read(&input.join("areas.csv"));
    std::fs::write(input.join("areas.csv"), areas.replace(",R1,D1,", ",RX,D1,")).unwrap();
    let forms = read(&input.join("forms.csv"));
    std::fs::write(
        input.join("forms.csv"),
        forms.replace(",F-S3-pres,S3,", ",F-S3-pres,NOWHERE,"),
    )
    .unwrap();
    let mut results = read(&input.join("results.csv"));
    results.push_str("7,F-S1-pres,zed\n");
    std::fs::write(input.join("results.csv"), results).unwrap();
    // A scan whose content is not its type, behind all of that.
    std::fs::write(input.join("scans/agg/d1.pdf"), "<html>").unwrap();
    let out = kura(&["check", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in [
        "areas.csv:5: area 'D1' has unknown parent 'RX'",
        "forms.csv:4: form 'F-S3-pres' is on unknown area 'NOWHERE'",
        "unknown candidate 'zed' in race 'pres'",
        "scan 'agg/d1.pdf' is not a PDF file by its content",
    ] {
        assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    }
    drop(tmp);
}

#[test]
fn a_published_file_edited_with_its_time_restored_is_written_again() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let input = fixture("awkward");
    let rebuild = || {
        let out = kura(&[
            "build",
            input.to_str().unwrap(),
            "-o",
            site.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    // Twice, so that the altered file is met both in the live site and
    // in the spare brought up to date.
    for _ in 0..2 {
        rebuild();
        let file = site.join("data/areas.csv");
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        let text = read(&file);
        std::fs::write(&file, text.replace("Nation", "NATION")).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        rebuild();
        assert!(!read(&file).contains("NATION"));
        let out = kura(&["verify", site.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stdout(&out));
    }
}

/// The cache beside the output and the spare site are no more trusted
/// than any input: a folder or file the cache names outside the site, or
/// one reached through a symbolic link put in place of a folder of the
/// spare (its time set back), is never listed, pruned or removed.
#[test]
fn a_hostile_cache_or_spare_never_removes_files_outside_the_site() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture("awkward");
    let site = tmp.path().join("site");
    let build_at = |epoch: u64| build_at(&input, &site, epoch, &[]);
    build_at(0);
    build_at(1);
    let spare = tmp.path().join(".kura-spare-site");
    assert!(spare.join("areas").is_dir());
    // Someone else's files beside the site.
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "mine").unwrap();
    std::fs::write(outside.join("S1.html"), "mine too").unwrap();
    // The cache names them as the spare's.
    let cache = tmp.path().join(".site.kura-cache");
    let mut text = read(&cache);
    let sha = "0".repeat(64);
    text.push_str(&format!(
        "Q\t../outside\t0\nP\t../outside/keep.txt\t4\t0/0\t{sha}\nP\t/{}\t4\t0/0\t{sha}\n",
        outside.join("S1.html").display()
    ));
    std::fs::write(&cache, text).unwrap();
    // The spare's `areas` folder becomes a link to them, with the time of
    // the folder holding it set back.
    let modified = std::fs::metadata(&spare).unwrap().modified().unwrap();
    std::fs::rename(spare.join("areas"), tmp.path().join("areas-moved")).unwrap();
    std::os::unix::fs::symlink(&outside, spare.join("areas")).unwrap();
    std::fs::File::open(&spare)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    build_at(2);
    assert_eq!(read(&outside.join("keep.txt")), "mine");
    assert_eq!(read(&outside.join("S1.html")), "mine too");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 2);
    // The version built in that spare is whole and holds no link.
    let out = kura(&["verify", site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        std::fs::symlink_metadata(site.join("areas"))
            .unwrap()
            .is_dir()
    );
}

/// Whoever can write beside a signed site cannot make the next build take
/// a file of theirs for one kura wrote, and sign it: the cache kept beside
/// the site is authenticated with the signing key, and one that does not
/// authenticate is not used (the next build writes every file again).
#[test]
fn a_forged_cache_beside_a_signed_site_is_not_believed() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let (secret, _) = keygen(tmp.path());
    let input = fixture("awkward");
    let site = tmp.path().join("site");
    let build_at =
        |epoch: u64| build_at(&input, &site, epoch, &["--sign", secret.to_str().unwrap()]);
    build_at(0);
    assert!(build_at(0).contains("is up to date"), "the cache is used");
    // A page is edited, and its line in the cache given the page's new
    // size, times and hash, as if kura had written it.
    let rel = "areas/S1.html";
    let page = site.join(rel);
    let forged = read(&page).replacen("<main", "<h1>FORGED</h1><main", 1);
    assert!(forged.contains("FORGED"));
    std::fs::write(&page, &forged).unwrap();
    let m = std::fs::metadata(&page).unwrap();
    let sha: String = <sha2::Sha256 as sha2::Digest>::digest(forged.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let line = format!(
        "O\t{rel}\t{}\t{}/{}\t{sha}",
        m.len(),
        m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        m.ctime() as i128 * 1_000_000_000 + m.ctime_nsec() as i128,
    );
    let cache = tmp.path().join(".site.kura-cache");
    let text: String = read(&cache)
        .lines()
        .map(|l| {
            if l.starts_with(&format!("O\t{rel}\t")) {
                format!("{line}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(text.contains(&line));
    std::fs::write(&cache, text).unwrap();
    // The next version has the page as the input makes it, and verifies.
    assert!(!build_at(1).contains("is up to date"));
    assert!(!read(&page).contains("FORGED"));
    let out = kura(&["verify", site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
}

/// A file an interrupted run would leave (`.kura-log-*`) found in the live
/// site is no part of it: a build does not call such a site up to date.
#[test]
fn a_leftover_in_the_site_is_not_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture("awkward");
    let site = tmp.path().join("site");
    let build = || build_at(&input, &site, 0, &[]);
    build();
    assert!(build().contains("is up to date"));
    std::fs::write(
        site.join(".kura-log-evil.html"),
        "<script>alert(1)</script>",
    )
    .unwrap();
    assert!(!build().contains("is up to date"));
    let out = kura(&["verify", site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
}

/// A thread that keeps replacing a file with each of several prepared ones
/// in turn (by renaming a fresh copy or link over it) until stopped.
struct Swapper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

/// What a [`Swapper`] puts in place: a copy of a file, or a link to it.
#[derive(Clone)]
enum Put {
    Copy(std::path::PathBuf),
    Link(std::path::PathBuf),
}

impl Swapper {
    fn start(target: &Path, puts: Vec<Put>) -> Swapper {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, target) = (stop.clone(), target.to_path_buf());
        let thread = std::thread::spawn(move || {
            // Beside the input folder, not in it.
            let tmp = target.parent().unwrap().with_file_name("swap.tmp");
            let mut swaps = 0u64;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                for put in &puts {
                    match put {
                        Put::Copy(from) => std::fs::copy(from, &tmp).map(drop),
                        Put::Link(to) => std::os::unix::fs::symlink(to, &tmp),
                    }
                    .unwrap();
                    std::fs::rename(&tmp, &target).unwrap();
                }
                swaps += 1;
            }
            swaps
        });
        Swapper { stop, thread }
    }

    /// Stops swapping; how many rounds were made.
    fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// An input file swapped for a link leading out of the input folder while
/// builds run (after the check of its path, before its opening) is never
/// read: every build either publishes the input's own numbers or stops
/// with an error. Before input files were opened beneath the input folder,
/// about one build in four published the outside file.
#[test]
fn an_input_file_swapped_for_a_link_out_is_never_published() {
    let (tmp, input) = scratch("awkward");
    let real = tmp.path().join("real.csv");
    std::fs::copy(input.join("results.csv"), &real).unwrap();
    let secret = tmp.path().join("secret.csv");
    let text = read(&real).replace("100,F-S1-pres,a", "777777,F-S1-pres,a");
    std::fs::write(&secret, text).unwrap();
    let swapper = Swapper::start(
        &input.join("results.csv"),
        vec![Put::Link(secret), Put::Copy(real)],
    );
    let (mut built, mut refused) = (0, 0);
    for i in 0..60 {
        let site = tmp.path().join(format!("site{i}"));
        let out = kura_in(tmp.path(), &build_args(&input, &site, &[]));
        if out.status.success() {
            built += 1;
            for (path, bytes) in snapshot(&site) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains("777777"), "build {i} published {path}");
            }
        } else {
            refused += 1;
            assert!(stderr(&out).contains("results.csv"), "{}", stderr(&out));
            assert!(!site.exists());
        }
        let _ = std::fs::remove_dir_all(&site);
    }
    let swaps = swapper.stop();
    assert!(swaps > 60, "the file was swapped {swaps} times only");
    eprintln!("{built} built, {refused} refused, {swaps} swaps");
}

/// An input file changed while a build runs and put back as it was before
/// the next one (the walk that decides whether anything changed reads one
/// version, the load another) never leaves the site stale: the next build
/// publishes what the input holds. Before the load's bytes were compared
/// with the walk's, the site kept the passing version, and every later
/// build said "up to date".
#[test]
fn an_input_file_changed_and_put_back_during_a_build_is_published_as_it_is() {
    let (tmp, input) = scratch("awkward");
    let (real, other) = (tmp.path().join("real.csv"), tmp.path().join("other.csv"));
    std::fs::copy(input.join("results.csv"), &real).unwrap();
    let text = read(&real).replace("100,F-S1-pres,a", "777777,F-S1-pres,a");
    std::fs::write(&other, text).unwrap();
    let expected = tmp.path().join("expected");
    build_at(&input, &expected, 0, &[]);
    let site = tmp.path().join("site");
    let mut stale = 0;
    // Each round at its own time, so that its first build is a full one
    // whatever the round before left.
    for round in 0..40 {
        let swapper = Swapper::start(
            &input.join("results.csv"),
            vec![Put::Copy(real.clone()), Put::Copy(other.clone())],
        );
        let _ = build_at_time(&input, &site, round, &[]);
        swapper.stop();
        std::fs::copy(&real, input.join("results.csv")).unwrap();
        build_at(&input, &site, round, &[]);
        if read(&site.join("data/results.csv")) != read(&expected.join("data/results.csv")) {
            stale += 1;
        }
    }
    assert_eq!(stale, 0, "{stale} of 40 sites stayed stale");
}

/// Sparse files of a terabyte (a few kilobytes of disk) in the input are
/// refused or passed over at once: a CSV file stops at its first overlong
/// row, election.toml, a page and the boundaries at their size limits, and
/// a file kura does not read is known by its stamp, never read whole. The
/// CSV file took all memory, and the file kura does not read an hour of
/// hashing, before.
#[test]
fn sparse_terabyte_files_are_refused_without_reading_them() {
    let limit = Duration::from_secs(60);
    let sparse = |path: &Path| {
        std::fs::File::create(path)
            .unwrap()
            .set_len(1 << 40)
            .unwrap();
    };
    for (file, expected) in [
        (
            "results.csv",
            "results.csv:1: cannot read: a row is longer than 16777216 bytes",
        ),
        (
            "election.toml",
            "election.toml: cannot read: is larger than 1048576 bytes",
        ),
        (
            "pages/about.md",
            "about.md: cannot read: is larger than 16777216 bytes",
        ),
        (
            "boundaries.geojson",
            "boundaries.geojson: is larger than 268435456 bytes, the most boundaries may take",
        ),
    ] {
        let (tmp, input) = scratch("awkward");
        sparse(&input.join(file));
        let args = ["build", input.to_str().unwrap(), "-o", "site"];
        let out = kura_within(tmp.path(), &args, limit);
        assert_eq!(out.status.code(), Some(1), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{file}: {}", stderr(&out));
        assert!(!tmp.path().join("site").exists());
    }
    let (tmp, input) = scratch("awkward");
    sparse(&input.join("notes.bin"));
    let args = ["build", input.to_str().unwrap(), "-o", "site"];
    let first = kura_within(tmp.path(), &args, limit);
    assert!(first.status.success(), "{}", stderr(&first));
    let second = kura_within(tmp.path(), &args, limit);
    assert!(
        stderr(&second).contains("is up to date"),
        "{}",
        stderr(&second)
    );
}
