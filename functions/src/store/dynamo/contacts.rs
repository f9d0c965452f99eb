//! Contacts, the secretariat's changes to them, and the hashes of their leave links (LEAVE#).

use super::*;

impl DynamoStore {
    pub(super) async fn contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        self.get(contact_pk(email_key)).await?.as_ref().map(item_contact).transpose()
    }

    /// The contact, if the stored one is still the one read: none (`None`), or that version.
    pub(super) fn put_contact(&self, c: &Contact, read_version: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        match read_version {
            None => self.put_new(contact_item(c)),
            Some(v) => self.put(contact_item(c), Some(("#version = :version", names(&[("#version", "version")]), values(vec![(":version", n(v))])))),
        }
    }

    pub(super) async fn get_contact_in(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        self.contact(email_key).await
    }

    pub(super) async fn list_contacts_in(&self) -> Result<Vec<Contact>, StoreError> {
        let mut v = self.scan("CONTACT#").await?.iter().map(item_contact).collect::<Result<Vec<_>, _>>()?;
        crate::store::sort_contacts(&mut v);
        Ok(v)
    }

    pub(super) async fn update_contact_in(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> Result<(), UpdateError> {
        if new.version != expected_version + 1 {
            return Err(UpdateError::Conflict);
        }
        let items = vec![self.put_contact(&new, Some(expected_version))?, self.put(audit_item(&audit), None)?];
        let mut attempts = Attempts(0);
        loop {
            match self.transact(items.clone()).await? {
                Sent::Done => return Ok(()),
                Sent::Cancelled(r) if failed(&r, 0) => return Err(UpdateError::Conflict),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the change").into()),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again("this contact").await?,
            }
        }
    }

    pub(super) async fn add_leave_link_in(&self, email_key: &str, token_hash: &str) -> Result<bool, StoreError> {
        let is_contact = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(contact_pk(email_key)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        let add = Update::builder()
            .table_name(&self.table)
            .key("pk", s(leave_pk(&crate::token::leave_id(email_key))))
            .update_expression("SET #email_key = :email_key, #hashes = list_append(if_not_exists(#hashes, :empty), :hash)")
            .set_expression_attribute_names(Some(names(&[("#email_key", "email_key"), ("#hashes", "hashes")])))
            .set_expression_attribute_values(Some(values(vec![
                (":email_key", s(email_key)),
                (":empty", AttributeValue::L(Vec::new())),
                (":hash", AttributeValue::L(vec![s(token_hash)])),
            ])))
            .build()
            .map_err(build_err)?;
        let items = vec![TransactWriteItem::builder().condition_check(is_contact).build(), TransactWriteItem::builder().update(add).build()];
        let mut attempts = Attempts(0);
        loop {
            match self.transact_boxed(items.clone()).await? {
                Sent::Done => return Ok(true),
                Sent::Cancelled(r) if failed(&r, 0) => return Ok(false),
                Sent::Cancelled(r) if !conflicted(&r) => return Err(busy(&r, "the leave link")),
                Sent::Cancelled(_) | Sent::InProgress => attempts.again("this contact's leave links").await?,
            }
        }
    }

    pub(super) async fn leave_link_works_in(&self, leave_id: &str, token_hash: &str) -> Result<bool, StoreError> {
        let Some(lv) = self.get_boxed(leave_pk(leave_id)).await? else { return Ok(false) };
        if !get_opt_texts(&lv, "hashes")?.unwrap_or_default().iter().any(|h| h == token_hash) {
            return Ok(false);
        }
        Ok(self.get_boxed(contact_pk(&get_s(&lv, "email_key")?)).await?.is_some())
    }
}
