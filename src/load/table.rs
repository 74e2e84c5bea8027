//! Reading one CSV file of the input folder, row by row, with its columns
//! found by name (any order, extra columns ignored, BOM and CRLF accepted).

use std::path::Path;

use crate::error::Problem;

/// Largest count accepted anywhere: 2^53, the largest integer every
/// spreadsheet and JSON reader holds exactly.
pub const MAX_COUNT: u64 = 1 << 53;

/// One data row, its fields looked up by column name.
pub struct Row<'a> {
    pub line: u64,
    fields: Vec<&'a str>,
    columns: &'a [Option<usize>],
}

impl Row<'_> {
    /// The trimmed value of the `i`-th requested column ("" when the column is absent).
    pub fn get(&self, i: usize) -> &str {
        self.columns
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| self.fields.get(c).copied())
            .unwrap_or("")
            .trim()
    }
}

/// Reads `path` and calls `each` for every data row. `wanted` lists column
/// names; those in `required` must be present. Problems go to `problems`.
/// Returns false when the file could not be read at all.
pub fn read(
    input: &crate::fsx::Beneath,
    path: &Path,
    wanted: &[&str],
    required: &[&str],
    problems: &mut Vec<Problem>,
    mut each: impl FnMut(&Row<'_>, &mut Vec<Problem>),
) -> bool {
    let Some(mut reader) = open(input, path, problems) else {
        return false;
    };
    let row_start = reader.get_ref().row_start.clone();
    let mut record = csv::ByteRecord::new();
    let mut header: Option<Vec<String>> = None;
    let mut columns: Vec<Option<usize>> = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if record_error(path, &e, reader.position().line(), problems) {
                    return false;
                }
                continue;
            }
        }
        // The next row begins where this one ended.
        row_start.set(reader.position().byte());
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let Some(fields) = utf8_fields(&record) else {
            problems.push(Problem::at(path, line, "not valid UTF-8 text"));
            if header.is_none() {
                return false;
            }
            continue;
        };
        let Some(names) = &header else {
            let Some(names) = header_names(path, line, &fields, required, problems) else {
                return false;
            };
            columns = wanted
                .iter()
                .map(|w| names.iter().position(|n| n == w))
                .collect();
            header = Some(names);
            continue;
        };
        if fields.len() != names.len() {
            // A lone empty field is a blank line with spaces; skip it quietly.
            if fields.len() == 1 && fields[0].trim().is_empty() {
                continue;
            }
            problems.push(Problem::at(
                path,
                line,
                format!(
                    "expected {} fields as in the header, found {}",
                    names.len(),
                    fields.len()
                ),
            ));
            continue;
        }
        let row = Row {
            line,
            fields,
            columns: &columns,
        };
        if has_control(record.as_slice()) {
            check_control(path, &row, wanted, problems);
        }
        each(&row, problems);
    }
    if header.is_none() {
        problems.push(Problem::file(path, "empty file: a header row is required"));
        return false;
    }
    true
}

/// Opens `path` for reading as CSV (its CRLF line ends read as LF).
/// Reports a file that cannot be opened.
fn open<'a>(
    input: &'a crate::fsx::Beneath,
    path: &Path,
    problems: &mut Vec<Problem>,
) -> Option<csv::Reader<CrlfToLf<crate::fsx::Hashed<'a>>>> {
    let file = match input.reader(path) {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::file(path, format!("cannot read: {e}")));
            return None;
        }
    };
    Some(
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(CrlfToLf::new(file)),
    )
}

/// Reports a record the CSV reader could not read, at its line when
/// known. Returns whether reading must stop (the file itself failed).
fn record_error(path: &Path, e: &csv::Error, at: u64, problems: &mut Vec<Problem>) -> bool {
    // A file that fails to be read fails at the row being read.
    let line = e.position().map_or(at, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => format!("malformed CSV: {e}"),
    };
    if line > 0 {
        problems.push(Problem::at(path, line, message));
    } else {
        problems.push(Problem::file(path, message));
    }
    matches!(e.kind(), csv::ErrorKind::Io(_))
}

