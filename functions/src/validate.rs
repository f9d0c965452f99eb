//! Field map -> typed input, with one clear message per wrong field. Checks
//! only what the fields say by themselves (and the SCC project list); what
//! depends on the event or the city directory is in `claims`.

use crate::decode::Fields;
use ccg_model::{Cents, Directory, countries};
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

/// What a person sees next to each field: the labels of the forms.
pub fn label(field: &str) -> &'static str {
    match field {
        "name" => "Your name",
        "email" => "Email address",
        "city" => "City",
        "country" => "Country",
        "organisation" => "Organisation",
        "position" => "Position",
        "city_status" => "Status of your city",
        "project" => "SCC project",
        "consent" => "Consent to the privacy notice",
        "event" => "CCG event",
        "travel_start" => "First day of travel",
        "travel_end" => "Last day of travel",
        "amount_eur" => "Amount asked (EUR)",
        "transport_eur" => "Transport (EUR)",
        "accommodation_eur" => "Accommodation (EUR)",
        _ => "Form",
    }
}

/// A form that passed validation, or a bot that filled the honeypot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission<T> {
    Valid(T),
    /// The hidden `website` field was filled: answer as if accepted, store nothing.
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimInput {
    pub name: String,
    pub email: String,
    pub city: String,
    pub country: String,
    pub event: String,
    pub travel_start: Date,
    pub travel_end: Date,
    pub amount: Cents,
    pub transport: Cents,
    pub accommodation: Cents,
}

const MAX_TEXT: usize = 200;
const HONEYPOT: &str = "website";

fn honeypot(fields: &Fields) -> bool {
    fields.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty())
}

struct Reader<'a> {
    fields: &'a Fields,
    errors: FieldErrors,
}

impl<'a> Reader<'a> {
    fn optional(&self, field: &str) -> Option<&'a str> {
        self.fields.get(field).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// A required line of text, at most `MAX_TEXT` characters, no control characters.
    fn text(&mut self, field: &'static str, missing: &str) -> String {
        match self.optional(field) {
            None => {
                self.errors.add(field, missing);
                String::new()
            }
            Some(v) if v.chars().count() > MAX_TEXT => {
                self.errors.add(field, format!("Use at most {MAX_TEXT} characters."));
                String::new()
            }
            Some(v) if v.chars().any(char::is_control) => {
                self.errors.add(field, "Use a single line of text.");
                String::new()
            }
            Some(v) => v.to_string(),
        }
    }

    fn email(&mut self) -> String {
        let v = self.text("email", "Enter your email address.");
        if !v.is_empty() && !is_email(&v) {
            self.errors.add("email", "Enter an email address like name@city.eu.");
        }
        v
    }

    fn country(&mut self) -> String {
        let v = self.text("country", "Choose the country of your city.").to_ascii_uppercase();
        if !v.is_empty() && !countries::is_known(&v) {
            self.errors.add("country", "Choose a country from the list (a two-letter ISO code such as BE).");
        }
        v
    }

    fn consent(&mut self) {
        let given = self.optional("consent").is_some_and(|v| ["yes", "on", "true"].iter().any(|y| v.eq_ignore_ascii_case(y)));
        if !given {
            self.errors.add("consent", "We can only store your details with your consent to the privacy notice.");
        }
    }

    fn date(&mut self, field: &'static str, missing: &str) -> Option<Date> {
        let v = self.optional(field);
        match v {
            None => {
                self.errors.add(field, missing);
                None
            }
            Some(v) => match (v.len() == 10).then(|| v.parse::<Date>().ok()).flatten() {
                Some(d) => Some(d),
                None => {
                    self.errors.add(field, "Enter a date like 2027-03-16 (year-month-day).");
                    None
                }
            },
        }
    }

    fn money(&mut self, field: &'static str, missing: &str) -> Option<Cents> {
        match self.optional(field) {
            None => {
                self.errors.add(field, missing);
                None
            }
            Some(v) => match Cents::parse_eur(v) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.errors.add(field, sentence(&e.to_string()));
                    None
                }
            },
        }
    }
}

/// "enter an amount" -> "Enter an amount."
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// A practical syntax check: one `@`, something before it, a dotted domain after it.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let domain_ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && domain_ok
}

pub fn registration(fields: &Fields, directory: &Directory) -> Result<Submission<RegistrationInput>, FieldErrors> {
    if honeypot(fields) {
        return Ok(Submission::Honeypot);
    }
    let mut r = Reader { fields, errors: FieldErrors::default() };
    let name = r.text("name", "Enter your name.");
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
    r.consent();
    let errors = r.errors;
    match city_status {
        Some(city_status) if errors.is_empty() => {
            Ok(Submission::Valid(RegistrationInput { name, email, city, country, organisation, position, city_status, project }))
        }
        _ => Err(errors),
    }
}

