//! YAML parsing that reports errors at their line in the content file.

use crate::error::ContentError;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses `yaml`, which starts at line `first_line` of `file`.
pub fn parse<T: DeserializeOwned>(file: &Path, yaml: &str, first_line: usize) -> Result<T, ContentError> {
    yaml_serde::from_str(yaml).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        // The location is already in the message; keep only the cause.
        let msg = e.to_string();
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        // Errors raised by our own value checks are located at the enclosing
        // mapping; move them to the line that holds the offending `value`.
        let line = refine_line(yaml, line, &msg).unwrap_or(line);
        ContentError::new(file, first_line + line - 1, column, msg)
    })
}

fn refine_line(yaml: &str, line: usize, msg: &str) -> Option<usize> {
    let start = msg.find('`')? + 1;
    let value = &msg[start..start + msg[start..].find('`')?];
    if value.is_empty() {
        return None;
    }
    yaml.lines().enumerate().skip(line - 1).find(|(_, l)| l.contains(value)).map(|(i, _)| i + 1)
}

/// Line (in the file) of a top-level `key:` of a YAML block, for errors found
/// after parsing (end before start, duplicate id, ...). Falls back to the
/// block's first line.
pub fn key_line(yaml: &str, first_line: usize, key: &str) -> usize {
    yaml.lines().position(|l| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with(':'))).map_or(first_line, |i| first_line + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct T {
        a: u32,
    }

    #[test]
    fn error_line_is_offset_into_the_file() {
        let e = parse::<T>(Path::new("f.md"), "\na: nope\n", 2).unwrap_err();
        assert_eq!((e.line, e.column), (3, 4));
        assert!(e.message.contains("invalid type"), "{}", e.message);
        assert!(!e.message.contains("at line"));
    }

    #[test]
    fn finds_keys() {
        assert_eq!(key_line("id: x\nend: y\n", 2, "end"), 3);
        assert_eq!(key_line("id: x\nendless: y\n", 2, "end"), 2);
    }
}
