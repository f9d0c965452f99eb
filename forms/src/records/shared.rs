//! The members' repository: a document the secretariat shares with signed-in
//! members (an agenda, minutes, slides, a report). Its file is in the file
//! store under `shared/` (`SharedDocument::key`); this is what is known of it.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A shared document as recorded once its file was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDocument {
    /// `shd_` + random hex.
    pub id: String,
    pub title: String,
    /// The document's own date (a meeting's, a report's), not when it was added.
    pub date: Date,
    /// An ISO 639-1 code (`en`, `fr`); `language_name` says it in words.
    pub language: String,
    /// The event id of the meeting it belongs to, if any.
    pub meeting: Option<String>,
    pub kind: SharedKind,
    /// The name it is downloaded under (the secretariat's file name, made safe).
    pub file_name: String,
    /// What its bytes are, judged by its content.
    pub file_type: FileType,
    pub size: u64,
    /// Hex SHA-256 of the file: what a member can check the download against.
    pub sha256: String,
    pub added_at: Timestamp,
    pub added_by: String,
    /// Set when a new file replaced the first.
    pub replaced_at: Option<Timestamp>,
    pub replaced_by: Option<String>,
    /// 1 when added, raised by each replacement; part of the file's key.
    pub version: u64,
}

/// The key of a shared document's file at `version`: only keys under
/// `shared/` are shared files, and the name is never part of it.
pub fn shared_key(id: &str, version: u64, file_type: FileType) -> String {
    format!("{SHARED_PREFIX}{id}/{version}.{}", file_type.extension())
}

/// Where every shared file is.
pub const SHARED_PREFIX: &str = "shared/";

impl SharedDocument {
    pub fn key(&self) -> String {
        shared_key(&self.id, self.version, self.file_type)
    }

    /// Its place in the list, newest first: its date, then its id.
    pub fn rank(&self) -> String {
        format!("{}#{}", self.date, self.id)
    }
}

/// What a shared document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SharedKind {
    Agenda,
    Minutes,
    Slides,
    Report,
    Other,
}

impl SharedKind {
    pub const ALL: [SharedKind; 5] = [SharedKind::Agenda, SharedKind::Minutes, SharedKind::Slides, SharedKind::Report, SharedKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            SharedKind::Agenda => "agenda",
            SharedKind::Minutes => "minutes",
            SharedKind::Slides => "slides",
            SharedKind::Report => "report",
            SharedKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<SharedKind> {
        SharedKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a person reads: "Agenda".
    pub fn label(self) -> &'static str {
        match self {
            SharedKind::Agenda => "Agenda",
            SharedKind::Minutes => "Minutes",
            SharedKind::Slides => "Slides",
            SharedKind::Report => "Report",
            SharedKind::Other => "Other",
        }
    }
}

/// The types of file the repository takes, each recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Pdf,
    /// OpenDocument text (`.odt`).
    Odt,
    /// OpenDocument presentation (`.odp`).
    Odp,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
}

impl FileType {
    pub const ALL: [FileType; 4] = [FileType::Pdf, FileType::Odt, FileType::Odp, FileType::Ods];

    pub fn as_str(self) -> &'static str {
        self.extension()
    }

    pub fn parse(s: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Odt => "odt",
            FileType::Odp => "odp",
            FileType::Ods => "ods",
        }
    }

    /// The media type, and OpenDocument's `mimetype` entry.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Odp => "application/vnd.oasis.opendocument.presentation",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }

    /// What a person reads: "PDF", "OpenDocument text".
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Odt => "OpenDocument text",
            FileType::Odp => "OpenDocument presentation",
            FileType::Ods => "OpenDocument spreadsheet",
        }
    }
}

/// The languages a document may be in: ISO 639-1 code and English name (the
/// EU's official languages first, then others the group's cities use).
pub const LANGUAGES: [(&str, &str); 28] = [
    ("bg", "Bulgarian"),
    ("cs", "Czech"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("es", "Spanish"),
    ("et", "Estonian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("ga", "Irish"),
    ("hr", "Croatian"),
    ("hu", "Hungarian"),
    ("it", "Italian"),
    ("lt", "Lithuanian"),
    ("lv", "Latvian"),
    ("mt", "Maltese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("sk", "Slovak"),
    ("sl", "Slovenian"),
    ("sv", "Swedish"),
    ("is", "Icelandic"),
    ("no", "Norwegian"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
];

/// A language's name ("French" for `fr`); `None` for a code not in `LANGUAGES`.
pub fn language_name(code: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_file_key_is_under_shared_and_carries_no_name() {
        assert_eq!(shared_key("shd_1", 2, FileType::Pdf), "shared/shd_1/2.pdf");
        assert_eq!(language_name("fr"), Some("French"));
        assert_eq!(language_name("xx"), None);
        for k in SharedKind::ALL {
            assert_eq!(SharedKind::parse(k.as_str()), Some(k));
        }
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.as_str()), Some(t));
        }
    }
}
