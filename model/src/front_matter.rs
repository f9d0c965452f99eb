//! Splits a markdown file into its YAML front matter and its body.

use crate::error::ContentError;
use std::path::Path;

/// A content file cut in two; line numbers are 1-based lines of the file.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub yaml: &'a str,
    /// Line of the file where `yaml` starts.
    pub yaml_line: usize,
    pub body: &'a str,
    /// Line of the file where `body` starts.
    pub body_line: usize,
}

/// Front matter is the block between a first line `---` and the next line `---`.
pub fn split<'a>(file: &Path, text: &'a str) -> Result<Document<'a>, ContentError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != "---" {
        return Err(ContentError::new(file, 1, 1, "missing front matter: the file must start with a line `---`"));
    }
    let yaml_start = first_end;
    let mut pos = yaml_start;
    let mut line = 2;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        if text[pos..end].trim_end() == "---" {
            return Ok(Document { yaml: &text[yaml_start..pos], yaml_line: 2, body: &text[end..], body_line: line + 1 });
        }
        pos = end;
        line += 1;
    }
    Err(ContentError::new(file, 1, 1, "front matter is not closed: add a line `---` after it"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let d = split(Path::new("a.md"), "---\ntitle: x\nid: y\n---\n# Hi\n").unwrap();
        assert_eq!(d.yaml, "title: x\nid: y\n");
        assert_eq!(d.yaml_line, 2);
        assert_eq!(d.body, "# Hi\n");
        assert_eq!(d.body_line, 5);
    }

    #[test]
    fn crlf_and_bom() {
        let d = split(Path::new("a.md"), "\u{feff}---\r\ntitle: x\r\n---\r\nbody").unwrap();
        assert_eq!(d.yaml, "title: x\r\n");
        assert_eq!(d.body, "body");
    }

    #[test]
    fn unclosed_and_missing() {
        assert!(split(Path::new("a.md"), "---\ntitle: x\n").unwrap_err().message.contains("not closed"));
        assert_eq!(split(Path::new("a.md"), "# no").unwrap_err().line, 1);
    }
}
