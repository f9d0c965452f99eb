//! Sending a TransactWriteItems and reading why it was cancelled; retrying a conflict after a short pause.

use super::*;

/// A short pause that differs between callers, so conflicting transactions spread out.
pub(super) async fn backoff(attempt: u32) {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let jitter = u64::from(nanos % 20);
    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt) + jitter)).await;
}

/// How many times a transaction is sent when DynamoDB cancels it for a
/// conflict with a concurrent one (not a refusal), or when what it was decided
/// on changed in between.
pub(super) const CONFLICT_RETRIES: u32 = 12;

/// Counts the rounds of one write; after `CONFLICT_RETRIES`, "unavailable".
pub(super) struct Attempts(pub(super) u32);

impl Attempts {
    pub(super) async fn again(&mut self, what: &str) -> Result<(), StoreError> {
        self.0 += 1;
        if self.0 >= CONFLICT_RETRIES {
            return Err(StoreError::Unavailable(format!("too many concurrent changes of {what}; try again")));
        }
        backoff(self.0).await;
        Ok(())
    }
}

/// How a TransactWriteItems ended, when DynamoDB answered.
pub(super) enum Sent {
    Done,
    /// Cancelled: one reason per item, in the order sent.
    Cancelled(Vec<CancellationReason>),
    /// Another transaction held the items: DynamoDB asks to retry.
    InProgress,
}

pub(super) fn code(r: &CancellationReason) -> &str {
    r.code().unwrap_or("None")
}

/// The condition of item `i` failed.
pub(super) fn failed(reasons: &[CancellationReason], i: usize) -> bool {
    reasons.get(i).is_some_and(|r| code(r) == "ConditionalCheckFailed")
}

pub(super) fn conflicted(reasons: &[CancellationReason]) -> bool {
    reasons.iter().any(|r| code(r) == "TransactionConflict")
}

/// Neither a condition nor a conflict (throttling, a validation error): the codes only.
pub(super) fn busy(reasons: &[CancellationReason], what: &str) -> StoreError {
    let codes: Vec<&str> = reasons.iter().map(code).collect();
    StoreError::Unavailable(format!("DynamoDB cancelled {what} ({})", codes.join(", ")))
}

impl DynamoStore {
    pub(super) fn transact_boxed(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Sent, StoreError>> + Send + '_>> {
        Box::pin(self.transact(items))
    }

    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Sent, StoreError> {
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

    pub(super) fn put(&self, item: Item, condition: Option<(&str, HashMap<String, String>, Item)>) -> Result<TransactWriteItem, StoreError> {
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
    pub(super) fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        self.put(item, Some(("attribute_not_exists(pk)", HashMap::new(), HashMap::new())))
    }

    /// Sets the TTL attribute of an existing item (with `claim_id`: only if it is that claim's).
    pub(super) fn expire(&self, pk: String, end: i64, claim_id: Option<&str>) -> Result<TransactWriteItem, StoreError> {
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
}
