//! The one interface between the rules and the storage. Both stores keep the
//! same promises, checked by the same contract tests:
//! - one registration per lower-cased email; a repeat updates it;
//! - a claim is counted against its city's year and stored in one atomic
//!   step, re-checking the yearly limits and the one-claim-per-city-and-event
//!   rule inside that step, so concurrent claims can never pass a limit;
//! - an idempotent request's first answer is kept and given back.

#[cfg(feature = "dynamodb")]
pub mod dynamo;
pub mod sqlite;

use crate::claims::{Claim, Registration};
use ccg_model::rules::YearUsage;
use ccg_model::{Refusal, TravelRules};
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimOutcome {
    pub id: String,
    /// The city's usage of the claim's year once this claim is counted.
    pub used: YearUsage,
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
    /// A request with this key is being processed (or died; the mark expires after `PENDING_TTL_SECS`).
    Pending { request_hash: String },
    Done(StoredAnswer),
}

/// How long a first answer is kept for retries.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;
/// How long a "being processed" mark holds a key, so a crash does not block retries for long.
pub const PENDING_TTL_SECS: i64 = 60;

/// Implemented with `async fn`; the futures are `Send` so a multi-threaded server can hold them.
pub trait Store: Send + Sync + 'static {
    /// Inserts or updates the contact with this email; the answer does not say which.
    fn register(&self, r: Registration) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// Counts the claim against its city's year (with `rules.check_year`) and stores it, atomically.
    fn claim(&self, c: Claim, rules: &TravelRules) -> impl Future<Output = Result<ClaimOutcome, ClaimError>> + Send;

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

    /// Everything, for the secretariat's export: by email.
    fn list_registrations(&self) -> impl Future<Output = Result<Vec<Registration>, StoreError>> + Send;

    /// Everything, for the secretariat's export: by year, city, event.
    fn list_claims(&self) -> impl Future<Output = Result<Vec<Claim>, StoreError>> + Send;
}

#[cfg(feature = "dynamodb")]
pub(crate) fn sort_registrations(v: &mut [Registration]) {
    v.sort_by(|a, b| a.email_key.cmp(&b.email_key));
}

#[cfg(feature = "dynamodb")]
pub(crate) fn sort_claims(v: &mut [Claim]) {
    v.sort_by(|a, b| (a.year, &a.city_key, &a.event_id).cmp(&(b.year, &b.city_key, &b.event_id)));
}
