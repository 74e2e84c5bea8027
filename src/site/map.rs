//! The map on an area page, drawn at build time as inline SVG: the area's
//! children from `boundaries.geojson`, each a link to its page, filled
//! with its leader's colour, stronger for a larger margin; children without
//! an outline but with a position (`lat`, `lon` in areas.csv; polling
//! stations) are dots. No JavaScript, no tiles, nothing from another host.
//!
//! Outlines are projected (equirectangular, scaled by the cosine of the
//! middle latitude, so shapes are not stretched), then simplified with
//! Ramer–Douglas–Peucker (`geo::Simplify`) at a growing tolerance until the
//! drawing fits [`BUDGET`] bytes: a county of many wards costs the same as
//! one of a few.

use geo::{Coord, CoordsIter, LineString, MapCoords, MultiPolygon, Polygon, Simplify};

use crate::format::{percent, xml};
use crate::model::{AreaIx, RaceIx};
use crate::paths;
use crate::site::Site;

/// The most bytes the `<svg>` of a map may take (its caption and legend
/// are a few hundred more): a county map stays under 30 KB.
pub const BUDGET: usize = 28_000;

/// The longer side of the drawing, in SVG units (pixels at 1:1).
const SIZE: f64 = 600.0;
const PAD: f64 = 6.0;

/// The fill's strength for a margin (as a share of valid votes): the
/// lower bound of each band and its opacity.
const BANDS: &[(f64, &str, &str)] = &[
    (0.0, "0.35", "< 5%"),
    (0.05, "0.55", "5–10%"),
    (0.10, "0.75", "10–20%"),
    (0.20, "1", "≥ 20%"),
];

/// Fill of an area with no result yet.
const NONE_FILL: &str = "#c8c8c8";

/// A drawn map, its legend and its text alternative.
#[derive(Hash)]
pub struct Map {
    /// The `<svg>` element, every text in it escaped.
    pub svg: String,
    /// Leaders shown, with their colour: (colour, name), most areas first.
    pub leaders: Vec<(String, String)>,
    /// Margin bands: (opacity, label).
    pub bands: Vec<(&'static str, &'static str)>,
    /// Whether some child has no result yet (a grey legend entry).
    pub some_none: bool,
}

/// One child as the map shows it.
struct Child {
    href: String,
    name: String,
    /// The name, the leader and the margin, in words.
    label: String,
    fill: String,
    opacity: &'static str,
}

fn band(margin: f64) -> usize {
    BANDS.iter().rposition(|b| margin >= b.0).unwrap_or(0)
}

