//! What the desk in the browser reads: the day's work, one person, one
//! claim, a year's usage, the history and the exports, each answered from a
//! few indexed reads (`DeskStore`). Nothing here changes a record but the
//! history line an export writes: who took which data, when.

use super::Forms;
use super::desk::CityYear;
use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, Document};
use crate::store::lists::{AuditQuery, ClaimQuery, ContactQuery, ListPage, Order};
use crate::store::{Store, StoreError};
use ccg_forms::decide::suppression::Suppression;
use ccg_model::cities::Role;

/// What waits for the secretariat, oldest first, and the year's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    /// Contacts who confirmed their address: approve or decline them.
    pub confirmed: ListPage<Contact>,
    /// Claims counted, not decided yet.
    pub counted: ListPage<Claim>,
    /// Claims approved, not paid yet.
    pub approved: ListPage<Claim>,
    pub year: i16,
    pub usage: Vec<CityYear>,
    /// The newest addresses that no email goes to any more (they bounced or complained), newest first.
    pub suppressed: Vec<Suppression>,
}

/// A city of the SCC projects a contact may represent, as the directory and the rules see it today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityChoice {
    pub key: String,
    pub name: String,
    pub country: String,
    pub project: String,
    pub role: Role,
    /// The project's last month ("2020-06"), or `None` when it is not known.
    pub ends: Option<String>,
    /// Whether the form counts the project as ended today (`TravelRules::project_ended_on`).
    pub ended: bool,
    /// Whether the form takes travel claims from this city today.
    pub may_claim: bool,
}

/// One person as the desk shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub contact: Contact,
    pub claims: Vec<Claim>,
    /// Oldest first.
    pub history: Vec<AuditEntry>,
    /// The cities of the SCC projects their registration names (by name and country).
    pub cities: Vec<CityChoice>,
    /// Why no email goes to their address, if it bounced for good or they complained.
    pub suppression: Option<Suppression>,
}

/// One claim as the desk shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimView {
    pub claim: Claim,
    /// When its records will be deleted (Unix seconds); `None` while it has no end yet.
    pub expires_at: Option<i64>,
    pub documents: Vec<Document>,
    /// Oldest first.
    pub history: Vec<AuditEntry>,
    /// Its city's year as it stands now.
    pub usage: CityYear,
}

/// The CSVs the desk gives out, as `desk export` writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Claims,
    Contacts,
    Usage,
}

impl Export {
    pub const ALL: [Export; 3] = [Export::Claims, Export::Contacts, Export::Usage];

    pub fn name(self) -> &'static str {
        match self {
            Export::Claims => "claims",
            Export::Contacts => "contacts",
            Export::Usage => "usage",
        }
    }

    pub fn parse(s: &str) -> Option<Export> {
        Export::ALL.into_iter().find(|e| e.name() == s)
    }
}

/// A history as long as a record's can be: more is not shown on its page.
const HISTORY_LINES: usize = 500;

impl<S: Store> Forms<S> {
    /// What waits for a decision, oldest first (`limit` of each), and this year's usage.
    pub async fn today_at_desk(&self, limit: usize) -> Result<Today, StoreError> {
        let oldest = |status| ClaimQuery { status: Some(status), ..ClaimQuery::default() };
        let confirmed = ContactQuery { status: Some(ContactStatus::Confirmed), ..ContactQuery::default() };
        let year = self.today().year();
        let (counted, approved) = (oldest(ClaimStatus::Counted), oldest(ClaimStatus::Approved));
        let (confirmed, counted, approved, usage, suppressed) = tokio::try_join!(
            self.store.contacts_page(&confirmed, None, limit),
            self.store.claims_page(&counted, None, limit),
            self.store.claims_page(&approved, None, limit),
            self.usage_of_year(year),
            self.store.recent_suppressions(limit),
        )?;
        Ok(Today { confirmed, counted, approved, year, usage, suppressed })
    }

