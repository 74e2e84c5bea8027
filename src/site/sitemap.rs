//! `robots.txt`, and `sitemap.xml` when the site knows its address
//! (`base_url`): a sitemap index over files of at most 50,000 pages each,
//! the limit search engines read.

use crate::model::Meta;

/// Most URLs in one sitemap file.
pub const PER_FILE: usize = 50_000;

use crate::format::xml as xml_escape;

/// The files: (path, bytes). `pages` are site-relative paths of the HTML pages.
pub fn files(meta: &Meta, pages: &[String]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(base) = &meta.base_url else {
        out.push((
            "robots.txt".to_string(),
            b"User-agent: *\nAllow: /\n".to_vec(),
        ));
        return out;
    };
    let base = xml_escape(base);
    out.push((
        "robots.txt".to_string(),
        format!("User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n").into_bytes(),
    ));
    let url = |p: &str| {
        // index.html is the folder's address.
        let p = p.strip_suffix("index.html").unwrap_or(p);
        format!("<url><loc>{base}/{}</loc></url>\n", xml_escape(p))
    };
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    let ns = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";
    if pages.len() <= PER_FILE {
        let mut s = format!("{head}<urlset {ns}>\n");
        pages.iter().for_each(|p| s.push_str(&url(p)));
        s.push_str("</urlset>\n");
        out.push(("sitemap.xml".to_string(), s.into_bytes()));
        return out;
    }
    let mut index = format!("{head}<sitemapindex {ns}>\n");
    for (i, chunk) in pages.chunks(PER_FILE).enumerate() {
        let name = format!("sitemaps/{}.xml", i + 1);
        index.push_str(&format!("<sitemap><loc>{base}/{name}</loc></sitemap>\n"));
        let mut s = format!("{head}<urlset {ns}>\n");
        chunk.iter().for_each(|p| s.push_str(&url(p)));
        s.push_str("</urlset>\n");
        out.push((name, s.into_bytes()));
    }
    index.push_str("</sitemapindex>\n");
    out.push(("sitemap.xml".to_string(), index.into_bytes()));
    out
}
