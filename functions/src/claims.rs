//! The domain: a validated input + the catalogue -> the record to store, or why
//! not. Pure functions: no HTTP, no AWS, no clock beyond the `now` handed in.
//! The yearly limits need the stored counters, so the stores apply them (with
//! `TravelRules::check_year`, the single definition) inside their transaction.

use crate::validate::{ClaimInput, FieldErrors, RegistrationInput};
use ccg_model::{Catalogue, Cents, Refusal};
use jiff::civil::Date;
use sha2::{Digest, Sha256};

/// One contact of the CCG, keyed by the lower-cased email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Derived from the email, so a repeat gets the same answer as the first time.
    pub id: String,
    pub email_key: String,
    pub name: String,
    pub email: String,
    pub city: String,
    pub country: String,
    pub organisation: String,
    pub position: String,
    pub city_status: String,
    pub project: Option<String>,
    /// RFC 3339; the first registration's time is kept on a repeat.
    pub created_at: String,
    pub updated_at: String,
}

/// A travel claim, ready to be counted against its city's year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: String,
    pub name: String,
    pub email: String,
    /// The city as the directory spells it (not as typed).
    pub city: String,
    /// `ES:valladolid`: the same city whatever the spelling or project.
    pub city_key: String,
    pub country: String,
    pub event_id: String,
    /// The calendar year of the event: the year the claim counts in.
    pub year: i16,
    pub travel_start: Date,
    pub travel_end: Date,
    pub amount: Cents,
    pub transport: Cents,
    pub accommodation: Cents,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 422: fields to correct.
    Invalid(FieldErrors),
    /// 409: a rule refuses the claim.
    Refused(Refusal),
}

