//! A person's data going: leaving from a link or erased by the secretariat (the same path), their leave links, and the audit trail it blanks.

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
        let fate = decide::fate(&c);
        match &fate {
            decide::Fate::Keep(kept) => write_claim(tx, kept).map_err(map_err)?,
            decide::Fate::Delete { gives_back } => {
                if *gives_back {
                    give_back(tx, &c).map_err(map_err)?;
                }
                tx.execute("DELETE FROM claims WHERE id = ?1", params![c.id]).map_err(map_err)?;
            }
        }
        done.count(&fate);
    }
    done.history_lines = tx.execute("UPDATE audit SET subject = ?1 WHERE subject = ?2", params![ERASED, key]).map_err(map_err)?;
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
        self.run(move |conn| {
            conn.query_row(
                "SELECT 1 FROM leave_links l JOIN contacts c ON c.email_key = l.email_key WHERE l.leave_id = ?1 AND l.hash = ?2",
                params![id, hash],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(map_err)
        })
        .await
    }

    async fn list_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(|conn| {
            all(conn, "SELECT at, actor, action, subject, detail FROM audit ORDER BY seq", [], |r| {
                Ok(AuditEntry { at: r.get(0)?, actor: r.get(1)?, action: r.get(2)?, subject: r.get(3)?, detail: r.get(4)? })
            })
        })
        .await
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
            let key: Option<String> = tx
                .query_row("SELECT email_key FROM leave_links WHERE leave_id = ?1 AND hash = ?2", params![id, hash], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            let Some(key) = key else { return Ok(Err(LeaveError::Gone)) };
            if read_contact(&tx, &key)?.is_none() {
                return Ok(Err(LeaveError::Gone));
            }
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(done))
        })
        .await?
    }
}