/// The fields of `record` as text, or `None` when one is not UTF-8.
fn utf8_fields(record: &csv::ByteRecord) -> Option<Vec<&str>> {
    let mut fields = Vec::with_capacity(record.len());
    for field in record.iter() {
        fields.push(std::str::from_utf8(field).ok()?);
    }
    Some(fields)
}

/// The most columns a CSV file may have (kura's have up to ten; others are
/// ignored): each row is split into as many fields, and a header of
/// millions of names took an hour to check.
pub const MAX_COLUMNS: usize = 1000;

/// The column names of the header row `fields` (on line `line`), trimmed.
/// Reports a name that appears twice and each `required` column missing;
/// `None` when there is either.
fn header_names(
    path: &Path,
    line: u64,
    fields: &[&str],
    required: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<Vec<String>> {
    if fields.len() > MAX_COLUMNS {
        problems.push(Problem::at(
            path,
            line,
            format!(
                "{} columns: a file may have at most {MAX_COLUMNS}",
                fields.len()
            ),
        ));
        return None;
    }
    let names: Vec<String> = fields.iter().map(|f| f.trim().to_string()).collect();
    let mut ok = true;
    let mut seen = std::collections::HashSet::new();
    for n in &names {
        if !n.is_empty() && !seen.insert(n.as_str()) {
            problems.push(Problem::at(
                path,
                line,
                format!("column '{}' appears twice", truncate(n, 64)),
            ));
            ok = false;
        }
    }
    for r in required {
        if !names.iter().any(|n| n == r) {
            problems.push(Problem::at(
                path,
                line,
                format!("missing required column '{r}'"),
            ));
            ok = false;
        }
    }
    ok.then_some(names)
}

/// Whether `bytes` may hold a control character: a byte below 0x20 but
/// tab, LF and CR, DEL, or anything not ASCII (which [`check_control`]
/// then looks at). Most rows hold none, and are not looked at column by
/// column.
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b >= 0x7f)
}

/// Reports each `wanted` column of `row` that holds a control character.
/// Values reach pages, the feed (where XML forbids control characters
/// other than white space) and terminals: none may hold one. Line breaks
/// and tabs inside a quoted value are white space (real exports have them:
/// Uganda 2021 has station names over two lines) and are kept.
fn check_control(path: &Path, row: &Row<'_>, wanted: &[&str], problems: &mut Vec<Problem>) {
    for (i, name) in wanted.iter().enumerate() {
        let v = row.get(i);
        if v.bytes()
            .any(|b| (b < 0x20 && !b"\t\n\r".contains(&b)) || b == 0x7f)
            || (!v.is_ascii() && v.chars().any(|c| c.is_control() && !c.is_ascii()))
        {
            problems.push(Problem::at(
                path,
                row.line,
                format!("column '{name}' holds a control character (an escape, NUL, …)"),
            ));
        }
    }
}

/// The most bytes one row of a CSV file may take (real rows take a few
/// hundred): past it, the file is not read further. Without a bound, a
/// quote left open at the top of a large file (or a sparse file of
/// gigabytes of NULs) would be read into memory whole as one value.
pub const MAX_ROW_BYTES: u64 = 16 << 20;

/// Turns CRLF line ends into LF as the bytes stream by. The csv crate
/// counts a CRLF file's lines one short (it ends the record at the CR and
/// counts the LF as part of the next), and messages must name the right line.
/// Refuses to hand out more than [`MAX_ROW_BYTES`] past the start of the
/// row being read (`row_start`, which the reader's user moves on).
struct CrlfToLf<R> {
    inner: R,
    row_start: std::rc::Rc<std::cell::Cell<u64>>,
    /// Bytes handed out so far.
    given: u64,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// A CR was the last byte of the previous chunk.
    pending_cr: bool,
}

impl<R: std::io::Read> CrlfToLf<R> {
    fn new(inner: R) -> Self {
        CrlfToLf {
            inner,
            row_start: Default::default(),
            given: 0,
            buf: vec![0; 1 << 16],
            start: 0,
            end: 0,
            pending_cr: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.given.saturating_sub(self.row_start.get()) > MAX_ROW_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a row is longer than {MAX_ROW_BYTES} bytes (a quote left open?); the file is not read further"
                ),
            ));
        }
        let n = self.convert(out)?;
        self.given += n as u64;
        Ok(n)
    }
}

