//! Every polling station A to Z: the way to a station without JavaScript.

use askama::Template;

use super::{Layout, layout};
use crate::model::AreaIx;
use crate::paths::{self};
use crate::site::Site;

pub struct LetterGroup {
    pub id: String,
    pub letter: String,
    pub items: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "az.html")]
struct AzPage<'a> {
    l: Layout<'a>,
    name: &'a str,
    groups: Vec<LetterGroup>,
}

/// Every polling station under a top-level area, A to Z: the way to a
/// station without JavaScript.
pub fn az(site: &Site<'_>, a: AreaIx) -> Result<(String, Vec<u8>), askama::Error> {
    let el = site.el;
    let path = site.page(&paths::az(el, a));
    let home = site.home(&path);
    let mut stations: Vec<(String, AreaIx)> = el
        .stations_under(a)
        .into_iter()
        .map(|s| {
            (
                crate::site::search::normalize(&el.areas[s].name)
                    .trim()
                    .to_string(),
                s,
            )
        })
        .collect();
    stations.sort();
    let mut groups: Vec<LetterGroup> = Vec::new();
    for (key, s) in stations {
        let first = key.chars().next().filter(|c| c.is_ascii_alphabetic());
        let (id, letter) = match first {
            Some(c) => (format!("letter-{c}"), c.to_ascii_uppercase().to_string()),
            None => ("letter-other".to_string(), "#".to_string()),
        };
        if groups.last().is_none_or(|g| g.id != id) {
            groups.push(LetterGroup {
                id,
                letter,
                items: Vec::new(),
            });
        }
        let context: Vec<&str> = el
            .ancestors(s)
            .skip(1)
            .take_while(|&p| p != a)
            .map(|p| el.areas[p].name.as_str())
            .collect();
        if let Some(g) = groups.last_mut() {
            g.items.push((
                format!("{home}{}", paths::area(el, s)),
                el.areas[s].name.clone(),
                context.join(", "),
            ));
        }
    }
    // Stations whose names start with a digit or sign come first in "#".
    groups.sort_by_key(|g| g.id != "letter-other");
    let area = &el.areas[a];
    let title = format!("{}: {}", site.t.stations_az, area.name);
    let page = AzPage {
        l: layout(site, &path, title.clone(), title, Vec::new()),
        name: &area.name,
        groups,
    };
    Ok((path, page.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "az_index.html")]
struct AzIndexPage<'a> {
    l: Layout<'a>,
    areas: Vec<(String, String)>,
}

pub fn az_index(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let el = site.el;
    let path = site.page(paths::AZ_INDEX);
    let home = site.home(&path);
    let areas = el.areas[el.root()]
        .children
        .iter()
        .map(|&c| {
            let target = if el.areas[c].is_station() {
                paths::area(el, c)
            } else {
                paths::az(el, c)
            };
            (format!("{home}{target}"), el.areas[c].name.clone())
        })
        .collect();
    let title = site.t.stations_az.clone();
    let page = AzIndexPage {
        l: layout(site, &path, title.clone(), title, Vec::new()),
        areas,
    };
    Ok((path, page.render()?.into_bytes()))
}
