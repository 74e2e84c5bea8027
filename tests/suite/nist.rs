//! `data/election-report.json`, held against NIST's own JSON schema for
//! SP 1500-100 v2 (vendored in tests/nist/, see its README.md) and against
//! the site's own open data: every id it refers to exists and has the
//! right type, and every count is the one totals.csv gives.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::common::*;
use kura::opendata::nist;

fn schema_json() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/nist/NIST_V2_election_results_reporting.json");
    serde_json::from_str(&read(&path)).unwrap()
}

fn schema() -> jsonschema::Validator {
    let schema = schema_json();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("NIST's schema compiles")
}

/// Every problem the schema finds, one per line.
fn schema_errors(v: &jsonschema::Validator, report: &Value) -> Vec<String> {
    v.iter_errors(report)
        .take(20)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn report(site: &Path) -> Value {
    serde_json::from_str(&read(&site.join("data/election-report.json"))).unwrap()
}

/// Every object with an `@id`, by id, with its `@type`; panics on a duplicate.
fn objects(v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(id)) = m.get("@id") {
                let kind = m["@type"].as_str().unwrap().to_string();
                assert!(out.insert(id.clone(), kind).is_none(), "duplicate @id {id}");
            }
            m.values().for_each(|x| objects(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| objects(x, out)),
        _ => {}
    }
}

/// The properties the schema marks as id references (`refTypes`, on the
/// property or on its items), with the types each may refer to.
fn reference_kinds(schema: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for def in schema["definitions"].as_object().unwrap().values() {
        let Some(props) = def["properties"].as_object() else {
            continue;
        };
        for (key, p) in props {
            let types = p.get("refTypes").or_else(|| p["items"].get("refTypes"));
            if let Some(types) = types {
                let types = types
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string());
                out.entry(key.clone()).or_default().extend(types);
            }
        }
    }
    out
}

/// Checks every id reference the report makes resolves to an object of a
/// type the schema allows there; returns how many were checked.
fn check_references(
    v: &Value,
    ids: &BTreeMap<String, String>,
    kinds: &BTreeMap<String, BTreeSet<String>>,
) -> usize {
    let mut n = 0;
    match v {
        Value::Object(m) => {
            for (key, x) in m {
                let Some(allowed) = kinds.get(key) else {
                    n += check_references(x, ids, kinds);
                    continue;
                };
                let targets: Vec<&str> = match x {
                    Value::String(s) => vec![s],
                    Value::Array(a) => a.iter().map(|s| s.as_str().unwrap()).collect(),
                    _ => panic!("{key} is not a reference"),
                };
                for t in targets {
                    let kind = ids
                        .get(t)
                        .unwrap_or_else(|| panic!("{key} {t} resolves to nothing"));
                    assert!(allowed.contains(kind), "{key} {t} is a {kind}");
                    n += 1;
                }
            }
        }
        Value::Array(a) => {
            n += a
                .iter()
                .map(|x| check_references(x, ids, kinds))
                .sum::<usize>()
        }
        _ => {}
    }
    n
}

/// The site's CSV rows keyed by their first `key` columns.
fn rows(site: &Path, file: &str, key: usize) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut r = csv::Reader::from_path(site.join("data").join(file)).unwrap();
    r.records()
        .map(|rec| {
            let rec: Vec<String> = rec.unwrap().iter().map(str::to_string).collect();
            (rec[..key].to_vec(), rec[key..].to_vec())
        })
        .collect()
}

