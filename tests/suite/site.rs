//! Building a site from a fixture folder: the open data is exactly right,
//! every area has its page, nothing from the input reaches a page
//! unescaped, and every link is relative and resolves.

use crate::common::*;

const TOTALS: &str = "\
area,race,candidate,votes
N,pres,a,250
N,pres,b,200
R1,pres,a,190
R1,pres,b,160
R1,gov-r1,c,175
R1,gov-r1,d,160
D1,pres,a,180
D1,pres,b,140
D1,gov-r1,c,170
D1,gov-r1,d,135
S1,pres,a,100
S1,pres,b,50
S1,gov-r1,c,70
S1,gov-r1,d,75
S2,pres,a,80
S2,pres,b,90
S2,gov-r1,c,100
S2,gov-r1,d,60
D2,pres,a,10
D2,pres,b,20
D2,gov-r1,c,5
D2,gov-r1,d,25
S3,pres,a,10
S3,pres,b,20
S3,gov-r1,c,5
S3,gov-r1,d,25
R2,pres,a,60
R2,pres,b,40
D3,pres,a,60
D3,pres,b,40
D3,mp-d3,e,85
D3,mp-d3,f,65
S4,pres,a,0
S4,pres,b,0
S4,mp-d3,e,30
S4,mp-d3,f,20
S5,pres,a,60
S5,pres,b,40
S5,mp-d3,e,55
S5,mp-d3,f,45
";

const SUMMARY: &str = "\
area,race,stations,reporting,registered,valid,rejected
N,pres,5,4,1400,450,7
R1,pres,3,3,1200,350,5
R1,gov-r1,3,3,1200,335,0
D1,pres,2,2,900,320,5
D1,gov-r1,2,2,900,305,0
S1,pres,1,1,500,150,5
S1,gov-r1,1,1,500,145,0
S2,pres,1,1,400,170,0
S2,gov-r1,1,1,400,160,0
D2,pres,1,1,300,30,0
D2,gov-r1,1,1,300,30,0
S3,pres,1,1,300,30,0
S3,gov-r1,1,1,300,30,0
R2,pres,2,1,200,100,2
D3,pres,2,1,200,100,2
D3,mp-d3,2,2,200,150,0
S4,pres,1,0,0,0,0
S4,mp-d3,1,1,0,50,0
S5,pres,1,1,200,100,2
S5,mp-d3,1,1,200,100,0
";

#[test]
fn totals_and_summary_are_exact_despite_awkward_formatting() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    assert_eq!(read(&site.join("data/totals.csv")), TOTALS);
    assert_eq!(read(&site.join("data/summary.csv")), SUMMARY);
}

#[test]
fn open_data_has_the_contract_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let header = |f: &str| {
        read(&site.join("data").join(f))
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("areas.csv"), "code,name,parent,level,registered,url");
    assert_eq!(
        header("forms.csv"),
        "form,area,race,status,rejected,total_valid,scan,sha256,device,captured_at"
    );
    assert_eq!(header("results.csv"), "form,candidate,votes");
    assert_eq!(
        header("findings.csv"),
        "severity,check,area,race,form,detail"
    );
    let forms = read(&site.join("data/forms.csv"));
    // The scan is published content-addressed; the declared upper-case hash is normalised.
    let s1 = forms.lines().find(|l| l.starts_with("F-S1-pres,")).unwrap();
    let sha = s1.split(',').nth(7).unwrap();
    assert_eq!(sha.len(), 64);
    assert!(s1.contains(&format!("scans/{sha}.png")), "{s1}");
    assert!(site.join(format!("scans/{sha}.png")).is_file());
    assert!(s1.ends_with(",KIT-1,2024-03-05T18:00:00+03:00"), "{s1}");
    // Registered is published for stations only (R1's 999 is ignored).
    let areas = read(&site.join("data/areas.csv"));
    assert!(
        areas.contains("\nR1,North <Region>,N,Region,,areas/R1.html\n"),
        "{areas}"
    );
    assert!(areas.contains("\nS1,St. <script>alert(1)</script>,D1,Station,500,areas/S1.html\n"));
}

