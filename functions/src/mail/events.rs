//! SES's events of the configuration set, as SNS hands them to the
//! mail-events function: an SNS event (`Records[].Sns.Message`) whose message
//! is SES's JSON (event publishing's `eventType`, or a notification's
//! `notificationType`). Decoding only; what an event means is
//! `decide::suppression`, what is kept `service::mail::record_event`.
//! The recipients' addresses are read only where an event may suppress
//! them (bounces, complaints) and never logged.

use ccg_forms::decide::suppression::Event;
use jiff::Timestamp;
use serde_json::Value;

/// One SES event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesEvent {
    pub kind: Event,
    /// The addresses that bounced or complained (empty for other events).
    pub recipients: Vec<String>,
    /// When SES saw it.
    pub at: Timestamp,
    /// SES's own words for it, no address: `Permanent/General`, `abuse`.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The text is not an SNS event, or its message not SES's JSON. Names what is missing, never a value.
    #[error("not an SES event: {0}")]
    Unreadable(&'static str),
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

fn addresses(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array).map(|a| a.iter().filter_map(|r| r.get("emailAddress")?.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// One SES message (the SNS message's text).
pub fn decode_message(message: &str) -> Result<SesEvent, EventError> {
    let v: Value = serde_json::from_str(message).map_err(|_| EventError::Unreadable("the message is not JSON"))?;
    let kind_text = text(&v, &["eventType"]).or_else(|| text(&v, &["notificationType"])).ok_or(EventError::Unreadable("no eventType"))?;
    let bounce_type = text(&v, &["bounce", "bounceType"]);
    let kind = Event::of(kind_text, bounce_type);
    let (recipients, detail, at) = match kind {
        Event::Bounce { .. } => (
            addresses(v.pointer("/bounce/bouncedRecipients")),
            format!("{}/{}", bounce_type.unwrap_or("-"), text(&v, &["bounce", "bounceSubType"]).unwrap_or("-")),
            text(&v, &["bounce", "timestamp"]),
        ),
        Event::Complaint => (
            addresses(v.pointer("/complaint/complainedRecipients")),
            text(&v, &["complaint", "complaintFeedbackType"]).unwrap_or("-").to_string(),
            text(&v, &["complaint", "timestamp"]),
        ),
        _ => (Vec::new(), kind_text.to_string(), None),
    };
    let at = at.or_else(|| text(&v, &["mail", "timestamp"])).ok_or(EventError::Unreadable("no timestamp"))?;
    let at = at.parse().map_err(|_| EventError::Unreadable("a timestamp that does not read"))?;
    if matches!(kind, Event::Bounce { .. } | Event::Complaint) && recipients.is_empty() {
        return Err(EventError::Unreadable("a bounce or complaint without recipients"));
    }
    Ok(SesEvent { kind, recipients, at, detail })
}

/// Every SES message of an SNS event delivered to a Lambda function, each decoded on its own.
pub fn decode_sns(event: &Value) -> Result<Vec<Result<SesEvent, EventError>>, EventError> {
    let records = event.get("Records").and_then(Value::as_array).ok_or(EventError::Unreadable("no Records"))?;
    Ok(records.iter().map(|r| text(r, &["Sns", "Message"]).ok_or(EventError::Unreadable("a record without Sns.Message")).and_then(decode_message)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SNS event as Lambda receives it, around one SES message.
    fn sns(message: &str) -> Value {
        serde_json::json!({"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:eu-central-1:123456789012:ccg-mail-events:0b8e3c5e-1d0f-4b57-9a86-2b3c4d5e6f70",
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": "arn:aws:sns:eu-central-1:123456789012:ccg-mail-events",
                "Subject": null,
                "Message": message,
                "Timestamp": "2027-03-01T10:00:02.000Z",
                "SignatureVersion": "1",
                "MessageAttributes": {}
            }
        }]})
    }

    // Shaped as SES's event publishing writes them (the examples of "Examples of event data that Amazon SES publishes to Amazon SNS").
    const HARD_BOUNCE: &str = r#"{"eventType":"Bounce","bounce":{"feedbackId":"0102017e-aaaa","bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"ana.lopez@valladolid.es","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2027-03-01T10:00:01.123Z","reportingMTA":"dns; email.example.com"},"mail":{"timestamp":"2027-03-01T10:00:00.000Z","source":"ccg@example.eu","sourceArn":"arn:aws:ses:eu-central-1:123456789012:identity/ccg@example.eu","sendingAccountId":"123456789012","messageId":"0102017e-bbbb","destination":["ana.lopez@valladolid.es"],"headersTruncated":false,"tags":{"ses:configuration-set":["ccg-mail"]}}}"#;
    const SOFT_BOUNCE: &str = r#"{"eventType":"Bounce","bounce":{"feedbackId":"0102017e-cccc","bounceType":"Transient","bounceSubType":"MailboxFull","bouncedRecipients":[{"emailAddress":"bob@example.org","action":"failed","status":"4.2.2"}],"timestamp":"2027-03-01T11:00:00.000Z"},"mail":{"timestamp":"2027-03-01T10:59:59.000Z","source":"ccg@example.eu","messageId":"0102017e-dddd","destination":["bob@example.org"]}}"#;
    const COMPLAINT: &str = r#"{"eventType":"Complaint","complaint":{"feedbackId":"0102017e-eeee","complaintSubType":null,"complainedRecipients":[{"emailAddress":"Eva@Example.org"}],"timestamp":"2027-03-02T09:30:00.000Z","userAgent":"Mozilla/5.0","complaintFeedbackType":"abuse","arrivalDate":"2027-03-02T09:29:00.000Z"},"mail":{"timestamp":"2027-03-01T08:00:00.000Z","source":"ccg@example.eu","messageId":"0102017e-ffff","destination":["Eva@Example.org"]}}"#;
    const DELIVERY: &str = r#"{"eventType":"Delivery","mail":{"timestamp":"2027-03-01T10:00:00.000Z","source":"ccg@example.eu","messageId":"0102017e-1111","destination":["ana.lopez@valladolid.es"]},"delivery":{"timestamp":"2027-03-01T10:00:01.500Z","processingTimeMillis":1500,"recipients":["ana.lopez@valladolid.es"],"smtpResponse":"250 2.6.0 Message received","reportingMTA":"a8-70.smtp-out.amazonses.com"}}"#;
    const SEND: &str = r#"{"eventType":"Send","mail":{"timestamp":"2027-03-01T10:00:00.000Z","source":"ccg@example.eu","messageId":"0102017e-2222","destination":["ana.lopez@valladolid.es"]},"send":{}}"#;
    /// A classic notification (identity notifications): `notificationType`.
    const NOTIFICATION: &str = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"Suppressed","bouncedRecipients":[{"emailAddress":"ana.lopez@valladolid.es"}],"timestamp":"2027-03-03T10:00:00.000Z"},"mail":{"timestamp":"2027-03-03T09:59:59.000Z","source":"ccg@example.eu","destination":["ana.lopez@valladolid.es"]}}"#;

    fn one(message: &str) -> SesEvent {
        let mut all = decode_sns(&sns(message)).unwrap();
        assert_eq!(all.len(), 1);
        all.remove(0).unwrap()
    }

    #[test]
    fn a_hard_bounce_names_its_recipient_and_kind() {
        let e = one(HARD_BOUNCE);
        assert_eq!(e.kind, Event::Bounce { permanent: true });
        assert_eq!(e.recipients, ["ana.lopez@valladolid.es"]);
        assert_eq!(e.at, "2027-03-01T10:00:01.123Z".parse::<Timestamp>().unwrap());
        assert_eq!(e.detail, "Permanent/General");
        let n = one(NOTIFICATION);
        assert_eq!((n.kind, n.detail.as_str()), (Event::Bounce { permanent: true }, "Permanent/Suppressed"));
    }

    #[test]
    fn soft_bounces_complaints_and_the_rest() {
        let soft = one(SOFT_BOUNCE);
        assert_eq!((soft.kind, soft.detail.as_str()), (Event::Bounce { permanent: false }, "Transient/MailboxFull"));
        let c = one(COMPLAINT);
        assert_eq!((c.kind, c.recipients.clone(), c.detail.as_str()), (Event::Complaint, vec!["Eva@Example.org".to_string()], "abuse"));
        assert_eq!(c.at, "2027-03-02T09:30:00Z".parse::<Timestamp>().unwrap());
        for (m, kind) in [(DELIVERY, Event::Delivery), (SEND, Event::Send)] {
            let e = one(m);
            assert_eq!(e.kind, kind);
            assert!(e.recipients.is_empty(), "an address is read only where it may be suppressed");
            assert_eq!(e.at, "2027-03-01T10:00:00Z".parse::<Timestamp>().unwrap());
        }
    }

    #[test]
    fn what_does_not_read_says_what_is_missing_and_no_value() {
        assert_eq!(decode_sns(&serde_json::json!({"foo": 1})).unwrap_err(), EventError::Unreadable("no Records"));
        let bad = decode_sns(&sns("not json")).unwrap();
        assert_eq!(bad, [Err(EventError::Unreadable("the message is not JSON"))]);
        let no_one = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[],"timestamp":"2027-03-02T09:30:00Z"},"mail":{"timestamp":"2027-03-02T09:00:00Z"}}"#;
        assert_eq!(decode_message(no_one).unwrap_err(), EventError::Unreadable("a bounce or complaint without recipients"));
        let e =
            decode_message(r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"x@y.eu"}],"timestamp":"then"}}"#);
        assert!(!e.unwrap_err().to_string().contains("x@y.eu"));
    }
}
