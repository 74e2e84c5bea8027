//! Whole pages of the awkward fixture as reviewed snapshots (insta): a
//! station, an area above it, and a findings page. A change to what any of
//! them shows fails here with a diff to review; accept it with
//! `INSTA_UPDATE=always cargo test --test suite snapshots` (or
//! `cargo insta review`) once it is what was meant. CI never writes them.

use crate::common::*;

#[test]
fn whole_pages_are_as_reviewed() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let out = kura_with(
        tmp.path(),
        &[
            "build",
            fixture("awkward").to_str().unwrap(),
            "-o",
            site.to_str().unwrap(),
        ],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for (name, page) in [
        ("station_S1", "areas/S1.html"),
        ("area_R1", "areas/R1.html"),
        ("findings_D1", "findings/D1.html"),
    ] {
        insta::assert_snapshot!(name, read(&site.join(page)));
    }
}
