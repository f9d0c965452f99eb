//! Signing in: staff records (`STAFF#`), emailed sign-in links (`SIGNIN#`),
//! sessions (`SESSION#<id hash>`), passkeys (`PASSKEY#<credential id>`) and
//! ceremonies (`CEREMONY#<challenge>`), each item its record's fields. Links,
//! sessions and ceremonies carry the table's TTL (`expires_at`); TTL deletes
//! late, so every read checks `expires_at` itself and every write that
//! depends on one has it in its condition. A person's sessions and passkeys
//! are found through their list, `ACCOUNT#<email key>` (`people.rs`).

use super::people::*;
use super::*;
use crate::records::{Ceremony, Passkey, Session, SignInLink, Staff};
use crate::store::AccountStore;
use aws_sdk_dynamodb::types::ReturnValue;

fn staff_key(email_key: &str) -> String {
    format!("staff {}", crate::store::person_key(email_key))
}

impl DynamoStore {
    async fn sign_in_link(&self, id: &str) -> Result<Option<SignInLink>, StoreError> {
        let Some(i) = self.get(sign_in_pk(id)).await? else { return Ok(None) };
        parse(&i, || sign_in_pk(id)).map(Some)
    }

    /// A new session's items: SESSION#, its place on ACCOUNT#, the replaced one's deletion, the audit line.
    fn session_items(&self, session: &Session, replaces: Option<&str>, audit: Option<&AuditEntry>) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = vec![self.put_new(to_item(session_pk(&session.id_hash), session))?, self.list_item(&session.email_key, SESSIONS, &session.id_hash)?];
        if let Some(old) = replaces.filter(|old| *old != session.id_hash) {
            items.push(self.delete(session_pk(old))?);
        }
        if let Some(a) = audit {
            items.push(self.put(audit_item(a), None)?);
        }
        Ok(items)
    }

    /// Sends a transaction of one change with its audit line: `Ok(false)` when
    /// the first item's condition failed (nothing written).
    pub(super) async fn with_audit(&self, items: Vec<TransactWriteItem>, what: &str) -> Result<bool, StoreError> {
        let mut attempts = Attempts(0);
        loop {
            match self.transact(items.clone()).await? {
                Sent::Done => return Ok(true),
                Sent::Cancelled(r) if failed(&r, 0) => return Ok(false),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, what)),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again(what).await?,
            }
        }
    }
}

impl AccountStore for DynamoStore {
    async fn add_staff(&self, staff: Staff, audit: AuditEntry) -> Result<bool, StoreError> {
        let items = vec![self.put_new(to_item(staff_pk(&staff.email_key), &staff))?, self.put(audit_item(&audit), None)?];
        self.with_audit(items, "the staff record").await
    }

