//! Attribute values and keys: reading and writing the typed attributes of an item, and the key of each kind of item.

use super::*;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn get_s(item: &Item, k: &str) -> Result<String, StoreError> {
    match item.get(k) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Failed(format!("a stored item has no text `{k}`"))),
    }
}

pub(super) fn get_opt_s(item: &Item, k: &str) -> Option<String> {
    match item.get(k) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

pub(super) fn get_n<T: std::str::FromStr>(item: &Item, k: &str) -> Result<T, StoreError> {
    match item.get(k) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Failed(format!("stored `{k}` is not a number"))),
        _ => Err(StoreError::Failed(format!("a stored item has no number `{k}`"))),
    }
}

pub(super) fn get_opt_n<T: std::str::FromStr>(item: &Item, k: &str) -> Result<Option<T>, StoreError> {
    match item.get(k) {
        None => Ok(None),
        Some(_) => get_n(item, k).map(Some),
    }
}

/// A list of texts, `None` when the item has no such attribute.
pub(super) fn get_opt_texts(item: &Item, k: &str) -> Result<Option<Vec<String>>, StoreError> {
    match item.get(k) {
        None => Ok(None),
        Some(AttributeValue::L(l)) => l
            .iter()
            .map(|h| match h {
                AttributeValue::S(h) => Ok(h.clone()),
                _ => Err(StoreError::Failed(format!("a stored `{k}` holds something other than text"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(StoreError::Failed(format!("stored `{k}` is not a list"))),
    }
}

pub(super) fn pending_pk(id: &str) -> String {
    format!("PENDING#{id}")
}

pub(super) fn latest_pk(kind: &str, email_key: &str) -> String {
    format!("LATEST#{kind}#{email_key}")
}

pub(super) fn contact_pk(email_key: &str) -> String {
    format!("CONTACT#{email_key}")
}

pub(super) fn claim_pk(id: &str) -> String {
    format!("CLAIM#{id}")
}

pub(super) fn link_pk(pending_id: &str) -> String {
    format!("LINK#{pending_id}")
}

/// The marker of a claim counted before contribution keys: it holds the address.
pub(super) fn person_pk(email_key: &str, event_id: &str) -> String {
    format!("PERSON#{email_key}#{event_id}")
}

/// The marker of a person's one contribution for a meeting, by its contribution key.
pub(super) fn contribution_pk(contribution_key: &str) -> String {
    format!("PERSON#{contribution_key}")
}

/// The marker that holds a claim's contribution: by its key, or, for a claim
/// counted before contribution keys, by its address (gone once it left).
pub(super) fn person_pk_of(c: &Claim) -> String {
    match c.contribution_key.as_str() {
        "" => person_pk(&c.email_key, &c.event_id),
        key => contribution_pk(key),
    }
}

pub(super) fn number_pk(year: i16) -> String {
    format!("REF#{year}")
}

pub(super) fn reference_pk(reference: &str) -> String {
    format!("REF#{reference}")
}

pub(super) fn year_pk(city_key: &str, year: i16) -> String {
    format!("YEAR#{city_key}#{year}")
}

pub(super) fn audit_pk(a: &AuditEntry) -> String {
    format!("AUDIT#{}#{}", a.at, crate::token::new_id("aud"))
}

pub(super) fn leave_pk(leave_id: &str) -> String {
    format!("LEAVE#{leave_id}")
}

pub(super) fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub(super) fn values(pairs: Vec<(&str, AttributeValue)>) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
