//! Suppressed addresses (`SuppressionStore`): `SUPPRESS#<keyed hash of the
//! address>`, put only if absent in one transaction with its history line,
//! and placed in the `lists` index (partition `SUPPRESS`, ranked by time) for
//! the desk's newest. The key is `PersonKey::suppression_key`: the address is
//! not in the item.

use super::people::parse;
use super::*;
use crate::store::SuppressionStore;
use ccg_forms::decide::suppression::Suppression;

const LIST: &str = "SUPPRESS";

fn suppress_pk(address_key: &str) -> String {
    format!("SUPPRESS#{address_key}")
}

impl SuppressionStore for DynamoStore {
    async fn suppress(&self, email_key: &str, suppression: Suppression, audit: AuditEntry) -> Result<bool, StoreError> {
        let pk = suppress_pk(&self.person_key()?.suppression_key(email_key));
        let mut item = to_item(pk, &suppression);
        item.insert(index::LISTS.hash.into(), s(LIST));
        item.insert(index::LISTS.range.into(), s(suppression.at.to_string()));
        let items = vec![self.put_new(item)?, self.put(audit_item(&audit), None)?];
        let what = "the suppression";
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

    async fn suppression(&self, email_key: &str) -> Result<Option<Suppression>, StoreError> {
        let Some(person_key) = self.person_key.as_ref() else { return Ok(None) };
        let pk = suppress_pk(&person_key.suppression_key(email_key));
        let Some(i) = self.get(pk.clone()).await? else { return Ok(None) };
        parse(&i, || pk).map(Some)
    }

    async fn recent_suppressions(&self, limit: usize) -> Result<Vec<Suppression>, StoreError> {
        let items = self.query_all(index::LISTS, LIST).await?;
        let mut v = items.iter().map(|i| parse(i, || get_s(i, "pk").unwrap_or_default())).collect::<Result<Vec<Suppression>, _>>()?;
        v.reverse();
        v.truncate(limit);
        Ok(v)
    }
}
