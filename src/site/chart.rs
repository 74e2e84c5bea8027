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
/// screen readers, in one pass over what plotters wrote: the attributes in
/// [`REDUNDANT`] and every `font-size` (plotters computes sizes such as
/// 12.903225806451614; the style sheet sets them) are dropped, and so are
/// the line breaks between tags. Text is escaped by plotters, so a `"`
/// only ever closes an attribute and these patterns only occur in tags.
fn accessible(svg: String, id: &str, title: &str, desc: &str) -> String {
    let mut body = String::with_capacity(svg.len());
    let mut rest = svg.as_str();
    while let Some(i) = rest.find([' ', '\n']) {
        body.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('\n') {
            if !(body.ends_with('>') || rest[1..].starts_with('<')) {
                body.push('\n');
            }
            rest = &rest[1..];
        } else if let Some(r) = REDUNDANT.iter().find(|r| rest.starts_with(**r)) {
            rest = &rest[r.len()..];
        } else if let Some(size) = rest.strip_prefix(" font-size=\"")
            && let Some(end) = size.find('"')
        {
            rest = &size[end + 1..];
        } else {
            body.push(' ');
            rest = &rest[1..];
        }
    }
    body.push_str(rest);
    let Some(open_end) = body.find('>') else {
        return body;
    };
    let (open, rest) = body.split_at(open_end);
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

    /// The one-pass clean-up gives what replacing each pattern in turn did.
    #[test]
    fn plotters_output_is_cleaned_as_by_each_replacement_in_turn() {
        let raw = "<svg width=\"420\" height=\"96\" viewBox=\"0 0 420 96\" xmlns=\"http://www.w3.org/2000/svg\">\n<text x=\"2\" y=\"6\" dy=\"0.76em\" text-anchor=\"start\" font-family=\"sans-serif\" font-size=\"12.903225806451614\" opacity=\"1\" fill=\"#000000\">A &quot;B&quot; \u{2014} 1,000 (50.0%)</text>\n<rect x=\"2\" y=\"24\" width=\"208\" height=\"18\" opacity=\"1\" fill=\"#1B9E77\" stroke=\"none\"/>\n</svg>\n";
        let mut old = raw.to_string();
        for r in REDUNDANT {
            old = old.replace(r, "");
        }
        while let Some(i) = old.find(" font-size=\"") {
            let end = old[i + 12..].find('"').unwrap();
            old.replace_range(i..i + 13 + end, "");
        }
        let old = old.replace(">\n", ">").replace("\n<", "<");
        let new = accessible(raw.to_string(), "x", "t", "d");
        assert!(
            new.ends_with(&old[old.find('>').unwrap() + 1..]),
            "{new}\n{old}"
        );
        assert!(
            new.starts_with(
                "<svg viewBox=\"0 0 420 96\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""
            ),
            "{new}"
        );
        assert!(!new.contains("font-size") && !new.contains("opacity") && !new.contains('\n'));
    }
}
