//! Field map -> typed input, with one clear message per wrong field, every
//! mistake of a form at once: what the fields say by themselves, the SCC
//! project list, and for a claim the meetings open for claims and the travel
//! dates each allows. What depends on stored data (who represents which city)
//! is in `claims` and the stores.

use crate::decode::Fields;
pub use crate::text::is_email;
use crate::text::{self, MAX_EMAIL, MAX_TEXT};
use ccg_model::catalogue::ClosedMeeting;
use ccg_model::{Catalogue, Cents, Directory, countries};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Field name -> what is wrong with it (one message per field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

/// The order of the fields on each form: mistakes are listed in it.
pub const REGISTRATION_FIELDS: &[&str] = &["name", "email", "organisation", "position", "city", "country", "city_status", "project", "listed", "consent"];
pub const CLAIM_FIELDS: &[&str] = &["email", "event", "travel_start", "travel_end", "transport_eur", "accommodation_eur", "consent", "declaration"];

/// A form that passed validation, or a bot that filled the honeypot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission<T> {
    Valid(T),
    /// The hidden `website` field was filled on a form that is otherwise
    /// right: answer as if accepted, store nothing. A filled one with mistakes
    /// gets its mistakes, like any other (no request breaking the written
    /// contract is answered as accepted).
    Honeypot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CityStatus {
    Lighthouse,
    Fellow,
    Other,
}

impl CityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CityStatus::Lighthouse => "lighthouse",
            CityStatus::Fellow => "fellow",
            CityStatus::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<CityStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lighthouse" => Some(CityStatus::Lighthouse),
            "fellow" => Some(CityStatus::Fellow),
            "other" => Some(CityStatus::Other),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationInput {
    pub name: String,
    pub email: String,
    pub city: String,
    pub country: String,
    pub organisation: String,
    pub position: String,
    pub city_status: CityStatus,
    /// Canonical acronym of an SCC project.
    pub project: Option<String>,
    /// Asked to be listed in the members' directory (a checkbox, off unless ticked).
    pub listed: bool,
}

/// A claim as typed: who (by address: the rest is known from the contact),
/// which open meeting, when, and the real costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimInput {
    pub email: String,
    /// Id of a meeting that takes claims today.
    pub event: String,
    pub travel_start: Date,
    pub travel_end: Date,
    pub transport: Cents,
    pub accommodation: Cents,
}

impl ClaimInput {
    pub fn costs(&self) -> Cents {
        Cents(self.transport.0 + self.accommodation.0)
    }
}

const HONEYPOT: &str = "website";

/// The message for a claim sent without its declaration (the check-answers page shows it too).
pub const DECLARATION_MISSING: &str = "Tick the declaration to send your claim: a claim is only sent with it.";

/// Whether the claim's declaration was given (`declaration=yes`, as a checkbox sends it).
pub fn declared(fields: &Fields) -> bool {
    fields.get("declaration").and_then(|v| text::visible(v)).is_some_and(|v| ["yes", "on", "true"].iter().any(|y| v.eq_ignore_ascii_case(y)))
}

fn honeypot(fields: &Fields) -> bool {
    fields.get(HONEYPOT).and_then(|v| text::visible(v)).is_some()
}

struct Reader<'a> {
    fields: &'a Fields,
    errors: FieldErrors,
}

