//! What the two forms show, as data for their templates
//! (`templates/partials/claim-form.html`, `join-form.html`): the choices
//! offered, the limits told, and the state of one filling-in (what was typed,
//! what is wrong). The generator renders the empty forms into the site's
//! pages; the functions render the same templates with a person's mistakes.

use crate::decode::Fields;
use crate::validate::{self, FieldErrors};
use ccg_model::{Directory, Event, Format, TravelRules, countries, normalize_name};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A meeting offered in the claim form, with the travel dates that fit it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MeetingChoice {
    pub value: String,
    /// "Test open, 16 March 2027, Porto, Portugal": the meeting in one line.
    pub label: String,
    /// The meeting's title, and its days and place ("16–17 March 2027, Porto, Portugal"), shown apart so both wrap.
    pub title: String,
    pub when: String,
    /// `YYYY-MM-DD`: earliest day of departure.
    pub travel_from: String,
    /// `YYYY-MM-DD`: latest day of return.
    pub travel_until: String,
}

/// The next meeting with travel support that does not take claims yet.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NextMeeting {
    pub title: String,
    pub url: String,
    /// "16 March 2027"
    pub date: String,
    /// The day it starts taking claims, when announced already.
    pub opens: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimFormView {
    /// The meetings that take claims today, soonest first.
    pub meetings: Vec<MeetingChoice>,
    /// Without a script the date fields can only hold one range: the one that covers every meeting offered.
    pub travel_min: Option<String>,
    pub travel_max: Option<String>,
    /// "450 EUR", and in cents for the script that works out the contribution.
    pub max_per_trip: String,
    pub max_per_trip_cents: i64,
    /// "From 3 days before the meeting starts to 3 days after it ends."
    pub travel_hint: String,
    /// When no meeting takes claims: the next one expected.
    pub next: Option<NextMeeting>,
    /// The attendance labels of the meetings the form takes claims for ("In person"), as the calendar marks them.
    pub eligible_formats: Vec<String>,
    /// The form's setting (`eligible_formats` without `hybrid`): a hybrid meeting takes no
    /// claims, even from those who attend it in person; the form says so where the meeting is chosen.
    pub hybrid_excluded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct JoinFormView {
    pub countries: Vec<Choice>,
    pub projects: Vec<String>,
}

/// One message of the error summary: the field's id on the page, and the message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SummaryItem {
    pub id: String,
    pub message: String,
}

/// A form as filled in: every field's value ("" when empty) and message ("" when right).
#[derive(Debug, Clone, Serialize, Default)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
    /// The mistakes in the order of the form.
    pub summary: Vec<SummaryItem>,
    /// The field a "Change" on the check-answers page came back for: it takes the focus.
    pub focus: String,
}

/// Every field of both forms (the fields of `validate`): the templates look each one up.
fn all_fields() -> impl Iterator<Item = &'static str> {
    let claim_only = validate::CLAIM_FIELDS.iter().filter(|f| !validate::REGISTRATION_FIELDS.contains(f));
    validate::REGISTRATION_FIELDS.iter().chain(claim_only).copied()
}

/// The id of the control a summary links to: a group of radios is reached through its first one.
fn anchor(field: &str) -> &str {
    match field {
        "city_status" => "status-lighthouse",
        f => f,
    }
}

impl FormState {
    /// A form not filled in yet (`event` chosen when given).
    pub fn empty() -> FormState {
        FormState::filled(&Fields::new(), &FieldErrors::default(), &[])
    }

    /// What was sent, with its mistakes, listed in `order` (the form's order).
    pub fn filled(fields: &Fields, errors: &FieldErrors, order: &[&str]) -> FormState {
        let value = |f: &str| fields.get(f).map(|v| v.trim().to_string()).unwrap_or_default();
        let values = all_fields().map(|f| (f.to_string(), value(f))).collect();
        let errors_map = all_fields().map(|f| (f.to_string(), errors.0.get(f).cloned().unwrap_or_default())).collect();
        let mut listed: Vec<(&str, &String)> = errors.0.iter().map(|(k, v)| (*k, v)).collect();
        listed.sort_by_key(|(k, _)| order.iter().position(|f| f == k).unwrap_or(usize::MAX));
        let summary = listed.into_iter().map(|(k, v)| SummaryItem { id: anchor(k).to_string(), message: v.clone() }).collect();
        FormState { values, errors: errors_map, summary, focus: String::new() }
    }
}

use ccg_model::words::{day_span, long_date as long, relative};

/// A meeting in one line, as the claim's pages name it: "Title, 16 March 2027, Porto, Portugal".
pub fn meeting_label(e: &Event) -> String {
    format!("{}, {}, {}", e.title, long(e.when.start_date()), place(e))
}

fn place(e: &Event) -> String {
    match &e.location {
        Some(l) => format!("{}, {}", l.city, countries::name(&l.country).unwrap_or(&l.country)),
        None => "online".into(),
    }
}

