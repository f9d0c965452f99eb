//! A downloadable document (`content/documents/NAME.EXT`) and its sidecar
//! (`NAME.EXT.yaml`: title, date, language), as a page lists it:
//! "CCG Roadmap 2023 (PDF, 415.9 KB)".

use crate::error::ContentError;
use crate::yaml;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The sidecar's extension, after the document's own name.
pub const SIDECAR_EXT: &str = "yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    title: String,
    date: String,
    language: String,
}

/// What a page shows of one document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Document {
    /// File name, also its address under `/documents/`.
    pub name: String,
    pub url: String,
    pub title: String,
    /// 2023-03-01
    pub date: String,
    /// "1 March 2023"
    pub date_text: String,
    /// ISO 639-1 code, e.g. "en" (the link's `hreflang`).
    pub language: String,
    /// "PDF"
    pub type_label: &'static str,
    pub media_type: &'static str,
    pub bytes: u64,
    /// "415.9 KB"
    pub size_text: String,
}

/// (extension, label, media type) of the file types a page may offer.
const TYPES: [(&str, &str, &str); 9] = [
    ("pdf", "PDF", "application/pdf"),
    ("docx", "Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("pptx", "PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("odt", "ODT", "application/vnd.oasis.opendocument.text"),
    ("ods", "ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    ("csv", "CSV", "text/csv"),
    ("txt", "Text", "text/plain"),
    ("zip", "ZIP", "application/zip"),
];

/// "415.9 KB", as the official pages write sizes (1 KB = 1024 bytes).
pub fn size_text(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

/// File names become addresses: keep them boring.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
}

/// One document from its file name, its size and its sidecar's text.
/// Mistakes are reported at the sidecar (`sidecar`), with their line.
pub fn parse(name: &str, bytes: u64, sidecar: &Path, text: &str) -> Result<Document, Vec<ContentError>> {
    let meta: Sidecar = yaml::parse(sidecar, text, 1).map_err(|e| vec![e])?;
    let at = |key: &str| yaml::key_line(text, 1, key);
    let mut errors = Vec::new();
    if !is_valid_name(name) {
        errors.push(ContentError::new(
            sidecar,
            1,
            1,
            format!("document `{name}`: a file name must be lowercase letters, digits, dashes, dots and underscores (it becomes the address)"),
        ));
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let kind = TYPES.iter().find(|(e, _, _)| *e == ext);
    if kind.is_none() {
        let known: Vec<&str> = TYPES.iter().map(|t| t.0).collect();
        errors.push(ContentError::new(sidecar, 1, 1, format!("document `{name}`: `.{ext}` is not a type a page can offer; these are: {}", known.join(", "))));
    }
    if meta.title.trim().is_empty() {
        errors.push(ContentError::new(sidecar, at("title"), 1, "title is empty"));
    }
    let date = meta.date.trim().parse::<Date>();
    if date.is_err() {
        errors.push(ContentError::new(sidecar, at("date"), 1, format!("date `{}` is not a date like 2023-03-01", meta.date.trim())));
    }
    let language = meta.language.trim();
    if !(language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase())) {
        errors.push(ContentError::new(sidecar, at("language"), 1, format!("language `{language}` is not a two-letter code such as en")));
    }
    match (kind, date) {
        (Some((_, label, media)), Ok(d)) if errors.is_empty() => Ok(Document {
            name: name.to_string(),
            url: format!("/documents/{name}"),
            title: meta.title.trim().to_string(),
            date: d.to_string(),
            date_text: d.strftime("%-d %B %Y").to_string(),
            language: language.to_string(),
            type_label: label,
            media_type: media,
            bytes,
            size_text: size_text(bytes),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_the_official_page_writes_them() {
        assert_eq!(size_text(425_882), "415.9 KB");
        assert_eq!(size_text(900), "900 bytes");
        assert_eq!(size_text(3 * 1024 * 1024 + 1024 * 102), "3.1 MB");
    }

    #[test]
    fn a_sidecar_and_its_mistakes() {
        let s = Path::new("content/documents/roadmap.pdf.yaml");
        let d = parse("roadmap.pdf", 425_882, s, "title: CCG Roadmap 2023\ndate: 2023-03-01\nlanguage: en\n").unwrap();
        assert_eq!((d.type_label, d.size_text.as_str(), d.url.as_str(), d.date_text.as_str()), ("PDF", "415.9 KB", "/documents/roadmap.pdf", "1 March 2023"));
        let errs = parse("Road Map.exe", 1, s, "title: x\ndate: March 2023\nlanguage: English\n").unwrap_err();
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 1, 2, 3], "{errs:?}");
        let errs = parse("a.pdf", 1, s, "title: x\ndate: 2023-03-01\nlang: en\n").unwrap_err();
        assert_eq!(errs[0].line, 3, "{errs:?}");
    }
}
