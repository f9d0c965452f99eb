//! What each desk page costs on DynamoDB Local, counted request by request
//! (`DynamoStore::counting`), with 2,000 claims, 1,000 contacts and their
//! history in the table: no Scan, and a few Query calls a page, for the first
//! page and for one further on.

use super::records::{self, YEARS, city_key};
use crate::common::*;
use ccg_functions::records::{ClaimStatus, ContactStatus};
use ccg_functions::store::DeskStore;
use ccg_functions::store::dynamo::{DynamoStore, Requests};
use ccg_functions::store::lists::{AuditQuery, ClaimQuery, ContactQuery, ListPage, Order};
use std::collections::BTreeMap;
use std::future::Future;

const PAGE: usize = 50;

/// The requests of one page, by kind.
fn cost_of(requests: &Requests) -> BTreeMap<String, u64> {
    requests.take()
}

/// Takes the first page and the one after it; checks each cost at most `queries` Query calls and nothing else.
async fn pages<T, F>(requests: &Requests, what: &str, queries: u64, full: bool, page: impl Fn(Option<String>) -> F)
where
    F: Future<Output = ListPage<T>>,
{
    requests.take();
    let mut cursor = None;
    for n in 1..=2 {
        let got = page(cursor.clone()).await;
        let cost = cost_of(requests);
        eprintln!("{what}, page {n}: {} records, {cost:?}", got.items.len());
        assert_eq!(cost.keys().collect::<Vec<_>>(), ["Query"], "{what}, page {n}: only Query calls, never a Scan: {cost:?}");
        assert!(cost["Query"] <= queries, "{what}, page {n}: {cost:?}, more than {queries} Query calls");
        if full {
            assert_eq!(got.items.len(), PAGE, "{what}, page {n}: a full page");
        }
        cursor = got.next;
        if cursor.is_none() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_a_few_queries() {
    let local = DynamoLocal::shared().await;
    let store = local.store("lists-cost").await;
    let r = records::records(2_000, 1_000);
    store.put_records(&r.claims, &r.contacts, &r.lines, &r.usage).await.unwrap();
    let (store, requests): (DynamoStore, Requests) = store.counting();
    let s = &store;

    let counted = &ClaimQuery { status: Some(ClaimStatus::Counted), ..ClaimQuery::default() };
    pages(&requests, "claims counted", 1, true, |c| async move { s.claims_page(counted, c.as_deref(), PAGE).await.unwrap() }).await;
    // Every state: one partition each, merged.
    let any = &ClaimQuery { order: Order::Newest, ..ClaimQuery::default() };
    pages(&requests, "claims of any state", 5, true, |c| async move { s.claims_page(any, c.as_deref(), PAGE).await.unwrap() }).await;
    let city = &ClaimQuery { city_key: Some(city_key(3)), ..ClaimQuery::default() };
    pages(&requests, "claims of a city", 1, false, |c| async move { s.claims_page(city, c.as_deref(), PAGE).await.unwrap() }).await;
    let paid_in = &ClaimQuery { status: Some(ClaimStatus::Paid), year: Some(YEARS[1]), ..ClaimQuery::default() };
    pages(&requests, "claims paid in a year", 3, true, |c| async move { s.claims_page(paid_in, c.as_deref(), PAGE).await.unwrap() }).await;

    let confirmed = &ContactQuery { status: Some(ContactStatus::Confirmed), ..ContactQuery::default() };
    pages(&requests, "contacts confirmed", 1, true, |c| async move { s.contacts_page(confirmed, c.as_deref(), PAGE).await.unwrap() }).await;
    let text = &ContactQuery { text: Some("MÜLLER".into()), ..ContactQuery::default() };
    pages(&requests, "contacts named Müller", 6, true, |c| async move { s.contacts_page(text, c.as_deref(), PAGE).await.unwrap() }).await;
    // A text no one has: the contacts of every state read through, a few calls each.
    let nobody = &ContactQuery { text: Some("nobody has this".into()), ..ContactQuery::default() };
    pages(&requests, "contacts named nobody", 9, false, |c| async move { s.contacts_page(nobody, c.as_deref(), PAGE).await.unwrap() }).await;

    let newest = &AuditQuery { order: Order::Newest, ..AuditQuery::default() };
    pages(&requests, "history, newest first", 1, true, |c| async move { s.audit_page(newest, c.as_deref(), PAGE).await.unwrap() }).await;
    let of_claim = &AuditQuery { subject: Some(r.claims[7].id.clone()), ..AuditQuery::default() };
    pages(&requests, "a claim's history", 1, false, |c| async move { s.audit_page(of_claim, c.as_deref(), PAGE).await.unwrap() }).await;
    let decisions = &AuditQuery { action: Some("claim.".into()), order: Order::Newest, ..AuditQuery::default() };
    pages(&requests, "decisions on claims", 2, true, |c| async move { s.audit_page(decisions, c.as_deref(), PAGE).await.unwrap() }).await;

    requests.take();
    let usage = s.usage_of_year(YEARS[0]).await.unwrap();
    assert_eq!(usage.len(), r.usage.iter().filter(|u| u.1 == YEARS[0]).count());
    assert_eq!(cost_of(&requests), BTreeMap::from([("Query".to_string(), 1)]), "a year's usage");

    let person = &r.claims[0].email_key;
    let theirs = s.claims_of_person(person).await.unwrap();
    assert_eq!(theirs.len(), r.claims.iter().filter(|c| &c.email_key == person).count());
    assert_eq!(cost_of(&requests), BTreeMap::from([("BatchGetItem".to_string(), 1), ("GetItem".to_string(), 1)]), "a person's claims");
}
