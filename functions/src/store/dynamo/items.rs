//! Records as items and back: pending submissions, contacts, claims, audit lines, kept answers.

use super::*;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(super) fn usage_of(item: Option<&Item>) -> Result<YearUsage, StoreError> {
    match item {
        Some(i) if i.contains_key("trips") => Ok(YearUsage { trips: get_n(i, "trips")?, amount: Cents(get_n(i, "cents")?) }),
        _ => Ok(YearUsage::default()),
    }
}

/// A record as an item under its key. serde names the attributes; an absent
/// value is an absent attribute (never NULL), as the items always had it.
/// The records hold texts, numbers, dates and lists only, which always make an item.
pub(super) fn to_item<T: Serialize>(pk: String, record: &T) -> Item {
    let mut item: Item = serde_dynamo::to_item(record).expect("a record always makes an item");
    item.retain(|_, v| !matches!(v, AttributeValue::Null(_)));
    item.insert("pk".into(), s(pk));
    item
}

/// The record an item holds. The error names the kind of record only: serde's
/// own message may quote a stored value, and logs carry no personal data.
fn from_item<T: DeserializeOwned>(i: &Item, what: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(i.clone()).map_err(|_| StoreError::Failed(format!("a stored {what} does not read")))
}

/// The attributes of a PENDING# item (its id is in its key).
#[derive(Serialize, Deserialize)]
struct PendingAttrs {
    kind: String,
    email_key: String,
    /// `PendingItem::to_json`.
    item: String,
    token_hashes: Vec<String>,
    created_at: Timestamp,
    expires_at: i64,
    used: bool,
}

pub(super) fn pending_item(p: &Pending) -> Item {
    let attrs = PendingAttrs {
        kind: p.item.kind().into(),
        email_key: p.item.email_key().into(),
        item: p.item.to_json(),
        token_hashes: p.token_hashes.clone(),
        created_at: p.created_at,
        expires_at: p.expires_at,
        used: p.used,
    };
    to_item(pending_pk(&p.id), &attrs)
}

pub(super) fn item_pending(i: &Item) -> Result<Pending, StoreError> {
    let pk = get_s(i, "pk")?;
    let id = pk.strip_prefix("PENDING#").ok_or_else(|| StoreError::Failed("a pending record has a foreign key".into()))?;
    let a: PendingAttrs = from_item(i, "pending record")?;
    Ok(Pending {
        id: id.to_string(),
        item: PendingItem::from_json(&a.item).map_err(StoreError::Failed)?,
        token_hashes: a.token_hashes,
        created_at: a.created_at,
        expires_at: a.expires_at,
        used: a.used,
    })
}

/// A contact, in the desk's lists by its state (`index`).
pub(super) fn contact_item(c: &Contact) -> Item {
    index::with_keys(to_item(contact_pk(&c.details.email_key), c), index::contact_keys(c))
}

pub(super) fn item_contact(i: &Item) -> Result<Contact, StoreError> {
    from_item(i, "contact")
}

/// A claim, in the desk's lists by its state and by its city (`index`).
pub(super) fn claim_item(c: &Claim) -> Item {
    index::with_keys(to_item(claim_pk(&c.id), c), index::claim_keys(c))
}

/// The attribute of a CLAIM# item that lists its documents (a List of Maps, oldest first).
pub(super) const DOCUMENTS: &str = "documents";

/// The attributes of a CLAIM# item that change after its confirmation (by `transition_claim`).
pub(super) const CLAIM_DECISION: [&str; 4] = ["status", "reason", "paid_cents", "paid_on"];

pub(super) fn item_claim(i: &Item) -> Result<Claim, StoreError> {
    from_item(i, "claim")
}

/// A random part in the key keeps two lines written in the same nanosecond apart.
pub(super) fn audit_item(a: &AuditEntry) -> Item {
    audit_item_at(a, audit_pk(a))
}

/// An audit line under a key chosen beforehand (the claim it describes keeps
/// it), in the desk's history and its subject's (`index`).
pub(super) fn audit_item_at(a: &AuditEntry, pk: String) -> Item {
    index::with_keys(to_item(pk, a), index::audit_keys(a))
}

/// A CLAIM# item rewritten whole keeps what `Claim` does not carry: its end, its history's keys and its documents.
pub(super) fn kept_attributes(mut item: Item, read: &Item) -> Item {
    for k in ["expires_at", "audit_keys", DOCUMENTS] {
        if let Some(v) = read.get(k) {
            item.insert(k.into(), v.clone());
        }
    }
    item
}

pub(super) fn item_audit(i: &Item) -> Result<AuditEntry, StoreError> {
    from_item(i, "audit line")
}

pub(super) fn audit_entry(now: Timestamp, actor: &str, action: &str, subject: &str, detail: String) -> AuditEntry {
    AuditEntry { at: now, actor: actor.into(), action: action.into(), subject: subject.into(), detail }
}

pub(super) fn item_kept(i: &Item) -> Result<Kept, StoreError> {
    let request_hash = get_s(i, "request_hash")?;
    let status: u16 = get_n(i, "status")?;
    if status == 0 {
        return Ok(Kept::Pending { request_hash });
    }
    let body = match i.get("body") {
        Some(AttributeValue::B(b)) => b.clone().into_inner(),
        _ => Vec::new(),
    };
    Ok(Kept::Done(StoredAnswer { request_hash, status, content_type: get_s(i, "content_type")?, location: get_opt_s(i, "location"), body }))
}