impl<'a> Reader<'a> {
    /// The field's visible text (invisible characters around it dropped); `None` when nothing visible was sent.
    fn optional(&self, field: &str) -> Option<&'a str> {
        self.fields.get(field).and_then(|v| text::visible(v))
    }

    /// A required line of text, at most `MAX_TEXT` characters.
    fn text(&mut self, field: &'static str, missing: &str) -> String {
        self.line(field, missing, MAX_TEXT)
    }

    /// A required line of visible text of at most `max` characters. The
    /// length and the line are judged on the value as sent (as openapi.yaml's
    /// `maxLength` and `pattern` do); the invisible characters around it are then dropped.
    fn line(&mut self, field: &'static str, missing: &str, max: usize) -> String {
        let raw = self.fields.get(field).map_or("", String::as_str);
        if raw.chars().count() > max {
            self.errors.add(field, format!("Use at most {max} characters."));
            return String::new();
        }
        if !text::is_single_line(raw) {
            self.errors.add(field, "Use a single line of text.");
            return String::new();
        }
        match text::visible(raw) {
            None => {
                self.errors.add(field, missing);
                String::new()
            }
            Some(v) => v.to_string(),
        }
    }

    fn email(&mut self) -> String {
        let v = self.line("email", "Enter your email address.", MAX_EMAIL);
        if !v.is_empty() && !is_email(&v) {
            self.errors.add("email", "Enter an email address like name@city.eu.");
        }
        v
    }

    fn country(&mut self) -> String {
        let v = self.text("country", "Choose the country of your city.").to_ascii_uppercase();
        if !v.is_empty() && !countries::is_known(&v) {
            self.errors.add("country", "Choose the country from the list.");
        }
        v
    }

    fn consent(&mut self) {
        let given = self.optional("consent").is_some_and(|v| ["yes", "on", "true"].iter().any(|y| v.eq_ignore_ascii_case(y)));
        if !given {
            self.errors.add("consent", "Tick the box to agree to the privacy notice: we can only keep your details with your agreement.");
        }
    }

    /// The claim's declaration (its wording a setting, `claim_form.declaration`), ticked on the check-answers page.
    fn declaration(&mut self) {
        if !declared(self.fields) {
            self.errors.add("declaration", DECLARATION_MISSING);
        }
    }

    fn date(&mut self, field: &'static str, missing: &str, example: &str) -> Option<Date> {
        match self.optional(field) {
            None => {
                self.errors.add(field, missing);
                None
            }
            Some(v) => {
                let d = parse_date(v);
                if d.is_none() {
                    self.errors.add(field, format!("Enter a real date, for example {example}."));
                }
                d
            }
        }
    }

    /// An amount of euros (`Cents::parse_eur`: European or English notation,
    /// `1.234` refused as ambiguous); each mistake named by `what` the field
    /// asks for, with an example.
    fn money(&mut self, field: &'static str, what: &str) -> Option<Cents> {
        use ccg_model::money::MoneyError;
        match self.optional(field) {
            None => {
                self.errors.add(field, format!("Enter {what} in euros, or 0."));
                None
            }
            Some(v) => match Cents::parse_eur(v) {
                Ok(c) => Some(c),
                Err(e) => {
                    let message = match e {
                        MoneyError::Malformed => format!("Enter {what} as an amount in euros, for example 312,40 or 1 200."),
                        MoneyError::TooPrecise => format!("Enter {what} with at most two decimals (cents), for example 312,40."),
                        MoneyError::Ambiguous => format!(
                            "Enter {what} without a dot or comma between the thousands (1234), or with two decimals (1,23): a dot or comma followed by three digits could be read either way."
                        ),
                        MoneyError::TooLarge => format!("Enter {what} as a smaller amount: this one is too large."),
                    };
                    self.errors.add(field, message);
                    None
                }
            },
        }
    }
}

const MONTHS: [&str; 12] = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/// A date as a date field sends it (2027-03-16), or as people write it where
/// the browser has no date picker: 16/03/2027, 16.3.2027, 16 March 2027, 16 Mar 2027.
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() == 10 && s.as_bytes()[4] == b'-' {
        return s.parse::<Date>().ok();
    }
    let parts: Vec<&str> = s.split(['/', '.', ' ', '-']).filter(|p| !p.is_empty()).collect();
    let [d, m, y] = parts[..] else { return None };
    let num = |p: &str| p.bytes().all(|b| b.is_ascii_digit()).then(|| p.parse::<i16>().ok()).flatten();
    let month = num(m).or_else(|| {
        let m = m.to_lowercase();
        (m.len() >= 3).then(|| MONTHS.iter().position(|full| full.starts_with(&m)).map(|i| i as i16 + 1)).flatten()
    })?;
    let (day, year) = (num(d)?, num(y)?);
    if y.len() != 4 {
        return None;
    }
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

