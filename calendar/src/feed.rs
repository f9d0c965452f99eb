//! The iCalendar feed (`/calendar.ics`) and the one-event files
//! (`/calendar/<id>.ics`), RFC 5545 to the byte.
//!
//! Left alone, the `icalendar` crate adds a random UID and the current time to
//! each event: every property is set here, from the content alone.

use crate::text::{date_stamp, day_after, description_text, location_text, utc_stamp};
use crate::wire::{escape_text, finish, normalize_newlines, unfold};
use ccg_model::SiteConfig;
use ccg_model::event::{Event, When};
use icalendar::{Calendar, Component, Property};

pub const PRODID: &str = "-//City Coordinators Group//ccg site generator//EN";

fn date_value(key: &str, value: String) -> Property {
    let mut p = Property::new(key, value);
    p.add_parameter("VALUE", "DATE");
    p
}

/// A stable, content-derived DTSTAMP: when the event last changed (`updated`),
/// else the announcement day, else the start.
fn dtstamp(e: &Event) -> String {
    match (e.updated, e.announced) {
        (Some(t), _) => utc_stamp(t),
        (None, Some(d)) => format!("{}T000000Z", date_stamp(d)),
        (None, None) => utc_stamp(e.when.start_instant()),
    }
}

/// What a calendar app must hear about: the properties whose change needs a higher SEQUENCE.
const VERSIONED: [&str; 4] = ["DTSTART", "DTEND", "LOCATION", "STATUS"];