    /// The staff record, the audit line and the end of the person's sessions
    /// in one transaction while they are at most `SESSIONS_PER_TX`; with more,
    /// the record and the audit line first, the sessions right after in batches.
    async fn remove_staff(&self, email_key: &str, audit: AuditEntry) -> Result<bool, StoreError> {
        let staff = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(staff_pk(email_key)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        let before = vec![TransactWriteItem::builder().delete(staff).build()];
        Ok(self.end_sessions_with(email_key, None, before, Some(&audit)).await?.is_some())
    }

    async fn get_staff(&self, email_key: &str) -> Result<Option<Staff>, StoreError> {
        let Some(i) = self.get(staff_pk(email_key)).await? else { return Ok(None) };
        parse(&i, || staff_key(email_key)).map(Some)
    }

    async fn list_staff(&self) -> Result<Vec<Staff>, StoreError> {
        let mut v = Vec::new();
        for i in self.scan("STAFF#").await? {
            let pk = get_s(&i, "pk")?;
            v.push(parse::<Staff>(&i, || staff_key(pk.trim_start_matches("STAFF#")))?);
        }
        v.sort_by(|a, b| a.email_key.cmp(&b.email_key));
        Ok(v)
    }

    async fn put_sign_in_link(&self, link: SignInLink) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(sign_in_pk(&link.id), &link)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Failed("a sign-in link with this id exists already".into()))
            }
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn peek_sign_in_link(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<Option<String>, StoreError> {
        let Some(link) = self.sign_in_link(id).await? else { return Ok(None) };
        let works = link.token_hash == token_hash && !link.used && !decide::retention::due(Some(link.expires_at), now_secs);
        Ok(works.then_some(link.email_key))
    }

    /// The link's conditional update first, then the session's items, in
    /// one transaction: of two uses at once DynamoDB lets one through, and a
    /// transaction that fails writes neither.
    async fn use_sign_in_link(
        &self,
        id: &str,
        token_hash: &str,
        now_secs: i64,
        session: Session,
        replaces: Option<&str>,
        audit: AuditEntry,
    ) -> Result<bool, StoreError> {
        self.prune_now_and_then(&session.email_key).await?;
        let used = Update::builder()
            .table_name(&self.table)
            .key("pk", s(sign_in_pk(id)))
            .update_expression("SET #used = :true")
            .condition_expression("attribute_exists(pk) AND #used = :false AND #token_hash = :hash AND #email_key = :key AND #expires_at > :now")
            .set_expression_attribute_names(Some(names(&[
                ("#used", "used"),
                ("#token_hash", "token_hash"),
                ("#email_key", "email_key"),
                ("#expires_at", "expires_at"),
            ])))
            .set_expression_attribute_values(Some(values(vec![
                (":true", AttributeValue::Bool(true)),
                (":false", AttributeValue::Bool(false)),
                (":hash", s(token_hash)),
                (":key", s(&session.email_key)),
                (":now", n(now_secs)),
            ])))
            .build()
            .map_err(build_err)?;
        let mut items = vec![TransactWriteItem::builder().update(used).build()];
        items.extend(self.session_items(&session, replaces, Some(&audit))?);
        self.with_audit(items, "the sign-in").await
    }

    /// The new SESSION#, listed on its person's ACCOUNT#, the replaced one
    /// deleted (it stays listed until a reader drops it: one item cannot be
    /// added to and taken from in one transaction) and the audit line: one transaction.
    async fn start_session(&self, session: Session, replaces: Option<&str>, audit: Option<AuditEntry>) -> Result<(), StoreError> {
        self.prune_now_and_then(&session.email_key).await?;
        let items = self.session_items(&session, replaces, audit.as_ref())?;
        if self.with_audit(items, "the session").await? { Ok(()) } else { Err(StoreError::Failed("a session with this id exists already".into())) }
    }

    async fn get_session(&self, id_hash: &str, now_secs: i64) -> Result<Option<Session>, StoreError> {
        Ok(self.session(id_hash).await?.filter(|s| !decide::retention::due(Some(s.expires_at), now_secs)))
    }

    async fn touch_session(&self, id_hash: &str, last_used_at: i64, expires_at: i64) -> Result<(), StoreError> {
        let touched = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(session_pk(id_hash)))
            .update_expression("SET #last_used_at = :at, #expires_at = :end")
            // Gone, or expired before this use (TTL has not deleted it yet): it stays gone.
            .condition_expression("attribute_exists(pk) AND #expires_at > :at")
            .set_expression_attribute_names(Some(names(&[("#last_used_at", "last_used_at"), ("#expires_at", "expires_at")])))
            .set_expression_attribute_values(Some(values(vec![(":at", n(last_used_at)), (":end", n(expires_at))])))
            .send()
            .await;
        match touched {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// The item only: its person's list drops it when next read.
    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.client.delete_item().table_name(&self.table).key("pk", s(session_pk(id_hash))).send().await.map_err(sdk_err)?;
        Ok(())
    }

    async fn list_sessions(&self, email_key: &str, now_secs: i64) -> Result<Vec<Session>, StoreError> {
        let listed = self.listed(email_key).await?;
        let mut v: Vec<Session> =
            self.stored_sessions(email_key, &listed).await?.into_iter().filter(|s| !decide::retention::due(Some(s.expires_at), now_secs)).collect();
        v.sort_by(|a, b| b.last_used_at.cmp(&a.last_used_at).then_with(|| a.id_hash.cmp(&b.id_hash)));
        Ok(v)
    }

    async fn end_sessions(&self, email_key: &str, except: Option<&str>, audit: Option<AuditEntry>) -> Result<u32, StoreError> {
        Ok(self.end_sessions_with(email_key, except, Vec::new(), audit.as_ref()).await?.unwrap_or(0))
    }

    async fn add_passkey(&self, passkey: Passkey, audit: AuditEntry) -> Result<(), StoreError> {
        let items = vec![
            self.put_new(to_item(passkey_pk(&passkey.id), &passkey))?,
            self.list_item(&passkey.email_key, PASSKEYS, &passkey.id)?,
            self.put(audit_item(&audit), None)?,
        ];
        if self.with_audit(items, "the passkey").await? { Ok(()) } else { Err(StoreError::Failed("a passkey with this id exists already".into())) }
    }

    async fn get_passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        self.passkey(id).await
    }

    async fn list_passkeys(&self, email_key: &str) -> Result<Vec<Passkey>, StoreError> {
        let listed = self.listed(email_key).await?;
        let mut v = self.stored_passkeys(email_key, &listed).await?;
        v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(v)
    }

    async fn passkey_used(&self, id: &str, credential: &str, at: i64) -> Result<(), StoreError> {
        let used = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(passkey_pk(id)))
            .update_expression("SET #credential = :credential, #last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_names(Some(names(&[("#credential", "credential"), ("#last_used_at", "last_used_at")])))
            .set_expression_attribute_values(Some(values(vec![(":credential", s(credential)), (":at", n(at))])))
            .send()
            .await;
        match used {
            // A passkey removed meanwhile stays removed.
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(()),
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// The PASSKEY# (only if it is this person's) and the audit line in one
    /// transaction; its person's list drops it when next read.
    async fn remove_passkey(&self, email_key: &str, id: &str, audit: AuditEntry) -> Result<bool, StoreError> {
        let del = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(passkey_pk(id)))
            .condition_expression("#email_key = :email_key")
            .set_expression_attribute_names(Some(names(&[("#email_key", "email_key")])))
            .set_expression_attribute_values(Some(values(vec![(":email_key", s(email_key))])))
            .build()
            .map_err(build_err)?;
        let items = vec![TransactWriteItem::builder().delete(del).build(), self.put(audit_item(&audit), None)?];
        self.with_audit(items, "the passkey").await
    }

    async fn put_ceremony(&self, ceremony: Ceremony) -> Result<(), StoreError> {
        self.client.put_item().table_name(&self.table).set_item(Some(to_item(ceremony_pk(&ceremony.id), &ceremony))).send().await.map_err(sdk_err)?;
        Ok(())
    }

    /// A delete that returns what it deleted: of two answers to one challenge, one gets it.
    async fn take_ceremony(&self, id: &str, now_secs: i64) -> Result<Option<Ceremony>, StoreError> {
        let taken = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(ceremony_pk(id)))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match taken {
            Ok(out) => {
                let c: Ceremony = parse(&out.attributes.unwrap_or_default(), || ceremony_pk(id))?;
                Ok((!decide::retention::due(Some(c.expires_at), now_secs)).then_some(c))
            }
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => Ok(None),
            Err(e) => Err(sdk_err(e)),
        }
    }
}
