//! The travel-support rules, as data (`content/data/travel-support.yaml`) and
//! as the pure checks the claim function applies. No I/O, no HTTP, no AWS.

use crate::cities::{CityMatch, Role};
use crate::error::ContentError;
use crate::event::{Event, Format};
use crate::money::Cents;
use crate::yaml;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A city qualifies through a role in an SCC project, and maybe only once
/// that project has ended (judged at the event's date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibleRole {
    pub role: Role,
    #[serde(default)]
    pub project_ended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelRules {
    pub max_per_trip: Cents,
    pub max_trips_per_year: u32,
    pub max_per_year: Cents,
    pub eligible_cities: Vec<EligibleRole>,
    pub eligible_formats: Vec<Format>,
    /// Only events the secretariat announced (an `announced` date on or before the start).
    pub require_announced: bool,
    /// How the claim form works (the site's own settings, said as such on the page).
    pub claim_form: ClaimForm,
    /// Projects whose end month the data does not know (`dates_confidence:
    /// uncertain`) but which the secretariat has confirmed as ended: their
    /// cities then count as cities of an ended project. Empty: none.
    #[serde(default)]
    pub ended_projects: Vec<String>,
    /// What the secretariat needs to pay a contribution, as the group
    /// publishes it; empty (the default) while it has not.
    #[serde(default)]
    pub payment: crate::payment::Payment,
    /// How many supporting documents a counted claim takes, and how large
    /// each may be (the form's own setting). Absent: the form takes none.
    #[serde(default)]
    pub documents: Option<DocumentLimits>,
}

/// The supporting documents a claim takes: at most `max_files`, each at most `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentLimits {
    pub max_files: u32,
    pub max_bytes: u64,
}

/// The claim form's own rules: when a meeting is open for claims, and which
/// travel dates fit it. Not rules of the group: settings of this form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimForm {
    /// A meeting takes claims from its `announced` date until this many days after it ends.
    pub days_after_meeting: u32,
    /// Travel may start at most this many days before the meeting starts...
    pub travel_days_before: u32,
    /// ... and end at most this many days after it ends.
    pub travel_days_after: u32,
    /// What a claimant declares before a claim is sent (the check-answers page's checkbox).
    #[serde(default = "default_declaration")]
    pub declaration: String,
}

fn default_declaration() -> String {
    "I declare that the costs are real and not paid by anyone else".to_string()
}

/// Why a claim is refused; `code()` is the stable reason in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this city is not eligible for a travel contribution for this event")]
    CityNotEligible,
    #[error("this event is not eligible: only physical CCG events announced by the secretariat and not cancelled")]
    EventNotEligible,
    #[error("the city has already used its trips for that year")]
    OverYearlyTrips,
    #[error("the amount would take the city over its yearly limit")]
    OverYearlyAmount,
    #[error("this person already has a contribution for this meeting")]
    AlreadyClaimed,
    #[error("the meeting is not open for claims on this date")]
    ClaimsNotOpen,
    #[error("the claimant is not an approved representative of this city")]
    NotRepresentative,
    /// At confirmation: the meeting as it stands now (cancelled, no longer
    /// announced or published, or its claim window closed) no longer takes claims.
    #[error("the meeting no longer takes claims")]
    MeetingClosed,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::CityNotEligible => "city_not_eligible",
            Refusal::EventNotEligible => "event_not_eligible",
            Refusal::OverYearlyTrips => "over_yearly_trips",
            Refusal::OverYearlyAmount => "over_yearly_amount",
            Refusal::AlreadyClaimed => "already_claimed",
            Refusal::ClaimsNotOpen => "claims_not_open",
            Refusal::NotRepresentative => "not_representative",
            Refusal::MeetingClosed => "meeting_closed",
        }
    }
}

/// What a city has already claimed in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearUsage {
    pub trips: u32,
    pub amount: Cents,
}

impl TravelRules {
    pub fn parse(file: &Path, text: &str) -> Result<TravelRules, ContentError> {
        let rules: TravelRules = yaml::parse(file, text, 1)?;
        let line = |k| yaml::key_line(text, 1, k);
        if rules.max_per_trip > rules.max_per_year {
            return Err(ContentError::new(file, line("max_per_trip"), 1, "max_per_trip is larger than max_per_year"));
        }
        if rules.max_trips_per_year == 0 || rules.max_per_trip.0 <= 0 {
            return Err(ContentError::new(file, line("max_trips_per_year"), 1, "limits must be above zero"));
        }
        if rules.documents.is_some_and(|d| d.max_files == 0 || d.max_bytes == 0) {
            return Err(ContentError::new(file, line("documents"), 1, "documents: max_files and max_bytes must be above zero"));
        }
        Ok(rules)
    }

