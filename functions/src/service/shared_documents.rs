//! The members' repository: the secretariat adds, replaces and removes the
//! documents it shares with signed-in members (from the desk in the browser,
//! whose files arrive through the bucket: `shared_uploads`, and from
//! `desk documents`, which sends them itself), and members list and download them. The details
//! and the file are checked by `decide::shared` (the type by the file's
//! first bytes); the file is written under `shared/` before its record, and
//! a record that could not be written takes its file away again, so a
//! listed document always has its file.

use super::Forms;
use crate::files::FileError;
use crate::records::{AuditEntry, SharedDocument, shared_key};
use crate::store::lists::{ListPage, SharedQuery};
use crate::store::{Store, StoreError, UpdateError};
use crate::token;
use ccg_forms::decide::shared::{self, SharedFields, SharedRefusal};
use sha2::Digest;

/// Why a change of the repository was not made. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SharedError {
    /// The details or the file are wrong: every refusal, in the form's order.
    #[error("the document was refused: {0:?}")]
    Refused(Vec<SharedRefusal>),
    /// There is no such document (any more).
    #[error("there is no such document")]
    NotFound,
    /// The document changed since the desk showed it: look again.
    #[error("the document changed in the meantime")]
    Conflict,
    #[error("no operator name")]
    NoOperator,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Files(#[from] FileError),
}

impl From<UpdateError> for SharedError {
    fn from(e: UpdateError) -> Self {
        match e {
            UpdateError::Conflict => SharedError::Conflict,
            UpdateError::Store(e) => SharedError::Store(e),
        }
    }
}

/// A file as sent: its name and bytes.
#[derive(Debug, Clone, Default)]
pub struct SentFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// How a member gets a document's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download {
    /// A presigned address, short-lived (AWS).
    Url(String),
    /// The bytes, streamed by the signed-in handler (the preview).
    Bytes(Vec<u8>),
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::files::policy::hex(&sha2::Sha256::digest(bytes))
}

impl<S: Store> Forms<S> {
    pub(super) fn shared_files(&self) -> Result<std::sync::Arc<dyn crate::files::FileStore>, SharedError> {
        self.files.clone().ok_or_else(|| SharedError::Files(FileError::Failed("no file store".into())))
    }

    /// The largest file the repository takes (`members.documents.max_mb`).
    pub fn shared_max_bytes(&self) -> u64 {
        self.options.shared_max_bytes
    }

    /// The file's type, or why it is refused.
    fn check_shared_file(&self, file: &SentFile) -> Result<ccg_forms::records::FileType, SharedRefusal> {
        let size = (!file.bytes.is_empty()).then_some(file.bytes.len() as u64);
        let n = (shared::SNIFF_BYTES as usize).min(file.bytes.len());
        shared::check_file(size, &file.bytes[..n], self.shared_max_bytes())
    }

