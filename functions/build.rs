//! Embeds the content the functions enforce (events, SCC cities, travel
//! rules, site config) into the binaries, so a deployed function carries
//! exactly the content it was built with; and the pages' front matter (for the
//! menu) and the templates the answers are rendered with, so an answer looks
//! like the site it was built with. Generates `$OUT_DIR/content.rs`.

use ccg_model::files::content_files;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-env-changed=CCG_CONTENT_DIR");
    let content = match std::env::var_os("CCG_CONTENT_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../content"),
    };
    let content = content.canonicalize().unwrap_or_else(|e| panic!("content folder {}: {e}", content.display()));
    let events_dir = content.join(ccg_model::catalogue::EVENTS_DIR);
    // A folder makes cargo look at everything under it: a new file reruns this too.
    println!("cargo::rerun-if-changed={}", events_dir.display());
    // The same list the generator and the catalogue read (ccg_model::files):
    // the site, the Lambdas and the preview agree on which events exist, and
    // hash the same files into the content version (ccg_model::version).
    let events = content_files(&events_dir, Some("md"));

    let mut out = String::from("/// (path relative to content/, text) of every event file.\npub const EVENTS: &[(&str, &str)] = &[\n");
    for path in &events {
        println!("cargo::rerun-if-changed={}", path.display());
        let rel = path.strip_prefix(&content).unwrap().to_string_lossy().replace('\\', "/");
        writeln!(out, "    ({rel:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    for (name, rel) in [("PROJECTS", ccg_model::catalogue::PROJECTS_FILE), ("RULES", ccg_model::catalogue::RULES_FILE), ("CONFIG", "config.yaml")] {
        let p = content.join(rel);
        println!("cargo::rerun-if-changed={}", p.display());
        writeln!(out, "pub const {name}: (&str, &str) = ({rel:?}, include_str!({:?}));", p.display().to_string()).unwrap();
    }
    let pages_dir = content.join("pages");
    println!("cargo::rerun-if-changed={}", pages_dir.display());
    let pages = content_files(&pages_dir, Some("md"));
    out.push_str("/// (path relative to content/pages/, text) of every page.\npub const PAGES: &[(&str, &str)] = &[\n");
    for path in &pages {
        println!("cargo::rerun-if-changed={}", path.display());
        let rel = path.strip_prefix(&pages_dir).unwrap().to_string_lossy().replace('\\', "/");
        writeln!(out, "    ({rel:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    // The answers' templates: the site's frame and the forms (see src/http/frame.rs).
    let templates = content.parent().unwrap().join("templates");
    let mut names: Vec<String> = ["base.html", "answer.html"].iter().map(|s| s.to_string()).collect();
    // The forms the answers show again, and the answers' own bodies.
    for folder in ["partials", "answers"] {
        let dir = templates.join(folder);
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut found =
            std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>()).unwrap_or_default();
        found.retain(|n| n.ends_with(".html"));
        found.sort();
        names.extend(found.into_iter().map(|n| format!("{folder}/{n}")));
    }
    out.push_str("/// (name relative to templates/, text) of the templates answers are rendered with.\npub const TEMPLATES: &[(&str, &str)] = &[\n");
    for name in &names {
        let p = templates.join(name);
        println!("cargo::rerun-if-changed={}", p.display());
        writeln!(out, "    ({name:?}, include_str!({:?})),", p.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("content.rs");
    std::fs::write(dest, out).unwrap();
}
