//! A test that keeps the library's modules in layers: no module names one
//! that names it back, directly or through others. A circle means two
//! modules that can only be understood (and changed) together; break one by
//! moving what both need into a module below them.

use std::collections::BTreeMap;
use std::path::Path;

/// The library's top-level modules (from lib.rs) and, for each, the others
/// its code (not its tests, not its comments) names as `crate::name`.
fn graph(src: &Path) -> BTreeMap<String, Vec<String>> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let this = module_path!().rsplit("::").next().unwrap();
    let modules: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("pub ").strip_prefix("mod ")?.strip_suffix(';').map(str::to_string))
        .filter(|m| m != this)
        .collect();
    let mut graph = BTreeMap::new();
    for m in &modules {
        let file = src.join(format!("{m}.rs"));
        let files = if file.is_file() { vec![file] } else { ccg_model::files::content_files(&src.join(m), Some("rs")) };
        let mut names = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                names.extend(named(line).into_iter().filter(|n| n != m && modules.contains(n)));
            }
        }
        names.sort();
        names.dedup();
        graph.insert(m.clone(), names);
    }
    graph
}

/// The first path segment after each `crate::` of a line, `crate::{a, b::c}` included.
fn named(line: &str) -> Vec<String> {
    let ident = |s: &str| s.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut out = Vec::new();
    for part in line.split("crate::").skip(1) {
        match part.strip_prefix('{') {
            Some(group) => out.extend(group.split(',').map(ident)),
            None => out.push(ident(part)),
        }
    }
    out
}

/// A circle through `from`, if there is one, as the modules along it.
fn circle(graph: &BTreeMap<String, Vec<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = std::collections::HashSet::new();
    while let Some(path) = stack.pop() {
        for next in &graph[path.last().unwrap()] {
            if next == from {
                return Some([path.clone(), vec![next.clone()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push([path.clone(), vec![next.clone()]].concat());
            }
        }
    }
    None
}

#[test]
fn no_module_names_one_that_names_it_back() {
    let graph = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 10 && graph["builder"] == ["build"], "the graph is read: {graph:?}");
    let circles: Vec<String> = graph.keys().filter_map(|m| circle(&graph, m)).map(|c| c.join(" -> ")).collect();
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}

#[test]
fn names_are_read_from_paths_and_groups() {
    assert_eq!(named("use crate::build::{self, Options};"), ["build"]);
    assert_eq!(named("use crate::{load, paths::shown};"), ["load", "paths"]);
    assert_eq!(named("let x = crate::ical::feed(crate::view::x);"), ["ical", "view"]);
}
