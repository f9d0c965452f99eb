//! Many records at once, as the store keeps them, for the tests and the
//! benchmark that need thousands (`examples/bench_desk.rs`): BatchWriteItem
//! of the items the store's own builders make, without the decisions and
//! transactions that write them in use.

use super::*;

impl DynamoStore {
    /// Writes the claims (with their claimants' LEAVE# items listing them),
    /// contacts, history lines and yearly counters as they are: nothing is
    /// decided or checked, and nothing else a confirmation writes is (LINK#,
    /// PERSON#, REF#). Not for the functions: for filling a table to measure.
    pub async fn put_records(
        &self,
        claims: &[Claim],
        contacts: &[Contact],
        lines: &[AuditEntry],
        usage: &[(String, i16, YearUsage)],
    ) -> Result<(), StoreError> {
        let mut items: Vec<Item> = Vec::new();
        items.extend(claims.iter().map(claim_item));
        items.extend(contacts.iter().map(contact_item));
        items.extend(lines.iter().map(audit_item));
        for (city_key, year, used) in usage {
            let counter = values(vec![
                ("pk", s(year_pk(city_key, *year))),
                ("trips", n(used.trips)),
                ("cents", n(used.amount.0)),
                ("city_key", s(city_key)),
                ("year", n(year)),
            ]);
            items.push(index::with_keys(counter, index::usage_keys(city_key, *year)));
        }
        let mut by_person: HashMap<&str, Vec<AttributeValue>> = HashMap::new();
        for c in claims {
            by_person.entry(&c.email_key).or_default().push(s(&c.id));
        }
        for (email_key, ids) in by_person {
            items.push(values(vec![
                ("pk", s(leave_pk(&crate::token::leave_id(email_key)))),
                ("email_key", s(email_key)),
                ("claim_ids", AttributeValue::L(ids)),
            ]));
        }
        // As an import writes them (`backup::put_items`).
        self.put_items(items).await
    }
}
