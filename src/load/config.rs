//! `election.toml`: the election's title, date, level names and site settings.

use std::path::Path;

use crate::error::Problem;
use crate::model::Meta;

/// Languages whose interface strings ship with kura.
pub const LANGUAGES: &[&str] = &["en", "sw"];

/// The largest `election.toml` read (a real one is a few hundred bytes).
pub const MAX_BYTES: u64 = 1 << 20;

/// Reads and validates `election.toml`.
pub fn read(input: &crate::fsx::Beneath, path: &Path, problems: &mut Vec<Problem>) -> Option<Meta> {
    let bytes = match input.read_limited(path, MAX_BYTES) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Problem::file(path, format!("cannot read: {e}")));
            return None;
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            let line = line_of(&bytes, e.valid_up_to());
            problems.push(Problem::at(path, line, "not valid UTF-8 text"));
            return None;
        }
    };
    let table = parse(path, text, problems)?;
    let doc = Doc { path, text };
    let before = problems.len();
    let title = doc.string(&table, "title", true, problems);
    let date = doc.string(&table, "date", true, problems);
    let site = doc.site(&table, problems);
    let base_url = doc.string(&site, "base_url", false, problems);
    let language = doc.string(&site, "language", false, problems);
    doc.check_title_and_date(title.as_deref(), date.as_deref(), problems);
    let levels = doc.levels(&table, problems);
    doc.check_base_url(base_url.as_deref(), problems);
    doc.check_control(title.as_deref(), date.as_deref(), problems);
    let languages = doc.languages(&site, language, problems);
    if problems.len() > before {
        return None;
    }
    Some(Meta {
        title: title?,
        date: date?,
        levels,
        base_url: base_url.map(|u| u.trim_end_matches('/').to_string()),
        languages,
    })
}

/// Parses `text` as a TOML table. Reports an empty file, or malformed TOML
/// at the line of the mistake.
fn parse(path: &Path, text: &str, problems: &mut Vec<Problem>) -> Option<toml::Table> {
    if text.trim().is_empty() {
        problems.push(Problem::file(
            path,
            "empty file: 'title' and 'date' are required",
        ));
        return None;
    }
    match text.parse() {
        Ok(t) => Some(t),
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e
                .span()
                .map(|s| line_of(text.as_bytes(), s.start))
                .unwrap_or(1);
            let msg = e.message().trim().to_string();
            problems.push(Problem::at(path, line, format!("malformed TOML: {msg}")));
            None
        }
    }
}

/// election.toml and its text, so that a problem with a key is reported
/// at the line that sets it.
struct Doc<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Doc<'_> {
    /// The 1-based line that sets `key` (`key = …`), or 1 when none does.
    fn line_of_key(&self, key: &str) -> u64 {
        self.text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with(key) && l[key.len()..].trim_start().starts_with('=')
            })
            .map(|i| i as u64 + 1)
            .unwrap_or(1)
    }

    /// A problem at the line that sets `key`.
    fn at(&self, key: &str, message: impl Into<String>) -> Problem {
        Problem::at(self.path, self.line_of_key(key), message)
    }

    /// The string `key` of table `t`, trimmed. Reports it missing when
    /// `required`, and a value that is not a string.
    fn string(
        &self,
        t: &toml::Table,
        key: &str,
        required: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<String> {
        match t.get(key) {
            None if required => {
                problems.push(Problem::file(
                    self.path,
                    format!("missing required key '{key}'"),
                ));
                None
            }
            None => None,
            Some(toml::Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                problems.push(self.at(key, format!("'{key}' must be a string")));
                None
            }
        }
    }

    /// The `[site]` table (empty when there is none). Reports a `site`
    /// that is not a table.
    fn site(&self, table: &toml::Table, problems: &mut Vec<Problem>) -> toml::Table {
        match table.get("site") {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => {
                problems.push(self.at("site", "'site' must be a table ([site])"));
                toml::Table::new()
            }
        }
    }

    /// Reports an empty title, and a date that is not a real YYYY-MM-DD.
    fn check_title_and_date(
        &self,
        title: Option<&str>,
        date: Option<&str>,
        problems: &mut Vec<Problem>,
    ) {
        if let Some(t) = title
            && t.is_empty()
        {
            problems.push(self.at("title", "'title' is empty"));
        }
        if let Some(d) = date
            && !valid_date(d)
        {
            problems.push(self.at(
                "date",
                format!("date '{d}' is not a date of the form YYYY-MM-DD"),
            ));
        }
    }

    /// The names of the levels of the area tree (none when `levels` is
    /// absent). Reports a `levels` that is not a list of non-empty names.
    fn levels(&self, table: &toml::Table, problems: &mut Vec<Problem>) -> Vec<String> {
        match table.get("levels") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => {
                let mut out = Vec::new();
                for v in a {
                    match v {
                        toml::Value::String(s) if !s.trim().is_empty() && !has_control(s) => {
                            out.push(s.trim().to_string())
                        }
                        _ => {
                            problems.push(self.at(
                                "levels",
                                "'levels' must be a list of non-empty names without control characters",
                            ));
                            break;
                        }
                    }
                }
                out
            }
            Some(_) => {
                problems.push(self.at("levels", "'levels' must be a list of names"));
                Vec::new()
            }
        }
    }

    /// Reports a `base_url` that is not an absolute http(s) URL.
    fn check_base_url(&self, base_url: Option<&str>, problems: &mut Vec<Problem>) {
        if let Some(u) = base_url
            && let Err(why) = valid_base_url(u)
        {
            problems.push(self.at(
                "base_url",
                format!(
                    "base_url '{}' must be an absolute http(s):// URL: {why}",
                    super::table::truncate(u, 80)
                ),
            ));
        }
    }

    /// Reports a title or date that holds a control character.
    fn check_control(&self, title: Option<&str>, date: Option<&str>, problems: &mut Vec<Problem>) {
        for (key, value) in [("title", title), ("date", date)] {
            if value.is_some_and(has_control) {
                problems.push(self.at(
                    key,
                    format!("'{key}' contains a control character (a line break, escape, …)"),
                ));
            }
        }
    }

    /// The languages of the site: `[site] languages`, else `language`,
    /// else English. Reports a list that is not one of language codes, a
    /// language kura does not ship, one listed twice, and an empty list.
    fn languages(
        &self,
        site: &toml::Table,
        language: Option<String>,
        problems: &mut Vec<Problem>,
    ) -> Vec<String> {
        let mut languages = Vec::new();
        match site.get("languages") {
            None => languages.push(language.unwrap_or_else(|| "en".to_string())),
            Some(toml::Value::Array(a)) => {
                for v in a {
                    match v {
                        toml::Value::String(s) => languages.push(s.trim().to_string()),
                        _ => problems.push(
                            self.at("languages", "'languages' must be a list of language codes"),
                        ),
                    }
                }
            }
            Some(_) => {
                problems.push(self.at("languages", "'languages' must be a list of language codes"))
            }
        }
        for (i, l) in languages.iter().enumerate() {
            if !LANGUAGES.contains(&l.as_str()) {
                let key = if site.contains_key("languages") {
                    "languages"
                } else {
                    "language"
                };
                problems.push(self.at(
                    key,
                    format!(
                        "language '{l}' is not available (available: {})",
                        LANGUAGES.join(", ")
                    ),
                ));
            } else if languages[..i].contains(l) {
                problems.push(self.at("languages", format!("language '{l}' is listed twice")));
            }
        }
        if languages.is_empty() {
            problems.push(self.at("languages", "'languages' is empty"));
        }
        languages
    }
}

