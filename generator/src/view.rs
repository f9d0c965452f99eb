//! What the templates see: events, rules, projects and form choices turned
//! into plain strings once per build, so templates stay free of logic and
//! the same summary serves the calendar, the home page and the filters.

use ccg_model::SiteConfig;
use ccg_model::cities::{Project, Role};
use ccg_model::event::{Event, Format, When};
use ccg_model::rules::TravelRules;
use jiff::civil::Date;
use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;

// The calendar files write an event's facts the same way: one copy, there.
pub use ccg_calendar::text::{country_name, date_stamp, day_after, description_text, location_text, utc_stamp};

#[derive(Debug, Clone, Serialize)]
pub struct PartOfView {
    pub name: String,
    pub url: Option<String>,
}

/// One event as lists, the event page and the feeds show it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: String,
    pub url: String,
    pub permalink: String,
    pub ics_url: String,
    pub title: String,
    pub summary: Option<String>,
    pub draft: bool,
    pub cancelled: bool,
    pub kind: &'static str,
    /// Empty unless the meeting is one of the three formats: a page says nothing then.
    pub kind_label: &'static str,
    pub format: &'static str,
    /// Empty when the format was never published.
    pub format_label: &'static str,
    /// "Venue, City, Country", "Online", or empty when nothing is known.
    pub place: String,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country_name: Option<String>,
    pub part_of: Option<PartOfView>,
    pub all_day: bool,
    /// `datetime` values: RFC 3339 with the zone's offset, or dates for all-day events.
    pub start_iso: String,
    pub end_iso: String,
    /// The instant the event is over, UTC (the optional script compares it with the clock).
    pub end_instant: String,
    pub start_text: String,
    pub end_text: String,
    /// "Brussels time (CEST)"
    pub tz_label: String,
    pub tz_name: String,
    pub month_key: String,
    pub month_label: String,
    pub announced: Option<String>,
    pub google_url: String,
}

fn zoned(ts: Timestamp, when: &When) -> ZonedDateTime {
    ts.to_zoned_datetime(when.tz().clone())
}

/// Percent-encoding for query values (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The page description of an event without a summary: what is known of it.
pub fn event_description(e: &Event, v: &EventView) -> String {
    if let Some(s) = e.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        return s.to_string();
    }
    let mut facts = vec![format!("{}, {}", v.start_text, v.tz_label)];
    facts.extend([v.kind_label, v.format_label].into_iter().filter(|l| !l.is_empty()).map(str::to_string));
    if !v.place.is_empty() {
        facts.push(v.place.clone());
    }
    format!("{}: {}.", e.title, facts.join("; "))
}

/// The place an IANA zone is named after, as people say it: "Europe/Brussels"
/// -> "Brussels", "America/New_York" -> "New York". (The full name stays in
/// the page's machine-readable times and in the calendar files.)
pub fn zone_place(tz: &str) -> String {
    tz.rsplit('/').next().unwrap_or(tz).replace('_', " ")
}

