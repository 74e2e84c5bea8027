//! Building again into an existing site reuses what did not change, and
//! gives exactly the bytes a fresh build of the same input gives.

use crate::common::*;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

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
    let input = sample_input(tmp.path(), "500");
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
    let scan = first_specimen(&input);
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

/// Rewrites one field of the first row of `file` (a CSV of the input)
/// whose `key` column is `key_value`.
fn set_field(input: &Path, file: &str, key: (&str, &str), field: &str, value: &str) {
    let path = input.join(file);
    let mut r = csv::Reader::from_path(&path).unwrap();
    let headers = r.headers().unwrap().clone();
    let k = headers.iter().position(|h| h == key.0).unwrap();
    let f = headers.iter().position(|h| h == field).unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let mut done = false;
    for rec in r.records() {
        let mut rec: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
        if !done && rec[k] == key.1 {
            rec[f] = value.to_string();
            done = true;
        }
        w.write_record(&rec).unwrap();
    }
    assert!(done, "no row of {file} has {} = {}", key.0, key.1);
    std::fs::write(&path, w.into_inner().unwrap()).unwrap();
}

/// Builds `input` into `site` again and into a new folder, with the same
/// arguments, and asserts the two are byte-identical and the site verifies.
/// Returns the rebuild's [`counts`].
fn assert_rebuild_is_fresh(input: &Path, site: &Path, extra: &[&str], step: &str) -> [usize; 5] {
    let args = |out: &Path| {
        let mut a = vec![
            "build".to_string(),
            input.to_str().unwrap().to_string(),
            "-o".into(),
            out.to_str().unwrap().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |out: &Path| {
        let mut a = args(out);
        a.push("-v".into());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = kura(&a);
        assert!(o.status.success(), "{step}: {}", stderr(&o));
        stderr(&o)
    };
    let pages = counts(&run(site));
    let fresh = site.with_file_name(format!("fresh-{}", step.replace(' ', "-")));
    run(&fresh);
    let (a, b) = (snapshot(site), snapshot(&fresh));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{step}: not the same files"
    );
    let differ: Vec<&String> = a
        .iter()
        .filter(|(p, v)| &b[*p] != *v)
        .map(|(p, _)| p)
        .collect();
    assert!(differ.is_empty(), "{step}: rebuild differs in {differ:?}");
    let v = kura(&["verify", site.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{step}: {}", stdout(&v));
    pages
}

/// From the `-v` line "fingerprinted pages: R rendered, U unchanged; files:
/// W written, K kept or linked; views made of V pages": [R, U, W, K, V].
fn counts(stderr: &str) -> [usize; 5] {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("fingerprinted pages: "))
        .expect("-v reports pages");
    let n: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    [n[0], n[1], n[2], n[3], n[4]]
}

fn inodes(site: &Path) -> std::collections::BTreeMap<String, u64> {
    snapshot(site)
        .into_keys()
        .map(|p| {
            let ino = std::fs::metadata(site.join(&p)).unwrap().ino();
            (p, ino)
        })
        .collect()
}

#[test]
fn every_kind_of_change_rebuilds_to_the_bytes_of_a_fresh_build() {
    let (tmp, input, site, form, station) = sample_site();
    let spare = tmp.path().join(".kura-spare-site");

    // Each change reaches station pages through a different input.
    set_field(
        &input,
        "candidates.csv",
        ("id", "c1"),
        "name",
        "Renamed Candidate",
    );
    assert_rebuild_is_fresh(&input, &site, &[], "candidate name");
    assert!(spare.is_dir(), "the replaced site is kept as the spare");

    let forms = read(&input.join("forms.csv"));
    let areas = read(&input.join("areas.csv"));
    let ward = areas
        .lines()
        .find(|l| l.starts_with(&format!("{station},")))
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .to_string();
    set_field(
        &input,
        "areas.csv",
        ("code", &ward),
        "name",
        "Renamed & <Ward>",
    );
    assert_rebuild_is_fresh(&input, &site, &[], "area name");

    set_field(&input, "areas.csv", ("code", &station), "registered", "1");
    set_field(&input, "forms.csv", ("form", &form), "status", "disputed");
    set_field(&input, "results.csv", ("form", &form), "votes", "100000");
    assert_rebuild_is_fresh(&input, &site, &[], "station data");

    // A declared aggregate form shows on its area's page only.
    let declared = forms
        .lines()
        .find(|l| l.starts_with("34B-"))
        .expect("the sample declares constituency forms")
        .split(',')
        .next()
        .unwrap()
        .to_string();
    set_field(
        &input,
        "forms.csv",
        ("form", &declared),
        "status",
        "disputed",
    );
    set_field(&input, "results.csv", ("form", &declared), "votes", "7");
    assert_rebuild_is_fresh(&input, &site, &[], "declared form");
}

/// A sample of 60 stations built once into `site`: (tmp, input, site, a
/// station form's id, its station's code).
fn sample_site() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
    String,
) {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_input(tmp.path(), "60");
    let site = tmp.path().join("site");
    build_into(&input, &site);
    let forms = read(&input.join("forms.csv"));
    let row: Vec<&str> = forms.lines().nth(5).unwrap().split(',').collect();
    let (form, station) = (row[0].to_string(), row[1].to_string());
    (tmp, input, site, form, station)
}

#[test]
fn a_following_version_and_an_unchanged_one_rebuild_exactly() {
    let (tmp, input, site, form, station) = sample_site();
    // A version that follows another: station histories change.
    let prev = tmp.path().join("prev");
    copy_tree(&site, &prev);
    set_field(&input, "forms.csv", ("form", &form), "rejected", "77");
    assert_rebuild_is_fresh(
        &input,
        &site,
        &["--previous", prev.to_str().unwrap()],
        "history",
    );
    assert!(read(&site.join(format!("areas/{station}.html"))).contains("id=\"history\""));

    // Nothing changes, but the program does (as after an upgrade of kura):
    // the build after next finds every file of the spare as it should be
    // and writes nothing.
    build_into(&input, &site);
    let before = inodes(&site);
    build_into(&input, &site);
    std::fs::write(tmp.path().join(".site.kura-cache"), forget_input(&site)).unwrap();
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
        "-v",
    ]);
    let [rendered, unchanged, ..] = counts(&stderr(&out));
    assert_eq!(rendered, 0, "{}", stderr(&out));
    assert!(unchanged > 100);
    let after = inodes(&site);
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(p, ino)| {
            before.get(*p) != Some(ino) && *p != "SHA256SUMS" && !p.starts_with("log/")
        })
        .map(|(p, _)| p)
        .collect();
    assert!(
        rewritten.is_empty(),
        "an unchanged rebuild rewrote {rewritten:?}"
    );
}

