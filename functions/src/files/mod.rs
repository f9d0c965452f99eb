//! The file store: where a claim's supporting documents and the members'
//! repository's files are kept, a port like the store's roles. A browser
//! uploads a file straight to the bucket with a form the functions sign
//! (`policy`), never through the functions;
//! the functions then look at what arrived (its size and first bytes),
//! delete it if it is refused, and the desk reads it. Two buckets keep the
//! same promises: the preview's own folder (`local`, which also answers the
//! form as S3 would) and, in AWS, a private S3 bucket (`s3`).

pub mod local;
pub mod multipart;
pub mod policy;
#[cfg(feature = "dynamodb")]
pub mod s3;

use std::future::Future;
use std::pin::Pin;

/// An answer of the file store, boxed so the store can be chosen at run time.
pub type FileFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, FileError>> + Send + 'a>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Down, slow or refusing for now: nothing was changed.
    #[error("the file store is unavailable: {0}")]
    Unavailable(String),
    #[error("the file store failed: {0}")]
    Failed(String),
}

/// The form a browser sends a file to the bucket with: its action and hidden fields (the file field comes last).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UploadForm {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

/// How long an upload form works once shown.
pub const FORM_MINUTES: i64 = 10;

pub trait FileStore: Send + Sync + 'static {
    /// A form that uploads one file under `key_prefix` + its name, of at most
    /// `max_bytes`, then sends the browser to `redirect`; it works for
    /// `FORM_MINUTES`. Asynchronous: S3's is signed with credentials fetched now.
    fn upload_form<'a>(&'a self, key_prefix: &'a str, max_bytes: u64, redirect: &'a str, now: jiff::Timestamp) -> FileFuture<'a, UploadForm>;

    /// The origin forms post to (the page's Content-Security-Policy `form-action` must allow it).
    fn form_origin(&self) -> String;

    /// The size of the file under `key`; `None` when there is none.
    fn head<'a>(&'a self, key: &'a str) -> FileFuture<'a, Option<u64>>;

    /// At most the first `n` bytes of the file (its type is read from them).
    fn read_start<'a>(&'a self, key: &'a str, n: u64) -> FileFuture<'a, Vec<u8>>;

    /// The whole file (the desk's download).
    fn read<'a>(&'a self, key: &'a str) -> FileFuture<'a, Vec<u8>>;

    /// Deletes the file; deleting what is not there is fine.
    fn delete<'a>(&'a self, key: &'a str) -> FileFuture<'a, ()>;

    /// Every key under `prefix` (the sweep finds files whose claim is gone).
    fn list<'a>(&'a self, prefix: &'a str) -> FileFuture<'a, Vec<String>>;

    /// Writes a whole file under `key` (a shared document's file, from the desk's incoming upload or the command).
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> FileFuture<'a, ()>;

    /// Where a signed-in member downloads the shared file under `key` as
    /// `file_name`: a presigned GET that works for `DOWNLOAD_SECONDS` (AWS), or
    /// `None` when the file must be streamed by the signed-in handler (the
    /// preview). Only keys under `shared/` are ever signed.
    fn download_url<'a>(&'a self, key: &'a str, file_name: &'a str, content_type: &'a str, now: jiff::Timestamp) -> FileFuture<'a, Option<String>>;
}

/// Where the desk's browser uploads to the members' repository wait to be
/// added (`service::shared_uploads`): the bucket takes them by a signed form,
/// the desk moves them under `shared/`, the sweep deletes what stays a day.
pub const INCOMING_SHARED: &str = "incoming/shared/";

/// How long a shared file's download address works once given to a member.
pub const DOWNLOAD_SECONDS: u64 = 60;

/// Whether `key` is a shared document's file: `shared/<id>/<version>.<ext>`, no more.
pub fn is_shared_key(key: &str) -> bool {
    let Some(rest) = key.strip_prefix(ccg_forms::records::SHARED_PREFIX) else { return false };
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.') && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
}

/// `attachment; filename="…"` for a name `decide::shared::file_name` made
/// (letters, digits, `-_. `), with the RFC 5987 form for any non-ASCII letter.
pub fn attachment(file_name: &str) -> String {
    let ascii: String = file_name.chars().map(|c| if c.is_ascii() && c != '"' && c != '\\' { c } else { '_' }).collect();
    let encoded: String =
        file_name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The claim a document key belongs to: `claims/<claim id>/...`.
pub fn claim_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("claims/")?.split('/').next().filter(|c| !c.is_empty())
}