pub fn event_view(e: &Event, base_url: &str) -> EventView {
    let url = format!("/calendar/{}/", e.id);
    let permalink = format!("{base_url}{url}");
    let (start_iso, end_iso, start_text, end_text, tz_label, dates) = match &e.when {
        When::Timed { .. } => {
            let s = zoned(e.when.start_instant(), &e.when);
            let en = zoned(e.when.end_instant(), &e.when);
            let iso = |z: &ZonedDateTime| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
            let long = |z: &ZonedDateTime| z.strftime("%A %-d %B %Y, %H:%M").to_string();
            let end_text = if s.date() == en.date() { en.strftime("%H:%M").to_string() } else { long(&en) };
            let (a, b) = (s.strftime("%Z").to_string(), en.strftime("%Z").to_string());
            let abbr = if a == b { a } else { format!("{a}/{b}") };
            let tz_label = format!("{} time ({abbr})", zone_place(e.when.tz_name()));
            let dates = format!("{}/{}", utc_stamp(e.when.start_instant()), utc_stamp(e.when.end_instant()));
            (iso(&s), iso(&en), long(&s), end_text, tz_label, dates)
        }
        When::AllDay { first, last, .. } => {
            let long = |d: &Date| d.strftime("%A %-d %B %Y").to_string();
            let end_text = if first == last { String::new() } else { long(last) };
            // Hours known only in words (or without a zone) replace "all day" and the zone.
            let tz_label = match &e.hours {
                Some(h) => h.clone(),
                None => format!("all day, {} time", zone_place(e.when.tz_name())),
            };
            let dates = format!("{}/{}", date_stamp(*first), date_stamp(day_after(*last)));
            (first.to_string(), last.to_string(), long(first), end_text, tz_label, dates)
        }
    };
    let start_date = e.when.start_date();
    let place = location_text(e);
    let mut google = format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}&details={}",
        url_encode(&e.title),
        dates,
        url_encode(&description_text(e, &permalink))
    );
    if e.location.is_some() || e.format == Format::Virtual {
        google.push_str("&location=");
        google.push_str(&url_encode(&place));
    }
    EventView {
        id: e.id.clone(),
        ics_url: format!("/calendar/{}.ics", e.id),
        url,
        permalink,
        title: e.title.clone(),
        summary: e.summary.clone(),
        draft: e.draft,
        cancelled: e.is_cancelled(),
        kind: e.kind.as_str(),
        kind_label: if e.kind.is_one_of_three() { e.kind.label() } else { "" },
        format: e.format.as_str(),
        format_label: if e.format == Format::Unknown { "" } else { e.format.label() },
        place,
        venue: e.location.as_ref().and_then(|l| l.venue.clone()),
        address: e.location.as_ref().and_then(|l| l.address.clone()),
        city: e.location.as_ref().map(|l| l.city.clone()),
        country_name: e.location.as_ref().map(|l| country_name(&l.country).to_string()),
        part_of: e.part_of.as_ref().map(|p| PartOfView { name: p.name.clone(), url: p.url.clone() }),
        all_day: e.when.is_all_day(),
        start_iso,
        end_iso,
        end_instant: e.when.end_instant().to_string(),
        start_text,
        end_text,
        tz_label,
        tz_name: e.when.tz_name().to_string(),
        month_key: start_date.strftime("%Y-%m").to_string(),
        month_label: start_date.strftime("%B %Y").to_string(),
        announced: e.announced.map(|d| d.strftime("%-d %B %Y").to_string()),
        google_url: google,
    }
}

/// schema.org `Event` as JSON, safe to place inside `<script type="application/ld+json">`.
pub fn json_ld(e: &Event, v: &EventView, site: &SiteConfig) -> String {
    use serde_json::{Value, json};
    let place = e.location.as_ref().map(|l| {
        let mut address = json!({"@type": "PostalAddress", "addressLocality": l.city, "addressCountry": l.country});
        if let Some(a) = &l.address {
            address["streetAddress"] = json!(a);
        }
        json!({"@type": "Place", "name": l.venue.clone().unwrap_or_else(|| l.city.clone()), "address": address})
    });
    let virtual_location = json!({"@type": "VirtualLocation", "url": v.permalink});
    let location: Option<Value> = match (e.format, place) {
        (Format::Physical, Some(p)) => Some(p),
        (Format::Virtual, _) => Some(virtual_location),
        (Format::Hybrid, Some(p)) => Some(json!([p, virtual_location])),
        (_, p) => p,
    };
    let mode = match e.format {
        Format::Physical => Some("https://schema.org/OfflineEventAttendanceMode"),
        Format::Virtual => Some("https://schema.org/OnlineEventAttendanceMode"),
        Format::Hybrid => Some("https://schema.org/MixedEventAttendanceMode"),
        Format::Unknown => None,
    };
    let status = if e.is_cancelled() { "https://schema.org/EventCancelled" } else { "https://schema.org/EventScheduled" };
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": format!("{}#event", v.permalink),
        "name": e.title,
        "url": v.permalink,
        "startDate": v.start_iso,
        "endDate": v.end_iso,
        "eventStatus": status,
        "organizer": {"@type": "Organization", "name": site.title, "url": site.base_url},
    });
    if let Some(m) = mode {
        doc["eventAttendanceMode"] = json!(m);
    }
    if let Some(l) = location {
        doc["location"] = l;
    }
    if let Some(s) = &e.summary {
        doc["description"] = json!(s.trim());
    }
    if let Some(p) = &e.part_of {
        let mut parent = json!({"@type": "Event", "name": p.name});
        if let Some(u) = &p.url {
            parent["url"] = json!(u);
        }
        doc["superEvent"] = parent;
    }
    script_safe_json(&doc.to_string())
}

/// JSON text that cannot close a `<script>` element or open a comment. Only
/// string contents can hold these characters, where `\uXXXX` means the same.
pub fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub events: Vec<usize>,
}