/// Each area between the root and the stations has, for each race held
/// there, a download of its stations' forms, linked from its page; its
/// rows add up to the area's totals.
#[test]
fn each_area_page_links_its_own_results_by_station() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let d1 = read(&site.join("data/races/pres/D1.csv"));
    assert_eq!(
        d1,
        "station,name,form,status,registered,rejected,total_valid,valid,Alice <b> (a),Bob (b)\n\
         S1,St. <script>alert(1)</script>,F-S1-pres,verified,500,5,150,150,100,50\n\
         S2,Station 2,F-S2-pres,provisional,400,,,170,80,90\n"
    );
    // A station without a form for the race: its code, name and register only.
    let d3 = read(&site.join("data/races/pres/D3.csv"));
    assert!(d3.contains("\nS4,Station 4,,,,,,,,\n"), "{d3}");
    let sums = read(&site.join("SHA256SUMS"));
    let mut files = 0;
    for line in SUMMARY.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (area, race) = (f[0], f[1]);
        let path = format!("data/races/{race}/{area}.csv");
        let page = match area {
            "N" => read(&site.join("index.html")),
            _ => read(&site.join(format!("areas/{area}.html"))),
        };
        let is_station = area.starts_with('S');
        if area == "N" || is_station {
            assert!(!site.join(&path).exists(), "{path}");
            assert!(!page.contains("data/races/"), "{area} links a download");
            continue;
        }
        files += 1;
        assert!(
            page.contains(&format!("href=\"../{path}\" download")),
            "{area}: no link to {path}"
        );
        assert!(
            sums.contains(&format!("  {path}\n")),
            "{path} not in SHA256SUMS"
        );
        // Its rows: one per station in scope; their valid votes sum to the
        // area's (summary.csv's valid column).
        let csv = read(&site.join(&path));
        assert_eq!(csv.lines().skip(1).count().to_string(), f[2], "{path}");
        let valid: u64 = csv
            .lines()
            .skip(1)
            .map(|l| {
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(l.as_bytes());
                let rec = r.records().next().unwrap().unwrap();
                rec[7].parse::<u64>().unwrap_or(0)
            })
            .sum();
        assert_eq!(valid.to_string(), f[5], "{path}");
    }
    assert_eq!(files, 9);
}

#[test]
fn every_area_has_a_page_with_a_chart_at_its_url() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let areas = read(&site.join("data/areas.csv"));
    let mut n = 0;
    for line in areas.lines().skip(1) {
        let url = line.rsplit(',').next().unwrap();
        let page = read(&site.join(url));
        assert!(page.contains("<svg"), "{url} has no chart");
        assert!(page.contains("role=\"img\""), "{url}: chart without a role");
        assert!(page.contains("<title id="), "{url}: chart without a title");
        n += 1;
    }
    assert_eq!(n, 11);
    assert!(site.join("index.html").is_file());
}

#[test]
fn nothing_from_the_input_reaches_a_page_unescaped() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    for (path, bytes) in snapshot(&site) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        assert!(
            !html.contains("<script>alert"),
            "{path} carries a script from the input"
        );
        assert!(
            !html.contains("<b>"),
            "{path} carries markup from the input"
        );
        assert!(
            !html.contains("<Region>"),
            "{path} carries markup from the input"
        );
    }
    let s1 = read(&site.join("areas/S1.html"));
    assert!(
        s1.contains("St. &#60;script&#62;alert(1)&#60;/script&#62;")
            || s1.contains("St. &lt;script&gt;"),
        "{s1}"
    );
    assert!(s1.contains("Alice &#60;b&#62;") || s1.contains("Alice &lt;b&gt;"));
    assert!(s1.contains("Party &#38; Co") || s1.contains("Party &amp; Co"));
    let about = read(&site.join("pages/about.html"));
    assert!(about.contains("&lt;script&gt;alert"), "{about}");
    assert!(about.contains("<table>"));
    assert!(about.contains("footnote"));
}

