//! What pages the site has and what is on them. Rendering is pure: a page
//! in, bytes out, so pages render in parallel and in any order.

pub mod basis;
pub mod chart;
pub mod fingerprint;
pub mod locale;
pub mod map;
pub mod markdown;
mod pages;
pub mod search;
pub mod sitemap;

use std::collections::BTreeMap;

use crate::check::{CHECKS, Finding};
use crate::model::{Election, FormIx};
use crate::paths;
use crate::tally::Tally;
pub use locale::Strings;

/// The style sheet, published under a name carrying its hash.
pub const STYLE: &str = include_str!("../../static/style.css");
/// The favicon.
pub const FAVICON: &str = include_str!("../../static/favicon.svg");
/// The search script.
pub const SEARCH: &str = include_str!("../../static/search.js");
/// The script that checks scans in the reader's browser.
pub const SCANCHECK: &str = include_str!("../../static/scancheck.js");
/// SHA-256 in JavaScript, loaded by the scan check only where the browser
/// has no `crypto.subtle`.
pub const SHA256_JS: &str = include_str!("../../static/sha256.js");

/// A script of kura's own without its comment lines and indentation: the
/// scripts it is used on have no string or expression over two lines, so
/// this changes nothing but their size.
fn minify_js(js: &str) -> String {
    js.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// One page to render: a kind of page (an index into [`PAGE_KINDS`]) and
/// the item it is about (an area, a version, a Markdown page…).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Job {
    kind: usize,
    item: usize,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} page {}", PAGE_KINDS[self.kind].name, self.item)
    }
}