/// Events (indexes into `views`) grouped by the month they start in; months in
/// order, and inside a month by end time. `ascending` false puts the latest first.
pub fn group_by_month(events: &[(usize, Timestamp)], views: &[EventView], ascending: bool) -> Vec<Group> {
    let mut sorted: Vec<&(usize, Timestamp)> = events.iter().collect();
    sorted.sort_by(|a, b| {
        let ka = (&views[a.0].month_key, a.1, &views[a.0].id);
        let kb = (&views[b.0].month_key, b.1, &views[b.0].id);
        if ascending { ka.cmp(&kb) } else { kb.cmp(&ka) }
    });
    let mut groups: Vec<Group> = Vec::new();
    for (i, _) in sorted {
        let v = &views[*i];
        match groups.last_mut() {
            Some(g) if g.key == v.month_key => g.events.push(*i),
            _ => groups.push(Group { key: v.month_key.clone(), label: v.month_label.clone(), events: vec![*i] }),
        }
    }
    groups
}

#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    pub max_per_trip: String,
    pub max_trips_per_year: u32,
    pub max_per_year: String,
    /// "Lighthouse cities of an SCC project that has ended"
    pub eligible_cities: Vec<String>,
    /// "In person"
    pub eligible_formats: Vec<String>,
    /// The announced formats the form takes no claims for: "Online", "Hybrid (in person and online)".
    pub other_formats: Vec<String>,
    /// Some eligible role needs its project to have ended.
    pub needs_ended_project: bool,
    pub require_announced: bool,
    /// The form's setting: a hybrid meeting takes no claims, even attended in
    /// person (`eligible_formats` without `hybrid`); pages say so where it matters.
    pub hybrid_excluded: bool,
    /// How the claim form works (its own settings, not rules of the group).
    pub claim_form: ClaimFormView,
}

/// The claim form's settings as phrases: "60 days after it ends", "the day it ends".
#[derive(Debug, Clone, Serialize)]
pub struct ClaimFormView {
    pub days_after_meeting: u32,
    pub travel_days_before: u32,
    pub travel_days_after: u32,
    /// "60 days after it ends"
    pub claims_until: String,
    /// "3 days before the meeting starts"
    pub travel_from: String,
    /// "3 days after it ends"
    pub travel_until: String,
}

pub use ccg_model::words::days;

fn claim_form_view(f: &ccg_model::rules::ClaimForm) -> ClaimFormView {
    use ccg_model::words::relative;
    ClaimFormView {
        days_after_meeting: f.days_after_meeting,
        travel_days_before: f.travel_days_before,
        travel_days_after: f.travel_days_after,
        claims_until: relative(f.days_after_meeting, "after", "it ends"),
        travel_from: relative(f.travel_days_before, "before", "the meeting starts"),
        travel_until: relative(f.travel_days_after, "after", "it ends"),
    }
}

pub use crate::page_settings::page_settings;

fn role_plural(r: Role) -> &'static str {
    match r {
        Role::Lighthouse => "Lighthouse cities",
        Role::Fellow => "Fellow cities",
        Role::Observer => "Observer cities",
    }
}

