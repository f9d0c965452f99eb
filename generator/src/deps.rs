//! What a rendered page is made from, as fingerprints: the dependency record
//! behind the incremental build. A page's key combines its own source, the
//! templates it can reach (extends, include, import), and only the site-wide
//! values those templates name: editing one event changes the calendar's list
//! and the event's page, not every page that shows the menu.
//!
//! A new site-wide input (a new template global) is one entry in [`GLOBALS`]
//! and one `Globals::set` call where its value is made.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

/// Every name `jobs::global_context` gives the templates. A template that
/// mentions one (anywhere in its text, or in a template it reaches) depends on it.
pub const GLOBALS: &[&str] =
    &["site", "actions", "nav", "documents", "home_events", "upcoming_events", "rules", "payment", "projects", "join", "claim", "form"];

pub fn hash_of(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// Feeds serialised bytes straight into a hasher, without building the text.
struct HashWriter(DefaultHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fingerprint of what a template value is made from. (Not of the `tera::Value`
/// itself: its maps are hash maps, serialised in a different order each time.)
pub fn value_hash<T: serde::Serialize + ?Sized>(v: &T) -> u64 {
    let mut w = HashWriter(DefaultHasher::new());
    // Serialising a template value to JSON cannot fail: its maps have string keys.
    let _ = serde_json::to_writer(&mut w, v);
    w.0.finish()
}

/// Fingerprints of the site-wide values, by name.
#[derive(Default)]
pub struct Globals(HashMap<&'static str, u64>);

impl Globals {
    pub fn set<T: serde::Serialize + ?Sized>(&mut self, name: &'static str, v: &T) {
        debug_assert!(GLOBALS.contains(&name), "{name} is missing from deps::GLOBALS");
        self.0.insert(name, value_hash(v));
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when `name` occurs in `text` as a whole word.
fn mentions(text: &str, name: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices(name).any(|(at, _)| {
        let end = at + name.len();
        (at == 0 || !is_word(b[at - 1])) && (end >= b.len() || !is_word(b[end]))
    })
}

/// Names in quotes in a template that are other templates: what it extends,
/// includes or imports (and, harmlessly, any string that happens to match one).
fn referenced<'a>(text: &str, names: &'a [&'a str]) -> Vec<&'a str> {
    names.iter().copied().filter(|n| text.contains(&format!("\"{n}\"")) || text.contains(&format!("'{n}'"))).collect()
}

/// Per template: the fingerprint of every template it reaches, and the globals they mention.
pub struct Templates {
    reach: HashMap<String, (u64, Vec<&'static str>)>,
}

impl Templates {
    pub fn new(templates: &[(String, String)]) -> Templates {
        let names: Vec<&str> = templates.iter().map(|(n, _)| n.as_str()).collect();
        let source: HashMap<&str, &str> = templates.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
        let edges: HashMap<&str, Vec<&str>> = templates.iter().map(|(n, s)| (n.as_str(), referenced(s, &names))).collect();
        let mut reach = HashMap::new();
        for (name, _) in templates {
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            let mut todo = vec![name.as_str()];
            while let Some(t) = todo.pop() {
                if seen.insert(t) {
                    todo.extend(edges.get(t).into_iter().flatten().copied());
                }
            }
            let mut h = DefaultHasher::new();
            for t in &seen {
                (t, source[t]).hash(&mut h);
            }
            let uses = GLOBALS.iter().copied().filter(|g| seen.iter().any(|t| mentions(source[t], g))).collect();
            reach.insert(name.clone(), (h.finish(), uses));
        }
        Templates { reach }
    }

    /// Fingerprint of what `template` renders from besides the page's own data.
    pub fn key(&self, template: &str, globals: &Globals) -> u64 {
        let mut h = DefaultHasher::new();
        template.hash(&mut h);
        if let Some((sources, uses)) = self.reach.get(template) {
            sources.hash(&mut h);
            for g in uses {
                (g, globals.0.get(g)).hash(&mut h);
            }
        }
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: &str, s: &str) -> (String, String) {
        (n.to_string(), s.to_string())
    }

    #[test]
    fn a_template_depends_on_the_globals_it_reaches() {
        let ts = vec![
            t("base.html", "<nav>{% for i in nav %}{{ i }}{% endfor %}</nav>{% block main %}{% endblock main %}"),
            t("page.html", "{% extends \"base.html\" %}{% block main %}{{ content }}{% endblock main %}"),
            t("home.html", "{% extends \"base.html\" %}{% block main %}{% include \"partials/list.html\" %}{% endblock main %}"),
            t("partials/list.html", "{% for e in home_events %}{{ e.title }}{% endfor %}"),
        ];
        let tpl = Templates::new(&ts);
        let mut g = Globals::default();
        g.set("nav", "menu");
        g.set("home_events", "a");
        let (page, home) = (tpl.key("page.html", &g), tpl.key("home.html", &g));
        g.set("home_events", "b");
        assert_eq!(tpl.key("page.html", &g), page, "page.html does not list events");
        assert_ne!(tpl.key("home.html", &g), home, "home.html includes the list");
        g.set("nav", "other menu");
        assert_ne!(tpl.key("page.html", &g), page, "every page shows the menu");
    }

    #[test]
    fn whole_words_only() {
        assert!(mentions("{{ site.title }}", "site"));
        assert!(!mentions("{{ website }}", "site"));
        assert!(!mentions("{{ site_name }}", "site"));
    }
}
