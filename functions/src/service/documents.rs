//! A claim's supporting documents, from its link: the upload form (straight
//! to the file store, signed for ten minutes), then, once the bucket sent
//! the browser back, the check of what arrived (size and type by its first
//! bytes, `decide::documents`) and its record on the claim. A refused file
//! is deleted at once. The desk lists and downloads them.

use super::Forms;
use super::confirm::LinkError;
use crate::files::{FileError, UploadForm};
use crate::records::{AuditEntry, Claim, Document, document_prefix};
use crate::routes::Route;
use crate::store::{DocumentError, Store, StoreError};
use crate::token;
use ccg_forms::decide::documents::{self, Admit, DocumentRefusal, Uploaded};

/// Why a document was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddError {
    /// The claim's link does not open a claim (or the key is not one of its uploads).
    Link(LinkError),
    /// The file, or the claim, refuses it; the file was deleted.
    Refused {
        refusal: DocumentRefusal,
        file_name: String,
    },
    Unavailable(String),
}

impl From<StoreError> for AddError {
    fn from(e: StoreError) -> Self {
        AddError::Link(e.into())
    }
}

impl From<FileError> for AddError {
    fn from(e: FileError) -> Self {
        AddError::Unavailable(e.to_string())
    }
}

/// What a claim's page shows of its documents: the list, and the form to add one while it takes more.
#[derive(Debug, Clone, Default)]
pub struct DocumentsView {
    pub documents: Vec<Document>,
    pub form: Option<UploadForm>,
}

/// The file name in a key the bucket sent back: `claims/<claim>/<doc>/<name>`, only for this claim and document.
pub fn file_name_of<'a>(key: &'a str, claim_id: &str, doc_id: &str) -> Option<&'a str> {
    key.strip_prefix(&document_prefix(claim_id, doc_id)).filter(|n| !n.is_empty() && !n.contains('/') && n.len() <= 255)
}

impl<S: Store> Forms<S> {
    /// The address the bucket sends the browser back to after uploading document `doc_id`.
    fn documents_return(&self, token: &str, doc_id: &str) -> String {
        format!("{}&doc={doc_id}", Route::Documents.url(&self.options.public_url, &self.options.api_base, Some(token)))
    }

    /// The documents of a claim, and (while it takes more) a new upload form for it.
    pub async fn claim_documents(&self, c: &Claim, token: &str) -> Result<DocumentsView, LinkError> {
        let documents = self.timed(self.store.list_documents(&c.id)).await?;
        let limits = self.catalogue().rules.documents;
        let form = match (&self.files, limits) {
            (Some(files), Some(l)) if documents::takes_more(c.status, documents.len(), limits) => {
                let doc_id = token::new_id("doc");
                let prefix = document_prefix(&c.id, &doc_id);
                let form = files.upload_form(&prefix, l.max_bytes, &self.documents_return(token, &doc_id), self.now().0).await;
                // The page then offers no upload rather than a form the bucket would refuse.
                form.map_err(|e| tracing::warn!(error = %e, "forms: no upload form")).ok()
            }
            _ => None,
        };
        Ok(DocumentsView { documents, form })
    }

