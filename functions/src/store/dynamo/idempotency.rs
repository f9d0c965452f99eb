//! The first answer to a request sent with an Idempotency-Key.

use super::*;

impl IdempotencyStore for DynamoStore {
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
}
