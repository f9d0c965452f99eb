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

impl IdempotencyStore for SqliteStore {
    async fn idempotent_start(&self, endpoint: &str, key: &str, request_hash: &str) -> Result<Option<Kept>, StoreError> {
        let (endpoint, key, hash, owner) = (endpoint.to_string(), key.to_string(), request_hash.to_string(), self.owner.clone());
        self.run(move |conn| {
            let now = now_epoch();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", params![now]).map_err(map_err)?;
            // The mark of a server that crashed mid-request would hold the key until
            // it expires: the retry takes it over at once. What that request stored
            // is found again by its id, derived from the key (`service::submit`).
            let left_by: Option<String> = tx
                .query_row("SELECT owner FROM idempotency WHERE endpoint = ?1 AND key = ?2 AND status = 0", params![endpoint, key], |r| r.get(0))
                .optional()
                .map_err(map_err)?
                .flatten();
            if let Some(o) = left_by
                && o != *owner
                && !owner_alive(&o)
            {
                tx.execute("DELETE FROM idempotency WHERE endpoint = ?1 AND key = ?2 AND status = 0", params![endpoint, key]).map_err(map_err)?;
            }
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO idempotency (endpoint, key, request_hash, status, content_type, location, body, expires_at, owner)
                     VALUES (?1, ?2, ?3, 0, '', NULL, x'', ?4, ?5)",
                    params![endpoint, key, hash, now + PENDING_TTL_SECS, &*owner],
                )
                .map_err(map_err)?;
            let kept = if inserted == 0 { get_kept(&tx, &endpoint, &key).map_err(map_err)? } else { None };
            tx.commit().map_err(map_err)?;
            Ok(kept)
        })
        .await
    }

    async fn idempotent_get(&self, endpoint: &str, key: &str) -> Result<Option<Kept>, StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| get_kept(conn, &endpoint, &key).map_err(map_err)).await
    }

    async fn idempotent_finish(&self, endpoint: &str, key: &str, a: StoredAnswer) -> Result<(), StoreError> {
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

    async fn idempotent_abandon(&self, endpoint: &str, key: &str) -> Result<(), StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| {
            conn.execute("DELETE FROM idempotency WHERE endpoint = ?1 AND key = ?2 AND status = 0", params![endpoint, key]).map_err(map_err)?;
            Ok(())
        })
        .await
    }
}

/// Whether the store opening `owner` (`<pid>:<random>`) may still be processing a
/// request. Another opening in this very process is not (the process that set
/// it is gone and its pid came back to us, or a test opened the file twice).
/// Where the system does not say which processes run (no `/proc`), every
/// other opening counts as alive and its mark simply expires.
fn owner_alive(owner: &str) -> bool {
    let Some(pid) = owner.split(':').next().and_then(|p| p.parse::<u32>().ok()) else { return false };
    if pid == std::process::id() {
        return false;
    }
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    // A killed process its parent has not reaped yet is a zombie: gone all the same.
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