impl<R: std::io::Read> CrlfToLf<R> {
    fn convert(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.start == self.end {
                let n = self.inner.read(&mut self.buf)?;
                if n == 0 {
                    if self.pending_cr {
                        // A lone CR at the very end.
                        self.pending_cr = false;
                        out[0] = b'\r';
                        return Ok(1);
                    }
                    return Ok(0);
                }
                self.start = 0;
                self.end = n;
            }
            let mut written = 0;
            if self.pending_cr {
                self.pending_cr = false;
                if self.buf[self.start] != b'\n' {
                    out[0] = b'\r';
                    written = 1;
                }
            }
            while self.start < self.end && written < out.len() {
                // The bytes up to the next CR are copied as they are.
                let room = (out.len() - written).min(self.end - self.start);
                let chunk = &self.buf[self.start..self.start + room];
                let plain = chunk.iter().position(|&b| b == b'\r').unwrap_or(room);
                out[written..written + plain].copy_from_slice(&chunk[..plain]);
                written += plain;
                self.start += plain;
                if plain == room {
                    continue;
                }
                // A CR: dropped before an LF, kept otherwise.
                self.start += 1;
                if self.start == self.end {
                    self.pending_cr = true;
                    break;
                }
                if self.buf[self.start] == b'\n' {
                    continue;
                }
                out[written] = b'\r';
                written += 1;
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

/// Checks a code or id: `[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`.
pub fn valid_code(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
}

/// Names kura gives its own pages in the folders where codes become file
/// names (`az/index.html`, `changes/index.html`, `data/index.html`).
const KURA_NAMES: &[&str] = &["index"];

/// Names Windows will not create, with or without an extension; mirrors
/// run on every system, so a site may not need them.
const WINDOWS_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a valid code cannot name a file of the site, if it cannot: a name
/// kura uses itself, or one Windows reserves (compared without case, and
/// up to the first '.', as Windows does).
pub fn file_name_problem(what: &str, code: &str) -> Option<String> {
    let lower = code.to_ascii_lowercase();
    let stem = lower.split('.').next().unwrap_or("");
    if KURA_NAMES.contains(&lower.as_str()) {
        Some(format!(
            "{what} '{code}' is a name kura uses for its own pages; choose another"
        ))
    } else if code.ends_with('.') {
        Some(format!(
            "{what} '{code}' ends with '.', which Windows drops from file names, so its file would be another's"
        ))
    } else if WINDOWS_NAMES.contains(&stem) {
        Some(format!(
            "{what} '{code}' is a file name Windows reserves, so mirrors on Windows could not hold its page; choose another"
        ))
    } else {
        None
    }
}

/// Explains why `s` is not a valid code, for messages.
pub fn code_problem(what: &str, s: &str) -> String {
    if s.is_empty() {
        format!("{what} is empty")
    } else if s.len() > 64 {
        format!("{what} '{}' is longer than 64 characters", truncate(s, 20))
    } else {
        format!(
            "{what} '{}' is not a valid code (letters, digits, '_', '.', '-'; starting with a letter or digit)",
            truncate(s, 64)
        )
    }
}

/// Parses a count: a whole number from 0 to 2^53.
pub fn count(column: &str, s: &str) -> Result<u64, String> {
    let shown = truncate(s, 30);
    if s.starts_with('-') && s.len() > 1 && s[1..].bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{column} '{shown}' is negative"));
    }
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{column} '{shown}' is not a whole number"));
    }
    match s.parse::<u64>() {
        Ok(n) if n <= MAX_COUNT => Ok(n),
        _ => Err(format!("{column} '{shown}' is larger than 2^53")),
    }
}

/// An optional count: empty means unknown.
pub fn optional_count(column: &str, s: &str) -> Result<Option<u64>, String> {
    if s.is_empty() {
        Ok(None)
    } else {
        count(column, s).map(Some)
    }
}

/// Shortens `s` for a message, on a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(valid_code("001"));
        assert!(valid_code("a.b-c_d"));
        assert!(!valid_code(""));
        assert!(!valid_code("-x"));
        assert!(!valid_code("a/b"));
        assert!(!valid_code(".."));
        assert!(!valid_code(&"x".repeat(65)));
        assert!(valid_code(&"x".repeat(64)));
    }

    /// Rows reach `each` in the file's order with their own lines (a
    /// quoted value over two lines, CRLF line ends, a BOM), and each
    /// problem is reported at its line (the header's handling is in
    /// tests/suite/errors.rs).
    #[test]
    fn rows_keep_their_order_and_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut text = b"\xef\xbb\xbfid,n\r\n".to_vec();
        let rows = 3000;
        for i in 0..rows {
            let line = i + 2;
            match line {
                1500 => text.extend_from_slice(b"x,1,extra\r\n"),
                2500 => text.extend_from_slice(b"\xff,1\r\n"),
                2700 => text.extend_from_slice(b"\"two\nlines\",2\r\n"),
                _ => text.extend_from_slice(format!("r{line},{i}\r\n").as_bytes()),
            }
        }
        std::fs::write(&path, &text).unwrap();
        let mut seen = Vec::new();
        let mut problems = Vec::new();
        let input = crate::fsx::Beneath::input(dir.path());
        let want = (&["id", "n"][..], &["id"][..]);
        let ok = read(&input, &path, want.0, want.1, &mut problems, |row, _| {
            seen.push((row.line, row.get(0).to_string()));
        });
        assert!(ok);
        let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].ends_with("t.csv:1500: expected 2 fields as in the header, found 3"));
        assert!(shown[1].ends_with("t.csv:2500: not valid UTF-8 text"));
        assert_eq!(seen.len(), rows - 2);
        assert_eq!(seen[0], (2, "r2".to_string()));
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
        let two = seen.iter().position(|s| s.1 == "two\nlines").unwrap();
        // The record over two lines starts on line 2700; the next starts after it.
        assert_eq!(seen[two].0, 2700);
        assert_eq!(seen[two + 1], (2702, "r2701".to_string()));
        assert_eq!(seen.last().unwrap().0, rows as u64 + 2);
    }

    #[test]
    fn crlf_becomes_lf_across_chunk_edges() {
        use std::io::Read;
        // A reader that hands out one byte at a time puts every CR at a chunk edge.
        struct OneByte<'a>(&'a [u8]);
        impl std::io::Read for OneByte<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                match self.0.split_first() {
                    Some((b, rest)) if !out.is_empty() => {
                        out[0] = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut s = String::new();
        CrlfToLf::new(OneByte(b"a\r\nb\rc\r\n\r"))
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "a\nb\rc\n\r");
    }

    #[test]
    fn crlf_becomes_lf_whatever_the_chunks() {
        use std::io::Read;
        // Hands out at most `n` bytes at a time.
        struct Chunks<'a>(&'a [u8], usize);
        impl std::io::Read for Chunks<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        // Every text of up to 7 bytes of 'a', CR and LF, read through
        // sources and buffers of several sizes.
        for len in 0..=7u32 {
            for code in 0..3usize.pow(len) {
                let text: Vec<u8> = (0..len)
                    .map(|i| b"a\r\n"[code / 3usize.pow(i) % 3])
                    .collect();
                let expected = String::from_utf8(text.clone())
                    .unwrap()
                    .replace("\r\n", "\n");
                for source in [1, 2, 3, 64] {
                    for buffer in [1, 2, 5, 64] {
                        let mut reader = CrlfToLf::new(Chunks(&text, source));
                        let mut got = Vec::new();
                        let mut buf = vec![0; buffer];
                        loop {
                            let n = reader.read(&mut buf).unwrap();
                            if n == 0 {
                                break;
                            }
                            got.extend_from_slice(&buf[..n]);
                        }
                        assert_eq!(got, expected.as_bytes(), "{text:?} {source} {buffer}");
                    }
                }
            }
        }
    }

    #[test]
    fn counts() {
        assert_eq!(count("votes", "0"), Ok(0));
        assert_eq!(count("votes", "9007199254740992"), Ok(MAX_COUNT));
        assert!(
            count("votes", "9007199254740993")
                .unwrap_err()
                .contains("2^53")
        );
        assert!(count("votes", "-1").unwrap_err().contains("negative"));
        assert!(count("votes", "1.5").unwrap_err().contains("whole number"));
        assert!(count("votes", "").unwrap_err().contains("whole number"));
        assert_eq!(optional_count("rejected", ""), Ok(None));
    }
}