#[test]
fn every_link_is_relative_and_resolves() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    assert_eq!(broken_links(&site), Vec::<String>::new());
    // In a second language too, whose pages are a folder deeper.
    let input = awkward_in_two_languages(tmp.path(), "two");
    let two = tmp.path().join("two-site");
    let out = kura(&[
        "build",
        input.to_str().unwrap(),
        "-o",
        two.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(two.join("sw/areas/D1.html").is_file());
    assert_eq!(broken_links(&two), Vec::<String>::new());
}

#[test]
fn station_page_shows_form_scan_hash_and_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let s1 = read(&site.join("areas/S1.html"));
    assert!(s1.contains("F-S1-pres"));
    assert!(
        s1.contains("<img src=\"../scans/"),
        "image scans are shown inline"
    );
    assert!(s1.contains("matches the hash declared at capture"));
    assert!(s1.contains("KIT-1"));
    assert!(s1.contains("2024-03-05T18:00:00+03:00"));
    assert!(
        s1.contains("href=\"../index.html\""),
        "breadcrumb to the root"
    );
    assert!(
        s1.contains("href=\"../areas/S2.html\" rel=\"next\""),
        "sideways to the next station"
    );
    let s2 = read(&site.join("areas/S2.html"));
    assert!(s2.contains("scan-missing"));
    assert!(s2.contains("provisional"));
    let s3 = read(&site.join("areas/S3.html"));
    assert!(s3.contains("sum-mismatch"));
    assert!(s3.contains("disputed"));
    let s4 = read(&site.join("areas/S4.html"));
    assert!(s4.contains("No form received yet"));

    // The scan is checked in the reader's browser by a script of the
    // site's own, loaded only on pages that show a scan; without
    // JavaScript the page says how to check it by hand.
    assert!(s1.contains("<p class=\"browser-check\" role=\"status\" hidden></p>"));
    assert!(s1.contains("sha256sum on the file must print this hash"));
    let script = attr_values(&s1, "src")
        .into_iter()
        .find(|s| s.contains("assets/scancheck."))
        .expect("the scan check script");
    let js = read(&site.join("areas").join(script));
    assert!(
        js.contains("crypto.subtle") && !js.contains("\n//"),
        "minified: {js}"
    );
    let fallback = s1
        .split("data-sha256js=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap();
    assert!(read(&site.join("areas").join(fallback)).contains("window.kuraSha256"));
    assert!(!s4.contains("assets/scancheck."), "no scan, no script");
    assert!(!read(&site.join("index.html")).contains("assets/scancheck."));
}

#[test]
fn declared_aggregates_are_shown_beside_the_computed_totals_never_added() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let d1 = read(&site.join("areas/D1.html"));
    assert!(d1.contains("F-D1-pres"));
    assert!(
        d1.contains("type=\"application/pdf\""),
        "PDF scans are embedded"
    );
    let d3 = read(&site.join("areas/D3.html"));
    assert!(d3.contains("aggregate-mismatch"));
    assert!(d3.contains("class=\"num differs\">+1</td>"), "{d3}");
    // N's totals are the station sums (250/200), the same as its own declared form.
    let findings = read(&site.join("data/findings.csv"));
    assert!(findings.contains("error,aggregate-mismatch,D3,mp-d3,F-D3-mp,\"f (Frank): declared 66, station forms 65 (+1)\""));
    assert!(findings.contains(
        "warning,aggregate-incomplete,N,pres,F-N-pres,1 of 5 station forms under it are not in"
    ));
    assert!(findings.contains("error,sum-mismatch,S3,pres,F-S3-pres,"));
    assert!(findings.contains("warning,scan-missing,S2,pres,F-S2-pres,"));
}

