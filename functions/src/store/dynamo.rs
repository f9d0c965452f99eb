//! The production store: one DynamoDB table (on demand), key design in
//! CONTRACT.md — `pk` (S) only, TTL attribute `expires_at`:
//!   REG#<email>             a registration
//!   CLAIM#<city key>#<event> a claim
//!   YEAR#<city key>#<year>   trips (N) and cents (N) used by a city in a year
//!   IDEM#<endpoint>#<key>    the first answer of an idempotent request
//! A claim is ONE TransactWriteItems: a conditional update of YEAR# and a
//! conditional put of CLAIM#, so concurrent claims cannot pass a limit.

use super::{ClaimError, ClaimOutcome, IDEMPOTENCY_TTL_SECS, Kept, PENDING_TTL_SECS, Store, StoreError, StoredAnswer};
use crate::claims::{Claim, Registration};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, KeySchemaElement, KeyType, Put,
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
fn get_date(item: &Item, k: &str) -> Result<jiff::civil::Date, StoreError> {
    get_s(item, k)?.parse().map_err(|_| StoreError::Failed(format!("stored `{k}` is not a date")))
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

fn claim_item(c: &Claim) -> Item {
    HashMap::from([
        ("pk".into(), s(format!("CLAIM#{}#{}", c.city_key, c.event_id))),
        ("id".into(), s(&c.id)),
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
    ])
}

fn item_claim(i: &Item) -> Result<Claim, StoreError> {
    Ok(Claim {
        id: get_s(i, "id")?,
        name: get_s(i, "name")?,
        email: get_s(i, "email")?,
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
    })
}

fn item_registration(i: &Item) -> Result<Registration, StoreError> {
    Ok(Registration {
        id: get_s(i, "id")?,
        email_key: get_s(i, "pk")?.trim_start_matches("REG#").to_string(),
        name: get_s(i, "name")?,
        email: get_s(i, "email")?,
        city: get_s(i, "city")?,
        country: get_s(i, "country")?,
        organisation: get_s(i, "organisation")?,
        position: get_s(i, "position")?,
        city_status: get_s(i, "city_status")?,
        project: get_opt_s(i, "project"),
        created_at: get_s(i, "created_at")?,
        updated_at: get_s(i, "updated_at")?,
    })
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

/// How many times a claim is re-sent when DynamoDB cancels it for a conflict
/// with a concurrent transaction on the same counter (not a refusal).
const CONFLICT_RETRIES: u32 = 12;

enum Cancelled {
    Refused(Refusal),
    Conflict,
    Busy(String),
}

fn code(r: &CancellationReason) -> &str {
    r.code().unwrap_or("None")
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
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

    /// Reads which rule a cancelled claim broke from DynamoDB's per-item reasons
    /// (item 0: the YEAR# counter, item 1: the CLAIM#).
    async fn explain(&self, reasons: &[CancellationReason], c: &Claim, rules: &TravelRules) -> Result<Cancelled, StoreError> {
        let (year, claim) = (reasons.first(), reasons.get(1));
        if claim.is_some_and(|r| code(r) == "ConditionalCheckFailed") {
            return Ok(Cancelled::Refused(Refusal::AlreadyClaimed));
        }
        if let Some(r) = year.filter(|r| code(r) == "ConditionalCheckFailed") {
            // ALL_OLD gives the counter that failed the condition; read it if the table did not.
            let used = match r.item() {
                Some(item) => usage_of(Some(item))?,
                None => usage_of(self.get(year_pk(&c.city_key, c.year)).await?.as_ref())?,
            };
            return Ok(match rules.check_year(used, c.amount) {
                Err(refusal) => Cancelled::Refused(refusal),
                // The counter moved back in between (cannot happen today: nothing decrements): try again.
                Ok(_) => Cancelled::Conflict,
            });
        }
        if reasons.iter().any(|r| code(r) == "TransactionConflict") {
            return Ok(Cancelled::Conflict);
        }
        let codes: Vec<&str> = reasons.iter().map(code).collect();
        Ok(Cancelled::Busy(format!("DynamoDB cancelled the claim ({})", codes.join(", "))))
    }
}

impl Store for DynamoStore {
    async fn register(&self, r: Registration) -> Result<String, StoreError> {
        let mut values: Item = HashMap::from([
            (":id".into(), s(&r.id)),
            (":name".into(), s(&r.name)),
            (":email".into(), s(&r.email)),
            (":city".into(), s(&r.city)),
            (":country".into(), s(&r.country)),
            (":organisation".into(), s(&r.organisation)),
            (":position".into(), s(&r.position)),
            (":city_status".into(), s(&r.city_status)),
            (":created_at".into(), s(&r.created_at)),
            (":updated_at".into(), s(&r.updated_at)),
        ]);
        // Every attribute through a #name: several (name, position, ...) are DynamoDB reserved words.
        let fields = ["id", "name", "email", "city", "country", "organisation", "position", "city_status", "updated_at"];
        let mut names: HashMap<String, String> = fields.iter().map(|f| (format!("#{f}"), f.to_string())).collect();
        names.insert("#created_at".into(), "created_at".into());
        names.insert("#project".into(), "project".into());
        let mut update = format!(
            "SET {}, #created_at = if_not_exists(#created_at, :created_at)",
            fields.iter().map(|f| format!("#{f} = :{f}")).collect::<Vec<_>>().join(", ")
        );
        match &r.project {
            Some(p) => {
                update.push_str(", #project = :project");
                values.insert(":project".into(), s(p));
            }
            None => update.push_str(" REMOVE #project"),
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("REG#{}", r.email_key)))
            .update_expression(update)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(r.id)
    }

    async fn claim(&self, c: Claim, rules: &TravelRules) -> Result<ClaimOutcome, ClaimError> {
        // The condition below cannot see a first claim larger than the whole year: check it here, with the same rule.
        rules.check_year(YearUsage::default(), c.amount).map_err(ClaimError::Refused)?;
        let year_key = year_pk(&c.city_key, c.year);
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&year_key))
            .update_expression("SET #trips = if_not_exists(#trips, :zero) + :one, #cents = if_not_exists(#cents, :zero) + :amount, #ck = :ck, #y = :year")
            .condition_expression("attribute_not_exists(pk) OR (#trips < :max_trips AND #cents <= :max_minus_amount)")
            .expression_attribute_names("#trips", "trips")
            .expression_attribute_names("#cents", "cents")
            .expression_attribute_names("#ck", "city_key")
            .expression_attribute_names("#y", "year")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":amount", n(c.amount.0))
            .expression_attribute_values(":ck", s(&c.city_key))
            .expression_attribute_values(":year", n(c.year))
            .expression_attribute_values(":max_trips", n(rules.max_trips_per_year))
            .expression_attribute_values(":max_minus_amount", n(rules.max_per_year.0 - c.amount.0))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_err)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(claim_item(&c)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().put(put).build()];
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let err = match sent {
                Ok(_) => break,
                Err(e) => e,
            };
            let cancelled = match &err {
                SdkError::ServiceError(se) if se.err().is_transaction_canceled_exception() => {
                    let reasons = match se.err() {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
                            t.cancellation_reasons().to_vec()
                        }
                        _ => Vec::new(),
                    };
                    self.explain(&reasons, &c, rules).await?
                }
                // Another transaction held the items: DynamoDB asks to retry.
                SdkError::ServiceError(se) if se.err().code() == Some("TransactionInProgressException") => Cancelled::Conflict,
                _ => return Err(sdk_err(err).into()),
            };
            match cancelled {
                Cancelled::Refused(r) => return Err(ClaimError::Refused(r)),
                Cancelled::Busy(msg) => return Err(StoreError::Unavailable(msg).into()),
                Cancelled::Conflict if attempt >= CONFLICT_RETRIES => {
                    return Err(StoreError::Unavailable("too many claims for this city at once; try again".into()).into());
                }
                Cancelled::Conflict => backoff(attempt).await,
            }
        }
        // Counted: what is used now (a concurrent claim of the same city may already be in it).
        let used = usage_of(self.get(year_key).await?.as_ref())?;
        Ok(ClaimOutcome { id: c.id, used })
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

    async fn list_registrations(&self) -> Result<Vec<Registration>, StoreError> {
        let mut v = self.scan("REG#").await?.iter().map(item_registration).collect::<Result<Vec<_>, _>>()?;
        super::sort_registrations(&mut v);
        Ok(v)
    }

    async fn list_claims(&self) -> Result<Vec<Claim>, StoreError> {
        let mut v = self.scan("CLAIM#").await?.iter().map(item_claim).collect::<Result<Vec<_>, _>>()?;
        super::sort_claims(&mut v);
        Ok(v)
    }
}
