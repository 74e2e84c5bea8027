//! The optional `boundaries.geojson`: one GeoJSON Feature per area code
//! (`properties.code`), at any level, whose Polygon or MultiPolygon is the
//! area's outline on its parent's map. Read with the `geojson` crate into
//! `geo` shapes; anything it cannot use is an error like any other input's.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use geo::{Geometry, MultiPolygon};

use crate::error::Problem;
use crate::model::AreaIx;

pub const FILE: &str = "boundaries.geojson";

/// The largest boundaries file read. Simplified county outlines of a whole
/// country take a few megabytes; beyond this, the file is a mistake (or an
/// attempt to exhaust memory).
pub const MAX_BYTES: u64 = 256 << 20;

/// The most JSON arrays (each point is one, each ring another) read.
pub const MAX_ARRAYS: usize = 8_000_000;

/// Reads `path` if it exists: each area's outline, by area index.
pub(super) fn read(
    input: &crate::fsx::Beneath,
    path: &Path,
    areas: &BTreeMap<String, AreaIx>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<AreaIx, MultiPolygon<f64>> {
    let mut out = BTreeMap::new();
    // Read as a regular file of at most MAX_BYTES beneath the input
    // folder, its size and type judged on the file opened (not on its
    // path, which may be swapped meanwhile: for a FIFO, which would block
    // the build for ever, a larger file or a link leading out).
    let text = match input.read_limited(path, MAX_BYTES).and_then(|b| {
        String::from_utf8(b).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "is not valid UTF-8 text")
        })
    }) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            problems.push(Problem::file(
                path,
                format!("is larger than {MAX_BYTES} bytes, the most boundaries may take (simplify them first)"),
            ));
            return out;
        }
        Err(e) => {
            problems.push(Problem::file(path, format!("cannot read: {e}")));
            return out;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // Each array costs dozens of bytes once parsed: 85 million empty rings
    // in a 255 MB file took 12 GB. Counting brackets (those inside strings
    // too, so never fewer than there are arrays) bounds that first.
    let arrays = text.bytes().filter(|&b| b == b'[').count();
    if arrays > MAX_ARRAYS {
        problems.push(Problem::file(
            path,
            format!(
                "has {arrays} arrays (points and rings); boundaries may have at most {MAX_ARRAYS} (simplify them first)"
            ),
        ));
        return out;
    }
    let collection = match geojson::FeatureCollection::from_str(text) {
        Ok(c) => c,
        Err(geojson::Error::MalformedGeoJson(e)) => {
            problems.push(Problem::at(
                path,
                e.line() as u64,
                format!("not a GeoJSON FeatureCollection: {e}"),
            ));
            return out;
        }
        Err(e) => {
            problems.push(Problem::file(
                path,
                format!("not a GeoJSON FeatureCollection: {e}"),
            ));
            return out;
        }
    };
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for (n, feature) in collection.features.iter().enumerate() {
        let n = n + 1;
        let mut bad = |m: String| problems.push(Problem::file(path, format!("feature {n}: {m}")));
        let code = match feature.property("code") {
            Some(serde_json::Value::String(c)) => c.as_str(),
            Some(_) => {
                bad("properties.code is not a string".into());
                continue;
            }
            None => {
                bad("has no properties.code (the area code it outlines)".into());
                continue;
            }
        };
        let shown = super::truncate(code, 64);
        let Some(&area) = areas.get(code) else {
            bad(format!("unknown area code '{shown}' (not in areas.csv)"));
            continue;
        };
        if let Some(before) = first.insert(code.to_string(), n) {
            bad(format!(
                "second outline of area '{shown}' (first: feature {before})"
            ));
            continue;
        }
        let Some(geometry) = &feature.geometry else {
            bad(format!("area '{shown}' has no geometry"));
            continue;
        };
        if let Some(m) = unusable(&geometry.value) {
            bad(format!("area '{shown}' {m}"));
            continue;
        }
        let shape = match Geometry::<f64>::try_from(geometry) {
            Ok(Geometry::Polygon(p)) => MultiPolygon::new(vec![p]),
            Ok(Geometry::MultiPolygon(m)) => m,
            Ok(_) => {
                bad(format!("area '{shown}' is not a Polygon or MultiPolygon"));
                continue;
            }
            Err(e) => {
                bad(format!("area '{shown}': {e}"));
                continue;
            }
        };
        if let Some(m) = out_of_range(&shape) {
            bad(format!("area '{shown}': {m}"));
            continue;
        }
        out.insert(area, shape);
    }
    out
}

/// Why a geometry cannot be an outline, checked before converting it
/// (the conversion assumes every position has two numbers): it must be a
/// Polygon or MultiPolygon whose every polygon has rings, every ring at
/// least four positions (the first repeated last), every position at least
/// a longitude and a latitude.
fn unusable(value: &geojson::GeometryValue) -> Option<String> {
    use geojson::GeometryValue as G;
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match value {
        G::Polygon { coordinates } => vec![coordinates],
        G::MultiPolygon { coordinates } => coordinates.iter().collect(),
        _ => return Some("is not a Polygon or MultiPolygon".to_string()),
    };
    if polygons.is_empty() {
        return Some("is an empty MultiPolygon".to_string());
    }
    for (p, rings) in polygons.iter().enumerate() {
        let p = p + 1;
        if rings.is_empty() {
            return Some(format!("has a polygon ({p}) with no ring"));
        }
        for (r, ring) in rings.iter().enumerate() {
            let r = r + 1;
            if ring.len() < 4 {
                return Some(format!(
                    "has a ring ({r} of polygon {p}) of {} positions; a ring needs at least 4 (the first repeated last)",
                    ring.len()
                ));
            }
            if let Some(pos) = ring.iter().find(|pos| pos.len() < 2) {
                return Some(format!(
                    "has a position of {} number(s) (ring {r} of polygon {p}); each needs a longitude and a latitude",
                    pos.len()
                ));
            }
        }
    }
    None
}

/// A coordinate for a message: short, whatever its size.
fn number(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e6 {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// Why a shape's coordinates cannot be longitudes and latitudes, if they cannot.
fn out_of_range(shape: &MultiPolygon<f64>) -> Option<String> {
    use geo::CoordsIter;
    for c in shape.coords_iter() {
        if !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0) {
            return Some(format!(
                "the point ({}, {}) is not a longitude and latitude in WGS 84 degrees",
                number(c.x),
                number(c.y)
            ));
        }
    }
    None
}
