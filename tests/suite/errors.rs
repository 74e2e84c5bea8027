//! Bad input gets a precise error, as FILE:LINE: message, from both
//! `kura check` and `kura build`; exit 1; nothing is written and a site
//! already in the output folder stays byte for byte as it was.

use crate::common::*;

use std::path::Path;

/// Applies `changes` (file → new content, or `None` to delete) to a copy of
/// the awkward fixture, then expects both commands to refuse it with
/// every message in `expected`.
pub fn refused(changes: &[(&str, Option<&[u8]>)], expected: &[&str]) {
    let (tmp, input) = scratch("awkward");
    change(&input, changes);
    refused_dir(tmp.path(), &input, expected);
}

/// What `kura check` says of the awkward fixture with `changes` made.
fn check_with(changes: &[(&str, Option<&[u8]>)]) -> String {
    let (_tmp, input) = scratch("awkward");
    change(&input, changes);
    stderr(&kura(&["check", input.to_str().unwrap()]))
}

/// Writes (or with `None` removes) each file of `changes` in `input`.
fn change(input: &Path, changes: &[(&str, Option<&[u8]>)]) {
    for (file, content) in changes {
        let path = input.join(file);
        match content {
            Some(bytes) => {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, bytes).unwrap();
            }
            None => {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
}

fn refused_dir(tmp: &Path, input: &Path, expected: &[&str]) {
    let site = build(&fixture("awkward"), tmp);
    let before = snapshot(&site);
    for args in [
        vec!["check", input.to_str().unwrap()],
        vec![
            "build",
            input.to_str().unwrap(),
            "-o",
            site.to_str().unwrap(),
        ],
    ] {
        let out = kura(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?} should fail:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
        for e in expected {
            assert!(err.contains(e), "{args:?}: expected {e:?} in:\n{err}");
        }
    }
    assert!(snapshot(&site) == before, "the existing site changed");
    let leftovers: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".kura"))
        .collect();
    assert!(leftovers.is_empty(), "staging folders left behind");
}

const AREAS: &str = "code,name,parent,registered\nN,Nation,,\nR1,North,N,\nR2,South,N,\nD1,District A,R1,\nD2,District B,R1,\nD3,District C,R2,\nS1,Station 1,D1,500\nS2,Station 2,D1,400\nS3,Station 3,D2,300\nS4,Station 4,D3,\nS5,Station 5,D3,200\n";

