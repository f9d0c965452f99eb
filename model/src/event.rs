//! An event of the CCG calendar: its front matter, parsed and checked.

use crate::error::ContentError;
use crate::front_matter;
use crate::yaml;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Physical,
    Virtual,
    Hybrid,
    /// For real past events whose format was never published.
    Unknown,
}

/// The three meeting formats of the CCG (called "kind" so it does not clash
/// with physical/virtual `Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Networking,
    CoCreation,
    Advocacy,
    /// For real past events whose format was never published.
    Unknown,
    /// A CCG meeting that was none of the three formats (the launch meeting).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Scheduled,
    Cancelled,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Physical => "physical",
            Format::Virtual => "virtual",
            Format::Hybrid => "hybrid",
            Format::Unknown => "unknown",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Format::Physical => "In person",
            Format::Virtual => "Online",
            Format::Hybrid => "Hybrid (in person and online)",
            Format::Unknown => "Format not published",
        }
    }
    /// The formats an editor announces (filters list these; `Unknown` is only in "all").
    pub const ALL: [Format; 3] = [Format::Physical, Format::Virtual, Format::Hybrid];
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Networking => "networking",
            Kind::CoCreation => "co-creation",
            Kind::Advocacy => "advocacy",
            Kind::Unknown => "unknown",
            Kind::None => "none",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Networking => "Networking and knowledge sharing",
            Kind::CoCreation => "Co-creation meeting",
            Kind::Advocacy => "Advocacy meeting",
            Kind::Unknown => "Meeting type not published",
            Kind::None => "None of the three meeting formats",
        }
    }
    /// One of the three formats (the others say nothing a page should show).
    pub fn is_one_of_three(self) -> bool {
        Kind::ALL.contains(&self)
    }
    /// The three meeting formats (filters list these; `Unknown` is only in "all").
    pub const ALL: [Kind; 3] = [Kind::Networking, Kind::CoCreation, Kind::Advocacy];
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// The larger (often third-party) event a CCG meeting is held within.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartOf {
    pub name: String,
    #[serde(default)]
    pub url: Option<String>,
}

/// When an event happens: local wall time in an IANA zone, never a fixed offset.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    Timed {
        start: DateTime,
        end: DateTime,
        tz: TimeZone,
        tz_name: String,
    },
    /// Whole days, `last` included; `tz` says when those days begin and end.
    AllDay {
        first: Date,
        last: Date,
        tz: TimeZone,
        tz_name: String,
    },
}

impl When {
    pub fn tz_name(&self) -> &str {
        match self {
            When::Timed { tz_name, .. } | When::AllDay { tz_name, .. } => tz_name,
        }
    }
    pub fn tz(&self) -> &TimeZone {
        match self {
            When::Timed { tz, .. } | When::AllDay { tz, .. } => tz,
        }
    }
    pub fn is_all_day(&self) -> bool {
        matches!(self, When::AllDay { .. })
    }
    /// Local date of the first day.
    pub fn start_date(&self) -> Date {
        match self {
            When::Timed { start, .. } => start.date(),
            When::AllDay { first, .. } => *first,
        }
    }
    /// Local date of the last day.
    pub fn end_date(&self) -> Date {
        match self {
            When::Timed { end, .. } => end.date(),
            When::AllDay { last, .. } => *last,
        }
    }
    pub fn start_instant(&self) -> Timestamp {
        match self {
            When::Timed { start, tz, .. } => local_instant(*start, tz),
            When::AllDay { first, tz, .. } => local_instant(first.to_datetime(jiff::civil::Time::midnight()), tz),
        }
    }
    /// The instant the event is over (for all-day events: the midnight after the last day).
    pub fn end_instant(&self) -> Timestamp {
        match self {
            When::Timed { end, tz, .. } => local_instant(*end, tz),
            When::AllDay { last, tz, .. } => {
                let next = last.checked_add(1.day()).unwrap_or(*last);
                local_instant(next.to_datetime(jiff::civil::Time::midnight()), tz)
            }
        }
    }
}

fn local_instant(dt: DateTime, tz: &TimeZone) -> Timestamp {
    // Compatible disambiguation: a time in a DST gap moves forward, as calendar apps do.
    tz.to_ambiguous_zoned_datetime(dt).compatible().map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp())
}

