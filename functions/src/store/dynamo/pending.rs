//! Submissions waiting for their emailed link, and a registration's confirmation.

use super::*;

impl DynamoStore {
    /// The pending record, used or not, unless unknown or expired at `now_secs`
    /// (TTL deletion is late: an expired item may still be there).
    pub(super) async fn pending(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let Some(item) = self.get(pending_pk(id)).await? else { return Ok(None) };
        let p = item_pending(&item).map_err(|_| StoreError::Corrupt(pending_pk(id)))?;
        Ok((!decide::retention::due(Some(p.expires_at), now_secs)).then_some(p))
    }

    /// Marks the link used, if it still may be: unused, unexpired, and `token_hash` one of the secrets sent.
    /// With `sent`, also only while exactly that many secrets were sent: a claim
    /// keeps the hashes of its link, and a link sent again in between would be missing.
    pub(super) fn use_link(&self, id: &str, token_hash: &str, now_secs: i64, sent: Option<usize>) -> Result<TransactWriteItem, StoreError> {
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
}

impl PendingStore for DynamoStore {
    async fn put_pending(&self, p: Pending) -> Result<(), StoreError> {
        let latest: Item = HashMap::from([
            ("pk".into(), s(latest_pk(p.item.kind(), p.item.email_key()))),
            ("pending_id".into(), s(&p.id)),
            ("created_at".into(), s(p.created_at.to_string())),
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
        if decide::retention::due(Some(get_n::<i64>(&latest, "expires_at")?), now_secs) {
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
            if !p.used && !decide::retention::due(Some(p.expires_at), now_secs) {
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
}
