//! A claim's supporting documents: rows of `documents`, deleted with their claim.

use super::*;
use crate::records::{Document, DocumentKind};
use crate::store::{DocumentError, DocumentStore};
use ccg_forms::decide::documents::{self, Admit};
use ccg_model::DocumentLimits;

const DOC_COLUMNS: &str = "claim_id, doc_id, file_name, kind, size, uploaded_at";

fn row_to_document(r: &rusqlite::Row<'_>) -> rusqlite::Result<Document> {
    let kind: String = r.get(3)?;
    Ok(Document {
        claim_id: r.get(0)?,
        id: r.get(1)?,
        file_name: r.get(2)?,
        kind: DocumentKind::parse(&kind).ok_or_else(|| bad(3, "not a document type".into()))?,
        size: u64::try_from(r.get::<_, i64>(4)?).map_err(|_| bad(4, "not a size".into()))?,
        uploaded_at: timestamp(r, 5)?,
    })
}

pub(super) fn documents_of(conn: &Connection, claim_id: &str) -> Result<Vec<Document>, StoreError> {
    let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE claim_id = ?1 ORDER BY seq");
    let mut st = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = st.query_map(params![claim_id], row_to_document).map_err(map_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(read_err(|| claim_id.to_string()))
}

impl DocumentStore for SqliteStore {
    async fn add_document(&self, doc: Document, limits: Option<DocumentLimits>, audit: AuditEntry) -> Result<Admit, DocumentError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(c) = claim(&tx, &doc.claim_id)? else { return Ok(Err(DocumentError::NotFound)) };
            let ids: Vec<String> = documents_of(&tx, &c.id)?.into_iter().map(|d| d.id).collect();
            match documents::admit(c.status, &ids, &doc.id, limits) {
                Err(r) => return Ok(Err(DocumentError::Denied(r))),
                Ok(Admit::Already) => return Ok(Ok(Admit::Already)),
                Ok(Admit::New) => {}
            }
            tx.execute(
                &format!("INSERT INTO documents ({DOC_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                params![doc.claim_id, doc.id, doc.file_name, doc.kind.as_str(), i64::try_from(doc.size).unwrap_or(i64::MAX), doc.uploaded_at.to_string()],
            )
            .map_err(map_err)?;
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(Admit::New))
        })
        .await?
    }

    async fn list_documents(&self, claim_id: &str) -> Result<Vec<Document>, StoreError> {
        let id = claim_id.to_string();
        self.run(move |conn| documents_of(conn, &id)).await
    }
}
