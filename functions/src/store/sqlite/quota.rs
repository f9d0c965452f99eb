//! The emails sent to an address per hour and per day (`decide::quota`):
//! one row per address and window, gone when its window ends.

use super::*;
use crate::store::MailQuotaStore;
use ccg_forms::decide::quota::{self, MailLimits};

/// Added by issue 18; a file of this schema version gets it on opening.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mail_quota (
    quota_key TEXT NOT NULL,
    window TEXT NOT NULL,
    sent INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (quota_key, window)
);
";

fn sent(conn: &Connection, key: &str, window: &str, now_secs: i64) -> rusqlite::Result<u32> {
    conn.prepare_cached("SELECT sent FROM mail_quota WHERE quota_key = ?1 AND window = ?2 AND expires_at > ?3")?
        .query_row(params![key, window, now_secs], |r| r.get(0))
        .optional()
        .map(Option::unwrap_or_default)
}

fn count(conn: &Connection, key: &str, window: &str, ends: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO mail_quota (quota_key, window, sent, expires_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (quota_key, window) DO UPDATE SET sent = sent + 1",
    )?
    .execute(params![key, window, ends])?;
    Ok(())
}

impl MailQuotaStore for SqliteStore {
    async fn take_mail(&self, quota_key: &str, limits: MailLimits, now_secs: i64) -> Result<bool, StoreError> {
        let key = quota_key.to_string();
        self.run(move |conn| {
            let w = quota::windows(now_secs);
            let (hour, day) = (format!("h{}", w.hour), format!("d{}", w.day));
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            // Windows that ended go with the next send to anyone: the table stays small without a sweep.
            tx.prepare_cached("DELETE FROM mail_quota WHERE expires_at <= ?1").and_then(|mut st| st.execute(params![now_secs])).map_err(map_err)?;
            let (h, d) = (sent(&tx, &key, &hour, now_secs).map_err(map_err)?, sent(&tx, &key, &day, now_secs).map_err(map_err)?);
            if !decide::may_send(h, d, limits) {
                return Ok(false);
            }
            count(&tx, &key, &hour, w.hour_ends).map_err(map_err)?;
            count(&tx, &key, &day, w.day_ends).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }
}
