//! The one interface between the rules and the storage. Both stores keep the
//! same promises, checked by the same contract tests:
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

#[cfg(feature = "dynamodb")]
pub mod dynamo;
pub mod sqlite;

use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, Pending, PendingItem, Registration};
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};
use jiff::civil::Date;
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Down, slow, throttled or locked: try again later; nothing was stored.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Answered, but not as expected (a missing table, a record that does not parse).
    #[error("the store failed: {0}")]
    Failed(String),
}

/// Why a confirmation link did not confirm anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    /// Unknown, expired, or not the secret that was sent: one answer for all, so guessing learns nothing.
    #[error("the link is not valid or has expired")]
    Invalid,
    /// The link worked once already.
    #[error("the link was already used")]
    Used,
    /// A rule refuses the claim now (the limits, the representative, one per meeting); the link still works.
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A claim counted by its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimOutcome {
    pub claim: Claim,
    /// The city's usage of the claim's year once this claim is counted.
    pub used: YearUsage,
}

/// A confirmed registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactOutcome {
    pub contact: Contact,
    /// No contact had this address before.
    pub created: bool,
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

/// A change of a claim's state, by the secretariat or its claimant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimChange {
    /// The states it may be changed from; any other is a conflict.
    pub from: Vec<ClaimStatus>,
    pub to: ClaimStatus,
    pub reason: Option<String>,
    pub paid: Option<(Cents, Date)>,
    /// When the claim reaches its end with this change (paid, rejected,
    /// withdrawn): the Unix second from which its records may be deleted, set
    /// on all of them in the same atomic step (`RetentionConfig`).
    pub expires_at: Option<i64>,
}

impl ClaimChange {
    /// The claim after the change (the store checks `from` and gives the trip back, atomically).
    pub fn apply(&self, c: &Claim) -> Claim {
        let mut new = c.clone();
        new.status = self.to;
        if self.reason.is_some() {
            new.reason = self.reason.clone();
        }
        if let Some((amount, on)) = self.paid {
            new.paid = Some(amount);
            new.paid_on = Some(on);
        }
        new
    }
    /// Whether the change hands the claim's trip and euros back to its city's year.
    pub fn gives_back(&self, from: ClaimStatus) -> bool {
        from.counts() && !self.to.counts()
    }
}

/// What `erase` removed or blanked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub contacts: usize,
    pub pending: usize,
    /// Claims deleted whole: rejected or withdrawn ones, and those not decided
    /// yet (withdrawn, their trip and euros back to the city's year).
    pub claims_deleted: usize,
    /// Of those, the ones not decided yet (counted): withdrawn, their trip and euros back.
    pub claims_withdrawn: usize,
    /// Approved and paid claims kept for the payment record (until their
    /// retention ends), with the name and address replaced by `ERASED`.
    pub claims_kept: usize,
    /// Lines of the history whose subject (the address) was replaced by `ERASED`.
    pub history_lines: usize,
}

/// One line saying what an erasure removed (no personal data: counts only).
pub fn erased_summary(e: &Erased) -> String {
    format!(
        "{} contact(s), {} pending submission(s), {} claim(s) deleted ({} of them not decided yet, withdrawn), {} approved or paid claim(s) kept without name and address, {} history line(s) blanked",
        e.contacts, e.pending, e.claims_deleted, e.claims_withdrawn, e.claims_kept, e.history_lines
    )
}

/// What replaces a person's name and address where a record must stay.
pub const ERASED: &str = "[erased]";

/// Whether an erasure (or a person leaving) keeps a claim, anonymised: an
/// approved claim is a promise of payment and a paid one a payment's record;
/// every other claim is deleted (one that still counts gives its trip back).
pub fn kept_on_erase(status: ClaimStatus) -> bool {
    matches!(status, ClaimStatus::Approved | ClaimStatus::Paid)
}

/// A kept claim without its claimant: the same in both stores.
pub fn anonymised(c: &Claim) -> Claim {
    Claim { name: ERASED.into(), email: ERASED.into(), email_key: format!("{ERASED} {}", c.id), link_hashes: Vec::new(), ..c.clone() }
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
}

