//! The members' repository: rows of `shared_documents`, the record as JSON
//! beside the columns it is listed by (`rank`, `meeting`) and its `version`.

use super::*;
use crate::records::SharedDocument;
use crate::store::SharedDocumentStore;
use crate::store::lists::{ListPage, SharedQuery};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS shared_documents (
    id TEXT PRIMARY KEY,
    rank TEXT NOT NULL,
    meeting TEXT,
    version INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shared_by_rank ON shared_documents (rank);
CREATE INDEX IF NOT EXISTS shared_by_meeting ON shared_documents (meeting, rank) WHERE meeting IS NOT NULL;
";

fn row_to_shared(r: &rusqlite::Row<'_>) -> rusqlite::Result<SharedDocument> {
    let text: String = r.get(0)?;
    serde_json::from_str(&text).map_err(|_| bad(0, "not a shared document".into()))
}

fn version_of(tx: &Connection, id: &str) -> Result<Option<u64>, StoreError> {
    tx.query_row("SELECT version FROM shared_documents WHERE id = ?1", params![id], |r| r.get::<_, i64>(0))
        .optional()
        .map(|v| v.map(|v| v as u64))
        .map_err(map_err)
}

fn json(d: &SharedDocument) -> String {
    serde_json::to_string(d).expect("a shared document always makes JSON")
}

impl SharedDocumentStore for SqliteStore {
    async fn add_shared(&self, doc: SharedDocument, audit: AuditEntry) -> Result<bool, StoreError> {
        self.run(move |conn| {
            changed_with_audit(conn, &audit, |tx| {
                tx.execute(
                    "INSERT OR IGNORE INTO shared_documents (id, rank, meeting, version, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![doc.id, doc.rank(), doc.meeting, doc.version as i64, json(&doc)],
                )
            })
        })
        .await
    }

    async fn replace_shared(&self, expected_version: u64, new: SharedDocument, audit: AuditEntry) -> Result<(), UpdateError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            if version_of(&tx, &new.id)? != Some(expected_version) {
                return Ok(Err(UpdateError::Conflict));
            }
            tx.execute(
                "UPDATE shared_documents SET rank = ?2, meeting = ?3, version = ?4, record = ?5 WHERE id = ?1",
                params![new.id, new.rank(), new.meeting, new.version as i64, json(&new)],
            )
            .map_err(map_err)?;
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(()))
        })
        .await?
    }

    async fn remove_shared(&self, id: &str, expected_version: u64, audit: AuditEntry) -> Result<(), UpdateError> {
        let id = id.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            if version_of(&tx, &id)? != Some(expected_version) {
                return Ok(Err(UpdateError::Conflict));
            }
            tx.execute("DELETE FROM shared_documents WHERE id = ?1", params![id]).map_err(map_err)?;
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(()))
        })
        .await?
    }

    async fn get_shared(&self, id: &str) -> Result<Option<SharedDocument>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            conn.prepare_cached("SELECT record FROM shared_documents WHERE id = ?1")
                .and_then(|mut st| st.query_row(params![id], row_to_shared).optional())
                .map_err(read_err(|| format!("shared document {id}")))
        })
        .await
    }

    async fn shared_page(&self, q: &SharedQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<SharedDocument>, StoreError> {
        let (low, high) = q.rank_range(cursor);
        let meeting = q.meeting.clone();
        let limit = limit.max(1);
        self.run(move |conn| {
            let sql = "SELECT record FROM shared_documents WHERE rank >= ?1 AND rank < ?2 AND (?3 IS NULL OR meeting = ?3) ORDER BY rank DESC LIMIT ?4";
            let mut st = conn.prepare_cached(sql).map_err(map_err)?;
            let rows = st.query_map(params![low, high, meeting, (limit + 1) as i64], row_to_shared).map_err(map_err)?;
            let mut items = rows.collect::<Result<Vec<_>, _>>().map_err(read_err(|| "shared documents".into()))?;
            let next = (items.len() > limit).then(|| {
                items.truncate(limit);
                items.last().map(SharedDocument::rank)
            });
            Ok(ListPage { items, next: next.flatten() })
        })
        .await
    }
}