/// The cache of `site` without the digest of the input it was built from,
/// as a cache written by another version of kura would be: the next build
/// cannot tell its input is unchanged and goes through every stage.
fn forget_input(site: &Path) -> String {
    let cache = site.with_file_name(".site.kura-cache");
    let text = read(&cache);
    assert!(text.lines().any(|l| l.starts_with("I\t")));
    text.lines()
        .filter(|l| !l.starts_with("I\t"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_spare_site_is_brought_up_to_date_writing_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_input(tmp.path(), "300");
    let site = tmp.path().join("site");
    let spare = tmp.path().join(".kura-spare-site");
    build_into(&input, &site);
    assert!(!spare.exists());
    let v1 = snapshot(&site);
    let v1_inodes = inodes(&site);

    change_votes(&input, 500);
    build_into(&input, &site);
    assert_eq!(snapshot(&spare), v1, "the replaced version is the spare");

    // The third build writes into the spare (version 1): files that did
    // not change since version 1 are the same files, untouched.
    let changed = change_votes(&input, 300);
    assert!(changed > 0);
    let [rendered, unchanged, written, kept, _] =
        assert_rebuild_is_fresh(&input, &site, &[], "third build");
    // The changed stations' pages, the areas above them and their findings
    // pages are rendered; the other pages are not.
    assert!(rendered >= changed, "{rendered} pages rendered");
    assert!(
        rendered < unchanged / 4,
        "{rendered} rendered, {unchanged} not"
    );
    assert!(
        written > 0 && written < kept / 10,
        "{written} written, {kept} kept"
    );
    // Kept files are the very files of version 1 (inode numbers freed by
    // removed files may be reused, so only "most" is asserted).
    let v3_inodes = inodes(&site);
    let same_as_v1 = v3_inodes
        .iter()
        .filter(|(p, ino)| v1_inodes.get(*p) == Some(ino))
        .count();
    assert!(
        same_as_v1 > v3_inodes.len() * 8 / 10,
        "{same_as_v1} of {}",
        v3_inodes.len()
    );
}

/// Moves one vote between two candidates of every `step`-th station form
/// (one with a vote to move): no total changes, so no finding does.
/// Returns the forms changed.
fn move_votes(input: &Path, step: usize) -> std::collections::BTreeSet<String> {
    let results = read(&input.join("results.csv"));
    let mut lines: Vec<String> = results.lines().map(str::to_string).collect();
    let mut moved = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in 1..lines.len() - 1 {
        let form = lines[i].split(',').next().unwrap().to_string();
        let next = lines[i + 1].split(',').next().unwrap().to_string();
        if !form.starts_with("34A-") || next != form || !seen.insert(form.clone()) {
            continue;
        }
        let (rest, votes) = lines[i].rsplit_once(',').unwrap();
        let v: u64 = votes.parse().unwrap();
        if seen.len() % step != 0 || v == 0 {
            continue;
        }
        lines[i] = format!("{rest},{}", v - 1);
        let (rest, votes) = lines[i + 1].rsplit_once(',').unwrap();
        lines[i + 1] = format!("{rest},{}", votes.parse::<u64>().unwrap() + 1);
        moved.insert(form);
    }
    std::fs::write(input.join("results.csv"), lines.join("\n") + "\n").unwrap();
    moved
}

/// A batch of forms on election night changes a few stations: the pages
/// of every other area are known unchanged from what they are made of
/// (their basis), without making their views, and the rebuild is still
/// byte for byte a fresh build. (Debug builds, the tests', make the views
/// anyway and fail the build if one changed under an unchanged basis.)
#[test]
fn a_batch_of_forms_makes_views_only_of_the_areas_it_touches() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_input(tmp.path(), "150");
    let site = tmp.path().join("site");
    build_into(&input, &site);
    build_into(&input, &site);
    let moved = move_votes(&input, 20);
    assert!(moved.len() > 3, "{moved:?}");
    // A field that no finding reads, on one more form.
    let forms = read(&input.join("forms.csv"));
    let other = forms
        .lines()
        .filter(|l| l.starts_with("34A-"))
        .map(|l| l.split(',').next().unwrap().to_string())
        .find(|f| !moved.contains(f))
        .unwrap();
    set_field(&input, "forms.csv", ("form", &other), "device", "tablet-77");
    let [rendered, unchanged, .., views] =
        assert_rebuild_is_fresh(&input, &site, &[], "moved votes");
    // Each changed station's page, and the pages of the areas above it.
    assert!(rendered > moved.len(), "{rendered} rendered");
    assert!(
        views < (rendered + unchanged) / 4,
        "views made of {views} of {} pages",
        rendered + unchanged
    );
    assert!(views >= rendered, "{views} views, {rendered} rendered");
    let station = |form: &str| {
        let row = forms.lines().find(|l| l.starts_with(&format!("{form},")));
        row.unwrap().split(',').nth(1).unwrap().to_string()
    };
    let page = read(&site.join(format!("areas/{}.html", station(&other))));
    assert!(
        page.contains("tablet-77"),
        "the station page shows the device"
    );

    // A change of what every page is made from (an area's name) makes
    // every view again.
    let areas = read(&input.join("areas.csv"));
    let code = areas.lines().nth(1).unwrap().split(',').next().unwrap();
    set_field(&input, "areas.csv", ("code", code), "name", "Renamed");
    let [rendered, unchanged, .., views] =
        assert_rebuild_is_fresh(&input, &site, &[], "renamed area");
    assert_eq!(views, rendered + unchanged);
}

#[test]
fn what_is_altered_in_a_site_or_added_to_its_spare_never_reaches_a_later_version() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let input = fixture("awkward");
    // Each build at its own time, so that none finds its input unchanged.
    let build_at = |epoch: u64| {
        let out = build_at_time(&input, &site, epoch, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    build_at(0);
    build_at(1);
    // Someone adds files to kura's spare site (a file added to the live
    // site stops the build instead: see security.rs) and alters a page of
    // the live site in place.
    let spare = tmp.path().join(".kura-spare-site");
    assert!(spare.is_dir());
    std::fs::write(spare.join("CNAME"), "results.example.org").unwrap();
    std::fs::create_dir(spare.join("extra")).unwrap();
    std::fs::write(spare.join("extra/notes.txt"), "notes").unwrap();
    std::fs::write(spare.join("areas/extra.html"), "<p>extra</p>").unwrap();
    let page = site.join("areas/S1.html");
    let mut bytes = std::fs::read(&page).unwrap();
    bytes.extend_from_slice(b"<!-- altered -->");
    std::fs::write(&page, bytes).unwrap();
    // And a scan of the live site, hiding the edit (size and time kept):
    // the spare holds the same file under the same name, and the build that
    // brings the spare up to date looks it up by name in its folder.
    let scan = first_scan(&site);
    let name = scan.strip_prefix(&site).unwrap().to_path_buf();
    let original = std::fs::read(&scan).unwrap();
    let mut bytes = original.clone();
    bytes[0] ^= 0x01;
    overwrite_hiding(&scan, &bytes);
    assert_eq!(
        std::fs::read(spare.join(&name)).unwrap(),
        bytes,
        "a shared file"
    );
    // That site becomes the spare, then is brought up to date.
    for epoch in 2..5 {
        build_at(epoch);
        let out = kura(&["verify", site.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    }
    assert!(!site.join("CNAME").exists() && !site.join("extra").exists());
    assert!(!site.join("areas/extra.html").exists());
    assert!(!read(&site.join("areas/S1.html")).contains("<!-- altered -->"));
    assert_eq!(std::fs::read(site.join(&name)).unwrap(), original);
}

/// The first scan (in the order of names) a site publishes.
fn first_scan(site: &Path) -> std::path::PathBuf {
    let mut scans: Vec<_> = std::fs::read_dir(site.join("scans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scans.sort();
    scans.into_iter().next().expect("a scan")
}

/// A page's fingerprint is a hash of the very view its template renders,
/// so whatever a page shows moves it, with nothing listed by hand: for
/// every station, area and findings page of the awkward fixture and each
/// change below, a page whose bytes change gets a new fingerprint.
#[test]
fn a_page_whose_bytes_change_gets_a_new_fingerprint() {
    use kura::model::Election;
    use kura::site::{Site, Versions, fingerprint};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/awkward");
    let el = kura::load::load(&dir, &kura::load::Options::default()).unwrap();
    let tally = kura::tally::tally(&el, &dir.join("forms.csv")).unwrap();
    let findings = kura::check::findings(&el, &tally);
    let versions = Versions {
        chain: &[],
        history: &[],
        seq: 1,
        published: "2024-01-01T00:00:00Z",
    };
    // Every fingerprinted page: path → (fingerprint, bytes).
    let pages = |el: &Election| {
        let site = Site::new(el, &tally, &findings, &el.meta.languages[0], versions).unwrap();
        let global = fingerprint::global(&site);
        let mut out = std::collections::BTreeMap::new();
        for job in site.jobs() {
            let page = site.prepare(job, &global).unwrap();
            if let Some(fp) = page.fingerprint {
                let path = page.path.clone();
                out.insert(path, (fp, page.render().unwrap()));
            }
        }
        out
    };
    let before = pages(&el);
    assert!(before.len() > 10, "{}", before.len());
    let station = el.forms[0].area;
    type Change = Box<dyn Fn(&mut Election)>;
    let changes: Vec<(&str, Change)> = vec![
        (
            "device",
            Box::new(|e| retext(&mut e.forms[0], |t| t[2] = "a new device")),
        ),
        (
            "capture time",
            Box::new(|e| retext(&mut e.forms[0], |t| t[3] = "2030-01-01T00:00:00Z")),
        ),
        (
            "a station's name",
            Box::new(move |e| e.areas[station].name = "Renamed".into()),
        ),
        (
            "registered voters",
            Box::new(move |e| e.areas[station].registered = Some(123_457)),
        ),
        (
            "a candidate's party",
            Box::new(|e| e.candidates[0].party = "New Party".into()),
        ),
        (
            "a declared scan hash",
            Box::new(|e| {
                retext(
                    &mut e.forms[0],
                    |t| t[4] = "0000000000000000000000000000000000000000000000000000000000000000",
                )
            }),
        ),
    ];
    for (what, change) in changes {
        let mut changed = el.clone();
        change(&mut changed);
        let after = pages(&changed);
        let mut moved = 0;
        for (path, (fp, bytes)) in &after {
            let (old_fp, old_bytes) = &before[path];
            if bytes != old_bytes {
                assert_ne!(
                    fp, old_fp,
                    "{what}: {path} changed, its fingerprint did not"
                );
                moved += 1;
            }
        }
        assert!(moved > 0, "{what}: no page changed");
    }
}

/// Replaces fields of a form's text (id, scan path, device, capture time,
/// declared hash).
fn retext(form: &mut kura::model::Form, change: impl Fn(&mut [&str; 5])) {
    let mut t = form.text.parts();
    change(&mut t);
    let declared = Some(t[4]).filter(|h| !h.is_empty());
    form.text = kura::model::FormText::new(t[0], t[1], t[2], t[3], declared).unwrap();
}

/// Builds `input` into `site` with `extra` arguments (and `-v`); returns
/// standard error, asserting success and that standard output names the
/// site's version.
fn build_v(input: &Path, site: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = build_args(input, site, extra);
    args.push("-v");
    let out = kura_with(Path::new(env!("CARGO_MANIFEST_DIR")), &args, env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("version {}\n", version_id(site)));
    stderr(&out)
}

const UP_TO_DATE: &str = "is up to date: the input has not changed since it was built";

/// Writes `bytes` over `path` keeping its size and modification time, as
/// an edit that hides itself would: only the change time moves.
fn overwrite_hiding(path: &Path, bytes: &[u8]) {
    let old = std::fs::metadata(path).unwrap();
    assert_eq!(old.len(), bytes.len() as u64);
    std::fs::write(path, bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old.modified().unwrap())
        .unwrap();
}

#[test]
fn an_unchanged_input_leaves_the_site_alone_and_any_change_rebuilds_it() {
    let (tmp, input, site, form, _) = sample_site();
    // The first build after the one that made the site finds nothing to do
    // and touches nothing, not even SHA256SUMS or the log.
    let files = |site: &Path| -> std::collections::BTreeMap<String, (u64, i64)> {
        walkdir::WalkDir::new(site)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let m = e.metadata().unwrap();
                let rel = e
                    .path()
                    .strip_prefix(site)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (rel, (m.ino(), m.ctime_nsec()))
            })
            .collect()
    };
    let before = files(&site);
    let err = build_v(&input, &site, &[], &[]);
    assert!(err.contains(UP_TO_DATE), "{err}");
    assert!(err.contains("0 rendered"), "{err}");
    assert_eq!(files(&site), before, "an up-to-date build touched the site");

    // Without SOURCE_DATE_EPOCH each build is published at its own time.
    let err = build_v(&input, &site, &[], &[("SOURCE_DATE_EPOCH", "")]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    assert!(build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));

    // One vote anywhere in the input.
    set_field(&input, "results.csv", ("form", &form), "votes", "4321");
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    assert!(read(&site.join("data/results.csv")).contains(",4321\n"));

    // A scan rewritten in place with the same size and time.
    let scan = first_specimen(&input);
    let mut bytes = std::fs::read(&scan).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    overwrite_hiding(&scan, &bytes);
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    assert_rebuild_is_fresh(&input, &site, &[], "rescanned in place");

    // A file added to the input folder, even one kura does not read.
    std::fs::write(input.join("NOTES.txt"), "checked by the returning officer").unwrap();
    assert!(!build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));

    // A page of the live site altered in place the same way, or a log file
    // removed: rebuilt, and the site verifies again.
    // (And a scan of the live site, looked up by name in its open folder.)
    let alter_hiding = |file: &Path, at: usize, mask: u8| {
        assert!(build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));
        let mut bytes = std::fs::read(file).unwrap();
        bytes[at] ^= mask;
        overwrite_hiding(file, &bytes);
        assert!(!build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));
        let v = kura(&["verify", site.to_str().unwrap()]);
        assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    };
    alter_hiding(&site.join("index.html"), 10, 0x20);
    alter_hiding(&first_scan(&site), 0, 0x01);
    let checkpoint = site.join("log/checkpoint");
    assert!(checkpoint.is_file());
    std::fs::remove_file(&checkpoint).unwrap();
    assert!(!build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));
    assert!(checkpoint.is_file());

    // Signing, or signing with another key, is a change of its own.
    let (key, _) = keygen(tmp.path());
    let k = key.to_str().unwrap();
    assert!(!build_v(&input, &site, &["--sign", k], &[]).contains(UP_TO_DATE));
    assert!(site.join("SHA256SUMS.minisig").is_file());
    assert!(build_v(&input, &site, &["--sign", k], &[]).contains(UP_TO_DATE));
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let (key2, _) = keygen(&other);
    assert!(!build_v(&input, &site, &["--sign", key2.to_str().unwrap()], &[]).contains(UP_TO_DATE));
    assert!(!build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));
    assert!(!site.join("SHA256SUMS.minisig").exists());
}

