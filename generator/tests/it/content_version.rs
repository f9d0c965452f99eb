//! The site and the Lambda binaries carry the same content version: the
//! generator writes `/version.json` from content/, the functions compute it
//! from what they embedded at compile time (`X-Content-Version`), and
//! scripts/deploy.sh compares the two on the deployed site.

use generator::build::{Options, build, content_version};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn the_site_and_the_functions_carry_the_same_content_version() {
    let root = workspace();
    let version = content_version(&root).unwrap();
    assert_eq!(version, ccg_functions::embedded::content_version(), "the functions embedded other content than content/ holds");
    assert_eq!(version.len(), 16);
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()));

    let out = std::env::temp_dir().join(format!("ccg-gen-{}-version", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let opts =
        Options { root, out: out.clone(), drafts: false, now: "2026-06-01T00:00:00Z".parse().unwrap(), base_url: None, contact_email: None, write: true };
    build(&opts).unwrap();
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("version.json")).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(written, serde_json::json!({ "content": version }));
}

#[test]
fn any_change_to_an_event_changes_the_version() {
    let root = std::env::temp_dir().join(format!("ccg-gen-{}-version-change", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let content = root.join("content");
    std::fs::create_dir_all(content.join("events/2027")).unwrap();
    std::fs::create_dir_all(content.join("data")).unwrap();
    for f in ["config.yaml", "data/scc-projects.yaml", "data/travel-support.yaml"] {
        std::fs::copy(workspace().join("content").join(f), content.join(f)).unwrap();
    }
    std::fs::write(content.join("events/2027/a.md"), "---\nid: a\n---\n").unwrap();
    let before = content_version(&root).unwrap();
    std::fs::write(content.join("events/2027/a.md"), "---\nid: b\n---\n").unwrap();
    let after = content_version(&root).unwrap();
    // Pages are the site's alone: they do not count.
    std::fs::create_dir_all(content.join("pages")).unwrap();
    std::fs::write(content.join("pages/index.md"), "---\ntitle: x\n---\n").unwrap();
    let with_page = content_version(&root).unwrap();
    let _ = std::fs::remove_dir_all(&root);
    assert_ne!(before, after);
    assert_eq!(after, with_page);
}