fn areas_with(line: usize, replacement: &str) -> Vec<u8> {
    let mut lines: Vec<&str> = AREAS.lines().collect();
    lines[line - 1] = replacement;
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn wrong_number_of_fields() {
    refused(
        &[("areas.csv", Some(&areas_with(3, "R1,North,N,,surplus")))],
        &["areas.csv:3: expected 4 fields as in the header, found 5"],
    );
}

#[test]
fn missing_required_column() {
    refused(
        &[("races.csv", Some(b"id,name\npres,President\n"))],
        &["races.csv:1: missing required column 'area'"],
    );
}

#[test]
fn bad_codes() {
    refused(
        &[("areas.csv", Some(&areas_with(3, "R/1,North,N,")))],
        &["areas.csv:3: area code 'R/1' is not a valid code"],
    );
    refused(
        &[("areas.csv", Some(&areas_with(3, "..,North,N,")))],
        &["areas.csv:3: area code '..' is not a valid code"],
    );
    refused(
        &[("areas.csv", Some(&areas_with(3, ",North,N,")))],
        &["areas.csv:3: area code is empty"],
    );
    let long = format!("{},North,N,", "x".repeat(65));
    refused(
        &[("areas.csv", Some(&areas_with(3, &long)))],
        &["areas.csv:3: area code 'xxxxxxxxxxxxxxxxxxxx…' is longer than 64 characters"],
    );
}

#[test]
fn duplicate_codes_and_ids() {
    refused(
        &[("areas.csv", Some(&areas_with(4, "R1,South,N,")))],
        &["areas.csv:4: duplicate area code 'R1' (first on line 3)"],
    );
    refused(
        &[(
            "races.csv",
            Some(b"id,name,area\npres,President,N\npres,Again,N\n"),
        )],
        &["races.csv:3: duplicate race id 'pres' (first on line 2)"],
    );
    // Race ids name files (data/races/<race>/<code>.csv).
    refused(
        &[(
            "races.csv",
            Some(b"id,name,area\npres,President,N\ngov-r1,Governor,R1\nmp-d3,MP,D3\nPRES,Again,N\ncon,Con,N\n"),
        )],
        &[
            "races.csv:5: race id 'PRES' differs only in case from 'pres' (line 2)",
            "races.csv:6: race id 'con' is a file name Windows reserves",
        ],
    );
    // Windows drops a final '.': D1. would be D1's file.
    refused(
        &[("areas.csv", Some(&areas_with(5, "D1.,District A,R1,")))],
        &["areas.csv:5: area code 'D1.' ends with '.'"],
    );
    refused(
        &[("candidates.csv", Some(b"race,id,name,party\npres,a,A,\npres,b,B,\npres,a,A2,\ngov-r1,c,C,\ngov-r1,d,D,\nmp-d3,e,E,\nmp-d3,f,F,\n"))],
        &["candidates.csv:4: duplicate candidate 'a' in race 'pres' (first on line 2)"],
    );
}

#[test]
fn codes_that_differ_only_in_case() {
    refused(
        &[("areas.csv", Some(&areas_with(4, "r1,South,N,")))],
        &["areas.csv:4: area code 'r1' differs only in case from 'R1' (line 3)"],
    );
}

#[test]
fn unknown_references() {
    refused(
        &[("areas.csv", Some(&areas_with(4, "R2,South,NOPE,")))],
        &["areas.csv:4: area 'R2' has unknown parent 'NOPE'"],
    );
    refused(
        &[(
            "races.csv",
            Some(b"id,name,area\npres,President,N\ngov-r1,Governor,ZZ\nmp-d3,MP,D3\n"),
        )],
        &["races.csv:3: race 'gov-r1' is held in unknown area 'ZZ'"],
    );
}

#[test]
fn unknown_references_in_forms_and_results() {
    let forms =
        read(&fixture("awkward/forms.csv")).replace("F-S5-pres,S5,pres", "F-S5-pres,S9,pres");
    let results = read(&fixture("awkward/results.csv")) + "7,F-NOPE,a\r\n12,F-S1-pres,zed\r\n";
    refused(
        &[
            ("forms.csv", Some(forms.as_bytes())),
            ("results.csv", Some(results.as_bytes())),
        ],
        &[
            "forms.csv:5: form 'F-S5-pres' is on unknown area 'S9'",
            "results.csv:29: unknown candidate 'zed' in race 'pres'",
        ],
    );
    let results = read(&fixture("awkward/results.csv")) + "7,F-NOPE,a\r\n";
    refused(
        &[("results.csv", Some(results.as_bytes()))],
        &["results.csv:28: unknown form 'F-NOPE'"],
    );
}

#[test]
fn second_root() {
    refused(
        &[("areas.csv", Some(&areas_with(4, "R2,South,,")))],
        &[
            "areas.csv:4: second root: area 'R2' has no parent, but 'N' (line 2) is already the root",
        ],
    );
}

#[test]
fn cycles_and_orphans() {
    let mut text = AREAS.to_string();
    text = text.replace("R2,South,N,", "R2,South,D3,");
    refused(
        &[("areas.csv", Some(text.as_bytes()))],
        &[
            "areas.csv:4: cycle in the area tree: R2 → D3 → R2",
            "not connected to the root",
        ],
    );
}

#[test]
fn bad_counts() {
    refused(
        &[("areas.csv", Some(&areas_with(8, "S1,Station 1,D1,many")))],
        &["areas.csv:8: registered 'many' is not a whole number"],
    );
    refused(
        &[("areas.csv", Some(&areas_with(8, "S1,Station 1,D1,-5")))],
        &["areas.csv:8: registered '-5' is negative"],
    );
    let results = read(&fixture("awkward/results.csv"))
        .replace("100,F-S1-pres,a", "9007199254740993,F-S1-pres,a");
    refused(
        &[("results.csv", Some(results.as_bytes()))],
        &["results.csv:2: votes '9007199254740993' is larger than 2^53"],
    );
    let results =
        read(&fixture("awkward/results.csv")).replace("100,F-S1-pres,a", "1.5,F-S1-pres,a");
    refused(
        &[("results.csv", Some(results.as_bytes()))],
        &["results.csv:2: votes '1.5' is not a whole number"],
    );
}

#[test]
fn candidate_of_another_race() {
    let results = read(&fixture("awkward/results.csv")).replace("50,F-S1-pres,b", "50,F-S1-pres,c");
    refused(
        &[("results.csv", Some(results.as_bytes()))],
        &[
            "results.csv:3: candidate 'c' stands in race 'gov-r1', not in race 'pres' of form 'F-S1-pres'",
        ],
    );
}

/// A race of more candidates than are compared in turn (its lines' candidates
/// are found through a map): the same messages as in a small race.
#[test]
fn a_race_of_many_candidates() {
    let mut candidates = read(&fixture("awkward/candidates.csv"));
    for i in 0..40 {
        candidates += &format!("x{i},pres,Extra {i},,,\n");
    }
    // Lines 28 to 31 of results.csv.
    let results = read(&fixture("awkward/results.csv"))
        + "3,F-S1-pres,x39\r\n4,F-S1-pres,x39\r\n5,F-S1-pres,c\r\n6,F-S1-pres,zed\r\n";
    refused(
        &[
            ("candidates.csv", Some(candidates.as_bytes())),
            ("results.csv", Some(results.as_bytes())),
        ],
        &[
            "results.csv:29: second line for candidate 'x39' on form 'F-S1-pres' (first on line 28)",
            "results.csv:30: candidate 'c' stands in race 'gov-r1', not in race 'pres' of form 'F-S1-pres'",
            "results.csv:31: unknown candidate 'zed' in race 'pres'",
        ],
    );
}

#[test]
fn form_outside_its_race() {
    let forms =
        read(&fixture("awkward/forms.csv")).replace(",F-S4-mp,S4,mp-d3", ",F-S4-mp,S1,mp-d3");
    refused(
        &[("forms.csv", Some(forms.as_bytes()))],
        &[
            "forms.csv:9: form 'F-S4-mp' is on area 'S1', outside race 'mp-d3', which is held in 'D3'",
        ],
    );
}

#[test]
fn two_forms_for_one_area_and_race() {
    let forms = read(&fixture("awkward/forms.csv")) + ",F-S1-again,S1,pres,,,,,,\r\n";
    refused(
        &[("forms.csv", Some(forms.as_bytes()))],
        &["forms.csv:15: second form for area 'S1' and race 'pres' (form 'F-S1-pres' on line 2)"],
    );
}

#[test]
fn values_outside_their_column() {
    let forms = read(&fixture("awkward/forms.csv"))
        .replace("provisional,F-S2-pres", "maybe,F-S2-pres")
        .replace("2024-03-05T18:00:00+03:00", "yesterday")
        .replace(
            "verified,F-S3-pres,S3,pres,,,",
            "verified,F-S3-pres,S3,pres,,abc123,",
        );
    let candidates = read(&fixture("awkward/candidates.csv")).replace("#00ff00", "green");
    refused(
        &[
            ("forms.csv", Some(forms.as_bytes())),
            ("candidates.csv", Some(candidates.as_bytes())),
        ],
        &[
            "forms.csv:3: status 'maybe' is not one of verified, provisional, disputed",
            "forms.csv:2: captured_at 'yesterday' is not an ISO 8601 date-time",
            "forms.csv:4: sha256 'abc123' is not 64 hexadecimal digits",
            "candidates.csv:5: color 'green' is not of the form #rrggbb",
        ],
    );
}

#[test]
fn bad_election_toml() {
    refused(
        &[(
            "election.toml",
            Some(b"title = \"x\"\ndate = 2024-03-05\nlevels = [\"a\"\n"),
        )],
        &["election.toml:3: malformed TOML"],
    );
    refused(
        &[("election.toml", Some(b"date = \"2024-03-05\"\n"))],
        &["election.toml: missing required key 'title'"],
    );
    refused(
        &[(
            "election.toml",
            Some(b"title = \"x\"\ndate = \"2024-02-30\"\n"),
        )],
        &["election.toml:2: date '2024-02-30' is not a date of the form YYYY-MM-DD"],
    );
}

#[test]
fn bytes_that_are_not_utf8_and_empty_files() {
    let mut areas = AREAS.as_bytes().to_vec();
    areas.extend_from_slice(b"S6,Caf\xe9,D3,\n");
    refused(
        &[("areas.csv", Some(&areas))],
        &["areas.csv:13: not valid UTF-8 text"],
    );
    refused(
        &[("races.csv", Some(b""))],
        &["races.csv: empty file: a header row is required"],
    );
    refused(&[("results.csv", None)], &["results.csv: cannot read"]);
}

#[test]
fn scans_that_try_to_escape() {
    let forms = read(&fixture("awkward/forms.csv"))
        .replace("missing.png", "../../../etc/passwd.png")
        .replace(",F-S3-pres,S3,pres,,", ",F-S3-pres,S3,pres,/etc/hosts.png,");
    refused(
        &[("forms.csv", Some(forms.as_bytes()))],
        &[
            "forms.csv:3: scan '../../../etc/passwd.png' leaves scans/ ('..' is not allowed)",
            "forms.csv:4: scan '/etc/hosts.png' is an absolute path",
        ],
    );
}

#[test]
fn symlink_out_of_scans() {
    let (tmp, input) = scratch("awkward");
    let outside = tmp.path().join("secret.png");
    std::fs::write(&outside, b"not for publishing").unwrap();
    std::os::unix::fs::symlink(&outside, input.join("scans/missing.png")).unwrap();
    refused_dir(
        tmp.path(),
        &input,
        &["forms.csv:3: scan 'missing.png' leads outside scans/ (through a symbolic link)"],
    );
}

#[test]
fn three_errors_in_three_files_are_all_listed() {
    let forms =
        read(&fixture("awkward/forms.csv")).replace("provisional,F-S2-pres", "maybe,F-S2-pres");
    refused(
        &[
            ("areas.csv", Some(&areas_with(4, "R2,South,NOPE,"))),
            ("forms.csv", Some(forms.as_bytes())),
            ("candidates.csv", Some(b"race,id,name,party\npres,a,A,\npres,b,B,\ngov-r1,c,C,\ngov-r1,d,D,\nmp-d3,e,E,\nmp-d3,f,F,\nnone,g,G,\n")),
        ],
        &[
            "areas.csv:4: area 'R2' has unknown parent 'NOPE'",
            "forms.csv:3: status 'maybe'",
            "candidates.csv:8: unknown race 'none'",
        ],
    );
}

#[test]
fn a_missing_input_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = kura(&[
        "build",
        tmp.path().join("nope").to_str().unwrap(),
        "-o",
        tmp.path().join("s").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope: not a folder"));
}

#[test]
fn refuses_to_replace_a_folder_that_is_not_a_site() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("precious");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("thesis.txt"), b"years of work").unwrap();
    let out = kura(&[
        "build",
        fixture("awkward").to_str().unwrap(),
        "-o",
        dest.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not a site built by kura"));
    assert_eq!(
        std::fs::read(dest.join("thesis.txt")).unwrap(),
        b"years of work"
    );
}

#[test]
fn input_files_that_link_outside_the_folder_are_never_read() {
    let (tmp, input) = scratch("awkward");
    let secret = tmp.path().join("secret.csv");
    std::fs::write(&secret, "code,name,parent,registered\nTOP,Top secret,,\n").unwrap();
    std::fs::remove_file(input.join("areas.csv")).unwrap();
    std::os::unix::fs::symlink(&secret, input.join("areas.csv")).unwrap();
    refused_dir(
        tmp.path(),
        &input,
        &["areas.csv: is a symbolic link leading outside the input folder"],
    );
}

#[test]
fn a_scans_folder_that_links_outside_is_refused() {
    let (tmp, input) = scratch("awkward");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::rename(input.join("scans"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, input.join("scans")).unwrap();
    refused_dir(
        tmp.path(),
        &input,
        &["scans: is a symbolic link leading outside the input folder"],
    );
}

#[test]
fn a_tree_deeper_than_32_levels() {
    let mut text = String::from("code,name,parent,registered\nL0,Level 0,,\n");
    for i in 1..40 {
        text.push_str(&format!("L{i},Level {i},L{},\n", i - 1));
    }
    refused(
        &[("areas.csv", Some(text.as_bytes()))],
        &[
            "areas.csv:34: area 'L32' is 32 levels below the root; the tree may have at most 32 levels",
        ],
    );
}

#[test]
fn more_values_outside_their_form() {
    refused(
        &[(
            "election.toml",
            Some(b"title = \"x\"\ndate = \"2024-03-05\"\n[site]\nbase_url = \"javascript:alert(1)\"\nlanguages = [\"en\", \"xx\"]\n"),
        )],
        &[
            "election.toml:4: base_url 'javascript:alert(1)' must be an absolute http(s):// URL",
            "election.toml:5: language 'xx' is not available (available: en, sw)",
        ],
    );
    refused(
        &[("races.csv", Some(b"id,name,area,id\npres,President,N,x\n"))],
        &["races.csv:1: column 'id' appears twice"],
    );
    // A header of a million names (7 MB) is refused at once: checked for
    // names given twice name by name against every other, it took an
    // hour (200,000 names: 46 s).
    let mut wide = String::from("id,name,area");
    for i in 0..1_000_000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push_str("\npres,President,N\n");
    refused(
        &[("races.csv", Some(wide.as_bytes()))],
        &["races.csv:1: 1000003 columns: a file may have at most 1000"],
    );
    let forms = read(&fixture("awkward/forms.csv")).replace(",s1-pres.png,", ",s1-pres.exe,");
    refused(
        &[("forms.csv", Some(forms.as_bytes()))],
        &[
            "forms.csv:2: scan 's1-pres.exe' is not a PDF, JPEG, PNG or WebP file (by its extension)",
        ],
    );
}

#[test]
fn an_unwritable_output_is_a_clear_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    for dest in [
        file.join("site"),
        std::path::PathBuf::from("/proc/kura-cannot-write-here/site"),
    ] {
        let out = kura(&[
            "build",
            fixture("awkward").to_str().unwrap(),
            "-o",
            dest.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("kura: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(read(&file), "not a folder");
}

#[test]
fn a_bad_signing_key_fails_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let before = snapshot(&site);
    let key = tmp.path().join("bad.key");
    std::fs::write(&key, "untrusted comment: nope\nAAAA\n").unwrap();
    let out = kura(&[
        "build",
        fixture("awkward").to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
        "--sign",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a usable minisign secret key"),
        "{}",
        stderr(&out)
    );
    assert!(snapshot(&site) == before);
}

/// A form whose row has errors of its own still counts: a second form for
/// its area and race names it, and its lines in results.csv are checked
/// against its race; a form id that did load cannot be used again.
#[test]
fn forms_that_did_not_load_are_still_known_by_id_and_place() {
    let forms = read(&fixture("awkward/forms.csv"))
        + "unsure,F-S4-pres,S4,pres,,,,,,\r\n,F-S4-again,S4,pres,,,,,,\r\n,F-S1-pres,D2,gov-r1,,,,,,\r\n";
    let results = read(&fixture("awkward/results.csv")) + "7,F-S4-pres,zed\r\n7,F-S4-again,a\r\n";
    let changes = [
        ("forms.csv", Some(forms.as_bytes())),
        ("results.csv", Some(results.as_bytes())),
    ];
    refused(
        &changes,
        &[
            "forms.csv:15: status 'unsure' is not one of verified, provisional, disputed",
            "forms.csv:16: second form for area 'S4' and race 'pres' (form 'F-S4-pres' on line 15)",
            "forms.csv:17: duplicate form id 'F-S1-pres' (first on line 2)",
            "results.csv:28: unknown candidate 'zed' in race 'pres'",
        ],
    );
    let err = check_with(&changes);
    assert!(!err.contains("results.csv:29"), "{err}");
    assert!(!err.contains("unknown form"), "{err}");
}

/// Every problem in one run: a form id used twice is reported even when
/// its first row has errors of its own, and a malformed form id is
/// reported once, not again on each of its lines in results.csv.
#[test]
fn a_duplicate_after_a_broken_row_and_a_malformed_id_are_each_reported_once() {
    let forms = read(&fixture("awkward/forms.csv"))
        .replace(
            "verified,F-S5-pres,S5,pres",
            "bogus,F-S5-pres,S4,pres,,,,,,\r\nverified,F-S5-pres,S5,pres",
        )
        .replace("F-S4-mp,S4,mp-d3", "F S4 mp,S4,mp-d3");
    let results = read(&fixture("awkward/results.csv")).replace("F-S4-mp", "F S4 mp");
    assert!(results.contains("F S4 mp"));
    let changes = [
        ("forms.csv", Some(forms.as_bytes())),
        ("results.csv", Some(results.as_bytes())),
    ];
    refused(
        &changes,
        &[
            "forms.csv:5: status 'bogus' is not one of verified, provisional, disputed",
            "forms.csv:6: duplicate form id 'F-S5-pres' (first on line 5)",
            "forms.csv:10: form id 'F S4 mp'",
        ],
    );
    let err = check_with(&changes);
    assert!(!err.contains("unknown form"), "{err}");
    assert_eq!(err.matches("F S4 mp").count(), 1, "{err}");
}