/// The check that the output holds only what its SHA256SUMS lists skips
/// the walk of every file when no folder's time moved since the last build
/// recorded it; a file added to a folder whose time was recorded after its
/// last change, by the file system's clock (not "racy"), still stops the
/// build. Builds one after another, without waiting: a folder a build did
/// not change in its last tick of that clock is recorded with its time.
#[test]
fn a_file_added_to_a_settled_folder_of_the_site_still_stops_the_build() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let input = fixture("awkward");
    let build_at = |epoch: u64| build_at_time(&input, &site, epoch, &[]);
    assert!(build_at(0).status.success());
    assert!(build_at(1).status.success());
    // The third build brings the first's folders up to date in place: its
    // scans/ folder is untouched since the second build.
    assert!(build_at(0).status.success());
    let cache = read(&tmp.path().join(".site.kura-cache"));
    assert!(
        cache
            .lines()
            .any(|l| l.starts_with("D\tscans\t") && !l.ends_with("\t-1")),
        "scans/ is recorded with its time"
    );
    std::fs::write(site.join("scans/planted.png"), "not kura's").unwrap();
    let out = build_at(2);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not list: scans/planted.png"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&site.join("scans/planted.png")), "not kura's");
}

/// An output folder inside the input folder (`kura build . -o site`) is no
/// part of the input: the site, its spare and the cache beside it change
/// with every build, and the next build still finds the input unchanged.
#[test]
fn an_output_inside_the_input_is_not_taken_for_input() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_tree(&fixture("awkward"), &input);
    let site = input.join("site");
    let first = build_v(&input, &site, &[], &[]);
    assert!(!first.contains(UP_TO_DATE), "{first}");
    assert!(input.join(".site.kura-cache").is_file());
    let again = build_v(&input, &site, &[], &[]);
    assert!(again.contains(UP_TO_DATE), "{again}");
    // Another build at another time keeps the first as the spare, inside
    // the input too: still not input.
    let out = build_at_time(&input, &site, 1, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(input.join(".kura-spare-site").is_dir());
    let out = build_at_time(&input, &site, 1, &[]);
    assert!(stderr(&out).contains(UP_TO_DATE), "{}", stderr(&out));
}