/// The map of area `a`'s children in `race`, seen from the page at `from`;
/// `None` when no child has an outline or a position.
pub fn draw(site: &Site<'_>, a: AreaIx, race: RaceIx, from: &str, id: &str) -> Option<Map> {
    let el = site.el;
    let kids = &el.areas[a].children;
    let shapes: Vec<(AreaIx, &MultiPolygon<f64>)> = kids
        .iter()
        .filter_map(|&c| el.boundaries.get(&c).map(|s| (c, s)))
        .collect();
    let dots: Vec<(AreaIx, (f64, f64))> = kids
        .iter()
        .filter(|c| !el.boundaries.contains_key(c))
        .filter_map(|&c| el.areas[c].position.map(|p| (c, p)))
        .collect();
    // With dots only, the area's own outline (if any) is drawn under them,
    // for a sense of where they are; a lone dot with nothing around it is
    // no map.
    let own = el.boundaries.get(&a).filter(|_| shapes.is_empty());
    if shapes.is_empty() && (dots.is_empty() || (own.is_none() && dots.len() < 2)) {
        return None;
    }
    let proj = Projection::fit(
        shapes
            .iter()
            .flat_map(|(_, s)| s.coords_iter())
            .chain(own.into_iter().flat_map(|s| s.coords_iter()))
            .chain(
                dots.iter()
                    .map(|(_, (lat, lon))| Coord { x: *lon, y: *lat }),
            ),
    )?;
    let own = own.map(|s| thin(&s.map_coords(|p| proj.apply(p))));

    let mut leaders: Vec<(usize, RaceIx, String)> = Vec::new();
    let mut some_none = false;
    let home = site.home(from);
    let mut child = |c: AreaIx| -> Child {
        let t = site.tally.get(el, c, race).unwrap_or_default();
        let ranking = t.ranking();
        let name = &el.areas[c].name;
        let href = format!("{home}{}", paths::area(el, c));
        match ranking.first() {
            Some(&first) if t.reporting > 0 && t.valid > 0 => {
                let second = ranking.get(1).map_or(0, |&s| t.votes[s]);
                let margin = (t.votes[first] - second) as f64 / t.valid as f64;
                let cand = el.races[race].candidates[first];
                match leaders.iter_mut().find(|l| l.1 == cand) {
                    Some(l) => l.0 += 1,
                    None => leaders.push((1, cand, el.candidates[cand].name.clone())),
                }
                Child {
                    href,
                    name: name.clone(),
                    label: format!(
                        "{name}: {} {}, {} {}",
                        site.t.leader,
                        el.candidates[cand].name,
                        site.t.margin,
                        percent(margin)
                    ),
                    fill: site.colors[cand].clone(),
                    opacity: BANDS[band(margin)].1,
                }
            }
            _ => {
                some_none = true;
                Child {
                    href,
                    name: name.clone(),
                    label: format!("{name}: {}", site.t.no_results),
                    fill: NONE_FILL.to_string(),
                    opacity: "1",
                }
            }
        }
    };
    let shape_kids: Vec<(Child, MultiPolygon<f64>)> = shapes
        .iter()
        .map(|(c, s)| (child(*c), thin(&s.map_coords(|p| proj.apply(p)))))
        .collect();
    let dot_kids: Vec<(Child, Coord<f64>)> = dots
        .iter()
        .map(|(c, (lat, lon))| (child(*c), proj.apply(Coord { x: *lon, y: *lat })))
        .collect();
    leaders.sort_by(|x, y| y.0.cmp(&x.0).then(x.2.cmp(&y.2)));

    // The most detail that fits the budget: the smallest tolerance (in
    // pixels) with every label in full, then with names alone; a map of
    // hundreds of children is then a picture without links (the table
    // beside it links each child).
    let mut svg = String::new();
    'fit: for detail in [Detail::Full, Detail::Names, Detail::Picture] {
        for eps in [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0] {
            svg = render(&proj, id, own.as_ref(), &shape_kids, &dot_kids, eps, detail);
            if svg.len() <= BUDGET {
                break 'fit;
            }
        }
    }
    Some(Map {
        svg,
        leaders: leaders
            .into_iter()
            .map(|(_, c, name)| (site.colors[c].clone(), name))
            .collect(),
        bands: BANDS.iter().map(|b| (b.1, b.2)).collect(),
        some_none,
    })
}

/// Longitude and latitude to SVG units.
struct Projection {
    min_x: f64,
    max_y: f64,
    /// The cosine of the middle latitude.
    k: f64,
    scale: f64,
    width: u32,
    height: u32,
}

impl Projection {
    /// Fits the points' bounding box into SIZE × SIZE (keeping its shape).
    fn fit(points: impl Iterator<Item = Coord<f64>>) -> Option<Projection> {
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in points {
            min_x = min_x.min(p.x);
            max_x = max_x.max(p.x);
            min_y = min_y.min(p.y);
            max_y = max_y.max(p.y);
        }
        if min_x > max_x {
            return None;
        }
        let k = ((min_y + max_y) / 2.0).to_radians().cos().max(0.01);
        let (dx, dy) = ((max_x - min_x) * k, max_y - min_y);
        // Points closer than a millionth of a degree (a few centimetres) are
        // one point, drawn in the middle of a small square: dividing by a
        // smaller span would make coordinates infinite.
        let scale = if dx.max(dy) > 1e-6 {
            SIZE / dx.max(dy)
        } else {
            1.0
        };
        let span = |d: f64| (d * scale).ceil().max(20.0) + 2.0 * PAD;
        Some(Projection {
            min_x,
            max_y,
            k,
            scale,
            width: span(dx) as u32,
            height: span(dy) as u32,
        })
    }

