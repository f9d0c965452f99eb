//! The preview's bucket: files under `<data>/files/<key>`, and the upload
//! endpoint `generator serve` answers at `UPLOAD_PATH` as S3 answers a POST
//! Object form: the same signed policy (with a key kept in the data folder),
//! the same size range, then a 303 to `success_action_redirect` with
//! `bucket`, `key` and `etag` added.

use super::policy::{self, Signer};
use super::{FileError, FileFuture, FileStore, UploadForm};
use std::path::{Path, PathBuf};

/// Where the preview's upload form posts (on the preview's own origin).
pub const UPLOAD_PATH: &str = "/files/upload";
/// The bucket's name in its policies.
pub const BUCKET: &str = "local";
const KEY_FILE: &str = ".signing-key";

#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
    /// `http://127.0.0.1:8080`: the preview's origin, which the forms post to.
    origin: String,
    signer: Signer,
}

fn io_err(e: std::io::Error) -> FileError {
    FileError::Failed(format!("the files folder: {}", e.kind()))
}

impl LocalFiles {
    /// The bucket in `<dir>` (created), posting to `origin` + `UPLOAD_PATH`;
    /// its signing key is made once and kept there.
    pub fn open(dir: &Path, origin: &str) -> std::io::Result<LocalFiles> {
        std::fs::create_dir_all(dir)?;
        let key_file = dir.join(KEY_FILE);
        let secret = match std::fs::read_to_string(&key_file) {
            Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                let s = crate::token::new_secret();
                std::fs::write(&key_file, &s)?;
                s
            }
        };
        let signer = Signer { access_key_id: "local".into(), secret_access_key: secret, session_token: None, region: "local".into() };
        Ok(LocalFiles { root: dir.to_path_buf(), origin: origin.trim_end_matches('/').to_string(), signer })
    }

    /// The file of `key`; `None` for a key that could leave the folder.
    fn path_of(&self, key: &str) -> Option<PathBuf> {
        let ok = (key.starts_with("claims/") || super::is_shared_key(key) || key.starts_with(super::INCOMING_SHARED))
            && key.split('/').all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']) && !s.starts_with('.'));
        ok.then(|| self.root.join(key))
    }

    /// Answers an upload form's POST: `Ok(location)` for the 303, or the status and message S3 would give.
    pub fn accept(&self, content_type: &str, body: &[u8], now: jiff::Timestamp) -> Result<String, (u16, String)> {
        let parts = super::multipart::parse(content_type, body).ok_or((400, "The form is not multipart/form-data.".to_string()))?;
        let Some((file, fields)) = parts.split_last().filter(|(f, _)| f.name == "file" && f.file_name.is_some()) else {
            return Err((400, "The form must end with exactly one file, in the field `file`.".into()));
        };
        let fields: Vec<(String, String)> = fields.iter().map(|p| (p.name.clone(), String::from_utf8_lossy(&p.data).into_owned())).collect();
        let name = file.file_name.as_deref().unwrap_or("");
        // Browsers send a bare name; anything with a folder in it is not a name.
        let name = name.rsplit(['/', '\\']).next().unwrap_or("");
        let (key, redirect) = match policy::check(&fields, name, file.data.len() as u64, BUCKET, &self.signer, now) {
            Ok(ok) => ok,
            Err(e @ policy::PolicyError::Size) => return Err((400, format!("{e}: EntityTooLarge or EntityTooSmall."))),
            Err(e) => return Err((403, format!("{e}."))),
        };
        let path = self.path_of(&key).ok_or((400, "The file's name cannot be a key.".to_string()))?;
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(path.parent().expect("a key has a folder"))?;
            let tmp = path.with_extension("part~");
            std::fs::write(&tmp, &file.data)?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| (500, format!("The file could not be written: {}.", e.kind())))?;
        let etag = crate::token::hash_secret(&String::from_utf8_lossy(&file.data))[..32].to_string();
        let sep = if redirect.contains('?') { '&' } else { '?' };
        Ok(format!("{redirect}{sep}bucket={BUCKET}&key={}&etag=%22{etag}%22", encode(&key)))
    }
}

