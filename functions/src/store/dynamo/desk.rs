//! The desk's lists on DynamoDB, each page from a few Query calls on the
//! indexes (`index`, `query`), never a Scan: the claims of a state (or of a
//! city, when one is asked for), the contacts of a state, the history (or a
//! record's), a year's usage; a person's claims through their LEAVE# item.
//! An index is eventually consistent: a page may miss a change made a moment
//! before (DynamoDB says within a second).

use super::query::{Ask, Filter, Records};
use super::*;
use crate::records::ClaimStatus;
use crate::store::DeskStore;
use crate::store::lists::{self, AuditQuery, ClaimQuery, ContactQuery, ListPage};
use aws_sdk_dynamodb::types::KeysAndAttributes;

fn read_claim(i: &Item) -> Result<Claim, StoreError> {
    item_claim(i).map_err(|_| StoreError::Corrupt(get_opt_s(i, "pk").unwrap_or_default()))
}

fn read_contact(i: &Item) -> Result<Contact, StoreError> {
    // Named by a hash of the address, never the address.
    item_contact(i).map_err(|_| StoreError::Corrupt(format!("contact {}", crate::store::person_key(&get_opt_s(i, "email_key").unwrap_or_default()))))
}

fn read_audit(i: &Item) -> Result<AuditEntry, StoreError> {
    item_audit(i).map_err(|_| StoreError::Corrupt(get_opt_s(i, "pk").unwrap_or_default()))
}

/// A country code in every ASCII letter case, for a filter that cannot
/// ignore case (`eq_ignore_ascii_case`); `None` when too long to say so.
fn every_case(code: &str) -> Option<Vec<String>> {
    let code = code.to_ascii_lowercase();
    if code.len() > 3 {
        return None;
    }
    let mut all = vec![String::new()];
    for ch in code.chars() {
        let cases = if ch.is_ascii_alphabetic() { vec![ch, ch.to_ascii_uppercase()] } else { vec![ch] };
        all = all.iter().flat_map(|p| cases.iter().map(move |c| format!("{p}{c}"))).collect();
    }
    Some(all)
}

fn claims_ask(q: &ClaimQuery) -> Ask {
    let mut filter = Filter::default();
    let (index, parts) = match (&q.city_key, q.status) {
        // A city's claims are few: its partition, with the state as a filter.
        (Some(city), status) => {
            if let Some(st) = status {
                filter.eq("status", s(st.as_str()));
            }
            (index::ABOUT, vec![index::city_about(city)])
        }
        (None, Some(st)) => (index::LISTS, vec![index::claim_list(st)]),
        (None, None) => (index::LISTS, ClaimStatus::ALL.map(index::claim_list).to_vec()),
    };
    if let Some(y) = q.year {
        filter.eq("year", n(y));
    }
    if let Some(e) = &q.event_id {
        filter.eq("event_id", s(e));
    }
    let narrowed = !filter.is_empty();
    Ask { index, parts, filter, narrowed, order: q.order, from: None, before: None }
}

fn contacts_ask(q: &ContactQuery) -> Ask {
    let mut filter = Filter::default();
    if let Some(city) = &q.city {
        // The city as typed is in the search text; `admits` tells it from the rest of that text.
        let (search, key, w) = (filter.name(index::SEARCH), filter.name("city_key"), filter.value(s(lists::fold(city))));
        filter.term(format!("(contains({search}, {w}) OR {key} = {w})"));
    }
    if let Some(cases) = q.country.as_deref().and_then(every_case) {
        let name = filter.name("country");
        let values: Vec<String> = cases.into_iter().map(|c| filter.value(s(c))).collect();
        filter.term(format!("{name} IN ({})", values.join(", ")));
    }
    if let Some(t) = &q.text {
        filter.call("contains", index::SEARCH, &lists::fold(t));
    }
    if q.directory {
        filter.eq("listed", AttributeValue::Bool(true));
    }
    let parts = match q.status {
        Some(st) => vec![index::contact_list(st)],
        // The directory never lists the declined: their partition is not asked.
        None if q.directory => [ContactStatus::Confirmed, ContactStatus::Approved].map(index::contact_list).to_vec(),
        None => [ContactStatus::Confirmed, ContactStatus::Approved, ContactStatus::Declined].map(index::contact_list).to_vec(),
    };
    let narrowed = q.city.is_some() || q.country.is_some() || q.text.is_some() || q.directory;
    Ask { index: index::LISTS, parts, filter, narrowed, order: q.order, from: None, before: None }
}

