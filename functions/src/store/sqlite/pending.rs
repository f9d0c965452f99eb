//! Submissions waiting for their emailed link: each change a transaction that re-reads what it depends on.

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

/// `pending`, with a record that does not parse told as corrupt.
pub(super) fn read_pending(conn: &Connection, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
    pending(conn, id, now_secs).map_err(read_err(|| format!("pending {id}")))
}

pub(super) fn mark_used(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE pending SET used = 1 WHERE id = ?1")?.execute(params![id])?;
    Ok(())
}

impl PendingStore for SqliteStore {
    async fn put_pending(&self, p: Pending) -> Result<(), StoreError> {
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

    async fn get_pending(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| read_pending(conn, &id, now_secs)).await
    }

    async fn latest_pending(&self, kind: &str, email_key: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
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

    async fn list_pending(&self, now_secs: i64) -> Result<Vec<Pending>, StoreError> {
        const SQL: &str = "SELECT id, item, token_hashes, created_at, expires_at, used FROM pending WHERE used = 0 AND expires_at > ?1 ORDER BY created_at, id";
        self.run(move |conn| all(conn, SQL, params![now_secs], row_to_pending)).await
    }

    async fn add_link(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<bool, StoreError> {
        let (id, hash) = (id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(mut p) = read_pending(&tx, &id, now_secs)? else { return Ok(false) };
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
}