#[test]
fn area_pages_show_reporting_children_and_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let root = read(&site.join("index.html"));
    assert!(root.contains("4 of 5"), "reporting progress");
    assert!(root.contains("href=\"areas/R1.html\""));
    assert!(
        root.contains("aggregate-mismatch"),
        "root shows counts per check"
    );
    let findings = read(&site.join("findings/N.html"));
    assert!(findings.contains("sum-mismatch"));
    assert!(findings.contains("href=\"../areas/S3.html#form-F-S3-pres\""));
    // A race held in part of the tree is only on the pages of that part.
    let r2 = read(&site.join("areas/R2.html"));
    assert!(!r2.contains("Governor of North"));
    let d3 = read(&site.join("areas/D3.html"));
    assert!(d3.contains("MP for District C"));
}

#[test]
fn check_prints_findings_and_exits_zero_on_good_input() {
    let out = kura(&["check", fixture("awkward").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("error sum-mismatch S3 pres F-S3-pres"));
}

#[test]
fn strict_fails_on_error_findings_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let out = kura(&[
        "build",
        fixture("awkward").to_str().unwrap(),
        "-o",
        site.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--strict"));
    assert!(!site.exists());
}

#[test]
fn usage_errors_exit_two() {
    let out = kura(&["build", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sample_of_300_stations_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("sample");
    let out = kura(&["sample", "-o", input.to_str().unwrap(), "--stations", "300"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let site = build(&input, tmp.path());
    let areas = read(&site.join("data/areas.csv"));
    assert_eq!(areas.lines().filter(|l| l.contains(",County,")).count(), 47);
    assert_eq!(
        areas
            .lines()
            .filter(|l| l.contains(",Constituency,"))
            .count(),
        290
    );
    assert_eq!(
        areas
            .lines()
            .filter(|l| l.contains(",Polling station,"))
            .count(),
        300
    );
    let races = read(&site.join("data/races.csv"));
    for kind in [
        "president,",
        "governor-",
        "senator-",
        "woman-rep-",
        "mp-",
        "mca-",
    ] {
        assert!(races.contains(kind), "no {kind} race");
    }
    // The planted problems show.
    let findings = read(&site.join("data/findings.csv"));
    for check in [
        "sum-mismatch",
        "over-registered",
        "aggregate-mismatch",
        "scan-hash-mismatch",
        "scan-reused",
        "scan-missing",
        "no-scan",
    ] {
        assert!(
            findings.contains(&format!(",{check},")),
            "{check} not planted"
        );
    }
    // The same seed gives the same folder.
    let again = tmp.path().join("again");
    kura(&["sample", "-o", again.to_str().unwrap(), "--stations", "300"]);
    assert_eq!(snapshot(&input), snapshot(&again));
}

#[test]
fn the_real_sample_in_data_builds() {
    let site = real_site();
    let summary = read(&site.join("data/summary.csv"));
    // Every one of the source's 30,000 Form 34A tallies, all reporting.
    assert!(
        summary.contains("\nKE,president,30000,30000,0,"),
        "{}",
        &summary[..200]
    );
    let totals = read(&site.join("data/totals.csv"));
    let votes = |c: &str| -> u64 {
        totals
            .lines()
            .find(|l| l.starts_with(&format!("KE,president,{c},")))
            .and_then(|l| l.rsplit(',').next())
            .unwrap()
            .parse()
            .unwrap()
    };
    // The sums the source's SOURCE.md gives for its 30,000 rows.
    assert_eq!(votes("raila-odinga"), 3_411_601);
    assert_eq!(votes("william-ruto"), 5_260_646);
    assert_eq!(votes("george-wajackoyah"), 49_672);
    assert_eq!(votes("david-mwaure"), 30_308);
    // 36 counties, 190 constituencies, 944 wards.
    let areas = read(&site.join("data/areas.csv"));
    for (level, n) in [("County", 36), ("Constituency", 190), ("Ward", 944)] {
        let found = areas
            .lines()
            .filter(|l| l.contains(&format!(",{level},")))
            .count();
        assert_eq!(found, n, "{level}");
    }
    let about = read(&site.join("pages/about.html"));
    assert!(about.contains("No registered voters per polling station"));
    let specimen = read(&site.join("areas/001001000100105.html"));
    assert!(specimen.contains("Specimen scan"));
}