pub fn claim(fields: &Fields) -> Result<Submission<ClaimInput>, FieldErrors> {
    if honeypot(fields) {
        return Ok(Submission::Honeypot);
    }
    let mut r = Reader { fields, errors: FieldErrors::default() };
    let name = r.text("name", "Enter your name.");
    let email = r.email();
    let city = r.text("city", "Enter the city you represent.");
    let country = r.country();
    let event = r.text("event", "Choose the CCG event you travel to.");
    let start = r.date("travel_start", "Enter the day your trip starts.");
    let end = r.date("travel_end", "Enter the day your trip ends.");
    let amount = r.money("amount_eur", "Enter the amount you ask for, in euros.");
    let transport = r.money("transport_eur", "Enter the cost of transport, in euros (0 if none).");
    let accommodation = r.money("accommodation_eur", "Enter the cost of accommodation, in euros (0 if none).");
    r.consent();
    let mut errors = r.errors;
    if let (Some(s), Some(e)) = (start, end)
        && e < s {
            errors.add("travel_end", "The last day of travel cannot be before the first.");
        }
    if let Some(a) = amount
        && a.0 <= 0 {
            errors.add("amount_eur", "Enter an amount above zero.");
        }
    if let (Some(a), Some(t), Some(c)) = (amount, transport, accommodation)
        && a.0 > 0 && t.0 + c.0 != a.0 {
            errors.add(
                "amount_eur",
                format!("The amount must be transport plus accommodation: {} + {} = {}.", t.to_decimal(), c.to_decimal(), Cents(t.0 + c.0).to_decimal()),
            );
        }
    match (start, end, amount, transport, accommodation) {
        (Some(travel_start), Some(travel_end), Some(amount), Some(transport), Some(accommodation)) if errors.is_empty() => {
            Ok(Submission::Valid(ClaimInput { name, email, city, country, event, travel_start, travel_end, amount, transport, accommodation }))
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
            ("name", "Ana"),
            ("email", "ana@valladolid.es"),
            ("city", "Valladolid"),
            ("country", "ES"),
            ("event", "e1"),
            ("travel_start", "2027-03-15"),
            ("travel_end", "2027-03-17"),
            ("amount_eur", "412.50"),
            ("transport_eur", "300"),
            ("accommodation_eur", "112,5"),
            ("consent", "yes"),
        ])
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
        assert!(e.0["country"].contains("ISO"));
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
    fn honeypot_wins_over_everything() {
        assert_eq!(registration(&fields(&[("website", "http://spam")]), &dir()), Ok(Submission::Honeypot));
        assert_eq!(claim(&fields(&[("website", "x")])), Ok(Submission::Honeypot));
    }

    #[test]
    fn a_good_claim() {
        let Submission::Valid(c) = claim(&good_claim()).unwrap() else { panic!() };
        assert_eq!(c.amount, Cents(41250));
        assert_eq!(c.accommodation, Cents(11250));
        assert_eq!(c.travel_start, Date::constant(2027, 3, 15));
    }

    #[test]
    fn claim_breakdown_dates_and_money() {
        let mut f = good_claim();
        f.insert("accommodation_eur".into(), "100".into());
        assert!(claim(&f).unwrap_err().0["amount_eur"].contains("300.00 + 100.00 = 400.00"));
        let mut f = good_claim();
        f.insert("travel_end".into(), "2027-03-14".into());
        assert!(claim(&f).unwrap_err().has("travel_end"));
        let mut f = good_claim();
        f.insert("travel_start".into(), "15/03/2027".into());
        f.insert("amount_eur".into(), "1.234".into());
        f.insert("transport_eur".into(), "-3".into());
        let e = claim(&f).unwrap_err();
        assert_eq!(e.0["travel_start"], "Enter a date like 2027-03-16 (year-month-day).");
        assert_eq!(e.0["amount_eur"], "Use at most two decimals (cents).");
        assert_eq!(e.0["transport_eur"], "Enter an amount in euros, like 412.50.");
        let mut f = good_claim();
        f.insert("amount_eur".into(), "0".into());
        f.insert("transport_eur".into(), "0".into());
        f.insert("accommodation_eur".into(), "0".into());
        assert_eq!(claim(&f).unwrap_err().0["amount_eur"], "Enter an amount above zero.");
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
