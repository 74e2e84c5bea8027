//! Findings for auditors, `kura diff` between versions, and the history of
//! every station.

use crate::common::*;

use std::collections::BTreeSet;
use std::path::Path;

/// The (check, form) pairs of a findings.csv with the given severity.
fn findings_of(site: &Path, severity: &str) -> BTreeSet<(String, String)> {
    read(&site.join("data/findings.csv"))
        .lines()
        .skip(1)
        .filter(|l| l.starts_with(&format!("{severity},")))
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, ',').collect();
            (f[1].to_string(), f[4].to_string())
        })
        .collect()
}

#[test]
fn every_planted_problem_is_found_and_nothing_else_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let out = kura(&[
        "sample",
        "-o",
        input.to_str().unwrap(),
        "--stations",
        "600",
        "--seed",
        "7",
    ]);
    assert!(out.status.success());
    // "planted: sum-mismatch on F; …; scan-reused on A and B; …"
    let summary = stderr(&out);
    let planted = summary.split("planted: ").nth(1).unwrap().trim();
    let mut expected_errors = BTreeSet::new();
    let mut expected_other = BTreeSet::new();
    for item in planted.split("; ") {
        let (check, forms) = item.split_once(" on ").unwrap();
        for form in forms.split(" and ") {
            let pair = (check.to_string(), form.to_string());
            if kura::check::CheckId::parse(check).unwrap().severity()
                == kura::check::Severity::Error
            {
                expected_errors.insert(pair);
            } else {
                expected_other.insert(pair);
            }
        }
    }
    let site = build(&input, tmp.path());
    let errors = findings_of(&site, "error");
    // over-registered fires on every form of the planted station, not just one.
    let planted_station: String = expected_errors
        .iter()
        .find(|(c, _)| c == "over-registered")
        .map(|(_, f)| f.split_once('-').unwrap().1.to_string())
        .unwrap();
    for (check, form) in &errors {
        let ok = expected_errors.contains(&(check.clone(), form.clone()))
            || (check == "over-registered" && form.ends_with(&planted_station));
        assert!(ok, "unplanted error finding {check} on {form}");
    }
    for e in &expected_errors {
        assert!(errors.contains(e), "planted {e:?} not found");
    }
    let all: BTreeSet<(String, String)> = ["warning", "info"]
        .iter()
        .flat_map(|s| findings_of(&site, s))
        .collect();
    for e in &expected_other {
        assert!(all.contains(e), "planted {e:?} not found");
    }
    // The aggregate mismatch names the candidate that differs.
    let csv = read(&site.join("data/findings.csv"));
    let line = csv
        .lines()
        .find(|l| l.contains(",aggregate-mismatch,"))
        .unwrap();
    assert!(line.contains("c2 ("), "{line}");
    assert!(line.contains("(+25)"), "{line}");
}

#[test]
fn findings_pages_count_first_then_list_and_link() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let page = read(&site.join("findings/N.html"));
    let counts = page.find("<table class=\"counts\">").unwrap();
    let first_list = page.find("<ul class=\"finding-list\">").unwrap();
    assert!(counts < first_list, "counts come first");
    assert!(page.contains("href=\"#check-sum-mismatch\""));
    assert!(page.contains("href=\"../areas/D3.html#form-F-D3-mp\""));
    // A subtree's page has only its own findings.
    let r1 = read(&site.join("findings/R1.html"));
    assert!(r1.contains("sum-mismatch"));
    assert!(!r1.contains("aggregate-mismatch"), "D3 is not under R1");
    // Badges on the affected station.
    let s3 = read(&site.join("areas/S3.html"));
    assert!(s3.contains("<span class=\"badge sev-error\">sum-mismatch</span>"));
}

