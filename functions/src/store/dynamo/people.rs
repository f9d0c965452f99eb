//! A person's sessions and passkeys, found without a Query or Scan: the table
//! has a hash key only, its indexes are the desk's (and eventually
//! consistent), and the functions that sign people in may not Query, so
//! `ACCOUNT#<email key>` lists them.
//!
//! The list may name more than there is (a session deleted by TTL, ended,
//! or replaced stays listed until a reader drops it), never less: every
//! SESSION# and PASSKEY# item is written in the same transaction that lists it,
//! with `version` raised. What ends several of a person's items at once
//! (`end_sessions`, `remove_staff`, leaving) reads the list and requires, in its
//! transaction, that `version` is still the one read, so a session started in
//! between is not missed: the transaction is cancelled and read again.

use super::*;
use crate::records::{Passkey, Session};
use serde::de::DeserializeOwned;

/// More sessions than this ended at once go in several transactions
/// (DynamoDB takes 100 items per transaction; the rest is the person's
/// index, a staff record and an audit line).
pub(super) const SESSIONS_PER_TX: usize = 90;

/// Every this many listed sessions, a new sign-in first drops those that are gone
/// (read one by one: not on every sign-in of a person with many).
const PRUNE_EVERY: usize = 32;

pub(super) const SESSIONS: &str = "sessions";
pub(super) const PASSKEYS: &str = "passkeys";

pub(super) fn account_pk(email_key: &str) -> String {
    format!("ACCOUNT#{email_key}")
}

pub(super) fn staff_pk(email_key: &str) -> String {
    format!("STAFF#{email_key}")
}

pub(super) fn sign_in_pk(id: &str) -> String {
    format!("SIGNIN#{id}")
}

pub(super) fn session_pk(id_hash: &str) -> String {
    format!("SESSION#{id_hash}")
}

pub(super) fn passkey_pk(id: &str) -> String {
    format!("PASSKEY#{id}")
}

pub(super) fn ceremony_pk(id: &str) -> String {
    format!("CEREMONY#{id}")
}

/// The record an item holds, or `Corrupt(key)`: the key is an id or a hash of an address, never the address.
pub(super) fn parse<T: DeserializeOwned>(i: &Item, key: impl FnOnce() -> String) -> Result<T, StoreError> {
    serde_dynamo::from_item(i.clone()).map_err(|_| StoreError::Corrupt(key()))
}

/// What `ACCOUNT#<email key>` listed when read.
#[derive(Debug, Default)]
pub(super) struct Listed {
    /// `None`: there is no list (the person never had a session or passkey, or it was erased).
    pub(super) version: Option<u64>,
    pub(super) sessions: Vec<String>,
    pub(super) passkeys: Vec<String>,
}

fn texts(i: &Item, k: &str, email_key: &str) -> Result<Vec<String>, StoreError> {
    match i.get(k) {
        None => Ok(Vec::new()),
        Some(AttributeValue::Ss(v)) => Ok(v.clone()),
        Some(_) => Err(StoreError::Corrupt(format!("account {}", crate::store::person_key(email_key)))),
    }
}

impl DynamoStore {
    pub(super) async fn listed(&self, email_key: &str) -> Result<Listed, StoreError> {
        let Some(i) = self.get_boxed(account_pk(email_key)).await? else { return Ok(Listed::default()) };
        let version = get_opt_n(&i, "version").map_err(|_| StoreError::Corrupt(format!("account {}", crate::store::person_key(email_key))))?;
        Ok(Listed { version, sessions: texts(&i, SESSIONS, email_key)?, passkeys: texts(&i, PASSKEYS, email_key)? })
    }

