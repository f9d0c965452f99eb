//! Phase 5, write: the static files, then either every staged output moved
//! into place or, after any mistake, nothing (the site stays as it was).

use super::options::BuildError;
use crate::load::Content;
use crate::write::Writer;
use ccg_model::{ContentError, ContentErrors};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Copies the templates' static files and the documents into the output.
pub(super) fn statics(content: &Content, writer: &Writer, errors: &mut Vec<ContentError>) -> Result<(), BuildError> {
    for (rel, abs) in &content.statics {
        match std::fs::read(abs) {
            Ok(bytes) => writer.put(rel, &bytes)?,
            Err(e) => errors.push(ContentError::new(abs, 1, 1, format!("cannot read: {e}"))),
        }
    }
    Ok(())
}

/// The build's mistakes, each once: one template mistake shows on every page that uses it.
pub(super) fn failed(errors: Vec<ContentError>) -> BuildError {
    let mut unique: BTreeMap<(PathBuf, usize, usize, String), ContentError> = BTreeMap::new();
    for e in errors {
        unique.entry((e.file.clone(), e.line, e.column, e.message.clone())).or_insert(e);
    }
    BuildError::Content(ContentErrors(unique.into_values().collect()))
}
