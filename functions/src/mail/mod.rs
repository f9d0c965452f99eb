//! Email: one small trait, like the store. In AWS, Amazon SES (`ses`); in the
//! preview and the tests, an outbox folder of files (`outbox`) that `serve`
//! shows at `/_outbox/`. The service layer writes the messages; a mailer only
//! delivers them.

pub mod events;
pub mod mime;
pub mod outbox;
#[cfg(feature = "ses")]
pub mod ses;

use std::future::Future;
use std::pin::Pin;

/// A file sent with a message, e.g. an invitation's `invite.ics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// The full MIME type with its parameters; for an invitation
    /// `text/calendar; charset=UTF-8; method=REQUEST` (or `CANCEL`): see `ccg_calendar::Method::content_type`.
    pub content_type: String,
    pub body: Vec<u8>,
}

/// One message: plain text plus a simple HTML part, in the site's words, no tracking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Files sent with the message (an invitation's `invite.ics`).
    pub attachments: Vec<Attachment>,
    /// Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
    pub headers: Vec<(String, String)>,
    /// A stable id of this message (e.g. "invitation/<event>/<seq>/<person key>"): the outbox keeps one file per id,
    /// so sending the same id twice delivers it once (how a resumed invitation round proves "exactly once").
    /// SES keeps no such record: in AWS the caller's store must know what was sent.
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Not sent; the caller keeps the submission and says so (the person can ask for the link again).
    #[error("the email could not be sent: {0}")]
    NotSent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Delivers one message. Object-safe, so the edges hold an `Arc<dyn Mailer>`.
pub trait Mailer: Send + Sync + 'static {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a>;
}