    pub(super) async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let Some(i) = self.get_boxed(session_pk(id_hash)).await? else { return Ok(None) };
        parse(&i, || session_pk(id_hash)).map(Some)
    }

    pub(super) async fn passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        let Some(i) = self.get_boxed(passkey_pk(id)).await? else { return Ok(None) };
        parse(&i, || passkey_pk(id)).map(Some)
    }

    /// The listed sessions that are still stored (expired or not) and are this person's;
    /// those that are gone are dropped from the list on the way.
    pub(super) async fn stored_sessions(&self, email_key: &str, listed: &Listed) -> Result<Vec<Session>, StoreError> {
        let (mut found, mut gone) = (Vec::new(), Vec::new());
        for h in &listed.sessions {
            match self.session(h).await? {
                Some(s) if s.email_key == email_key => found.push(s),
                _ => gone.push(h.clone()),
            }
        }
        self.unlist(email_key, SESSIONS, gone).await?;
        Ok(found)
    }

    /// The listed passkeys that are still stored and this person's (dropping the rest from the list).
    pub(super) async fn stored_passkeys(&self, email_key: &str, listed: &Listed) -> Result<Vec<Passkey>, StoreError> {
        let (mut found, mut gone) = (Vec::new(), Vec::new());
        for id in &listed.passkeys {
            match self.passkey(id).await? {
                Some(p) if p.email_key == email_key => found.push(p),
                _ => gone.push(id.clone()),
            }
        }
        self.unlist(email_key, PASSKEYS, gone).await?;
        Ok(found)
    }

    /// Drops keys whose items are gone from a person's list. Needs no `version`:
    /// a list naming less of what is gone loses nothing. Never creates a list.
    pub(super) async fn unlist(&self, email_key: &str, attr: &str, gone: Vec<String>) -> Result<(), StoreError> {
        if gone.is_empty() {
            return Ok(());
        }
        let done = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(account_pk(email_key)))
            .update_expression("DELETE #list :gone")
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_names(Some(names(&[("#list", attr)])))
            .set_expression_attribute_values(Some(values(vec![(":gone", AttributeValue::Ss(gone))])))
            .send()
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// A new sign-in drops the listed sessions that are gone now and then, so the list stays short.
    pub(super) async fn prune_now_and_then(&self, email_key: &str) -> Result<(), StoreError> {
        let listed = self.listed(email_key).await?;
        if !listed.sessions.is_empty() && listed.sessions.len() % PRUNE_EVERY == 0 {
            self.stored_sessions(email_key, &listed).await?;
        }
        Ok(())
    }

    /// Lists a new item of a person (`attr` is SESSIONS or PASSKEYS), raising `version`.
    pub(super) fn list_item(&self, email_key: &str, attr: &str, key: &str) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(email_key)))
            .update_expression("ADD #list :key, #version :one")
            .set_expression_attribute_names(Some(names(&[("#list", attr), ("#version", "version")])))
            .set_expression_attribute_values(Some(values(vec![(":key", AttributeValue::Ss(vec![key.to_string()])), (":one", n(1))])))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Holds a transaction to the list as read (`version` unchanged: nothing
    /// added since), and drops `sessions` from it.
    pub(super) fn hold_list(&self, email_key: &str, version: Option<u64>, sessions: &[String]) -> Result<TransactWriteItem, StoreError> {
        let (condition, mut vals) = match version {
            Some(v) => ("#version = :version", vec![(":version", n(v))]),
            None => ("attribute_not_exists(#version)", Vec::new()),
        };
        if sessions.is_empty() || version.is_none() {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(account_pk(email_key)))
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names(&[("#version", "version")])))
                .set_expression_attribute_values((!vals.is_empty()).then(|| values(vals)))
                .build()
                .map_err(build_err)?;
            return Ok(TransactWriteItem::builder().condition_check(check).build());
        }
        vals.push((":gone", AttributeValue::Ss(sessions.to_vec())));
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(email_key)))
            .update_expression("DELETE #sessions :gone")
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[("#version", "version"), ("#sessions", SESSIONS)])))
            .set_expression_attribute_values(Some(values(vals)))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    pub(super) fn delete(&self, pk: String) -> Result<TransactWriteItem, StoreError> {
        let del = Delete::builder().table_name(&self.table).key("pk", s(pk)).build().map_err(build_err)?;
        Ok(TransactWriteItem::builder().delete(del).build())
    }

    /// What deletes a person's sessions, passkeys and their list, in a
    /// transaction that also holds the list as read (leaving, `leave.rs`).
    pub(super) async fn account_items(&self, email_key: &str) -> Result<Vec<TransactWriteItem>, StoreError> {
        let listed = self.listed(email_key).await?;
        let mut items = Vec::new();
        for h in &listed.sessions {
            items.push(self.delete(session_pk(h))?);
        }
        for id in &listed.passkeys {
            items.push(self.delete(passkey_pk(id))?);
        }
        let (condition, vals) = match listed.version {
            Some(v) => ("#version = :version", Some(values(vec![(":version", n(v))]))),
            None => ("attribute_not_exists(#version)", None),
        };
        let list = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(email_key)))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names(&[("#version", "version")])))
            .set_expression_attribute_values(vals)
            .build()
            .map_err(build_err)?;
        items.push(TransactWriteItem::builder().delete(list).build());
        Ok(items)
    }

    /// Deletes a person's sessions and passkeys and their list, item by item
    /// (erasure, which is not one transaction either; leaving with more items
    /// than one transaction takes). The list goes last, only if nothing was
    /// added meanwhile; else it is read and done again.
    pub(super) async fn erase_account(&self, email_key: &str) -> Result<(), StoreError> {
        let mut attempts = Attempts(0);
        loop {
            let items = self.account_items(email_key).await?;
            let (list, each) = items.split_last().expect("the list is always one of the items");
            for chunk in each.chunks(SESSIONS_PER_TX) {
                let mut tries = Attempts(0);
                loop {
                    match self.transact_boxed(chunk.to_vec()).await? {
                        Sent::Done => break,
                        Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the erasure of sessions and passkeys")),
                        Sent::Cancelled(_) | Sent::InProgress => Box::pin(tries.again("this person's sessions")).await?,
                    }
                }
            }
            match self.transact_boxed(vec![list.clone()]).await? {
                Sent::Done => return Ok(()),
                Sent::Cancelled(r) if !(failed(&r, 0) || conflicted(&r)) => return Err(busy(&r, "the erasure of sessions and passkeys")),
                Sent::Cancelled(_) | Sent::InProgress => Box::pin(attempts.again("this person's sessions")).await?,
            }
        }
    }

    /// Ends a person's stored sessions but `except`, in one transaction with
    /// `before` (a staff record's removal, whose condition comes first) and
    /// the audit line, holding the list as read. More sessions than one
    /// transaction takes (over `SESSIONS_PER_TX`) end after it, batch after
    /// batch, each dropping its part from the list; then `before` goes with
    /// the audit line (or, without `before`, the audit line with the last batch). Says how many of those ended had not expired,
    /// or `None` when `before`'s condition failed (nothing written).
    pub(super) async fn end_sessions_with(
        &self,
        email_key: &str,
        except: Option<&str>,
        before: Vec<TransactWriteItem>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<u32>, StoreError> {
        let now_secs = jiff::Timestamp::now().as_second();
        let mut attempts = Attempts(0);
        loop {
            let listed = self.listed(email_key).await?;
            let found = self.stored_sessions(email_key, &listed).await?;
            let ending: Vec<&Session> = found.iter().filter(|s| Some(s.id_hash.as_str()) != except).collect();
            let live = ending.iter().filter(|s| !decide::retention::due(Some(s.expires_at), now_secs)).count();
            let live = u32::try_from(live).unwrap_or(u32::MAX);
            let hashes: Vec<String> = ending.iter().map(|s| s.id_hash.clone()).collect();
            let audit_item = audit.map(|a| self.put(audit_item(a), None)).transpose()?;
            if hashes.len() <= SESSIONS_PER_TX {
                let mut items = before.clone();
                items.push(self.hold_list(email_key, listed.version, &hashes)?);
                for h in &hashes {
                    items.push(self.delete(session_pk(h))?);
                }
                items.extend(audit_item);
                match self.transact_boxed(items).await? {
                    Sent::Done => return Ok(Some(live)),
                    Sent::Cancelled(r) if !before.is_empty() && failed(&r, 0) => return Ok(None),
                    // A session was started (or the list changed) since it was read: read again.
                    Sent::Cancelled(r) if failed(&r, before.len()) || conflicted(&r) => {}
                    Sent::Cancelled(r) => return Err(busy(&r, "the end of the sessions")),
                    Sent::InProgress => {}
                }
                Box::pin(attempts.again("this person's sessions")).await?;
                continue;
            }
            // Too many for one transaction: `before` with the audit line first, then the sessions in batches.
            let audit_item = if before.is_empty() {
                audit_item
            } else {
                let mut items = before.clone();
                items.extend(audit_item);
                match self.transact_boxed(items).await? {
                    Sent::Done => None,
                    Sent::Cancelled(r) if failed(&r, 0) => return Ok(None),
                    Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the end of the sessions")),
                    Sent::Cancelled(_) | Sent::InProgress => {
                        Box::pin(attempts.again("this person's sessions")).await?;
                        continue;
                    }
                }
            };
            let batches: Vec<&[String]> = hashes.chunks(SESSIONS_PER_TX).collect();
            for (i, batch) in batches.iter().enumerate() {
                let unlist = Update::builder()
                    .table_name(&self.table)
                    .key("pk", s(account_pk(email_key)))
                    .update_expression("DELETE #sessions :gone")
                    .condition_expression("attribute_exists(pk)")
                    .set_expression_attribute_names(Some(names(&[("#sessions", SESSIONS)])))
                    .set_expression_attribute_values(Some(values(vec![(":gone", AttributeValue::Ss(batch.to_vec()))])))
                    .build()
                    .map_err(build_err)?;
                let mut items = vec![TransactWriteItem::builder().update(unlist).build()];
                for h in *batch {
                    items.push(self.delete(session_pk(h))?);
                }
                if i + 1 == batches.len() {
                    items.extend(audit_item.clone());
                }
                let mut tries = Attempts(0);
                loop {
                    match self.transact_boxed(items.clone()).await? {
                        Sent::Done => break,
                        Sent::Cancelled(r) if conflicted(&r) => {}
                        Sent::Cancelled(r) => return Err(busy(&r, "the end of the sessions")),
                        Sent::InProgress => {}
                    }
                    Box::pin(tries.again("this person's sessions")).await?;
                }
            }
            return Ok(Some(live));
        }
    }
}