    fn apply(&self, p: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (p.x - self.min_x) * self.k * self.scale + PAD,
            y: (self.max_y - p.y) * self.scale + PAD,
        }
    }
}

/// The most points a ring keeps before it is simplified: more cannot be
/// told apart on a map 600 units wide, and simplifying (recursive in
/// `geo`) costs the square of the points in the worst case.
const MAX_RING: usize = 600;

/// A projected shape thinned before simplifying: a point within one unit
/// of the last one kept is dropped, and a ring still longer than
/// [`MAX_RING`] keeps evenly spaced points. Rings left with under three
/// corners are dropped (the shape may end up empty: nothing is drawn).
fn thin(shape: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| -> Option<LineString<f64>> {
        let mut kept: Vec<Coord<f64>> = Vec::new();
        for &c in &ls.0 {
            match kept.last() {
                Some(l) if (l.x - c.x).hypot(l.y - c.y) < 1.0 => {}
                _ => kept.push(c),
            }
        }
        if kept.len() > MAX_RING {
            let n = kept.len();
            kept = (0..MAX_RING).map(|i| kept[i * n / MAX_RING]).collect();
        }
        (kept.len() >= 3).then(|| {
            let mut ls = LineString::new(kept);
            ls.close();
            ls
        })
    };
    MultiPolygon::new(
        shape
            .iter()
            .filter_map(|p| {
                let exterior = ring(p.exterior())?;
                Some(Polygon::new(
                    exterior,
                    p.interiors().iter().filter_map(ring).collect(),
                ))
            })
            .collect(),
    )
}

/// Appends a ring as path data in whole units, dropping points that round
/// onto the one before; nothing when fewer than three corners are left.
fn ring(d: &mut String, coords: &[Coord<f64>]) {
    let mut pts: Vec<(i64, i64)> = Vec::with_capacity(coords.len());
    for c in coords {
        let p = (c.x.round() as i64, c.y.round() as i64);
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return;
    }
    for (i, (x, y)) in pts.iter().enumerate() {
        d.push_str(if i == 0 { "M" } else { " " });
        d.push_str(&format!("{x} {y}"));
    }
    d.push('Z');
}

fn path_data(shape: &MultiPolygon<f64>, eps: f64) -> String {
    let mut d = String::new();
    for poly in shape.simplify(eps).iter() {
        ring(&mut d, &poly.exterior().0);
        for hole in poly.interiors() {
            ring(&mut d, &hole.0);
        }
    }
    d
}

/// The index in `fills` of the child's fill and opacity, added if new.
fn slot<'c>(fills: &mut Vec<(&'c str, &'static str, String, String)>, c: &'c Child) -> usize {
    match fills.iter().position(|f| f.0 == c.fill && f.1 == c.opacity) {
        Some(i) => i,
        None => {
            fills.push((&c.fill, c.opacity, String::new(), String::new()));
            fills.len() - 1
        }
    }
}

/// How much a map says of each child.
#[derive(Clone, Copy, PartialEq)]
enum Detail {
    /// Each child a link named with its leader and margin (also its tooltip).
    Full,
    /// Each child a link named by its name alone.
    Names,
    /// No links: shapes and dots of one colour drawn as one path each.
    Picture,
}

