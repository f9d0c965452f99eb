//! The domain: a validated input + the catalogue -> the record to store, or why
//! not. Pure functions: no HTTP, no AWS, no clock beyond the `now` handed in.
//! The yearly limits need the stored counters, so the stores apply them (with
//! `TravelRules::check_year`, the single definition) inside their transaction.

use crate::records::{Claim, Registration};
use crate::validate::{ClaimInput, FieldErrors, RegistrationInput};
use ccg_model::{Catalogue, Refusal};
use jiff::civil::Date;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 422: fields to correct.
    Invalid(FieldErrors),
    /// 409: a rule refuses the claim.
    Refused(Refusal),
}

fn long(d: Date) -> String {
    crate::service::messages::long_date(d)
}

/// The key of a contact: one per address, whatever its letter case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn registration(input: RegistrationInput) -> Registration {
    Registration {
        email_key: email_key(&input.email),
        name: input.name,
        email: input.email,
        city: input.city,
        country: input.country,
        organisation: input.organisation,
        position: input.position,
        city_status: input.city_status.as_str().to_string(),
        project: input.project,
    }
}

/// Checks a claim against the catalogue on `today`: the event and its claim
/// window, the city at the event's date, the travel dates, the per-trip
/// amount. `accept_drafts` is true only in the local preview, whose catalogue
/// holds the drafts. What depends on stored data (the representative, the
/// year's limits, one contribution per person and meeting) is checked when the
/// claim is confirmed.
pub fn claim(cat: &Catalogue, input: ClaimInput, accept_drafts: bool, today: Date, now: &str) -> Result<Claim, Rejection> {
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
        let (from, until) = cat.rules.travel_range(e);
        if input.travel_start < from || input.travel_start > until {
            errors.add("travel_start", format!("For this meeting, the trip must start between {} and {}.", long(from), long(until)));
        }
        if input.travel_end < from || input.travel_end > until {
            errors.add("travel_end", format!("For this meeting, the trip must end between {} and {}.", long(from), long(until)));
        }
    }
    let (Some(event), true) = (event, errors.is_empty()) else { return Err(Rejection::Invalid(errors)) };

    // A draft got this far only in the preview (`accept_drafts`), where people
    // try the whole flow on the example events; the rules judge it like any other.
    cat.rules.check_open(event, today).map_err(Rejection::Refused)?;
    cat.rules.check_city(&found, event.when.start_date()).map_err(Rejection::Refused)?;
    cat.rules.check_amount(input.amount).map_err(Rejection::Refused)?;

    let city = found[0].city;
    Ok(Claim {
        id: crate::token::new_id("clm"),
        email_key: email_key(&input.email),
        name: input.name,
        email: input.email,
        city: city.name.clone(),
        city_key: found[0].key(),
        country: city.country.clone(),
        event_id: event.id.clone(),
        year: event.claim_year(),
        travel_start: input.travel_start,
        travel_end: input.travel_end,
        amount: input.amount,
        transport: input.transport,
        accommodation: input.accommodation,
        created_at: now.to_string(),
        confirmed_at: String::new(),
        status: crate::records::ClaimStatus::Counted,
        link_id: String::new(),
        link_hashes: Vec::new(),
        reason: None,
        paid: None,
        paid_on: None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::validate::{CityStatus, RegistrationInput};
    use ccg_model::{Cents, Sources};
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

    const TODAY: Date = Date::constant(2027, 1, 10);

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
        let c = claim(&cat(), input("ok", "valladolid", "es", 45000), false, TODAY, "t").unwrap();
        assert_eq!((c.city.as_str(), c.city_key.as_str(), c.country.as_str()), ("Valladolid", "ES:valladolid", "ES"));
        assert_eq!(c.year, 2027);
        let again = claim(&cat(), input("ok", "VALLADOLID", "ES", 100), false, TODAY, "u").unwrap();
        assert_ne!(c.id, again.id, "every claim has its own id");
        assert_eq!(c.email_key, "ana@example.eu");
        let koln = claim(&cat(), input("ok", "Köln", "DE", 100), false, TODAY, "t").unwrap();
        assert_eq!(koln.city, "Cologne");
    }

    #[test]
    fn events_that_are_not_eligible() {
        for id in ["virtual", "cancelled", "unannounced", "late-notice"] {
            assert_eq!(refused(claim(&cat(), input(id, "Valladolid", "ES", 100), false, TODAY, "t")), Refusal::EventNotEligible, "{id}");
        }
        assert!(invalid(claim(&cat(), input("nope", "Valladolid", "ES", 100), false, TODAY, "t")).has("event"));
    }

    #[test]
    fn drafts_only_in_the_preview() {
        assert!(invalid(claim(&cat(), input("draft", "Valladolid", "ES", 100), false, TODAY, "t")).has("event"));
        assert!(claim(&cat(), input("draft", "Valladolid", "ES", 100), true, TODAY, "t").is_ok());
        let published = catalogue(&[event_md("draft", "2027-03-16", "2027-03-17", "draft: true\n")], None, false);
        assert!(invalid(claim(&published, input("draft", "Valladolid", "ES", 100), true, TODAY, "t")).has("event"));
    }

    #[test]
    fn the_city_is_judged_at_the_event_date() {
        // REMOURBAN ended in 2020-06: Valladolid is not yet eligible on 2020-06-16.
        let mut i = input("in-2020", "Valladolid", "ES", 100);
        i.travel_start = Date::constant(2020, 6, 16);
        i.travel_end = Date::constant(2020, 6, 16);
        assert_eq!(refused(claim(&cat(), i, false, Date::constant(2020, 6, 1), "t")), Refusal::CityNotEligible);
        // Observers never are.
        assert_eq!(refused(claim(&cat(), input("ok", "Tianjin", "CN", 100), false, TODAY, "t")), Refusal::CityNotEligible);
    }

    #[test]
    fn unknown_city_or_country_is_a_field_error() {
        assert!(invalid(claim(&cat(), input("ok", "Atlantis", "ES", 100), false, TODAY, "t")).has("city"));
        assert!(invalid(claim(&cat(), input("ok", "Valladolid", "FR", 100), false, TODAY, "t")).has("city"));
    }

    #[test]
    fn per_trip_limit() {
        assert_eq!(refused(claim(&cat(), input("ok", "Valladolid", "ES", 45001), false, TODAY, "t")), Refusal::OverPerTrip);
    }

    #[test]
    fn travel_dates_must_fit_the_event() {
        // The meeting is on 16-17 March; the form takes 3 days either side (content/data/travel-support.yaml).
        let mut i = input("ok", "Valladolid", "ES", 100);
        i.travel_start = Date::constant(2027, 3, 12);
        i.travel_end = Date::constant(2027, 3, 21);
        let e = invalid(claim(&cat(), i.clone(), false, TODAY, "t"));
        assert!(e.has("travel_start") && e.has("travel_end"), "{e:?}");
        assert!(e.0["travel_start"].contains("13 March 2027 and 20 March 2027"), "{e:?}");
        i.travel_start = Date::constant(1, 1, 1);
        i.travel_end = Date::constant(9999, 12, 31);
        assert!(invalid(claim(&cat(), i.clone(), false, TODAY, "t")).has("travel_start"));
        i.travel_start = Date::constant(2027, 3, 13);
        i.travel_end = Date::constant(2027, 3, 20);
        assert!(claim(&cat(), i, false, TODAY, "t").is_ok());
    }

    #[test]
    fn a_meeting_takes_claims_from_its_announcement_until_some_days_after() {
        let c = catalogue(
            &[
                event_md("soon", "2027-03-16", "2027-03-17", "").replace("2020-01-01", "2027-02-01"),
                event_md("ok", "2027-03-16", "2027-03-17", ""),
            ],
            None,
            false,
        );
        let i = input("soon", "Valladolid", "ES", 100);
        assert_eq!(refused(claim(&c, i.clone(), false, Date::constant(2027, 1, 31), "t")), Refusal::ClaimsNotOpen, "announced in the future");
        assert!(claim(&c, i, false, Date::constant(2027, 2, 1), "t").is_ok());
        let days = c.rules.claim_form.days_after_meeting as i64;
        let last = Date::constant(2027, 3, 17).saturating_add(jiff::Span::new().days(days));
        assert!(claim(&c, input("ok", "Valladolid", "ES", 100), false, last, "t").is_ok());
        let late = last.tomorrow().unwrap();
        assert_eq!(refused(claim(&c, input("ok", "Valladolid", "ES", 100), false, late, "t")), Refusal::ClaimsNotOpen, "years later");
    }

    #[test]
    fn registration_key_ignores_email_case() {
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
            )
        };
        assert_eq!(r("Ana@City.EU").email_key, r("ana@city.eu").email_key);
        assert_eq!(r("Ana@City.EU").email_key, "ana@city.eu");
        assert_eq!(r("Ana@City.EU").email, "Ana@City.EU", "kept as typed");
    }
}