    pub async fn claims_page(&self, q: &ClaimQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Claim>, StoreError> {
        self.store.claims_page(q, cursor, limit).await
    }

    pub async fn contacts_page(&self, q: &ContactQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Contact>, StoreError> {
        self.store.contacts_page(q, cursor, limit).await
    }

    pub async fn history_page(&self, q: &AuditQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<AuditEntry>, StoreError> {
        self.store.audit_page(q, cursor, limit).await
    }

    /// The history of one record (an address key or a claim id), oldest first.
    pub async fn history_of(&self, subject: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let q = AuditQuery { subject: Some(subject.to_string()), ..AuditQuery::default() };
        Ok(self.store.audit_page(&q, None, HISTORY_LINES).await?.items)
    }

    /// One person by their person key (`store::person_key`), with their claims, history and the cities they may represent.
    pub async fn person_at_desk(&self, person_key: &str) -> Result<Option<Person>, StoreError> {
        let Some(contact) = self.store.contact_by_person(person_key).await? else { return Ok(None) };
        let key = contact.details.email_key.clone();
        let (claims, history, suppression) = tokio::try_join!(self.store.claims_of_person(&key), self.history_of(&key), self.store.suppression(&key))?;
        let cities = self.city_choices(&contact.details.city, &contact.details.country);
        Ok(Some(Person { contact, claims, history, cities, suppression }))
    }

    /// The SCC cities named `city` in `country` (then in any country), each with its project and role.
    pub fn city_choices(&self, city: &str, country: &str) -> Vec<CityChoice> {
        let cat = self.catalogue();
        let mut found = cat.directory.find(city, Some(country));
        if found.is_empty() {
            found = cat.directory.find(city, None);
        }
        let today = self.today();
        found
            .iter()
            .map(|m| CityChoice {
                key: m.key(),
                name: m.city.name.clone(),
                country: m.city.country.clone(),
                project: m.project.acronym.clone(),
                role: m.role,
                ends: m.project.end_known().then(|| format!("{}-{:02}", m.project.end.year, m.project.end.month)),
                ended: cat.rules.project_ended_on(m.project, today),
                may_claim: cat.rules.city_qualifies(std::slice::from_ref(m), today),
            })
            .collect()
    }

    /// One claim by id or reference, with its documents, history and its city's year.
    pub async fn claim_view(&self, id_or_reference: &str) -> Result<Option<ClaimView>, StoreError> {
        let id = self.claim_id(id_or_reference).await?;
        let Some(claim) = self.store.get_claim(&id).await? else { return Ok(None) };
        let (expires_at, documents, history, used) = tokio::try_join!(
            self.store.claim_expires_at(&id),
            self.store.list_documents(&id),
            self.history_of(&id),
            self.store.year_usage(&claim.city_key, claim.year),
        )?;
        let usage = CityYear { city_key: claim.city_key.clone(), year: claim.year, used, left: self.catalogue().rules.remaining(used) };
        Ok(Some(ClaimView { claim, expires_at, documents, history, usage }))
    }

    /// Every city's use of `year`, by city key.
    pub async fn usage_of_year(&self, year: i16) -> Result<Vec<CityYear>, StoreError> {
        let rules = self.catalogue().rules.clone();
        let mut v: Vec<CityYear> =
            self.store.usage_of_year(year).await?.into_iter().map(|(city_key, used)| CityYear { city_key, year, used, left: rules.remaining(used) }).collect();
        v.sort_by(|a, b| a.city_key.cmp(&b.city_key));
        Ok(v)
    }

    /// A city's name as the directory writes it, from its key (`ES:valladolid`); the key when unknown.
    pub fn city_name(&self, city_key: &str) -> String {
        self.catalogue().directory.by_key(city_key).first().map_or_else(|| city_key.to_string(), |m| m.city.name.clone())
    }

    /// Every claim `q` admits, a page at a time (for a CSV).
    pub async fn all_claims(&self, q: &ClaimQuery) -> Result<Vec<Claim>, StoreError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.store.claims_page(q, cursor.as_deref(), 500).await?;
            all.extend(page.items);
            match page.next {
                Some(n) => cursor = Some(n),
                None => return Ok(all),
            }
        }
    }

    /// The claims of one meeting as CSV (for its logistics), with the history line that says who took it.
    pub async fn export_meeting(&self, event_id: &str, operator: &str) -> Result<String, StoreError> {
        let claims = self.all_claims(&ClaimQuery { event_id: Some(event_id.to_string()), ..ClaimQuery::default() }).await?;
        let audit = AuditEntry {
            at: self.now().0,
            actor: operator.into(),
            action: "export".into(),
            subject: "export:meeting".into(),
            detail: format!("claims of {event_id}"),
        };
        self.store.record_audit(audit).await?;
        Ok(crate::export::claims_csv(&claims))
    }

    /// The CSV of `what` (of `year` for usage), with the history line that says who took it.
    pub async fn export(&self, what: Export, year: i16, operator: &str) -> Result<String, StoreError> {
        let csv = match what {
            Export::Claims => crate::export::claims_csv(&self.all_claims(&ClaimQuery { order: Order::Oldest, ..ClaimQuery::default() }).await?),
            Export::Contacts => {
                let mut all = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let page = self.store.contacts_page(&ContactQuery::default(), cursor.as_deref(), 500).await?;
                    all.extend(page.items);
                    match page.next {
                        Some(n) => cursor = Some(n),
                        None => break,
                    }
                }
                crate::export::contacts_csv(&all)
            }
            Export::Usage => crate::export::usage_csv(&self.usage_of_year(year).await?.iter().map(usage_row).collect::<Vec<_>>()),
        };
        let detail = match what {
            Export::Usage => format!("usage of {year}"),
            _ => what.name().to_string(),
        };
        let audit = AuditEntry { at: self.now().0, actor: operator.into(), action: "export".into(), subject: format!("export:{}", what.name()), detail };
        self.store.record_audit(audit).await?;
        Ok(csv)
    }
}

/// A usage row as `desk usage` prints it and the usage CSV holds it.
pub fn usage_row(u: &CityYear) -> [String; 6] {
    [u.year.to_string(), u.city_key.clone(), u.used.trips.to_string(), u.left.trips.to_string(), u.used.amount.to_decimal(), u.left.amount.to_decimal()]
}