/// One line saying what a sweep deleted (counts only).
pub fn swept_summary(s: &Swept) -> String {
    format!(
        "{} unconfirmed submission(s), {} declined contact(s), {} claim(s), {} history line(s) deleted or blanked, {} kept answer(s), {} leave item(s) of former contacts",
        s.pending, s.contacts, s.claims, s.history_lines, s.idempotency, s.leave_links
    )
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

/// The contact a confirmed registration leaves: new, or the existing one with
/// the new details. A representative who moves to another city is no longer
/// approved for the old one: the secretariat decides again.
pub fn apply_registration(existing: Option<&Contact>, details: Registration, now: jiff::Timestamp) -> Contact {
    match existing {
        None => Contact {
            details,
            status: crate::records::ContactStatus::Confirmed,
            city_key: None,
            created_at: now,
            updated_at: now,
            version: 1,
            expires_at: None,
        },
        Some(old) => {
            let same_city = old.details.city.to_lowercase() == details.city.to_lowercase() && old.details.country == details.country;
            let (status, city_key) = if old.status == crate::records::ContactStatus::Approved && !same_city {
                (crate::records::ContactStatus::Confirmed, None)
            } else {
                (old.status, old.city_key.clone())
            };
            // A declined contact stays declined, and its deletion stays planned, whatever details it sends.
            let expires_at = if status == crate::records::ContactStatus::Declined { old.expires_at } else { None };
            Contact { details, status, city_key, created_at: old.created_at, updated_at: now, version: old.version + 1, expires_at }
        }
    }
}

/// The pending record behind a link, if the link may still be used: known, the
/// secret is one that was sent, not expired at `now` (Unix seconds).
pub fn check_link(p: Option<&Pending>, token_hash: &str, now: i64) -> Result<(), ConfirmError> {
    let Some(p) = p else { return Err(ConfirmError::Invalid) };
    if p.expires_at <= now || !p.token_hashes.iter().any(|h| h == token_hash) {
        return Err(ConfirmError::Invalid);
    }
    if p.used {
        return Err(ConfirmError::Used);
    }
    Ok(())
}

/// The claim a pending record holds, or `Invalid` (a registration's link used on the claim page).
pub fn pending_claim(p: &Pending) -> Result<&Claim, ConfirmError> {
    match &p.item {
        PendingItem::Claim(c) => Ok(c),
        PendingItem::Registration(_) => Err(ConfirmError::Invalid),
    }
}

pub fn pending_registration(p: &Pending) -> Result<&Registration, ConfirmError> {
    match &p.item {
        PendingItem::Registration(r) => Ok(r),
        PendingItem::Claim(_) => Err(ConfirmError::Invalid),
    }
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

/// Implemented with `async fn`; the futures are `Send` so a multi-threaded server can hold them.
/// Times: `now` for records, `now_secs` (its Unix second) for expiry.
pub trait Store: Send + Sync + 'static {
    /// Keeps a submission until its link is used or it expires.
    fn put_pending(&self, p: Pending) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The pending record `id`, used or not; `None` when unknown or expired at `now_secs`.
    fn get_pending(&self, id: &str, now_secs: i64) -> impl Future<Output = Result<Option<Pending>, StoreError>> + Send;

    /// The newest unused, unexpired pending record of this kind (`registration`/`claim`) for this address.
    fn latest_pending(&self, kind: &str, email_key: &str, now_secs: i64) -> impl Future<Output = Result<Option<Pending>, StoreError>> + Send;

    /// Every unused, unexpired pending record, oldest first (for the secretariat's desk).
    fn list_pending(&self, now_secs: i64) -> impl Future<Output = Result<Vec<Pending>, StoreError>> + Send;

    /// Adds the hash of a newly sent secret to a pending record. False (nothing
    /// written) when it is gone, used, expired, or has `MAX_LINKS` already.
    fn add_link(&self, id: &str, token_hash: &str, now_secs: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Uses a registration's link: the contact is created or changed
    /// (`apply_registration`), the link marked used, the audit written, atomically.
    fn confirm_registration(
        &self,
        id: &str,
        token_hash: &str,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> impl Future<Output = Result<ContactOutcome, ConfirmError>> + Send;

    /// Uses a claim's link: in one atomic step checks the claimant still
    /// represents the city, has no contribution for the meeting, and the
    /// year's limits (`rules.count`: the contribution is what the year has
    /// left, if less than asked); then stores the claim (with
    /// `confirmed_at = now` and that contribution), counts it, marks the link used and writes the audit.
    /// A refusal writes nothing and leaves the link usable.
    fn confirm_claim(
        &self,
        id: &str,
        token_hash: &str,
        rules: &TravelRules,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> impl Future<Output = Result<ClaimOutcome, ConfirmError>> + Send;

    fn get_contact(&self, email_key: &str) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send;

    /// Every contact, by email key.
    fn list_contacts(&self) -> impl Future<Output = Result<Vec<Contact>, StoreError>> + Send;

    /// Writes `new` (whose `version` is `expected_version + 1`) and its audit
    /// entry atomically, if the stored contact still has `expected_version`.
    fn update_contact(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> impl Future<Output = Result<(), UpdateError>> + Send;

    /// The whole audit trail, oldest first.
    fn list_audit(&self) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// Claims `key` for a new request, unless something is kept under it: then returns that.
    fn idempotent_start(&self, endpoint: &str, key: &str, request_hash: &str) -> impl Future<Output = Result<Option<Kept>, StoreError>> + Send;

    /// What is kept under `key`, if anything (expired marks and answers are nothing).
    fn idempotent_get(&self, endpoint: &str, key: &str) -> impl Future<Output = Result<Option<Kept>, StoreError>> + Send;

    /// Replaces the mark of a started request with its answer.
    fn idempotent_finish(&self, endpoint: &str, key: &str, answer: StoredAnswer) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Drops the mark of a started request that got no final answer (a 503), so a retry can run.
    fn idempotent_abandon(&self, endpoint: &str, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// What a city has used in a year.
    fn year_usage(&self, city_key: &str, year: i16) -> impl Future<Output = Result<YearUsage, StoreError>> + Send;

    /// Every claim (whatever its state), for the secretariat: by year, city, event.
    fn list_claims(&self) -> impl Future<Output = Result<Vec<Claim>, StoreError>> + Send;

    fn get_claim(&self, id: &str) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// The claim confirmed through the link of pending record `link_id`, if any.
    fn claim_by_link(&self, link_id: &str) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// Changes a claim's state if it is in one of `change.from`, in one atomic
    /// step with its audit entry; a change out of a counting state into a
    /// non-counting one gives the trip and euros back to the city's year and
    /// frees the person's contribution for that meeting.
    fn transition_claim(&self, id: &str, change: ClaimChange, audit: AuditEntry) -> impl Future<Output = Result<Claim, TransitionError>> + Send;

    /// Removes a person's data everywhere, in one atomic step where the store
    /// allows it: the contact, anything pending, their claims (a claim that
    /// still counted gives its trip and euros back), keeping only paid claims,
    /// with the name and address replaced by `ERASED`; their address in the
    /// history is replaced too. `audit` (which names nobody) records the erasure.
    fn erase(&self, email_key: &str, audit: AuditEntry) -> impl Future<Output = Result<Erased, StoreError>> + Send;

    /// Every city's usage per year: (city key, year, usage), by year then city.
    fn list_usage(&self) -> impl Future<Output = Result<Vec<(String, i16, YearUsage)>, StoreError>> + Send;

    /// Keeps the hash of a newly emailed leave-link secret for the contact
    /// `email_key` (under `token::leave_id`). False (nothing written) when the
    /// address is not a contact: the email then goes without the link.
    fn add_leave_link(&self, email_key: &str, token_hash: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Whether a leave link would work now (its secret kept, its contact there); changes nothing.
    /// A contact leaves through the link `leave_id` with a secret of hash
    /// `token_hash`: if the link is one the store kept and the contact still
    /// exists, their data goes as in `erase` (the same path), with `audit`
    /// (naming nobody) recorded. Otherwise `Gone`.
    fn leave_link_works(&self, leave_id: &str, token_hash: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn leave(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> impl Future<Output = Result<Erased, LeaveError>> + Send;

    /// When a claim's records may be deleted (its retention's end, Unix
    /// seconds); `None` while it has no end yet (counted, approved).
    fn claim_expires_at(&self, id: &str) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// Deletes every record whose time is up at `now_secs`, with what
    /// describes it (its history, its leave link), and says what went.
    /// DynamoDB deletes by itself (TTL): there it only blanks the history
    /// lines of addresses that left.
    fn sweep(&self, now_secs: i64) -> impl Future<Output = Result<Option<Swept>, StoreError>> + Send;
}

#[cfg(feature = "dynamodb")]
pub(crate) fn sort_contacts(v: &mut [Contact]) {
    v.sort_by(|a, b| a.details.email_key.cmp(&b.details.email_key));
}

#[cfg(feature = "dynamodb")]
pub(crate) fn sort_claims(v: &mut [Claim]) {
    v.sort_by(|a, b| (a.year, &a.city_key, &a.event_id, &a.id).cmp(&(b.year, &b.city_key, &b.event_id, &b.id)));
}