pub fn rules_view(r: &TravelRules) -> RulesView {
    RulesView {
        max_per_trip: r.max_per_trip.to_string(),
        max_trips_per_year: r.max_trips_per_year,
        max_per_year: r.max_per_year.to_string(),
        eligible_cities: r
            .eligible_cities
            .iter()
            .map(|e| {
                // The group's words; how "ended" is judged is the form's, said apart.
                let tail = if e.project_ended { "of an SCC lighthouse project that has ended" } else { "of an SCC lighthouse project, ended or not" };
                format!("{} {tail}", role_plural(e.role))
            })
            .collect(),
        eligible_formats: r.eligible_formats.iter().map(|f| f.label().to_string()).collect(),
        other_formats: Format::ALL.iter().filter(|f| !r.eligible_formats.contains(f)).map(|f| f.label().to_string()).collect(),
        needs_ended_project: r.eligible_cities.iter().any(|e| e.project_ended),
        require_announced: r.require_announced,
        hybrid_excluded: !r.eligible_formats.contains(&Format::Hybrid),
        claim_form: claim_form_view(&r.claim_form),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CityView {
    pub name: String,
    pub country: String,
    pub country_name: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectView {
    pub acronym: String,
    pub anchor: String,
    pub name: String,
    pub start: String,
    pub end: String,
    pub start_label: String,
    pub end_label: String,
    /// False when the end month is only a planned date or an estimate: the page leaves it out.
    pub end_known: bool,
    pub ended: bool,
    pub lighthouse: Vec<CityView>,
    pub fellow: Vec<CityView>,
    pub observer: Vec<CityView>,
    pub source: String,
}

fn ym_label(y: ccg_model::YearMonth) -> String {
    y.first_day().strftime("%B %Y").to_string()
}

pub fn project_view(p: &Project, rules: &ccg_model::TravelRules, today: Date) -> ProjectView {
    let cities = |list: &[ccg_model::City]| {
        list.iter()
            .map(|c| CityView {
                name: c.name.clone(),
                country: c.country.clone(),
                country_name: country_name(&c.country).to_string(),
                aliases: c.aliases.clone(),
            })
            .collect()
    };
    ProjectView {
        acronym: p.acronym.clone(),
        anchor: crate::markdown::slugify(&p.acronym),
        name: p.name.clone(),
        start: p.start.to_string(),
        end: p.end.to_string(),
        start_label: ym_label(p.start),
        end_label: ym_label(p.end),
        end_known: p.end_known(),
        // As the claim form judges it (`TravelRules::project_ended_on`): one fact for the page and the rule.
        ended: rules.project_ended_on(p, today),
        lighthouse: cities(&p.lighthouse_cities),
        fellow: cities(&p.fellow_cities),
        observer: cities(&p.observer_cities),
        source: p.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn ev(text: &str) -> Event {
        ccg_model::event::parse(Path::new("e.md"), text).unwrap()
    }

    const TIMED: &str = "---\nid: a\ntitle: \"A <b> & c\"\nstart: 2021-10-07T15:00\nend: 2021-10-07T16:30\ntimezone: Europe/Brussels\nformat: virtual\nkind: networking\npart_of:\n  name: Covenant\nsummary: Hello </script>\n---\n";

    #[test]
    fn timed_event_in_its_own_zone() {
        let v = event_view(&ev(TIMED), "https://x.example");
        assert_eq!(v.start_iso, "2021-10-07T15:00:00+02:00");
        assert_eq!(v.end_iso, "2021-10-07T16:30:00+02:00");
        assert_eq!(v.start_text, "Thursday 7 October 2021, 15:00");
        assert_eq!(v.end_text, "16:30");
        assert_eq!(v.tz_label, "Brussels time (CEST)");
        assert_eq!(zone_place("America/New_York"), "New York");
        assert_eq!(zone_place("UTC"), "UTC");
        assert_eq!(v.place, "Online");
        assert_eq!(v.end_instant, "2021-10-07T14:30:00Z");
        assert!(v.google_url.contains("&dates=20211007T130000Z/20211007T143000Z&"), "{}", v.google_url);
        assert!(v.google_url.contains("text=A%20%3Cb%3E%20%26%20c"));
        assert_eq!(v.month_label, "October 2021");
    }

    #[test]
    fn all_day_event_dates() {
        let t = "---\nid: b\ntitle: B\nstart: 2024-05-14\nend: 2024-05-15\ntimezone: America/New_York\nformat: physical\nkind: advocacy\nlocation:\n  venue: Hall\n  city: New York\n  country: US\n---\n";
        let v = event_view(&ev(t), "https://x.example");
        assert_eq!((v.start_iso.as_str(), v.end_iso.as_str()), ("2024-05-14", "2024-05-15"));
        assert!(v.google_url.contains("&dates=20240514/20240516&"));
        assert_eq!(v.place, "Hall, New York, United States");
        assert_eq!(v.end_instant, "2024-05-16T04:00:00Z");
    }

    #[test]
    fn json_ld_is_script_safe() {
        let e = ev(TIMED);
        let site: SiteConfig = SiteConfig::parse(Path::new("c.yaml"), include_str!("../../tests/fixture-site/content/config.yaml")).unwrap();
        let v = event_view(&e, &site.base_url);
        let j = json_ld(&e, &v, &site);
        assert!(!j.contains('<') && !j.contains('>') && !j.contains('&'), "{j}");
        let parsed: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(parsed["name"], "A <b> & c");
        assert_eq!(parsed["description"], "Hello </script>");
        assert_eq!(parsed["eventAttendanceMode"], "https://schema.org/OnlineEventAttendanceMode");
        assert_eq!(parsed["location"]["@type"], "VirtualLocation");
        assert_eq!(parsed["startDate"], "2021-10-07T15:00:00+02:00");
        assert_eq!(parsed["superEvent"]["name"], "Covenant");
    }
}
