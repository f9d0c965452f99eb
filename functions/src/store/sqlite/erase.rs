//! The audit trail, a person's erasure (by the secretariat, or leaving from a link: the same path), and the sweep of what is past its retention.

use super::*;

/// Removes a person's data (`Store::erase`, and a contact leaving), inside the caller's transaction.
pub(super) fn erase_person(tx: &Connection, key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
    let mut done = Erased {
        contacts: tx.execute("DELETE FROM contacts WHERE email_key = ?1", params![key]).map_err(map_err)?,
        pending: tx.execute("DELETE FROM pending WHERE email_key = ?1", params![key]).map_err(map_err)?,
        ..Erased::default()
    };
    tx.execute("DELETE FROM leave_links WHERE email_key = ?1", params![key]).map_err(map_err)?;
    let claims = all(tx, &format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE email_key = ?1"), params![key], row_to_claim)?;
    for c in claims {
        if kept_on_erase(c.status) {
            write_claim(tx, &anonymised(&c)).map_err(map_err)?;
            done.claims_kept += 1;
            continue;
        }
        if c.status.counts() {
            give_back(tx, &c).map_err(map_err)?;
            done.claims_withdrawn += 1;
        }
        tx.execute("DELETE FROM claims WHERE id = ?1", params![c.id]).map_err(map_err)?;
        done.claims_deleted += 1;
    }
    done.history_lines = tx.execute("UPDATE audit SET subject = ?1 WHERE subject = ?2", params![ERASED, key]).map_err(map_err)?;
    let detail = format!("{} {}", audit.detail, erased_summary(&done)).trim().to_string();
    write_audit(tx, &AuditEntry { detail, ..audit }).map_err(map_err)?;
    Ok(done)
}

/// Deletes what is past its end at `now_secs`, in one transaction: unconfirmed
/// submissions, kept answers, claims (with their history lines) and declined
/// contacts (with theirs and their leave links).
pub(super) fn sweep(conn: &mut Connection, now_secs: i64) -> Result<Swept, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let mut done = Swept {
        pending: tx.execute("DELETE FROM pending WHERE expires_at <= ?1", params![now_secs]).map_err(map_err)?,
        idempotency: tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", params![now_secs]).map_err(map_err)?,
        ..Swept::default()
    };
    done.history_lines +=
        tx.execute("DELETE FROM audit WHERE subject IN (SELECT id FROM claims WHERE expires_at <= ?1)", params![now_secs]).map_err(map_err)?;
    done.claims = tx.execute("DELETE FROM claims WHERE expires_at <= ?1", params![now_secs]).map_err(map_err)?;
    let gone: Vec<String> = all(&tx, "SELECT email_key FROM contacts WHERE expires_at <= ?1", params![now_secs], |r| r.get(0))?;
    for key in &gone {
        done.history_lines += tx.execute("DELETE FROM audit WHERE subject = ?1", params![key]).map_err(map_err)?;
        tx.execute("DELETE FROM leave_links WHERE email_key = ?1", params![key]).map_err(map_err)?;
        done.contacts += tx.execute("DELETE FROM contacts WHERE email_key = ?1", params![key]).map_err(map_err)?;
    }
    tx.commit().map_err(map_err)?;
    Ok(done)
}

impl SqliteStore {
    pub(super) async fn list_audit_in(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(|conn| {
            all(conn, "SELECT at, actor, action, subject, detail FROM audit ORDER BY seq", [], |r| {
                Ok(AuditEntry { at: timestamp(r, 0)?, actor: r.get(1)?, action: r.get(2)?, subject: r.get(3)?, detail: r.get(4)? })
            })
        })
        .await
    }

    pub(super) async fn erase_in(&self, email_key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(done)
        })
        .await
    }

    pub(super) async fn leave_in(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> Result<Erased, LeaveError> {
        let (id, hash) = (leave_id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let key: Option<String> = tx
                .query_row("SELECT email_key FROM leave_links WHERE leave_id = ?1 AND hash = ?2", params![id, hash], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            let Some(key) = key else { return Ok(Err(LeaveError::Gone)) };
            if contact(&tx, &key).map_err(map_err)?.is_none() {
                return Ok(Err(LeaveError::Gone));
            }
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(done))
        })
        .await?
    }

    pub(super) async fn sweep_in(&self, now_secs: i64) -> Result<Option<Swept>, StoreError> {
        self.run(move |conn| sweep(conn, now_secs).map(Some)).await
    }
}
