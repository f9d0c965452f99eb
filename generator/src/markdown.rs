//! Markdown to HTML, collecting the site-internal links on the way so they can
//! be checked against the pages that exist (one parse for both).

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
use std::collections::{HashSet, VecDeque};

/// A root-relative link found in a markdown body: its target and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub offset: usize,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_HEADING_ATTRIBUTES
}

/// (line, column) in the file of a byte offset in a body that starts at
/// `first_line`. Only computed for the rare broken link.
pub fn position(body: &str, first_line: usize, offset: usize) -> (usize, usize) {
    let before = &body[..offset.min(body.len())];
    let line = first_line + before.bytes().filter(|&b| b == b'\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Only links that point inside this site (`/...`, not `//host/...`) are checked.
fn is_internal(href: &str) -> bool {
    href.starts_with('/') && !href.starts_with("//")
}

/// Root-relative `href="..."`/`src="..."` values in raw HTML written by an editor.
fn html_links(raw: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\"", "href='", "src='"] {
        let quote = attr.as_bytes()[attr.len() - 1] as char;
        let mut from = 0;
        while let Some(i) = raw[from..].find(attr) {
            let start = from + i + attr.len();
            let end = raw[start..].find(quote).map_or(raw.len(), |j| start + j);
            found.push((start, &raw[start..end]));
            from = end;
        }
    }
    found.sort_by_key(|f| f.0);
    found.into_iter()
}

/// `Heading Text!` -> `heading-text`
pub fn slugify(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            s.push(c);
        } else if (c == ' ' || c == '-' || c == '_') && !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "section".into() } else { s }
}

/// The parser's events, passed on to the HTML writer as they come, except a
/// heading without an id, held back until its text is known.
struct Stream<'a, 'l> {
    body: &'a str,
    it: pulldown_cmark::OffsetIter<'a, pulldown_cmark::DefaultBrokenLinkCallback>,
    held: VecDeque<Event<'a>>,
    used_ids: HashSet<String>,
    links: &'l mut Vec<Link>,
}

impl<'a> Stream<'a, '_> {
    fn pull(&mut self) -> Option<Event<'a>> {
        let (event, range) = self.it.next()?;
        match &event {
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) if is_internal(dest_url) => {
                self.links.push(Link { href: dest_url.to_string(), offset: range.start });
            }
            Event::Html(raw) | Event::InlineHtml(raw) if raw.contains("=") => {
                // `raw` is a verbatim piece of the body: find it to locate its links.
                let base = self.body[range.clone()].find(&**raw).map_or(range.start, |p| range.start + p);
                for (i, href) in html_links(raw) {
                    if is_internal(href) {
                        self.links.push(Link { href: href.to_string(), offset: base + i });
                    }
                }
            }
            Event::Start(Tag::Heading { id: Some(id), .. }) => {
                self.used_ids.insert(id.to_string());
            }
            _ => {}
        }
        Some(event)
    }
}

impl<'a> Iterator for Stream<'a, '_> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(e) = self.held.pop_front() {
            return Some(e);
        }
        let event = self.pull()?;
        if !matches!(event, Event::Start(Tag::Heading { id: None, .. })) {
            return Some(event);
        }
        self.held.push_back(event);
        while let Some(e) = self.pull() {
            let end = matches!(e, Event::End(TagEnd::Heading(_)));
            self.held.push_back(e);
            if end {
                break;
            }
        }
        let text: String = self
            .held
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(&**t),
                _ => None,
            })
            .collect();
        let base = slugify(&text);
        let mut id = base.clone();
        let mut n = 1;
        while self.used_ids.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.used_ids.insert(id.clone());
        if let Some(Event::Start(Tag::Heading { id: slot, .. })) = self.held.front_mut() {
            *slot = Some(CowStr::from(id));
        }
        self.held.pop_front()
    }
}

/// Renders `body` into `out`, appending every internal link to `links`.
/// Headings get `id`s so sections can be linked to.
pub fn render(body: &str, out: &mut String, links: &mut Vec<Link>) {
    let stream = Stream { body, it: Parser::new_ext(body, options()).into_offset_iter(), held: VecDeque::new(), used_ids: HashSet::new(), links };
    html::push_html(out, stream);
}

