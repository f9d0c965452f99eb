//! Which files under a content folder are content: one rule for every list
//! of them (the generator's load, the functions' embedded content, the
//! catalogue `serve` and `desk` read), so the site, the Lambdas and the
//! preview never disagree about which events exist.
//!
//! The rule: regular files with the extension asked for, in any folder
//! below; a name starting with `.` is hidden (an editor's backup or lock
//! file, a `.git` folder) and skipped with everything under it; symbolic
//! links are not followed. Sorted by path, so nothing depends on the order
//! the file system lists a folder in.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// Whether a file or folder of this name is left out of every list.
pub fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// Every content file under `dir` with the extension `ext` (`None`: any), sorted.
/// A folder that cannot be read lists nothing.
pub fn content_files(dir: &Path, ext: Option<&str>) -> Vec<PathBuf> {
    content_files_with_meta(dir, ext).into_iter().map(|(p, _)| p).collect()
}

/// [`content_files`] with each file's metadata, read from its folder's
/// listing (no lookup of the whole path per file: `serve` stats every
/// source file on every rebuild).
pub fn content_files_with_meta(dir: &Path, ext: Option<&str>) -> Vec<(PathBuf, Metadata)> {
    let mut out = Vec::new();
    walk(dir, ext, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(dir: &Path, ext: Option<&str>, out: &mut Vec<(PathBuf, Metadata)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if is_hidden(&entry.file_name()) {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, ext, out),
            Ok(t) if t.is_file() && ext.is_none_or(|x| path.extension().is_some_and(|e| e == x)) => {
                if let Ok(m) = entry.metadata() {
                    out.push((path, m));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_names_other_extensions_and_links_are_left_out() {
        let dir = std::env::temp_dir().join(format!("ccg-model-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for rel in ["b.md", "a/c.md", "a/.d.md", ".e/f.md", "g.txt", "h.md.swp"] {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("b.md"), dir.join("link.md")).unwrap();
        let rel = |ps: Vec<PathBuf>| ps.iter().map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().replace('\\', "/")).collect::<Vec<_>>();
        assert_eq!(rel(content_files(&dir, Some("md"))), ["a/c.md", "b.md"]);
        assert_eq!(rel(content_files(&dir, None)), ["a/c.md", "b.md", "g.txt", "h.md.swp"]);
        assert!(content_files(&dir.join("missing"), None).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
