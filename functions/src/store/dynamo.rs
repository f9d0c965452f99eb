//! The production store: one DynamoDB table (on demand), string key `pk`
//! only, TTL attribute `expires_at` (Unix seconds). Its items:
//!
//! ```text
//!   PENDING#<id>                 a submission waiting for its emailed link: `kind`
//!                                (`registration`/`claim`), `email_key`, `item` (one JSON
//!                                text, `PendingItem::to_json`), `token_hashes` (a List, in
//!                                the order sent), `created_at`, `expires_at`, `used` (BOOL)
//!   LATEST#<kind>#<email key>    `pending_id`, `created_at`, `expires_at`: the newest
//!                                submission of that form for that address
//!   CONTACT#<email key>          a confirmed contact: the registration's fields, `status`,
//!                                `city_key` (while approved), `created_at`, `updated_at`, `version`
//!   CLAIM#<claim id>             a confirmed claim: its fields, `status` (`counted`, `approved`,
//!                                `paid`, `rejected`, `withdrawn`), `link_id` and `link_hashes`
//!                                (a List: the pending record it was confirmed from and its
//!                                secrets' hashes), and the secretariat's decision: `reason`,
//!                                `paid_cents`, `paid_on` (each absent until set)
//!   LINK#<pending id>            `claim_id`: the claim confirmed through that link
//!   PERSON#<email key>#<event>   `claim_id`: the one contribution of a person for a meeting,
//!                                while that claim counts
//!   YEAR#<city key>#<year>       `trips` (N) and `cents` (N) counted for a city in a year
//!   AUDIT#<at>#<random id>       one line of the audit trail
//!   LEAVE#<leave id>             a contact's leave links: `email_key`, `hashes` (a List of
//!                                the SHA-256 of each secret emailed), `claim_ids` (a List:
//!                                the claims they confirmed, so leaving finds them without
//!                                a Scan). The id is `token::leave_id(email key)`
//!   IDEM#<endpoint>#<key>        the first answer of an idempotent request
//! ```
//!
//! DynamoDB deletes expired items late (up to days): every read of a PENDING#
//! or LATEST# item checks `expires_at` itself, and every write that uses one
//! has `expires_at > :now` in its condition.
//!
//! What must hold together is ONE TransactWriteItems, whose conditions say
//! what the SQLite store re-reads inside its transaction:
//! - `put_pending`: the PENDING# item (new id) and its LATEST# pointer, so
//!   `latest_pending` is two consistent GetItems, never a Query or Scan (the
//!   functions have no rights to those);
//! - `confirm_registration`: the link is used (`used = false`, not expired, the
//!   secret's hash one of those sent), the contact is written as it was read
//!   (`attribute_not_exists(pk)`, or its `version`), and the audit line. A
//!   contact changed in between sends the reads and the decision round again;
//! - `confirm_claim`: the link is used as above, the contact still approved for
//!   the claim's city (a ConditionCheck), the YEAR# counter goes up only while
//!   under both yearly limits (a first claim larger than the whole year, which
//!   the condition cannot see, is refused before), PERSON# is new (one claim per person and
//!   meeting), the CLAIM# (`counted`, with its link's id and hashes: the use of
//!   the link also requires that no secret was added since the read), the
//!   audit line and LINK# (new), so `claim_by_link` is two consistent GetItems.
//!   Concurrent confirmations of one city therefore cannot pass a limit; why
//!   a cancelled one was refused is read from DynamoDB's per-item
//!   cancellation reasons;
//! - `transition_claim` (the secretariat's decision, the claimant's
//!   withdrawal): the new CLAIM# only while its `status`, `reason`,
//!   `paid_cents` and `paid_on` are still as read (of concurrent decisions on
//!   one claim one is written; the others read it again and decide again,
//!   which is a Conflict unless the change also starts from the new state),
//!   and the audit line. A change out of a counting state into a
//!   non-counting one also takes the claim's trip and euros off YEAR#
//!   (`attribute_exists`) and deletes PERSON# (only if it is this claim's),
//!   so the person may claim for that meeting again. YEAR# is only changed
//!   by adding or subtracting in a transaction, and a confirmation's
//!   condition is on the counter itself: the counter is always the sum of
//!   the claims of that city and year that count (and of the first
//!   version's), and a give-back racing with confirmations only makes room
//!   (a confirmation whose condition failed on a counter that has gone down
//!   since is decided again);
//! - `update_contact` (the secretariat): the contact if its `version` is still
//!   the one read, and the audit line.
//!
//! Retention: a claim that reaches its end (paid, rejected, withdrawn) gets
//! `expires_at` (the table's TTL attribute) in the same transaction as the
//! change, on CLAIM#, LINK#, PERSON# (while it exists), the new audit line and
//! every earlier one (CLAIM# keeps their keys in `audit_keys`); a declined
//! contact gets it on CONTACT#. YEAR# counters name no one and stay.
//!
//! A transaction cancelled for a conflict with a concurrent one is sent again
//! after a short pause (`CONFLICT_RETRIES` in all), then answers "unavailable".
//!
//! What the functions' roles need: GetItem, PutItem, UpdateItem and
//! ConditionCheckItem on the prefixes above (TransactWriteItems is allowed
//! item by item through those), and DeleteItem on PERSON# wherever a claim
//! may be rejected or withdrawn; only the secretariat's listings (`list_*`)
//! Scan. Items of the first version (`REG#`, and `CLAIM#<city>#<event>` claims
//! taken without confirmation) are left alone and not listed; their YEAR#
//! counters, which have the same key, still count.

use super::{
    ERASED, Erased, LeaveError, Swept, anonymised, erased_summary, kept_on_erase,
    ClaimChange, ClaimOutcome, ConfirmError, ContactOutcome, IDEMPOTENCY_TTL_SECS, Kept, PENDING_TTL_SECS, Store, StoreError, StoredAnswer, TransitionError,
    UpdateError, apply_registration, check_link, pending_claim, pending_registration,
};
use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, MAX_LINKS, Pending, PendingItem, Registration};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, ConditionCheck, Delete, KeySchemaElement, KeyType, Put,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// Builds the SDK client from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local), with timeouts that fit
/// inside the handler's own, so a slow table is an answer, not a hang.
pub async fn client_from_env() -> Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts()).load().await;
    Client::new(&conf)
}

pub fn timeouts() -> aws_sdk_dynamodb::config::timeout::TimeoutConfig {
    aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .operation_attempt_timeout(Duration::from_millis(1000))
        .operation_timeout(Duration::from_millis(2500))
        .build()
}

/// Creates the table as the deployment template does (tests, benchmark, local
/// trials); a table that already exists is fine (a retried call may have made it).
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(AttributeDefinition::builder().attribute_name("pk").attribute_type(ScalarAttributeType::S).build().map_err(build_err)?)
        .key_schema(KeySchemaElement::builder().attribute_name("pk").key_type(KeyType::Hash).build().map_err(build_err)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(SdkError::ServiceError(e)) if e.err().is_resource_in_use_exception() => return Ok(()),
        Err(e) => return Err(sdk_err(e)),
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(TimeToLiveSpecification::builder().attribute_name("expires_at").enabled(true).build().map_err(build_err)?)
        .send()
        .await
        .map_err(sdk_err)?;
    Ok(())
}

fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// Throttling, timeouts and connection trouble are "unavailable"; the rest "failed". Both are a 503.
fn sdk_err<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    match &e {
        SdkError::TimeoutError(_) => StoreError::Unavailable("DynamoDB did not answer in time".into()),
        SdkError::DispatchFailure(_) => StoreError::Unavailable("DynamoDB cannot be reached".into()),
        SdkError::ResponseError(_) => StoreError::Unavailable("DynamoDB sent an unreadable answer".into()),
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or("unknown");
            if code.contains("Throttl") || code.contains("ProvisionedThroughputExceeded") || code == "RequestLimitExceeded" || code == "InternalServerError" {
                StoreError::Unavailable(format!("DynamoDB is busy ({code})"))
            } else {
                // The code only: a service message may quote the request, and logs carry no personal data.
                StoreError::Failed(format!("DynamoDB refused the request ({code})"))
            }
        }
        _ => StoreError::Failed("DynamoDB request could not be built".into()),
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_s(item: &Item, k: &str) -> Result<String, StoreError> {
    match item.get(k) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Failed(format!("a stored item has no text `{k}`"))),
    }
}
fn get_opt_s(item: &Item, k: &str) -> Option<String> {
    match item.get(k) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}
fn get_n<T: std::str::FromStr>(item: &Item, k: &str) -> Result<T, StoreError> {
    match item.get(k) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Failed(format!("stored `{k}` is not a number"))),
        _ => Err(StoreError::Failed(format!("a stored item has no number `{k}`"))),
    }
}
fn get_opt_n<T: std::str::FromStr>(item: &Item, k: &str) -> Result<Option<T>, StoreError> {
    match item.get(k) {
        None => Ok(None),
        Some(_) => get_n(item, k).map(Some),
    }
}
/// A list of texts, `None` when the item has no such attribute.
fn get_opt_texts(item: &Item, k: &str) -> Result<Option<Vec<String>>, StoreError> {
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
fn get_bool(item: &Item, k: &str) -> Result<bool, StoreError> {
    match item.get(k) {
        Some(AttributeValue::Bool(b)) => Ok(*b),
        _ => Err(StoreError::Failed(format!("a stored item has no true/false `{k}`"))),
    }
}
fn get_date(item: &Item, k: &str) -> Result<jiff::civil::Date, StoreError> {
    get_s(item, k)?.parse().map_err(|_| StoreError::Failed(format!("stored `{k}` is not a date")))
}

fn pending_pk(id: &str) -> String {
    format!("PENDING#{id}")
}
fn latest_pk(kind: &str, email_key: &str) -> String {
    format!("LATEST#{kind}#{email_key}")
}
fn contact_pk(email_key: &str) -> String {
    format!("CONTACT#{email_key}")
}
fn claim_pk(id: &str) -> String {
    format!("CLAIM#{id}")
}
fn link_pk(pending_id: &str) -> String {
    format!("LINK#{pending_id}")
}
fn person_pk(email_key: &str, event_id: &str) -> String {
    format!("PERSON#{email_key}#{event_id}")
}
fn year_pk(city_key: &str, year: i16) -> String {
    format!("YEAR#{city_key}#{year}")
}

fn usage_of(item: Option<&Item>) -> Result<YearUsage, StoreError> {
    match item {
        Some(i) if i.contains_key("trips") => Ok(YearUsage { trips: get_n(i, "trips")?, amount: Cents(get_n(i, "cents")?) }),
        _ => Ok(YearUsage::default()),
    }
}

fn pending_item(p: &Pending) -> Item {
    HashMap::from([
        ("pk".into(), s(pending_pk(&p.id))),
        ("kind".into(), s(p.item.kind())),
        ("email_key".into(), s(p.item.email_key())),
        ("item".into(), s(p.item.to_json())),
        ("token_hashes".into(), AttributeValue::L(p.token_hashes.iter().map(s).collect())),
        ("created_at".into(), s(&p.created_at)),
        ("expires_at".into(), n(p.expires_at)),
        ("used".into(), AttributeValue::Bool(p.used)),
    ])
}

fn item_pending(i: &Item) -> Result<Pending, StoreError> {
    let pk = get_s(i, "pk")?;
    let id = pk.strip_prefix("PENDING#").ok_or_else(|| StoreError::Failed("a pending record has a foreign key".into()))?;
    let token_hashes = get_opt_texts(i, "token_hashes")?.ok_or_else(|| StoreError::Failed("a stored item has no list `token_hashes`".into()))?;
    Ok(Pending {
        id: id.to_string(),
        item: PendingItem::from_json(&get_s(i, "item")?).map_err(StoreError::Failed)?,
        token_hashes,
        created_at: get_s(i, "created_at")?,
        expires_at: get_n(i, "expires_at")?,
        used: get_bool(i, "used")?,
    })
}

fn contact_item(c: &Contact) -> Item {
    let d = &c.details;
    let mut item: Item = HashMap::from([
        ("pk".into(), s(contact_pk(&d.email_key))),
        ("email_key".into(), s(&d.email_key)),
        ("name".into(), s(&d.name)),
        ("email".into(), s(&d.email)),
        ("city".into(), s(&d.city)),
        ("country".into(), s(&d.country)),
        ("organisation".into(), s(&d.organisation)),
        ("position".into(), s(&d.position)),
        ("city_status".into(), s(&d.city_status)),
        ("status".into(), s(c.status.as_str())),
        ("created_at".into(), s(&c.created_at)),
        ("updated_at".into(), s(&c.updated_at)),
        ("version".into(), n(c.version)),
    ]);
    if let Some(p) = &d.project {
        item.insert("project".into(), s(p));
    }
    if let Some(k) = &c.city_key {
        item.insert("city_key".into(), s(k));
    }
    if let Some(end) = c.expires_at {
        item.insert("expires_at".into(), n(end));
    }
    item
}

fn item_contact(i: &Item) -> Result<Contact, StoreError> {
    let status = get_s(i, "status")?;
    Ok(Contact {
        details: Registration {
            email_key: get_s(i, "email_key")?,
            name: get_s(i, "name")?,
            email: get_s(i, "email")?,
            city: get_s(i, "city")?,
            country: get_s(i, "country")?,
            organisation: get_s(i, "organisation")?,
            position: get_s(i, "position")?,
            city_status: get_s(i, "city_status")?,
            project: get_opt_s(i, "project"),
        },
        status: ContactStatus::parse(&status).ok_or_else(|| StoreError::Failed("a stored contact has an unknown status".into()))?,
        city_key: get_opt_s(i, "city_key"),
        created_at: get_s(i, "created_at")?,
        updated_at: get_s(i, "updated_at")?,
        version: get_n(i, "version")?,
        expires_at: get_opt_n(i, "expires_at")?,
    })
}

fn claim_item(c: &Claim) -> Item {
    let mut item: Item = HashMap::from([
        ("pk".into(), s(claim_pk(&c.id))),
        ("id".into(), s(&c.id)),
        ("email_key".into(), s(&c.email_key)),
        ("city_key".into(), s(&c.city_key)),
        ("event_id".into(), s(&c.event_id)),
        ("year".into(), n(c.year)),
        ("name".into(), s(&c.name)),
        ("email".into(), s(&c.email)),
        ("city".into(), s(&c.city)),
        ("country".into(), s(&c.country)),
        ("travel_start".into(), s(c.travel_start.to_string())),
        ("travel_end".into(), s(c.travel_end.to_string())),
        ("amount_cents".into(), n(c.amount.0)),
        ("transport_cents".into(), n(c.transport.0)),
        ("accommodation_cents".into(), n(c.accommodation.0)),
        ("created_at".into(), s(&c.created_at)),
        ("confirmed_at".into(), s(&c.confirmed_at)),
        ("status".into(), s(c.status.as_str())),
        ("link_id".into(), s(&c.link_id)),
        ("link_hashes".into(), AttributeValue::L(c.link_hashes.iter().map(s).collect())),
    ]);
    if let Some(r) = &c.reason {
        item.insert("reason".into(), s(r));
    }
    if let Some(p) = c.paid {
        item.insert("paid_cents".into(), n(p.0));
    }
    if let Some(d) = c.paid_on {
        item.insert("paid_on".into(), s(d.to_string()));
    }
    item
}

/// The attributes of a CLAIM# item that change after its confirmation (by `transition_claim`).
const CLAIM_DECISION: [&str; 4] = ["status", "reason", "paid_cents", "paid_on"];

/// A claim item written before claims had states (none in production) is
/// read as `counted`, with no link.
fn item_claim(i: &Item) -> Result<Claim, StoreError> {
    let status = match get_opt_s(i, "status") {
        None => ClaimStatus::Counted,
        Some(st) => ClaimStatus::parse(&st).ok_or_else(|| StoreError::Failed("a stored claim has an unknown status".into()))?,
    };
    let paid_on = match get_opt_s(i, "paid_on") {
        None => None,
        Some(_) => Some(get_date(i, "paid_on")?),
    };
    Ok(Claim {
        id: get_s(i, "id")?,
        name: get_s(i, "name")?,
        email: get_s(i, "email")?,
        email_key: get_s(i, "email_key")?,
        city: get_s(i, "city")?,
        city_key: get_s(i, "city_key")?,
        country: get_s(i, "country")?,
        event_id: get_s(i, "event_id")?,
        year: get_n(i, "year")?,
        travel_start: get_date(i, "travel_start")?,
        travel_end: get_date(i, "travel_end")?,
        amount: Cents(get_n(i, "amount_cents")?),
        transport: Cents(get_n(i, "transport_cents")?),
        accommodation: Cents(get_n(i, "accommodation_cents")?),
        created_at: get_s(i, "created_at")?,
        confirmed_at: get_s(i, "confirmed_at")?,
        status,
        link_id: get_opt_s(i, "link_id").unwrap_or_default(),
        link_hashes: get_opt_texts(i, "link_hashes")?.unwrap_or_default(),
        reason: get_opt_s(i, "reason"),
        paid: get_opt_n(i, "paid_cents")?.map(Cents),
        paid_on,
    })
}

/// A random part in the key keeps two lines written in the same nanosecond apart.
fn audit_item(a: &AuditEntry) -> Item {
    audit_item_at(a, audit_pk(a))
}

fn audit_pk(a: &AuditEntry) -> String {
    format!("AUDIT#{}#{}", a.at, crate::token::new_id("aud"))
}

fn leave_pk(leave_id: &str) -> String {
    format!("LEAVE#{leave_id}")
}

/// An audit line under a key chosen beforehand (the claim it describes keeps it).
fn audit_item_at(a: &AuditEntry, pk: String) -> Item {
    HashMap::from([
        ("pk".into(), s(pk)),
        ("at".into(), s(&a.at)),
        ("actor".into(), s(&a.actor)),
        ("action".into(), s(&a.action)),
        ("subject".into(), s(&a.subject)),
        ("detail".into(), s(&a.detail)),
    ])
}

/// A CLAIM# item rewritten whole keeps what `Claim` does not carry: its end and its history's keys.
fn kept_attributes(mut item: Item, read: &Item) -> Item {
    for k in ["expires_at", "audit_keys"] {
        if let Some(v) = read.get(k) {
            item.insert(k.into(), v.clone());
        }
    }
    item
}

fn item_audit(i: &Item) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry { at: get_s(i, "at")?, actor: get_s(i, "actor")?, action: get_s(i, "action")?, subject: get_s(i, "subject")?, detail: get_s(i, "detail")? })
}

