//! Contacts: a registration confirmed by its link, and the secretariat's changes.

use super::*;

impl DynamoStore {
    pub(super) async fn contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        let Some(item) = self.get(contact_pk(email_key)).await? else { return Ok(None) };
        // Named by a hash of the address, never the address.
        item_contact(&item).map(Some).map_err(|_| StoreError::Corrupt(format!("contact {}", crate::store::person_key(email_key))))
    }

    /// The contact, if the stored one is still the one read: none (`None`), or that version.
    pub(super) fn put_contact(&self, c: &Contact, read_version: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        match read_version {
            None => self.put_new(contact_item(c)),
            Some(v) => self.put(contact_item(c), Some(("#version = :version", names(&[("#version", "version")]), values(vec![(":version", n(v))])))),
        }
    }
}

impl ContactStore for DynamoStore {
    async fn confirm_registration(&self, id: &str, token_hash: &str, now: jiff::Timestamp, now_secs: i64) -> Result<ContactOutcome, ConfirmFailed> {
        let mut attempts = Attempts(0);
        loop {
            let p = self.pending(id, now_secs).await?;
            let details = decide::registration_link(p.as_ref(), token_hash, now_secs)?;
            let old = self.contact(&details.email_key).await?;
            let done = decide::confirm_registration(p.as_ref(), token_hash, old.as_ref(), now, now_secs)?;
            let audit = audit_entry(now, "applicant", done.action(), &done.contact.details.email_key, format!("link {id}"));
            let items = vec![
                self.use_link(id, token_hash, now_secs, None)?,
                self.put_contact(&done.contact, old.as_ref().map(|o| o.version))?,
                self.put(audit_item(&audit), None)?,
            ];
            match self.transact(items).await? {
                Sent::Done => return Ok(done),
                // The link or the contact changed since they were read (another
                // confirmation, the secretariat): read them again and decide again.
                Sent::Cancelled(r) if failed(&r, 0) || failed(&r, 1) || conflicted(&r) => {}
                Sent::Cancelled(r) => return Err(busy(&r, "the confirmation").into()),
                Sent::InProgress => {}
            }
            attempts.again("this contact").await?;
        }
    }

    async fn get_contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        self.contact(email_key).await
    }

    async fn list_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        let mut v = self.scan("CONTACT#").await?.iter().map(item_contact).collect::<Result<Vec<_>, _>>()?;
        crate::store::sort_contacts(&mut v);
        Ok(v)
    }

    async fn update_contact(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> Result<(), UpdateError> {
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
}
