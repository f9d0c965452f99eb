//! The local mailer: each message becomes one JSON file in a folder, the
//! outbox, which `generator serve` shows at `/_outbox/` and the tests read
//! back with [`read_all`]. Nothing leaves the machine.
//!
//! A file is `{"to", "subject", "text", "html", "sent_at"}` (`sent_at` in
//! RFC 3339). Its name, `<unix nanoseconds, 20 digits>-<pid>-<counter>.json`,
//! sorts by time and stays unique for concurrent sends within a process (the
//! counter) and across processes (the pid). It is written under a `.tmp`
//! name and renamed, so a reader sees a whole message or none.
//!
//! Failure switch: while a file named `FAIL` exists in the outbox folder,
//! every send returns [`MailError::NotSent`] and writes nothing. Tests (and
//! anyone trying the preview) use it to see the "email could not be sent"
//! path without a real mail service.

use super::{Email, MailError, Mailer, SendFuture};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file whose presence makes every send fail.
pub const FAIL_SWITCH: &str = "FAIL";

const EXTENSION: &str = ".json";
const TMP_EXTENSION: &str = ".tmp";

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

#[derive(Serialize, Deserialize)]
struct Stored {
    to: String,
    subject: String,
    text: String,
    html: String,
    sent_at: String,
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
            let stored = Stored {
                to: email.to.clone(),
                subject: email.subject.clone(),
                text: email.text.clone(),
                html: email.html.clone(),
                // Whole seconds: the preview shows it in a <time datetime>, which takes at most milliseconds.
                sent_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            };
            let name = file_name(now.as_nanosecond());
            tokio::task::spawn_blocking(move || write_message(&dir, &name, &stored))
                .await
                .map_err(|_| MailError::NotSent("the outbox writer stopped".into()))?
        })
    }
}

fn file_name(unix_nanos: i128) -> String {
    // Clocks before 1970 are not worth a sign in the name: clamp so the width stays fixed.
    let nanos = unix_nanos.max(0);
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:020}-{}-{seq}{EXTENSION}", std::process::id())
}

fn write_message(dir: &Path, name: &str, stored: &Stored) -> Result<(), MailError> {
    if dir.join(FAIL_SWITCH).exists() {
        return Err(MailError::NotSent(format!("the outbox has a {FAIL_SWITCH} file")));
    }
    // Only the operation is named in errors, never the message or its address.
    let fail = |what: &str, e: io::Error| MailError::NotSent(format!("outbox: cannot {what}: {}", e.kind()));
    let bytes = serde_json::to_vec_pretty(stored).map_err(|e| MailError::NotSent(format!("outbox: cannot encode: {e}")))?;
    fs::create_dir_all(dir).map_err(|e| fail("create the folder", e))?;
    let tmp = dir.join(format!("{name}{TMP_EXTENSION}"));
    let written = fs::OpenOptions::new().write(true).create_new(true).open(&tmp).and_then(|mut f| f.write_all(&bytes));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    fs::rename(&tmp, dir.join(name)).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail("rename", e)
    })
}

/// Every message in `dir`, oldest first (file-name order). Unfinished `.tmp`
/// files and the `FAIL` switch are not messages; a missing folder is an empty outbox.
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
    names.sort();
    names.into_iter().map(|name| read_file(dir, name)).collect()
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
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// `<20 digits>-<digits>-<digits>`: the shape of [`file_name`] without the extension.
pub fn is_message_name(name: &str) -> bool {
    let number = |p: &str| (1..=20).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = name.split('-').collect();
    matches!(parts.as_slice(), [time, pid, seq] if time.len() == 20 && number(time) && number(pid) && number(seq))
}

