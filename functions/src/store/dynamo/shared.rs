//! The members' repository: one item per document, `SHARED#<id>`, its
//! record's fields, in the `lists` index under `SHARED` and, when it belongs
//! to a meeting, in `about` under `SHARED#<event id>`, both ranked by
//! `SharedDocument::rank` (its date, then its id). A page is one Query of
//! one partition from the cursor down (newest first), a year a range of
//! ranks; never a Scan. Each change is one transaction with its audit line,
//! a replacement or removal conditional on the `version` read.

use super::*;
use crate::records::SharedDocument;
use crate::store::SharedDocumentStore;
use crate::store::lists::{ListPage, SharedQuery};

const LIST: &str = "SHARED";

fn shared_pk(id: &str) -> String {
    format!("SHARED#{id}")
}

fn meeting_about(event_id: &str) -> String {
    format!("SHARED#{event_id}")
}

fn shared_item(d: &SharedDocument) -> Item {
    let mut keys = vec![(index::LISTS.hash, s(LIST)), (index::LISTS.range, s(d.rank()))];
    if let Some(m) = &d.meeting {
        keys.push((index::ABOUT.hash, s(meeting_about(m))));
    }
    index::with_keys(to_item(shared_pk(&d.id), d), keys)
}

fn item_shared(i: &Item) -> Result<SharedDocument, StoreError> {
    serde_dynamo::from_item(i.clone()).map_err(|_| StoreError::Failed("a stored shared document does not read".into()))
}

impl DynamoStore {
    /// Sends one change with its audit line: false when the first item's condition failed (nothing written).
    async fn shared_change(&self, items: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        let mut attempts = Attempts(0);
        loop {
            match self.transact(items.clone()).await? {
                Sent::Done => return Ok(true),
                Sent::Cancelled(r) if failed(&r, 0) => return Ok(false),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the shared document")),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again("the shared document").await?,
            }
        }
    }

    fn version_is(expected: u64) -> (&'static str, HashMap<String, String>, Item) {
        ("#v = :v", names(&[("#v", "version")]), values(vec![(":v", n(expected))]))
    }
}

impl SharedDocumentStore for DynamoStore {
    async fn add_shared(&self, doc: SharedDocument, audit: AuditEntry) -> Result<bool, StoreError> {
        let items = vec![self.put_new(shared_item(&doc))?, self.put(audit_item(&audit), None)?];
        self.shared_change(items).await
    }

    async fn replace_shared(&self, expected_version: u64, new: SharedDocument, audit: AuditEntry) -> Result<(), UpdateError> {
        let items = vec![self.put(shared_item(&new), Some(DynamoStore::version_is(expected_version)))?, self.put(audit_item(&audit), None)?];
        if self.shared_change(items).await? { Ok(()) } else { Err(UpdateError::Conflict) }
    }

    async fn remove_shared(&self, id: &str, expected_version: u64, audit: AuditEntry) -> Result<(), UpdateError> {
        let (cond, nms, vals) = DynamoStore::version_is(expected_version);
        let del = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(shared_pk(id)))
            .condition_expression(cond)
            .set_expression_attribute_names(Some(nms))
            .set_expression_attribute_values(Some(vals))
            .build()
            .map_err(build_err)?;
        let items = vec![TransactWriteItem::builder().delete(del).build(), self.put(audit_item(&audit), None)?];
        if self.shared_change(items).await? { Ok(()) } else { Err(UpdateError::Conflict) }
    }

    async fn get_shared(&self, id: &str) -> Result<Option<SharedDocument>, StoreError> {
        match self.get(shared_pk(id)).await? {
            Some(i) => item_shared(&i).map(Some),
            None => Ok(None),
        }
    }

    async fn shared_page(&self, q: &SharedQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<SharedDocument>, StoreError> {
        let (ix, part) = match &q.meeting {
            Some(m) => (index::ABOUT, meeting_about(m)),
            None => (index::LISTS, LIST.to_string()),
        };
        let (low, high) = q.rank_range(cursor);
        let limit = limit.max(1);
        let mut items: Vec<SharedDocument> = Vec::new();
        let mut start: Option<Item> = None;
        // BETWEEN takes its upper end; the cursor's own document is skipped here.
        while items.len() <= limit {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(ix.name)
                .key_condition_expression("#h = :h AND #r BETWEEN :lo AND :hi")
                .set_expression_attribute_names(Some(names(&[("#h", ix.hash), ("#r", ix.range)])))
                .set_expression_attribute_values(Some(values(vec![(":h", s(part.clone())), (":lo", s(low.clone())), (":hi", s(high.clone()))])))
                .scan_index_forward(false)
                .limit((limit + 2) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)?;
            for i in out.items.unwrap_or_default() {
                let d = item_shared(&i)?;
                if d.rank() < high {
                    items.push(d);
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        let next = (items.len() > limit).then(|| {
            items.truncate(limit);
            items.last().map(SharedDocument::rank)
        });
        Ok(ListPage { items, next: next.flatten() })
    }
}
