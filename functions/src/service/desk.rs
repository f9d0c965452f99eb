//! The secretariat's decisions on contacts: admit a confirmed contact as the
//! representative of a city, or decline. Each change is written with its
//! audit entry (who, when, what) in one store operation.

use super::{Forms, now};
use crate::claims::email_key;
use crate::records::{AuditEntry, Contact, ContactStatus};
use crate::store::{Store, StoreError, UpdateError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error("no confirmed contact has the address {0}")]
    NoContact(String),
    #[error("{0}")]
    City(String),
    #[error("the operator's name is empty: give --operator NAME or set CCG_OPERATOR")]
    NoOperator,
    #[error("the contact kept changing while this decision was written; try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl<S: Store> Forms<S> {
    /// Admits `email` as the representative of the SCC city `city` (in `country`, if given).
    pub async fn approve(&self, email: &str, city: &str, country: Option<&str>, operator: &str) -> Result<Contact, DeskError> {
        let cat = self.catalogue();
        let found = cat.directory.find(city, country);
        let mut keys: Vec<(String, String)> = found.iter().map(|m| (m.key(), m.city.name.clone())).collect();
        keys.sort();
        keys.dedup();
        let (city_key, city_name) = match keys.len() {
            0 => return Err(DeskError::City(format!("`{city}` is not a city of the SCC projects (content/data/scc-projects.yaml){}", in_country(country)))),
            1 => keys.remove(0),
            _ => {
                let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
                return Err(DeskError::City(format!("`{city}` matches several cities ({}): add --country", names.join(", "))));
            }
        };
        self.decide(email, operator, "contact.approved", &format!("representative of {city_name} ({city_key})"), |c| {
            c.status = ContactStatus::Approved;
            c.city_key = Some(city_key.clone());
        })
        .await
    }

    /// Declines `email` as a representative (or withdraws an earlier approval).
    pub async fn decline(&self, email: &str, operator: &str, reason: Option<&str>) -> Result<Contact, DeskError> {
        let detail = reason.map(|r| format!("reason: {r}")).unwrap_or_default();
        self.decide(email, operator, "contact.declined", &detail, |c| {
            c.status = ContactStatus::Declined;
            c.city_key = None;
        })
        .await
    }

    async fn decide(&self, email: &str, operator: &str, action: &str, detail: &str, change: impl Fn(&mut Contact)) -> Result<Contact, DeskError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(DeskError::NoOperator);
        }
        let key = email_key(email);
        // Optimistic: read, decide, write if nobody changed it in between; else read again.
        for _ in 0..5 {
            let Some(old) = self.timed(self.store.get_contact(&key)).await? else { return Err(DeskError::NoContact(key)) };
            let (now_text, _) = now();
            let mut new = old.clone();
            change(&mut new);
            new.version = old.version + 1;
            new.updated_at = now_text.clone();
            let audit = AuditEntry { at: now_text, actor: operator.to_string(), action: action.into(), subject: key.clone(), detail: detail.into() };
            match self.store.update_contact(old.version, new.clone(), audit).await {
                Ok(()) => return Ok(new),
                Err(UpdateError::Conflict) => continue,
                Err(UpdateError::Store(e)) => return Err(e.into()),
            }
        }
        Err(DeskError::Conflict)
    }
}

fn in_country(country: Option<&str>) -> String {
    country.map(|c| format!(" in {}", c.to_uppercase())).unwrap_or_default()
}