/// Percent-encodes a query value (what S3 does to the key it adds to the redirect).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FileStore for LocalFiles {
    fn upload_form<'a>(&'a self, key_prefix: &'a str, max_bytes: u64, redirect: &'a str, now: jiff::Timestamp) -> FileFuture<'a, UploadForm> {
        let expires = now + jiff::Span::new().minutes(super::FORM_MINUTES);
        let u = policy::Upload { bucket: BUCKET, key_prefix, redirect, max_bytes, expires };
        let form = UploadForm { action: format!("{}{UPLOAD_PATH}", self.origin), fields: policy::form_fields(&u, &self.signer, now) };
        Box::pin(async move { Ok(form) })
    }

    fn form_origin(&self) -> String {
        self.origin.clone()
    }

    fn head<'a>(&'a self, key: &'a str) -> FileFuture<'a, Option<u64>> {
        Box::pin(async move {
            let Some(p) = self.path_of(key) else { return Ok(None) };
            match std::fs::metadata(p) {
                Ok(m) if m.is_file() => Ok(Some(m.len())),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_err(e)),
            }
        })
    }

    fn read_start<'a>(&'a self, key: &'a str, n: u64) -> FileFuture<'a, Vec<u8>> {
        Box::pin(async move {
            use std::io::Read;
            let p = self.path_of(key).ok_or_else(|| FileError::Failed("not a key".into()))?;
            let mut buf = Vec::new();
            std::fs::File::open(p).map_err(io_err)?.take(n).read_to_end(&mut buf).map_err(io_err)?;
            Ok(buf)
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> FileFuture<'a, Vec<u8>> {
        Box::pin(async move { std::fs::read(self.path_of(key).ok_or_else(|| FileError::Failed("not a key".into()))?).map_err(io_err) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> FileFuture<'a, ()> {
        Box::pin(async move {
            let Some(p) = self.path_of(key) else { return Ok(()) };
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(e)),
            }
            // Empty folders of the key go too (a claim's folder once its last file is gone).
            let mut dir = p.parent();
            while let Some(d) = dir.filter(|d| *d != self.root) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
            Ok(())
        })
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, _content_type: &'a str) -> FileFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path_of(key).ok_or_else(|| FileError::Failed("not a key".into()))?;
            std::fs::create_dir_all(path.parent().expect("a key has a folder")).map_err(io_err)?;
            // Whole or not at all: a reader never sees half a file.
            let tmp = path.with_extension("part~");
            std::fs::write(&tmp, &bytes).map_err(io_err)?;
            std::fs::rename(&tmp, &path).map_err(io_err)
        })
    }

    fn download_url<'a>(&'a self, _key: &'a str, _file_name: &'a str, _content_type: &'a str, _now: jiff::Timestamp) -> FileFuture<'a, Option<String>> {
        // The preview's files are streamed by the signed-in handler: no address of their own.
        Box::pin(async { Ok(None) })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> FileFuture<'a, Vec<String>> {
        Box::pin(async move {
            let mut keys = Vec::new();
            // Only the key's first folder (`claims`, `shared`, `incoming`) is walked: the signing key is not a file of the bucket.
            let top = prefix.split('/').next().filter(|t| !t.is_empty() && !t.starts_with('.')).unwrap_or("claims");
            let mut stack = vec![self.root.join(top)];
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else { continue };
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if let Ok(rel) = p.strip_prefix(&self.root)
                        && let Some(k) = rel.to_str().map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
                        && k.starts_with(prefix)
                        && !k.ends_with("part~")
                    {
                        keys.push(k);
                    }
                }
            }
            keys.sort();
            Ok(keys)
        })
    }
}
