//! Bar charts as inline SVG, drawn with plotters (no system fonts: text is
//! left to the browser), with a `<title>` and `<desc>` carrying the numbers.

use plotters::prelude::*;

use crate::format::xml;

/// A horizontal bar chart as a page's view holds it: what it shows. It is
/// drawn (its `Display`) only when the page is rendered, so a page whose
/// view is unchanged is not drawn again.
#[derive(Debug, Hash)]
pub struct Chart {
    /// Makes the title/desc ids unique on the page.
    pub id: String,
    pub title: String,
    pub desc: String,
    /// Top to bottom.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Hash)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub share: String,
    pub color: String,
}

impl std::fmt::Display for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&bars(&self.id, &self.title, &self.desc, &self.bars))
    }
}

const WIDTH: u32 = 420;
const ROW: u32 = 44;

/// Draws a horizontal bar chart. `id` makes the title/desc ids unique on the page.
fn bars(id: &str, title: &str, desc: &str, bars: &[Bar]) -> String {
    let height = ROW * bars.len().max(1) as u32 + 8;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
        let font = ("sans-serif", 16).into_font();
        let bar_width = (WIDTH - 4) as f64;
        for (i, b) in bars.iter().enumerate() {
            let y = (i as u32 * ROW) as i32 + 4;
            let label = format!(
                "{} — {} ({})",
                b.label,
                crate::format::thousands(b.value),
                b.share
            );
            // Drawing into a String cannot fail; ignore the Result rather than panic.
            let _ = root.draw(&Text::new(label, (2, y + 2), font.clone().color(&BLACK)));
            let w = ((b.value as f64 / max as f64) * bar_width).round() as i32;
            let color = parse_hex(&b.color);
            let _ = root.draw(&Rectangle::new(
                [(2, y + 20), (2 + w.max(1), y + 38)],
                color.filled(),
            ));
        }
        let _ = root.present();
    }
    accessible(svg, id, title, desc)
}

/// Attributes plotters writes on every element that say nothing the style
/// sheet does not (text font and colour come from `svg.bars text` in CSS).
const REDUNDANT: &[&str] = &[
    " opacity=\"1\"",
    " stroke=\"none\"",
    " font-family=\"sans-serif\"",
    " fill=\"#000000\"",
    " text-anchor=\"start\"",
];

/// Makes the SVG scale with its container, lighter, and describe itself to
/// screen readers.
fn accessible(mut svg: String, id: &str, title: &str, desc: &str) -> String {
    for r in REDUNDANT {
        svg = svg.replace(r, "");
    }
    // Font sizes as plotters computes them (12.903225806451614): round them.
    while let Some(i) = svg.find(" font-size=\"") {
        let rest = &svg[i + 12..];
        let Some(end) = rest.find('"') else { break };
        svg.replace_range(i..i + 13 + end, "");
    }
    let svg = svg.replace(">\n", ">").replace("\n<", "<");
    let Some(open_end) = svg.find('>') else {
        return svg;
    };
    let (open, rest) = svg.split_at(open_end);
    // Drop fixed width/height so CSS can scale it by its viewBox.
    let open = open
        .split(' ')
        .filter(|attr| !attr.starts_with("width=") && !attr.starts_with("height="))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{open} role=\"img\" aria-labelledby=\"t-{id} d-{id}\" class=\"bars\"><title id=\"t-{id}\">{}</title><desc id=\"d-{id}\">{}</desc>{}",
        xml(title),
        xml(desc),
        &rest[1..]
    )
}

fn parse_hex(c: &str) -> RGBColor {
    let h = |i: usize| u8::from_str_radix(c.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(0x80);
    RGBColor(h(1), h(3), h(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_accessible_and_escaped() {
        let svg = bars(
            "x",
            "Votes <b>",
            "A & B",
            &[Bar {
                label: "<script>".into(),
                value: 10,
                share: "100.0%".into(),
                color: "#ff0000".into(),
            }],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"t-x\">Votes &lt;b&gt;</title>"));
        assert!(svg.contains("A &amp; B"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("#FF0000") || svg.contains("#ff0000"));
    }
}
