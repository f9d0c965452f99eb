//! The content version: one short hash of the content files that both the
//! site and the form functions are built from (`config.yaml`, the data files,
//! every event file, drafts included). The generator writes it to
//! `/version.json`; the Lambda binaries compute it from the files they embed,
//! log it at start and send it as `X-Content-Version`; `scripts/deploy.sh`
//! checks that the deployed site and functions carry the same one.

use sha2::{Digest, Sha256};

/// The files, relative to `content/` with `/` separators, that the version covers.
pub fn covers(rel: &str) -> bool {
    rel == "config.yaml"
        || rel == crate::catalogue::PROJECTS_FILE
        || rel == crate::catalogue::RULES_FILE
        || (rel.starts_with(&format!("{}/", crate::catalogue::EVENTS_DIR)) && rel.ends_with(".md"))
}

/// 16 hex digits of SHA-256 over every (path, contents), in path order: the
/// same files give the same version whatever order they are handed in.
pub fn content_version<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
    files.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut h = Sha256::new();
    for (path, bytes) in files {
        h.update((path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_content_does() {
        let a = content_version([("config.yaml", &b"x"[..]), ("events/a.md", &b"y"[..])]);
        let b = content_version([("events/a.md", &b"y"[..]), ("config.yaml", &b"x"[..])]);
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        assert_ne!(a, content_version([("config.yaml", &b"x"[..]), ("events/a.md", &b"z"[..])]));
        // A file's bytes cannot move into its neighbour's name unnoticed.
        assert_ne!(content_version([("a", &b"bc"[..])]), content_version([("ab", &b"c"[..])]));
    }

    #[test]
    fn what_it_covers() {
        assert!(covers("config.yaml"));
        assert!(covers("data/travel-support.yaml"));
        assert!(covers("data/scc-projects.yaml"));
        assert!(covers("events/2027/x.md"));
        assert!(!covers("pages/index.md"));
        assert!(!covers("events/notes.txt"));
    }
}