/// A kind of page: the items a site has one for, and how one is made.
pub struct PageKind {
    pub name: &'static str,
    items: fn(&Site<'_>) -> Vec<usize>,
    make: for<'a> fn(&'a Site<'_>, usize, &[u8]) -> Result<Page<'a>, askama::Error>,
    /// For a page made from one area's data alone (the item is the area):
    /// its path, known without making its view ([`basis`]).
    path: Option<fn(&Site<'_>, usize) -> String>,
}

/// Every kind of page. Adding one is a line here and a module under
/// `pages/`: station, area and findings pages are made from views that
/// fingerprint themselves; the rest are rendered whole every time.
pub const PAGE_KINDS: &[PageKind] = &[
    PageKind {
        name: "station",
        items: |s| areas(s, true),
        make: |s, a, global| Ok(pages::station(s, a, global)),
        path: Some(|s, a| s.page(&paths::area(s.el, a))),
    },
    PageKind {
        name: "area",
        items: |s| areas(s, false),
        make: |s, a, global| Ok(pages::area(s, a, global)),
        path: Some(|s, a| s.page(&paths::area(s.el, a))),
    },
    PageKind {
        name: "findings",
        items: |s| areas(s, false),
        make: |s, a, global| Ok(pages::findings(s, a, global)),
        path: Some(|s, a| s.page(&paths::findings(s.el, a))),
    },
    PageKind {
        name: "markdown",
        items: |s| (0..s.el.pages.len()).collect(),
        make: |s, p, _| ready(pages::markdown(s, p)?),
        path: None,
    },
    PageKind {
        name: "changes",
        items: |s| (0..s.versions.history.len()).collect(),
        make: |s, v, _| ready(pages::changes(s, v)?),
        path: None,
    },
    PageKind {
        name: "changes index",
        items: |_| vec![0],
        make: |s, _, _| ready(pages::changes_index(s)?),
        path: None,
    },
    PageKind {
        name: "A-Z",
        items: |s| {
            let root = &s.el.areas[s.el.root()];
            root.children
                .iter()
                .copied()
                .filter(|&c| !s.el.areas[c].is_station())
                .collect()
        },
        make: |s, a, _| ready(pages::az(s, a)?),
        path: None,
    },
    PageKind {
        name: "A-Z index",
        items: |_| vec![0],
        make: |s, _, _| ready(pages::az_index(s)?),
        path: None,
    },
    PageKind {
        name: "data index",
        items: |_| vec![0],
        make: |s, _, _| ready(pages::data_index(s)?),
        path: None,
    },
    PageKind {
        name: "feed",
        items: first_language,
        make: |s, _, _| ready(pages::feed(s)?),
        path: None,
    },
    PageKind {
        name: "not found",
        items: first_language,
        make: |s, _, _| ready(pages::not_found(s)?),
        path: None,
    },
];

/// The areas that are (or are not) polling stations.
fn areas(s: &Site<'_>, stations: bool) -> Vec<usize> {
    (0..s.el.areas.len())
        .filter(|&a| s.el.areas[a].is_station() == stations)
        .collect()
}

/// One page, made by the first language only (the feed, the 404 page).
fn first_language(s: &Site<'_>) -> Vec<usize> {
    if s.is_first_language() {
        vec![0]
    } else {
        Vec::new()
    }
}

fn ready<'a>((path, bytes): (String, Vec<u8>)) -> Result<Page<'a>, askama::Error> {
    Ok(Page::ready(path, bytes))
}

/// This version's place in the chain of versions.
#[derive(Clone, Copy)]
pub struct Versions<'a> {
    /// Every earlier version, oldest first.
    pub chain: &'a [crate::publish::manifest::Version],
    /// What changed in each version that has a version before it (this one included).
    pub history: &'a [crate::diff::VersionChanges],
    /// This version's number (1 for the first).
    pub seq: usize,
    pub published: &'a str,
}

/// A change of a station or of one of its forms in some version, for the
/// station's history.
pub struct HistoryItem {
    /// Index into `Versions::history`.
    pub version: usize,
    pub change: HistoryChange,
    /// The form's id, or the station's code for a change of the station.
    pub form: String,
}

/// What a [`HistoryItem`] is: an index into that version's changes.
#[derive(Debug, Clone, Copy)]
pub enum HistoryChange {
    FormAdded,
    /// Into `forms.changed`.
    Form(usize),
    /// Into `areas.changed`: the station's name, parent or registered voters.
    Area(usize),
}

/// A static asset with a content-hashed file name.
pub struct Asset {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A link in the navigation or breadcrumb.
#[derive(Debug, Hash)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// The findings of each form, as indices into the findings: one list of
/// them grouped by form, and where each form's group starts (8 bytes a
/// finding, where a map of lists took about 90: six million findings at a
/// million stations).
#[derive(Debug, Default)]
pub struct ByForm {
    /// `start[f]..start[f + 1]` is form `f`'s part of `items`.
    start: Vec<u32>,
    items: Vec<u32>,
}

impl ByForm {
    /// Groups `findings` by form (a counting sort: each form's findings
    /// stay in the order of `findings`).
    fn new(forms: usize, findings: &[Finding]) -> ByForm {
        let mut start = vec![0u32; forms + 1];
        for f in findings {
            if let Some(form) = f.form() {
                start[form + 1] += 1;
            }
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut next = start.clone();
        let mut items = vec![0u32; start[forms] as usize];
        for (i, f) in findings.iter().enumerate() {
            if let Some(form) = f.form() {
                items[next[form] as usize] = i as u32;
                next[form] += 1;
            }
        }
        ByForm { start, items }
    }

    /// The findings of form `form`, as indices into the findings.
    pub fn get(&self, form: FormIx) -> &[u32] {
        match (self.start.get(form), self.start.get(form + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// Everything rendering needs, computed once.
pub struct Site<'a> {
    pub el: &'a Election,
    pub tally: &'a Tally,
    pub findings: &'a [Finding],
    pub t: Strings,
    pub lang: String,
    /// Where this language's pages are: "" for the first language, "sw/" for others.
    pub prefix: String,
    /// Every language of the site: (code, its own name, prefix).
    pub languages: Vec<(String, String, String)>,
    pub version: &'static str,
    pub css: String,
    pub favicon: String,
    pub js: String,
    /// The scan-checking script, on pages that show a scan.
    pub scan_js: String,
    pub sha256_js: String,
    /// Findings per form, as indices into `findings`.
    pub by_form: ByForm,
    /// Finding counts per check (CHECKS order) for each area's subtree.
    pub subtree_counts: Vec<Vec<u32>>,
    /// Findings listed on each area's findings page: at most
    /// `pages::FINDINGS_PER_CHECK` per check, as indices into `findings`.
    pub subtree_listed: Vec<Vec<u32>>,
    /// Colour of each candidate: its own or one from the palette.
    pub colors: Vec<String>,
    pub versions: Versions<'a>,
    /// Form changes of every version, by the code of the form's area.
    pub history_by_area: BTreeMap<&'a str, Vec<HistoryItem>>,
}

/// Colours for candidates without one: distinct, readable on white, and
/// told apart by the order of bars too, never by colour alone.
const PALETTE: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#ff7f0e",
];

impl<'a> Site<'a> {
    pub fn new(
        el: &'a Election,
        tally: &'a Tally,
        findings: &'a [Finding],
        lang: &str,
        versions: Versions<'a>,
    ) -> Result<Site<'a>, String> {
        let t = locale::strings(lang)?;
        let mut languages = Vec::new();
        for (i, code) in el.meta.languages.iter().enumerate() {
            let prefix = if i == 0 {
                String::new()
            } else {
                format!("{code}/")
            };
            languages.push((code.clone(), locale::strings(code)?.lang_name, prefix));
        }
        let prefix = languages
            .iter()
            .find(|(c, _, _)| c == lang)
            .map(|(_, _, p)| p.clone())
            .unwrap_or_default();
        let by_form = ByForm::new(el.forms.len(), findings);
        let mut subtree_counts = vec![Vec::new(); el.areas.len()];
        let mut subtree_listed: Vec<Vec<u32>> = vec![Vec::new(); el.areas.len()];
        for (i, f) in findings.iter().enumerate() {
            let rank = f.check as usize;
            for a in el.ancestors(f.area) {
                let counts: &mut Vec<u32> = &mut subtree_counts[a];
                if counts.is_empty() {
                    counts.resize(CHECKS.len(), 0);
                }
                counts[rank] += 1;
                if counts[rank] as usize <= pages::FINDINGS_PER_CHECK {
                    subtree_listed[a].push(i as u32);
                }
            }
        }
        let mut colors = Vec::with_capacity(el.candidates.len());
        for race in &el.races {
            for (pos, &c) in race.candidates.iter().enumerate() {
                let color = el.candidates[c]
                    .color
                    .clone()
                    .unwrap_or_else(|| PALETTE[pos % PALETTE.len()].to_string());
                colors.push((c, color));
            }
        }
        colors.sort();
        let colors = colors.into_iter().map(|(_, c)| c).collect();
        let mut history_by_area: BTreeMap<&'a str, Vec<HistoryItem>> = BTreeMap::new();
        for (v, doc) in versions.history.iter().enumerate() {
            for f in &doc.changes.forms.added {
                history_by_area
                    .entry(f.area.as_str())
                    .or_default()
                    .push(HistoryItem {
                        version: v,
                        change: HistoryChange::FormAdded,
                        form: f.form.clone(),
                    });
            }
            for (i, f) in doc.changes.forms.changed.iter().enumerate() {
                history_by_area
                    .entry(f.area.as_str())
                    .or_default()
                    .push(HistoryItem {
                        version: v,
                        change: HistoryChange::Form(i),
                        form: f.form.clone(),
                    });
            }
            for (i, a) in doc.changes.areas.changed.iter().enumerate() {
                history_by_area
                    .entry(a.id.as_str())
                    .or_default()
                    .push(HistoryItem {
                        version: v,
                        change: HistoryChange::Area(i),
                        form: a.id.clone(),
                    });
            }
        }
        Ok(Site {
            el,
            tally,
            findings,
            t,
            lang: lang.to_string(),
            prefix,
            languages,
            version: env!("CARGO_PKG_VERSION"),
            css: asset_name("assets/style", "css", minify_css(STYLE).as_bytes()),
            favicon: asset_name("assets/favicon", "svg", FAVICON.as_bytes()),
            js: asset_name("assets/search", "js", SEARCH.as_bytes()),
            scan_js: asset_name("assets/scancheck", "js", minify_js(SCANCHECK).as_bytes()),
            sha256_js: asset_name("assets/sha256", "js", minify_js(SHA256_JS).as_bytes()),
            by_form,
            subtree_counts,
            subtree_listed,
            colors,
            versions,
            history_by_area,
        })
    }

    /// The path of a page of this language: its base path under the prefix.
    pub fn page(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    /// From the page at `path`, the way to this language's home.
    pub fn home(&self, path: &str) -> String {
        format!("{}{}", paths::root_of(path), self.prefix)
    }

    /// The page at `path` in every language: (href, name, code, is this one).
    pub fn switch(&self, path: &str) -> Vec<(String, String, String, bool)> {
        let base = path.strip_prefix(&self.prefix).unwrap_or(path);
        let root = paths::root_of(path);
        self.languages
            .iter()
            .map(|(code, name, prefix)| {
                (
                    format!("{root}{prefix}{base}"),
                    name.clone(),
                    code.clone(),
                    *code == self.lang,
                )
            })
            .collect()
    }

    /// The first language builds what exists once per site (feed, 404).
    pub fn is_first_language(&self) -> bool {
        self.prefix.is_empty()
    }

    /// The static assets every language shares.
    pub fn assets(&self) -> Vec<Asset> {
        vec![
            Asset {
                path: self.css.clone(),
                bytes: minify_css(STYLE).into_bytes(),
            },
            Asset {
                path: self.favicon.clone(),
                bytes: FAVICON.as_bytes().to_vec(),
            },
            Asset {
                path: self.js.clone(),
                bytes: SEARCH.as_bytes().to_vec(),
            },
            Asset {
                path: self.scan_js.clone(),
                bytes: minify_js(SCANCHECK).into_bytes(),
            },
            Asset {
                path: self.sha256_js.clone(),
                bytes: minify_js(SHA256_JS).into_bytes(),
            },
        ]
    }

    /// Every page of the site, in a fixed order.
    pub fn jobs(&self) -> Vec<Job> {
        PAGE_KINDS
            .iter()
            .enumerate()
            .flat_map(|(kind, k)| {
                (k.items)(self)
                    .into_iter()
                    .map(move |item| Job { kind, item })
            })
            .collect()
    }

    /// One page, ready to render: its view made and fingerprinted (given
    /// the [`fingerprint::global`] one) for the pages that have one.
    pub fn prepare(&self, job: Job, global: &[u8]) -> Result<Page<'_>, askama::Error> {
        (PAGE_KINDS[job.kind].make)(self, job.item, global)
    }

    /// For a page made from one area's data alone: its path, and its basis
    /// ([`basis`]), made without its view. `global` is the language's
    /// [`fingerprint::global`].
    pub fn basis(
        &self,
        job: Job,
        global: &[u8],
        bases: &basis::Bases,
    ) -> Option<(String, crate::digest::Hash16)> {
        let kind = &PAGE_KINDS[job.kind];
        let path = (kind.path?)(self, job.item);
        // A station page lists its changes in every version.
        let history = match kind.name {
            "station" => pages::station_history(self, job.item, &path),
            _ => Vec::new(),
        };
        let basis = bases.of(job.item, &[global, kind.name.as_bytes()], history);
        Some((path, basis))
    }

    /// Renders one page: its path relative to the site root, and its bytes
    /// (its fingerprint is not wanted, so no site-wide one goes into it).
    pub fn render(&self, job: Job) -> Result<(String, Vec<u8>), askama::Error> {
        let page = self.prepare(job, &[])?;
        let path = page.path.clone();
        Ok((path, page.render()?))
    }
}

/// One page of the site: its path relative to the site root, the
/// fingerprint of its view (station, area and findings pages), and its
/// bytes or the view to render them from.
pub struct Page<'a> {
    pub path: String,
    pub fingerprint: Option<crate::digest::Hash16>,
    body: Body<'a>,
}

enum Body<'a> {
    Ready(Vec<u8>),
    Later(Box<dyn FnOnce() -> Result<String, askama::Error> + 'a>),
}

impl<'a> Page<'a> {
    /// A page already rendered (one that is always rendered).
    pub fn ready(path: String, bytes: Vec<u8>) -> Page<'a> {
        Page {
            path,
            fingerprint: None,
            body: Body::Ready(bytes),
        }
    }

