//! What a confirmed registration leaves: a new contact, or the existing one changed.

use super::link::{ConfirmError, check_link};
use crate::records::{Contact, ContactStatus, Pending, PendingItem, Registration};

/// A confirmed registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactOutcome {
    pub contact: Contact,
    /// No contact had this address before.
    pub created: bool,
}

impl ContactOutcome {
    /// The audit trail's name for it.
    pub fn action(&self) -> &'static str {
        if self.created { "contact.confirmed" } else { "contact.changed" }
    }
}

/// The details a pending registration holds, if its link may be used now;
/// `Invalid` also for a claim's link used on the registration page.
pub fn registration_link<'a>(p: Option<&'a Pending>, token_hash: &str, now_secs: i64) -> Result<&'a Registration, ConfirmError> {
    check_link(p, token_hash, now_secs)?;
    match p.map(|p| &p.item) {
        Some(PendingItem::Registration(r)) => Ok(r),
        _ => Err(ConfirmError::Invalid),
    }
}

/// The confirmation of a registration's link: the contact it leaves, given the
/// one stored under its address (`existing`).
pub fn confirm_registration(
    p: Option<&Pending>,
    token_hash: &str,
    existing: Option<&Contact>,
    now: jiff::Timestamp,
    now_secs: i64,
) -> Result<ContactOutcome, ConfirmError> {
    let details = registration_link(p, token_hash, now_secs)?;
    Ok(ContactOutcome { contact: apply_registration(existing, details.clone(), now), created: existing.is_none() })
}

/// The contact a confirmed registration leaves: new, or the existing one with
/// the new details. A representative who moves to another city is no longer
/// approved for the old one: the secretariat decides again.
pub fn apply_registration(existing: Option<&Contact>, details: Registration, now: jiff::Timestamp) -> Contact {
    match existing {
        None => Contact { details, status: ContactStatus::Confirmed, city_key: None, created_at: now, updated_at: now, version: 1, expires_at: None },
        Some(old) => {
            let same_city = old.details.city.to_lowercase() == details.city.to_lowercase() && old.details.country == details.country;
            let (status, city_key) =
                if old.status == ContactStatus::Approved && !same_city { (ContactStatus::Confirmed, None) } else { (old.status, old.city_key.clone()) };
            // A declined contact stays declined, and its deletion stays planned, whatever details it sends.
            let expires_at = if status == ContactStatus::Declined { old.expires_at } else { None };
            Contact { details, status, city_key, created_at: old.created_at, updated_at: now, version: old.version + 1, expires_at }
        }
    }
}
