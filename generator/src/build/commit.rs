//! Phase 5, write: the static files, then either every staged output moved
//! into place or, after any mistake, nothing (the site stays as it was).

use super::options::BuildError;
use crate::load::Content;
use crate::write::Writer;
use ccg_model::{ContentError, ContentErrors};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Copies the templates' static files and the documents into the output;
/// a stylesheet without its comments (they are for whoever edits it, and
/// every page's budget counts its CSS).
pub(super) fn statics(content: &Content, writer: &Writer, errors: &mut Vec<ContentError>) -> Result<(), BuildError> {
    for (rel, abs) in &content.statics {
        match std::fs::read(abs) {
            Ok(bytes) if rel.ends_with(".css") => match String::from_utf8(bytes) {
                Ok(text) => writer.put(rel, css_without_comments(&text).as_bytes())?,
                Err(_) => errors.push(ContentError::new(abs, 1, 1, "a stylesheet must be UTF-8")),
            },
            Ok(bytes) => writer.put(rel, &bytes)?,
            Err(e) => errors.push(ContentError::new(abs, 1, 1, format!("cannot read: {e}"))),
        }
    }
    Ok(())
}

/// CSS without its `/* … */` comments (none inside a quoted string is
/// touched), and without the lines they leave empty.
fn css_without_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) => {
                out.push(c);
                if c == '\\' {
                    out.extend(chars.next());
                } else if c == q {
                    quote = None;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '/') if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            (None, c) => out.push(c),
        }
    }
    out.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("{l}\n")).collect()
}

/// The build's mistakes, each once: one template mistake shows on every page that uses it.
pub(super) fn failed(errors: Vec<ContentError>) -> BuildError {
    let mut unique: BTreeMap<(PathBuf, usize, usize, String), ContentError> = BTreeMap::new();
    for e in errors {
        unique.entry((e.file.clone(), e.line, e.column, e.message.clone())).or_insert(e);
    }
    BuildError::Content(ContentErrors(unique.into_values().collect()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stylesheet_loses_its_comments_and_keeps_its_strings() {
        let css = "/* A heading. */\na{color:red} /* why */\nb::before{content:\"/* kept */\"}\n\n/* two\nlines */\ni{x:'a\\'/*'}\n";
        assert_eq!(super::css_without_comments(css), "a{color:red} \nb::before{content:\"/* kept */\"}\ni{x:'a\\'/*'}\n");
    }
}
