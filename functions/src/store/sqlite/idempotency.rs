//! The first answer to a request sent with an Idempotency-Key.

use super::*;

pub(super) fn get_kept(conn: &Connection, endpoint: &str, key: &str) -> rusqlite::Result<Option<Kept>> {
    conn.query_row(
        "SELECT request_hash, status, content_type, location, body FROM idempotency
         WHERE endpoint = ?1 AND key = ?2 AND expires_at >= ?3",
        params![endpoint, key, now_epoch()],
        |r| {
            let (request_hash, status): (String, u16) = (r.get(0)?, r.get(1)?);
            Ok(if status == 0 {
                Kept::Pending { request_hash }
            } else {
                Kept::Done(StoredAnswer { request_hash, status, content_type: r.get(2)?, location: r.get(3)?, body: r.get(4)? })
            })
        },
    )
    .optional()
}

impl SqliteStore {
    pub(super) async fn idempotent_start_in(&self, endpoint: &str, key: &str, request_hash: &str) -> Result<Option<Kept>, StoreError> {
        let (endpoint, key, hash) = (endpoint.to_string(), key.to_string(), request_hash.to_string());
        self.run(move |conn| {
            let now = now_epoch();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", params![now]).map_err(map_err)?;
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO idempotency (endpoint, key, request_hash, status, content_type, location, body, expires_at)
                     VALUES (?1, ?2, ?3, 0, '', NULL, x'', ?4)",
                    params![endpoint, key, hash, now + PENDING_TTL_SECS],
                )
                .map_err(map_err)?;
            let kept = if inserted == 0 { get_kept(&tx, &endpoint, &key).map_err(map_err)? } else { None };
            tx.commit().map_err(map_err)?;
            Ok(kept)
        })
        .await
    }

    pub(super) async fn idempotent_get_in(&self, endpoint: &str, key: &str) -> Result<Option<Kept>, StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| get_kept(conn, &endpoint, &key).map_err(map_err)).await
    }

    pub(super) async fn idempotent_finish_in(&self, endpoint: &str, key: &str, a: StoredAnswer) -> Result<(), StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO idempotency (endpoint, key, request_hash, status, content_type, location, body, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![endpoint, key, a.request_hash, a.status, a.content_type, a.location, a.body, now_epoch() + IDEMPOTENCY_TTL_SECS],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    pub(super) async fn idempotent_abandon_in(&self, endpoint: &str, key: &str) -> Result<(), StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| {
            conn.execute("DELETE FROM idempotency WHERE endpoint = ?1 AND key = ?2 AND status = 0", params![endpoint, key]).map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