#[derive(Debug, Clone)]
pub struct Event {
    /// Stable id; never changes once published (it makes the iCal UID and the URL).
    pub id: String,
    pub title: String,
    pub when: When,
    pub format: Format,
    pub kind: Kind,
    pub location: Option<Location>,
    pub part_of: Option<PartOf>,
    pub status: Status,
    /// The day the secretariat announced the event; only announced events are eligible for travel support.
    pub announced: Option<Date>,
    pub draft: bool,
    /// One or two sentences for lists and the feed.
    pub summary: Option<String>,
    /// For an event given as dates whose hours are known only in words, or
    /// without a time zone ("morning", "15:00 to 16:30"): pages show it after
    /// the date instead of "all day"; calendar files keep the date.
    pub hours: Option<String>,
    /// `capacity:` how many places the meeting has; answers past it go on a waiting list. None: no limit.
    pub capacity: Option<u32>,
    /// Goes up by one each time the time, place or status changes after
    /// publication: calendar apps that subscribed take a change only then.
    pub sequence: u32,
    /// When the event last changed (DTSTAMP and LAST-MODIFIED of its calendar entry).
    pub updated: Option<Timestamp>,
    /// Line of `sequence:` (else of `id:`), where a missing bump is reported.
    pub sequence_line: usize,
    pub source: PathBuf,
    /// Line of `id:` in the source, for cross-file errors.
    pub id_line: usize,
    /// The markdown body and the line it starts at.
    pub body: String,
    pub body_line: usize,
}

