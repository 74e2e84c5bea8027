//! Plausible synthetic geography for the sample, so that its pages show
//! maps: each area's box is cut into a grid of its children's cells along
//! wavy borders (a border two cells share is one line, so neighbours meet
//! without gaps), and each polling station gets a position inside its
//! ward. The shapes come from a hash of the area's code, not from the
//! sample's random stream, so adding them changed none of its numbers.

use std::fmt::Write as _;

/// The country's box: longitude and latitude, about Kenya's.
const WEST: f64 = 34.0;
const EAST: f64 = 41.8;
const SOUTH: f64 = -4.6;
const NORTH: f64 = 4.6;

/// Points per border between the grid's corners.
const STEPS: usize = 8;

/// One area of the tree: its parent (an index), parents first.
pub(super) struct Node {
    pub(super) code: String,
    pub(super) parent: Option<usize>,
}

/// What the sample's geography gives each area.
pub(super) struct Land {
    /// boundaries.geojson: one feature per area but the root and the stations.
    pub(super) geojson: String,
    /// (lat, lon) of each polling station, by node index.
    pub(super) positions: Vec<Option<(f64, f64)>>,
}

/// A number in [0, 1) from a string and a salt (splitmix64 of FNV-1a).
pub(super) fn unit(key: &str, salt: u64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// A wobble along a border at `t` in [0, 1]: zero at both ends, at most 1.
fn wobble(key: &str, t: f64) -> f64 {
    let (p, q) = (unit(key, 1) * 6.3, unit(key, 2) * 6.3);
    let pi = std::f64::consts::PI;
    (pi * t).sin() * (0.7 * (3.0 * pi * t + p).sin() + 0.3 * (7.0 * pi * t + q).sin())
}

#[derive(Clone, Copy)]
struct Rect {
    x0: f64,
    x1: f64,
    /// Top (north) and bottom (south).
    y0: f64,
    y1: f64,
}

pub(super) fn lay_out(nodes: &[Node]) -> Land {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        if let Some(p) = n.parent {
            children[p].push(i);
        }
    }
    let mut land = Land {
        geojson: String::from("{\"type\": \"FeatureCollection\", \"features\": [\n"),
        positions: vec![None; nodes.len()],
    };
    let mut first = true;
    let mut boxes = vec![None; nodes.len()];
    boxes[0] = Some(Rect {
        x0: WEST,
        x1: EAST,
        y0: NORTH,
        y1: SOUTH,
    });
    // Parents come first, so each box is known before its children's.
    for a in 0..nodes.len() {
        let Some(rect) = boxes[a] else { continue };
        let kids = &children[a];
        if kids.is_empty() {
            let (u, v) = (unit(&nodes[a].code, 3), unit(&nodes[a].code, 4));
            let lon = rect.x0 + (0.25 + 0.5 * u) * (rect.x1 - rect.x0);
            let lat = rect.y0 + (0.25 + 0.5 * v) * (rect.y1 - rect.y0);
            land.positions[a] = Some((round(lat), round(lon)));
            continue;
        }
        let grid = Grid::new(&nodes[a].code, rect, kids.len());
        for (i, &k) in kids.iter().enumerate() {
            let (r, j) = grid.cell_of(i);
            boxes[k] = Some(grid.rect(r, j));
            if children[k].is_empty() {
                continue;
            }
            if !first {
                land.geojson.push_str(",\n");
            }
            first = false;
            let _ = write!(
                land.geojson,
                "{{\"type\": \"Feature\", \"properties\": {{\"code\": \"{}\"}}, \
                 \"geometry\": {{\"type\": \"Polygon\", \"coordinates\": [[",
                nodes[k].code
            );
            let ring = grid.ring(r, j);
            for (n, (x, y)) in ring.iter().chain(ring.first()).enumerate() {
                let sep = if n == 0 { "" } else { "," };
                let _ = write!(land.geojson, "{sep}[{},{}]", round(*x), round(*y));
            }
            land.geojson.push_str("]]}}");
        }
    }
    land.geojson.push_str("\n]}\n");
    land
}

fn round(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// A box cut into rows of cells, `counts[r]` cells in row `r`.
struct Grid<'a> {
    key: &'a str,
    rect: Rect,
    counts: Vec<usize>,
}