/// A scan changed so shortly before a build began that it could change
/// again within the same tick of the file system's clock, after the build
/// read it, without its stamp moving ("racily clean") is not cached by its
/// stamp: the cache names it with the hash that build read (a `Y` line),
/// and the next build that finds the input otherwise unchanged hashes it
/// again before leaving the site as it is.
#[test]
fn a_scan_changed_as_a_build_began_is_checked_by_its_content() {
    let (tmp, input, site, _, _) = sample_site();
    let scan = first_specimen(&input);
    let name = scan.file_name().unwrap().to_str().unwrap().to_string();
    // A modification time ahead of the clock: racy whenever the build runs.
    let ahead = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&scan)
        .unwrap()
        .set_modified(ahead)
        .unwrap();
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    let cache_path = tmp.path().join(".site.kura-cache");
    let cache = read(&cache_path);
    let sha = kura::digest::sha256_hex(std::fs::read(&scan).unwrap());
    let racy: Vec<&str> = cache
        .lines()
        .filter(|l| l.starts_with("Y\t") && l.contains(&name))
        .collect();
    assert_eq!(racy.len(), 1, "{cache}");
    assert!(racy[0].ends_with(&format!("\t{sha}")), "{}", racy[0]);
    assert!(
        !cache
            .lines()
            .any(|l| l.starts_with("S\t") && l.contains(&name)),
        "a racy scan is cached by its stamp"
    );
    // Its content is what the cache says: the site is up to date.
    assert!(build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));

    // The cache as a build would have left it had the scan changed after
    // being read, within the same tick: the content no longer matches, so
    // the input is not taken as unchanged, and the rebuild reads the scan
    // again (it equals a fresh build).
    let before = kura::digest::sha256_hex(b"the scan as the build read it");
    std::fs::write(
        &cache_path,
        cache.replace(racy[0], &racy[0].replace(&sha, &before)),
    )
    .unwrap();
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    assert!(read(&site.join("data/forms.csv")).contains(&sha));
    assert_rebuild_is_fresh(&input, &site, &[], "racy scan");

    // A cache naming a file outside scans/, or one scan with two hashes,
    // is no match either.
    for bad in [
        format!("Y\t../forms.csv\t{sha}\n"),
        format!("{}\n", racy[0].replace(&sha, &before)),
    ] {
        let cache = read(&cache_path);
        assert!(build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));
        let planted = cache.replacen("\nY\t", &format!("\n{bad}Y\t"), 1);
        assert_ne!(planted, cache);
        std::fs::write(&cache_path, planted).unwrap();
        let err = build_v(&input, &site, &[], &[]);
        assert!(!err.contains(UP_TO_DATE), "{bad}: {err}");
    }
}

