//! Each message is read back by an independent parser (`mail-parser`), and
//! its lines are checked against the limits by hand.

use super::*;
use crate::mail::Attachment;
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

const FROM: &str = "City Coordinators Group <hello@ccg.example.eu>";
const ICS: &str = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev-1@ccg.example.eu\r\nSUMMARY:Atelier à Lisboa\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn date() -> jiff::Timestamp {
    "2027-02-10T08:00:00Z".parse().unwrap()
}

fn invitation() -> Email {
    Email {
        to: "ana@example.org".into(),
        subject: "Convite: Atelier à Lisboa, 16 de março — “co-creation” meeting of the City Coordinators Group".into(),
        text: format!("Olá Ana,\n\nyou are invited. {}\r\nA = B, and a line that ends in a space \nThe end.\n", "Long line é ".repeat(20)),
        html: "<p>Olá Ana,</p>\n<p>you are invited: <a href=\"https://ccg.example.eu/calendar/ev-1/\">the meeting</a>.</p>\n".into(),
        attachments: vec![Attachment {
            filename: "invite.ics".into(),
            content_type: "text/calendar; charset=UTF-8; method=REQUEST".into(),
            body: ICS.as_bytes().to_vec(),
        }],
        headers: vec![
            ("List-Unsubscribe".into(), "<https://ccg.example.eu/leave/?t=abc123>".into()),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
        ],
        id: Some("invitation/ev-1/0/pk_1".into()),
    }
}

/// CRLF only, 7-bit, header lines within 998 characters and body lines within 76.
fn assert_wire_format(raw: &[u8]) {
    assert!(raw.is_ascii(), "8-bit data in the message");
    let text = std::str::from_utf8(raw).unwrap();
    assert!(!text.replace("\r\n", "").contains(['\r', '\n']), "a bare CR or LF");
    let (head, body) = text.split_once("\r\n\r\n").expect("a blank line after the headers");
    assert!(head.split("\r\n").all(|l| l.len() <= 998), "{head}");
    for line in body.split("\r\n") {
        assert!(line.len() <= 76, "a body line of {}: {line:?}", line.len());
    }
}

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default().parse(raw).expect("the message parses")
}

fn ctype(part: &MessagePart<'_>) -> String {
    let c = part.content_type().expect("a content type");
    format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase()
}

