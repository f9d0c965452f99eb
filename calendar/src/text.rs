//! An event's facts as the calendar files and the site's pages both write
//! them: stamps of instants and dates, the place and the description.

use ccg_model::countries;
use ccg_model::event::{Event, Format};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

/// The country's English name, or its code when the list does not know it.
pub fn country_name(code: &str) -> &str {
    countries::name(code).unwrap_or(code)
}

/// `20211007T130000Z`
pub fn utc_stamp(ts: Timestamp) -> String {
    ts.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// `20270316`
pub fn date_stamp(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// The day after the last day: how calendars express an inclusive all-day range.
pub fn day_after(d: Date) -> Date {
    d.checked_add(1.day()).unwrap_or(d)
}

pub fn location_text(e: &Event) -> String {
    match &e.location {
        Some(l) => {
            let mut parts: Vec<&str> = Vec::new();
            parts.extend(l.venue.as_deref());
            parts.extend(l.address.as_deref());
            parts.push(&l.city);
            parts.push(country_name(&l.country));
            let mut s = parts.join(", ");
            if e.format == Format::Hybrid {
                s.push_str(" and online");
            }
            s
        }
        None if e.format == Format::Virtual => "Online".into(),
        // Nothing published: say nothing rather than guess.
        None => String::new(),
    }
}

/// The hours of a date-only event, in words, after its first day:
/// "Friday 19 November 2021, in the morning".
fn hours_text(e: &Event) -> Option<String> {
    e.hours.as_ref().map(|h| format!("{}, {h}", e.when.start_date().strftime("%A %-d %B %Y")))
}

/// Summary and address of the event page: what a calendar entry describes
/// (with the hours in words, when a date-only event has them).
pub fn description_text(e: &Event, permalink: &str) -> String {
    let mut parts: Vec<String> = hours_text(e).map(|h| format!("{h}.")).into_iter().collect();
    if let Some(s) = e.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        parts.push(s.to_string());
    }
    parts.push(permalink.to_string());
    parts.join("\n\n")
}
