//! The input schema in one place, as `opendata.rs` is the output's: each
//! CSV file of the input folder, the columns kura reads from it (in the
//! order a row's values are taken) and how many of them, from the first,
//! must be present. `docs/input.md` describes the same files in words.

/// One CSV file of the input folder.
pub struct Table {
    pub file: &'static str,
    /// The columns read, in the order `Row::get` takes them.
    pub columns: &'static [&'static str],
    /// How many of `columns`, from the first, a file must have.
    required: usize,
}

impl Table {
    /// The columns a file must have.
    pub fn required(&self) -> &'static [&'static str] {
        &self.columns[..self.required]
    }
}

/// The tree of areas, root first or in any order; `registered` only on
/// polling stations; `lat` and `lon` (WGS 84 degrees) optional, for the
/// dots of polling stations on maps.
pub const AREAS: Table = Table {
    file: "areas.csv",
    columns: &["code", "name", "parent", "registered", "lat", "lon"],
    required: 3,
};

pub const RACES: Table = Table {
    file: "races.csv",
    columns: &["id", "name", "area"],
    required: 3,
};

/// `color` is optional.
pub const CANDIDATES: Table = Table {
    file: "candidates.csv",
    columns: &["race", "id", "name", "party", "color"],
    required: 4,
};

/// One row per tally form; `device` and `captured_at` are optional.
pub const FORMS: Table = Table {
    file: "forms.csv",
    columns: &[
        "form",
        "area",
        "race",
        "scan",
        "sha256",
        "rejected",
        "total_valid",
        "status",
        "device",
        "captured_at",
    ],
    required: 8,
};

/// One row per candidate line of a form.
pub const RESULTS: Table = Table {
    file: "results.csv",
    columns: &["form", "candidate", "votes"],
    required: 3,
};

/// Every CSV file of the input, in the order they are read.
pub const ALL: [&Table; 5] = [&AREAS, &RACES, &CANDIDATES, &FORMS, &RESULTS];

#[cfg(test)]
mod tests {
    /// The guide to the input names every file and column kura reads.
    #[test]
    fn docs_name_every_column() {
        let doc = include_str!("../../docs/input.md");
        for t in super::ALL {
            assert!(doc.contains(t.file), "docs/input.md: no {}", t.file);
            for c in t.columns {
                assert!(
                    doc.contains(&format!("`{c}`")),
                    "docs/input.md: no `{c}` ({})",
                    t.file
                );
            }
        }
    }
}
