//! Maps drawn at build time from boundaries.geojson and the stations'
//! `lat`, `lon`: on every area page with children, each shaded area and
//! dot a link to the child's page, within the byte budget; bad GeoJSON is
//! bad input like any other.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::common::*;
use crate::errors::refused;

/// The `<svg class="map">…</svg>` of a page, if it has one.
fn map_of(html: &str) -> Option<&str> {
    let start = html.find("<svg class=\"map\"")?;
    let end = start + html[start..].find("</svg>")? + "</svg>".len();
    Some(&html[start..end])
}

/// The `<figure class="map">…</figure>` of a page.
fn figure_of(html: &str) -> &str {
    let start = html.find("<figure class=\"map\">").unwrap();
    let end = start + html[start..].find("</figure>").unwrap() + "</figure>".len();
    &html[start..end]
}

/// The links of the children table of a page's first race.
fn child_links(html: &str) -> BTreeSet<&str> {
    let start = html.find("<table class=\"children\">").unwrap();
    let end = start + html[start..].find("</table>").unwrap();
    attr_values(&html[start..end], "href").into_iter().collect()
}

#[test]
fn every_area_page_of_the_sample_has_a_map_linking_its_children() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let out = kura(&["sample", "-o", input.to_str().unwrap(), "--stations", "300"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(input.join("boundaries.geojson").is_file());
    let site = build(&input, tmp.path());
    let areas = read(&site.join("data/areas.csv"));
    let (mut maps, mut dots) = (0, 0);
    for line in areas.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let url = f[f.len() - 1];
        let html = read(&site.join(url));
        let is_station = f[3] == "Polling station";
        let Some(map) = map_of(&html) else {
            assert!(is_station, "{url} has no map");
            continue;
        };
        assert!(!is_station, "{url}: a station page has a map");
        maps += 1;
        // Each child once, by the same link as the table below the map.
        let links: Vec<&str> = attr_values(map, "href");
        let set: BTreeSet<&str> = links.iter().copied().collect();
        assert_eq!(set.len(), links.len(), "{url}: a child twice");
        assert_eq!(set, child_links(&html), "{url}");
        for href in &set {
            let target = site.join(url).parent().unwrap().join(href);
            assert!(target.is_file(), "{url}: {href} leads nowhere");
        }
        // Every link is named, for a screen reader.
        assert_eq!(map.matches("aria-label=\"").count(), links.len(), "{url}");
        assert!(
            figure_of(&html).len() < 30_000,
            "{url}: map of {} bytes",
            figure_of(&html).len()
        );
        dots += map.matches("<circle").count();
    }
    // The root, 47 counties, 290 constituencies, 300 wards.
    assert_eq!(maps, 1 + 47 + 290 + 300);
    assert_eq!(dots, 300, "each station a dot on its ward's map");
}

/// A child's outline of many thousand points is simplified until the map
/// fits its budget, and every child is still on it.
#[test]
fn detailed_outlines_are_simplified_to_the_budget() {
    let (tmp, input) = scratch("awkward");
    // Regions R1 and R2 as two half-discs of 20,000 points each.
    let mut geo = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, code) in ["R1", "R2"].iter().enumerate() {
        let x0 = 36.0 + i as f64 * 2.0;
        let mut ring = String::new();
        for k in 0..=20_000 {
            let t = std::f64::consts::TAU * (k % 20_000) as f64 / 20_000.0;
            let wiggle = 0.01 * (t * 400.0).sin();
            let sep = if k == 0 { "" } else { "," };
            let _ = write!(
                ring,
                "{sep}[{:.6},{:.6}]",
                x0 + (1.0 + wiggle) * t.cos(),
                (1.0 + wiggle) * t.sin()
            );
        }
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(
            geo,
            "{sep}{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{code}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{ring}]]}}}}"
        );
    }
    geo.push_str("]}");
    assert!(geo.len() > 700_000);
    std::fs::write(input.join("boundaries.geojson"), geo).unwrap();
    let site = build(&input, tmp.path());
    let html = read(&site.join("index.html"));
    let map = map_of(&html).expect("the root has a map");
    assert!(map.len() <= 28_000, "{} bytes", map.len());
    assert!(map.len() > 2_000, "simplified to nothing: {map}");
    assert_eq!(map.matches("<path").count(), 2);
    assert!(map.contains("href=\"areas/R1.html\"") && map.contains("href=\"areas/R2.html\""));
    // Regions without outlines of their own children have no map.
    assert!(map_of(&read(&site.join("areas/R1.html"))).is_none());
}

