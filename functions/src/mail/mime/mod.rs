//! A message as MIME (RFC 2045-2049 on RFC 5322), for SES's raw sends: what
//! a message with attachments or headers of its own needs.
//!
//! The shape is the one calendar apps expect of an invitation (iMIP, RFC
//! 6047, as Gmail and Outlook send it): `multipart/mixed` holding a
//! `multipart/alternative` (the text, the HTML, and each `text/calendar`
//! attachment again, inline) and then the attachments. Text parts are
//! quoted-printable, others base64; every line ends in CRLF and none is over
//! 76 characters (the headers' over 998). Pure: no clock, no randomness.

mod encode;

use super::Email;
use encode::{base64_lines, encoded_words, quoted_printable};
use std::fmt::Write as _;

/// Boundaries start with `=_`, which neither quoted-printable nor base64 can
/// produce, so no body can hold one, whatever it says.
const MIXED: &str = "=_ccg_mixed";
const ALTERNATIVE: &str = "=_ccg_alternative";

/// The longest header line RFC 5322 allows, without its CRLF.
const MAX_HEADER_LINE: usize = 998;

/// Headers this module writes itself: an extra header may not say them again.
const OWN_HEADERS: [&str; 11] =
    ["from", "to", "cc", "bcc", "subject", "date", "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "message-id"];

/// Why a message cannot be written; it names the header or attachment, never the message's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MimeError {
    #[error("the header {0:?} cannot be sent (not a header name, a header this mailer writes, a line break in its value, or too long)")]
    Header(String),
    #[error("the address cannot be sent (not 7-bit, or a line break in it)")]
    Address,
    #[error("an attachment's name or type cannot be sent (not printable ASCII, or a quote in it)")]
    Attachment,
}

/// The whole message: `From`, `To`, `Subject` (RFC 2047 encoded-words when it
/// is not plain ASCII), `Date`, the extra headers, then the body.
pub fn message(from: &str, email: &Email, date: jiff::Timestamp) -> Result<Vec<u8>, MimeError> {
    let mut out = String::with_capacity(2 * (email.text.len() + email.html.len()) + 1024);
    let _ = write!(out, "From: {}\r\n", from_header(from)?);
    if !is_header_text(&email.to) || !email.to.is_ascii() {
        return Err(MimeError::Address);
    }
    let _ = write!(out, "To: {}\r\n", email.to.trim());
    let _ = write!(out, "Subject: {}\r\n", unstructured(&email.subject));
    let _ = write!(out, "Date: {}\r\n", date.strftime("%a, %d %b %Y %H:%M:%S +0000"));
    out.push_str("MIME-Version: 1.0\r\n");
    for (name, value) in &email.headers {
        let bad = || MimeError::Header(name.clone());
        let valid_name = !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
        if !valid_name || OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) || !is_header_text(value) {
            return Err(bad());
        }
        // Most extra headers are structured (List-Unsubscribe is a list of URLs): ASCII stays as it is.
        let line = if value.is_ascii() { format!("{name}: {value}") } else { format!("{name}: {}", encoded_words(value)) };
        if line.len() > MAX_HEADER_LINE && value.is_ascii() {
            return Err(bad());
        }
        out.push_str(&line);
        out.push_str("\r\n");
    }
    for a in &email.attachments {
        let printable = |s: &str| !s.is_empty() && s.bytes().all(|b| (32..=126).contains(&b) && b != b'"' && b != b'\\');
        if !printable(&a.filename) || !printable(&a.content_type) {
            return Err(MimeError::Attachment);
        }
    }
    if email.attachments.is_empty() {
        alternative(&mut out, email);
    } else {
        let _ = write!(out, "Content-Type: multipart/mixed; boundary=\"{MIXED}\"\r\n\r\n--{MIXED}\r\n");
        alternative(&mut out, email);
        for a in &email.attachments {
            let _ = write!(
                out,
                "\r\n--{MIXED}\r\nContent-Type: {};\r\n name=\"{name}\"\r\nContent-Disposition: attachment;\r\n filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}",
                a.content_type,
                base64_lines(&a.body),
                name = a.filename,
            );
        }
        let _ = write!(out, "\r\n--{MIXED}--\r\n");
    }
    Ok(out.into_bytes())
}

/// The text, the HTML and the calendar objects (inline, as iMIP asks), from plainest to richest.
fn alternative(out: &mut String, email: &Email) {
    let _ = write!(out, "Content-Type: multipart/alternative; boundary=\"{ALTERNATIVE}\"\r\n\r\n");
    for (ctype, body) in [("text/plain", &email.text), ("text/html", &email.html)] {
        let _ = write!(
            out,
            "--{ALTERNATIVE}\r\nContent-Type: {ctype}; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n",
            quoted_printable(body)
        );
    }
    for a in email.attachments.iter().filter(|a| is_calendar(&a.content_type)) {
        let _ = write!(out, "--{ALTERNATIVE}\r\nContent-Type: {}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n", a.content_type, base64_lines(&a.body));
    }
    let _ = write!(out, "--{ALTERNATIVE}--\r\n");
}

fn is_calendar(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("text/calendar"))
}

/// No line break or other control character (a tab is folding whitespace, allowed).
fn is_header_text(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\t')
}

/// The subject (an unstructured header): as it is when it is short printable
/// ASCII and cannot be read as an encoded-word, else encoded-words.
fn unstructured(value: &str) -> String {
    let plain = value.bytes().all(|b| (32..=126).contains(&b)) && !value.contains("=?") && value.len() <= 900;
    if plain { value.to_string() } else { encoded_words(value) }
}

/// `Name <address>` with the name encoded when it is not ASCII; a bare address as it is.
fn from_header(from: &str) -> Result<String, MimeError> {
    if !is_header_text(from) {
        return Err(MimeError::Header("From".into()));
    }
    match from.rsplit_once('<') {
        Some((name, address)) if !name.is_ascii() => {
            if !address.is_ascii() {
                return Err(MimeError::Address);
            }
            Ok(format!("{} <{address}", encoded_words(name.trim())))
        }
        _ if from.is_ascii() => Ok(from.trim().to_string()),
        _ => Err(MimeError::Address),
    }
}

#[cfg(test)]
mod tests;
