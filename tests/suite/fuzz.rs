//! Fuzzing the loading and validation code with generated inputs: the
//! awkward fixture, mutated at random (bytes, lines, fields), must never
//! make kura panic. Each case loads the folder and, when it is accepted,
//! tallies, checks, renders every page and writes the open data in memory.
//!
//! `KURA_FUZZ_CASES` sets the number of cases (default 200); see
//! docs/fuzzing.md for long runs.

use crate::common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const FILES: &[&str] = &[
    "election.toml",
    "areas.csv",
    "races.csv",
    "candidates.csv",
    "forms.csv",
    "results.csv",
    "pages/about.md",
];

/// Values that have broken parsers before, anywhere.
const NASTY: &[&str] = &[
    "",
    " ",
    "-1",
    "-0",
    "+5",
    "1e3",
    "0x10",
    "9007199254740992",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "..",
    "../x.png",
    "/etc/passwd",
    "a/b",
    "C:\\x.png",
    "<script>alert(1)</script>",
    "\"",
    "\"\"",
    ",",
    "\r",
    "\n",
    "\u{0}",
    "\u{feff}",
    "é",
    "ß",
    "N",
    "S1",
    "D3",
    "pres",
    "gov-r1",
    "a",
    "F-S1-pres",
    "#zzzzzz",
    "#FF00FF",
    "verified",
    "disputed",
    "2024-02-30",
    "2024-03-05T25:00:00",
    "[site]",
    "title = 1",
    "levels = []",
    "languages = [\"xx\"]",
    "s1-pres.png",
    "agg/d1.pdf",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// Overwrite bytes at a relative position.
    Bytes {
        file: usize,
        at: f64,
        bytes: Vec<u8>,
    },
    /// Replace a field (comma-separated) of a line with a nasty value.
    Field {
        file: usize,
        line: f64,
        field: usize,
        value: usize,
    },
    DeleteLine {
        file: usize,
        line: f64,
    },
    DuplicateLine {
        file: usize,
        line: f64,
    },
    SwapLines {
        file: usize,
        a: f64,
        b: f64,
    },
    Truncate {
        file: usize,
        at: f64,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let file = 0..FILES.len();
    prop_oneof![
        (
            file.clone(),
            0.0..1.0,
            prop::collection::vec(any::<u8>(), 1..6)
        )
            .prop_map(|(file, at, bytes)| Mutation::Bytes { file, at, bytes }),
        (file.clone(), 0.0..1.0, 0..10usize, 0..NASTY.len()).prop_map(
            |(file, line, field, value)| Mutation::Field {
                file,
                line,
                field,
                value
            }
        ),
        (file.clone(), 0.0..1.0).prop_map(|(file, line)| Mutation::DeleteLine { file, line }),
        (file.clone(), 0.0..1.0).prop_map(|(file, line)| Mutation::DuplicateLine { file, line }),
        (file.clone(), 0.0..1.0, 0.0..1.0).prop_map(|(file, a, b)| Mutation::SwapLines {
            file,
            a,
            b
        }),
        (file, 0.0..1.0).prop_map(|(file, at)| Mutation::Truncate { file, at }),
    ]
}

fn pick(len: usize, at: f64) -> usize {
    ((len as f64 * at) as usize).min(len.saturating_sub(1))
}

fn apply(files: &mut [Vec<u8>], m: &Mutation) {
    let split =
        |b: &[u8]| -> Vec<Vec<u8>> { b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
    let join = |lines: Vec<Vec<u8>>| lines.join(&b'\n');
    match m {
        Mutation::Bytes { file, at, bytes } => {
            let f = &mut files[*file];
            let i = pick(f.len() + 1, *at);
            let end = (i + bytes.len()).min(f.len());
            f.splice(i..end, bytes.iter().copied());
        }
        Mutation::Field {
            file,
            line,
            field,
            value,
        } => {
            let mut lines = split(&files[*file]);
            let l = pick(lines.len(), *line);
            let mut fields: Vec<Vec<u8>> =
                lines[l].split(|&c| c == b',').map(<[u8]>::to_vec).collect();
            let k = field % fields.len().max(1);
            if k < fields.len() {
                fields[k] = NASTY[*value].as_bytes().to_vec();
            }
            lines[l] = fields.join(&b',');
            files[*file] = join(lines);
        }
        Mutation::DeleteLine { file, line } => {
            let mut lines = split(&files[*file]);
            let l = pick(lines.len(), *line);
            lines.remove(l);
            files[*file] = join(lines);
        }
        Mutation::DuplicateLine { file, line } => {
            let mut lines = split(&files[*file]);
            let l = pick(lines.len(), *line);
            let copy = lines[l].clone();
            lines.insert(l, copy);
            files[*file] = join(lines);
        }
        Mutation::SwapLines { file, a, b } => {
            let mut lines = split(&files[*file]);
            let (i, j) = (pick(lines.len(), *a), pick(lines.len(), *b));
            lines.swap(i, j);
            files[*file] = join(lines);
        }
        Mutation::Truncate { file, at } => {
            let f = &mut files[*file];
            let i = pick(f.len() + 1, *at);
            f.truncate(i);
        }
    }
}

/// Loads, and if accepted tallies, checks, renders and writes open data.
fn exercise(dir: &Path) {
    let el = match kura::load::load(dir, &kura::load::Options::default()) {
        Ok(el) => el,
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in &problems {
                let shown = p.to_string();
                assert!(shown.starts_with(&dir.display().to_string()), "{shown}");
            }
            return;
        }
    };
    let Ok(tally) = kura::tally::tally(&el, &dir.join("forms.csv")) else {
        return;
    };
    let findings = kura::check::findings(&el, &tally);
    let versions = kura::site::Versions {
        chain: &[],
        history: &[],
        seq: 1,
        published: "2024-01-01T00:00:00Z",
    };
    let site =
        kura::site::Site::new(&el, &tally, &findings, &el.meta.languages[0], versions).unwrap();
    for job in site.jobs() {
        let (path, bytes) = site.render(job).unwrap();
        assert!(!path.contains(".."), "{path}");
        let html = String::from_utf8(bytes).unwrap();
        assert!(
            !html.contains("<script>alert"),
            "{path} carries input markup"
        );
    }
    let order = kura::opendata::form_order(&el);
    let mut sink = Vec::new();
    kura::opendata::forms(&el, &order, &mut sink).unwrap();
    kura::opendata::results(&el, &order, &mut sink).unwrap();
    kura::opendata::totals_and_summary(&el, &tally, &mut sink, Vec::new()).unwrap();
}

#[test]
fn mutated_inputs_never_panic() {
    let cases: u32 = std::env::var("KURA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let base: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| std::fs::read(common::fixture("awkward").join(f)).unwrap())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let done = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(mutation(), 1..6), |mutations| {
        let n = done.fetch_add(1, Ordering::Relaxed);
        if n > 0 && n.is_multiple_of(5000) {
            eprintln!("fuzz: {n} cases");
        }
        let dir = tmp.path().join(format!("case{}", n % 4));
        let _ = std::fs::remove_dir_all(&dir);
        common::copy_tree(&common::fixture("awkward"), &dir);
        let mut files = base.clone();
        for m in &mutations {
            apply(&mut files, m);
        }
        for (name, bytes) in FILES.iter().zip(&files) {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        exercise(&dir);
        Ok(())
    });
    eprintln!("fuzz: {} cases, no panic", done.load(Ordering::Relaxed));
    if let Err(e) = result {
        panic!("{e}");
    }
}

proptest! {
    #![proptest_config(Config { cases: 300, failure_persistence: None, ..Config::default() })]

    /// Any bytes at all as a CSV file: errors, never a panic.
    #[test]
    fn any_bytes_as_areas_csv(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        common::copy_tree(&common::fixture("awkward"), &dir);
        std::fs::write(dir.join("areas.csv"), &bytes).unwrap();
        exercise(&dir);
    }

    /// Any text as election.toml.
    #[test]
    fn any_text_as_election_toml(text in "\\PC{0,200}") {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("in");
        common::copy_tree(&common::fixture("awkward"), &dir);
        std::fs::write(dir.join("election.toml"), text).unwrap();
        exercise(&dir);
    }
}
