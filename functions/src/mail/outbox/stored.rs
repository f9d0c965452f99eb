//! An outbox file's JSON: `{"to", "subject", "text", "html", "sent_at"}`
//! (`sent_at` in RFC 3339), plus, when the message has them, `"order"`,
//! `"id"`, `"headers"` (`[[name, value], ...]`) and `"attachments"`
//! (`[{"filename", "content_type", "base64"}]`). Files written before these
//! keys existed still read.

use super::super::{Attachment, Email};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub sent_at: String,
    /// When the file's name does not say when it was sent (a message with an
    /// id): the name a message without one would have had, to sort by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<StoredAttachment>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct StoredAttachment {
    pub filename: String,
    pub content_type: String,
    pub base64: String,
}

impl Stored {
    pub fn new(email: &Email, sent_at: String, order: Option<String>) -> Stored {
        Stored {
            to: email.to.clone(),
            subject: email.subject.clone(),
            text: email.text.clone(),
            html: email.html.clone(),
            sent_at,
            order,
            id: email.id.clone(),
            headers: email.headers.clone(),
            attachments: email
                .attachments
                .iter()
                .map(|a| StoredAttachment { filename: a.filename.clone(), content_type: a.content_type.clone(), base64: B64.encode(&a.body) })
                .collect(),
        }
    }

    /// The message, or what is wrong with an attachment's body.
    pub fn into_email(self) -> Result<Email, base64::DecodeError> {
        let attachments = self
            .attachments
            .into_iter()
            .map(|a| Ok(Attachment { filename: a.filename, content_type: a.content_type, body: B64.decode(a.base64)? }))
            .collect::<Result<_, base64::DecodeError>>()?;
        Ok(Email { to: self.to, subject: self.subject, text: self.text, html: self.html, attachments, headers: self.headers, id: self.id })
    }
}