fn read_file(dir: &Path, name: String) -> io::Result<OutboxMessage> {
    let bytes = fs::read(dir.join(&name))?;
    let stored: Stored =
        serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{name} is not an outbox message: {e}")))?;
    Ok(OutboxMessage {
        file: name,
        email: Email { to: stored.to, subject: stored.subject, text: stored.text, html: stored.html, ..Email::default() },
        sent_at: stored.sent_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    /// A fresh folder per test, so tests running in parallel never share an outbox.
    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ccg-outbox-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn email(n: usize) -> Email {
        Email {
            to: format!("person{n}@example.eu"),
            subject: format!("Message {n}"),
            text: format!("Hello {n},\nhttps://example.eu/confirm?n={n}\n"),
            html: format!("<p>Hello {n}</p>"),
            ..Email::default()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sends_and_reads_back_in_order() {
        let dir = temp_dir("order");
        let outbox = Outbox::new(dir.join("nested"));
        outbox.send(&email(1)).await.unwrap();
        outbox.send(&email(2)).await.unwrap();

        let messages = read_all(&dir.join("nested")).unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].email, email(1));
        assert_eq!(messages[1].email, email(2));
        assert!(messages[0].file < messages[1].file);
        for m in &messages {
            assert!(m.file.ends_with(".json"));
            m.sent_at.parse::<jiff::Timestamp>().expect("sent_at is RFC 3339");
        }
        let raw: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("nested").join(&messages[0].file)).unwrap()).unwrap();
        let keys: HashSet<&str> = raw.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, HashSet::from(["to", "subject", "text", "html", "sent_at"]));
        let stem = messages[1].file.strip_suffix(".json").unwrap();
        assert!(is_message_name(stem), "{stem}");
        assert_eq!(read_one(&dir.join("nested"), stem).unwrap().as_ref(), Some(&messages[1]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_names_the_outbox_writes_are_read() {
        for good in ["01767225600000000000-4242-0", "00000000000000000000-1-18446744073709551615"] {
            assert!(is_message_name(good), "{good}");
        }
        for bad in [
            "",
            "../x",
            "01767225600000000000-4242",
            "01767225600000000000-4242-0.json",
            "01767225600000000000-4242-0-1",
            "1767225600000000000-4242-0",
            "01767225600000000000--0",
            "01767225600000000000-4242-0/..",
            "01767225600000000000-+42-0",
        ] {
            assert!(!is_message_name(bad), "{bad}");
        }
        let dir = temp_dir("read-one");
        assert_eq!(read_one(&dir, "01767225600000000000-4242-0").unwrap(), None, "missing folder");
        assert_eq!(read_one(&dir, "../etc/passwd").unwrap(), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_sends_get_distinct_files() {
        let dir = temp_dir("concurrent");
        let outbox = Arc::new(Outbox::new(&dir));
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let outbox = outbox.clone();
                tokio::spawn(async move { outbox.send(&email(n)).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let messages = read_all(&dir).unwrap();
        assert_eq!(messages.len(), 50);
        let files: HashSet<&str> = messages.iter().map(|m| m.file.as_str()).collect();
        assert_eq!(files.len(), 50);
        let subjects: HashSet<&str> = messages.iter().map(|m| m.email.subject.as_str()).collect();
        assert_eq!(subjects.len(), 50, "no message overwrote another");
        assert!(fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_fail_switch_sends_nothing() {
        let dir = temp_dir("fail");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(FAIL_SWITCH), "").unwrap();
        let outbox = Outbox::new(&dir);
        let err = outbox.send(&email(1)).await.unwrap_err();
        assert!(matches!(err, MailError::NotSent(_)));
        assert!(!err.to_string().contains("person1"), "no address in the error");
        assert!(read_all(&dir).unwrap().is_empty());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "only the switch itself");

        fs::remove_file(dir.join(FAIL_SWITCH)).unwrap();
        outbox.send(&email(2)).await.unwrap();
        assert_eq!(read_all(&dir).unwrap().len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_empty_and_stray_files_are_ignored() {
        let dir = temp_dir("missing");
        assert!(read_all(&dir).unwrap().is_empty());

        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(FAIL_SWITCH), "").unwrap();
        fs::write(dir.join("00000000000000000001-1-0.json.tmp"), "{\"half").unwrap();
        assert!(read_all(&dir).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
