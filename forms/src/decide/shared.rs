//! Whether the secretariat's file and its details become a document of the
//! members' repository: the details (title, date, language, meeting, kind)
//! checked all at once, the file's type judged by its first bytes (never its
//! name: `documents::sniff` for PDF, and OpenDocument's `mimetype` entry)
//! and its size within `members.documents.max_mb`.

use super::documents;
use crate::records::{DocumentKind, FileType, SharedKind, language_name};
use jiff::civil::Date;

/// How many first bytes `sniff` needs (OpenDocument's `mimetype` entry ends within them).
pub const SNIFF_BYTES: u64 = 128;

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;

/// The details as sent (a form's fields, the command's options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedFields<'a> {
    pub title: &'a str,
    /// `YYYY-MM-DD`.
    pub date: &'a str,
    pub language: &'a str,
    /// An event id, or empty for none.
    pub meeting: &'a str,
    pub kind: &'a str,
}

/// The details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedInput {
    pub title: String,
    pub date: Date,
    pub language: String,
    pub meeting: Option<String>,
    pub kind: SharedKind,
}

/// A field that is wrong, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedRefusal {
    /// Empty, longer than `TITLE_MAX`, or more than one line.
    Title,
    /// Not a date `YYYY-MM-DD`.
    Date,
    /// Not a code of `records::LANGUAGES`.
    Language,
    /// Not the id of a known event.
    Meeting,
    /// Not a `SharedKind`.
    Kind,
    /// No file, or an empty one.
    Missing,
    /// Larger than the setting allows.
    Size,
    /// Its first bytes are not those of a type the repository takes.
    WrongType,
}

impl SharedRefusal {
    /// The field it is about (`file` for the file's).
    pub fn field(self) -> &'static str {
        match self {
            SharedRefusal::Title => "title",
            SharedRefusal::Date => "date",
            SharedRefusal::Language => "language",
            SharedRefusal::Meeting => "meeting",
            SharedRefusal::Kind => "kind",
            SharedRefusal::Missing | SharedRefusal::Size | SharedRefusal::WrongType => "file",
        }
    }
}

/// Checks every detail at once: the input, or every refusal.
pub fn validate(f: &SharedFields<'_>, known_meeting: impl Fn(&str) -> bool) -> Result<SharedInput, Vec<SharedRefusal>> {
    let mut wrong = Vec::new();
    let title = f.title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX || title.chars().any(char::is_control) {
        wrong.push(SharedRefusal::Title);
    }
    let date = f.date.trim().parse::<Date>().ok().filter(|_| f.date.trim().len() == 10);
    if date.is_none() {
        wrong.push(SharedRefusal::Date);
    }
    let language = f.language.trim().to_ascii_lowercase();
    if language_name(&language).is_none() {
        wrong.push(SharedRefusal::Language);
    }
    let meeting = Some(f.meeting.trim()).filter(|m| !m.is_empty());
    if meeting.is_some_and(|m| !known_meeting(m)) {
        wrong.push(SharedRefusal::Meeting);
    }
    let kind = SharedKind::parse(f.kind.trim());
    if kind.is_none() {
        wrong.push(SharedRefusal::Kind);
    }
    match (date, kind) {
        (Some(date), Some(kind)) if wrong.is_empty() => {
            Ok(SharedInput { title: title.to_string(), date, language, meeting: meeting.map(str::to_string), kind })
        }
        _ => Err(wrong),
    }
}

/// The type the first bytes say: PDF (`documents::sniff`), or an
/// OpenDocument file (a ZIP whose first entry is `mimetype`, stored, naming it).
pub fn sniff(first: &[u8]) -> Option<FileType> {
    if documents::sniff(first) == Some(DocumentKind::Pdf) {
        return Some(FileType::Pdf);
    }
    if !first.starts_with(b"PK\x03\x04") || first.len() < 30 {
        return None;
    }
    let le = |i: usize| usize::from(first[i]) | usize::from(first[i + 1]) << 8;
    let (method, name_len, extra_len) = (le(8), le(26), le(28));
    if method != 0 || name_len != 8 || first.get(30..38) != Some(b"mimetype") {
        return None;
    }
    let content = first.get(38 + extra_len..)?;
    FileType::ALL.into_iter().filter(|t| *t != FileType::Pdf).find(|t| content.starts_with(t.mime().as_bytes()))
}

/// The file's type, or why it is refused (the caller deletes it).
pub fn check_file(size: Option<u64>, first: &[u8], max_bytes: u64) -> Result<FileType, SharedRefusal> {
    match size {
        None | Some(0) => Err(SharedRefusal::Missing),
        Some(n) if n > max_bytes => Err(SharedRefusal::Size),
        Some(_) => sniff(first).ok_or(SharedRefusal::WrongType),
    }
}