fn audit_ask(q: &AuditQuery) -> Ask {
    let mut filter = Filter::default();
    if let Some(a) = &q.action {
        filter.call("begins_with", "action", a);
    }
    if let Some(a) = &q.actor {
        filter.call("contains", index::SEARCH, &lists::fold(a));
    }
    let (index, parts) = match &q.subject {
        Some(subject) => (index::ABOUT, vec![index::subject_about(subject)]),
        None => (index::LISTS, vec![index::AUDIT_LIST.to_string()]),
    };
    let (from, before) = q.rank_bounds();
    let narrowed = !filter.is_empty() || from.is_some() || before.is_some();
    Ask { index, parts, filter, narrowed, order: q.order, from, before }
}

impl DeskStore for DynamoStore {
    async fn record_audit(&self, audit: AuditEntry) -> Result<(), StoreError> {
        let item = self.put_new(audit_item(&audit))?;
        match self.transact(vec![item]).await? {
            Sent::Done => Ok(()),
            _ => Err(StoreError::Unavailable("the history line was not written".into())),
        }
    }

    async fn claims_page(&self, q: &ClaimQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Claim>, StoreError> {
        let admits = |c: &Claim| q.admits(c);
        self.page(&claims_ask(q), Records { read: read_claim, rank: lists::claim_rank, admits: &admits }, cursor, limit).await
    }

    async fn contacts_page(&self, q: &ContactQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Contact>, StoreError> {
        let admits = |c: &Contact| q.admits(c);
        self.page(&contacts_ask(q), Records { read: read_contact, rank: lists::contact_rank, admits: &admits }, cursor, limit).await
    }

    async fn audit_page(&self, q: &AuditQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<AuditEntry>, StoreError> {
        let admits = |e: &AuditEntry| q.admits(e);
        self.page(&audit_ask(q), Records { read: read_audit, rank: lists::audit_rank, admits: &admits }, cursor, limit).await
    }

    /// One Query of the `about` index, where a contact is filed under its person key.
    async fn contact_by_person(&self, person_key: &str) -> Result<Option<Contact>, StoreError> {
        let found = self.query_all(index::ABOUT, &index::person_about(person_key)).await?;
        found.first().map(read_contact).transpose()
    }

    /// The claims their LEAVE# item lists (every claim they confirmed), read
    /// together (BatchGetItem, consistent), without those gone or erased since.
    async fn claims_of_person(&self, email_key: &str) -> Result<Vec<Claim>, StoreError> {
        let Some(leave) = self.get(leave_pk(&crate::token::leave_id(email_key))).await? else { return Ok(Vec::new()) };
        let mut ids = get_opt_texts(&leave, "claim_ids")?.unwrap_or_default();
        ids.sort();
        ids.dedup();
        ids.retain(|id| !id.is_empty() && !id.contains('#'));
        let mut claims = Vec::new();
        for chunk in ids.chunks(100) {
            let keys: Vec<Item> = chunk.iter().map(|id| HashMap::from([("pk".to_string(), s(claim_pk(id)))])).collect();
            let mut ask = Some(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().map_err(build_err)?);
            let mut attempts = Attempts(0);
            while let Some(keys) = ask.take() {
                let out = self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(sdk_err)?;
                for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    claims.push(read_claim(&item)?);
                }
                // What DynamoDB left for later (throttling) is asked again.
                ask = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys().is_empty());
                if ask.is_some() {
                    attempts.again("a person's claims").await?;
                }
            }
        }
        claims.retain(|c| c.email_key == email_key);
        claims.sort_by_key(lists::claim_rank);
        Ok(claims)
    }

    async fn usage_of_year(&self, year: i16) -> Result<Vec<(String, YearUsage)>, StoreError> {
        let mut v = Vec::new();
        for item in self.query_all(index::LISTS, &index::usage_list(year)).await? {
            let city_key = get_s(&item, index::LISTS.range)?;
            v.push((city_key, usage_of(Some(&item))?));
        }
        v.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(v)
    }
}