/// A `{{ name }}` at the start of `text`: (its length, the name). Names are
/// lowercase words joined by dots (`forms.confirm_link_hours`); anything else
/// between braces is left as it is written.
fn placeholder_at(text: &str) -> Option<(usize, &str)> {
    let inner = text.strip_prefix("{{")?;
    let close = inner.find("}}")?;
    let name = inner[..close].trim();
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    ok.then_some((close + 4, name))
}

/// Every `{{ name }}` in `text`, with its byte offset.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let at = from + i;
        match placeholder_at(&text[at..]) {
            Some((len, name)) => {
                found.push((at, name));
                from = at + len;
            }
            None => from = at + 2,
        }
    }
    found
}

/// Replaces each `{{ name }}` whose name is in `settings` with its value
/// (HTML the caller made safe: escaped text, or a link it built). Unknown names stay as
/// written; the caller reports them with their line.
pub fn fill(html: &mut String, settings: &[(&str, String)]) {
    if !html.contains("{{") {
        return;
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match placeholder_at(rest).and_then(|(len, name)| Some((len, &settings.iter().find(|(n, _)| *n == name)?.1))) {
            Some((len, value)) => {
                out.push_str(value);
                rest = &rest[len..];
            }
            None => {
                out.push_str("{{");
                rest = &rest[2..];
            }
        }
    }
    out.push_str(rest);
    *html = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_fill_placeholders() {
        let settings = [("forms.confirm_link_hours", "48".to_string())];
        let body = "Open it within {{ forms.confirm_link_hours }} hours ({{forms.confirm_link_hours}}).\n\n{{ nope }} and {{ Not A Name }} and `{{`\n";
        let mut html = String::new();
        render(body, &mut html, &mut Vec::new());
        fill(&mut html, &settings);
        assert!(html.contains("Open it within 48 hours (48)."), "{html}");
        assert!(html.contains("{{ nope }} and {{ Not A Name }}"), "{html}");
        let names: Vec<_> = placeholders(body).into_iter().map(|(at, n)| (position(body, 1, at), n)).collect();
        assert_eq!(names, [((1, 16), "forms.confirm_link_hours"), ((1, 54), "forms.confirm_link_hours"), ((3, 1), "nope")]);
    }

    #[test]
    fn renders_and_finds_links_with_their_lines() {
        let body = "Intro with [a link](/join/) and [out](https://example.org).\n\n## Who can apply\n\nSee [here](/nowhere#x \"t\").\n\n<p><a href=\"/raw/\">raw</a></p>\n";
        let mut html = String::new();
        let mut links = Vec::new();
        render(body, &mut html, &mut links);
        assert!(html.contains("<h2 id=\"who-can-apply\">Who can apply</h2>"), "{html}");
        assert!(html.contains("<a href=\"/join/\">a link</a>"));
        let found: Vec<_> = links
            .iter()
            .map(|l| {
                let (line, col) = position(body, 10, l.offset);
                (l.href.as_str(), line, col)
            })
            .collect();
        assert_eq!(found, [("/join/", 10, 12), ("/nowhere#x", 14, 5), ("/raw/", 16, 13)]);
    }

    #[test]
    fn heading_ids_are_unique() {
        let mut html = String::new();
        render("## Costs\n\n## Costs\n\n## Über uns {#about}\n\n## About\n", &mut html, &mut Vec::new());
        assert!(html.contains("id=\"costs\""));
        assert!(html.contains("id=\"costs-2\""));
        assert!(html.contains("id=\"about\""));
        assert!(html.contains("id=\"about-2\""), "{html}");
    }

    #[test]
    fn tables_and_footnotes() {
        let mut html = String::new();
        render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: Note.\n", &mut html, &mut Vec::new());
        assert!(html.contains("<table>"));
        assert!(html.contains("footnote"));
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Who can apply?"), "who-can-apply");
        assert_eq!(slugify("Costs & limits"), "costs-limits");
        assert_eq!(slugify("!!!"), "section");
    }
}