    /// Drafts are not refused here: a deployed catalogue never contains them,
    /// and the local preview includes them on purpose so the form can be tried.
    pub fn check_event(&self, event: &Event) -> Result<(), Refusal> {
        let announced = match event.announced {
            Some(a) => a <= event.when.start_date(),
            None => !self.require_announced,
        };
        if event.is_cancelled() || !announced || !self.eligible_formats.contains(&event.format) {
            return Err(Refusal::EventNotEligible);
        }
        Ok(())
    }

    /// The days on which an eligible meeting takes claims: from its announcement
    /// (or, when announcements are not required and it has none, from any day)
    /// to `days_after_meeting` days after its last day, both included.
    pub fn claim_window(&self, event: &Event) -> (Date, Date) {
        let from = event.announced.unwrap_or(Date::MIN);
        let until = event.when.end_date().saturating_add(jiff::Span::new().days(i64::from(self.claim_form.days_after_meeting)));
        (from, until)
    }

    /// An eligible meeting whose claim window holds `today`.
    pub fn check_open(&self, event: &Event, today: Date) -> Result<(), Refusal> {
        self.check_event(event)?;
        let (from, until) = self.claim_window(event);
        if today < from || today > until {
            return Err(Refusal::ClaimsNotOpen);
        }
        Ok(())
    }

    /// The travel dates that fit a meeting: (earliest start, latest end).
    pub fn travel_range(&self, event: &Event) -> (Date, Date) {
        let before = jiff::Span::new().days(i64::from(self.claim_form.travel_days_before));
        let after = jiff::Span::new().days(i64::from(self.claim_form.travel_days_after));
        (event.when.start_date().saturating_sub(before), event.when.end_date().saturating_add(after))
    }

