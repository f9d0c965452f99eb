//! What is past its retention: a claim's end, and the sweep of what DynamoDB's TTL leaves.

use super::*;

impl RetentionStore for DynamoStore {
    async fn claim_expires_at(&self, id: &str) -> Result<Option<i64>, StoreError> {
        match self.claim_item_of(id).await? {
            Some(item) => get_opt_n(&item, "expires_at"),
            None => Ok(None),
        }
    }

    /// DynamoDB deletes expired items itself (TTL); what is left is to blank
    /// the history lines that name an address which is no longer a contact
    /// (someone who left through a link, which may not Scan), and to delete
    /// such an address's invitations, answers, links and unsubscription.
    async fn sweep(&self, _now_secs: i64) -> Result<Option<Swept>, StoreError> {
        let contacts: std::collections::HashSet<String> = self.scan("CONTACT#").await?.iter().filter_map(|i| get_opt_s(i, "email_key")).collect();
        let mut done = Swept::default();
        for item in self.scan("AUDIT#").await? {
            let Some(subject) = get_opt_s(&item, "subject") else { continue };
            if !subject.contains('@') || contacts.contains(&subject) {
                continue;
            }
            self.blank_subject(&item).await?;
            done.history_lines += 1;
        }
        // The leave links of an address whose contact is gone (a declined
        // contact deleted by TTL) name the address: deleted, but only while
        // the contact is still absent (it may have joined again meanwhile).
        for item in self.scan("LEAVE#").await? {
            let Some(email_key) = get_opt_s(&item, "email_key") else { continue };
            if contacts.contains(&email_key) {
                continue;
            }
            let absent = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(contact_pk(&email_key)))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)?;
            let leave = Delete::builder().table_name(&self.table).key("pk", s(get_s(&item, "pk")?)).build().map_err(build_err)?;
            let items = vec![TransactWriteItem::builder().condition_check(absent).build(), TransactWriteItem::builder().delete(leave).build()];
            if let Sent::Done = self.transact_boxed(items).await? {
                done.leave_links += 1;
            }
        }
        // The invitations of someone who left through a link (which may not Scan) go here.
        Box::pin(self.erase_invitations(|k| !contacts.contains(k))).await?;
        Ok(Some(done))
    }
}
