//! Pages: their front matter, their address, and the site's menu. Shared by
//! the generator (which renders the pages) and the form functions (which
//! answer inside the same frame and need the same menu).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Front matter of a page (see CONTRACT.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    #[serde(default = "default_template")]
    pub template: String,
    #[serde(default)]
    pub menu: Option<i32>,
    #[serde(default)]
    pub menu_title: Option<String>,
    #[serde(default)]
    pub draft: bool,
    /// Pages that only make sense after an action (a thank-you page): kept out
    /// of the sitemap and marked `noindex`.
    #[serde(default)]
    pub noindex: bool,
}

fn default_template() -> String {
    "page.html".into()
}

/// Maps `pages/a/b.md` to (`/a/b/`, `a/b/index.html`).
pub fn page_url(rel_to_pages: &Path) -> Result<(String, String), String> {
    let mut segments: Vec<String> = Vec::new();
    for c in rel_to_pages.with_extension("").components() {
        let s = c.as_os_str().to_string_lossy().into_owned();
        let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok && s != "404" {
            return Err(format!("the file name `{s}` becomes part of a web address: use lowercase letters, digits and dashes"));
        }
        segments.push(s);
    }
    if segments.last().is_some_and(|s| s == "index") {
        segments.pop();
    }
    if segments.len() == 1 && segments[0] == "404" {
        return Ok(("/404.html".into(), "404.html".into()));
    }
    if segments.is_empty() {
        return Ok(("/".into(), "index.html".into()));
    }
    let path = segments.join("/");
    Ok((format!("/{path}/"), format!("{path}/index.html")))
}

/// One entry of the main menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavItem {
    pub url: String,
    pub title: String,
}

/// The main menu: pages with a `menu` position, in that order (then by address).
pub fn nav<'a>(pages: impl IntoIterator<Item = (&'a str, &'a PageMeta)>) -> Vec<NavItem> {
    let mut items: Vec<(i32, &str, &str)> =
        pages.into_iter().filter_map(|(url, m)| Some((m.menu?, url, m.menu_title.as_deref().unwrap_or(&m.title)))).collect();
    items.sort();
    items.into_iter().map(|(_, url, title)| NavItem { url: url.to_string(), title: title.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let u = |p: &str| page_url(Path::new(p)).unwrap();
        assert_eq!(u("index.md"), ("/".to_string(), "index.html".to_string()));
        assert_eq!(u("how-it-works.md"), ("/how-it-works/".to_string(), "how-it-works/index.html".to_string()));
        assert_eq!(u("join/thanks.md"), ("/join/thanks/".to_string(), "join/thanks/index.html".to_string()));
        assert_eq!(u("join/index.md"), ("/join/".to_string(), "join/index.html".to_string()));
        assert_eq!(u("404.md"), ("/404.html".to_string(), "404.html".to_string()));
        assert!(page_url(Path::new("About Us.md")).is_err());
    }

    #[test]
    fn the_menu_follows_the_positions() {
        let meta = |menu: Option<i32>, t: &str| PageMeta {
            title: t.into(),
            description: String::new(),
            template: default_template(),
            menu,
            menu_title: None,
            draft: false,
            noindex: false,
        };
        let (a, b, c) = (meta(Some(2), "B"), meta(None, "Hidden"), meta(Some(1), "A"));
        let n = nav([("/b/", &a), ("/x/", &b), ("/a/", &c)]);
        assert_eq!(n.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    }
}