/// Every part's type, depth first, as `multipart/mixed`, `text/plain`, ...
fn shape(m: &Message<'_>) -> Vec<String> {
    m.parts.iter().map(ctype).collect()
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

#[test]
fn an_invitation_reads_back_part_by_part() {
    let email = invitation();
    let raw = message(FROM, &email, date()).unwrap();
    assert_wire_format(&raw);
    let m = parse(&raw);
    assert_eq!(m.subject(), Some(email.subject.as_str()));
    assert_eq!(m.to().and_then(|a| a.first()).and_then(|a| a.address()), Some("ana@example.org"));
    let from = m.from().and_then(|a| a.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("City Coordinators Group"), Some("hello@ccg.example.eu")));
    assert_eq!(m.date().map(|d| d.to_rfc3339()), Some("2027-02-10T08:00:00Z".to_string()));
    assert_eq!(m.header_raw("List-Unsubscribe").map(str::trim), Some("<https://ccg.example.eu/leave/?t=abc123>"));
    assert_eq!(m.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
    assert_eq!(m.header_raw("MIME-Version").map(str::trim), Some("1.0"));

    // mixed( alternative( text, html, calendar ), attachment )
    assert_eq!(shape(&m), ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar", "text/calendar"]);
    let root = m.root_part();
    assert_eq!(ctype(root), "multipart/mixed");
    let PartType::Multipart(children) = &root.body else { panic!("a multipart root") };
    assert_eq!(children.len(), 2);
    let alternative = &m.parts[children[0] as usize];
    assert_eq!(ctype(alternative), "multipart/alternative");
    let PartType::Multipart(versions) = &alternative.body else { panic!("a multipart alternative") };
    let kinds: Vec<String> = versions.iter().map(|i| ctype(&m.parts[*i as usize])).collect();
    assert_eq!(kinds, ["text/plain", "text/html", "text/calendar"]);
    assert_eq!(m.parts[versions[0] as usize].text_contents(), Some(crlf(&email.text).as_str()));
    assert_eq!(m.parts[versions[1] as usize].text_contents(), Some(crlf(&email.html).as_str()));
    let inline = &m.parts[versions[2] as usize];
    assert_eq!(inline.content_type().and_then(|c| c.attribute("method")), Some("REQUEST"));
    assert_eq!(inline.contents(), ICS.as_bytes());
    assert!(inline.content_disposition().is_none(), "the calendar is inline in the alternative");

    let attached = &m.parts[children[1] as usize];
    assert_eq!(ctype(attached), "text/calendar");
    assert_eq!(attached.attachment_name(), Some("invite.ics"));
    assert_eq!(attached.content_disposition().map(|d| d.ctype()), Some("attachment"));
    assert_eq!(attached.content_type().and_then(|c| c.attribute("method")), Some("REQUEST"));
    assert_eq!(attached.contents(), ICS.as_bytes());
}

#[test]
fn headers_without_attachments_are_an_alternative() {
    let email = Email { attachments: Vec::new(), subject: "Plain subject".into(), ..invitation() };
    let raw = message(FROM, &email, date()).unwrap();
    assert_wire_format(&raw);
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(text.contains("\r\nSubject: Plain subject\r\n"), "ASCII stays readable");
    let m = parse(&raw);
    assert_eq!(shape(&m), ["multipart/alternative", "text/plain", "text/html"]);
    assert_eq!(m.body_text(0).as_deref(), Some(crlf(&email.text).as_str()));
    assert_eq!(m.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
}

#[test]
fn a_body_cannot_end_its_part() {
    let sneaky = format!("a\n--{ALTERNATIVE}--\n--{MIXED}\nContent-Type: text/html\n\n<b>x</b>\n");
    let email = Email { text: sneaky.clone(), html: sneaky.clone(), ..invitation() };
    let raw = message(FROM, &email, date()).unwrap();
    let m = parse(&raw);
    assert_eq!(m.body_text(0).as_deref(), Some(crlf(&sneaky).as_str()));
    assert_eq!(m.body_html(0).as_deref(), Some(crlf(&sneaky).as_str()));
    assert_eq!(shape(&m), ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar", "text/calendar"]);
    // A calendar attachment with a boundary in it is base64: it cannot either.
    let email = Email { attachments: vec![Attachment { body: sneaky.clone().into_bytes(), ..invitation().attachments[0].clone() }], ..invitation() };
    let m = parse(&message(FROM, &email, date()).unwrap()).into_owned();
    assert_eq!(m.attachment(0).map(|a| a.contents().to_vec()), Some(sneaky.into_bytes()));
}

#[test]
fn quoted_printable_lines_and_bytes() {
    let qp = encode::quoted_printable(&format!("{}\nend \t\nA=B", "é".repeat(40)));
    for line in qp.split("\r\n") {
        assert!(line.len() <= 76, "{line}");
    }
    assert!(qp.starts_with("=C3=A9=C3=A9"), "{qp}");
    assert!(qp.contains("\r\nend =09\r\nA=3DB"), "a tab at a line's end is encoded, a space before it is not: {qp}");
    // Exactly 76 characters fit on a line; one more makes a soft break.
    assert_eq!(encode::quoted_printable(&"a".repeat(76)), "a".repeat(76));
    assert_eq!(encode::quoted_printable(&"a".repeat(77)), format!("{}=\r\naa", "a".repeat(75)));
    assert_eq!(encode::base64_lines(&[0u8; 114]).split("\r\n").map(str::len).collect::<Vec<_>>(), [76, 76]);
}

#[test]
fn encoded_words_hold_whole_characters() {
    let subject = "老虎".repeat(30);
    let words = encode::encoded_words(&subject);
    for line in words.split("\r\n") {
        assert!(line.trim_start().len() <= 75, "{line}");
    }
    let email = Email { subject: subject.clone(), ..invitation() };
    let raw = message(FROM, &email, date()).unwrap();
    assert_eq!(parse(&raw).subject(), Some(subject.as_str()));
    // ASCII that reads like an encoded-word is encoded, so it reads back as written.
    let email = Email { subject: "=?UTF-8?B?eA==?=".into(), ..invitation() };
    assert_eq!(parse(&message(FROM, &email, date()).unwrap()).subject(), Some("=?UTF-8?B?eA==?="));
    let from = message("Cidade de São Paulo <sp@example.org>", &invitation(), date()).unwrap();
    assert_eq!(parse(&from).from().and_then(|a| a.first()).and_then(|a| a.name()), Some("Cidade de São Paulo"));
}

#[test]
fn what_cannot_be_sent_is_refused() {
    let with_header = |name: &str, value: &str| Email { headers: vec![(name.into(), value.into())], ..invitation() };
    for (name, value) in [
        ("List-Unsubscribe", "<https://x>\r\nBcc: eve@example.org"),
        ("List-Unsubscribe", "a\nb"),
        ("Content-Type", "text/html"),
        ("bcc", "eve@example.org"),
        ("Bad Name", "x"),
        ("Bad:Name", "x"),
        ("", "x"),
    ] {
        assert_eq!(message(FROM, &with_header(name, value), date()), Err(MimeError::Header(name.into())), "{name}: {value:?}");
    }
    // "X-Long: " and 990 characters make the longest line allowed, 998.
    assert!(message(FROM, &with_header("X-Long", &"a".repeat(990)), date()).is_ok());
    assert_eq!(message(FROM, &with_header("X-Long", &"a".repeat(991)), date()), Err(MimeError::Header("X-Long".into())));
    // A long subject is folded into encoded-words rather than refused.
    let long = Email { subject: "a".repeat(1200), ..invitation() };
    assert_eq!(parse(&message(FROM, &long, date()).unwrap()).subject(), Some(long.subject.as_str()));
    assert_eq!(message(FROM, &Email { to: "ana@example.org\r\nBcc: eve@example.org".into(), ..invitation() }, date()), Err(MimeError::Address));
    let attachment = |filename: &str, content_type: &str| Email {
        attachments: vec![Attachment { filename: filename.into(), content_type: content_type.into(), body: vec![1] }],
        ..invitation()
    };
    for (filename, content_type) in
        [("in\"vite.ics", "text/calendar"), ("invite.ics", "text/calendar\r\nX: 1"), ("", "text/plain"), ("café.ics", "text/calendar")]
    {
        assert_eq!(message(FROM, &attachment(filename, content_type), date()), Err(MimeError::Attachment), "{filename:?} {content_type:?}");
    }
    // A non-ASCII header value is encoded, not refused.
    let raw = message(FROM, &with_header("X-Note", "Olá"), date()).unwrap();
    // (The parser leaves an unknown header as it came: the encoded-word is decoded here.)
    let note = parse(&raw).header("X-Note").and_then(|h| h.as_text()).unwrap().to_string();
    let encoded = note.strip_prefix("=?UTF-8?B?").and_then(|w| w.strip_suffix("?=")).expect("an encoded-word");
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap(), "Olá".as_bytes());
}
