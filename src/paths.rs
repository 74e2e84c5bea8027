//! Where things are in a published site: every page's and data file's path
//! relative to the site root, in one place. Renderers, open data, the diff
//! and the build all take paths from here, so no two of them can disagree.

use crate::model::{AreaIx, Election};

/// The home page (the root area's page).
pub const HOME: &str = "index.html";
/// The page shown for an address that does not exist.
pub const NOT_FOUND: &str = "404.html";
/// The open-data page.
pub const DATA_INDEX: &str = "data/index.html";
/// The list of versions and what changed in each.
pub const CHANGES_INDEX: &str = "changes/index.html";
/// The A–Z index of areas.
pub const AZ_INDEX: &str = "az/index.html";

/// An area's page: the root area is the home page.
pub fn area(el: &Election, a: AreaIx) -> String {
    if el.areas[a].parent.is_none() {
        HOME.to_string()
    } else {
        format!("areas/{}.html", el.areas[a].code)
    }
}

/// An area's findings page.
pub fn findings(el: &Election, a: AreaIx) -> String {
    format!("findings/{}.html", el.areas[a].code)
}

/// The A–Z page listing an area's children.
pub fn az(el: &Election, a: AreaIx) -> String {
    format!("az/{}.html", el.areas[a].code)
}

/// A page written in Markdown in the input's `pages/` folder.
pub fn page(slug: &str) -> String {
    format!("pages/{slug}.html")
}

/// The page of what changed in version `seq` (1 is the first).
pub fn changes_page(seq: usize) -> String {
    format!("changes/{seq}.html")
}

/// Where version `seq`'s changes are kept as data.
pub fn changes_data(seq: usize) -> String {
    format!("data/changes/{seq}.json")
}

/// `../` once per folder in `path`: the way back to the site root.
pub fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}
