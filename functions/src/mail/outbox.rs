//! (temporary: replaced by the outbox being written on branch wt-mail)
use super::{Email, MailError, Mailer, SendFuture};
use std::path::PathBuf;

pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }
}

impl Mailer for Outbox {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            std::fs::create_dir_all(&self.dir).map_err(|e| MailError::NotSent(e.to_string()))?;
            let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let v = serde_json::json!({"to": email.to, "subject": email.subject, "text": email.text, "html": email.html});
            std::fs::write(self.dir.join(format!("{n:020}.json")), v.to_string()).map_err(|e| MailError::NotSent(e.to_string()))
        })
    }
}