#[test]
fn more_checks_an_auditor_expects() {
    let (tmp, input) = scratch("awkward");
    // S1: 500 registered; make it 100 % turnout. S5: 200 registered; 95 % turnout.
    // S2: high rejected share. F-S3-gov: no line for candidate d.
    let forms = read(&input.join("forms.csv"))
        .replace(",F-S1-pres,S1,pres,s1-pres.png,", ",F-S1-pres,S1,pres,,")
        .replace(
            "provisional,F-S2-pres,S2,pres,missing.png,,,",
            "provisional,F-S2-pres,S2,pres,,,40,",
        );
    let forms = forms.replace(",5,150,KIT-1", ",350,150,KIT-1").replace(
        "verified,F-S5-pres,S5,pres,,,2,",
        "verified,F-S5-pres,S5,pres,,,90,",
    );
    let results = read(&input.join("results.csv")).replace("25,F-S3-gov,d\r\n", "");
    std::fs::write(input.join("forms.csv"), forms).unwrap();
    std::fs::write(input.join("results.csv"), results).unwrap();
    let site = build(&input, tmp.path());
    let warnings = findings_of(&site, "warning");
    assert!(
        warnings.contains(&("full-turnout".into(), "F-S1-pres".into())),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("high-turnout".into(), "F-S5-pres".into())),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("high-rejected".into(), "F-S2-pres".into())),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&("missing-line".into(), "F-S3-gov".into())),
        "{warnings:?}"
    );
    let csv = read(&site.join("data/findings.csv"));
    assert!(
        csv.contains(
            "warning,high-turnout,S5,pres,F-S5-pres,\"turnout 95.0% (190 ballots, 200 registered)\""
        ),
        "{csv}"
    );
}

