//! Submissions waiting for their emailed link, and their confirmation: each a transaction that re-reads what it depends on.

use super::*;

pub(super) fn row_to_pending(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pending> {
    let bad = |i: usize, e: String| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into());
    let item: String = r.get(1)?;
    let hashes: String = r.get(2)?;
    Ok(Pending {
        id: r.get(0)?,
        item: PendingItem::from_json(&item).map_err(|e| bad(1, e))?,
        token_hashes: serde_json::from_str(&hashes).map_err(|e| bad(2, e.to_string()))?,
        created_at: timestamp(r, 3)?,
        expires_at: r.get(4)?,
        used: r.get(5)?,
    })
}

/// The pending record, unless expired at `now_secs` (used ones are returned).
pub(super) fn pending(conn: &Connection, id: &str, now_secs: i64) -> rusqlite::Result<Option<Pending>> {
    conn.prepare_cached("SELECT id, item, token_hashes, created_at, expires_at, used FROM pending WHERE id = ?1 AND expires_at > ?2")?
        .query_row(params![id, now_secs], row_to_pending)
        .optional()
}

/// The pending record behind a link, if the link may be used now (`check_link`).
pub(super) fn usable_link(conn: &Connection, id: &str, hash: &str, now_secs: i64) -> Result<Result<Pending, ConfirmError>, StoreError> {
    let p = pending(conn, id, now_secs).map_err(map_err)?;
    Ok(check_link(p.as_ref(), hash, now_secs).map(|()| p.expect("check_link refuses a missing record")))
}

pub(super) fn mark_used(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE pending SET used = 1 WHERE id = ?1")?.execute(params![id])?;
    Ok(())
}

impl SqliteStore {
    pub(super) async fn put_pending_in(&self, p: Pending) -> Result<(), StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            // What nobody confirmed in time is deleted, as the privacy notice says.
            tx.execute("DELETE FROM pending WHERE expires_at <= ?1", params![jiff::Timestamp::now().as_second()]).map_err(map_err)?;
            tx.execute(
                "INSERT INTO pending (id, kind, email_key, item, token_hashes, created_at, expires_at, used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    p.id,
                    p.item.kind(),
                    p.item.email_key(),
                    p.item.to_json(),
                    serde_json::to_string(&p.token_hashes).unwrap_or_else(|_| "[]".into()),
                    p.created_at.to_string(),
                    p.expires_at,
                    p.used
                ],
            )
            .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    pub(super) async fn get_pending_in(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| pending(conn, &id, now_secs).map_err(map_err)).await
    }

    pub(super) async fn latest_pending_in(&self, kind: &str, email_key: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let (kind, email_key) = (kind.to_string(), email_key.to_string());
        self.run(move |conn| {
            conn.prepare_cached(
                "SELECT id, item, token_hashes, created_at, expires_at, used FROM pending
                 WHERE kind = ?1 AND email_key = ?2 AND used = 0 AND expires_at > ?3 ORDER BY created_at DESC, id LIMIT 1",
            )
            .and_then(|mut st| st.query_row(params![kind, email_key, now_secs], row_to_pending).optional())
            .map_err(map_err)
        })
        .await
    }

    pub(super) async fn list_pending_in(&self, now_secs: i64) -> Result<Vec<Pending>, StoreError> {
        const SQL: &str = "SELECT id, item, token_hashes, created_at, expires_at, used FROM pending WHERE used = 0 AND expires_at > ?1 ORDER BY created_at, id";
        self.run(move |conn| all(conn, SQL, params![now_secs], row_to_pending)).await
    }

    pub(super) async fn add_link_in(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<bool, StoreError> {
        let (id, hash) = (id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(mut p) = pending(&tx, &id, now_secs).map_err(map_err)? else { return Ok(false) };
            if p.used || p.token_hashes.len() >= MAX_LINKS {
                return Ok(false);
            }
            p.token_hashes.push(hash);
            let hashes = serde_json::to_string(&p.token_hashes).map_err(|e| StoreError::Failed(e.to_string()))?;
            tx.execute("UPDATE pending SET token_hashes = ?1 WHERE id = ?2", params![hashes, id]).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    pub(super) async fn confirm_registration_in(
        &self,
        id: &str,
        token_hash: &str,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> Result<ContactOutcome, ConfirmError> {
        let (id, hash) = (id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = match usable_link(&tx, &id, &hash, now_secs)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let details = match pending_registration(&p) {
                Ok(r) => r.clone(),
                Err(e) => return Ok(Err(e)),
            };
            let old = contact(&tx, &details.email_key).map_err(map_err)?;
            let new = apply_registration(old.as_ref(), details, now);
            write_contact(&tx, &new).map_err(map_err)?;
            mark_used(&tx, &id).map_err(map_err)?;
            let action = if old.is_some() { "contact.changed" } else { "contact.confirmed" };
            write_audit(&tx, &audit_entry(now, "applicant", action, &new.details.email_key, format!("link {id}"))).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(ContactOutcome { contact: new, created: old.is_none() }))
        })
        .await?
    }

    pub(super) async fn confirm_claim_in(
        &self,
        id: &str,
        token_hash: &str,
        rules: &TravelRules,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> Result<ClaimOutcome, ConfirmError> {
        let (id, hash, rules) = (id.to_string(), token_hash.to_string(), rules.clone());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = match usable_link(&tx, &id, &hash, now_secs)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let mut c = match pending_claim(&p) {
                Ok(c) => c.clone(),
                Err(e) => return Ok(Err(e)),
            };
            let represents = contact(&tx, &c.email_key).map_err(map_err)?.is_some_and(|k| k.represents(&c.city_key));
            if !represents {
                return Ok(Err(ConfirmError::Refused(Refusal::NotRepresentative)));
            }
            let already: bool = tx
                .prepare_cached(&format!("SELECT 1 FROM claims WHERE email_key = ?1 AND event_id = ?2 AND status IN {COUNTING}"))
                .and_then(|mut st| st.query_row(params![c.email_key, c.event_id], |_| Ok(())).optional())
                .map_err(map_err)?
                .is_some();
            if already {
                return Ok(Err(ConfirmError::Refused(Refusal::AlreadyClaimed)));
            }
            let used = usage(&tx, &c.city_key, c.year).map_err(map_err)?;
            let (amount, after) = match rules.count(used, c.amount) {
                Ok(counted) => counted,
                Err(refusal) => return Ok(Err(ConfirmError::Refused(refusal))),
            };
            c.amount = amount;
            c.confirmed_at = Some(now);
            c.status = ClaimStatus::Counted;
            c.link_id = p.id.clone();
            c.link_hashes = p.token_hashes.clone();
            write_claim(&tx, &c).map_err(map_err)?;
            tx.prepare_cached(
                "INSERT INTO year_usage (city_key, year, trips, cents) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (city_key, year) DO UPDATE SET trips = excluded.trips, cents = excluded.cents",
            )
            .and_then(|mut st| st.execute(params![c.city_key, c.year, after.trips, after.amount.0]))
            .map_err(map_err)?;
            mark_used(&tx, &id).map_err(map_err)?;
            let detail = format!("{} {} {} {}", c.city_key, c.event_id, c.year, c.amount.to_decimal());
            write_audit(&tx, &audit_entry(now, "applicant", "claim.confirmed", &c.id, detail)).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(ClaimOutcome { claim: c, used: after }))
        })
        .await?
    }
}
