//! The production store: one DynamoDB table (on demand), string key `pk`,
//! TTL attribute `expires_at` (Unix seconds), and two sparse global secondary
//! indexes for the desk's lists, `lists` and `about` (below). Its items:
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
//!                                `paid_cents`, `paid_on` (each absent until set), and
//!                                `documents` (a List of Maps: the supporting documents, so they
//!                                go with the claim; appended with the claim's state and list as read)
//!   LINK#<pending id>            `claim_id`: the claim confirmed through that link
//!   PERSON#<contribution key>    `claim_id`: the one contribution of a person for a meeting,
//!                                while that claim counts, under the claim's `contribution_key`
//!                                (`token::PersonKey::contribution_key`, a keyed hash of the
//!                                address with the meeting); kept with a claim kept after its
//!                                claimant left, with the claim's end
//!   PERSON#<email key>#<event>   the same, for a claim counted before contribution keys (none
//!                                written now; checked at confirmation, deleted on leaving)
//!   REF#<year>                   `last` (N): the last reference number given in that year
//!   REF#CCG-<year>-<number>      `claim_id`: the claim with that reference (`references.rs`)
//!   YEAR#<city key>#<year>       `trips` (N) and `cents` (N) counted for a city in a year,
//!                                `city_key`, `year`
//!   AUDIT#<at>#<random id>       one line of the audit trail
//!   LEAVE#<leave id>             a contact's leave links: `email_key`, `hashes` (a List of
//!                                the SHA-256 of each secret emailed), `claim_ids` (a List:
//!                                the claims they confirmed, so leaving finds them without
//!                                a Scan). The id is `token::leave_id(email key)`
//!   IDEM#<endpoint>#<key>        the first answer of an idempotent request
//!   MAILQ#<quota key>#h<hour>    `sent`: emails the forms sent to an address in a clock hour
//!   MAILQ#<quota key>#d<day>     … and in a UTC day (`decide::quota`; gone by TTL)
//!   STAFF#<email key>            a member of the secretariat (`records::Staff`)
//!   SIGNIN#<id>                  an emailed sign-in link: `token_hash`, `email_key`, `used`
//!                                (BOOL), `created_at`, `expires_at` (TTL)
//!   SESSION#<id hash>            a session (`records::Session`), `expires_at` (TTL)
//!   PASSKEY#<credential id>      a passkey (`records::Passkey`)
//!   CEREMONY#<challenge>         a passkey ceremony in flight (`records::Ceremony`), `expires_at` (TTL)
//!   SHARED#<id>                 a document of the members' repository (`records::SharedDocument`,
//!                                `shared.rs`), in `lists` under SHARED and in `about` under
//!                                SHARED#<event id>, ranked by its date and id
//!   ACCOUNT#<email key>          a person's `sessions` and `passkeys` (String Sets of their
//!                                keys' ids, possibly naming some that are gone) and
//!                                `version` (N, raised when one is added): how a person's
//!                                sessions are found without a Query (`people.rs`)
//! ```
//!
//! The desk's indexes (`index.rs`; issue 20), both hash and range strings,
//! projecting every attribute. An item is in an index when it carries that
//! index's hash attribute; every write of a CLAIM#, CONTACT#, AUDIT# or YEAR#
//! item writes them with it (the item builders of `items.rs`, the counter's
//! update), and `desk reindex` gives them to items written before:
//!
//! ```text
//!   lists   `list`  CLAIM#<status>    `rank` lists::claim_rank      (CLAIM#)
//!                   CONTACT#<status>         lists::contact_rank    (CONTACT#, with `search`)
//!                   AUDIT                    lists::audit_rank      (AUDIT#, with `search`: the actor)
//!                   USAGE#<year>             the city key           (YEAR#)
//!   about   `about` AUDIT#<subject>   `rank` lists::audit_rank      (AUDIT#; blanked with its subject)
//!                   CITY#<city key>          lists::claim_rank      (CLAIM#, every state)
//!                   PERSON#<person key>      lists::contact_rank    (CONTACT#: how the desk's
//!                                                                    addresses find a person)
//! ```
//!
//! A desk page is a Query on one partition, or on each state's merged (`query.rs`,
//! `desk.rs`), from its cursor's rank on, other questions as a FilterExpression;
//! a person's claims are the ones their LEAVE# item lists (BatchGetItem). The
//! indexes are eventually consistent: a page can miss a change of the last moment.
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
//!   the condition cannot see, is refused before), PERSON#<contribution key> is new and the
//!   legacy PERSON#<email key>#<event> absent (one claim per person and
//!   meeting), REF#<reference> is new (the number taken before from REF#<year>), the CLAIM# (`counted`, with its link's id and hashes: the use of
//!   the link also requires that no secret was added since the read), the
//!   audit line and LINK# (new), so `claim_by_link` is two consistent GetItems.
//!   Concurrent confirmations of one city therefore cannot pass a limit. A
//!   cancelled one whose reads went stale (the link, the contact, PERSON#,
//!   YEAR#) reads again and decides again, and the decision says why it is
//!   refused, in the order the SQLite store tells it;
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
//! change, on CLAIM#, LINK#, PERSON# (while it exists, also once its claimant
//! left: it holds no address), the new audit line and
//! every earlier one (CLAIM# keeps their keys in `audit_keys`); a declined
//! contact gets it on CONTACT#. YEAR# counters name no one and stay.
//!
//! A transaction cancelled for a conflict with a concurrent one is sent again
//! after a short pause (`CONFLICT_RETRIES` in all), then answers "unavailable".
//!
//! What the functions' roles need: GetItem, PutItem, UpdateItem and
//! ConditionCheckItem on the prefixes above (TransactWriteItems is allowed
//! item by item through those), and DeleteItem on PERSON# wherever a claim
//! may be rejected or withdrawn, and on SESSION#, PASSKEY#, CEREMONY# and
//! ACCOUNT# where people sign in, out or leave. The desk's lists Query the
//! indexes (and a person's claims BatchGetItem); only the secretariat's whole
//! listings (`list_*`, the command's exports, erasure, the sweep, `reindex`) Scan. Items of the first version (`REG#`, and `CLAIM#<city>#<event>` claims
//! taken without confirmation) are left alone and not listed; their YEAR#
//! counters, which have the same key, still count.
//!
//! One file per concern: `attrs` and `items` (the item shapes), `tx`
//! (transactions and their cancellations), then one per role of the store,
//! each with its role's trait impl: `pending`, `contacts`, `claims`,
//! `idempotency`, `erase` (audit, erasure, leaving), `retention` (sweep),
//! `references` (the claims' references), `account` (signing in) with
//! `people` (a person's sessions and passkeys), `desk` (the desk's lists) with
//! `query` (a page from the indexes) and `index` (their definition, `reindex`);
//! `load` and `count` serve the tests and the benchmark. Each
//! change reads what its decision (`ccg_forms::decide`) needs, calls it, and
//! writes in one transaction whose conditions hold what it read.