    /// Adds a document: its details and file checked (every refusal at once), the file written, then the record with its history line.
    pub async fn add_shared(&self, fields: &SharedFields<'_>, file: SentFile, operator: &str) -> Result<SharedDocument, SharedError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(SharedError::NoOperator);
        }
        let cat = self.catalogue();
        let details = shared::validate(fields, |m| cat.event(m).is_some());
        let file_type = self.check_shared_file(&file);
        let (input, file_type) = match (details, file_type) {
            (Ok(i), Ok(t)) => (i, t),
            (d, t) => {
                let mut wrong = d.err().unwrap_or_default();
                wrong.extend(t.err());
                return Err(SharedError::Refused(wrong));
            }
        };
        let (now, _) = self.now();
        let doc = SharedDocument {
            id: token::new_id("shd"),
            title: input.title,
            date: input.date,
            language: input.language,
            meeting: input.meeting,
            kind: input.kind,
            file_name: shared::file_name(&file.name, file_type),
            file_type,
            size: file.bytes.len() as u64,
            sha256: sha256_hex(&file.bytes),
            added_at: now,
            added_by: operator.to_string(),
            replaced_at: None,
            replaced_by: None,
            version: 1,
        };
        let files = self.shared_files()?;
        files.put(&doc.key(), file.bytes, file_type.mime()).await?;
        let audit = audit(now, operator, "shared.added", &doc);
        match self.timed(self.store.add_shared(doc.clone(), audit)).await {
            Ok(true) => Ok(doc),
            Ok(false) => Err(SharedError::Conflict),
            Err(e) => {
                let _ = files.delete(&doc.key()).await;
                Err(e.into())
            }
        }
    }

    /// Replaces a document's file, if it is still at `expected_version` (the one the desk showed).
    pub async fn replace_shared(&self, id: &str, expected_version: u64, file: SentFile, operator: &str) -> Result<SharedDocument, SharedError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(SharedError::NoOperator);
        }
        let old = self.timed(self.store.get_shared(id)).await?.ok_or(SharedError::NotFound)?;
        if old.version != expected_version {
            return Err(SharedError::Conflict);
        }
        let file_type = self.check_shared_file(&file).map_err(|r| SharedError::Refused(vec![r]))?;
        let (now, _) = self.now();
        let new = SharedDocument {
            file_name: shared::file_name(&file.name, file_type),
            file_type,
            size: file.bytes.len() as u64,
            sha256: sha256_hex(&file.bytes),
            replaced_at: Some(now),
            replaced_by: Some(operator.to_string()),
            version: old.version + 1,
            ..old.clone()
        };
        let files = self.shared_files()?;
        files.put(&new.key(), file.bytes, file_type.mime()).await?;
        match self.timed_update(self.store.replace_shared(expected_version, new.clone(), audit(now, operator, "shared.replaced", &new))).await {
            Ok(()) => {
                if let Err(e) = files.delete(&old.key()).await {
                    tracing::warn!(error = %e, id = %old.id, "shared: the replaced file stays");
                }
                Ok(new)
            }
            Err(e) => {
                let _ = files.delete(&new.key()).await;
                Err(e.into())
            }
        }
    }

    /// Removes a document and its file, if it is still at `expected_version`.
    pub async fn remove_shared(&self, id: &str, expected_version: u64, operator: &str) -> Result<SharedDocument, SharedError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(SharedError::NoOperator);
        }
        let doc = self.timed(self.store.get_shared(id)).await?.ok_or(SharedError::NotFound)?;
        let (now, _) = self.now();
        self.timed_update(self.store.remove_shared(id, expected_version, audit(now, operator, "shared.removed", &doc))).await?;
        // Listed no more: the file goes after its record, so no listed document lacks one.
        if let Err(e) = self.shared_files()?.delete(&doc.key()).await {
            tracing::warn!(error = %e, id = %doc.id, "shared: the removed file stays");
        }
        Ok(doc)
    }

    pub async fn shared_document(&self, id: &str) -> Result<Option<SharedDocument>, StoreError> {
        self.timed(self.store.get_shared(id)).await
    }

    /// A page of the repository, newest first.
    pub async fn shared_page(&self, q: &SharedQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<SharedDocument>, StoreError> {
        self.timed(self.store.shared_page(q, cursor, limit)).await
    }

    /// How a signed-in member gets a document's file: a short-lived address in AWS, the bytes in the preview.
    pub async fn shared_download(&self, d: &SharedDocument) -> Result<Download, SharedError> {
        let files = self.shared_files()?;
        let key = shared_key(&d.id, d.version, d.file_type);
        match files.download_url(&key, &d.file_name, d.file_type.mime(), self.now().0).await? {
            Some(url) => Ok(Download::Url(url)),
            None => Ok(Download::Bytes(files.read(&key).await?)),
        }
    }

    async fn timed_update<T>(&self, f: impl std::future::Future<Output = Result<T, UpdateError>>) -> Result<T, UpdateError> {
        match tokio::time::timeout(self.options.store_timeout, f).await {
            Ok(r) => r,
            Err(_) => Err(UpdateError::Store(StoreError::Unavailable("the store did not answer in time".into()))),
        }
    }
}

/// The history line of a change: the document's id, title, version and file (its type, size and hash).
fn audit(now: jiff::Timestamp, operator: &str, action: &str, d: &SharedDocument) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: operator.to_string(),
        action: action.to_string(),
        subject: d.id.clone(),
        detail: format!("{} (version {}, {}, {} bytes, sha256 {})", d.title, d.version, d.file_type.as_str(), d.size, &d.sha256[..16]),
    }
}
