//! Suppressed addresses (`SuppressionStore`): one row per address, under the
//! keyed hash of it (`PersonKey::suppression_key`), written once with its
//! history line; the desk's newest first from the index on `at`.

use super::*;
use crate::store::SuppressionStore;
use ccg_forms::decide::suppression::{Reason, Suppression};

/// Added by issue 22; a file of this schema version gets it on opening.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS suppressions (
    address_key TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    person TEXT
);
CREATE INDEX IF NOT EXISTS suppressions_by_time ON suppressions (at);
";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suppression> {
    let reason: String = r.get(0)?;
    let at: String = r.get(1)?;
    Ok(Suppression {
        reason: match reason.as_str() {
            "bounce" => Reason::Bounce,
            "complaint" => Reason::Complaint,
            other => return Err(bad(0, format!("an unknown reason {other:?}"))),
        },
        at: at.parse().map_err(|e: jiff::Error| bad(1, e.to_string()))?,
        person: r.get(2)?,
    })
}

impl SuppressionStore for SqliteStore {
    async fn suppress(&self, email_key: &str, suppression: Suppression, audit: AuditEntry) -> Result<bool, StoreError> {
        let key = self.person_key()?.suppression_key(email_key);
        self.run(move |conn| {
            changed_with_audit(conn, &audit, |tx| {
                tx.prepare_cached("INSERT INTO suppressions (address_key, reason, at, person) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (address_key) DO NOTHING")
                    .and_then(|mut st| st.execute(params![key, suppression.reason.as_str(), suppression.at.to_string(), suppression.person]))
            })
        })
        .await
    }

    async fn suppression(&self, email_key: &str) -> Result<Option<Suppression>, StoreError> {
        let Some(person_key) = self.person_key.as_ref() else { return Ok(None) };
        let key = person_key.suppression_key(email_key);
        self.run(move |conn| {
            conn.prepare_cached("SELECT reason, at, person FROM suppressions WHERE address_key = ?1")
                .and_then(|mut st| st.query_row(params![key], row).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn lift_suppression(&self, email_key: &str, audit: AuditEntry) -> Result<bool, StoreError> {
        let key = self.person_key()?.suppression_key(email_key);
        self.run(move |conn| changed_with_audit(conn, &audit, |tx| tx.prepare_cached("DELETE FROM suppressions WHERE address_key = ?1")?.execute(params![key])))
            .await
    }

    async fn recent_suppressions(&self, limit: usize) -> Result<Vec<Suppression>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn| {
            conn.prepare_cached("SELECT reason, at, person FROM suppressions ORDER BY at DESC LIMIT ?1")
                .and_then(|mut st| st.query_map(params![limit], row)?.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(map_err)
        })
        .await
    }
}
