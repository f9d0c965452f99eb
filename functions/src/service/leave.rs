//! A contact leaves the group from the link at the end of any email they got
//! as a contact. Each email carries a fresh secret whose SHA-256 the store
//! keeps with the contact's leave item, so every link works for as long as
//! the contact exists and none can be rebuilt from the store. Leaving removes
//! the person's data through the same path as the secretariat's erasure.

use super::Forms;
use crate::mail::Email;
use crate::records::AuditEntry;
use crate::store::{ERASED, Erased, LeaveError, Store, StoreError};
use crate::token;

/// Why a leave link did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaveLinkError {
    /// Unknown, wrong, or its contact is gone (left, erased): 410, one answer for all.
    #[error("the link does not work any more")]
    Gone,
    #[error("{0}")]
    Unavailable(String),
    /// A stored record does not parse (named by its key): not an outage.
    #[error("the stored record {0} does not parse")]
    Corrupt(String),
}

impl From<StoreError> for LeaveLinkError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(key) => LeaveLinkError::Corrupt(key),
            e => LeaveLinkError::Unavailable(e.to_string()),
        }
    }
}

impl<S: Store> Forms<S> {
    /// The address of a new leave link for the contact `email_key`, or `None`
    /// when the address is not a contact. A store that fails here costs the
    /// email its link, not the email itself.
    pub async fn leave_link(&self, email_key: &str) -> Option<String> {
        let secret = token::new_secret();
        // Boxed: the stores' futures are large, and every email to a contact awaits this one.
        match Box::pin(self.timed(self.store.add_leave_link(email_key, &token::hash_secret(&secret)))).await {
            Ok(true) => Some(crate::routes::Route::Leave.url(
                &self.options.public_url,
                &self.options.api_base,
                Some(&token::token(&token::leave_id(email_key), &secret)),
            )),
            Ok(false) => None,
            Err(e) => {
                tracing::warn!(error = %e, "forms: an email goes without its leave link");
                None
            }
        }
    }

    /// `mail` with a leave link at its end, when `email_key` is a contact.
    pub async fn with_leave_link(&self, mail: Email, email_key: &str) -> Email {
        match self.leave_link(email_key).await {
            Some(link) => super::messages::add_leave_link(mail, &link),
            None => mail,
        }
    }

    /// Whether the leave link in `token` still works (the page a GET shows; changes nothing).
    pub async fn check_leave(&self, token: &str) -> Result<(), LeaveLinkError> {
        let (id, hash) = token::parse_leave_token(token).ok_or(LeaveLinkError::Gone)?;
        if Box::pin(self.timed(self.store.leave_link_works(&id, &hash))).await? { Ok(()) } else { Err(LeaveLinkError::Gone) }
    }

    /// The contact leaves: their data goes as in `erase` (a claim not decided
    /// yet is withdrawn, its trip and euros back to the city; approved and
    /// paid claims stay, without name and address, until their retention
    /// ends), recorded as done by the applicant, naming nobody.
    pub async fn leave(&self, token: &str) -> Result<Erased, LeaveLinkError> {
        let (id, hash) = token::parse_leave_token(token).ok_or(LeaveLinkError::Gone)?;
        let (now, _) = self.now();
        let audit = AuditEntry { at: now, actor: "applicant".into(), action: "contact.left".into(), subject: ERASED.into(), detail: String::new() };
        // Boxed: DynamoDB's leave is a large future.
        match Box::pin(self.store.leave(&id, &hash, audit)).await {
            Ok(done) => Ok(done),
            Err(LeaveError::Gone) => Err(LeaveLinkError::Gone),
            Err(LeaveError::Store(e)) => Err(e.into()),
        }
    }
}