    /// A page to render from `view`, fingerprinted by it: whatever the
    /// template receives is in the fingerprint.
    pub fn of_view<V>(path: String, view: V, global: &[u8]) -> Page<'a>
    where
        V: askama::Template + std::hash::Hash + 'a,
    {
        Page {
            path,
            fingerprint: Some(fingerprint::of(global, &view)),
            body: Body::Later(Box::new(move || view.render())),
        }
    }

    /// The page's bytes.
    pub fn render(self) -> Result<Vec<u8>, askama::Error> {
        match self.body {
            Body::Ready(bytes) => Ok(bytes),
            Body::Later(render) => render().map(String::into_bytes),
        }
    }
}

/// `prefix.<first 10 hex of sha256>.ext`: a name that changes with the content,
/// so the file can be cached for ever.
pub fn asset_name(prefix: &str, ext: &str, bytes: &[u8]) -> String {
    let hash = crate::digest::sha256_hex(bytes);
    format!("{prefix}.{}.{ext}", &hash[..10])
}

/// The style sheet without comments and runs of white space (the source in
/// `static/` stays readable).
pub fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    out.push_str(rest);
    let mut min = String::with_capacity(out.len());
    let mut space = false;
    for c in out.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space
            && !min.is_empty()
            && !"{};,>".contains(c)
            && !min.ends_with(['{', '}', ';', ',', '>'])
        {
            min.push(' ');
        }
        space = false;
        min.push(c);
    }
    min
}

#[cfg(test)]
mod tests {
    use super::ByForm;
    use crate::check::{CheckId, Finding, Part, Parts};

    #[test]
    fn findings_by_form_keep_their_order_and_skip_those_without_a_form() {
        let finding = |form: Option<usize>| {
            let parts = Parts::Many(Box::new([] as [Part; 0]));
            Finding::new(CheckId::NoScan, 0, 0, form, parts)
        };
        let findings: Vec<Finding> = [Some(2), None, Some(0), Some(2), Some(2), None, Some(0)]
            .into_iter()
            .map(finding)
            .collect();
        let by = ByForm::new(4, &findings);
        assert_eq!(by.get(0), &[2, 6]);
        assert_eq!(by.get(1), &[] as &[u32]);
        assert_eq!(by.get(2), &[0, 3, 4]);
        assert_eq!(by.get(3), &[] as &[u32]);
        assert_eq!(by.get(4), &[] as &[u32]);
        assert_eq!(ByForm::new(0, &[]).get(0), &[] as &[u32]);
    }
}
