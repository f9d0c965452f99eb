//! Whether an uploaded file becomes a supporting document of a claim: its
//! type from its first bytes (never its name), its size and the claim's count
//! within the limits (`travel-support.yaml`, `documents`), and only while the
//! claim is on its way to payment (counted or approved).

use crate::records::{ClaimStatus, DocumentKind};
use ccg_model::DocumentLimits;

/// How many first bytes `sniff` needs.
pub const SNIFF_BYTES: u64 = 8;

/// Why a file is not recorded as a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentRefusal {
    /// The claim takes no documents (the form has no `documents` setting).
    NotTaken,
    /// Its first bytes are not those of a PDF, JPEG or PNG.
    WrongType,
    /// Empty, or larger than `max_bytes`.
    Size,
    /// The claim has `max_files` already.
    TooMany,
    /// The claim is paid, rejected or withdrawn: it takes no more documents.
    ClaimState(ClaimStatus),
    /// The file is not there (never uploaded, or already refused).
    Missing,
}

/// The type its first bytes say: `%PDF-`, JPEG's SOI marker, PNG's signature.
pub fn sniff(first: &[u8]) -> Option<DocumentKind> {
    if first.starts_with(b"%PDF-") {
        Some(DocumentKind::Pdf)
    } else if first.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(DocumentKind::Jpeg)
    } else if first.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(DocumentKind::Png)
    } else {
        None
    }
}

/// What the file store holds of an uploaded file: its size and first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded<'a> {
    pub size: u64,
    pub first: &'a [u8],
}

/// The document's type, or why the file is refused (the caller deletes it).
/// Checked before the claim is: a wrong file is refused whatever the claim.
pub fn check_file(file: Option<Uploaded<'_>>, limits: Option<DocumentLimits>) -> Result<(DocumentKind, u64), DocumentRefusal> {
    let limits = limits.ok_or(DocumentRefusal::NotTaken)?;
    let file = file.ok_or(DocumentRefusal::Missing)?;
    if file.size == 0 || file.size > limits.max_bytes {
        return Err(DocumentRefusal::Size);
    }
    let kind = sniff(file.first).ok_or(DocumentRefusal::WrongType)?;
    Ok((kind, file.size))
}

/// What recording a document on a claim does, decided on what the store read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// A new document: write it.
    New,
    /// The same document was recorded already (the button pressed twice): nothing to write.
    Already,
}

/// Whether a claim in `status` with `ids` recorded takes the document `id`.
pub fn admit(status: ClaimStatus, ids: &[String], id: &str, limits: Option<DocumentLimits>) -> Result<Admit, DocumentRefusal> {
    let limits = limits.ok_or(DocumentRefusal::NotTaken)?;
    if ids.iter().any(|d| d == id) {
        return Ok(Admit::Already);
    }
    if !matches!(status, ClaimStatus::Counted | ClaimStatus::Approved) {
        return Err(DocumentRefusal::ClaimState(status));
    }
    if ids.len() >= limits.max_files as usize {
        return Err(DocumentRefusal::TooMany);
    }
    Ok(Admit::New)
}

/// Whether the claim's page offers to add a document.
pub fn takes_more(status: ClaimStatus, count: usize, limits: Option<DocumentLimits>) -> bool {
    limits.is_some_and(|l| matches!(status, ClaimStatus::Counted | ClaimStatus::Approved) && count < l.max_files as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Option<DocumentLimits> = Some(DocumentLimits { max_files: 2, max_bytes: 100 });

    #[test]
    fn the_type_is_read_from_the_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(DocumentKind::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(DocumentKind::Jpeg));
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]), Some(DocumentKind::Png));
        for wrong in [&b"hello, a text file"[..], b"%PD", b"", b"GIF89a", b"<html>%PDF-"] {
            assert_eq!(sniff(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn a_file_is_refused_for_its_type_and_size() {
        let f = |size, first: &'static [u8]| Some(Uploaded { size, first });
        assert_eq!(check_file(f(50, b"%PDF-1.4"), L), Ok((DocumentKind::Pdf, 50)));
        assert_eq!(check_file(f(100, b"%PDF-1.4"), L), Ok((DocumentKind::Pdf, 100)));
        assert_eq!(check_file(f(101, b"%PDF-1.4"), L), Err(DocumentRefusal::Size));
        assert_eq!(check_file(f(0, b""), L), Err(DocumentRefusal::Size));
        assert_eq!(check_file(f(50, b"plain text"), L), Err(DocumentRefusal::WrongType));
        assert_eq!(check_file(None, L), Err(DocumentRefusal::Missing));
        assert_eq!(check_file(f(50, b"%PDF-1.4"), None), Err(DocumentRefusal::NotTaken));
    }

    #[test]
    fn a_claim_takes_documents_up_to_its_limit_while_on_its_way_to_payment() {
        let ids = |n: usize| (0..n).map(|i| format!("d{i}")).collect::<Vec<_>>();
        assert_eq!(admit(ClaimStatus::Counted, &ids(0), "new", L), Ok(Admit::New));
        assert_eq!(admit(ClaimStatus::Approved, &ids(1), "new", L), Ok(Admit::New));
        assert_eq!(admit(ClaimStatus::Counted, &ids(2), "new", L), Err(DocumentRefusal::TooMany));
        assert_eq!(admit(ClaimStatus::Counted, &ids(2), "d1", L), Ok(Admit::Already));
        for s in [ClaimStatus::Paid, ClaimStatus::Rejected, ClaimStatus::Withdrawn] {
            assert_eq!(admit(s, &ids(0), "new", L), Err(DocumentRefusal::ClaimState(s)));
            assert!(!takes_more(s, 0, L));
        }
        assert!(takes_more(ClaimStatus::Counted, 1, L));
        assert!(!takes_more(ClaimStatus::Counted, 2, L));
        assert!(!takes_more(ClaimStatus::Counted, 0, None));
    }
}
