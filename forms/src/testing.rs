//! Helpers for the tests of this crate and the crates above it (feature `testing`).

use ccg_model::{Catalogue, Sources};
use std::path::{Path, PathBuf};

/// An event file for tests: physical, announced, in Lisbon.
pub fn event_md(id: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: Test {id}\nstart: {start}\nend: {end}\ntimezone: Europe/Lisbon\nformat: physical\nkind: co-creation\nlocation: {{city: Porto, country: PT}}\nannounced: 2020-01-01\n{extra}---\nBody\n"
    )
}

/// The fixture site's cities and rules (tests/fixture-site: the real ones as of issue 17), with the events given.
pub fn catalogue(events: &[String], rules: Option<&str>, drafts: bool) -> Catalogue {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixture-site/content");
    let read = |p: &str| (PathBuf::from(p), std::fs::read_to_string(content.join(p)).unwrap());
    let mut rules_src = read("data/travel-support.yaml");
    if let Some(r) = rules {
        rules_src.1 = r.to_string();
    }
    let src = Sources {
        events: events.iter().enumerate().map(|(i, t)| (PathBuf::from(format!("events/{i}.md")), t.clone())).collect(),
        projects: read("data/scc-projects.yaml"),
        rules: rules_src,
    };
    Catalogue::from_sources(&src, drafts).unwrap()
}
