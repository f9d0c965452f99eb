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
        self.with_audit(items, "the suppression").await
    }

    async fn suppression(&self, email_key: &str) -> Result<Option<Suppression>, StoreError> {
        let Some(person_key) = self.person_key.as_ref() else { return Ok(None) };
        let pk = suppress_pk(&person_key.suppression_key(email_key));
        let Some(i) = self.get(pk.clone()).await? else { return Ok(None) };
        parse(&i, || pk).map(Some)
    }

    async fn lift_suppression(&self, email_key: &str, audit: AuditEntry) -> Result<bool, StoreError> {
        let pk = suppress_pk(&self.person_key()?.suppression_key(email_key));
        let delete = Delete::builder().table_name(&self.table).key("pk", s(pk)).condition_expression("attribute_exists(pk)").build().map_err(build_err)?;
        let items = vec![TransactWriteItem::builder().delete(delete).build(), self.put(audit_item(&audit), None)?];
        self.with_audit(items, "lifting the suppression").await
    }

    async fn recent_suppressions(&self, limit: usize) -> Result<Vec<Suppression>, StoreError> {
        let items = self.query_all(index::LISTS, LIST).await?;
        let mut v = items.iter().map(|i| parse(i, || get_s(i, "pk").unwrap_or_default())).collect::<Result<Vec<Suppression>, _>>()?;
        v.reverse();
        v.truncate(limit);
        Ok(v)
    }
}
