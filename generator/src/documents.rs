//! `content/documents/`: each file with its sidecar `NAME.EXT.yaml`. Both
//! must be there; the files are copied to `/documents/` and the list goes to
//! the templates (`documents`, see templates/partials/documents.html).

use crate::paths::{CONTENT, shown};
use ccg_model::ContentError;
use ccg_model::document::{self, Document, SIDECAR_EXT};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DIR: &str = "documents";

/// Reads the documents, adds each file to `statics` (output path, source)
/// and returns them newest first. A file without sidecar, a sidecar without
/// file and every mistake in a sidecar go to `errors`, with file and line.
pub fn load(root: &Path, statics: &mut Vec<(String, PathBuf)>, errors: &mut Vec<ContentError>) -> Vec<Document> {
    let dir = root.join(CONTENT).join(DIR);
    if !dir.is_dir() {
        return Vec::new();
    }
    // name -> (file, sidecar)
    let mut found: BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(d) => d,
        Err(e) => {
            errors.push(ContentError::new(shown(root, &Path::new(CONTENT).join(DIR)), 1, 1, format!("cannot read: {e}")));
            return Vec::new();
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = Path::new(CONTENT).join(DIR).join(&name);
        if !path.is_file() {
            errors.push(ContentError::new(shown(root, &rel), 1, 1, "documents/ holds files only, no folders"));
            continue;
        }
        match name.strip_suffix(&format!(".{SIDECAR_EXT}")) {
            Some(doc) => found.entry(doc.to_string()).or_default().1 = Some(rel),
            None => found.entry(name).or_default().0 = Some(rel),
        }
    }
    let mut docs = Vec::new();
    for (name, pair) in found {
        match pair {
            (Some(file), None) => errors.push(ContentError::new(
                shown(root, &file),
                1,
                1,
                format!("document without its sidecar: add `{name}.{SIDECAR_EXT}` with its title, date and language"),
            )),
            (None, Some(sidecar)) => {
                errors.push(ContentError::new(shown(root, &sidecar), 1, 1, format!("sidecar without its document: `{name}` is not in content/{DIR}/")))
            }
            (Some(file), Some(sidecar)) => {
                let shown_sidecar = shown(root, &sidecar);
                let read = std::fs::read_to_string(root.join(&sidecar)).and_then(|t| Ok((t, std::fs::metadata(root.join(&file))?.len())));
                match read {
                    Err(e) => errors.push(ContentError::new(shown_sidecar, 1, 1, format!("cannot read: {e}"))),
                    Ok((text, bytes)) => match document::parse(&name, bytes, &shown_sidecar, &text) {
                        Ok(d) => {
                            statics.push((format!("{DIR}/{name}"), root.join(&file)));
                            docs.push(d);
                        }
                        Err(es) => errors.extend(es),
                    },
                }
            }
            (None, None) => {}
        }
    }
    docs.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title)));
    docs
}
