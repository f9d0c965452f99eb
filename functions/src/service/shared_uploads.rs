//! The desk's uploads to the members' repository from the browser. The file
//! goes straight to the bucket with a form the desk signs
//! (`FileStore::upload_form`: one key under `incoming/shared/<stamp>-<id>/`,
//! at most `members.documents.max_mb`, for `files::FORM_MINUTES`), never
//! through a function's body: in AWS every request passes CloudFront's
//! Lambda@Edge, which sees bodies up to 1 MB only. The bucket sends the
//! browser back to the desk, which shows what arrived, judged by its content,
//! and takes the details (or the confirmation of a replacement). Adding reads
//! the file and stores it as `desk documents` does, so the bytes judged, hashed
//! and served are the same ones, then deletes the incoming file. A refused file
//! is deleted at once; one never added, by `desk sweep` after `INCOMING_HOURS`.

use super::Forms;
use super::shared_documents::{SentFile, SharedError};
use crate::files::{FileError, FileStore, UploadForm};
use crate::records::{FileType, SharedDocument};
use crate::store::Store;
use crate::token;
use ccg_forms::decide::shared::{self, SharedFields, SharedRefusal};

/// Where the browser's uploads wait until the desk adds them: the desk's own prefix.
pub const INCOMING_PREFIX: &str = crate::files::INCOMING_SHARED;
/// How long an upload may wait to be added before `desk sweep` deletes it.
pub const INCOMING_HOURS: i64 = 24;

/// A key in the incoming folder: `incoming/shared/<unix seconds the form was made>-<id>/<the browser's file name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub key: String,
    /// The file's name as the browser sent it.
    pub name: String,
    /// When the form it came with was made (seconds since 1970): the sweep's clock.
    pub made: i64,
}

impl Incoming {
    /// The incoming file `key` names; `None` for anything else (another prefix, a folder, a name with a slash).
    pub fn parse(key: &str) -> Option<Incoming> {
        let (folder, name) = key.strip_prefix(INCOMING_PREFIX)?.split_once('/')?;
        let (made, id) = folder.split_once('-')?;
        let id_ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let name_ok = !name.is_empty() && name.len() <= 255 && !name.contains(['/', '\\', '\0']) && !name.starts_with('.');
        let made = made.parse::<i64>().ok().filter(|m| *m > 0)?;
        (id_ok && name_ok).then(|| Incoming { key: key.to_string(), name: name.to_string(), made })
    }
}

/// What the bucket holds under an incoming key, as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub key: String,
    /// The browser's name for it ("" when the key is not an upload's).
    pub name: String,
    /// Its size in bytes (0 when there is no file).
    pub size: u64,
    /// Its type by its first bytes, or why it is refused (the refused file is deleted).
    pub judged: Result<FileType, SharedRefusal>,
}

/// Whether a refusal is the file's (the details' mistakes keep the file for another try).
fn of_the_file(r: &SharedRefusal) -> bool {
    matches!(r, SharedRefusal::Missing | SharedRefusal::Size | SharedRefusal::WrongType)
}

impl<S: Store> Forms<S> {
    /// A form that uploads one file to the repository's incoming folder and
    /// then sends the browser to `return_path` on the desk's origin (the bucket adds `bucket`, `key` and `etag`).
    pub async fn shared_upload_form(&self, return_path: &str) -> Result<UploadForm, SharedError> {
        let files = self.shared_files()?;
        let (now, secs) = self.now();
        let prefix = format!("{INCOMING_PREFIX}{secs}-{}/", token::new_id("up"));
        let redirect = format!("{}{return_path}", self.sign_in_base());
        Ok(files.upload_form(&prefix, self.shared_max_bytes(), &redirect, now).await?)
    }

    /// What arrived under `key`: read (its size, its first bytes), never
    /// changed, unless it is refused: a file that can never be added is deleted now.
    pub async fn incoming_shared(&self, key: &str) -> Result<Arrived, SharedError> {
        let Some(inc) = Incoming::parse(key) else {
            return Ok(Arrived { key: key.to_string(), name: String::new(), size: 0, judged: Err(SharedRefusal::Missing) });
        };
        let files = self.shared_files()?;
        let size = files.head(&inc.key).await?;
        let first = match size {
            Some(n) if n > 0 && n <= self.shared_max_bytes() => files.read_start(&inc.key, shared::SNIFF_BYTES).await?,
            _ => Vec::new(),
        };
        let judged = shared::check_file(size, &first, self.shared_max_bytes());
        if judged.is_err() && size.is_some() {
            files.delete(&inc.key).await?;
        }
        Ok(Arrived { key: inc.key, name: inc.name, size: size.unwrap_or(0), judged })
    }