    /// True when one of the city's roles qualifies on `on` (the event's date).
    pub fn city_qualifies(&self, roles: &[CityMatch<'_>], on: Date) -> bool {
        roles.iter().any(|m| self.eligible_cities.iter().any(|e| e.role == m.role && (!e.project_ended || self.project_ended_on(m.project, on))))
    }

    /// Whether the form counts `p` as ended on `on`: its end month is known and
    /// past, or the secretariat has confirmed it ended (`ended_projects`). A
    /// planned or estimated end counts for nothing: the page does not show it either.
    pub fn project_ended_on(&self, p: &crate::cities::Project, on: Date) -> bool {
        if self.ended_projects.iter().any(|a| a.eq_ignore_ascii_case(&p.acronym)) {
            return true;
        }
        p.end_known() && p.has_ended_on(on)
    }

    pub fn check_city(&self, roles: &[CityMatch<'_>], on: Date) -> Result<(), Refusal> {
        if self.city_qualifies(roles, on) { Ok(()) } else { Err(Refusal::CityNotEligible) }
    }

    /// The contribution a claim asks for: its real costs, up to the per-trip limit.
    pub fn asked(&self, costs: Cents) -> Cents {
        Cents(costs.0.min(self.max_per_trip.0))
    }

    /// What one more claim asking for `asked` gets in a year that has `used`:
    /// all of it, or what the year has left; refused only when the year has
    /// no trip or no euro left. Returns (contribution, the year after it).
    /// The stores apply it atomically with the write; this is the single definition.
    pub fn count(&self, used: YearUsage, asked: Cents) -> Result<(Cents, YearUsage), Refusal> {
        if used.trips >= self.max_trips_per_year {
            return Err(Refusal::OverYearlyTrips);
        }
        let left = self.max_per_year.0 - used.amount.0;
        if left <= 0 {
            return Err(Refusal::OverYearlyAmount);
        }
        let amount = Cents(asked.0.min(left));
        Ok((amount, YearUsage { trips: used.trips + 1, amount: Cents(used.amount.0 + amount.0) }))
    }

    /// What is left after `used`: (trips, euros).
    pub fn remaining(&self, used: YearUsage) -> YearUsage {
        YearUsage { trips: self.max_trips_per_year.saturating_sub(used.trips), amount: Cents((self.max_per_year.0 - used.amount.0).max(0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cities::Directory;

    /// The fixture site's rules (tests/fixture-site): the real ones as of issue 17.
    fn rules() -> TravelRules {
        TravelRules::parse(Path::new("t.yaml"), include_str!("../../tests/fixture-site/content/data/travel-support.yaml")).unwrap()
    }

    #[test]
    fn the_content_rules_are_the_documented_defaults() {
        let r = TravelRules::parse(Path::new("t.yaml"), include_str!("../../content/data/travel-support.yaml")).unwrap();
        assert_eq!(r.max_per_trip, Cents(45000));
        assert_eq!(r.max_per_year, Cents(90000));
        assert_eq!(r.max_trips_per_year, 2);
        assert_eq!(r.eligible_formats, vec![Format::Physical]);
        assert_eq!(r.documents, Some(DocumentLimits { max_files: 5, max_bytes: 10 * 1024 * 1024 }));
    }

    #[test]
    fn yearly_limits() {
        let r = rules();
        let (a, one) = r.count(YearUsage::default(), Cents(45000)).unwrap();
        assert_eq!(a, Cents(45000));
        let (_, two) = r.count(one, Cents(45000)).unwrap();
        assert_eq!(r.count(two, Cents(1)), Err(Refusal::OverYearlyTrips));
        assert_eq!(r.remaining(one), YearUsage { trips: 1, amount: Cents(45000) });
        // Less left than asked: the contribution is what is left.
        let (a, after) = r.count(YearUsage { trips: 1, amount: Cents(60000) }, Cents(45000)).unwrap();
        assert_eq!((a, after.amount), (Cents(30000), Cents(90000)));
        assert_eq!(r.count(YearUsage { trips: 1, amount: Cents(90000) }, Cents(1)), Err(Refusal::OverYearlyAmount));
    }

    #[test]
    fn a_claim_asks_for_its_costs_up_to_the_per_trip_limit() {
        let r = rules();
        assert_eq!(r.asked(Cents(60000)), Cents(45000));
        assert_eq!(r.asked(Cents(41250)), Cents(41250));
    }

    #[test]
    fn city_needs_an_ended_project_at_the_event_date() {
        let r = rules();
        let dir = Directory::parse(Path::new("p.yaml"), include_str!("../../tests/fixture-site/content/data/scc-projects.yaml")).unwrap();
        // Seraing: fellow of REMOURBAN, which ended 2020-06.
        let seraing = dir.find("Seraing", Some("BE"));
        assert!(!r.city_qualifies(&seraing, Date::constant(2020, 6, 30)));
        assert!(r.city_qualifies(&seraing, Date::constant(2020, 7, 1)));
        // Cluj-Napoca: fellow of STARDUST, whose end month is only an estimate:
        // not an ended project for the form until the secretariat says so.
        let cluj = dir.find("Cluj-Napoca", Some("RO"));
        assert!(!cluj.is_empty());
        assert!(!r.city_qualifies(&cluj, Date::constant(2027, 3, 16)));
        let confirmed = TravelRules { ended_projects: vec!["stardust".into()], ..r.clone() };
        assert!(confirmed.city_qualifies(&cluj, Date::constant(2027, 3, 16)));
        // Observers never qualify by default.
        let tianjin = dir.find("Tianjin", None);
        assert!(!tianjin.is_empty());
        assert!(!r.city_qualifies(&tianjin, Date::constant(2030, 1, 1)));
    }

    fn event(text: &str) -> Event {
        crate::event::parse(Path::new("e.md"), text).unwrap()
    }

    #[test]
    fn claim_window_and_travel_range() {
        let r = rules();
        let e = event(
            "---\nid: w\ntitle: W\nstart: 2027-03-16T09:00\nend: 2027-03-17T13:00\ntimezone: Europe/Lisbon\nformat: physical\nkind: co-creation\nlocation: {city: Porto, country: PT}\nannounced: 2026-12-01\n---\nB\n",
        );
        let days = i64::from(r.claim_form.days_after_meeting);
        assert_eq!(r.claim_window(&e), (Date::constant(2026, 12, 1), Date::constant(2027, 3, 17).saturating_add(jiff::Span::new().days(days))));
        assert_eq!(r.check_open(&e, Date::constant(2026, 11, 30)), Err(Refusal::ClaimsNotOpen), "not before the announcement");
        assert_eq!(r.check_open(&e, Date::constant(2026, 12, 1)), Ok(()));
        let last = Date::constant(2027, 3, 17).saturating_add(jiff::Span::new().days(days));
        assert_eq!(r.check_open(&e, last), Ok(()));
        assert_eq!(r.check_open(&e, last.tomorrow().unwrap()), Err(Refusal::ClaimsNotOpen), "not long after");
        let (a, b) = r.travel_range(&e);
        assert_eq!(a, Date::constant(2027, 3, 16).saturating_sub(jiff::Span::new().days(i64::from(r.claim_form.travel_days_before))));
        assert_eq!(b, Date::constant(2027, 3, 17).saturating_add(jiff::Span::new().days(i64::from(r.claim_form.travel_days_after))));
    }

    #[test]
    fn bad_rules_are_located() {
        let e = TravelRules::parse(Path::new("t.yaml"), "max_per_trip: 1.5\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
