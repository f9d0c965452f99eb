//! Submissions waiting for their emailed link, and a registration's confirmation.

use super::*;

impl DynamoStore {
    /// The pending record, used or not, unless unknown or expired at `now_secs`
    /// (TTL deletion is late: an expired item may still be there).
    pub(super) async fn pending(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let Some(item) = self.get(pending_pk(id)).await? else { return Ok(None) };
        let p = item_pending(&item)?;
        Ok((p.expires_at > now_secs).then_some(p))
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

    /// Why using the link failed (the `use_link` item of a cancelled transaction):
    /// read again, it is used now, or was never valid (`check_link` says which).
    /// If it still looks usable, something raced: again.
    pub(super) async fn link_failed(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<Next<ConfirmError>, StoreError> {
        let p = self.pending(id, now_secs).await?;
        Ok(match check_link(p.as_ref(), token_hash, now_secs) {
            Err(e) => Next::Fail(e),
            Ok(()) => Next::Again,
        })
    }

    pub(super) async fn put_pending_in(&self, p: Pending) -> Result<(), StoreError> {
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

    pub(super) async fn get_pending_in(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        self.pending(id, now_secs).await
    }

    pub(super) async fn latest_pending_in(&self, kind: &str, email_key: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let Some(latest) = self.get(latest_pk(kind, email_key)).await? else { return Ok(None) };
        if get_n::<i64>(&latest, "expires_at")? <= now_secs {
            return Ok(None);
        }
        let Some(p) = self.pending(&get_s(&latest, "pending_id")?, now_secs).await? else { return Ok(None) };
        Ok((!p.used && p.item.kind() == kind && p.item.email_key() == email_key).then_some(p))
    }

    pub(super) async fn list_pending_in(&self, now_secs: i64) -> Result<Vec<Pending>, StoreError> {
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

    pub(super) async fn add_link_in(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<bool, StoreError> {
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

    pub(super) async fn confirm_registration_in(
        &self,
        id: &str,
        token_hash: &str,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> Result<ContactOutcome, ConfirmError> {
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
}