    /// The claim a link opens (after its use), for the documents' pages.
    pub async fn claim_of_token(&self, token: &str) -> Result<Claim, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let c = self.timed(self.store.claim_by_link(&id)).await?;
        c.filter(|c| c.link_hashes.iter().any(|h| h == &hash)).ok_or(LinkError::Invalid)
    }

    /// Records the file the bucket holds under `key` as document `doc_id` of
    /// the claim of `token`, if the file and the claim take it; otherwise
    /// deletes the file and says why.
    pub async fn add_document(&self, token: &str, doc_id: &str, key: &str) -> Result<(Claim, Document), AddError> {
        let c = self.claim_of_token(token).await.map_err(AddError::Link)?;
        let file_name = file_name_of(key, &c.id, doc_id).ok_or(AddError::Link(LinkError::Invalid))?.to_string();
        let files = self.files.clone().ok_or_else(|| AddError::Unavailable("no file store".into()))?;
        let limits = self.catalogue().rules.documents;
        let size = files.head(key).await?;
        let first = match size {
            Some(_) => files.read_start(key, documents::SNIFF_BYTES).await?,
            None => Vec::new(),
        };
        let refused = |refusal| AddError::Refused { refusal, file_name: file_name.clone() };
        let (kind, size) = match documents::check_file(size.map(|size| Uploaded { size, first: &first }), limits) {
            Ok(ok) => ok,
            Err(r) => {
                files.delete(key).await?;
                return Err(refused(r));
            }
        };
        let (now, _) = self.now();
        let doc = Document { claim_id: c.id.clone(), id: doc_id.to_string(), file_name: file_name.clone(), kind, size, uploaded_at: now };
        // The name is the claimant's, so the history says only the document's id and type.
        let audit = AuditEntry {
            at: now,
            actor: "applicant".into(),
            action: "claim.document".into(),
            subject: c.id.clone(),
            detail: format!("{doc_id} {}", kind.as_str()),
        };
        match self.timed_document(self.store.add_document(doc.clone(), limits, audit)).await {
            Ok(Admit::New) => {
                if let Some(to) = &self.options.secretariat_email {
                    let count = self.timed(self.store.list_documents(&c.id)).await.map(|d| d.len()).unwrap_or(1);
                    if let Err(e) = self.send_mail(&super::messages::new_document(to, self.sign_in_base(), &c, &doc, count)).await {
                        tracing::warn!(error = %e, "forms: the secretariat was not emailed");
                    }
                }
                Ok((c, doc))
            }
            Ok(Admit::Already) => Ok((c, doc)),
            Err(DocumentError::Denied(r)) => {
                files.delete(key).await?;
                Err(refused(r))
            }
            Err(DocumentError::NotFound) => Err(AddError::Link(LinkError::Invalid)),
            Err(DocumentError::Store(e)) => Err(e.into()),
        }
    }

    async fn timed_document<T>(&self, f: impl std::future::Future<Output = Result<T, DocumentError>>) -> Result<T, DocumentError> {
        match tokio::time::timeout(self.options.store_timeout, f).await {
            Ok(r) => r,
            Err(_) => Err(DocumentError::Store(StoreError::Unavailable("the store did not answer in time".into()))),
        }
    }
}

impl<S: Store> Forms<S> {
    /// A claim's documents, for the desk.
    pub async fn documents_of(&self, claim_id: &str) -> Result<Vec<Document>, StoreError> {
        self.timed(self.store.list_documents(claim_id)).await
    }

    /// A document's file, for the desk's download.
    pub async fn document_file(&self, d: &Document) -> Result<Vec<u8>, FileError> {
        let files = self.files.clone().ok_or_else(|| FileError::Failed("no file store".into()))?;
        files.read(&d.key()).await
    }

    /// Deletes the files whose claim is gone (`sweep_files`).
    pub async fn sweep_files(&self) -> Result<usize, FileError> {
        match &self.files {
            Some(files) => sweep_files(&self.store, files.as_ref()).await,
            None => Ok(0),
        }
    }
}

/// Deletes the files whose claim is gone (past its retention, left,
/// erased): the store deletes a claim's documents with it, this their
/// files. Says how many went.
pub async fn sweep_files<S: Store>(store: &S, files: &dyn crate::files::FileStore) -> Result<usize, FileError> {
    let mut gone = 0;
    let mut known: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for key in files.list("claims/").await? {
        let Some(claim) = crate::files::claim_of_key(&key) else { continue };
        let exists = match known.get(claim) {
            Some(e) => *e,
            None => {
                let e = store.get_claim(claim).await.map_err(|e| FileError::Unavailable(e.to_string()))?.is_some();
                known.insert(claim.to_string(), e);
                e
            }
        };
        if !exists {
            files.delete(&key).await?;
            gone += 1;
        }
    }
    Ok(gone)
}
