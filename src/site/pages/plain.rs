//! Pages with little data of their own: Markdown pages from the input,
//! the open-data page and the page for an address that does not exist.

use askama::Template;

use super::{Layout, layout};
use crate::paths::{self};
use crate::site::Site;

#[derive(Template)]
#[template(path = "page.html")]
struct MarkdownPage<'a> {
    l: Layout<'a>,
    body: String,
}

pub fn markdown(site: &Site<'_>, p: usize) -> Result<(String, Vec<u8>), askama::Error> {
    let page = &site.el.pages[p];
    let path = site.page(&paths::page(&page.slug));
    let out = MarkdownPage {
        l: layout(
            site,
            &path,
            page.title.clone(),
            page.title.clone(),
            Vec::new(),
        ),
        body: crate::site::markdown::render(&page.markdown),
    };
    Ok((path, out.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "data.html")]
struct DataPage<'a> {
    l: Layout<'a>,
}

pub fn data_index(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let path = site.page(paths::DATA_INDEX);
    let title = site.t.about_data.clone();
    let page = DataPage {
        l: layout(site, &path, title.clone(), title, Vec::new()),
    };
    Ok((path, page.render()?.into_bytes()))
}

#[derive(Template)]
#[template(path = "404.html")]
struct NotFoundPage<'a> {
    l: Layout<'a>,
}

pub fn not_found(site: &Site<'_>) -> Result<(String, Vec<u8>), askama::Error> {
    let path = paths::NOT_FOUND.to_string();
    let title = site.t.not_found.clone();
    let mut l = layout(site, &path, title.clone(), title, Vec::new());
    // The 404 page exists once, in the first language.
    l.languages.clear();
    let page = NotFoundPage { l };
    Ok((path, page.render()?.into_bytes()))
}