/// Checks the whole report of a built site; returns it.
fn check_site(site: &Path, languages: &[&str]) -> Value {
    let report = report(site);
    assert_eq!(schema_errors(&schema(), &report), Vec::<String>::new());

    let mut ids = BTreeMap::new();
    objects(&report, &mut ids);
    let kinds = reference_kinds(&schema_json());
    assert!(kinds["GpUnitId"].contains("ElectionResults.ReportingUnit"));
    // Each unit's children, each count's unit, each candidate, each party.
    let made = check_references(&report, &ids, &kinds);
    assert!(made > ids.len(), "{made} references");

    // One reporting unit per area, each named in every site language.
    let areas = rows(site, "areas.csv", 1);
    let units = report["GpUnit"].as_array().unwrap();
    assert_eq!(units.len(), areas.len());
    for u in units {
        let text: Vec<&str> = u["Name"]["Text"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Language"].as_str().unwrap())
            .collect();
        assert_eq!(text, languages);
    }
    let unit_code: BTreeMap<String, String> = areas
        .keys()
        .map(|k| (nist::unit_id(&k[0]), k[0].clone()))
        .collect();

    // Every count is totals.csv's; a station has one only if it reported.
    let totals = rows(site, "totals.csv", 3);
    let summary = rows(site, "summary.csv", 2);
    let election = &report["Election"][0];
    let candidates = rows(site, "candidates.csv", 2);
    let mut seen = BTreeSet::new();
    for contest in election["Contest"].as_array().unwrap() {
        for sel in contest["ContestSelection"].as_array().unwrap() {
            let cand = sel["CandidateIds"][0].as_str().unwrap();
            let (race, id) = candidates
                .keys()
                .map(|k| (k[0].clone(), k[1].clone()))
                .find(|(r, c)| nist::candidate_id(r, c) == cand)
                .expect("a candidate of candidates.csv");
            for vc in sel["VoteCounts"].as_array().unwrap() {
                let code = &unit_code[vc["GpUnitId"].as_str().unwrap()];
                let key = vec![code.clone(), race.clone(), id.clone()];
                assert_eq!(vc["Count"].to_string(), totals[&key][0], "{key:?}");
                assert!(seen.insert(key));
            }
        }
    }
    for (key, votes) in &totals {
        if !seen.contains(key) {
            let s = &summary[&key[..2].to_vec()];
            assert_eq!(
                (s[0].as_str(), s[1].as_str(), votes[0].as_str()),
                ("1", "0", "0"),
                "{key:?} has no count"
            );
        }
    }

    // Partial until every station of every race reported: summary.csv's
    // row for each race at its own area says how many did.
    let races = rows(site, "races.csv", 1);
    let complete = races.iter().all(|(race, rest)| {
        let s = &summary[&vec![rest[1].clone(), race[0].clone()]];
        s[0] == s[1]
    });
    let status = if complete {
        "unofficial-complete"
    } else {
        "unofficial-partial"
    };
    assert_eq!(report["Status"], status);
    report
}

/// The real sample's report validates and adds up.
#[test]
fn the_real_sample_report_is_valid_nist_and_equals_the_totals() {
    let report = check_site(real_site(), &["en"]);
    let unit = |code: &str| {
        report["GpUnit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["@id"] == nist::unit_id(code))
            .cloned()
            .unwrap()
    };
    // A county is NIST's county; a constituency has no NIST type.
    assert_eq!(unit("KE")["Type"], "country");
    assert_eq!(unit("county-001")["Type"], "county");
    assert_eq!(unit("const-001")["Type"], "other");
    assert_eq!(unit("const-001")["OtherType"], "Constituency");
    assert_eq!(unit("001001000100105")["Type"], "polling-place");
}

/// Awkward codes, two languages, stations that did not report.
#[test]
fn an_awkward_two_language_report_is_valid_and_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let input = awkward_in_two_languages(tmp.path(), "in");
    let site = build(&input, tmp.path());
    let report = check_site(&site, &["en", "sw"]);
    assert_eq!(report["Status"], "unofficial-partial");
}

/// The check above can fail: NIST's schema refuses a report that is
/// wrong in ways kura could get wrong.
#[test]
fn the_schema_refuses_what_nist_does_not_allow() {
    let tmp = tempfile::tempdir().unwrap();
    let site = build(&fixture("awkward"), tmp.path());
    let good = report(&site);
    let v = schema();
    assert!(schema_errors(&v, &good).is_empty());
    let mut bad = good.clone();
    bad["Status"] = "final".into();
    assert!(!schema_errors(&v, &bad).is_empty());
    let mut bad = good.clone();
    bad["GeneratedDate"] = "2023-11-14 22:13:20".into();
    assert!(!schema_errors(&v, &bad).is_empty());
    let mut bad = good;
    bad["GpUnit"][0]["Type"] = "constituency".into();
    assert!(!schema_errors(&v, &bad).is_empty());
}