use super::{
    ClaimChange, ClaimOutcome, ClaimStore, ConfirmFailed, ContactOutcome, ContactStore, ERASED, Erased, ErasureStore, IDEMPOTENCY_TTL_SECS, IdempotencyStore,
    Kept, LeaveError, OpenMeetings, PENDING_TTL_SECS, PendingStore, RetentionStore, StoreError, StoredAnswer, Swept, TransitionError, UpdateError,
};
use crate::records::{AuditEntry, Claim, Contact, ContactStatus, MAX_LINKS, Pending, PendingItem};
use crate::token::PersonKey;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, ConditionCheck, Delete, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use ccg_forms::decide;
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, TravelRules};
use std::collections::HashMap;
use std::time::Duration;

mod account;
mod attrs;
pub mod backup;
mod claims;
mod contacts;
mod count;
mod desk;
mod documents;
mod erase;
mod idempotency;
pub mod index;
mod invitations;
mod items;
mod load;
mod pending;
mod people;
mod query;
mod quota;
mod references;
mod retention;
mod shared;
mod suppression;
pub mod table_check;
mod tx;

use attrs::*;
pub use count::Requests;
pub use index::Reindexed;
use items::*;
use tx::*;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// What the one-contribution rule is held by (`with_person_key`); without
    /// it no claim can be confirmed (the desk needs none).
    person_key: Option<PersonKey>,
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
/// trials), with the desk's indexes (`index::INDEXES`); a table that already
/// exists is fine (a retried call may have made it).
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let string = |name: &str| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().map_err(build_err);
    let key = |name: &str, key_type| KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().map_err(build_err);
    let mut attributes = vec!["pk"];
    for i in index::INDEXES {
        for a in [i.hash, i.range] {
            if !attributes.contains(&a) {
                attributes.push(a);
            }
        }
    }
    let indexes = index::INDEXES
        .iter()
        .map(|i| {
            GlobalSecondaryIndex::builder()
                .index_name(i.name)
                .key_schema(key(i.hash, KeyType::Hash)?)
                .key_schema(key(i.range, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(build_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes.into_iter().map(string).collect::<Result<_, _>>()?))
        .key_schema(key("pk", KeyType::Hash)?)
        .set_global_secondary_indexes(Some(indexes))
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

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into(), person_key: None }
    }

    /// The store, confirming claims with `key` (`token::PersonKey::contribution_key`).
    pub fn with_person_key(mut self, key: PersonKey) -> DynamoStore {
        self.person_key = Some(key);
        self
    }

    fn person_key(&self) -> Result<&PersonKey, StoreError> {
        self.person_key.as_ref().ok_or_else(|| StoreError::Failed("no person key is set: claims cannot be confirmed".into()))
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
}
