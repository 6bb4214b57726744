//! Content bodies are Markdown written by managers and shown on kiosks: rendered
//! here to HTML that can carry nothing but text and plain formatting. Raw HTML in
//! the source is shown as text, links keep only their text (a kiosk navigates
//! nowhere), images only their description (no remote content).

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// The body `md` as safe HTML.
pub fn safe_html(md: &str) -> String {
    let events = Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES)
        .filter_map(|e| match e {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Link { .. } | Tag::Image { .. })
            | Event::End(TagEnd::Link | TagEnd::Image) => None,
            Event::FootnoteReference(_) => None,
            other => Some(other),
        });
    let mut out = String::with_capacity(md.len() + md.len() / 4);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::safe_html;

    #[test]
    fn formatting_stays_and_nothing_active_gets_through() {
        assert_eq!(
            safe_html("**Two** for one"),
            "<p><strong>Two</strong> for one</p>\n"
        );
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "![x](http://evil.example/p.png)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=//evil></iframe>",
            "<svg onload=alert(1)>",
        ] {
            let out = safe_html(evil);
            for bad in ["<script", "<img", "<a ", "<a>", "<iframe", "<svg"] {
                assert!(!out.contains(bad), "{evil:?} gave {out:?}");
            }
        }
        assert!(safe_html("[our hours](https://x)").contains("our hours"));
    }
}
