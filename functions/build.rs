//! Embeds the content the functions enforce (events, SCC cities, travel
//! rules, site config) into the binaries, so a deployed function carries
//! exactly the content it was built with. Generates `$OUT_DIR/content.rs`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-env-changed=CCG_CONTENT_DIR");
    let content = match std::env::var_os("CCG_CONTENT_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../content"),
    };
    let content = content.canonicalize().unwrap_or_else(|e| panic!("content folder {}: {e}", content.display()));
    let events_dir = content.join("events");
    println!("cargo::rerun-if-changed={}", events_dir.display());
    let mut events = Vec::new();
    collect(&events_dir, &mut events);
    events.sort();

    let mut out = String::from("/// (path relative to content/, text) of every event file.\npub const EVENTS: &[(&str, &str)] = &[\n");
    for path in &events {
        println!("cargo::rerun-if-changed={}", path.display());
        let rel = path.strip_prefix(&content).unwrap().to_string_lossy().replace('\\', "/");
        writeln!(out, "    ({rel:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    for (name, rel) in [("PROJECTS", "data/scc-projects.yaml"), ("RULES", "data/travel-support.yaml"), ("CONFIG", "config.yaml")] {
        let p = content.join(rel);
        println!("cargo::rerun-if-changed={}", p.display());
        writeln!(out, "pub const {name}: (&str, &str) = ({rel:?}, include_str!({:?}));", p.display().to_string()).unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("content.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            println!("cargo::rerun-if-changed={}", p.display());
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") && !e.file_name().to_string_lossy().starts_with('.') {
            // Hidden files are skipped, as the generator does: both hash the
            // same files into the content version (ccg_model::version).
            out.push(p);
        }
    }
}
