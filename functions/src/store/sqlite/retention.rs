//! What is past its retention: a claim's end, and the sweep that deletes what reached it.

use super::*;

/// Deletes what is past its end at `now_secs`, in one transaction: unconfirmed
/// submissions, kept answers, sessions, sign-in links and passkey ceremonies, claims (with their history lines and documents) and declined
/// contacts (with theirs and their leave links). `expires_at <= now` is
/// `decide::retention::due`, said in SQL.
pub(super) fn sweep(conn: &mut Connection, now_secs: i64) -> Result<Swept, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let mut done = Swept {
        pending: tx.execute("DELETE FROM pending WHERE expires_at <= ?1", params![now_secs]).map_err(map_err)?,
        idempotency: tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", params![now_secs]).map_err(map_err)?,
        sign_in: super::account::sweep_account(&tx, now_secs)?,
        ..Swept::default()
    };
    done.history_lines +=
        tx.execute("DELETE FROM audit WHERE subject IN (SELECT id FROM claims WHERE expires_at <= ?1)", params![now_secs]).map_err(map_err)?;
    tx.execute("DELETE FROM documents WHERE claim_id IN (SELECT id FROM claims WHERE expires_at <= ?1)", params![now_secs]).map_err(map_err)?;
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

impl RetentionStore for SqliteStore {
    async fn claim_expires_at(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let end: Option<Option<i64>> =
                conn.query_row("SELECT expires_at FROM claims WHERE id = ?1", params![id], |r| r.get(0)).optional().map_err(map_err)?;
            Ok(end.flatten())
        })
        .await
    }

    async fn sweep(&self, now_secs: i64) -> Result<Option<Swept>, StoreError> {
        self.run(move |conn| sweep(conn, now_secs).map(Some)).await
    }
}