impl<'a> Grid<'a> {
    fn new(key: &'a str, rect: Rect, n: usize) -> Grid<'a> {
        let w = (rect.x1 - rect.x0).abs();
        let h = (rect.y1 - rect.y0).abs();
        // About square cells: columns in proportion to the box's shape.
        let cols = ((n as f64 * w / h).sqrt().round() as usize).clamp(1, n);
        let rows = n.div_ceil(cols);
        let counts = (0..rows)
            .map(|r| n / rows + usize::from(r < n % rows))
            .collect();
        Grid { key, rect, counts }
    }

    fn rows(&self) -> usize {
        self.counts.len()
    }

    fn cell_of(&self, mut i: usize) -> (usize, usize) {
        for (r, &c) in self.counts.iter().enumerate() {
            if i < c {
                return (r, i);
            }
            i -= c;
        }
        (self.rows() - 1, 0)
    }

    /// x of the `j`th cut of row `r` (0 and `counts[r]` are the sides).
    fn cut_x(&self, r: usize, j: usize) -> f64 {
        self.rect.x0 + (self.rect.x1 - self.rect.x0) * j as f64 / self.counts[r] as f64
    }

    /// y of border `r` (0 the top, `rows` the bottom) without its wobble.
    fn line_y(&self, r: usize) -> f64 {
        self.rect.y0 + (self.rect.y1 - self.rect.y0) * r as f64 / self.rows() as f64
    }

    fn rect(&self, r: usize, j: usize) -> Rect {
        Rect {
            x0: self.cut_x(r, j),
            x1: self.cut_x(r, j + 1),
            y0: self.line_y(r),
            y1: self.line_y(r + 1),
        }
    }

    /// The wavy border `r` at `x` (the box's own top and bottom are straight).
    fn border_y(&self, r: usize, x: f64) -> f64 {
        let y = self.line_y(r);
        if r == 0 || r == self.rows() {
            return y;
        }
        let t = (x - self.rect.x0) / (self.rect.x1 - self.rect.x0);
        let amp = 0.25 * (self.rect.y1 - self.rect.y0) / self.rows() as f64;
        y + amp * wobble(&format!("{}/h{r}", self.key), t)
    }

    /// The points of border `r`: even steps and the cuts of the rows on
    /// both sides, sorted west to east, so the two rows share them.
    fn border(&self, r: usize) -> Vec<(f64, f64)> {
        let mut xs: Vec<f64> = (0..=STEPS)
            .map(|s| self.rect.x0 + (self.rect.x1 - self.rect.x0) * s as f64 / STEPS as f64)
            .collect();
        for row in [r.checked_sub(1), (r < self.rows()).then_some(r)]
            .into_iter()
            .flatten()
        {
            xs.extend((1..self.counts[row]).map(|j| self.cut_x(row, j)));
        }
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs.into_iter().map(|x| (x, self.border_y(r, x))).collect()
    }

    /// The `j`th cut of row `r`, top to bottom (the sides are straight).
    fn cut(&self, r: usize, j: usize) -> Vec<(f64, f64)> {
        let x = self.cut_x(r, j);
        let (top, bottom) = (self.border_y(r, x), self.border_y(r + 1, x));
        let side = j == 0 || j == self.counts[r];
        let amp = 0.25 * (self.rect.x1 - self.rect.x0) / self.counts[r] as f64;
        let key = format!("{}/v{r}.{j}", self.key);
        (0..=STEPS)
            .map(|s| {
                let t = s as f64 / STEPS as f64;
                let dx = if side { 0.0 } else { amp * wobble(&key, t) };
                (x + dx, top + (bottom - top) * t)
            })
            .collect()
    }

    /// The outline of cell (`r`, `j`), counter-clockwise, not closed.
    fn ring(&self, r: usize, j: usize) -> Vec<(f64, f64)> {
        let (xl, xr) = (self.cut_x(r, j), self.cut_x(r, j + 1));
        let within = |p: &(f64, f64)| p.0 >= xl && p.0 <= xr;
        let mut out: Vec<(f64, f64)> = Vec::new();
        // Clockwise with north up: top west to east, down the east cut,
        // bottom east to west, up the west cut; then reversed.
        out.extend(self.border(r).into_iter().filter(within));
        out.extend(self.cut(r, j + 1).into_iter().skip(1));
        let mut bottom: Vec<(f64, f64)> = self.border(r + 1).into_iter().filter(within).collect();
        bottom.reverse();
        out.extend(bottom.into_iter().skip(1));
        let mut west = self.cut(r, j);
        west.reverse();
        out.extend(west.into_iter().skip(1));
        out.pop(); // back at the first point
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(parents: &[Option<usize>]) -> Vec<Node> {
        parents
            .iter()
            .enumerate()
            .map(|(i, &p)| Node {
                code: format!("A{i}"),
                parent: p,
            })
            .collect()
    }

    #[test]
    fn every_area_but_root_and_stations_has_an_outline_and_stations_a_place() {
        // root; two counties; three wards in the first, one in the second;
        // a station in each ward.
        let n = nodes(&[
            None,
            Some(0),
            Some(0),
            Some(1),
            Some(1),
            Some(1),
            Some(2),
            Some(3),
            Some(4),
            Some(5),
            Some(6),
        ]);
        let land = lay_out(&n);
        for code in ["A1", "A2", "A3", "A4", "A5", "A6"] {
            assert!(
                land.geojson.contains(&format!("\"code\": \"{code}\"")),
                "{code}"
            );
        }
        assert!(!land.geojson.contains("\"code\": \"A7\""));
        assert_eq!(land.positions.iter().filter(|p| p.is_some()).count(), 4);
        let (lat, lon) = land.positions[7].unwrap();
        assert!((SOUTH..=NORTH).contains(&lat) && (WEST..=EAST).contains(&lon));
        let v: serde_json::Value = serde_json::from_str(&land.geojson).unwrap();
        assert_eq!(v["features"].as_array().unwrap().len(), 6);
    }

    #[test]
    fn neighbours_share_their_border() {
        let rect = Rect {
            x0: 0.0,
            x1: 10.0,
            y0: 10.0,
            y1: 0.0,
        };
        let g = Grid::new("K", rect, 5);
        let a = g.ring(0, 0);
        let b = g.ring(0, 1);
        let shared = a.iter().filter(|p| b.contains(p)).count();
        assert!(shared > STEPS, "{shared} points shared");
    }
}