/// Scans written just before a build, on the file system beside the
/// output, are dated by that file system's clock: only a scan changed in
/// the very tick the build began is racy, not every scan of a batch copied
/// in during the two seconds before it (each of which the next build would
/// hash again). Each is cached by its stamp, and a scan changed after the
/// build is still found.
#[test]
fn scans_written_just_before_a_build_are_cached_by_their_stamps() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_input(tmp.path(), "60");
    // Past the coarsest tick of a local file system's clock, well within
    // two seconds of the scans being written.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let site = tmp.path().join("site");
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    let cache = read(&tmp.path().join(".site.kura-cache"));
    let count = |kind: &str| cache.lines().filter(|l| l.starts_with(kind)).count();
    assert_eq!(count("Y\t"), 0, "racy scans");
    assert!(count("S\t") > 0, "{cache}");
    assert!(build_v(&input, &site, &[], &[]).contains(UP_TO_DATE));
    // Rewritten in place with other bytes, its times put back: the change
    // time moved, so the rebuild reads it again.
    let scan = first_specimen(&input);
    let mut bytes = std::fs::read(&scan).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    overwrite_hiding(&scan, &bytes);
    let err = build_v(&input, &site, &[], &[]);
    assert!(!err.contains(UP_TO_DATE), "{err}");
    let sha = kura::digest::sha256_hex(&bytes);
    assert!(read(&site.join("data/forms.csv")).contains(&sha));
}