/// The name a download is offered under: the sent name's last part, with
/// only letters, digits, `-`, `_`, `.` and spaces kept (others become `_`),
/// at most 100 characters, ending in the type's extension.
pub fn file_name(sent: &str, t: FileType) -> String {
    let base = sent.rsplit(['/', '\\']).next().unwrap_or("");
    let ext = format!(".{}", t.extension());
    let stem = base.strip_suffix(ext.as_str()).or_else(|| base.strip_suffix(ext.to_uppercase().as_str())).unwrap_or(base);
    let clean: String = stem.chars().map(|c| if c.is_alphanumeric() || "-_. ".contains(c) { c } else { '_' }).take(100).collect();
    let clean = clean.trim_matches(['.', ' ']);
    format!("{}{ext}", if clean.is_empty() { "document" } else { clean })
}

/// A size in words: "820 KB", "1.2 MB" (decimal units).
pub fn size_words(bytes: u64) -> String {
    if bytes < 1_000 {
        format!("{bytes} bytes")
    } else if bytes < 1_000_000 {
        format!("{} KB", bytes.div_ceil(1_000))
    } else {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odf(mime: &str) -> Vec<u8> {
        let mut v = b"PK\x03\x04".to_vec();
        v.extend([20, 0, 0, 0, 0, 0]); // version, flags, method 0 (stored)
        v.extend([0; 16]); // time, date, crc, sizes
        v.extend([8, 0, 0, 0]); // name 8, extra 0
        v.extend(b"mimetype");
        v.extend(mime.as_bytes());
        v
    }

    #[test]
    fn the_type_is_judged_by_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7\n%"), Some(FileType::Pdf));
        assert_eq!(sniff(&odf("application/vnd.oasis.opendocument.presentation")), Some(FileType::Odp));
        assert_eq!(sniff(&odf("application/vnd.oasis.opendocument.text")), Some(FileType::Odt));
        assert_eq!(sniff(&odf("application/zip")), None);
        // A JPEG or PNG is a claim's document, not the repository's; a text renamed .pdf is nothing.
        for wrong in [&[0xFF, 0xD8, 0xFF, 0xE0][..], b"hello.pdf", b"", b"PK\x03\x04", b"<html>%PDF-"] {
            assert_eq!(sniff(wrong), None, "{wrong:?}");
        }
        assert_eq!(check_file(Some(10), b"%PDF-1.4", 10), Ok(FileType::Pdf));
        assert_eq!(check_file(Some(11), b"%PDF-1.4", 10), Err(SharedRefusal::Size));
        assert_eq!(check_file(Some(0), b"", 10), Err(SharedRefusal::Missing));
        assert_eq!(check_file(None, b"", 10), Err(SharedRefusal::Missing));
        assert_eq!(check_file(Some(5), b"plain", 10), Err(SharedRefusal::WrongType));
    }

    #[test]
    fn every_wrong_detail_is_named_at_once() {
        let known = |m: &str| m == "2027-03-porto";
        let ok = SharedFields { title: " Minutes of Porto ", date: "2027-03-16", language: "EN", meeting: "2027-03-porto", kind: "minutes" };
        let input = validate(&ok, known).unwrap();
        assert_eq!(input.title, "Minutes of Porto");
        assert_eq!(input.language, "en");
        assert_eq!(input.meeting.as_deref(), Some("2027-03-porto"));
        assert_eq!(validate(&SharedFields { meeting: "", ..ok.clone() }, known).unwrap().meeting, None);
        let long = "x".repeat(TITLE_MAX + 1);
        let bad = SharedFields { title: &long, date: "2027-3-16", language: "xx", meeting: "nowhere", kind: "poem" };
        use SharedRefusal::*;
        assert_eq!(validate(&bad, known), Err(vec![Title, Date, Language, Meeting, Kind]));
        assert_eq!(validate(&SharedFields { title: "a\nb", ..ok.clone() }, known), Err(vec![Title]));
        assert_eq!(validate(&SharedFields { title: "  ", ..ok }, known), Err(vec![Title]));
    }

    #[test]
    fn names_are_made_safe_and_sizes_said_in_words() {
        assert_eq!(file_name("C:\\x\\Minutes Porto.PDF", FileType::Pdf), "Minutes Porto.pdf");
        assert_eq!(file_name("../../etc/passwd", FileType::Pdf), "passwd.pdf");
        assert_eq!(file_name("a\"b;c.pdf", FileType::Pdf), "a_b_c.pdf");
        assert_eq!(file_name("", FileType::Odp), "document.odp");
        assert_eq!(size_words(900), "900 bytes");
        assert_eq!(size_words(820_000), "820 KB");
        assert_eq!(size_words(1_234_567), "1.2 MB");
    }
}
