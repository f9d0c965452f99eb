//! Addresses that get no more email: what SES tells of a message (an event
//! of the configuration set: a send, a delivery, a bounce, a complaint) and
//! whether it suppresses its recipients (`judge`); whether an email may go to
//! an address given what the store keeps of it (`may_email`). A permanent
//! bounce or a complaint suppresses; a transient bounce (a full mailbox, a
//! server that was down) does not: the next email may well arrive.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Its mail server said it does not exist (or takes no mail), for good.
    Bounce,
    /// Its owner marked one of our emails as unwanted.
    Complaint,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Bounce => "bounce",
            Reason::Complaint => "complaint",
        }
    }
}

/// What the store keeps of a suppressed address (under a keyed hash of it,
/// never the address): why, since when, and, when it was a contact's, their
/// person key (the hash the desk's addresses name a person by) so the desk
/// can link to them. A stranger's address leaves no unkeyed hash behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub reason: Reason,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

/// The kind of an SES event, as far as suppression goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Send,
    Delivery,
    Reject,
    /// SES's `bounceType`: `Permanent`, `Transient` or `Undetermined`.
    Bounce {
        permanent: bool,
    },
    Complaint,
    /// Opens, clicks, delays, subscriptions: none are asked for.
    Other,
}

impl Event {
    /// From SES's `eventType` (event publishing) or `notificationType`, and a bounce's `bounceType`.
    pub fn of(event_type: &str, bounce_type: Option<&str>) -> Event {
        match event_type {
            "Send" => Event::Send,
            "Delivery" => Event::Delivery,
            "Reject" => Event::Reject,
            "Bounce" => Event::Bounce { permanent: bounce_type == Some("Permanent") },
            "Complaint" => Event::Complaint,
            _ => Event::Other,
        }
    }
}

/// Whether an event suppresses the addresses it names.
pub fn judge(event: Event) -> Option<Reason> {
    match event {
        Event::Bounce { permanent: true } => Some(Reason::Bounce),
        Event::Complaint => Some(Reason::Complaint),
        Event::Bounce { permanent: false } | Event::Send | Event::Delivery | Event::Reject | Event::Other => None,
    }
}

/// Whether an email may go to an address the store keeps `suppressed` of:
/// never to one that bounced for good or complained.
pub fn may_email(suppressed: Option<&Suppression>) -> bool {
    suppressed.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_bounces_and_complaints_suppress_nothing_else_does() {
        assert_eq!(judge(Event::of("Bounce", Some("Permanent"))), Some(Reason::Bounce));
        assert_eq!(judge(Event::of("Complaint", None)), Some(Reason::Complaint));
        for (t, b) in [
            ("Bounce", Some("Transient")),
            ("Bounce", Some("Undetermined")),
            ("Bounce", None),
            ("Send", None),
            ("Delivery", None),
            ("Reject", None),
            ("Open", None),
        ] {
            assert_eq!(judge(Event::of(t, b)), None, "{t} {b:?}");
        }
    }

    #[test]
    fn a_suppressed_address_gets_no_email() {
        assert!(may_email(None));
        let s = Suppression { reason: Reason::Complaint, at: Timestamp::UNIX_EPOCH, person: None };
        assert!(!may_email(Some(&s)));
    }

    #[test]
    fn a_suppression_reads_back() {
        let s = Suppression { reason: Reason::Bounce, at: "2027-03-01T10:00:00Z".parse().unwrap(), person: Some("lv_abc".into()) };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""reason":"bounce""#), "{text}");
        assert_eq!(serde_json::from_str::<Suppression>(&text).unwrap(), s);
        let stranger = Suppression { person: None, ..s };
        let text = serde_json::to_string(&stranger).unwrap();
        assert!(!text.contains("person"), "{text}");
        assert_eq!(serde_json::from_str::<Suppression>(&text).unwrap(), stranger);
    }
}