/// A published calendar entry's versioned properties (as `NAME...:value`
/// lines) and its SEQUENCE, read from a `.ics` file of an earlier build.
pub fn versioned(ics: &str) -> (Vec<String>, u32) {
    let lines = unfold(ics);
    let mut props: Vec<String> =
        lines.iter().filter(|l| VERSIONED.iter().any(|k| l.starts_with(&format!("{k}:")) || l.starts_with(&format!("{k};")))).cloned().collect();
    props.sort();
    let seq = lines.iter().find_map(|l| l.strip_prefix("SEQUENCE:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    (props, seq)
}

/// The VEVENT of a meeting, as the feed, the one-event file and an invitation carry it.
pub(crate) fn vevent(e: &Event, site: &SiteConfig, base_url: &str) -> icalendar::Event {
    let permalink = format!("{base_url}/calendar/{}/", e.id);
    let mut ev = icalendar::Event::new();
    ev.add_property("UID", format!("{}@{}", e.id, site.uid_domain));
    ev.add_property("DTSTAMP", dtstamp(e));
    match &e.when {
        When::Timed { .. } => {
            ev.add_property("DTSTART", utc_stamp(e.when.start_instant()));
            ev.add_property("DTEND", utc_stamp(e.when.end_instant()));
        }
        When::AllDay { first, last, .. } => {
            ev.append_property(date_value("DTSTART", date_stamp(*first)));
            ev.append_property(date_value("DTEND", date_stamp(day_after(*last))));
        }
    }
    // SUMMARY, DESCRIPTION and LOCATION are TEXT to the crate: it escapes them.
    let title = if e.is_cancelled() { format!("Cancelled: {}", e.title) } else { e.title.clone() };
    ev.add_property("SUMMARY", normalize_newlines(&title));
    ev.add_property("DESCRIPTION", normalize_newlines(&description_text(e, &permalink)));
    let place = location_text(e);
    if !place.is_empty() {
        ev.add_property("LOCATION", normalize_newlines(&place));
    }
    ev.add_property("URL", permalink);
    ev.add_property("STATUS", if e.is_cancelled() { "CANCELLED" } else { "CONFIRMED" });
    ev.add_property("SEQUENCE", e.sequence.to_string());
    if let Some(t) = e.updated {
        ev.add_property("LAST-MODIFIED", utc_stamp(t));
    }
    if e.kind.is_one_of_three() {
        // A text list: the crate does not escape it.
        ev.add_property("CATEGORIES", escape_text(e.kind.label()));
    }
    ev
}

/// The properties every calendar object of the site opens with; `method` is iTIP's (RFC 5546).
pub(crate) fn head(method: &str) -> Calendar {
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("PRODID", PRODID));
    cal.append_property(Property::new("VERSION", "2.0"));
    cal.append_property(Property::new("CALSCALE", "GREGORIAN"));
    cal.append_property(Property::new("METHOD", method));
    cal
}

fn calendar(site: &SiteConfig, name: &str, description: &str, refresh: bool) -> Calendar {
    let mut cal = head("PUBLISH");
    // NAME (RFC 7986) is unknown to the crate: escaped here. X-WR-* it escapes.
    cal.append_property(Property::new("NAME", escape_text(name)));
    cal.append_property(Property::new("X-WR-CALNAME", normalize_newlines(name)));
    cal.append_property(Property::new("X-WR-CALDESC", normalize_newlines(description)));
    if refresh {
        let every = format!("PT{}H", site.calendar.refresh_hours.max(1));
        let mut p = Property::new("REFRESH-INTERVAL", every.clone());
        p.add_parameter("VALUE", "DURATION");
        cal.append_property(p);
        cal.append_property(Property::new("X-PUBLISHED-TTL", every));
    }
    cal
}

/// The subscription feed: every event of the build, cancelled ones included.
pub fn feed(site: &SiteConfig, base_url: &str, events: &[&Event]) -> String {
    let mut cal = calendar(site, &site.calendar.name, &site.calendar.description, true);
    for e in events {
        cal.push(vevent(e, site, base_url));
    }
    finish(&cal)
}

/// One event, for "add to calendar".
pub fn single(site: &SiteConfig, base_url: &str, e: &Event) -> String {
    let mut cal = calendar(site, &e.title, &site.calendar.description, false);
    cal.push(vevent(e, site, base_url));
    finish(&cal)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::tests::assert_wire_format;
    use crate::wire::{fold, unfold};
    use std::path::Path;

    pub(crate) fn site() -> SiteConfig {
        SiteConfig::parse(Path::new("config.yaml"), include_str!("../../tests/fixture-site/content/config.yaml")).unwrap()
    }

    pub(crate) fn event(extra: &str, title: &str, start: &str, end: &str, tz: &str) -> Event {
        let text = format!(
            "---\nid: ev-1\ntitle: {title:?}\nstart: {start}\nend: {end}\ntimezone: {tz}\nformat: physical\nkind: co-creation\nlocation:\n  venue: \"Hall; 2nd floor, east\"\n  city: Porto\n  country: PT\n{extra}---\nBody\n"
        );
        ccg_model::event::parse(Path::new("e.md"), &text).unwrap()
    }

    pub(crate) fn timed() -> Event {
        event("", "Workshop", "2027-03-16T09:30", "2027-03-17T13:00", "Europe/Lisbon")
    }

    fn logical(text: &str) -> Vec<String> {
        unfold(text)
    }

    #[test]
    fn calendar_properties_and_one_event() {
        let s = site();
        let text = feed(&s, "https://ccg.example", &[&timed()]);
        assert_wire_format(text.as_bytes());
        let lines = logical(&text);
        let expected_head = [
            "BEGIN:VCALENDAR",
            &format!("PRODID:{PRODID}"),
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "NAME:City Coordinators Group meetings",
            "X-WR-CALNAME:City Coordinators Group meetings",
            "X-WR-CALDESC:Meetings of the City Coordinators Group of the Smart Cities Marketplace.",
            "REFRESH-INTERVAL;VALUE=DURATION:PT12H",
            "X-PUBLISHED-TTL:PT12H",
            "BEGIN:VEVENT",
        ];
        assert_eq!(&lines[..expected_head.len()], expected_head);
        for want in [
            "UID:ev-1@ccg.scalable-cities.eu",
            // Lisbon is UTC+0 in March before the change on the 28th.
            "DTSTART:20270316T093000Z",
            "DTEND:20270317T130000Z",
            "DTSTAMP:20270316T093000Z",
            "SUMMARY:Workshop",
            "LOCATION:Hall\\; 2nd floor\\, east\\, Porto\\, Portugal",
            "URL:https://ccg.example/calendar/ev-1/",
            "DESCRIPTION:https://ccg.example/calendar/ev-1/",
            "STATUS:CONFIRMED",
            "SEQUENCE:0",
            "CATEGORIES:Co-creation meeting",
            "END:VEVENT",
            "END:VCALENDAR",
        ] {
            assert!(lines.iter().any(|l| l == want), "missing {want:?} in\n{text}");
        }
        assert_eq!(lines.iter().filter(|l| l.starts_with("DTSTAMP")).count(), 1);
        assert_eq!(lines.iter().filter(|l| l.starts_with("UID")).count(), 1);
        assert!(!text.contains("TZID"), "times are UTC, no VTIMEZONE needed");
    }

    #[test]
    fn deterministic() {
        let s = site();
        let a = feed(&s, "https://ccg.example", &[&timed()]);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = feed(&s, "https://ccg.example", &[&timed()]);
        assert_eq!(a, b);
        let ann = event("announced: 2026-12-01\n", "W", "2027-03-16T09:30", "2027-03-17T13:00", "Europe/Lisbon");
        assert!(logical(&single(&s, "https://x", &ann)).contains(&"DTSTAMP:20261201T000000Z".to_string()));
    }

    #[test]
    fn a_change_carries_its_sequence_and_time() {
        let s = site();
        let e = event("sequence: 2\nupdated: 2027-02-10T09:00:00+01:00\n", "W", "2027-03-16T10:30", "2027-03-17T13:00", "Europe/Lisbon");
        let text = single(&s, "https://x", &e);
        let lines = logical(&text);
        for want in ["SEQUENCE:2", "DTSTAMP:20270210T080000Z", "LAST-MODIFIED:20270210T080000Z"] {
            assert!(lines.iter().any(|l| l == want), "missing {want:?}: {lines:?}");
        }
        let (props, seq) = versioned(&text);
        assert_eq!(seq, 2);
        assert_eq!(
            props,
            ["DTEND:20270317T130000Z", "DTSTART:20270316T103000Z", "LOCATION:Hall\\; 2nd floor\\, east\\, Porto\\, Portugal", "STATUS:CONFIRMED"]
        );
    }

    #[test]
    fn escaping_of_text() {
        let s = site();
        let e = event(
            "summary: \"line one\\r\\nline two; with, commas \\\\ backslash\"\n",
            "A; B, C \\ D",
            "2027-03-16T09:30",
            "2027-03-16T11:00",
            "Europe/Lisbon",
        );
        let text = single(&s, "https://x", &e);
        assert_wire_format(text.as_bytes());
        let lines = logical(&text);
        assert!(lines.contains(&"SUMMARY:A\\; B\\, C \\\\ D".to_string()), "{text}");
        assert!(lines.contains(&"NAME:A\\; B\\, C \\\\ D".to_string()), "{text}");
        assert!(lines.contains(&"DESCRIPTION:line one\\nline two\\; with\\, commas \\\\ backslash\\n\\nhttps://x/calendar/ev-1/".to_string()), "{text}");
    }

    #[test]
    fn folding_never_splits_a_character() {
        let s = site();
        // 3-byte and 2-byte characters at every alignment against the 75-octet limit.
        for pad in 0..4 {
            let title = format!("{}{}", "x".repeat(pad), "老虎é".repeat(40));
            let e = event("", &title, "2027-03-16T09:30", "2027-03-16T11:00", "Europe/Lisbon");
            let text = single(&s, "https://x", &e);
            assert_wire_format(text.as_bytes());
            assert!(logical(&text).contains(&format!("SUMMARY:{title}")));
        }
        let mut out = String::new();
        fold(&"a".repeat(75), &mut out);
        assert_eq!(out, format!("{}\r\n", "a".repeat(75)));
        out.clear();
        fold(&"a".repeat(76), &mut out);
        assert_eq!(out, format!("{}\r\n a\r\n", "a".repeat(75)));
    }

    #[test]
    fn all_day_and_cancelled() {
        let s = site();
        let e = event("status: cancelled\n", "Summit", "2024-05-14", "2024-05-15", "Europe/Brussels");
        let lines = logical(&single(&s, "https://x", &e));
        for want in ["DTSTART;VALUE=DATE:20240514", "DTEND;VALUE=DATE:20240516", "STATUS:CANCELLED", "SUMMARY:Cancelled: Summit"] {
            assert!(lines.iter().any(|l| l == want), "missing {want:?}: {lines:?}");
        }
    }

    #[test]
    fn zone_across_a_dst_change() {
        // New York springs forward at 02:00 on 2024-03-10: 01:30 EST is 06:30Z,
        // 03:30 EDT is 07:30Z (one hour of real time, not two).
        let s = site();
        let e = event("", "Early", "2024-03-10T01:30", "2024-03-10T03:30", "America/New_York");
        let lines = logical(&single(&s, "https://x", &e));
        assert!(lines.contains(&"DTSTART:20240310T063000Z".to_string()), "{lines:?}");
        assert!(lines.contains(&"DTEND:20240310T073000Z".to_string()), "{lines:?}");
        // Across the European autumn change, in Lisbon (UTC+1 -> UTC+0).
        let e = event("", "Late", "2027-10-30T22:00", "2027-10-31T10:00", "Europe/Lisbon");
        let lines = logical(&single(&s, "https://x", &e));
        assert!(lines.contains(&"DTSTART:20271030T210000Z".to_string()), "{lines:?}");
        assert!(lines.contains(&"DTEND:20271031T100000Z".to_string()), "{lines:?}");
    }

    #[test]
    fn parses_back_with_the_crate_parser() {
        use icalendar::EventLike;
        let s = site();
        let text = feed(&s, "https://x", &[&timed()]);
        let parsed: icalendar::Calendar = text.parse().unwrap();
        let ev = parsed.events().next().unwrap();
        assert_eq!(ev.get_summary(), Some("Workshop"));
        assert_eq!(ev.get_location(), Some("Hall; 2nd floor, east, Porto, Portugal"));
    }
}
