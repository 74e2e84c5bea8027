//! Text from the input on its way to a terminal. A value echoed raw could
//! carry escape sequences (rewriting what the terminal already shows, say
//! printing "intact" over a real report) or line breaks (forging a
//! `FILE:LINE:` line of its own). Everything kura prints that came from
//! outside passes through [`clean`] first.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as itself: control characters
/// (C0, DEL, C1, line and paragraph separators) and the invisible
/// characters that reorder or hide text (bidirectional overrides and
/// isolates, zero-width marks).
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}')
}

/// `s` with every unsafe character shown visibly: `\n`, `\r`, `\t`, and
/// `\u{..}` for the rest (a backslash itself stays as it is).
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(clean("plain Nairobi – Ñ"), "plain Nairobi – Ñ");
        assert_eq!(
            clean("a\x1b[2K\rintact\nb.csv:1: x"),
            "a\\u{1b}[2K\\rintact\\nb.csv:1: x"
        );
        assert_eq!(clean("\u{202e}gpj.exe\u{9b}"), "\\u{202e}gpj.exe\\u{9b}");
    }
}