pub fn registration(fields: &Fields, directory: &Directory) -> Result<Submission<RegistrationInput>, FieldErrors> {
    let mut r = Reader { fields, errors: FieldErrors::default() };
    let name = r.text("name", "Enter your full name.");
    let email = r.email();
    let city = r.text("city", "Enter the city you represent.");
    let country = r.country();
    let organisation = r.text("organisation", "Enter your organisation (for example the city council).");
    let position = r.text("position", "Enter your position in your organisation.");
    let status = r.optional("city_status");
    let city_status = match status.map(CityStatus::parse) {
        Some(Some(s)) => Some(s),
        Some(None) => {
            r.errors.add("city_status", "Choose Lighthouse, Fellow or Other.");
            None
        }
        None => {
            r.errors.add("city_status", "Choose whether your city is a Lighthouse city, a Fellow city, or other.");
            None
        }
    };
    let project = match r.optional("project") {
        None => None,
        Some(p) => match directory.projects.iter().find(|x| x.acronym.eq_ignore_ascii_case(p)) {
            Some(x) => Some(x.acronym.clone()),
            None => {
                r.errors.add("project", "Choose an SCC project from the list, or leave it empty.");
                None
            }
        },
    };
    let listed = r.optional("listed").is_some_and(|v| ["yes", "on", "true"].iter().any(|y| v.eq_ignore_ascii_case(y)));
    r.consent();
    let errors = r.errors;
    match city_status {
        Some(_) if errors.is_empty() && honeypot(fields) => Ok(Submission::Honeypot),
        Some(city_status) if errors.is_empty() => {
            Ok(Submission::Valid(RegistrationInput { name, email, city, country, organisation, position, city_status, project, listed }))
        }
        _ => Err(errors),
    }
}

