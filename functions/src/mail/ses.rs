//! The production mailer: Amazon SES (API v2), one `SendEmail` per message:
//! SES's simple content for text and HTML alone, the raw MIME of `mime` for a
//! message with attachments or headers of its own (an invitation).
//!
//! Settings come from the environment: `CCG_MAIL_FROM` (required, a verified
//! SES identity) and `CCG_SES_CONFIGURATION_SET` (optional; empty means none).
//! Errors carry the SES error code only: a service message may quote the
//! request, and logs carry no personal data.

use super::{Email, MailError, Mailer, SendFuture};
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::timeout::TimeoutConfig;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, RawMessage};
use std::time::Duration;

pub const FROM_VAR: &str = "CCG_MAIL_FROM";
pub const CONFIGURATION_SET_VAR: &str = "CCG_SES_CONFIGURATION_SET";

const CHARSET: &str = "UTF-8";

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> SesMailer {
        SesMailer { client, from: from.into(), configuration_set }
    }

    /// Reads the settings and builds the SDK client (region and credentials
    /// from the usual AWS sources), failing early on a missing sender so a
    /// misconfigured function says so at start rather than at the first form.
    pub async fn from_env() -> Result<SesMailer, String> {
        let (from, configuration_set) = settings(std::env::var(FROM_VAR).ok(), std::env::var(CONFIGURATION_SET_VAR).ok())?;
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts()).load().await;
        Ok(SesMailer::new(Client::new(&conf), from, configuration_set))
    }
}

/// Kept apart from `from_env` so it can be tested without touching the
/// process environment, which every test thread shares.
fn settings(from: Option<String>, configuration_set: Option<String>) -> Result<(String, Option<String>), String> {
    let from = from.map(|f| f.trim().to_string()).filter(|f| !f.is_empty());
    let Some(from) = from else {
        return Err(format!("{FROM_VAR} is not set: it must name the sender address (a verified SES identity)"));
    };
    let configuration_set = configuration_set.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Ok((from, configuration_set))
}

/// Short enough that a slow SES is an answer within the function's own time
/// limit; the submission is already stored, so the person can ask again.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .operation_attempt_timeout(Duration::from_millis(1500))
        .operation_timeout(Duration::from_millis(3000))
        .build()
}

fn content(data: &str) -> Result<Content, MailError> {
    Content::builder().data(data).charset(CHARSET).build().map_err(|_| MailError::NotSent("SES request could not be built".into()))
}

/// What SES is asked to send: the simple form when it can say all of the message.
fn email_content(from: &str, email: &Email, now: jiff::Timestamp) -> Result<EmailContent, MailError> {
    if email.attachments.is_empty() && email.headers.is_empty() {
        let message =
            Message::builder().subject(content(&email.subject)?).body(Body::builder().text(content(&email.text)?).html(content(&email.html)?).build()).build();
        return Ok(EmailContent::builder().simple(message).build());
    }
    let raw = super::mime::message(from, email, now).map_err(|e| MailError::NotSent(e.to_string()))?;
    let raw = RawMessage::builder().data(Blob::new(raw)).build().map_err(|_| MailError::NotSent("SES request could not be built".into()))?;
    Ok(EmailContent::builder().raw(raw).build())
}

impl Mailer for SesMailer {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            let content = email_content(&self.from, email, jiff::Timestamp::now())?;
            self.client
                .send_email()
                .from_email_address(&self.from)
                .destination(Destination::builder().to_addresses(&email.to).build())
                .content(content)
                .set_configuration_set_name(self.configuration_set.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(sdk_err)
        })
    }
}

fn sdk_err<E: ProvideErrorMetadata, R>(e: SdkError<E, R>) -> MailError {
    let why = match &e {
        SdkError::TimeoutError(_) => "SES did not answer in time".to_string(),
        SdkError::DispatchFailure(_) => "SES cannot be reached".to_string(),
        SdkError::ResponseError(_) => "SES sent an unreadable answer".to_string(),
        // The code only: the message of e.g. a rejected address quotes the address.
        SdkError::ServiceError(s) => format!("SES refused the message ({})", s.err().code().unwrap_or("unknown")),
        _ => "SES request could not be built".to_string(),
    };
    MailError::NotSent(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_is_required() {
        let err = settings(None, None).unwrap_err();
        assert!(err.contains(FROM_VAR), "{err}");
        assert!(settings(Some("  ".into()), Some("set".into())).unwrap_err().contains(FROM_VAR));
    }

    #[test]
    fn an_empty_configuration_set_is_none() {
        let from = Some("CCG <hello@example.eu>".to_string());
        assert_eq!(settings(from.clone(), None).unwrap(), ("CCG <hello@example.eu>".into(), None));
        assert_eq!(settings(from.clone(), Some(String::new())).unwrap().1, None);
        assert_eq!(settings(from, Some("ccg-mail".into())).unwrap().1, Some("ccg-mail".into()));
    }

    #[test]
    fn attachments_or_headers_go_raw() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let plain = Email { to: "ana@example.eu".into(), subject: "S".into(), text: "T".into(), html: "<p>T</p>".into(), ..Email::default() };
        let simple = email_content("hello@example.eu", &plain, now).unwrap();
        assert!(simple.simple().is_some() && simple.raw().is_none());
        let with_header = Email { headers: vec![("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into())], ..plain.clone() };
        let raw = email_content("hello@example.eu", &with_header, now).unwrap();
        let bytes = raw.raw().expect("a raw message").data().as_ref();
        assert_eq!(bytes, super::super::mime::message("hello@example.eu", &with_header, now).unwrap());
        let with_file = Email {
            attachments: vec![super::super::Attachment { filename: "a.ics".into(), content_type: "text/calendar".into(), body: b"x".to_vec() }],
            ..plain
        };
        assert!(email_content("hello@example.eu", &with_file, now).unwrap().raw().is_some());
        let refused = Email { headers: vec![("Bcc".into(), "eve@example.eu".into())], ..with_header };
        let MailError::NotSent(why) = email_content("hello@example.eu", &refused, now).unwrap_err();
        assert!(why.contains("Bcc") && !why.contains("eve@"), "{why}");
    }

    #[test]
    fn errors_name_the_code_not_the_request() {
        use aws_sdk_sesv2::error::ErrorMetadata;
        use aws_sdk_sesv2::operation::send_email::SendEmailError;
        use aws_sdk_sesv2::types::error::MessageRejected;
        let quoted = "Email address is not verified: ana@example.eu";
        let rejected = MessageRejected::builder().message(quoted).meta(ErrorMetadata::builder().code("MessageRejected").message(quoted).build()).build();
        let err = SdkError::<SendEmailError, ()>::service_error(SendEmailError::MessageRejected(rejected), ());
        let MailError::NotSent(why) = sdk_err(err);
        assert_eq!(why, "SES refused the message (MessageRejected)");
    }
}
