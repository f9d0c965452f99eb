//! The ports between the flows and the storage: the store's traits, one per
//! role (`roles`), and what they answer. Both stores keep the same promises,
//! checked by the same contract tests:
//! - a submission waits as `Pending` until its emailed link is opened; the
//!   link works once, until `expires_at` (checked on read, so a record the
//!   store has not deleted yet is already gone for everyone);
//! - one contact per lower-cased email, changed only through a confirmed link
//!   or by the secretariat, never by a bare form;
//! - confirming a claim re-checks, in one atomic step, that the claimant still
//!   represents the city, that they have no contribution for that meeting yet,
//!   and the city's yearly limits; then counts it, so concurrent
//!   confirmations can never pass a limit;
//! - every change is written together with its audit entry;
//! - an idempotent request's first answer is kept and given back.
//!
//! The stores decide nothing: each reads what a decision needs, calls it
//! (`ccg_forms::decide`), and writes only while what it read still holds.

#[cfg(feature = "dynamodb")]
pub mod dynamo;
pub mod invitations;
pub mod lists;
pub mod roles;
pub mod sqlite;

pub use ccg_forms::decide::{ClaimChange, ClaimOutcome, ConfirmError, ContactOutcome, ERASED, Erased, OpenMeetings};
pub use roles::{
    AccountStore, ClaimStore, ContactStore, DeskStore, DocumentStore, ErasureStore, IdempotencyStore, InvitationStore, MailQuotaStore, PendingStore,
    RetentionStore, SharedDocumentStore, Store, SuppressionStore,
};

use crate::records::ClaimStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Down, slow, throttled or locked: try again later; nothing was stored.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Answered, but not as expected (a missing table, a condition that cannot hold).
    #[error("the store failed: {0}")]
    Failed(String),
    /// A stored record does not parse: trying again will not help. It carries
    /// the record's key (an id, or a hash of an address), never what the
    /// record holds: the parser's message may quote a person's details.
    #[error("the stored record {0} does not parse")]
    Corrupt(String),
}

/// How a record about a person is named in errors and logs: a hash of the
/// address, never the address (`token::leave_id`, the id of their leave link).
pub fn person_key(email_key: &str) -> String {
    crate::token::leave_id(email_key)
}

/// Why a confirmation wrote nothing: the decision said no, or the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmFailed {
    #[error(transparent)]
    Denied(#[from] ConfirmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why the secretariat's change of a contact was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// The contact changed since it was read (or is gone): read it again and decide again.
    #[error("the contact changed in the meantime")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a document was not recorded on its claim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("there is no claim with this reference")]
    NotFound,
    #[error("the claim does not take this document: {0:?}")]
    Denied(ccg_forms::decide::documents::DocumentRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a leave link did not remove anyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaveError {
    /// Unknown, wrong, or its contact is gone (left, erased): one answer for all.
    #[error("the link is not valid any more")]
    Gone,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the embedded store's sweep deleted because its time was up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    pub pending: usize,
    pub contacts: usize,
    pub claims: usize,
    pub history_lines: usize,
    pub idempotency: usize,
    /// Leave-link items of addresses that are no longer contacts (DynamoDB; SQLite deletes them with the contact).
    pub leave_links: usize,
    /// Sessions, sign-in links and passkey ceremonies that expired (SQLite; DynamoDB's TTL deletes them).
    pub sign_in: usize,
}

/// Why a claim's state did not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("there is no claim with this reference")]
    NotFound,
    /// Someone else changed it first (or it never was in a state the change starts from).
    #[error("the claim is {}", .0.as_str())]
    Conflict(ClaimStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The first answer to an idempotent request, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// SHA-256 of the request (endpoint, body type and body), to spot a key reused for another request.
    pub request_hash: String,
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// What is kept under an Idempotency-Key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// A request with this key is being processed (or died: the mark expires after
    /// `PENDING_TTL_SECS`, and the embedded store takes over a crashed server's at once).
    Pending {
        request_hash: String,
    },
    Done(StoredAnswer),
}

/// How long a first answer is kept for retries.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;
/// How long a "being processed" mark holds a key, so a crash does not block
/// retries for long: longer than a request can run (the Lambdas stop at 10 s,
/// infra/template.yaml). The embedded store takes over the marks of a crashed
/// server at once. A live request outlived by its mark costs at most a second
/// email: every attempt of one request stores under one id (`token::keyed_id`).
pub const PENDING_TTL_SECS: i64 = 15;

#[cfg(feature = "dynamodb")]
pub(crate) fn sort_contacts(v: &mut [crate::records::Contact]) {
    v.sort_by(|a, b| a.details.email_key.cmp(&b.details.email_key));
}

#[cfg(feature = "dynamodb")]
pub(crate) fn sort_claims(v: &mut [crate::records::Claim]) {
    v.sort_by(|a, b| (a.year, &a.city_key, &a.event_id, &a.id).cmp(&(b.year, &b.city_key, &b.event_id, &b.id)));
}
