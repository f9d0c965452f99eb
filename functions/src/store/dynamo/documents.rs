//! A claim's supporting documents: the `documents` List of its CLAIM# item,
//! so they live and go with the claim (its TTL, leaving, erasure) without
//! items of their own. Appended by one transaction with the audit line,
//! conditional on the claim's state and list as read.

use super::*;
use crate::records::{ClaimStatus, Document};
use crate::store::{DocumentError, DocumentStore};
use ccg_forms::decide::documents::{self, Admit};
use ccg_model::DocumentLimits;

/// The attributes of one document in the list (its claim is the item's).
#[derive(serde::Serialize, serde::Deserialize)]
struct DocAttrs {
    id: String,
    file_name: String,
    kind: crate::records::DocumentKind,
    size: u64,
    uploaded_at: jiff::Timestamp,
}

fn documents_of(item: &Item, claim_id: &str) -> Result<Vec<Document>, StoreError> {
    let Some(AttributeValue::L(list)) = item.get(DOCUMENTS) else { return Ok(Vec::new()) };
    list.iter()
        .map(|v| {
            let a: DocAttrs = serde_dynamo::from_attribute_value(v.clone()).map_err(|_| StoreError::Corrupt(claim_id.to_string()))?;
            Ok(Document { claim_id: claim_id.to_string(), id: a.id, file_name: a.file_name, kind: a.kind, size: a.size, uploaded_at: a.uploaded_at })
        })
        .collect()
}

fn doc_value(d: &Document) -> AttributeValue {
    let a = DocAttrs { id: d.id.clone(), file_name: d.file_name.clone(), kind: d.kind, size: d.size, uploaded_at: d.uploaded_at };
    serde_dynamo::to_attribute_value(a).expect("a document always makes an attribute")
}

impl DynamoStore {
    fn add_document_items(&self, doc: &Document, status: ClaimStatus, count: usize, audit: &AuditEntry) -> Result<Vec<TransactWriteItem>, StoreError> {
        let audit_key = audit_pk(audit);
        let list_as_read = if count == 0 { "attribute_not_exists(#docs)" } else { "size(#docs) = :n" };
        let mut vals = vec![
            (":status", s(status.as_str())),
            (":empty", AttributeValue::L(Vec::new())),
            (":doc", AttributeValue::L(vec![doc_value(doc)])),
            (":akey", AttributeValue::L(vec![s(&audit_key)])),
        ];
        if count > 0 {
            vals.push((":n", n(count)));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(claim_pk(&doc.claim_id)))
            .update_expression("SET #docs = list_append(if_not_exists(#docs, :empty), :doc), #akeys = list_append(if_not_exists(#akeys, :empty), :akey)")
            .condition_expression(format!("attribute_exists(pk) AND #status = :status AND {list_as_read}"))
            .set_expression_attribute_names(Some(names(&[("#docs", DOCUMENTS), ("#akeys", "audit_keys"), ("#status", "status")])))
            .set_expression_attribute_values(Some(values(vals)))
            .build()
            .map_err(build_err)?;
        Ok(vec![TransactWriteItem::builder().update(update).build(), self.put_new(audit_item_at(audit, audit_key))?])
    }
}

impl DocumentStore for DynamoStore {
    async fn add_document(&self, doc: Document, limits: Option<DocumentLimits>, audit: AuditEntry) -> Result<Admit, DocumentError> {
        let mut attempts = Attempts(0);
        loop {
            let Some(item) = self.claim_item_of(&doc.claim_id).await? else { return Err(DocumentError::NotFound) };
            let claim = item_claim(&item)?;
            let ids: Vec<String> = documents_of(&item, &claim.id)?.into_iter().map(|d| d.id).collect();
            match documents::admit(claim.status, &ids, &doc.id, limits).map_err(DocumentError::Denied)? {
                Admit::Already => return Ok(Admit::Already),
                Admit::New => {}
            }
            let items = self.add_document_items(&doc, claim.status, ids.len(), &audit)?;
            match self.transact_boxed(items).await? {
                Sent::Done => return Ok(Admit::New),
                // The claim changed since the read (its state, another document): decide again.
                Sent::Cancelled(r) if failed(&r, 0) || conflicted(&r) => attempts.again("the claim").await?,
                Sent::InProgress => attempts.again("the claim").await?,
                Sent::Cancelled(r) => return Err(busy(&r, "the document").into()),
            }
        }
    }

    async fn list_documents(&self, claim_id: &str) -> Result<Vec<Document>, StoreError> {
        match self.claim_item_of(claim_id).await? {
            Some(item) => documents_of(&item, claim_id),
            None => Ok(Vec::new()),
        }
    }
}