fn audit_entry(now: &str, actor: &str, action: &str, subject: &str, detail: String) -> AuditEntry {
    AuditEntry { at: now.to_string(), actor: actor.into(), action: action.into(), subject: subject.into(), detail }
}

fn item_kept(i: &Item) -> Result<Kept, StoreError> {
    let request_hash = get_s(i, "request_hash")?;
    let status: u16 = get_n(i, "status")?;
    if status == 0 {
        return Ok(Kept::Pending { request_hash });
    }
    let body = match i.get("body") {
        Some(AttributeValue::B(b)) => b.clone().into_inner(),
        _ => Vec::new(),
    };
    Ok(Kept::Done(StoredAnswer { request_hash, status, content_type: get_s(i, "content_type")?, location: get_opt_s(i, "location"), body }))
}

/// A short pause that differs between callers, so conflicting transactions spread out.
async fn backoff(attempt: u32) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let jitter = u64::from(nanos % 20);
    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt) + jitter)).await;
}

/// How many times a transaction is sent when DynamoDB cancels it for a
/// conflict with a concurrent one (not a refusal), or when what it was decided
/// on changed in between.
const CONFLICT_RETRIES: u32 = 12;

/// Counts the rounds of one write; after `CONFLICT_RETRIES`, "unavailable".
struct Attempts(u32);

impl Attempts {
    async fn again(&mut self, what: &str) -> Result<(), StoreError> {
        self.0 += 1;
        if self.0 >= CONFLICT_RETRIES {
            return Err(StoreError::Unavailable(format!("too many concurrent changes of {what}; try again")));
        }
        backoff(self.0).await;
        Ok(())
    }
}

/// How a TransactWriteItems ended, when DynamoDB answered.
enum Sent {
    Done,
    /// Cancelled: one reason per item, in the order sent.
    Cancelled(Vec<CancellationReason>),
    /// Another transaction held the items: DynamoDB asks to retry.
    InProgress,
}

/// What a cancelled transaction means for the caller.
enum Next<E> {
    Fail(E),
    Again,
}

fn code(r: &CancellationReason) -> &str {
    r.code().unwrap_or("None")
}

/// The condition of item `i` failed.
fn failed(reasons: &[CancellationReason], i: usize) -> bool {
    reasons.get(i).is_some_and(|r| code(r) == "ConditionalCheckFailed")
}

fn conflicted(reasons: &[CancellationReason]) -> bool {
    reasons.iter().any(|r| code(r) == "TransactionConflict")
}

/// Neither a condition nor a conflict (throttling, a validation error): the codes only.
fn busy(reasons: &[CancellationReason], what: &str) -> StoreError {
    let codes: Vec<&str> = reasons.iter().map(code).collect();
    StoreError::Unavailable(format!("DynamoDB cancelled {what} ({})", codes.join(", ")))
}

fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn values(pairs: Vec<(&str, AttributeValue)>) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `get` and `transact` behind a Box made in a plain function: a long
    /// async fn that awaits many of them (leaving) keeps only a pointer per
    /// call in its frame, which in debug builds would otherwise hold a whole
    /// SDK future per call site and overflow a test thread's stack.
    fn get_boxed(&self, pk: String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Item>, StoreError>> + Send + '_>> {
        Box::pin(self.get(pk))
    }
    fn transact_boxed(&self, items: Vec<TransactWriteItem>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Sent, StoreError>> + Send + '_>> {
        Box::pin(self.transact(items))
    }

    async fn get(&self, pk: String) -> Result<Option<Item>, StoreError> {
        let out = self.client.get_item().table_name(&self.table).key("pk", s(pk)).consistent_read(true).send().await.map_err(sdk_err)?;
        Ok(out.item)
    }

    async fn scan(&self, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :p)")
                .expression_attribute_values(":p", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// The pending record, used or not, unless unknown or expired at `now_secs`
    /// (TTL deletion is late: an expired item may still be there).
    async fn pending(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let Some(item) = self.get(pending_pk(id)).await? else { return Ok(None) };
        let p = item_pending(&item)?;
        Ok((p.expires_at > now_secs).then_some(p))
    }

    async fn contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        self.get(contact_pk(email_key)).await?.as_ref().map(item_contact).transpose()
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Sent, StoreError> {
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(Sent::Done),
            Err(SdkError::ServiceError(se)) => match se.err() {
                TransactWriteItemsError::TransactionCanceledException(t) => Ok(Sent::Cancelled(t.cancellation_reasons().to_vec())),
                TransactWriteItemsError::TransactionInProgressException(_) => Ok(Sent::InProgress),
                _ => Err(sdk_err(SdkError::ServiceError(se))),
            },
            Err(e) => Err(sdk_err(e)),
        }
    }

    fn put(&self, item: Item, condition: Option<(&str, HashMap<String, String>, Item)>) -> Result<TransactWriteItem, StoreError> {
        let mut b = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((expr, names, values)) = condition {
            b = b
                .condition_expression(expr)
                .set_expression_attribute_names((!names.is_empty()).then_some(names))
                .set_expression_attribute_values((!values.is_empty()).then_some(values));
        }
        Ok(TransactWriteItem::builder().put(b.build().map_err(build_err)?).build())
    }

    /// A put that only creates.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        self.put(item, Some(("attribute_not_exists(pk)", HashMap::new(), HashMap::new())))
    }

    /// The contact, if the stored one is still the one read: none (`None`), or that version.
    fn put_contact(&self, c: &Contact, read_version: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        match read_version {
            None => self.put_new(contact_item(c)),
            Some(v) => self.put(contact_item(c), Some(("#version = :version", names(&[("#version", "version")]), values(vec![(":version", n(v))])))),
        }
    }

    /// Marks the link used, if it still may be: unused, unexpired, and `token_hash` one of the secrets sent.
    /// With `sent`, also only while exactly that many secrets were sent: a claim
    /// keeps the hashes of its link, and a link sent again in between would be missing.
    fn use_link(&self, id: &str, token_hash: &str, now_secs: i64, sent: Option<usize>) -> Result<TransactWriteItem, StoreError> {
        let mut condition = "#used = :false AND #expires_at > :now AND contains(#token_hashes, :hash)".to_string();
        let mut vals = vec![(":true", AttributeValue::Bool(true)), (":false", AttributeValue::Bool(false)), (":now", n(now_secs)), (":hash", s(token_hash))];
        if let Some(sent) = sent {
            condition.push_str(" AND size(#token_hashes) = :sent");
            vals.push((":sent", n(sent)));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pending_pk(id)))
            .update_expression("SET #used = :true")
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[("#used", "used"), ("#expires_at", "expires_at"), ("#token_hashes", "token_hashes")])))
            .set_expression_attribute_values(Some(values(vals)))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Why using the link failed (the `use_link` item of a cancelled transaction):
    /// read again, it is used now, or was never valid (`check_link` says which).
    /// If it still looks usable, something raced: again.
    async fn link_failed(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<Next<ConfirmError>, StoreError> {
        let p = self.pending(id, now_secs).await?;
        Ok(match check_link(p.as_ref(), token_hash, now_secs) {
            Err(e) => Next::Fail(e),
            Ok(()) => Next::Again,
        })
    }

    /// Why a cancelled claim was refused, from DynamoDB's per-item reasons (the
    /// items of `claim_items`), told in the order the SQLite store checks.
    async fn explain_claim(
        &self,
        reasons: &[CancellationReason],
        (id, token_hash, now_secs): (&str, &str, i64),
        c: &Claim,
        rules: &TravelRules,
    ) -> Result<Next<ConfirmError>, StoreError> {
        if failed(reasons, 0) {
            return self.link_failed(id, token_hash, now_secs).await;
        }
        if failed(reasons, 1) {
            return Ok(Next::Fail(ConfirmError::Refused(Refusal::NotRepresentative)));
        }
        if failed(reasons, 3) {
            return Ok(Next::Fail(ConfirmError::Refused(Refusal::AlreadyClaimed)));
        }
        if let Some(r) = reasons.get(2).filter(|r| code(r) == "ConditionalCheckFailed") {
            // ALL_OLD gives the counter that failed the condition; read it if the table did not.
            let used = match r.item() {
                Some(item) => usage_of(Some(item))?,
                None => usage_of(self.get(year_pk(&c.city_key, c.year)).await?.as_ref())?,
            };
            return Ok(match rules.check_year(used, c.amount) {
                Err(refusal) => Next::Fail(ConfirmError::Refused(self.year_refusal(c, refusal).await?)),
                // The counter went down in between (a claim rejected or withdrawn gave its trip back): try again.
                Ok(_) => Next::Again,
            });
        }
        if failed(reasons, 4) {
            return Ok(Next::Fail(StoreError::Failed("a claim with this id is stored already".into()).into()));
        }
        if failed(reasons, 6) {
            // The link's use (item 0) would have failed first: a LINK# item left by hand?
            return Ok(Next::Fail(StoreError::Failed("a claim is linked to this link already".into()).into()));
        }
        if conflicted(reasons) {
            return Ok(Next::Again);
        }
        Ok(Next::Fail(busy(reasons, "the claim").into()))
    }

    /// A refusal for the year, unless the person already has a contribution for
    /// the meeting: that is told first, as the SQLite store does.
    async fn year_refusal(&self, c: &Claim, refusal: Refusal) -> Result<Refusal, StoreError> {
        let already = self.get(person_pk(&c.email_key, &c.event_id)).await?.is_some();
        Ok(if already { Refusal::AlreadyClaimed } else { refusal })
    }

    /// The CLAIM# item of a claim of this version, as stored. A first-version
    /// key (`CLAIM#<city>#<event>`, which `list_claims` leaves out) is no claim here either.
    async fn claim_item_of(&self, id: &str) -> Result<Option<Item>, StoreError> {
        if id.is_empty() || id.contains('#') {
            return Ok(None);
        }
        self.get(claim_pk(id)).await
    }

    /// The one transaction of a change of a claim's state (`transition_claim`),
    /// decided on `read` (the CLAIM# item as read) and `old` (the claim it holds):
    /// 0: the new claim, only while its state and the secretariat's decision
    /// are still as read, so of two concurrent changes one is refused and
    /// decided again; if the change gives the trip back, 1: the YEAR# counter
    /// goes down by its trip and euros, 2: PERSON# is deleted (the person may
    /// claim for the meeting again), only if it is this claim's; last: the audit line.
    fn transition_items(
        &self,
        read: &Item,
        (old, new): (&Claim, &Claim),
        gives_back: bool,
        audit: &AuditEntry,
        expires_at: Option<i64>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut condition = vec!["attribute_exists(pk)".to_string()];
        let mut cond_names = HashMap::new();
        let mut cond_values = HashMap::new();
        for (i, attr) in CLAIM_DECISION.iter().enumerate() {
            let name = format!("#d{i}");
            match read.get(*attr) {
                Some(v) => {
                    condition.push(format!("{name} = :d{i}"));
                    cond_values.insert(format!(":d{i}"), v.clone());
                }
                None => condition.push(format!("attribute_not_exists({name})")),
            }
            cond_names.insert(name, attr.to_string());
        }
        let audit_key = audit_pk(audit);
        let earlier_audit = get_opt_texts(read, "audit_keys")?.unwrap_or_default();
        let mut claim = kept_attributes(claim_item(new), read);
        let mut audit_keys: Vec<AttributeValue> = earlier_audit.iter().map(s).collect();
        audit_keys.push(s(&audit_key));
        claim.insert("audit_keys".into(), AttributeValue::L(audit_keys));
        if let Some(end) = expires_at {
            claim.insert("expires_at".into(), n(end));
        }
        let mut items = vec![self.put(claim, Some((&condition.join(" AND "), cond_names, cond_values)))?];
        if gives_back {
            let year = Update::builder()
                .table_name(&self.table)
                .key("pk", s(year_pk(&old.city_key, old.year)))
                .update_expression("SET #trips = #trips - :one, #cents = #cents - :amount")
                .condition_expression("attribute_exists(#trips) AND attribute_exists(#cents)")
                .set_expression_attribute_names(Some(names(&[("#trips", "trips"), ("#cents", "cents")])))
                .set_expression_attribute_values(Some(values(vec![(":one", n(1)), (":amount", n(old.amount.0))])))
                .build()
                .map_err(build_err)?;
            let person = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(person_pk(&old.email_key, &old.event_id)))
                .condition_expression("attribute_not_exists(pk) OR #claim_id = :claim_id")
                .set_expression_attribute_names(Some(names(&[("#claim_id", "claim_id")])))
                .set_expression_attribute_values(Some(values(vec![(":claim_id", s(&old.id))])))
                .build()
                .map_err(build_err)?;
            items.push(TransactWriteItem::builder().update(year).build());
            items.push(TransactWriteItem::builder().delete(person).build());
        }
        let mut audit_line = audit_item_at(audit, audit_key);
        if let Some(end) = expires_at {
            // The claim's end reaches what describes it: its earlier history,
            // its link, and its contribution marker while it has one.
            audit_line.insert("expires_at".into(), n(end));
            for key in &earlier_audit {
                items.push(self.expire(key.clone(), end, None)?);
            }
            if !old.link_id.is_empty() {
                items.push(self.expire(link_pk(&old.link_id), end, None)?);
            }
            if !gives_back && !old.email_key.starts_with(ERASED) {
                items.push(self.expire(person_pk(&old.email_key, &old.event_id), end, Some(&old.id))?);
            }
        }
        items.push(self.put(audit_line, None)?);
        Ok(items)
    }

    /// Sets the TTL attribute of an existing item (with `claim_id`: only if it is that claim's).
    fn expire(&self, pk: String, end: i64, claim_id: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let mut vals = vec![(":end", n(end))];
        let mut nms = vec![("#expires_at", "expires_at")];
        let condition = match claim_id {
            Some(id) => {
                vals.push((":claim_id", s(id)));
                nms.push(("#claim_id", "claim_id"));
                "#claim_id = :claim_id"
            }
            None => "attribute_exists(pk)",
        };
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .update_expression("SET #expires_at = :end")
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&nms)))
            .set_expression_attribute_values(Some(values(vals)))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// What erasing one claim of a person writes (`erase` and `leave`): an
    /// approved or paid claim is kept without name and address (with its end
    /// and history keys); any other is deleted, with its link, and gives its
    /// trip back if it still counted. The person's contribution marker goes
    /// either way: its key holds the address. True when the claim is kept.
    fn erase_claim_items(&self, read: &Item, c: &Claim) -> Result<(Vec<TransactWriteItem>, bool), StoreError> {
        let same_state = Some(("#status = :status", names(&[("#status", "status")]), values(vec![(":status", s(c.status.as_str()))])));
        let mut items = Vec::new();
        let kept = kept_on_erase(c.status);
        if kept {
            items.push(self.put(kept_attributes(claim_item(&anonymised(c)), read), same_state)?);
        } else {
            let mut del = Delete::builder().table_name(&self.table).key("pk", s(claim_pk(&c.id)));
            if let Some((expr, n_, v_)) = same_state {
                del = del.condition_expression(expr).set_expression_attribute_names(Some(n_)).set_expression_attribute_values(Some(v_));
            }
            items.push(TransactWriteItem::builder().delete(del.build().map_err(build_err)?).build());
            if c.status.counts() {
                let year = Update::builder()
                    .table_name(&self.table)
                    .key("pk", s(year_pk(&c.city_key, c.year)))
                    .update_expression("SET #trips = #trips - :one, #cents = #cents - :amount")
                    .condition_expression("attribute_exists(#trips)")
                    .set_expression_attribute_names(Some(names(&[("#trips", "trips"), ("#cents", "cents")])))
                    .set_expression_attribute_values(Some(values(vec![(":one", n(1)), (":amount", n(c.amount.0))])))
                    .build()
                    .map_err(build_err)?;
                items.push(TransactWriteItem::builder().update(year).build());
            }
            if !c.link_id.is_empty() {
                let link = Delete::builder().table_name(&self.table).key("pk", s(link_pk(&c.link_id))).build().map_err(build_err)?;
                items.push(TransactWriteItem::builder().delete(link).build());
            }
        }
        let person = Delete::builder().table_name(&self.table).key("pk", s(person_pk(&c.email_key, &c.event_id))).build().map_err(build_err)?;
        items.push(TransactWriteItem::builder().delete(person).build());
        Ok((items, kept))
    }

    /// The transaction of a contact leaving (`Store::leave`), from what is stored now, and what it removes.
    async fn leave_items(&self, leave_id: &str, token_hash: &str, audit: &AuditEntry) -> Result<(Vec<TransactWriteItem>, Erased), LeaveError> {
        let Some(lv) = self.get_boxed(leave_pk(leave_id)).await? else { return Err(LeaveError::Gone) };
        if !get_opt_texts(&lv, "hashes")?.unwrap_or_default().iter().any(|h| h == token_hash) {
            return Err(LeaveError::Gone);
        }
        let email_key = get_s(&lv, "email_key")?;
        if self.get_boxed(contact_pk(&email_key)).await?.is_none() {
            return Err(LeaveError::Gone);
        }
        let claim_ids = get_opt_texts(&lv, "claim_ids")?;
        let now_secs = jiff::Timestamp::now().as_second();
        let mut done = Erased { contacts: 1, ..Erased::default() };
        let (claims_cond, mut cond_values) = match &claim_ids {
            Some(ids) => ("size(#claim_ids) = :n", vec![(":n", n(ids.len()))]),
            None => ("attribute_not_exists(#claim_ids)", Vec::new()),
        };
        cond_values.push((":hash", s(token_hash)));
        let leave = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(leave_pk(leave_id)))
            .condition_expression(format!("contains(#hashes, :hash) AND {claims_cond}"))
            .set_expression_attribute_names(Some(names(&[("#hashes", "hashes"), ("#claim_ids", "claim_ids")])))
            .set_expression_attribute_values(Some(values(cond_values)))
            .build()
            .map_err(build_err)?;
        let contact =
            Delete::builder().table_name(&self.table).key("pk", s(contact_pk(&email_key))).condition_expression("attribute_exists(pk)").build().map_err(build_err)?;
        let mut items = vec![TransactWriteItem::builder().delete(leave).build(), TransactWriteItem::builder().delete(contact).build()];
        for kind in ["registration", "claim"] {
            let Some(latest) = self.get_boxed(latest_pk(kind, &email_key)).await? else { continue };
            let del = Delete::builder().table_name(&self.table).key("pk", s(latest_pk(kind, &email_key))).build().map_err(build_err)?;
            items.push(TransactWriteItem::builder().delete(del).build());
            // Its submission, if still waiting, stops working now and goes by TTL.
            let Some(p) = self.get_boxed(pending_pk(&get_s(&latest, "pending_id")?)).await? else { continue };
            let p = item_pending(&p)?;
            if !p.used && p.expires_at > now_secs {
                items.push(self.expire(pending_pk(&p.id), now_secs, None)?);
                done.pending += 1;
            }
        }
        for id in claim_ids.iter().flatten() {
            if id.is_empty() || id.contains('#') {
                continue;
            }
            let Some(read) = self.get_boxed(claim_pk(id)).await? else { continue };
            let c = item_claim(&read)?;
            if c.email_key != email_key {
                continue; // erased already
            }
            let (claim_items, kept) = self.erase_claim_items(&read, &c)?;
            items.extend(claim_items);
            if kept {
                done.claims_kept += 1;
            } else {
                done.claims_deleted += 1;
                done.claims_withdrawn += usize::from(c.status.counts());
            }
        }
        let detail = format!("{} {}", audit.detail, erased_summary(&done)).trim().to_string();
        items.push(self.put(audit_item(&AuditEntry { detail, ..audit.clone() }), None)?);
        if items.len() > 100 {
            return Err(StoreError::Failed("this contact has too many records to remove at once: the secretariat erases them".into()).into());
        }
        Ok((items, done))
    }

    /// The one transaction of a claim's confirmation; `explain_claim` reads its reasons by these indexes.
    fn claim_items(&self, (id, token_hash, now_secs): (&str, &str, i64), c: &Claim, rules: &TravelRules) -> Result<Vec<TransactWriteItem>, StoreError> {
        // 1: still an approved representative of the claim's city.
        let representative = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(contact_pk(&c.email_key)))
            .condition_expression("#status = :approved AND #city_key = :city_key")
            .set_expression_attribute_names(Some(names(&[("#status", "status"), ("#city_key", "city_key")])))
            .set_expression_attribute_values(Some(values(vec![(":approved", s(ContactStatus::Approved.as_str())), (":city_key", s(&c.city_key))])))
            .build()
            .map_err(build_err)?;
        // 2: the year's counter, only while under both limits (`rules.check_year`, said as a condition).
        let year = Update::builder()
            .table_name(&self.table)
            .key("pk", s(year_pk(&c.city_key, c.year)))
            .update_expression("SET #trips = if_not_exists(#trips, :zero) + :one, #cents = if_not_exists(#cents, :zero) + :amount, #ck = :ck, #y = :year")
            .condition_expression("attribute_not_exists(pk) OR (#trips < :max_trips AND #cents <= :max_minus_amount)")
            .set_expression_attribute_names(Some(names(&[("#trips", "trips"), ("#cents", "cents"), ("#ck", "city_key"), ("#y", "year")])))
            .set_expression_attribute_values(Some(values(vec![
                (":zero", n(0)),
                (":one", n(1)),
                (":amount", n(c.amount.0)),
                (":ck", s(&c.city_key)),
                (":year", n(c.year)),
                (":max_trips", n(rules.max_trips_per_year)),
                (":max_minus_amount", n(rules.max_per_year.0 - c.amount.0)),
            ])))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_err)?;
        let person: Item = HashMap::from([("pk".into(), s(person_pk(&c.email_key, &c.event_id))), ("claim_id".into(), s(&c.id))]);
        let link: Item = HashMap::from([("pk".into(), s(link_pk(&c.link_id))), ("claim_id".into(), s(&c.id))]);
        let detail = format!("{} {} {} {}", c.city_key, c.event_id, c.year, c.amount.to_decimal());
        let audit = audit_entry(&c.confirmed_at, "applicant", "claim.confirmed", &c.id, detail);
        let audit_key = audit_pk(&audit);
        let mut claim = claim_item(c);
        claim.insert("audit_keys".into(), AttributeValue::L(vec![s(&audit_key)]));
        // 7: the claim joins its claimant's leave item, so leaving finds it without a Scan.
        let leave = Update::builder()
            .table_name(&self.table)
            .key("pk", s(leave_pk(&crate::token::leave_id(&c.email_key))))
            .update_expression("SET #email_key = :email_key, #claim_ids = list_append(if_not_exists(#claim_ids, :empty), :id)")
            .set_expression_attribute_names(Some(names(&[("#email_key", "email_key"), ("#claim_ids", "claim_ids")])))
            .set_expression_attribute_values(Some(values(vec![
                (":email_key", s(&c.email_key)),
                (":empty", AttributeValue::L(Vec::new())),
                (":id", AttributeValue::L(vec![s(&c.id)])),
            ])))
            .build()
            .map_err(build_err)?;
        Ok(vec![
            // 0: the link, used once (and still with the secrets the claim keeps).
            self.use_link(id, token_hash, now_secs, Some(c.link_hashes.len()))?,
            TransactWriteItem::builder().condition_check(representative).build(),
            TransactWriteItem::builder().update(year).build(),
            // 3: one contribution per person and meeting.
            self.put_new(person)?,
            // 4: the claim (a new id), 5: its audit line.
            self.put_new(claim)?,
            self.put(audit_item_at(&audit, audit_key), None)?,
            // 6: the way from the link to the claim (`claim_by_link`), at the end so the indexes above stay.
            self.put_new(link)?,
            TransactWriteItem::builder().update(leave).build(),
        ])
    }
}

