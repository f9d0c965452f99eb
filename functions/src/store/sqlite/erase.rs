//! A person's data going: leaving from a link or erased by the secretariat (the same path), their leave links, and the audit trail it blanks.

use super::*;

/// The contact the leave link `leave_id` with a secret of hash `token_hash` removes, if any (`decide::who_leaves`).
fn who_leaves(conn: &Connection, leave_id: &str, token_hash: &str) -> Result<Option<String>, StoreError> {
    let rows =
        all(conn, "SELECT email_key, hash FROM leave_links WHERE leave_id = ?1", params![leave_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let link = rows.first().map(|(email_key, _)| decide::LeaveLink { email_key: email_key.clone(), hashes: rows.iter().map(|(_, h)| h.clone()).collect() });
    let exists = match &link {
        Some(l) => read_contact(conn, &l.email_key)?.is_some(),
        None => false,
    };
    Ok(decide::who_leaves(link.as_ref(), token_hash, exists).map(str::to_string))
}

/// Removes a person's data (`Store::erase`, and a contact leaving), inside the caller's transaction.
pub(super) fn erase_person(tx: &Connection, key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
    let mut done = Erased {
        contacts: tx.execute("DELETE FROM contacts WHERE email_key = ?1", params![key]).map_err(map_err)?,
        pending: tx.execute("DELETE FROM pending WHERE email_key = ?1", params![key]).map_err(map_err)?,
        ..Erased::default()
    };
    tx.execute("DELETE FROM leave_links WHERE email_key = ?1", params![key]).map_err(map_err)?;
    super::account::erase_account(tx, key)?;
    super::invitations::erase(tx, key)?;
    // A suppression outlives the contact (the address still bounces), but no
    // longer names them: the desk's link to their page goes with them.
    tx.execute("UPDATE suppressions SET person = NULL WHERE person = ?1", params![crate::store::person_key(key)]).map_err(map_err)?;
    let claims = all(tx, &format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE email_key = ?1"), params![key], row_to_claim)?;
    for c in claims {
        let fate = decide::fate(&c);
        match &fate {
            decide::Fate::Keep(kept) => write_claim(tx, kept).map_err(map_err)?,
            decide::Fate::Delete { gives_back } => {
                if *gives_back {
                    give_back(tx, &c).map_err(map_err)?;
                }
                tx.execute("DELETE FROM documents WHERE claim_id = ?1", params![c.id]).map_err(map_err)?;
                tx.execute("DELETE FROM claims WHERE id = ?1", params![c.id]).map_err(map_err)?;
            }
        }
        done.count(&fate);
    }
    // A line's rank names its subject: given again once blanked.
    done.history_lines = tx.execute("UPDATE audit SET subject = ?1, rank = NULL WHERE subject = ?2", params![ERASED, key]).map_err(map_err)?;
    super::desk::fill_ranks(tx).map_err(map_err)?;
    let detail = format!("{} {}", audit.detail, done).trim().to_string();
    write_audit(tx, &AuditEntry { detail, ..audit }).map_err(map_err)?;
    Ok(done)
}

impl ErasureStore for SqliteStore {
    async fn add_leave_link(&self, email_key: &str, token_hash: &str) -> Result<bool, StoreError> {
        let (key, hash) = (email_key.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            if read_contact(&tx, &key)?.is_none() {
                return Ok(false);
            }
            tx.execute("INSERT OR IGNORE INTO leave_links (leave_id, hash, email_key) VALUES (?1, ?2, ?3)", params![crate::token::leave_id(&key), hash, key])
                .map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn leave_link_works(&self, leave_id: &str, token_hash: &str) -> Result<bool, StoreError> {
        let (id, hash) = (leave_id.to_string(), token_hash.to_string());
        self.run(move |conn| Ok(who_leaves(conn, &id, &hash)?.is_some())).await
    }

    async fn list_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(|conn| all(conn, "SELECT at, actor, action, subject, detail FROM audit ORDER BY seq", [], |r| super::desk::row_to_audit(r, 0))).await
    }

    async fn erase(&self, email_key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(done)
        })
        .await
    }

    async fn leave(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> Result<Erased, LeaveError> {
        let (id, hash) = (leave_id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(key) = who_leaves(&tx, &id, &hash)? else { return Ok(Err(LeaveError::Gone)) };
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(done))
        })
        .await?
    }
}