/// The claim form on `today`, offering `events` that take claims. `drafts`:
/// the preview also offers draft meetings.
pub fn claim_form(events: &[Event], rules: &TravelRules, today: Date, drafts: bool) -> ClaimFormView {
    let mut events: Vec<&Event> = events.iter().filter(|e| drafts || !e.draft).collect();
    events.sort_by_key(|e| (e.when.start_instant(), e.id.clone()));
    let meetings: Vec<MeetingChoice> = events
        .iter()
        .filter(|e| rules.check_open(e, today).is_ok())
        .map(|e| {
            let (from, until) = rules.travel_range(e);
            MeetingChoice {
                value: e.id.clone(),
                label: meeting_label(e),
                title: e.title.clone(),
                when: format!("{}, {}", day_span(e.when.start_date(), e.when.end_date()), place(e)),
                travel_from: from.to_string(),
                travel_until: until.to_string(),
            }
        })
        .collect();
    let next = if meetings.is_empty() {
        // Not open yet: announced later, or not announced at all (then no date can be given).
        events.iter().filter(|e| e.when.start_date() >= today && !e.is_cancelled() && rules.eligible_formats.contains(&e.format)).find_map(|e| {
            let opens = match rules.check_event(e) {
                Ok(()) => Some(long(rules.claim_window(e).0)),
                Err(_) if e.announced.is_none() => None,
                Err(_) => return None,
            };
            Some(NextMeeting { title: e.title.clone(), url: format!("/calendar/{}/", e.id), date: long(e.when.start_date()), opens })
        })
    } else {
        None
    };
    ClaimFormView {
        travel_min: meetings.iter().map(|m| m.travel_from.clone()).min(),
        travel_max: meetings.iter().map(|m| m.travel_until.clone()).max(),
        meetings,
        max_per_trip: rules.max_per_trip.to_string(),
        max_per_trip_cents: rules.max_per_trip.0,
        travel_hint: format!(
            "From {} to {}.",
            relative(rules.claim_form.travel_days_before, "before", "the meeting starts"),
            relative(rules.claim_form.travel_days_after, "after", "it ends")
        ),
        next,
        eligible_formats: rules.eligible_formats.iter().map(|f| f.label().to_string()).collect(),
        hybrid_excluded: !rules.eligible_formats.contains(&Format::Hybrid),
    }
}

pub fn join_form(directory: &Directory) -> JoinFormView {
    // In the order a reader expects: Åland Islands with the A's, not after Zimbabwe.
    let mut countries: Vec<Choice> = countries::COUNTRIES.iter().map(|(c, n)| Choice { value: c.to_string(), label: n.to_string() }).collect();
    countries.sort_by_cached_key(|c| normalize_name(&c.label));
    JoinFormView { countries, projects: directory.projects.iter().map(|p| p.acronym.clone()).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccg_forms::testing::{catalogue, event_md};

    #[test]
    fn a_filled_form_keeps_what_was_typed_and_lists_mistakes_in_the_forms_order() {
        let fields: Fields = [("email", " ana@x.eu "), ("city_status", "capital")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut e = FieldErrors::default();
        e.add("consent", "Tick the box.");
        e.add("city_status", "Choose one.");
        e.add("name", "Enter your full name.");
        let s = FormState::filled(&fields, &e, validate::REGISTRATION_FIELDS);
        assert_eq!(s.values["email"], "ana@x.eu");
        assert_eq!(s.values["travel_start"], "", "every field is there for the templates");
        assert_eq!(s.errors["email"], "");
        let ids: Vec<&str> = s.summary.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["name", "status-lighthouse", "consent"]);
    }

    #[test]
    fn countries_in_reading_order() {
        let cat = catalogue(&[], None, false);
        let names: Vec<String> = join_form(&cat.directory).countries.into_iter().map(|c| c.label).collect();
        let pos = |n: &str| names.iter().position(|x| x == n).unwrap();
        assert!(pos("Afghanistan") < pos("Åland Islands") && pos("Åland Islands") < pos("Albania"), "{names:?}");
        assert!(pos("Cuba") < pos("Curaçao") && pos("Curaçao") < pos("Cyprus"));
    }

    #[test]
    fn the_meetings_open_today_or_else_the_next_one() {
        let cat = catalogue(
            &[
                event_md("later", "2027-06-16", "2027-06-17", "").replace("2020-01-01", "2027-06-01"),
                event_md("open", "2027-03-16", "2027-03-17", ""),
                event_md("virtual", "2027-03-10", "2027-03-10", "").replace("format: physical", "format: virtual"),
            ],
            None,
            false,
        );
        let v = claim_form(&cat.events, &cat.rules, Date::constant(2027, 1, 10), false);
        assert_eq!(v.meetings.iter().map(|m| m.value.as_str()).collect::<Vec<_>>(), ["open"]);
        assert_eq!(v.meetings[0].label, "Test open, 16 March 2027, Porto, Portugal");
        assert_eq!((v.meetings[0].title.as_str(), v.meetings[0].when.as_str()), ("Test open", "16–17 March 2027, Porto, Portugal"));
        assert_eq!((v.travel_min.as_deref(), v.travel_max.as_deref()), (Some("2027-03-13"), Some("2027-03-20")));
        assert!(v.next.is_none());
        // The open one took claims until 60 days after it ended (content/data/travel-support.yaml).
        let v = claim_form(&cat.events, &cat.rules, Date::constant(2027, 5, 20), false);
        assert!(v.meetings.is_empty());
        let next = v.next.unwrap();
        assert_eq!((next.title.as_str(), next.date.as_str(), next.opens.as_deref()), ("Test later", "16 June 2027", Some("1 June 2027")));
    }
}