impl Event {
    /// The calendar year a travel claim for this event counts in.
    pub fn claim_year(&self) -> i16 {
        self.when.start_date().year()
    }
    pub fn is_cancelled(&self) -> bool {
        self.status == Status::Cancelled
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    start: String,
    end: String,
    timezone: String,
    format: Format,
    kind: Kind,
    #[serde(default)]
    location: Option<Location>,
    #[serde(default)]
    part_of: Option<PartOf>,
    #[serde(default)]
    status: Status,
    #[serde(default)]
    announced: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    hours: Option<String>,
    #[serde(default)]
    capacity: Option<i64>,
    #[serde(default)]
    sequence: u32,
    #[serde(default)]
    updated: Option<String>,
}

enum Moment {
    Day(Date),
    Time(DateTime),
}

fn parse_moment(s: &str) -> Option<Moment> {
    let s = s.trim();
    if s.len() == 10 { s.parse::<Date>().ok().map(Moment::Day) } else { s.replacen(' ', "T", 1).parse::<DateTime>().ok().map(Moment::Time) }
}

/// Ids become URLs and iCal UIDs: keep them boring.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Parses one event file, returning every mistake found in it.
pub fn parse(file: &Path, text: &str) -> Result<Event, Vec<ContentError>> {
    let doc = front_matter::split(file, text).map_err(|e| vec![e])?;
    let fm: FrontMatter = yaml::parse(file, doc.yaml, doc.yaml_line).map_err(|e| vec![e])?;
    let at = |key: &str| yaml::key_line(doc.yaml, doc.yaml_line, key);
    let err = |key: &str, msg: String| ContentError::new(file, at(key), 1, msg);
    let mut errors = Vec::new();

    if !is_valid_id(&fm.id) {
        errors.push(err("id", format!("id `{}` must be lowercase letters, digits and dashes (it becomes the URL and the calendar UID)", fm.id)));
    }
    if fm.title.trim().is_empty() {
        errors.push(err("title", "title is empty".into()));
    }
    let tz = match TimeZone::get(&fm.timezone) {
        Ok(tz) => Some(tz),
        Err(_) => {
            errors.push(err("timezone", format!("unknown time zone `{}`: use an IANA name such as Europe/Brussels", fm.timezone)));
            None
        }
    };
    let start = parse_moment(&fm.start);
    let end = parse_moment(&fm.end);
    if start.is_none() {
        errors.push(err("start", format!("start `{}` is not a date (2024-05-14) or a local date and time (2024-05-14T09:30)", fm.start)));
    }
    if end.is_none() {
        errors.push(err("end", format!("end `{}` is not a date (2024-05-14) or a local date and time (2024-05-14T17:00)", fm.end)));
    }
    let when = match (start, end, tz) {
        (Some(Moment::Time(s)), Some(Moment::Time(e)), Some(tz)) => {
            let w = When::Timed { start: s, end: e, tz, tz_name: fm.timezone.clone() };
            if w.end_instant() <= w.start_instant() {
                errors.push(err("end", format!("end {e} is not after start {s}")));
            }
            Some(w)
        }
        (Some(Moment::Day(s)), Some(Moment::Day(e)), Some(tz)) => {
            if e < s {
                errors.push(err("end", format!("end {e} is before start {s}")));
            }
            Some(When::AllDay { first: s, last: e, tz, tz_name: fm.timezone.clone() })
        }
        (Some(_), Some(_), Some(_)) => {
            errors.push(err("end", "start and end must both be dates (all-day event) or both be date and time".into()));
            None
        }
        _ => None,
    };
    let announced = match fm.announced.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => match a.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(err("announced", format!("announced `{a}` is not a date like 2024-03-01")));
                None
            }
        },
    };
    // An instant with its offset (2027-02-10T09:00:00+01:00), or a day (read as its start in UTC).
    let updated = match fm.updated.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) => match u.parse::<Timestamp>().ok().or_else(|| u.parse::<Date>().ok().and_then(|d| format!("{d}T00:00:00Z").parse().ok())) {
            Some(t) => Some(t),
            None => {
                errors.push(err("updated", format!("updated `{u}` is not a date (2027-02-10) or a time with its offset (2027-02-10T09:00:00+01:00)")));
                None
            }
        },
    };
    let capacity = match fm.capacity {
        None => None,
        Some(n) if n > 0 && n <= i64::from(u32::MAX) => u32::try_from(n).ok(),
        Some(n) => {
            errors.push(err("capacity", format!("capacity `{n}` must be a number of places above 0")));
            None
        }
    };
    let hours = fm.hours.as_deref().map(str::trim).filter(|h| !h.is_empty()).map(str::to_string);
    if hours.is_some() && matches!(when, Some(When::Timed { .. })) {
        errors.push(err("hours", "hours is for an event given as dates only; this one has a start and end time".into()));
    }
    match (&fm.location, fm.format) {
        (None, Format::Physical | Format::Hybrid) => {
            errors.push(err("format", format!("a {} event needs a `location` (city and country)", fm.format.as_str())));
        }
        (Some(loc), _) if !is_country_code(&loc.country) => {
            errors.push(err("location", format!("location country `{}` is not an ISO 3166-1 alpha-2 code (such as BE)", loc.country)));
        }
        _ => {}
    }
    if let Some(p) = &fm.part_of
        && p.url.as_deref().is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
    {
        errors.push(err("part_of", "part_of.url must start with https:// or http://".into()));
    }
    match when {
        Some(when) if errors.is_empty() => Ok(Event {
            id: fm.id,
            title: fm.title,
            when,
            format: fm.format,
            kind: fm.kind,
            location: fm.location,
            part_of: fm.part_of,
            status: fm.status,
            announced,
            draft: fm.draft,
            summary: fm.summary,
            hours,
            capacity,
            sequence: fm.sequence,
            updated,
            sequence_line: if doc.yaml.lines().any(|l| l.starts_with("sequence:")) { at("sequence") } else { at("id") },
            source: file.to_path_buf(),
            id_line: at("id"),
            body: doc.body.to_string(),
            body_line: doc.body_line,
        }),
        _ => Err(errors),
    }
}

pub fn is_country_code(c: &str) -> bool {
    crate::countries::is_known(c)
}

