//! A claim's confirmation (the yearly limits as conditions), its changes of state (with its end on every item), and the listings.

use super::*;

impl DynamoStore {
    /// Whether a cancelled confirmation (the items of `claim_items`) failed for
    /// good. Something it read changed (the link, the representative, the
    /// person's contribution, old or new, the year's counter): `None`, to read again and
    /// decide again, which then says why, as the SQLite store does.
    pub(super) fn explain_claim(&self, reasons: &[CancellationReason]) -> Option<StoreError> {
        if failed(reasons, 4) {
            return Some(StoreError::Failed("a claim with this id is stored already".into()));
        }
        if failed(reasons, 6) {
            // The link's use (item 0) would have failed first: a LINK# item left by hand?
            return Some(StoreError::Failed("a claim is linked to this link already".into()));
        }
        if (0..4).any(|i| failed(reasons, i)) || failed(reasons, 8) || conflicted(reasons) {
            return None;
        }
        Some(busy(reasons, "the claim"))
    }

    /// The CLAIM# item of a claim of this version, as stored. A first-version
    /// key (`CLAIM#<city>#<event>`, which `list_claims` leaves out) is no claim here either.
    pub(super) async fn claim_item_of(&self, id: &str) -> Result<Option<Item>, StoreError> {
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
    /// goes down by its trip and euros, 2: PERSON# (`person_pk_of`) is deleted (the person may
    /// claim for the meeting again), only if it is this claim's; last: the audit line.
    pub(super) fn transition_items(
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
        // A document recorded since the read would be lost by the rewrite: the list is still as read.
        match read.get(DOCUMENTS) {
            Some(AttributeValue::L(l)) => {
                condition.push("size(#docs) = :docs_n".into());
                cond_values.insert(":docs_n".into(), n(l.len()));
            }
            _ => condition.push("attribute_not_exists(#docs)".into()),
        }
        cond_names.insert("#docs".into(), DOCUMENTS.into());
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
                .key("pk", s(person_pk_of(old)))
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
            // A claim kept after its claimant left keeps its contribution key, which names no one.
            if !gives_back && (!old.contribution_key.is_empty() || !old.email_key.starts_with(ERASED)) {
                items.push(self.expire(person_pk_of(old), end, Some(&old.id))?);
            }
        }
        items.push(self.put(audit_line, None)?);
        Ok(items)
    }