impl Store for DynamoStore {
    async fn put_pending(&self, p: Pending) -> Result<(), StoreError> {
        let latest: Item = HashMap::from([
            ("pk".into(), s(latest_pk(p.item.kind(), p.item.email_key()))),
            ("pending_id".into(), s(&p.id)),
            ("created_at".into(), s(&p.created_at)),
            ("expires_at".into(), n(p.expires_at)),
        ]);
        let items = vec![self.put_new(pending_item(&p))?, self.put(latest, None)?];
        let mut attempts = Attempts(0);
        loop {
            match self.transact(items.clone()).await? {
                Sent::Done => return Ok(()),
                Sent::Cancelled(r) if failed(&r, 0) => return Err(StoreError::Failed("a pending record with this id exists already".into())),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the submission")),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again("this address's submissions").await?,
            }
        }
    }

    async fn get_pending(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        self.pending(id, now_secs).await
    }

    async fn latest_pending(&self, kind: &str, email_key: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let Some(latest) = self.get(latest_pk(kind, email_key)).await? else { return Ok(None) };
        if get_n::<i64>(&latest, "expires_at")? <= now_secs {
            return Ok(None);
        }
        let Some(p) = self.pending(&get_s(&latest, "pending_id")?, now_secs).await? else { return Ok(None) };
        Ok((!p.used && p.item.kind() == kind && p.item.email_key() == email_key).then_some(p))
    }