/// A claim: its fields, the meeting (one that takes claims on `today`,
/// `Catalogue::meeting_for_claims`; a draft only in the preview, with
/// `accept_drafts`) and the travel dates that meeting allows (within the form's
/// range, and covering the meeting: leave by its last day, come back from its
/// first), all judged in one go.
pub fn claim(fields: &Fields, cat: &Catalogue, accept_drafts: bool, today: Date) -> Result<Submission<ClaimInput>, FieldErrors> {
    let mut r = Reader { fields, errors: FieldErrors::default() };
    let email = r.email();
    let event_id = r.optional("event").unwrap_or("").to_string();
    let judged = cat.meeting_for_claims(&event_id, accept_drafts, today);
    match judged {
        _ if event_id.is_empty() => r.errors.add("event", "Choose the meeting you travel to."),
        Err(ClosedMeeting::Unknown) => r.errors.add("event", "Choose a meeting from the list."),
        Err(ClosedMeeting::NotEligible) => r.errors.add("event", "This meeting does not take travel claims: choose one from the list."),
        Err(ClosedMeeting::NotNow) => r.errors.add("event", "This meeting does not take claims at the moment: choose one from the list."),
        Ok(_) => {}
    }
    let start = r.date("travel_start", "Enter the day you leave.", "15 March 2027");
    let end = r.date("travel_end", "Enter the day you come back.", "17 March 2027");
    let transport = r.money("transport_eur", "the cost of transport");
    let accommodation = r.money("accommodation_eur", "the cost of accommodation");
    r.consent();
    r.declaration();
    let mut errors = r.errors;
    let open = judged.ok().filter(|_| !errors.has("event"));
    if let Some(e) = open {
        let (from, until) = cat.rules.travel_range(e);
        let long = ccg_model::words::long_date;
        for (field, day, verb) in [("travel_start", start, "leave"), ("travel_end", end, "come back")] {
            if let Some(d) = day
                && (d < from || d > until)
            {
                errors.add(field, format!("For this meeting, {verb} between {} and {}.", long(from), long(until)));
            }
        }
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        errors.add("travel_end", "The day you come back cannot be before the day you leave.");
    }
    // On top of the range, the trip covers the meeting: it leaves by its last
    // day and comes back from its first. Judged once the dates are in order:
    // a return before the departure is the one mistake said about them.
    let reversed = matches!((start, end), (Some(s), Some(e)) if e < s);
    if let Some(e) = open.filter(|_| !reversed) {
        let (first, last, long) = (e.when.start_date(), e.when.end_date(), ccg_model::words::long_date);
        if let Some(d) = start
            && d > last
        {
            errors.add("travel_start", format!("For this meeting, leave on or before {}, its last day.", long(last)));
        }
        if let Some(d) = end
            && d < first
        {
            errors.add("travel_end", format!("For this meeting, come back on or after {}, its first day.", long(first)));
        }
    }
    if let (Some(t), Some(a)) = (transport, accommodation)
        && t.0 + a.0 == 0
    {
        errors.add("transport_eur", "Enter what the trip costs you: transport, accommodation or both must be above 0.");
    }
    match (open, start, end, transport, accommodation) {
        (Some(_), Some(_), Some(_), Some(_), Some(_)) if errors.is_empty() && honeypot(fields) => Ok(Submission::Honeypot),
        (Some(e), Some(travel_start), Some(travel_end), Some(transport), Some(accommodation)) if errors.is_empty() => {
            Ok(Submission::Valid(ClaimInput { email, event: e.id.clone(), travel_start, travel_end, transport, accommodation }))
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn dir() -> Directory {
        Directory::parse(Path::new("p.yaml"), include_str!("../../content/data/scc-projects.yaml")).unwrap()
    }

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn good_registration() -> Fields {
        fields(&[
            ("name", " Ana López "),
            ("email", "ana@valladolid.es"),
            ("city", "Valladolid"),
            ("country", "es"),
            ("organisation", "Ayuntamiento"),
            ("position", "Project officer"),
            ("city_status", "Lighthouse"),
            ("project", "remourban"),
            ("consent", "yes"),
            ("website", ""),
        ])
    }

    fn good_claim() -> Fields {
        fields(&[
            ("email", "ana@valladolid.es"),
            ("event", "ok"),
            ("travel_start", "2027-03-15"),
            ("travel_end", "2027-03-17"),
            ("transport_eur", "300"),
            ("accommodation_eur", "112,5"),
            ("consent", "yes"),
            ("declaration", "yes"),
        ])
    }

    #[test]
    fn a_claim_is_only_sent_with_its_declaration() {
        for given in [None, Some(""), Some("no"), Some(" ")] {
            let mut f = good_claim();
            match given {
                None => f.remove("declaration"),
                Some(v) => f.insert("declaration".into(), v.into()),
            };
            let e = check(&f).unwrap_err();
            assert_eq!(e.0.keys().copied().collect::<Vec<_>>(), ["declaration"], "{given:?}");
            assert!(e.0["declaration"].contains("declaration"));
        }
        let mut f = good_claim();
        f.insert("declaration".into(), "on".into());
        assert!(matches!(check(&f), Ok(Submission::Valid(_))), "a checkbox without a value sends on");
    }

    const TODAY: Date = Date::constant(2027, 1, 10);

    fn cat() -> Catalogue {
        use crate::claims::tests::{catalogue, event_md};
        catalogue(
            &[
                event_md("ok", "2027-03-16", "2027-03-17", ""),
                event_md("virtual", "2027-03-16", "2027-03-17", "").replace("format: physical", "format: virtual"),
                event_md("cancelled", "2027-03-16", "2027-03-17", "status: cancelled\n"),
                event_md("soon", "2027-03-16", "2027-03-17", "").replace("2020-01-01", "2027-02-01"),
                event_md("draft", "2027-03-16", "2027-03-17", "draft: true\n"),
            ],
            None,
            true,
        )
    }

    fn check(f: &Fields) -> Result<Submission<ClaimInput>, FieldErrors> {
        claim(f, &cat(), false, TODAY)
    }

    #[test]
    fn a_good_registration() {
        let Submission::Valid(r) = registration(&good_registration(), &dir()).unwrap() else { panic!() };
        assert_eq!(r.name, "Ana López");
        assert_eq!(r.country, "ES");
        assert_eq!(r.city_status, CityStatus::Lighthouse);
        assert_eq!(r.project.as_deref(), Some("REMOURBAN"));
    }

    #[test]
    fn every_registration_problem_at_once() {
        let mut f = good_registration();
        f.insert("email".into(), "ana@".into());
        f.insert("country".into(), "UK".into());
        f.insert("city_status".into(), "capital".into());
        f.insert("project".into(), "NOPE".into());
        f.remove("consent");
        f.insert("name".into(), "x".repeat(201));
        let e = registration(&f, &dir()).unwrap_err();
        let keys: Vec<_> = e.0.keys().copied().collect();
        assert_eq!(keys, ["city_status", "consent", "country", "email", "name", "project"]);
        assert_eq!(e.0["country"], "Choose the country from the list.");
    }

    #[test]
    fn missing_fields_are_named() {
        let e = registration(&Fields::new(), &dir()).unwrap_err();
        for f in ["name", "email", "city", "country", "organisation", "position", "city_status", "consent"] {
            assert!(e.has(f), "{f}: {e:?}");
        }
        assert!(!e.has("project"), "project is optional");
    }

    #[test]
    fn the_honeypot_is_judged_on_an_otherwise_right_form() {
        let mut reg = good_registration();
        reg.insert("website".into(), "http://spam".into());
        assert!(matches!(registration(&reg, &dir()), Ok(Submission::Honeypot)));
        let mut c = good_claim();
        c.insert("website".into(), "x".into());
        assert!(matches!(check(&c), Ok(Submission::Honeypot)));
        c.insert("transport_eur".into(), "929.73*".into());
        assert!(matches!(check(&c), Err(e) if e.has("transport_eur")), "a bot's mistakes are answered like anyone's");
        assert!(registration(&fields(&[("website", "http://spam")]), &dir()).is_err());
    }

    #[test]
    fn a_good_claim() {
        let Submission::Valid(c) = check(&good_claim()).unwrap() else { panic!() };
        assert_eq!(c.costs(), Cents(41250));
        assert_eq!(c.accommodation, Cents(11250));
        assert_eq!(c.travel_start, Date::constant(2027, 3, 15));
    }

    #[test]
    fn every_claim_mistake_at_once_in_the_forms_words() {
        let mut f = good_claim();
        f.insert("email".into(), "ana@".into());
        f.insert("travel_start".into(), "2027-03-01".into());
        f.insert("travel_end".into(), "31/02/2027".into());
        // Issue 18: "1.234" was "too precise"; it is now refused as ambiguous (1234 or 1.234 euros), so "1.2345" stays the too-precise case.
        f.insert("transport_eur".into(), "1.2345".into());
        f.remove("consent");
        f.insert("declaration".into(), "no".into());
        let e = check(&f).unwrap_err();
        let keys: Vec<_> = e.0.keys().copied().collect();
        assert_eq!(keys, ["consent", "declaration", "email", "transport_eur", "travel_end", "travel_start"]);
        assert_eq!(e.0["travel_start"], "For this meeting, leave between 13 March 2027 and 20 March 2027.");
        assert_eq!(e.0["travel_end"], "Enter a real date, for example 17 March 2027.");
        assert_eq!(e.0["transport_eur"], "Enter the cost of transport with at most two decimals (cents), for example 312,40.");
    }

    #[test]
    fn the_meeting_must_be_one_that_takes_claims() {
        for (id, msg) in [
            ("", "Choose the meeting you travel to."),
            ("nope", "Choose a meeting from the list."),
            ("draft", "Choose a meeting from the list."),
            ("virtual", "This meeting does not take travel claims: choose one from the list."),
            ("cancelled", "This meeting does not take travel claims: choose one from the list."),
            ("soon", "This meeting does not take claims at the moment: choose one from the list."),
        ] {
            let mut f = good_claim();
            f.insert("event".into(), id.into());
            let e = check(&f).unwrap_err();
            assert_eq!(e.0.get("event").map(String::as_str), Some(msg), "{id}");
            assert!(!e.has("travel_start"), "dates are not judged against a meeting that cannot be chosen: {e:?}");
        }
        let mut f = good_claim();
        f.insert("event".into(), "draft".into());
        assert!(claim(&f, &cat(), true, TODAY).is_ok(), "the preview takes drafts");
    }

    #[test]
    fn dates_and_costs() {
        let mut f = good_claim();
        f.insert("travel_end".into(), "2027-03-21".into());
        assert_eq!(check(&f).unwrap_err().0["travel_end"], "For this meeting, come back between 13 March 2027 and 20 March 2027.");
        f.insert("travel_start".into(), "16 March 2027".into());
        f.insert("travel_end".into(), "15.3.2027".into());
        assert_eq!(check(&f).unwrap_err().0["travel_end"], "The day you come back cannot be before the day you leave.");
        let mut f = good_claim();
        f.insert("transport_eur".into(), "0".into());
        f.insert("accommodation_eur".into(), "0".into());
        assert!(check(&f).unwrap_err().0["transport_eur"].contains("above 0"));
        f.insert("transport_eur".into(), "-3".into());
        // Issue 18: the message names the field and gives an example in the form's words (was "Enter an amount in euros, like 412.50.").
        assert_eq!(check(&f).unwrap_err().0["transport_eur"], "Enter the cost of transport as an amount in euros, for example 312,40 or 1 200.");
    }

    #[test]
    fn the_trip_covers_the_meeting() {
        // The meeting "ok" is on 16-17 March 2027; the form's range is 13-20 March.
        let trip = |from: &str, until: &str| {
            let mut f = good_claim();
            f.insert("travel_start".into(), from.into());
            f.insert("travel_end".into(), until.into());
            check(&f)
        };
        let e = trip("2027-03-18", "2027-03-20").unwrap_err();
        assert_eq!(e.0["travel_start"], "For this meeting, leave on or before 17 March 2027, its last day.");
        assert_eq!(e.0.len(), 1, "{e:?}");
        let e = trip("2027-03-13", "2027-03-15").unwrap_err();
        assert_eq!(e.0["travel_end"], "For this meeting, come back on or after 16 March 2027, its first day.");
        assert_eq!(e.0.len(), 1, "{e:?}");
        let e = trip("2027-03-20", "2027-03-13").unwrap_err();
        assert_eq!(e.0.keys().copied().collect::<Vec<_>>(), ["travel_end"], "coming back before leaving is said alone: {e:?}");
        for (from, until) in [("2027-03-15", "2027-03-16"), ("2027-03-17", "2027-03-18"), ("2027-03-16", "2027-03-17"), ("2027-03-17", "2027-03-17")] {
            assert!(matches!(trip(from, until), Ok(Submission::Valid(_))), "{from} - {until}");
        }
    }

    #[test]
    fn amounts_in_european_notation_and_their_mistakes_named() {
        for (typed, cents) in [("312,40 €", 31240), ("1.200,50", 120050), ("1 200", 120000), ("EUR 450", 45000), ("450 EUR", 45000), ("1,200.50", 120050)] {
            let mut f = good_claim();
            f.insert("transport_eur".into(), typed.into());
            let Ok(Submission::Valid(c)) = check(&f) else { panic!("{typed}: {:?}", check(&f)) };
            assert_eq!(c.transport, Cents(cents), "{typed}");
        }
        for (typed, message) in [
            (
                "1.234",
                "Enter the cost of accommodation without a dot or comma between the thousands (1234), or with two decimals (1,23): a dot or comma followed by three digits could be read either way.",
            ),
            ("12 euros", "Enter the cost of accommodation as an amount in euros, for example 312,40 or 1 200."),
            (
                "12,345",
                "Enter the cost of accommodation without a dot or comma between the thousands (1234), or with two decimals (1,23): a dot or comma followed by three digits could be read either way.",
            ),
            ("0,125", "Enter the cost of accommodation with at most two decimals (cents), for example 312,40."),
            ("9999999999999", "Enter the cost of accommodation as a smaller amount: this one is too large."),
        ] {
            let mut f = good_claim();
            f.insert("accommodation_eur".into(), typed.into());
            assert_eq!(check(&f).unwrap_err().0.get("accommodation_eur").map(String::as_str), Some(message), "{typed}");
        }
    }

    #[test]
    fn dates_as_people_write_them() {
        let d = Date::constant(2027, 3, 16);
        for s in ["2027-03-16", "16/03/2027", "16.3.2027", "16 March 2027", "16 mar 2027", " 16-03-2027 "] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        for s in ["", "2027-02-30", "31/02/2027", "16 Ma 2027", "16/03/27", "March 16", "1e3/2/2027"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn invisible_text_is_missing_text() {
        // Regression (issue 12): zero-width, bidi, soft hyphen, fillers and braille blank passed as a name.
        for blank in ["\u{200B}\u{200C}\u{200D}", "\u{2060}\u{FEFF}", "\u{200E}\u{200F}", "\u{00AD}", "\u{3164}\u{115F}\u{FFA0}", "\u{2800}", " \u{00A0} "] {
            let mut f = good_registration();
            for field in ["name", "city", "organisation", "position"] {
                f.insert(field.into(), blank.into());
            }
            let e = registration(&f, &dir()).unwrap_err();
            assert_eq!(e.0["name"], "Enter your full name.", "{blank:?}");
            for field in ["city", "organisation", "position"] {
                assert!(e.has(field), "{field} {blank:?}");
            }
            let mut c = good_claim();
            c.insert("consent".into(), format!("{blank}yes{blank}").replace('\u{00A0}', ""));
            c.insert("travel_start".into(), blank.into());
            let e = check(&c).unwrap_err();
            assert_eq!(e.0["travel_start"], "Enter the day you leave.", "{blank:?}");
            assert!(!e.has("consent"), "a visible yes is a yes: {e:?}");
        }
        let mut f = good_registration();
        f.insert("name".into(), "\u{FEFF}\u{200B}Ana López\u{200B}".into());
        let Submission::Valid(r) = registration(&f, &dir()).unwrap() else { panic!() };
        assert_eq!(r.name, "Ana López", "invisible characters around a value are dropped");
    }

    #[test]
    fn line_and_paragraph_separators_are_refused_in_single_line_fields() {
        // Regression (issue 12): U+2028 and U+2029 passed in single-line fields.
        for sep in ['\u{2028}', '\u{2029}', '\n', '\r', '\u{0085}', '\u{202E}'] {
            for field in ["name", "city", "organisation", "position"] {
                let mut f = good_registration();
                f.insert(field.into(), format!("Valla{sep}dolid"));
                let e = registration(&f, &dir()).unwrap_err();
                assert_eq!(e.0.get(field).map(String::as_str), Some("Use a single line of text."), "{field} U+{:04X}", sep as u32);
            }
        }
    }

    #[test]
    fn a_220_character_email_is_accepted() {
        // Regression (issue 12): the 200-character text limit refused addresses the form and openapi.yaml allow.
        let email = format!("{}@{}.{}.{}.eu", "a".repeat(64), "b".repeat(63), "c".repeat(63), "d".repeat(24));
        assert_eq!(email.chars().count(), 220);
        let mut f = good_registration();
        f.insert("email".into(), email.clone());
        let Submission::Valid(r) = registration(&f, &dir()).unwrap() else { panic!() };
        assert_eq!(r.email, email);
        let mut c = good_claim();
        c.insert("email".into(), email);
        assert!(check(&c).is_ok());
        let mut f = good_registration();
        f.insert("email".into(), format!("{}@{}.eu", "a".repeat(64), "b.".repeat(95)));
        assert_eq!(registration(&f, &dir()).unwrap_err().0["email"], "Use at most 254 characters.");
    }

    #[test]
    fn emails() {
        for ok in ["a@b.eu", "first.last+ccg@city.gov.example", "josé@ciudad.es"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.eu", "a@b..eu", "a b@c.eu", "a@-b.eu", ".a@b.eu", "a@@b.eu", "a@b.eu\n"] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