/// Whether `s` holds a control character (tab included: none belongs in a
/// setting or a name).
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Checks `base_url`, which reaches robots.txt, the sitemap and the feed
/// verbatim: an absolute http(s) URL with a host, made only of the
/// characters a URL may hold (no white space, quotes, angle brackets or
/// control characters), without a query or fragment.
pub fn valid_base_url(u: &str) -> Result<(), &'static str> {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or("it must start with https:// or http://")?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/!$&()*+,;=%[]".contains(c);
    if let Some(c) = u.chars().find(|&c| !allowed(c)) {
        return Err(if c.is_control() || c.is_whitespace() {
            "it holds white space or a control character"
        } else if c == '?' || c == '#' {
            "it may not have a query or fragment"
        } else if c == '@' {
            "it may not carry a user name or password"
        } else {
            "it holds a character a URL may not (percent-encode it)"
        });
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err("it has no host");
    }
    Ok(())
}

/// The 1-based line holding byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// YYYY-MM-DD with a real month and day.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// An ISO 8601 date-time: `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]` (a space may stand for `T`).
pub fn valid_datetime(s: &str) -> bool {
    if s.len() < 16 || !s.is_char_boundary(10) {
        return false;
    }
    let (date, rest) = s.split_at(10);
    if !valid_date(date) {
        return false;
    }
    let rest = match rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) {
        Some(r) => r,
        None => return false,
    };
    let (time, zone) = match rest.find(['Z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let two = |p: &str, max: u32| {
        p.len() == 2
            && p.bytes().all(|c| c.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| v <= max)
    };
    let mut parts = time.split(':');
    let (Some(h), Some(m)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !two(h, 23) || !two(m, 59) {
        return false;
    }
    if let Some(sec) = parts.next() {
        let (whole, frac) = sec.split_once('.').unwrap_or((sec, "0"));
        if !two(whole, 60) || frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    if parts.next().is_some() {
        return false;
    }
    match zone {
        "" | "Z" => true,
        z => {
            let z = &z[1..];
            let (zh, zm) = z
                .split_once(':')
                .unwrap_or((z.get(..2).unwrap_or(""), z.get(2..).unwrap_or("")));
            two(zh, 23) && two(zm, 59)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(valid_date("2022-08-09"));
        assert!(valid_date("2024-02-29"));
        assert!(!valid_date("2023-02-29"));
        assert!(!valid_date("2022-13-01"));
        assert!(!valid_date("22-08-09"));
        assert!(valid_datetime("2022-08-09T22:36:59"));
        assert!(valid_datetime("2022-08-09T22:36:59+03:00"));
        assert!(valid_datetime("2022-08-09 22:36Z"));
        assert!(!valid_datetime("2022-08-09T25:00"));
        assert!(!valid_datetime("yesterday"));
    }
}