    async fn list_pending(&self, now_secs: i64) -> Result<Vec<Pending>, StoreError> {
        let mut v = Vec::new();
        for item in self.scan("PENDING#").await? {
            let p = item_pending(&item)?;
            // TTL deletes late: what expired is gone for the desk too.
            if !p.used && p.expires_at > now_secs {
                v.push(p);
            }
        }
        v.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(v)
    }

    async fn add_link(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<bool, StoreError> {
        let max = i64::try_from(MAX_LINKS).unwrap_or(i64::MAX);
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pending_pk(id)))
            .update_expression("SET #token_hashes = list_append(#token_hashes, :hash)")
            .condition_expression("attribute_exists(pk) AND #used = :false AND #expires_at > :now AND size(#token_hashes) < :max")
            .set_expression_attribute_names(Some(names(&[("#token_hashes", "token_hashes"), ("#used", "used"), ("#expires_at", "expires_at")])))
            .set_expression_attribute_values(Some(values(vec![
                (":hash", AttributeValue::L(vec![s(token_hash)])),
                (":false", AttributeValue::Bool(false)),
                (":now", n(now_secs)),
                (":max", n(max)),
            ])))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(false),
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn confirm_registration(&self, id: &str, token_hash: &str, now: &str, now_secs: i64) -> Result<ContactOutcome, ConfirmError> {
        let mut attempts = Attempts(0);
        loop {
            let p = self.pending(id, now_secs).await?;
            check_link(p.as_ref(), token_hash, now_secs)?;
            let details = pending_registration(p.as_ref().expect("checked"))?.clone();
            let old = self.contact(&details.email_key).await?;
            let new = apply_registration(old.as_ref(), details, now);
            let action = if old.is_some() { "contact.changed" } else { "contact.confirmed" };
            let audit = audit_entry(now, "applicant", action, &new.details.email_key, format!("link {id}"));
            let items = vec![
                self.use_link(id, token_hash, now_secs, None)?,
                self.put_contact(&new, old.as_ref().map(|o| o.version))?,
                self.put(audit_item(&audit), None)?,
            ];
            match self.transact(items).await? {
                Sent::Done => return Ok(ContactOutcome { contact: new, created: old.is_none() }),
                Sent::Cancelled(r) if failed(&r, 0) => {
                    if let Next::Fail(e) = self.link_failed(id, token_hash, now_secs).await? {
                        return Err(e);
                    }
                }
                // The contact changed since it was read (another confirmation, the
                // secretariat): read it again and decide again.
                Sent::Cancelled(r) if failed(&r, 1) || conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "the confirmation").into()),
                Sent::InProgress => {}
            }
            attempts.again("this contact").await?;
        }
    }

    async fn confirm_claim(&self, id: &str, token_hash: &str, rules: &TravelRules, now: &str, now_secs: i64) -> Result<ClaimOutcome, ConfirmError> {
        let mut attempts = Attempts(0);
        let c = loop {
            let p = self.pending(id, now_secs).await?;
            check_link(p.as_ref(), token_hash, now_secs)?;
            let p = p.expect("checked");
            let mut c = pending_claim(&p)?.clone();
            let represents = self.contact(&c.email_key).await?.is_some_and(|k| k.represents(&c.city_key));
            if !represents {
                return Err(ConfirmError::Refused(Refusal::NotRepresentative));
            }
            // The condition on the counter cannot see a first claim larger than the whole year: check it here, with the same rule.
            if let Err(refusal) = rules.check_year(YearUsage::default(), c.amount) {
                return Err(ConfirmError::Refused(self.year_refusal(&c, refusal).await?));
            }
            c.confirmed_at = now.to_string();
            c.status = ClaimStatus::Counted;
            c.link_id = p.id.clone();
            c.link_hashes = p.token_hashes.clone();
            match self.transact(self.claim_items((id, token_hash, now_secs), &c, rules)?).await? {
                Sent::Done => break c,
                Sent::Cancelled(r) => {
                    if let Next::Fail(e) = self.explain_claim(&r, (id, token_hash, now_secs), &c, rules).await? {
                        return Err(e);
                    }
                }
                Sent::InProgress => {}
            }
            attempts.again("this city's claims").await?;
        };
        // Counted: what is used now (a concurrent claim of the same city may already be in it).
        let used = usage_of(self.get(year_pk(&c.city_key, c.year)).await?.as_ref())?;
        Ok(ClaimOutcome { claim: c, used })
    }

    async fn get_contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        self.contact(email_key).await
    }

    async fn list_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        let mut v = self.scan("CONTACT#").await?.iter().map(item_contact).collect::<Result<Vec<_>, _>>()?;
        super::sort_contacts(&mut v);
        Ok(v)
    }

    async fn update_contact(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> Result<(), UpdateError> {
        if new.version != expected_version + 1 {
            return Err(UpdateError::Conflict);
        }
        let items = vec![self.put_contact(&new, Some(expected_version))?, self.put(audit_item(&audit), None)?];
        let mut attempts = Attempts(0);
        loop {
            match self.transact(items.clone()).await? {
                Sent::Done => return Ok(()),
                Sent::Cancelled(r) if failed(&r, 0) => return Err(UpdateError::Conflict),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the change").into()),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again("this contact").await?,
            }
        }
    }

    async fn list_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let mut v = self.scan("AUDIT#").await?.iter().map(|i| Ok((item_audit(i)?, get_s(i, "pk")?))).collect::<Result<Vec<_>, StoreError>>()?;
        v.sort_by(|(a, ka), (b, kb)| (&a.at, ka).cmp(&(&b.at, kb)));
        Ok(v.into_iter().map(|(a, _)| a).collect())
    }

    async fn idempotent_start(&self, endpoint: &str, key: &str, request_hash: &str) -> Result<Option<Kept>, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let item: Item = HashMap::from([
            ("pk".into(), s(format!("IDEM#{endpoint}#{key}"))),
            ("request_hash".into(), s(request_hash)),
            ("status".into(), n(0)),
            ("expires_at".into(), n(now + PENDING_TTL_SECS)),
        ]);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            // TTL deletion is lazy: an expired item may still be there.
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match put {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                let kept = match se.err() {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c.item.clone(),
                    _ => None,
                };
                match kept {
                    Some(i) => item_kept(&i).map(Some),
                    None => self.idempotent_get(endpoint, key).await,
                }
            }
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn idempotent_get(&self, endpoint: &str, key: &str) -> Result<Option<Kept>, StoreError> {
        let Some(item) = self.get(format!("IDEM#{endpoint}#{key}")).await? else { return Ok(None) };
        if get_n::<i64>(&item, "expires_at")? < jiff::Timestamp::now().as_second() {
            return Ok(None);
        }
        item_kept(&item).map(Some)
    }

    async fn idempotent_finish(&self, endpoint: &str, key: &str, a: StoredAnswer) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let mut item: Item = HashMap::from([
            ("pk".into(), s(format!("IDEM#{endpoint}#{key}"))),
            ("request_hash".into(), s(&a.request_hash)),
            ("status".into(), n(a.status)),
            ("content_type".into(), s(&a.content_type)),
            ("body".into(), AttributeValue::B(Blob::new(a.body))),
            ("expires_at".into(), n(now + IDEMPOTENCY_TTL_SECS)),
        ]);
        if let Some(l) = a.location {
            item.insert("location".into(), s(l));
        }
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_err)?;
        Ok(())
    }

    async fn idempotent_abandon(&self, endpoint: &str, key: &str) -> Result<(), StoreError> {
        // Expire the mark rather than delete it: the functions' roles have no DeleteItem.
        let upd = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("IDEM#{endpoint}#{key}")))
            .update_expression("SET expires_at = :past")
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", n(0))
            .expression_attribute_values(":past", n(0))
            .send()
            .await;
        match upd {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn year_usage(&self, city_key: &str, year: i16) -> Result<YearUsage, StoreError> {
        usage_of(self.get(year_pk(city_key, year)).await?.as_ref())
    }

    async fn list_claims(&self) -> Result<Vec<Claim>, StoreError> {
        let items = self.scan("CLAIM#").await?;
        // `CLAIM#<city>#<event>`: a claim of the first version, taken without confirmation; not listed.
        let current = items.iter().filter(|i| get_opt_s(i, "pk").is_some_and(|pk| !pk["CLAIM#".len()..].contains('#')));
        let mut v = current.map(item_claim).collect::<Result<Vec<_>, _>>()?;
        super::sort_claims(&mut v);
        Ok(v)
    }

    async fn get_claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        self.claim_item_of(id).await?.as_ref().map(item_claim).transpose()
    }

    async fn claim_by_link(&self, link_id: &str) -> Result<Option<Claim>, StoreError> {
        // LINK# is written with its claim, in one transaction, and never changed.
        let Some(link) = self.get(link_pk(link_id)).await? else { return Ok(None) };
        self.get_claim(&get_s(&link, "claim_id")?).await
    }

    async fn transition_claim(&self, id: &str, change: ClaimChange, audit: AuditEntry) -> Result<Claim, TransitionError> {
        let mut attempts = Attempts(0);
        loop {
            let Some(read) = self.claim_item_of(id).await? else { return Err(TransitionError::NotFound) };
            let old = item_claim(&read)?;
            if !change.from.contains(&old.status) {
                return Err(TransitionError::Conflict(old.status));
            }
            let new = change.apply(&old);
            let gives_back = change.gives_back(old.status);
            match self.transact(self.transition_items(&read, (&old, &new), gives_back, &audit, change.expires_at)?).await? {
                Sent::Done => return Ok(new),
                // Changed since it was read (a concurrent decision won): read it
                // again and decide again, as if after it (a Conflict, unless the
                // change also starts from the state it is in now).
                Sent::Cancelled(r) if failed(&r, 0) => {}
                Sent::Cancelled(r) if gives_back && failed(&r, 1) => {
                    return Err(StoreError::Failed(format!("the counter of {} in {} is missing", old.city_key, old.year)).into());
                }
                Sent::Cancelled(r) if gives_back && failed(&r, 2) => {
                    return Err(StoreError::Failed("the person's contribution for this meeting is another claim".into()).into());
                }
                Sent::Cancelled(r) if conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "the change of the claim").into()),
                Sent::InProgress => {}
            }
            attempts.again("this claim").await?;
        }
    }

    /// Not one transaction (a person's items may pass DynamoDB's 100-item
    /// limit): each claim changes in a transaction of its own, with its
    /// counter, and a retry finishes what a failure left. Only the desk
    /// (which may Scan and Delete) erases.
    async fn erase(&self, email_key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
        let mut done = Erased::default();
        for item in self.scan("CLAIM#").await? {
            let Ok(c) = item_claim(&item) else { continue };
            if c.email_key != email_key || c.id.contains('#') {
                continue;
            }
            let (items, kept) = self.erase_claim_items(&item, &c)?;
            if kept {
                done.claims_kept += 1;
            } else {
                done.claims_deleted += 1;
                done.claims_withdrawn += usize::from(c.status.counts());
            }
            match self.transact(items).await? {
                Sent::Done => {}
                _ => return Err(StoreError::Unavailable("a claim changed while it was being erased; run the erase again".into())),
            }
        }
        for item in self.scan("PENDING#").await? {
            let p = item_pending(&item)?;
            if p.item.email_key() == email_key {
                self.client.delete_item().table_name(&self.table).key("pk", s(pending_pk(&p.id))).send().await.map_err(sdk_err)?;
                done.pending += 1;
            }
        }
        for kind in ["registration", "claim"] {
            self.client.delete_item().table_name(&self.table).key("pk", s(latest_pk(kind, email_key))).send().await.map_err(sdk_err)?;
        }
        // The leave links stop working with the contact.
        self.client.delete_item().table_name(&self.table).key("pk", s(leave_pk(&crate::token::leave_id(email_key)))).send().await.map_err(sdk_err)?;
        let gone = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(contact_pk(email_key)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_err)?;
        done.contacts = usize::from(gone.attributes.is_some_and(|a| !a.is_empty()));
        for item in self.scan("AUDIT#").await? {
            if get_opt_s(&item, "subject").as_deref() == Some(email_key) {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", s(get_s(&item, "pk")?))
                    .update_expression("SET #subject = :erased")
                    .set_expression_attribute_names(Some(names(&[("#subject", "subject")])))
                    .set_expression_attribute_values(Some(values(vec![(":erased", s(ERASED))])))
                    .send()
                    .await
                    .map_err(sdk_err)?;
                done.history_lines += 1;
            }
        }
        let detail = format!("{} {}", audit.detail, erased_summary(&done)).trim().to_string();
        self.client.put_item().table_name(&self.table).set_item(Some(audit_item(&AuditEntry { detail, ..audit }))).send().await.map_err(sdk_err)?;
        Ok(done)
    }

    async fn list_usage(&self) -> Result<Vec<(String, i16, YearUsage)>, StoreError> {
        let mut v = self
            .scan("YEAR#")
            .await?
            .iter()
            .map(|i| {
                let pk = get_s(i, "pk")?;
                let bad = || StoreError::Failed("a stored year counter has a key that is not YEAR#<city>#<year>".into());
                let (city_key, year) = pk["YEAR#".len()..].rsplit_once('#').ok_or_else(bad)?;
                Ok((city_key.to_string(), year.parse::<i16>().map_err(|_| bad())?, usage_of(Some(i))?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        v.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        Ok(v)
    }

    async fn add_leave_link(&self, email_key: &str, token_hash: &str) -> Result<bool, StoreError> {
        let is_contact = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(contact_pk(email_key)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        let add = Update::builder()
            .table_name(&self.table)
            .key("pk", s(leave_pk(&crate::token::leave_id(email_key))))
            .update_expression("SET #email_key = :email_key, #hashes = list_append(if_not_exists(#hashes, :empty), :hash)")
            .set_expression_attribute_names(Some(names(&[("#email_key", "email_key"), ("#hashes", "hashes")])))
            .set_expression_attribute_values(Some(values(vec![
                (":email_key", s(email_key)),
                (":empty", AttributeValue::L(Vec::new())),
                (":hash", AttributeValue::L(vec![s(token_hash)])),
            ])))
            .build()
            .map_err(build_err)?;
        let items = vec![TransactWriteItem::builder().condition_check(is_contact).build(), TransactWriteItem::builder().update(add).build()];
        let mut attempts = Attempts(0);
        loop {
            match self.transact_boxed(items.clone()).await? {
                Sent::Done => return Ok(true),
                Sent::Cancelled(r) if failed(&r, 0) => return Ok(false),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the leave link")),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again("this contact's leave links").await?,
            }
        }
    }

    async fn leave_link_works(&self, leave_id: &str, token_hash: &str) -> Result<bool, StoreError> {
        let Some(lv) = self.get_boxed(leave_pk(leave_id)).await? else { return Ok(false) };
        if !get_opt_texts(&lv, "hashes")?.unwrap_or_default().iter().any(|h| h == token_hash) {
            return Ok(false);
        }
        Ok(self.get_boxed(contact_pk(&get_s(&lv, "email_key")?)).await?.is_some())
    }

    /// One transaction, without a Scan (the functions may not Scan): the
    /// LEAVE# item (only while it still has this secret and the claims read),
    /// CONTACT#, the LATEST# pointers and their pending records (expired now),
    /// each claim the person confirmed as `erase` treats it, and the audit
    /// line. History lines that name the address are blanked by the desk's
    /// `sweep` (which may Scan).
    async fn leave(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> Result<Erased, LeaveError> {
        let mut attempts = Attempts(0);
        loop {
            let (items, done) = Box::pin(self.leave_items(leave_id, token_hash, &audit)).await?;
            match self.transact_boxed(items).await? {
                Sent::Done => return Ok(done),
                // The link, the contact or a claim changed since they were read: read again.
                Sent::Cancelled(r) if r.iter().any(|x| code(x) == "ConditionalCheckFailed") || conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "leaving").into()),
                Sent::InProgress => {}
            }
            Box::pin(attempts.again("this contact")).await?;
        }
    }

    async fn claim_expires_at(&self, id: &str) -> Result<Option<i64>, StoreError> {
        match self.claim_item_of(id).await? {
            Some(item) => get_opt_n(&item, "expires_at"),
            None => Ok(None),
        }
    }

    /// DynamoDB deletes expired items itself (TTL); what is left is to blank
    /// the history lines that name an address which is no longer a contact
    /// (someone who left through a link, which may not Scan).
    async fn sweep(&self, _now_secs: i64) -> Result<Option<Swept>, StoreError> {
        let contacts: std::collections::HashSet<String> =
            self.scan("CONTACT#").await?.iter().filter_map(|i| get_opt_s(i, "email_key")).collect();
        let mut done = Swept::default();
        for item in self.scan("AUDIT#").await? {
            let Some(subject) = get_opt_s(&item, "subject") else { continue };
            if !subject.contains('@') || contacts.contains(&subject) {
                continue;
            }
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(get_s(&item, "pk")?))
                .update_expression("SET #subject = :erased")
                .set_expression_attribute_names(Some(names(&[("#subject", "subject")])))
                .set_expression_attribute_values(Some(values(vec![(":erased", s(ERASED))])))
                .send()
                .await
                .map_err(sdk_err)?;
            done.history_lines += 1;
        }
        Ok(Some(done))
    }
}
