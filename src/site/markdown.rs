//! Markdown pages, rendered with pulldown-cmark. The options are set here
//! and nowhere else. Raw HTML is shown as text; links may not run script;
//! images from other hosts become plain links (pages load nothing from
//! another host).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// The extensions enabled, each reviewed for what markup it can make:
/// tables, footnotes and strikethrough make only their own elements, with
/// escaped text. Not enabled: heading attributes (`# T {onfocus=…}` makes
/// real attributes), math, definition lists, wiki links, metadata blocks.
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

/// A link target is allowed when it is relative, an anchor, or http(s)/mailto.
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        Some(colon) => {
            // A colon after a '/', '?' or '#' is not a scheme separator.
            if lower[..colon].contains(['/', '?', '#']) {
                return true;
            }
            lower.starts_with("http:")
                || lower.starts_with("https:")
                || lower.starts_with("mailto:")
        }
    }
}

fn is_remote(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//")
}

/// Renders Markdown to HTML that carries nothing from the input as markup.
pub fn render(markdown: &str) -> String {
    let mut image_depth = 0usize;
    let events = Parser::new_ext(markdown, options()).map(|ev| match ev {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest_url = if safe_url(&dest_url) {
                dest_url
            } else {
                CowStr::from("#")
            };
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            })
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            if is_remote(&dest_url) || !safe_url(&dest_url) {
                // Turn the image into a link to it, its alt text as the link text.
                image_depth += 1;
                let dest_url = if safe_url(&dest_url) {
                    dest_url
                } else {
                    CowStr::from("#")
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            } else {
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
        }
        // No id, class or attribute from the text, whatever the options.
        Event::Start(Tag::Heading { level, .. }) => Event::Start(Tag::Heading {
            level,
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        }),
        Event::End(pulldown_cmark::TagEnd::Image) if image_depth > 0 => {
            image_depth -= 1;
            Event::End(pulldown_cmark::TagEnd::Link)
        }
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_text() {
        let out = render("# T\n\n<script>alert(1)</script>\n\nA <b>bold</b> claim");
        assert!(!out.contains("<script>"));
        assert!(out.contains("&lt;script&gt;"));
        assert!(out.contains("&lt;b&gt;"));
    }

    #[test]
    fn heading_attributes_stay_text() {
        let out = render("# Title {#x .y onfocus=alert(1) style=color:red}\n\nBody");
        assert!(!out.contains("onfocus=\""), "{out}");
        assert!(!out.contains("style=\""), "{out}");
        assert!(!out.contains(" id=\""), "{out}");
        assert!(out.starts_with("<h1>"), "{out}");
    }

    #[test]
    fn tables_and_footnotes() {
        let out = render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1]\n\n[^1]: Note.");
        assert!(out.contains("<table>"));
        assert!(out.contains("footnote"));
    }

    #[test]
    fn script_links_and_remote_images_are_defused() {
        let out =
            render("[x](javascript:alert(1)) ![pic](https://example.org/a.png) [ok](about.html)");
        assert!(!out.contains("javascript:"));
        assert!(!out.contains("<img"));
        assert!(out.contains("href=\"https://example.org/a.png\""));
        assert!(out.contains("href=\"about.html\""));
    }
}