fn short_hash(prefix: &str, text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

pub fn registration(input: RegistrationInput, now: &str) -> Registration {
    let email_key = input.email.to_lowercase();
    Registration {
        id: short_hash("reg", &format!("registration:{email_key}")),
        email_key,
        name: input.name,
        email: input.email,
        city: input.city,
        country: input.country,
        organisation: input.organisation,
        position: input.position,
        city_status: input.city_status.as_str().to_string(),
        project: input.project,
        created_at: now.to_string(),
        updated_at: now.to_string(),
    }
}

/// Checks a claim against the catalogue: the event, the city at the event's
/// date, the travel dates, the per-trip amount. `accept_drafts` is true only
/// in the local preview, whose catalogue holds the drafts.
pub fn claim(cat: &Catalogue, input: ClaimInput, accept_drafts: bool, now: &str) -> Result<Claim, Rejection> {
    let mut errors = FieldErrors::default();
    let event = cat.event(&input.event).filter(|e| accept_drafts || !e.draft);
    if event.is_none() {
        errors.add("event", "Choose a CCG event from the list: we do not know this one.");
    }
    let found = cat.directory.find(&input.city, Some(&input.country));
    let mut keys: Vec<String> = found.iter().map(|m| m.key()).collect();
    keys.sort();
    keys.dedup();
    match keys.len() {
        0 => errors.add(
            "city",
            "This city is not among the cities of the SCC lighthouse projects in that country. Check the spelling and the country.",
        ),
        1 => {}
        _ => errors.add("city", "Several SCC cities match this name: write the city's full name."),
    }
    if let Some(e) = event {
        if input.travel_end < e.when.start_date() {
            errors.add("travel_end", format!("The trip cannot end before the event starts ({}).", e.when.start_date()));
        }
        if input.travel_start > e.when.end_date() {
            errors.add("travel_start", format!("The trip cannot start after the event ends ({}).", e.when.end_date()));
        }
    }
    let (Some(event), true) = (event, errors.is_empty()) else { return Err(Rejection::Invalid(errors)) };

    // A draft got this far only in the preview (`accept_drafts`), where people
    // try the whole flow on the example events; the rules judge it like any other.
    cat.rules.check_event(event).map_err(Rejection::Refused)?;
    cat.rules.check_city(&found, event.when.start_date()).map_err(Rejection::Refused)?;
    cat.rules.check_amount(input.amount).map_err(Rejection::Refused)?;

    let city = found[0].city;
    let city_key = found[0].key();
    Ok(Claim {
        id: short_hash("clm", &format!("claim:{city_key}#{}", event.id)),
        name: input.name,
        email: input.email,
        city: city.name.clone(),
        city_key,
        country: city.country.clone(),
        event_id: event.id.clone(),
        year: event.claim_year(),
        travel_start: input.travel_start,
        travel_end: input.travel_end,
        amount: input.amount,
        transport: input.transport,
        accommodation: input.accommodation,
        created_at: now.to_string(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::validate::{CityStatus, RegistrationInput};
    use ccg_model::Sources;
    use std::path::{Path, PathBuf};

    /// An event file for tests: physical, announced, in Lisbon.
    pub fn event_md(id: &str, start: &str, end: &str, extra: &str) -> String {
        format!(
            "---\nid: {id}\ntitle: Test {id}\nstart: {start}\nend: {end}\ntimezone: Europe/Lisbon\nformat: physical\nkind: co-creation\nlocation: {{city: Porto, country: PT}}\nannounced: 2020-01-01\n{extra}---\nBody\n"
        )
    }

    /// The real cities and rules, with the events given.
    pub fn catalogue(events: &[String], rules: Option<&str>, drafts: bool) -> Catalogue {
        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
        let read = |p: &str| (PathBuf::from(p), std::fs::read_to_string(content.join(p)).unwrap());
        let mut rules_src = read("data/travel-support.yaml");
        if let Some(r) = rules {
            rules_src.1 = r.to_string();
        }
        let src = Sources {
            events: events.iter().enumerate().map(|(i, t)| (PathBuf::from(format!("events/{i}.md")), t.clone())).collect(),
            projects: read("data/scc-projects.yaml"),
            rules: rules_src,
        };
        Catalogue::from_sources(&src, drafts).unwrap()
    }

    fn input(event: &str, city: &str, country: &str, amount: i64) -> ClaimInput {
        ClaimInput {
            name: "Ana".into(),
            email: "ana@example.eu".into(),
            city: city.into(),
            country: country.into(),
            event: event.into(),
            travel_start: Date::constant(2027, 3, 15),
            travel_end: Date::constant(2027, 3, 17),
            amount: Cents(amount),
            transport: Cents(amount),
            accommodation: Cents(0),
        }
    }

    fn cat() -> Catalogue {
        catalogue(
            &[
                event_md("ok", "2027-03-16", "2027-03-17", ""),
                event_md("virtual", "2027-03-16", "2027-03-17", "").replace("format: physical", "format: virtual"),
                event_md("cancelled", "2027-03-16", "2027-03-17", "status: cancelled\n"),
                event_md("unannounced", "2027-03-16", "2027-03-17", "").replace("announced: 2020-01-01\n", ""),
                event_md("late-notice", "2027-03-16", "2027-03-17", "").replace("2020-01-01", "2027-03-17"),
                event_md("draft", "2027-03-16", "2027-03-17", "draft: true\n"),
                event_md("in-2020", "2020-06-16T10:00", "2020-06-16T12:00", ""),
            ],
            None,
            true,
        )
    }

    fn refused(r: Result<Claim, Rejection>) -> Refusal {
        match r {
            Err(Rejection::Refused(x)) => x,
            other => panic!("{other:?}"),
        }
    }

    fn invalid(r: Result<Claim, Rejection>) -> FieldErrors {
        match r {
            Err(Rejection::Invalid(x)) => x,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_eligible_claim_names_the_city_as_the_directory_does() {
        let c = claim(&cat(), input("ok", "valladolid", "es", 45000), false, "t").unwrap();
        assert_eq!((c.city.as_str(), c.city_key.as_str(), c.country.as_str()), ("Valladolid", "ES:valladolid", "ES"));
        assert_eq!(c.year, 2027);
        let again = claim(&cat(), input("ok", "VALLADOLID", "ES", 100), false, "u").unwrap();
        assert_eq!(c.id, again.id, "one id per city and event");
        let koln = claim(&cat(), input("ok", "Köln", "DE", 100), false, "t").unwrap();
        assert_eq!(koln.city, "Cologne");
    }

    #[test]
    fn events_that_are_not_eligible() {
        for id in ["virtual", "cancelled", "unannounced", "late-notice"] {
            assert_eq!(refused(claim(&cat(), input(id, "Valladolid", "ES", 100), false, "t")), Refusal::EventNotEligible, "{id}");
        }
        assert!(invalid(claim(&cat(), input("nope", "Valladolid", "ES", 100), false, "t")).has("event"));
    }

    #[test]
    fn drafts_only_in_the_preview() {
        assert!(invalid(claim(&cat(), input("draft", "Valladolid", "ES", 100), false, "t")).has("event"));
        assert!(claim(&cat(), input("draft", "Valladolid", "ES", 100), true, "t").is_ok());
        let published = catalogue(&[event_md("draft", "2027-03-16", "2027-03-17", "draft: true\n")], None, false);
        assert!(invalid(claim(&published, input("draft", "Valladolid", "ES", 100), true, "t")).has("event"));
    }

    #[test]
    fn the_city_is_judged_at_the_event_date() {
        // REMOURBAN ended in 2020-06: Valladolid is not yet eligible on 2020-06-16.
        let mut i = input("in-2020", "Valladolid", "ES", 100);
        i.travel_start = Date::constant(2020, 6, 16);
        i.travel_end = Date::constant(2020, 6, 16);
        assert_eq!(refused(claim(&cat(), i, false, "t")), Refusal::CityNotEligible);
        // Observers never are.
        assert_eq!(refused(claim(&cat(), input("ok", "Tianjin", "CN", 100), false, "t")), Refusal::CityNotEligible);
    }

    #[test]
    fn unknown_city_or_country_is_a_field_error() {
        assert!(invalid(claim(&cat(), input("ok", "Atlantis", "ES", 100), false, "t")).has("city"));
        assert!(invalid(claim(&cat(), input("ok", "Valladolid", "FR", 100), false, "t")).has("city"));
    }

    #[test]
    fn per_trip_limit() {
        assert_eq!(refused(claim(&cat(), input("ok", "Valladolid", "ES", 45001), false, "t")), Refusal::OverPerTrip);
    }

    #[test]
    fn travel_dates_must_fit_the_event() {
        let mut i = input("ok", "Valladolid", "ES", 100);
        i.travel_start = Date::constant(2027, 3, 10);
        i.travel_end = Date::constant(2027, 3, 15);
        assert!(invalid(claim(&cat(), i.clone(), false, "t")).has("travel_end"));
        i.travel_start = Date::constant(2027, 3, 18);
        i.travel_end = Date::constant(2027, 3, 19);
        assert!(invalid(claim(&cat(), i.clone(), false, "t")).has("travel_start"));
        // Arriving the evening before, leaving on the last day: fine.
        i.travel_start = Date::constant(2027, 3, 15);
        i.travel_end = Date::constant(2027, 3, 17);
        assert!(claim(&cat(), i, false, "t").is_ok());
    }

    #[test]
    fn registration_id_ignores_email_case() {
        let r = |email: &str| {
            registration(
                RegistrationInput {
                    name: "A".into(),
                    email: email.into(),
                    city: "X".into(),
                    country: "BE".into(),
                    organisation: "O".into(),
                    position: "P".into(),
                    city_status: CityStatus::Other,
                    project: None,
                },
                "t",
            )
        };
        assert_eq!(r("Ana@City.EU").id, r("ana@city.eu").id);
        assert_eq!(r("Ana@City.EU").email_key, "ana@city.eu");
        assert_ne!(r("bob@city.eu").id, r("ana@city.eu").id);
    }
}
