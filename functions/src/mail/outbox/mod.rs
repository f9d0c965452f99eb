//! The local mailer: each message becomes one JSON file in a folder, the
//! outbox, which `generator serve` shows at `/_outbox/` and the tests read
//! back with [`read_all`]. Nothing leaves the machine.
//!
//! A file's JSON is described in `stored`. Its name,
//! `<unix nanoseconds, 20 digits>-<pid>-<counter>.json`, sorts by time and
//! stays unique for concurrent sends within a process (the counter) and
//! across processes (the pid). A message with an id is named from the id
//! instead, `id-<SHA-256 of the id, hex>.json`, and carries that time-sorted
//! name as its `order`: a second send of the same id finds the file there
//! and writes nothing, so a resumed round of invitations delivers each once.
//! Either way the file is written under a `.tmp` name and then renamed (or,
//! for an id, hard-linked, which never replaces a file), so a reader sees a
//! whole message or none.
//!
//! Failure switch: while a file named `FAIL` exists in the outbox folder,
//! every send returns [`MailError::NotSent`] and writes nothing. Tests (and
//! anyone trying the preview) use it to see the "email could not be sent"
//! path without a real mail service.

mod stored;

use super::{Email, MailError, Mailer, SendFuture};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use stored::Stored;

/// The file whose presence makes every send fail.
pub const FAIL_SWITCH: &str = "FAIL";

const EXTENSION: &str = ".json";
const TMP_EXTENSION: &str = ".tmp";
const ID_PREFIX: &str = "id-";

/// Per-process sequence: two sends in the same nanosecond still get two names.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// One message read back from an outbox folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The file name inside the folder, e.g. `01767225600000000000-4242-0.json`.
    pub file: String,
    pub email: Email,
    /// RFC 3339, as written at send time.
    pub sent_at: String,
}

impl Outbox {
    /// The folder is created by the first send, so merely configuring an outbox touches nothing.
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for Outbox {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            let dir = self.dir.clone();
            let now = jiff::Timestamp::now();
            let by_time = time_name(now.as_nanosecond());
            // Whole seconds: the preview shows it in a <time datetime>, which takes at most milliseconds.
            let sent_at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            let (name, stored) = match &email.id {
                Some(id) => (id_name(id), Stored::new(email, sent_at, Some(by_time))),
                None => (format!("{by_time}{EXTENSION}"), Stored::new(email, sent_at, None)),
            };
            let once = email.id.is_some();
            tokio::task::spawn_blocking(move || write_message(&dir, &name, &stored, once))
                .await
                .map_err(|_| MailError::NotSent("the outbox writer stopped".into()))?
        })
    }
}

/// `<20 digits>-<pid>-<counter>`, without the extension.
fn time_name(unix_nanos: i128) -> String {
    // Clocks before 1970 are not worth a sign in the name: clamp so the width stays fixed.
    let nanos = unix_nanos.max(0);
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:020}-{}-{seq}", std::process::id())
}

/// The file of the message with this id: the id itself may hold any character, its hash none that matters.
fn id_name(id: &str) -> String {
    format!("{ID_PREFIX}{}{EXTENSION}", crate::files::policy::hex(&Sha256::digest(id.as_bytes())))
}

/// Writes the message as `name`; with `once`, a message already there under
/// that name stays as it is and the send is done.
fn write_message(dir: &Path, name: &str, stored: &Stored, once: bool) -> Result<(), MailError> {
    if dir.join(FAIL_SWITCH).exists() {
        return Err(MailError::NotSent(format!("the outbox has a {FAIL_SWITCH} file")));
    }
    // Only the operation is named in errors, never the message or its address.
    let fail = |what: &str, e: io::Error| MailError::NotSent(format!("outbox: cannot {what}: {}", e.kind()));
    let final_path = dir.join(name);
    if once && final_path.exists() {
        return Ok(());
    }
    let bytes = serde_json::to_vec_pretty(stored).map_err(|e| MailError::NotSent(format!("outbox: cannot encode: {e}")))?;
    fs::create_dir_all(dir).map_err(|e| fail("create the folder", e))?;
    // Its own temporary name per send: two sends of one id at once must not meet there.
    let tmp = dir.join(format!("{name}.{}-{}{TMP_EXTENSION}", std::process::id(), SEQUENCE.fetch_add(1, Ordering::Relaxed)));
    let written = fs::OpenOptions::new().write(true).create_new(true).open(&tmp).and_then(|mut f| f.write_all(&bytes));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    if once {
        // link(2) fails on an existing name where rename(2) would replace it.
        let linked = fs::hard_link(&tmp, &final_path);
        let _ = fs::remove_file(&tmp);
        return match linked {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(fail("link", e)),
        };
    }
    fs::rename(&tmp, final_path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail("rename", e)
    })
}

/// Every message in `dir`, oldest first. Unfinished `.tmp` files and the
/// `FAIL` switch are not messages; a missing folder is an empty outbox.
pub fn read_all(dir: &Path) -> io::Result<Vec<OutboxMessage>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if name.ends_with(EXTENSION) && !name.starts_with('.') && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    let mut messages = names.into_iter().map(|name| read_file(dir, name)).collect::<io::Result<Vec<_>>>()?;
    messages.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(messages.into_iter().map(|(_, m)| m).collect())
}

/// One message by its name without `.json` (as `serve` puts it in a URL).
/// `None` when there is no such message, and for any name this module would
/// never write, so a caller may pass an untrusted name: it cannot reach
/// outside `dir`.
pub fn read_one(dir: &Path, name: &str) -> io::Result<Option<OutboxMessage>> {
    if !is_message_name(name) {
        return Ok(None);
    }
    match read_file(dir, format!("{name}{EXTENSION}")) {
        Ok((_, m)) => Ok(Some(m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `<20 digits>-<digits>-<digits>` or `id-<64 hex digits>`: the names this
/// module writes, without the extension.
pub fn is_message_name(name: &str) -> bool {
    if let Some(hash) = name.strip_prefix(ID_PREFIX) {
        return hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    }
    let number = |p: &str| (1..=20).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = name.split('-').collect();
    matches!(parts.as_slice(), [time, pid, seq] if time.len() == 20 && number(time) && number(pid) && number(seq))
}

/// The message and the key it sorts by (when it was sent).
fn read_file(dir: &Path, name: String) -> io::Result<(String, OutboxMessage)> {
    let bytes = fs::read(dir.join(&name))?;
    let invalid = |e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidData, format!("{name} is not an outbox message: {e}"));
    let stored: Stored = serde_json::from_slice(&bytes).map_err(|e| invalid(&e))?;
    let order = stored.order.clone().unwrap_or_else(|| name.trim_end_matches(EXTENSION).to_string());
    let sent_at = stored.sent_at.clone();
    let email = stored.into_email().map_err(|e| invalid(&e))?;
    Ok((order, OutboxMessage { file: name, email, sent_at }))
}

#[cfg(test)]
mod tests;
