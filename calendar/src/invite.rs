//! The calendar object of an invitation email (iMIP, RFC 6047): the feed's
//! VEVENT with an organizer and one attendee, under iTIP's METHOD (RFC 5546).

use crate::feed::{head, vevent};
use crate::wire::{finish, param_value};
use ccg_model::SiteConfig;
use ccg_model::event::Event;
use icalendar::{Component, Property};

/// What an emailed calendar object asks of the calendar app (iTIP, RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    /// The METHOD property's value, also the `method` parameter of the MIME type.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// The Content-Type of the email's calendar part (RFC 6047 section 2.4).
    pub fn content_type(self) -> String {
        format!("text/calendar; charset=UTF-8; method={}", self.as_str())
    }
}

/// `mailto:` and the address, with CN when there is a name. An address never
/// holds a control character; one that did would start a property of its own.
fn party(key: &str, (email, name): (&str, &str)) -> Property {
    let address: String = email.trim().chars().filter(|c| !c.is_control()).collect();
    let mut p = Property::new(key, format!("mailto:{address}"));
    let cn = param_value(name);
    if !cn.is_empty() {
        p.add_parameter("CN", &cn);
    }
    p
}

/// The calendar object of an invitation email (iMIP, RFC 6047): METHOD:REQUEST
/// (or CANCEL, with STATUS:CANCELLED), one VEVENT with the feed's UID, SEQUENCE,
/// DTSTART/DTEND, SUMMARY, LOCATION, URL, DESCRIPTION (the same function makes
/// both: no second copy of the feed's VEVENT), plus ORGANIZER (mailto:organizer,
/// CN=organizer_name) and ATTENDEE (mailto:attendee, CN=name, ROLE=REQ-PARTICIPANT,
/// PARTSTAT=NEEDS-ACTION, RSVP=FALSE since answers go through the site's links).
///
/// `organizer` and `attendee` are (email address, display name).
pub fn invitation(site: &SiteConfig, base_url: &str, e: &Event, method: Method, organizer: (&str, &str), attendee: (&str, &str)) -> String {
    let mut cal = head(method.as_str());
    let mut ev = vevent(e, site, base_url);
    if method == Method::Cancel {
        ev.add_property("STATUS", "CANCELLED");
    }
    ev.append_property(party("ORGANIZER", organizer));
    let mut who = party("ATTENDEE", attendee);
    who.add_parameter("ROLE", "REQ-PARTICIPANT");
    who.add_parameter("PARTSTAT", "NEEDS-ACTION");
    who.add_parameter("RSVP", "FALSE");
    ev.append_multi_property(who);
    cal.push(ev);
    finish(&cal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tests::{event, site, timed};
    use crate::wire::tests::assert_wire_format;
    use crate::wire::unfold;

    const ORG: (&str, &str) = ("secretariat@ccg.example", "CCG secretariat");
    const ANA: (&str, &str) = ("ana@example.org", "Ana Silva");

    fn vevent_lines(text: &str) -> Vec<String> {
        let lines = unfold(text);
        let start = lines.iter().position(|l| l == "BEGIN:VEVENT").unwrap();
        let end = lines.iter().position(|l| l == "END:VEVENT").unwrap();
        lines[start..=end].to_vec()
    }

    fn one(lines: &[String], key: &str) -> String {
        let found: Vec<&String> = lines.iter().filter(|l| l.starts_with(&format!("{key}:")) || l.starts_with(&format!("{key};"))).collect();
        assert_eq!(found.len(), 1, "{key} in {lines:?}");
        found[0].clone()
    }

    #[test]
    fn the_feeds_vevent_with_organizer_and_attendee() {
        let s = site();
        let e = event("sequence: 3\nupdated: 2027-02-10T09:00:00+01:00\n", "Workshop", "2027-03-16T09:30", "2027-03-17T13:00", "Europe/Lisbon");
        let feed = vevent_lines(&crate::feed(&s, "https://x", &[&e]));
        let text = invitation(&s, "https://x", &e, Method::Request, ORG, ANA);
        assert_wire_format(text.as_bytes());
        let lines = unfold(&text);
        assert_eq!(one(&lines, "METHOD"), "METHOD:REQUEST");
        let invite = vevent_lines(&text);
        assert_eq!(one(&invite, "UID"), "UID:ev-1@ccg.scalable-cities.eu");
        assert_eq!(one(&invite, "UID"), one(&feed, "UID"));
        assert_eq!(one(&invite, "SEQUENCE"), "SEQUENCE:3");
        assert_eq!(one(&invite, "SEQUENCE"), one(&feed, "SEQUENCE"));
        // Every line of the feed's VEVENT, and only the two parties more.
        let more: Vec<&String> = invite.iter().filter(|l| !feed.contains(l)).collect();
        assert_eq!(
            more,
            [
                "ORGANIZER;CN=CCG secretariat:mailto:secretariat@ccg.example",
                "ATTENDEE;CN=Ana Silva;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:ana@example.org",
            ]
        );
        assert_eq!(invite.len(), feed.len() + 2);
        assert!(!lines.iter().any(|l| l.starts_with("NAME") || l.starts_with("X-WR") || l.starts_with("REFRESH")), "{text}");
    }

    #[test]
    fn cancel_says_cancelled() {
        let s = site();
        let text = invitation(&s, "https://x", &timed(), Method::Cancel, ORG, ANA);
        let lines = unfold(&text);
        assert_eq!(one(&lines, "METHOD"), "METHOD:CANCEL");
        assert_eq!(one(&lines, "STATUS"), "STATUS:CANCELLED");
        let request = unfold(&invitation(&s, "https://x", &timed(), Method::Request, ORG, ANA));
        assert_eq!(one(&request, "STATUS"), "STATUS:CONFIRMED");
        assert_eq!(Method::Cancel.content_type(), "text/calendar; charset=UTF-8; method=CANCEL");
    }

    #[test]
    fn names_are_quoted_parameter_values() {
        let s = site();
        let text = invitation(&s, "https://x", &timed(), Method::Request, ("sec@x", "Group: secretariat"), ("ana@example.org", "Silva, Ana \"Nina\""));
        let lines = unfold(&text);
        assert_eq!(one(&lines, "ORGANIZER"), "ORGANIZER;CN=\"Group: secretariat\":mailto:sec@x");
        assert_eq!(one(&lines, "ATTENDEE"), "ATTENDEE;CN=\"Silva, Ana 'Nina'\";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:ana@example.org");
        let text = invitation(&s, "https://x", &timed(), Method::Request, ORG, ("ana@example.org\r\nX-INJECTED:1", "A\r\nX-INJECTED:2"));
        assert!(!unfold(&text).iter().any(|l| l.starts_with("X-INJECTED")), "{text}");
        let text = invitation(&s, "https://x", &timed(), Method::Request, ORG, ("ana@example.org", ""));
        assert!(unfold(&text).contains(&"ATTENDEE;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:ana@example.org".to_string()));
    }

    #[test]
    fn long_names_fold_at_75_octets_and_parse_back() {
        let s = site();
        let name = format!("Silva, {}", "Ana Maria Conceição ".repeat(8));
        let text = invitation(&s, "https://x", &timed(), Method::Request, ORG, ("ana@example.org", &name));
        assert_wire_format(text.as_bytes());
        assert!(text.lines().count() > unfold(&text).len(), "some line was folded");
        let parsed: icalendar::Calendar = text.parse().unwrap();
        let ev = parsed.events().next().unwrap();
        assert_eq!(ev.get_summary(), Some("Workshop"));
        let attendee = &ev.multi_properties()["ATTENDEE"][0];
        assert_eq!(attendee.value(), "mailto:ana@example.org");
        let cn = attendee.params()["CN"].value().trim_matches('"');
        assert_eq!(cn, name.trim());
    }
}
