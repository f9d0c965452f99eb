//! The domain: a validated input + the catalogue -> the record to store, or why
//! not. Pure functions: no HTTP, no AWS, no clock beyond the `now` handed in.
//! The yearly limits need the stored counters, so the stores apply them (with
//! `TravelRules::count`, the single definition) inside their transaction.

use crate::records::{Contact, DraftClaim, Registration};
use crate::validate::{ClaimInput, RegistrationInput};
use ccg_model::{Catalogue, Refusal};

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
        listed: input.listed,
    }
}

/// The claim to keep for `contact`, an approved representative: the city is
/// the one they represent, which must qualify on the date of the meeting; the
/// contribution asked for is the costs, up to the per-trip limit. What depends
/// on stored data (the year's limits, one contribution per person and
/// meeting) is checked when the claim is confirmed.
pub fn claim(cat: &Catalogue, input: ClaimInput, contact: &Contact, now: jiff::Timestamp) -> Result<DraftClaim, Refusal> {
    let event = cat.event(&input.event).ok_or(Refusal::EventNotEligible)?;
    let city_key = contact.city_key.as_deref().ok_or(Refusal::NotRepresentative)?;
    let roles = cat.directory.by_key(city_key);
    cat.rules.check_city(&roles, event.when.start_date())?;
    let city = roles[0].city;
    Ok(DraftClaim {
        id: crate::token::new_id("clm"),
        email_key: email_key(&input.email),
        name: contact.details.name.clone(),
        email: input.email.trim().to_string(),
        city: city.name.clone(),
        city_key: city_key.to_string(),
        country: city.country.clone(),
        event_id: event.id.clone(),
        year: event.claim_year(),
        travel_start: input.travel_start,
        travel_end: input.travel_end,
        amount: cat.rules.asked(input.costs()),
        transport: input.transport,
        accommodation: input.accommodation,
        created_at: now,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::records::ContactStatus;
    pub use crate::testing::{catalogue, event_md};
    use crate::validate::{CityStatus, RegistrationInput};
    use ccg_model::Cents;
    use jiff::civil::Date;

    fn input(event: &str, euros: i64) -> ClaimInput {
        ClaimInput {
            email: "Ana@Example.eu".into(),
            event: event.into(),
            travel_start: Date::constant(2027, 3, 15),
            travel_end: Date::constant(2027, 3, 17),
            transport: Cents(euros * 100 - 5000),
            accommodation: Cents(5000),
        }
    }

    /// An approved representative of the city `key`.
    fn rep(key: &str) -> Contact {
        Contact {
            details: registration(RegistrationInput {
                name: "Ana López".into(),
                email: "ana@example.eu".into(),
                city: "as typed".into(),
                country: "ES".into(),
                organisation: "O".into(),
                position: "P".into(),
                city_status: CityStatus::Other,
                project: None,
                listed: false,
            }),
            status: ContactStatus::Approved,
            city_key: Some(key.into()),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            version: 1,
            expires_at: None,
        }
    }

    fn cat() -> Catalogue {
        catalogue(&[event_md("ok", "2027-03-16", "2027-03-17", ""), event_md("in-2020", "2020-06-16T10:00", "2020-06-16T12:00", "")], None, false)
    }

    #[test]
    fn a_claim_is_for_the_city_the_person_represents_named_as_the_directory_does() {
        let c = claim(&cat(), input("ok", 300), &rep("DE:cologne"), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!((c.city.as_str(), c.city_key.as_str(), c.country.as_str()), ("Cologne", "DE:cologne", "DE"));
        assert_eq!((c.name.as_str(), c.email.as_str(), c.email_key.as_str()), ("Ana López", "Ana@Example.eu", "ana@example.eu"));
        assert_eq!(c.year, 2027);
        let again = claim(&cat(), input("ok", 300), &rep("DE:cologne"), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_ne!(c.id, again.id, "every claim has its own id");
    }

    #[test]
    fn the_contribution_asked_for_is_the_costs_up_to_the_per_trip_limit() {
        let c = claim(&cat(), input("ok", 600), &rep("ES:valladolid"), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!((c.transport, c.accommodation, c.amount), (Cents(55000), Cents(5000), Cents(45000)));
        let c = claim(&cat(), input("ok", 300), &rep("ES:valladolid"), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(c.amount, Cents(30000));
    }

    #[test]
    fn the_city_is_judged_at_the_event_date() {
        // REMOURBAN ended in 2020-06: Valladolid is not yet eligible on 2020-06-16.
        assert_eq!(claim(&cat(), input("in-2020", 100), &rep("ES:valladolid"), jiff::Timestamp::UNIX_EPOCH).unwrap_err(), Refusal::CityNotEligible);
        // Observers never are, nor cities outside the SCC projects.
        assert_eq!(claim(&cat(), input("ok", 100), &rep("CN:tianjin"), jiff::Timestamp::UNIX_EPOCH).unwrap_err(), Refusal::CityNotEligible);
        assert_eq!(claim(&cat(), input("ok", 100), &rep("BE:nowhere"), jiff::Timestamp::UNIX_EPOCH).unwrap_err(), Refusal::CityNotEligible);
    }

    #[test]
    fn registration_key_ignores_email_case() {
        let r = |email: &str| {
            registration(RegistrationInput {
                name: "A".into(),
                email: email.into(),
                city: "X".into(),
                country: "BE".into(),
                organisation: "O".into(),
                position: "P".into(),
                city_status: CityStatus::Other,
                project: None,
                listed: false,
            })
        };
        assert_eq!(r("Ana@City.EU").email_key, r("ana@city.eu").email_key);
        assert_eq!(r("Ana@City.EU").email_key, "ana@city.eu");
        assert_eq!(r("Ana@City.EU").email, "Ana@City.EU", "kept as typed");
    }
}