/// Stations with positions are dots on their district's map, linked and
/// shaded; a district with one placed station and no outline has none.
#[test]
fn stations_with_positions_are_dots() {
    let (tmp, input) = scratch("awkward");
    let position = |line: &str| match line.split(',').nth(3) {
        Some("code") => ",lat,lon",
        Some("S1") => ",-1.28,36.82",
        Some("S2") => ",-1.30,36.80",
        Some("S4") => ",-4.05,39.66",
        _ => ",,",
    };
    let areas: String = read(&input.join("areas.csv"))
        .lines()
        .map(|l| format!("{l}{}\n", position(l)))
        .collect();
    std::fs::write(input.join("areas.csv"), areas).unwrap();
    let site = build(&input, tmp.path());
    let d1 = read(&site.join("areas/D1.html"));
    let map = map_of(&d1).expect("D1 has two placed stations");
    assert_eq!(map.matches("<circle").count(), 2);
    assert_eq!(
        attr_values(map, "href")
            .into_iter()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(["../areas/S1.html", "../areas/S2.html"])
    );
    // The label is escaped: S1's name holds markup.
    assert!(map.contains("St. &lt;script&gt;"), "{map}");
    assert!(map_of(&read(&site.join("areas/D3.html"))).is_none());
    assert!(read(&site.join("data/areas.csv")).contains("S1,"));
}

fn geo(features: &str) -> Vec<u8> {
    format!("{{\"type\": \"FeatureCollection\", \"features\": [\n{features}\n]}}\n").into_bytes()
}

const SQUARE: &str = "[[[36,0],[37,0],[37,1],[36,1],[36,0]]]";

fn feature(code: &str, geometry: &str) -> String {
    format!(
        "{{\"type\": \"Feature\", \"properties\": {{\"code\": {code}}}, \"geometry\": {geometry}}}"
    )
}

#[test]
fn malformed_geojson_is_refused_with_its_line() {
    refused(
        &[(
            "boundaries.geojson",
            Some(b"{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\",, }\n]}\n"),
        )],
        &["boundaries.geojson:3: not a GeoJSON FeatureCollection"],
    );
    refused(
        &[(
            "boundaries.geojson",
            Some(b"{\"type\": \"Point\", \"coordinates\": [1, 2]}"),
        )],
        &["boundaries.geojson:1: not a GeoJSON FeatureCollection"],
    );
}

#[test]
fn features_that_cannot_be_outlines_are_refused() {
    let polygon = format!("{{\"type\": \"Polygon\", \"coordinates\": {SQUARE}}}");
    let features = [
        feature("\"R1\"", &polygon),
        feature("\"R1\"", &polygon),
        feature("\"R9\"", &polygon),
        feature("7", &polygon),
        feature("\"R2\"", "{\"type\": \"Point\", \"coordinates\": [36, 0]}"),
        feature(
            "\"D1\"",
            "{\"type\": \"Polygon\", \"coordinates\": [[[36,0],[370,0],[37,1],[36,0]]]}",
        ),
        feature("\"D2\"", "null"),
    ]
    .join(",\n");
    refused(
        &[("boundaries.geojson", Some(&geo(&features)))],
        &[
            "boundaries.geojson: feature 2: second outline of area 'R1' (first: feature 1)",
            "boundaries.geojson: feature 3: unknown area code 'R9'",
            "boundaries.geojson: feature 4: properties.code is not a string",
            "boundaries.geojson: feature 5: area 'R2' is not a Polygon or MultiPolygon",
            "boundaries.geojson: feature 6: area 'D1': the point (370, 0) is not a longitude and latitude",
            "boundaries.geojson: feature 7: area 'D2' has no geometry",
        ],
    );
}