#[test]
fn diff_names_every_changed_and_added_form_and_no_other() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, v1, v2) = two_versions(tmp.path());
    let out = kura(&["diff", v1.to_str().unwrap(), v2.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("forms added (1):\n  + F-S4-pres (area S4, race pres)"),
        "{text}"
    );
    assert!(
        text.contains("  ~ F-S1-pres (area S1, race pres)"),
        "{text}"
    );
    assert!(text.contains("votes:a: 100 → 110"), "{text}");
    assert!(text.contains("scan: scans/"), "{text}");
    assert!(text.contains("totals changed"), "{text}");
    assert!(text.contains("N pres a: 250 → 290"), "{text}");
    for unchanged in [
        "F-S2-pres",
        "F-S3-pres",
        "F-S5-pres",
        "F-S1-gov",
        "F-D1-pres",
    ] {
        assert!(
            !text.contains(&format!("~ {unchanged}")),
            "{unchanged} did not change:\n{text}"
        );
    }
    assert!(text.contains("findings appeared"), "{text}");
    assert!(text.contains("files: "), "{text}");

    let out = kura(&["diff", v1.to_str().unwrap(), v2.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["forms"]["added"][0]["form"], "F-S4-pres");
    assert_eq!(json["forms"]["changed"].as_array().unwrap().len(), 1);
    let fields = json["forms"]["changed"][0]["changes"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["field"] == "votes:a" && f["before"] == "100" && f["after"] == "110")
    );
    assert!(
        json["files"]["changed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "index.html")
    );
}

#[test]
fn diff_of_a_site_with_its_copy_is_empty_and_trouble_is_two() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let copy = tmp.path().join("copy");
    copy_tree(&site, &copy);
    let out = kura(&["diff", site.to_str().unwrap(), copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("no differences"));
    let out = kura(&[
        "diff",
        site.to_str().unwrap(),
        tmp.path().join("nope").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nope: no SHA256SUMS"),
        "{}",
        stderr(&out)
    );
    std::fs::write(copy.join("data/forms.csv"), "not,the,schema\n").unwrap();
    let out = kura(&["diff", site.to_str().unwrap(), copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("does not verify against its own SHA256SUMS: altered: data/forms.csv"),
        "{}",
        stderr(&out)
    );
}

/// The published scan path of a form, from a site's forms.csv.
fn scan_of(site: &Path, form: &str) -> String {
    read(&site.join("data/forms.csv"))
        .lines()
        .find(|l| l.starts_with(&format!("{form},")))
        .and_then(|l| l.split(',').nth(6))
        .unwrap()
        .to_string()
}

#[test]
fn a_replaced_scan_stays_published_and_shows_in_the_station_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, v1, v2) = two_versions(tmp.path());
    let old_scan = scan_of(&v1, "F-S1-pres");
    let new_scan = scan_of(&v2, "F-S1-pres");
    assert_ne!(old_scan, new_scan);
    assert!(
        v2.join(&old_scan).is_file(),
        "the replaced scan is still published"
    );
    assert!(v2.join(&new_scan).is_file());
    let page = read(&v2.join("areas/S1.html"));
    let history = &page[page.find("id=\"history\"").expect("a history section")..];
    assert!(
        history.contains(&format!("href=\"../{old_scan}\"")),
        "{history}"
    );
    assert!(
        history.contains(&format!("href=\"../{new_scan}\"")),
        "{history}"
    );
    assert!(history.contains("href=\"../changes/2.html\""));
    assert_eq!(broken_links(&v2), Vec::<String>::new());
    // Everything carried over is listed, so the copy verifies.
    assert_eq!(
        kura(&["verify", v2.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn changes_pages_and_the_feed_carry_every_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, _, v2) = two_versions(tmp.path());
    let changes = read(&v2.join("changes/2.html"));
    assert!(changes.contains("F-S1-pres"));
    assert!(changes.contains("F-S4-pres"));
    assert!(
        !changes.contains("F-S2-pres"),
        "unchanged forms are not mentioned"
    );
    let v3 = tmp.path().join("v3");
    let out = kura_with(
        tmp.path(),
        &[
            "build",
            input.to_str().unwrap(),
            "-o",
            v3.to_str().unwrap(),
            "--previous",
            v2.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700007200")],
    );
    assert!(out.status.success());
    assert!(
        v3.join("changes/2.html").is_file(),
        "earlier changes pages carried over"
    );
    assert!(v3.join("changes/3.html").is_file());
    assert!(read(&v3.join("changes/3.html")).contains("Nothing changed"));
    let feed = read(&v3.join("feed.xml"));
    assert_eq!(feed.matches("<entry>").count(), 3);
    assert!(feed.contains("<updated>2023-11-15T00:13:20Z</updated>"));
    assert!(feed.contains("https://results.example.org/awkward/changes/2.html"));
    let index = read(&v3.join("changes/index.html"));
    assert!(
        index.contains("href=\"2.html\"") || index.contains("href=\"../changes/2.html\""),
        "{index}"
    );
    // Each version's id, where a later version can state it; the version
    // being built says where its own id is found instead.
    let (id1, id2) = (version_id(&tmp.path().join("v1")), version_id(&v2));
    assert!(read(&v3.join("changes/2.html")).contains(&format!("<code class=\"id\">{id2}</code>")));
    assert!(read(&v3.join("changes/3.html")).contains("id is the SHA-256 of its SHA256SUMS file"));
    for id in [&id1, &id2] {
        assert!(feed.contains(&format!("Version id {id}")), "{feed}");
        assert!(index.contains(id.as_str()), "{index}");
    }
}

#[test]
fn diff_names_area_race_and_candidate_changes_over_http_too() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_tree(&fixture("awkward"), &input);
    let v1 = build(&input, tmp.path());
    let edit = |file: &str, from: &str, to: &str| {
        let text = read(&input.join(file));
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(input.join(file), text.replace(from, to)).unwrap();
    };
    edit(
        "areas.csv",
        "Station 2,,D1,S2,400",
        "Station Two,,D1,S2,450",
    );
    edit(
        "candidates.csv",
        "b,pres,Bob,,,",
        "b,pres,Bob,Independent,,",
    );
    edit(
        "races.csv",
        "R1,gov-r1,Governor of North",
        "R1,gov-r1,Governor of the North",
    );
    let v2 = tmp.path().join("v2");
    let out = kura_with(
        tmp.path(),
        &[
            "build",
            input.to_str().unwrap(),
            "-o",
            v2.to_str().unwrap(),
            "--previous",
            v1.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700003600")],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let out = kura(&["diff", v1.to_str().unwrap(), v2.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "areas changed (1):\n  ~ S2\n      name: Station 2 → Station Two\n      registered: 400 → 450\n",
        "races changed (1):\n  ~ gov-r1\n      name: Governor of North → Governor of the North\n",
        "candidates changed (1):\n  ~ pres/b\n      party: (none) → Independent\n",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    assert!(!text.contains("forms changed"), "{text}");
    assert!(stderr(&out).contains("no --key given"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("does not follow"),
        "{}",
        stderr(&out)
    );

    // The same over HTTP, each side fetched and checked.
    let (s1, s2) = (Server::start(&v1), Server::start(&v2));
    let web = kura(&["diff", &s1.url, &s2.url]);
    assert_eq!(web.status.code(), Some(1), "{}", stderr(&web));
    assert_eq!(stdout(&web), text);
    let json: serde_json::Value =
        serde_json::from_slice(&kura(&["diff", &s1.url, &s2.url, "--json"]).stdout).unwrap();
    assert_eq!(json["areas"]["changed"][0]["id"], "S2");
    assert_eq!(
        json["candidates"]["changed"][0]["changes"][0]["after"],
        "Independent"
    );

    // Backwards: NEW does not follow OLD.
    let out = kura(&["diff", v2.to_str().unwrap(), v1.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not follow OLD"),
        "{}",
        stderr(&out)
    );

    // The changes page and the station's history show the area change.
    let page = read(&v2.join("changes/2.html"));
    let areas = &page[page.find("id=\"areas\"").expect("an areas section")..];
    assert!(areas.contains("href=\"../areas/S2.html\""), "{areas}");
    assert!(
        areas.contains("<code>registered</code>: 400 → 450"),
        "{areas}"
    );
    assert!(page.contains("id=\"candidates\"") && page.contains("Independent"));
    let station = read(&v2.join("areas/S2.html"));
    let history = &station[station.find("id=\"history\"").expect("a history")..];
    assert!(
        history.contains("<code>name</code>: Station 2 → Station Two"),
        "{history}"
    );
    assert_eq!(broken_links(&v2), Vec::<String>::new());
}

/// The open data a build compares with the previous version (made in
/// memory, from the rows its CSV files are written from) is the open data
/// it publishes, as `kura diff` reads it back from the site.
#[test]
fn the_snapshot_a_build_makes_is_the_one_its_site_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    // The awkward fixture, and a sample of six races with every kind of
    // finding planted (the real election in data/ has one race and took
    // half a minute here in a debug build).
    let sample = tmp.path().join("sample");
    let out = kura(&[
        "sample",
        "-o",
        sample.to_str().unwrap(),
        "--stations",
        "300",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (i, input) in [fixture("awkward"), sample].into_iter().enumerate() {
        let site = build(&input, &tmp.path().join(i.to_string()));
        let el = kura::load::load(&input, &kura::load::Options::default()).unwrap();
        let tally = kura::tally::tally(&el, &input.join("forms.csv")).unwrap();
        let findings = kura::check::findings(&el, &tally);
        let made = kura::diff::Snapshot::of(&el, &tally, &findings);
        let read = kura::diff::Snapshot::read(&site).unwrap();
        assert!(made.same_data(&read), "{}", input.display());
        assert!(kura::diff::diff(&read, &made).is_empty());
    }
}

/// A finding that appears in a version is worded on the changes page in
/// each language of the site, not only in English.
#[test]
fn a_changes_page_words_new_findings_in_its_language() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_tree(&fixture("awkward"), &input);
    let toml = read(&input.join("election.toml")) + "languages = [\"en\", \"sw\"]\n";
    std::fs::write(input.join("election.toml"), toml).unwrap();
    let build = |out: &str, previous: Option<&str>| {
        let out = tmp.path().join(out);
        let mut args = vec![
            "build",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        let previous = previous.map(|p| tmp.path().join(p));
        if let Some(p) = &previous {
            args.extend(["--previous", p.to_str().unwrap()]);
        }
        let o = kura(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    build("v1", None);
    let results = read(&input.join("results.csv")).replace("100,F-S1-pres,a", "900,F-S1-pres,a");
    std::fs::write(input.join("results.csv"), results).unwrap();
    let v2 = build("v2", Some("v1"));
    let sw = read(&v2.join("sw/changes/2.html"));
    assert!(
        sw.contains("kura za wagombea zinajumlisha 950, fomu inasema kura halali 150 (+800)"),
        "{sw}"
    );
    let en = read(&v2.join("changes/2.html"));
    assert!(
        en.contains("candidate votes add up to 950, the form says total_valid 150 (+800)"),
        "{en}"
    );
}