fn render(
    proj: &Projection,
    id: &str,
    own: Option<&MultiPolygon<f64>>,
    shapes: &[(Child, MultiPolygon<f64>)],
    dots: &[(Child, Coord<f64>)],
    eps: f64,
    detail: Detail,
) -> String {
    let role = if detail == Detail::Picture {
        "img"
    } else {
        "group"
    };
    let mut s = format!(
        "<svg class=\"map\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"{role}\" aria-labelledby=\"{id}\">\
         <g stroke=\"#fff\" stroke-width=\"1\" stroke-linejoin=\"round\" fill-rule=\"evenodd\">",
        w = proj.width,
        h = proj.height,
        id = xml(id),
    );
    if let Some(own) = own {
        s.push_str(&format!(
            "<path d=\"{}\" fill=\"#eee\" stroke=\"#999\" aria-hidden=\"true\"/>",
            path_data(own, eps)
        ));
    }
    if detail == Detail::Picture {
        // One path per fill: shapes by their outlines, dots as round caps
        // of zero-length strokes (a dozen bytes each).
        let mut fills: Vec<(&str, &str, String, String)> = Vec::new();
        for (c, shape) in shapes {
            let i = slot(&mut fills, c);
            fills[i].2.push_str(&path_data(shape, eps));
        }
        for (c, p) in dots {
            let i = slot(&mut fills, c);
            fills[i]
                .3
                .push_str(&format!("M{} {}h0", p.x.round(), p.y.round()));
        }
        for (fill, opacity, areas, points) in &fills {
            if !areas.is_empty() {
                s.push_str(&format!(
                    "<path d=\"{areas}\" fill=\"{}\" fill-opacity=\"{opacity}\"/>",
                    xml(fill)
                ));
            }
            if !points.is_empty() {
                s.push_str(&format!(
                    "<path d=\"{points}\" stroke=\"{}\" stroke-opacity=\"{opacity}\" stroke-width=\"10\" stroke-linecap=\"round\"/>",
                    xml(fill)
                ));
            }
        }
        s.push_str("</g></svg>");
        return s;
    }
    let link = |s: &mut String, c: &Child| match detail {
        Detail::Full => s.push_str(&format!(
            "<a href=\"{}\" aria-label=\"{}\"><title>{}</title>",
            xml(&c.href),
            xml(&c.label),
            xml(&c.label)
        )),
        _ => s.push_str(&format!(
            "<a href=\"{}\" aria-label=\"{}\">",
            xml(&c.href),
            xml(&c.name)
        )),
    };
    for (c, shape) in shapes {
        let d = path_data(shape, eps);
        if d.is_empty() {
            continue;
        }
        link(&mut s, c);
        s.push_str(&format!(
            "<path d=\"{d}\" fill=\"{}\" fill-opacity=\"{}\"/></a>",
            xml(&c.fill),
            c.opacity
        ));
    }
    for (c, p) in dots {
        link(&mut s, c);
        s.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"{}\" fill-opacity=\"{}\" stroke=\"#333\"/></a>",
            p.x.round(),
            p.y.round(),
            xml(&c.fill),
            c.opacity
        ));
    }
    s.push_str("</g></svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_fall_in_bands() {
        assert_eq!(band(0.0), 0);
        assert_eq!(band(0.049), 0);
        assert_eq!(band(0.05), 1);
        assert_eq!(band(0.15), 2);
        assert_eq!(band(0.9), 3);
    }

    #[test]
    fn rings_drop_repeated_points_and_slivers() {
        let c = |x: f64, y: f64| Coord { x, y };
        let mut d = String::new();
        ring(
            &mut d,
            &[
                c(0.0, 0.0),
                c(0.2, 0.1),
                c(10.0, 0.0),
                c(10.0, 10.0),
                c(0.0, 0.0),
            ],
        );
        assert_eq!(d, "M0 0 10 0 10 10Z");
        let mut d = String::new();
        ring(
            &mut d,
            &[c(0.0, 0.0), c(0.3, 0.0), c(0.1, 0.2), c(0.0, 0.0)],
        );
        assert_eq!(d, "");
    }
}