    /// The one transaction of a claim's confirmation; `explain_claim` reads its reasons by these indexes.
    pub(super) fn claim_items(
        &self,
        (id, token_hash, now_secs): (&str, &str, i64),
        c: &Claim,
        rules: &TravelRules,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        // 1: still an approved representative of the claim's city.
        let representative = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(contact_pk(&c.email_key)))
            .condition_expression("#status = :approved AND #city_key = :city_key")
            .set_expression_attribute_names(Some(names(&[("#status", "status"), ("#city_key", "city_key")])))
            .set_expression_attribute_values(Some(values(vec![(":approved", s(ContactStatus::Approved.as_str())), (":city_key", s(&c.city_key))])))
            .build()
            .map_err(build_err)?;
        // 2: the year's counter, only while under both limits (`rules.count`, said as a condition).
        let year = Update::builder()
            .table_name(&self.table)
            .key("pk", s(year_pk(&c.city_key, c.year)))
            // With the attributes that put it in its year's usage list (`index`).
            .update_expression(
                "SET #trips = if_not_exists(#trips, :zero) + :one, #cents = if_not_exists(#cents, :zero) + :amount, #ck = :ck, #y = :year, #list = :list, #rank = :ck",
            )
            .condition_expression("attribute_not_exists(pk) OR (#trips < :max_trips AND #cents <= :max_minus_amount)")
            .set_expression_attribute_names(Some(names(&[
                ("#trips", "trips"),
                ("#cents", "cents"),
                ("#ck", "city_key"),
                ("#y", "year"),
                ("#list", index::LISTS.hash),
                ("#rank", index::LISTS.range),
            ])))
            .set_expression_attribute_values(Some(values(vec![
                (":list", s(index::usage_list(c.year))),
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
        if c.contribution_key.is_empty() {
            return Err(StoreError::Failed("a claim to count has no contribution key".into()));
        }
        let person: Item = HashMap::from([("pk".into(), s(contribution_pk(&c.contribution_key))), ("claim_id".into(), s(&c.id))]);
        // 8: no claim of the person for the meeting counted before contribution keys.
        let legacy = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(person_pk(&c.email_key, &c.event_id)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let link: Item = HashMap::from([("pk".into(), s(link_pk(&c.link_id))), ("claim_id".into(), s(&c.id))]);
        let detail = format!("{} {} {} {}", c.city_key, c.event_id, c.year, c.amount.to_decimal());
        let confirmed_at = c.confirmed_at.ok_or_else(|| StoreError::Failed("a claim to count has no confirmation time".into()))?;
        let audit = audit_entry(confirmed_at, "applicant", "claim.confirmed", &c.id, detail);
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
            TransactWriteItem::builder().condition_check(legacy).build(),
            // 9: the claim's reference, given once.
            self.reference_item(c)?,
        ])
    }
}

impl ClaimStore for DynamoStore {
    async fn confirm_claim(
        &self,
        id: &str,
        token_hash: &str,
        rules: &TravelRules,
        open: &OpenMeetings,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> Result<ClaimOutcome, ConfirmFailed> {
        let mut attempts = Attempts(0);
        let person_key = self.person_key()?;
        // Taken once a confirmation is decided, and kept across its retries.
        let mut number = None;
        let c = loop {
            let p = self.pending(id, now_secs).await?;
            let (_, c) = decide::claim_link(p.as_ref(), token_hash, now_secs)?;
            let contact = self.contact(&c.email_key).await?;
            let contribution_key = person_key.contribution_key(&c.email_key, &c.event_id);
            let facts = decide::ClaimFacts {
                pending: p.as_ref(),
                // Not a stored item: the catalogue the service holds, so no condition of the transaction.
                meeting_open: open.takes_claims(&c.event_id),
                token_hash,
                contact: contact.as_ref(),
                already_claimed: self.get(contribution_pk(&contribution_key)).await?.is_some()
                    || self.get(person_pk(&c.email_key, &c.event_id)).await?.is_some(),
                used: usage_of(self.get(year_pk(&c.city_key, c.year)).await?.as_ref())?,
                contribution_key: &contribution_key,
            };
            // The transaction's conditions hold what was read: the link unused
            // with these secrets, the representative, no PERSON#, the counter
            // under the limits for the contribution decided.
            let done = decide::confirm_claim(&facts, rules, now, now_secs)?;
            let n = match number {
                Some(n) => n,
                None => *number.insert(self.next_number(done.claim.year).await?),
            };
            let claim = decide::numbered(done.claim, n);
            match self.transact(self.claim_items((id, token_hash, now_secs), &claim, rules)?).await? {
                Sent::Done => break claim,
                // The reference is taken (the counter was set back): take another.
                Sent::Cancelled(r) if failed(&r, 9) => number = None,
                Sent::Cancelled(r) => {
                    if let Some(e) = self.explain_claim(&r) {
                        return Err(e.into());
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

    async fn year_usage(&self, city_key: &str, year: i16) -> Result<YearUsage, StoreError> {
        usage_of(self.get(year_pk(city_key, year)).await?.as_ref())
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

    async fn list_claims(&self) -> Result<Vec<Claim>, StoreError> {
        let items = self.scan("CLAIM#").await?;
        // `CLAIM#<city>#<event>`: a claim of the first version, taken without confirmation; not listed.
        let current = items.iter().filter(|i| get_opt_s(i, "pk").is_some_and(|pk| !pk["CLAIM#".len()..].contains('#')));
        let mut v = current.map(item_claim).collect::<Result<Vec<_>, _>>()?;
        crate::store::sort_claims(&mut v);
        Ok(v)
    }

    async fn get_claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        let Some(item) = self.claim_item_of(id).await? else { return Ok(None) };
        item_claim(&item).map(Some).map_err(|_| StoreError::Corrupt(claim_pk(id)))
    }

    async fn claim_by_reference(&self, reference: &str) -> Result<Option<Claim>, StoreError> {
        self.claim_of_reference(reference).await
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
            let old = item_claim(&read).map_err(|_| StoreError::Corrupt(claim_pk(id)))?;
            let (new, gives_back) = decide::transition(&change, &old).map_err(TransitionError::Conflict)?;
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
}
