//! `kura diff`'s report for people: what changed, line by line.

use super::Changes;

fn short(s: &Option<String>) -> String {
    s.as_deref()
        .map(|v| v[..v.len().min(12)].to_string())
        .unwrap_or_else(|| "?".into())
}

/// Shows a value, `(none)` for empty.
fn shown(v: &str) -> &str {
    if v.is_empty() { "(none)" } else { v }
}

/// Text for a terminal, one line at a time: whatever a line shows from the
/// input is escaped ([`crate::term::clean`]), so a value cannot break the
/// line or send escape sequences.
struct Lines(String);

impl Lines {
    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> std::fmt::Result {
        let line = args.to_string();
        let body = line.strip_suffix('\n').unwrap_or(&line);
        self.0.push_str(&crate::term::clean(body));
        self.0.push('\n');
        Ok(())
    }
}

/// The diff as text for a terminal.
pub fn to_text(c: &Changes) -> String {
    let mut s = Lines(String::new());
    let _ = writeln!(
        s,
        "old version {} ({}) → new version {} ({})",
        short(&c.old.version),
        c.old.published.as_deref().unwrap_or("?"),
        short(&c.new.version),
        c.new.published.as_deref().unwrap_or("?")
    );
    if !c.forms.added.is_empty() {
        let _ = writeln!(s, "forms added ({}):", c.forms.added.len());
        for f in &c.forms.added {
            let _ = writeln!(s, "  + {} (area {}, race {})", f.form, f.area, f.race);
        }
    }
    if !c.forms.removed.is_empty() {
        let _ = writeln!(s, "forms removed ({}):", c.forms.removed.len());
        for f in &c.forms.removed {
            let _ = writeln!(s, "  - {} (area {}, race {})", f.form, f.area, f.race);
        }
    }
    if !c.forms.changed.is_empty() {
        let _ = writeln!(s, "forms changed ({}):", c.forms.changed.len());
        for f in &c.forms.changed {
            let _ = writeln!(s, "  ~ {} (area {}, race {})", f.form, f.area, f.race);
            for x in &f.changes {
                let _ = writeln!(
                    s,
                    "      {}: {} → {}",
                    x.field,
                    shown(&x.before),
                    shown(&x.after)
                );
            }
        }
    }
    for (what, r) in [
        ("areas", &c.areas),
        ("races", &c.races),
        ("candidates", &c.candidates),
    ] {
        if !r.added.is_empty() {
            let _ = writeln!(s, "{what} added ({}):", r.added.len());
            for id in &r.added {
                let _ = writeln!(s, "  + {id}");
            }
        }
        if !r.removed.is_empty() {
            let _ = writeln!(s, "{what} removed ({}):", r.removed.len());
            for id in &r.removed {
                let _ = writeln!(s, "  - {id}");
            }
        }
        if !r.changed.is_empty() {
            let _ = writeln!(s, "{what} changed ({}):", r.changed.len());
            for x in &r.changed {
                let _ = writeln!(s, "  ~ {}", x.id);
                for f in &x.changes {
                    let _ = writeln!(
                        s,
                        "      {}: {} → {}",
                        f.field,
                        shown(&f.before),
                        shown(&f.after)
                    );
                }
            }
        }
    }
    if !c.totals.is_empty() {
        let _ = writeln!(s, "totals changed ({}):", c.totals.len());
        for t in &c.totals {
            let _ = writeln!(
                s,
                "  {} {} {}: {} → {}",
                t.area, t.race, t.candidate, t.before, t.after
            );
        }
    }
    for (title, list, mark) in [
        ("findings appeared", &c.findings.appeared, '+'),
        ("findings resolved", &c.findings.resolved, '-'),
    ] {
        if !list.is_empty() {
            let _ = writeln!(s, "{title} ({}):", list.len());
            for f in list {
                let form = if f.form.is_empty() { "-" } else { &f.form };
                let _ = writeln!(
                    s,
                    "  {mark} {} {} {} {} {form}: {}",
                    f.severity, f.check, f.area, f.race, f.detail
                );
            }
        }
    }
    if let Some(files) = &c.files {
        let _ = writeln!(
            s,
            "files: {} added, {} removed, {} changed",
            files.added.len(),
            files.removed.len(),
            files.changed.len()
        );
    }
    if c.is_empty() {
        let _ = writeln!(s, "no differences");
    }
    s.0
}