/// Reports every id used by more than one event, at each later use.
pub fn duplicate_ids(events: &[Event]) -> Vec<ContentError> {
    let mut seen: std::collections::HashMap<&str, &Event> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for e in events {
        if let Some(first) = seen.get(e.id.as_str()) {
            errors.push(ContentError::new(
                &e.source,
                e.id_line,
                1,
                format!("duplicate event id `{}`: already used by {}:{}", e.id, first.source.display(), first.id_line),
            ));
        } else {
            seen.insert(&e.id, e);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "---\nid: ccg-launch\ntitle: Launch\nstart: 2021-10-07T15:00\nend: 2021-10-07T16:30\ntimezone: Europe/Brussels\nformat: virtual\nkind: advocacy\n---\nBody\n";

    #[test]
    fn parses_a_timed_event() {
        let e = parse(Path::new("e.md"), OK).unwrap();
        assert_eq!(e.id, "ccg-launch");
        assert_eq!(e.when.start_instant().to_string(), "2021-10-07T13:00:00Z");
        assert_eq!(e.when.end_instant().to_string(), "2021-10-07T14:30:00Z");
        assert_eq!(e.body, "Body\n");
        assert_eq!(e.body_line, 10);
        assert_eq!(e.id_line, 2);
        assert_eq!(e.claim_year(), 2021);
    }

    #[test]
    fn all_day_ends_at_the_next_midnight() {
        let t = OK.replace("2021-10-07T15:00", "2024-05-14").replace("2021-10-07T16:30", "2024-05-15");
        let e = parse(Path::new("e.md"), &t).unwrap();
        assert!(e.when.is_all_day());
        assert_eq!(e.when.end_instant().to_string(), "2024-05-15T22:00:00Z");
    }

    #[test]
    fn reports_every_problem_with_its_line() {
        let t = OK.replace("2021-10-07T16:30", "2021-10-07T14:00").replace("Europe/Brussels", "Europe/Atlantis").replace("ccg-launch", "Bad Id");
        let errs = parse(Path::new("e.md"), &t).unwrap_err();
        let lines: Vec<_> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 6], "{errs:?}");
        let t = OK.replace("2021-10-07T16:30", "2021-10-07T14:00");
        let errs = parse(Path::new("e.md"), &t).unwrap_err();
        assert_eq!(errs[0].line, 5);
        assert!(errs[0].message.contains("not after"));
    }

    #[test]
    fn unknown_kind_points_at_its_line() {
        let errs = parse(Path::new("e.md"), &OK.replace("kind: advocacy", "kind: party")).unwrap_err();
        assert_eq!((errs[0].line, errs[0].column), (8, 7));
        assert!(errs[0].message.contains("unknown variant"));
    }

    #[test]
    fn hours_only_for_dates() {
        let errs = parse(Path::new("e.md"), &OK.replace("kind: advocacy", "kind: none\nhours: morning")).unwrap_err();
        assert_eq!(errs[0].line, 9, "{errs:?}");
        let t = OK.replace("2021-10-07T15:00", "2021-10-07").replace("2021-10-07T16:30", "2021-10-07").replace("kind: advocacy", "kind: none\nhours: morning");
        let e = parse(Path::new("e.md"), &t).unwrap();
        assert_eq!((e.hours.as_deref(), e.kind), (Some("morning"), Kind::None));
        assert!(!e.kind.is_one_of_three());
    }

    #[test]
    fn capacity_is_a_number_of_places() {
        let e = parse(Path::new("e.md"), &OK.replace("kind: advocacy", "kind: advocacy\ncapacity: 20")).unwrap();
        assert_eq!(e.capacity, Some(20));
        assert_eq!(parse(Path::new("e.md"), OK).unwrap().capacity, None);
        let errs = parse(Path::new("e.md"), &OK.replace("kind: advocacy", "kind: advocacy\ncapacity: 0")).unwrap_err();
        assert_eq!(errs[0].line, 9, "{errs:?}");
        assert!(errs[0].message.contains("capacity"));
    }

    #[test]
    fn physical_needs_a_location() {
        let errs = parse(Path::new("e.md"), &OK.replace("format: virtual", "format: physical")).unwrap_err();
        assert!(errs[0].message.contains("location"));
    }

    #[test]
    fn duplicates_are_reported_at_the_second() {
        let a = parse(Path::new("a.md"), OK).unwrap();
        let b = parse(Path::new("b.md"), OK).unwrap();
        let errs = duplicate_ids(&[a, b]);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].file, Path::new("b.md"));
        assert!(errs[0].message.contains("a.md:2"));
    }
}