    /// The incoming file's bytes, or why it is refused without reading it (none there, too large).
    async fn incoming_file(&self, inc: &Incoming) -> Result<Result<SentFile, SharedRefusal>, SharedError> {
        let files = self.shared_files()?;
        Ok(match files.head(&inc.key).await? {
            None | Some(0) => Err(SharedRefusal::Missing),
            Some(n) if n > self.shared_max_bytes() => Err(SharedRefusal::Size),
            Some(_) => Ok(SentFile { name: inc.name.clone(), bytes: files.read(&inc.key).await? }),
        })
    }

    /// After adding or replacing from `inc`: the incoming file goes once it
    /// is stored, or refused; it stays when only the details were wrong.
    async fn settle<T>(&self, inc: &Incoming, outcome: &Result<T, SharedError>) {
        let done = match outcome {
            Ok(_) => true,
            Err(SharedError::Refused(wrong)) => wrong.iter().any(of_the_file),
            Err(_) => false,
        };
        if done && let Ok(files) = self.shared_files() {
            // Left behind, it is the sweep's: nothing lists an incoming file.
            if let Err(e) = files.delete(&inc.key).await {
                tracing::warn!(error = %e, "shared: an incoming file stays until the sweep");
            }
        }
    }

    /// Adds a document whose file the browser uploaded under `key`: as
    /// `add_shared` (every refusal at once, the file judged by its content),
    /// then the incoming file is deleted.
    pub async fn add_shared_upload(&self, fields: &SharedFields<'_>, key: &str, operator: &str) -> Result<SharedDocument, SharedError> {
        let Some(inc) = Incoming::parse(key) else {
            let cat = self.catalogue();
            let mut wrong = shared::validate(fields, |m| cat.event(m).is_some()).err().unwrap_or_default();
            wrong.push(SharedRefusal::Missing);
            return Err(SharedError::Refused(wrong));
        };
        let outcome = match self.incoming_file(&inc).await? {
            Ok(file) => self.add_shared(fields, file, operator).await,
            Err(r) => {
                let cat = self.catalogue();
                let mut wrong = shared::validate(fields, |m| cat.event(m).is_some()).err().unwrap_or_default();
                wrong.push(r);
                Err(SharedError::Refused(wrong))
            }
        };
        self.settle(&inc, &outcome).await;
        outcome
    }

    /// Replaces a document's file with the one the browser uploaded under
    /// `key`, if the document is still at `expected_version`; then the incoming file is deleted.
    pub async fn replace_shared_upload(&self, id: &str, expected_version: u64, key: &str, operator: &str) -> Result<SharedDocument, SharedError> {
        let inc = Incoming::parse(key).ok_or(SharedError::Refused(vec![SharedRefusal::Missing]))?;
        let outcome = match self.incoming_file(&inc).await? {
            Ok(file) => self.replace_shared(id, expected_version, file, operator).await,
            Err(r) => Err(SharedError::Refused(vec![r])),
        };
        self.settle(&inc, &outcome).await;
        outcome
    }

    /// Deletes the uploads never added within `INCOMING_HOURS` (`sweep_incoming`).
    pub async fn sweep_incoming_shared(&self) -> Result<usize, FileError> {
        match &self.files {
            Some(files) => sweep_incoming(files.as_ref(), self.now().1).await,
            None => Ok(0),
        }
    }
}

/// Deletes the uploads whose form was made more than `INCOMING_HOURS`
/// before `now` (seconds) and were never added (adding deletes them), and
/// anything else in the incoming folder that is not an upload's. Says how many went.
pub async fn sweep_incoming(files: &dyn FileStore, now: i64) -> Result<usize, FileError> {
    let oldest = now - INCOMING_HOURS * 3600;
    let mut gone = 0;
    for key in files.list(INCOMING_PREFIX).await? {
        if Incoming::parse(&key).is_none_or(|inc| inc.made < oldest) {
            files.delete(&key).await?;
            gone += 1;
        }
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_uploads_key_is_an_incoming_file() {
        let inc = Incoming::parse("incoming/shared/1767225600-up_0a1b/Minutes Porto.pdf").unwrap();
        assert_eq!((inc.name.as_str(), inc.made), ("Minutes Porto.pdf", 1_767_225_600));
        for bad in [
            "shared/shd_1/1.pdf",
            "incoming/shared/1767225600-up_0a1b/",
            "incoming/shared/1767225600-up_0a1b/a/b.pdf",
            "incoming/shared/1767225600-up_0a1b/.hidden",
            "incoming/shared/later-up_0a1b/a.pdf",
            "incoming/shared/1767225600-/a.pdf",
            "incoming/shared/1767225600-up_../a.pdf",
            "incoming/claims/1767225600-up_0a1b/a.pdf",
            "claims/c/d/a.pdf",
        ] {
            assert_eq!(Incoming::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_files_refusals_use_up_the_upload() {
        assert!(of_the_file(&SharedRefusal::WrongType) && of_the_file(&SharedRefusal::Size) && of_the_file(&SharedRefusal::Missing));
        assert!(!of_the_file(&SharedRefusal::Title) && !of_the_file(&SharedRefusal::Meeting));
    }
}
