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

/// Reads `path` if it exists: each area's outline, by area index.
pub(super) fn read(
    path: &Path,
    areas: &BTreeMap<String, AreaIx>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<AreaIx, MultiPolygon<f64>> {
    let mut out = BTreeMap::new();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            problems.push(Problem::file(path, format!("cannot read: {e}")));
            return out;
        }
    };
    if !meta.is_file() {
        problems.push(Problem::file(path, "is not a file"));
        return out;
    }
    if meta.len() > MAX_BYTES {
        problems.push(Problem::file(
            path,
            format!(
                "is {} bytes; boundaries may take at most {MAX_BYTES} (simplify them first)",
                meta.len()
            ),
        ));
        return out;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem::file(path, format!("cannot read: {e}")));
            return out;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
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

/// Why a shape's coordinates cannot be longitudes and latitudes, if they cannot.
fn out_of_range(shape: &MultiPolygon<f64>) -> Option<String> {
    use geo::CoordsIter;
    for c in shape.coords_iter() {
        if !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0) {
            return Some(format!(
                "the point ({}, {}) is not a longitude and latitude in WGS 84 degrees",
                c.x, c.y
            ));
        }
    }
    if shape.0.iter().all(|p| p.exterior().0.len() < 4) {
        return Some("no ring has three corners".to_string());
    }
    None
}
