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

pub struct OutboxMessage {
    pub file: String,
    pub email: Email,
    pub sent_at: String,
}

pub fn read_all(dir: &std::path::Path) -> std::io::Result<Vec<OutboxMessage>> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(r) => r.flatten().map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n.ends_with(".json")).collect(),
        Err(_) => return Ok(Vec::new()),
    };
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(&n))?)?;
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        out.push(OutboxMessage { file: n.clone(), email: Email { to: s("to"), subject: s("subject"), text: s("text"), html: s("html") }, sent_at: s("sent_at") });
    }
    Ok(out)
}
