//! A person's data going: erased (by the desk, with Scans) or leaving (without), through the same per-claim items; their leave links (LEAVE#); the audit trail.

use super::*;

impl DynamoStore {
    /// A history line keeps what happened but no longer names the person;
    /// its place in the indexes, which names its subject, changes with it. A
    /// line gone meanwhile (its claim's end) stays gone.
    pub(super) async fn blank_subject(&self, item: &Item) -> Result<(), StoreError> {
        // A line that does not read is blanked all the same; `desk reindex` then counts it.
        let keys = item_audit(item).map(|line| index::audit_keys(&AuditEntry { subject: ERASED.into(), ..line })).unwrap_or_default();
        let (set, nms, vals) = index::set_clause([vec![("subject", s(ERASED))], keys].concat());
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(get_s(item, "pk")?))
            .update_expression(set)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_names(Some(nms))
            .set_expression_attribute_values(Some(vals))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// What erasing one claim of a person writes (`erase` and `leave`): an
    /// approved or paid claim is kept without name and address (with its end
    /// and history keys); any other is deleted, with its link, and gives its
    /// trip back if it still counted. The marker of an old claim's contribution
    /// goes either way (its key holds the address); the one keyed by the
    /// contribution key stays with a kept claim, so the one-contribution rule
    /// holds if the person comes back, and goes with a deleted one. Says the claim's fate.
    pub(super) fn erase_claim_items(&self, read: &Item, c: &Claim) -> Result<(Vec<TransactWriteItem>, decide::Fate), StoreError> {
        let same_state = Some(("#status = :status", names(&[("#status", "status")]), values(vec![(":status", s(c.status.as_str()))])));
        let mut items = Vec::new();
        let fate = decide::fate(c);
        if let decide::Fate::Keep(kept) = &fate {
            items.push(self.put(kept_attributes(claim_item(kept), read), same_state)?);
        } else {
            let mut del = Delete::builder().table_name(&self.table).key("pk", s(claim_pk(&c.id)));
            if let Some((expr, n_, v_)) = same_state {
                del = del.condition_expression(expr).set_expression_attribute_names(Some(n_)).set_expression_attribute_values(Some(v_));
            }
            items.push(TransactWriteItem::builder().delete(del.build().map_err(build_err)?).build());
            if fate == (decide::Fate::Delete { gives_back: true }) {
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
            if !c.contribution_key.is_empty() {
                let person = Delete::builder().table_name(&self.table).key("pk", s(contribution_pk(&c.contribution_key))).build().map_err(build_err)?;
                items.push(TransactWriteItem::builder().delete(person).build());
            }
        }
        let person = Delete::builder().table_name(&self.table).key("pk", s(person_pk(&c.email_key, &c.event_id))).build().map_err(build_err)?;
        items.push(TransactWriteItem::builder().delete(person).build());
        Ok((items, fate))
    }

    /// The contact the LEAVE# item `lv` removes with a secret of hash `token_hash`, if any (`decide::who_leaves`).
    async fn who_leaves(&self, lv: &Item, token_hash: &str) -> Result<Option<String>, StoreError> {
        let link = decide::LeaveLink { email_key: get_s(lv, "email_key")?, hashes: get_opt_texts(lv, "hashes")?.unwrap_or_default() };
        let exists = self.get_boxed(contact_pk(&link.email_key)).await?.is_some();
        Ok(decide::who_leaves(Some(&link), token_hash, exists).map(str::to_string))
    }

    /// The transaction of a contact leaving (`Store::leave`), from what is stored now, and what it removes;
    /// with the address whose sessions and passkeys are deleted after it when they do not fit in.
    pub(super) async fn leave_items(
        &self,
        leave_id: &str,
        token_hash: &str,
        audit: &AuditEntry,
    ) -> Result<(Vec<TransactWriteItem>, Erased, Option<String>), LeaveError> {
        let Some(lv) = self.get_boxed(leave_pk(leave_id)).await? else { return Err(LeaveError::Gone) };
        let Some(email_key) = self.who_leaves(&lv, token_hash).await? else { return Err(LeaveError::Gone) };
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
        let contact = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(contact_pk(&email_key)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        let mut items = vec![TransactWriteItem::builder().delete(leave).build(), TransactWriteItem::builder().delete(contact).build()];
        for kind in ["registration", "claim"] {
            let Some(latest) = self.get_boxed(latest_pk(kind, &email_key)).await? else { continue };
            let del = Delete::builder().table_name(&self.table).key("pk", s(latest_pk(kind, &email_key))).build().map_err(build_err)?;
            items.push(TransactWriteItem::builder().delete(del).build());
            // Its submission, if still waiting, stops working now and goes by TTL.
            let Some(p) = self.get_boxed(pending_pk(&get_s(&latest, "pending_id")?)).await? else { continue };
            let p = item_pending(&p)?;
            if !p.used && !decide::retention::due(Some(p.expires_at), now_secs) {
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
            let (claim_items, fate) = self.erase_claim_items(&read, &c)?;
            items.extend(claim_items);
            done.count(&fate);
        }
        let detail = format!("{} {}", audit.detail, done).trim().to_string();
        items.push(self.put(audit_item(&AuditEntry { detail, ..audit.clone() }), None)?);
        if items.len() > 100 {
            return Err(StoreError::Failed("this contact has too many records to remove at once: the secretariat erases them".into()).into());
        }
        // Their sessions and passkeys (and the list of them) in the same
        // transaction when it has room; else right after it (`leave`).
        let account = Box::pin(self.account_items(&email_key)).await?;
        if items.len() + account.len() <= 100 {
            items.extend(account);
            return Ok((items, done, None));
        }
        Ok((items, done, Some(email_key)))
    }
}

impl ErasureStore for DynamoStore {
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
        Ok(self.who_leaves(&lv, token_hash).await?.is_some())
    }

    /// One transaction, without a Scan (the functions may not Scan): the
    /// LEAVE# item (only while it still has this secret and the claims read),
    /// CONTACT#, the LATEST# pointers and their pending records (expired now),
    /// each claim the person confirmed as `erase` treats it, the audit
    /// line, and their sessions and passkeys with the list of them
    /// (`ACCOUNT#`, held unchanged since read), which go right after the
    /// transaction instead when it would pass DynamoDB's 100 items. History lines that name the address are blanked by the desk's
    /// `sweep` (which may Scan).
    async fn leave(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> Result<Erased, LeaveError> {
        let mut attempts = Attempts(0);
        loop {
            let (items, done, after) = Box::pin(self.leave_items(leave_id, token_hash, &audit)).await?;
            match self.transact_boxed(items).await? {
                Sent::Done => {
                    if let Some(email_key) = after {
                        Box::pin(self.erase_account(&email_key)).await?;
                    }
                    return Ok(done);
                }
                // The link, the contact or a claim changed since they were read: read again.
                Sent::Cancelled(r) if r.iter().any(|x| code(x) == "ConditionalCheckFailed") || conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "leaving").into()),
                Sent::InProgress => {}
            }
            Box::pin(attempts.again("this contact")).await?;
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
            let (items, fate) = self.erase_claim_items(&item, &c)?;
            done.count(&fate);
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
        // Their sessions and passkeys (staff records stay: `remove_staff` removes those), and any sign-in link.
        Box::pin(self.erase_account(email_key)).await?;
        Box::pin(self.erase_invitations(|k| k == email_key)).await?;
        for item in self.scan("SIGNIN#").await? {
            if get_opt_s(&item, "email_key").as_deref() == Some(email_key) {
                self.client.delete_item().table_name(&self.table).key("pk", s(get_s(&item, "pk")?)).send().await.map_err(sdk_err)?;
            }
        }
        // A suppression outlives the contact (the address still bounces), but
        // no longer names them: the desk's link to their page goes with them.
        let person = crate::store::person_key(email_key);
        for item in self.scan("SUPPRESS#").await? {
            if get_opt_s(&item, "person").as_deref() == Some(person.as_str()) {
                let pk = get_s(&item, "pk")?;
                self.client.update_item().table_name(&self.table).key("pk", s(pk)).update_expression("REMOVE person").send().await.map_err(sdk_err)?;
            }
        }
        for item in self.scan("AUDIT#").await? {
            if get_opt_s(&item, "subject").as_deref() == Some(email_key) {
                self.blank_subject(&item).await?;
                done.history_lines += 1;
            }
        }
        let detail = format!("{} {}", audit.detail, done).trim().to_string();
        self.client.put_item().table_name(&self.table).set_item(Some(audit_item(&AuditEntry { detail, ..audit }))).send().await.map_err(sdk_err)?;
        Ok(done)
    }

    async fn list_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let mut v = self.scan("AUDIT#").await?.iter().map(|i| Ok((item_audit(i)?, get_s(i, "pk")?))).collect::<Result<Vec<_>, StoreError>>()?;
        v.sort_by(|(a, ka), (b, kb)| (&a.at, ka).cmp(&(&b.at, kb)));
        Ok(v.into_iter().map(|(a, _)| a).collect())
    }
}