/// What an attacker tried: outlines that crashed (a 10,000-point zigzag
/// overflowed the stack of the recursive simplifier), took minutes, or
/// gave infinite coordinates; and hundreds of dots on one map.
#[test]
fn hostile_outlines_and_crowded_maps_stay_within_bounds() {
    let (tmp, input) = scratch("awkward");
    // R1: a closed zigzag of 20,000 points; R2: a square a billionth of a
    // degree wide.
    let mut zig = String::new();
    for i in 0..20_000 {
        let y = if i % 2 == 0 { 0.0 } else { 1.0 };
        let _ = write!(zig, "[{:.6},{y}],", 36.0 + f64::from(i) / 20_000.0);
    }
    zig.push_str("[36.0,0.0]");
    let tiny = "[[[36,0],[36.000000001,0],[36.000000001,0.000000001],[36,0.000000001],[36,0]]]";
    std::fs::write(
        input.join("boundaries.geojson"),
        geo(&[
            feature(
                "\"R1\"",
                &format!("{{\"type\": \"Polygon\", \"coordinates\": [[{zig}]]}}"),
            ),
            feature(
                "\"R2\"",
                &format!("{{\"type\": \"Polygon\", \"coordinates\": {tiny}}}"),
            ),
        ]
        .join(",\n")),
    )
    .unwrap();
    // 600 more stations in D3, each with a position.
    let mut areas = String::new();
    let mut positions = String::new();
    for line in read(&input.join("areas.csv")).lines() {
        let extra = if line.trim_start_matches('\u{feff}').starts_with("name,") {
            ",lat,lon"
        } else {
            ",,"
        };
        let _ = writeln!(areas, "{line}{extra}");
    }
    for i in 0..600 {
        let _ = writeln!(
            positions,
            "Crowded station {i},,D3,X{i},100,{},{}",
            -1.0 - f64::from(i % 30) / 100.0,
            36.0 + f64::from(i / 30) / 100.0
        );
    }
    areas.push_str(&positions);
    std::fs::write(input.join("areas.csv"), areas).unwrap();
    let site = build(&input, tmp.path());
    let root = read(&site.join("index.html"));
    let map = map_of(&root).expect("the root has a map");
    assert!(!map.contains("NaN") && !map.contains("inf"), "{map}");
    assert!(map.len() <= 28_000);
    // D3's 602 stations: a picture (no links) within the budget; the
    // table beside it links each.
    let d3 = read(&site.join("areas/D3.html"));
    let map = map_of(&d3).expect("D3 has placed stations");
    assert!(map.len() <= 28_000, "{} bytes", map.len());
    assert!(
        map.contains("role=\"img\"") && !map.contains("<a "),
        "{}",
        &map[..300]
    );
    assert!(d3.contains("areas/X599.html\""));
}

#[test]
fn positions_and_rings_the_converter_cannot_take_are_refused() {
    let ring = |coords: &str| format!("{{\"type\": \"Polygon\", \"coordinates\": [{coords}]}}");
    let features = [
        feature("\"R1\"", &ring("[[36],[37,0],[37,1],[36,0]]")),
        feature("\"R2\"", &ring("[[36,0],[37,0],[36,0]]")),
        feature(
            "\"D1\"",
            "{\"type\": \"MultiPolygon\", \"coordinates\": []}",
        ),
        feature("\"D2\"", &ring("[[36,0],[1e308,0],[37,1],[36,0]]")),
    ]
    .join(",\n");
    refused(
        &[("boundaries.geojson", Some(&geo(&features)))],
        &[
            "boundaries.geojson: feature 1: area 'R1' has a position of 1 number(s) (ring 1 of polygon 1)",
            "boundaries.geojson: feature 2: area 'R2' has a ring (1 of polygon 1) of 3 positions; a ring needs at least 4",
            "boundaries.geojson: feature 3: area 'D1' is an empty MultiPolygon",
            "boundaries.geojson: feature 4: area 'D2': the point (1e308, 0) is not a longitude and latitude",
        ],
    );
}

#[test]
fn a_station_position_must_be_whole_and_in_range() {
    let areas = "code,name,parent,registered,lat,lon\nN,Nation,,,,\nR1,North,N,,,\nR2,South,N,,,\nD1,District A,R1,,,\nD2,District B,R1,,,\nD3,District C,R2,,,\nS1,Station 1,D1,500,-1.2,\nS2,Station 2,D1,400,91,36\nS3,Station 3,D2,300,1,east\nS4,Station 4,D3,,NaN,1\nS5,Station 5,D3,200,0,0\n";
    refused(
        &[("areas.csv", Some(areas.as_bytes()))],
        &[
            "areas.csv:8: lat and lon must be given together",
            "areas.csv:9: lat '91' is not a number of degrees from -90 to 90",
            "areas.csv:10: lon 'east' is not a number of degrees from -180 to 180",
            "areas.csv:11: lat 'NaN' is not a number of degrees",
        ],
    );
}

/// The sample's outlines name areas of its own areas.csv.
#[test]
fn the_sample_boundaries_name_areas_by_code() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let out = kura(&["sample", "-o", input.to_str().unwrap(), "--stations", "60"]);
    assert!(out.status.success());
    let geo: serde_json::Value =
        serde_json::from_str(&read(&input.join("boundaries.geojson"))).unwrap();
    let areas = read(&input.join("areas.csv"));
    let codes: BTreeSet<&str> = areas
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    for f in geo["features"].as_array().unwrap() {
        assert!(codes.contains(f["properties"]["code"].as_str().unwrap()));
    }
}
