//! How numbers and text read wherever kura writes them for people: counts
//! with thousands separators, signed differences, percentages, and text
//! inside XML. One home, so a page, a finding and `findings.csv` never
//! write the same number two ways.

/// A count with thousands separators: `22,102,532`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A difference with its sign: `+1,204`, `-3`, `0`. The minus is ASCII,
/// so that a detail copied from `findings.csv` into a spreadsheet or a
/// search reads as the number it is.
pub fn signed(d: i128) -> String {
    let n = thousands(u64::try_from(d.unsigned_abs()).unwrap_or(u64::MAX));
    match d.signum() {
        1 => format!("+{n}"),
        -1 => format!("-{n}"),
        _ => n,
    }
}

/// A fraction as a percentage with one decimal: `61.3%`.
pub fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `num` as a share of `den`, or a dash when there is nothing to share.
/// (Multiplied before it is divided: the rounding every page has shown.)
pub fn share(num: u64, den: u64) -> String {
    if den == 0 {
        "—".to_string()
    } else {
        format!("{:.1}%", num as f64 * 100.0 / den as f64)
    }
}

/// Escapes text for XML content and attributes (SVG, sitemaps).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_one_way() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22102532), "22,102,532");
        assert_eq!(signed(1204), "+1,204");
        assert_eq!(signed(-3), "-3");
        assert_eq!(signed(0), "0");
        assert_eq!(signed(i128::MIN), format!("-{}", thousands(u64::MAX)));
        assert_eq!(percent(0.6125), "61.3%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(1, 0), "—");
        assert_eq!(share(69, 240), "28.8%");
        assert_eq!(
            xml("a<b & 'c' \"d\">"),
            "a&lt;b &amp; &#39;c&#39; &quot;d&quot;&gt;"
        );
    }
}
