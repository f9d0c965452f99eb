//! The mail-events Lambda function's edge: SNS hands it SES's events of the
//! configuration set (infra/template.yaml, `MailEventsFunction`); each is
//! decoded (`mail::events`), judged and kept (`service::mail::record_event`).
//! Environment: `CCG_TABLE` and `CCG_PERSON_KEY` (the suppressions' keyed
//! hash), as the other functions. A store that fails fails the invocation,
//! so SNS delivers the event again; an event that does not decode is counted
//! (`UnexpectedError`, kind `bad_event`) and dropped: again would not help.
//! Logs carry counts and kinds, never an address.

use crate::lambda::json_log;
use crate::mail::events::decode_sns;
use crate::metrics::{Metric, Metrics, Unexpected};
use crate::service::mail::record_event;
use crate::store::dynamo::{self, DynamoStore};
use crate::store::{ContactStore, SuppressionStore};
use crate::token::{PERSON_KEY_VAR, PersonKey};
use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::Value;
use std::sync::Arc;
use tracing::Instrument;

/// What one SNS delivery did, for its log line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Handled {
    pub events: u32,
    pub suppressed: u32,
    pub already: u32,
    pub unreadable: u32,
}

/// Every SES event of one SNS delivery. Err only when the store failed (then SNS tries again).
pub async fn handle<S: SuppressionStore + ContactStore>(store: &S, metrics: &Metrics, event: &Value) -> Result<Handled, crate::store::StoreError> {
    let mut h = Handled::default();
    let decoded = match decode_sns(event) {
        Ok(d) => d,
        Err(e) => {
            metrics.count(Metric::UnexpectedError(Unexpected::BadEvent));
            tracing::error!(error = %e, "mail-events: not an SNS event");
            h.unreadable += 1;
            return Ok(h);
        }
    };
    for one in decoded {
        match one {
            Ok(e) => {
                h.events += 1;
                let r = record_event(store, metrics, &e).await.inspect_err(|_| metrics.count(Metric::UnexpectedError(Unexpected::StoreFailed)))?;
                h.suppressed += r.suppressed;
                h.already += r.already;
            }
            Err(e) => {
                metrics.count(Metric::UnexpectedError(Unexpected::BadEvent));
                tracing::error!(error = %e, "mail-events: an SES message that does not read");
                h.unreadable += 1;
            }
        }
    }
    Ok(h)
}

/// The whole `main` of the mail-events binary.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let _ = tracing::subscriber::set_global_default(json_log(std::io::stderr));
    let table = std::env::var("CCG_TABLE").map_err(|_| "set CCG_TABLE to the DynamoDB table name")?;
    let key = PersonKey::from_setting(&std::env::var(PERSON_KEY_VAR).unwrap_or_default()).map_err(|e| {
        tracing::error!(error = %e, "mail-events start-up failed");
        e
    })?;
    let store = Arc::new(DynamoStore::new(dynamo::client_from_env().await, table).with_person_key(key));
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "mail-events".into());
    let metrics = Arc::new(Metrics::for_lambda(&function));
    tracing::info!("mail-events start-up");
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| {
        let (store, metrics) = (store.clone(), metrics.clone());
        let request_id = ev.context.request_id.clone();
        async move {
            // Boxed: the store's futures nest deep enough to overflow the compiler's layout queries.
            let h = Box::pin(handle(store.as_ref(), &metrics, &ev.payload)).await.map_err(|e| {
                tracing::error!(error = %e, "mail-events: the store failed; SNS will deliver again");
                lambda_runtime::Error::from(e.to_string())
            })?;
            tracing::info!(events = h.events, suppressed = h.suppressed, already = h.already, unreadable = h.unreadable, "mail-events handled");
            Ok::<_, lambda_runtime::Error>(())
        }
        .instrument(tracing::info_span!("request", request_id))
    }))
    .await
}
