//! The requests a store sends, counted by kind (`Query`, `Scan`, `GetItem`,
//! ...): what the tests and the benchmark measure a desk page's cost by.

use super::*;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Requests sent so far, by operation (each attempt counts: a retry is a request).
#[derive(Debug, Clone, Default)]
pub struct Requests(Arc<Mutex<BTreeMap<String, u64>>>);

impl Requests {
    /// The counts since the last `take`, and from zero again.
    pub fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "ccg-requests"
    }

    fn read_before_transmit(&self, context: &BeforeTransmitInterceptorContextRef<'_>, _: &RuntimeComponents, _: &mut ConfigBag) -> Result<(), BoxError> {
        // `X-Amz-Target: DynamoDB_20120810.Query`: the operation, whatever the SDK's types.
        let target = context.request().headers().get("x-amz-target").unwrap_or("unknown");
        let operation = target.rsplit('.').next().unwrap_or(target).to_string();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(operation).or_default() += 1;
        Ok(())
    }
}

impl DynamoStore {
    /// The same store on the same table, counting the requests it sends.
    pub fn counting(self) -> (DynamoStore, Requests) {
        let requests = Requests::default();
        let conf = self.client.config().to_builder().interceptor(requests.clone()).build();
        (DynamoStore { client: Client::from_conf(conf), ..self }, requests)
    }
}