/// The first scan file the sample's `scans/specimens` lists.
fn first_specimen(input: &Path) -> std::path::PathBuf {
    std::fs::read_dir(input.join("scans/specimens"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// The walk behind the input digest also tells the hash stage where each
/// scan is; whatever it saw, a form gets the scan a look on the disk would
/// find. Here `scans/scans/s1-pres.png` is a link to another scan, and the
/// form names `scans/s1-pres.png`: the path under `scans/` comes first (as
/// the walk had no say), with or without a digest.
#[test]
fn a_scan_is_found_where_the_disk_has_it_whatever_the_walk_saw() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    copy_tree(&fixture("awkward"), &input);
    let forms = read(&input.join("forms.csv")).replace(",s1-pres.png,", ",scans/s1-pres.png,");
    std::fs::write(input.join("forms.csv"), forms).unwrap();
    let mut other = std::fs::read(input.join("scans/s1-pres.png")).unwrap();
    other.extend_from_slice(b"another scan");
    std::fs::write(input.join("scans/other.png"), &other).unwrap();
    std::fs::create_dir(input.join("scans/scans")).unwrap();
    std::os::unix::fs::symlink("../other.png", input.join("scans/scans/s1-pres.png")).unwrap();
    let want = kura::digest::sha256_hex(&other);

    let site = tmp.path().join("site");
    let out = build_at_time(&input, &site, 0, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let with_digest = read(&site.join("data/forms.csv"));
    assert!(with_digest.contains(&want), "{with_digest}");

    // Folders nested too deep for a digest: no walk to go by.
    let deep: std::path::PathBuf = std::iter::repeat_n("d", 300).collect();
    std::fs::create_dir_all(input.join(deep)).unwrap();
    let site2 = tmp.path().join("site2");
    let out = build_at_time(&input, &site2, 0, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&site2.join("data/forms.csv")), with_digest);
}
