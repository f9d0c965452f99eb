//! The store contract, run identically on both stores through the real
//! handler: the embedded SQLite store, and DynamoDB through AWS's DynamoDB
//! Local (started here on a free port, stopped at the end).

mod common;

use common::*;
use ccg_functions::{App, Store, handle};
use ccg_model::Catalogue;
use ccg_model::rules::YearUsage;
use ccg_model::Cents;
use std::future::Future;
use std::sync::Arc;

const REG: &str = "/api/register";
const CLAIMS: &str = "/api/travel-claims";

/// Every case gets a fresh, empty store from `fresh(name)`.
async fn contract<S, F, Fut>(fresh: F)
where
    S: Store,
    F: Fn(String) -> Fut,
    Fut: Future<Output = S>,
{
    register_twice_is_one_contact(fresh("reg".into()).await).await;
    yearly_trips_limit(fresh("trips".into()).await).await;
    yearly_euros_limit(fresh("euros".into()).await).await;
    duplicate_claim(fresh("dup".into()).await).await;
    concurrent_claims_respect_the_trips(fresh("conc-trips".into()).await).await;
    concurrent_claims_respect_the_euros(fresh("conc-euros".into()).await).await;
    concurrent_claims_for_one_event(fresh("conc-event".into()).await).await;
    idempotent_retry_stores_once(fresh("idem".into()).await).await;
    idempotency_marks(fresh("marks".into()).await).await;
}

/// The store side of Idempotency-Key: a mark, an answer, a mark let go after a failure.
async fn idempotency_marks<S: Store>(store: S) {
    use ccg_functions::store::{Kept, StoredAnswer};
    assert_eq!(store.idempotent_start("register", "k", "h1").await.unwrap(), None);
    assert_eq!(store.idempotent_start("register", "k", "h1").await.unwrap(), Some(Kept::Pending { request_hash: "h1".into() }));
    assert_eq!(store.idempotent_start("travel-claims", "k", "h1").await.unwrap(), None, "keys are per endpoint");
    // A 503 lets go of the key, so the retry runs.
    store.idempotent_abandon("register", "k").await.unwrap();
    assert_eq!(store.idempotent_get("register", "k").await.unwrap(), None);
    assert_eq!(store.idempotent_start("register", "k", "h2").await.unwrap(), None);
    let answer = StoredAnswer { request_hash: "h2".into(), status: 303, content_type: String::new(), location: Some("/join/thanks/".into()), body: vec![] };
    store.idempotent_finish("register", "k", answer.clone()).await.unwrap();
    assert_eq!(store.idempotent_start("register", "k", "h2").await.unwrap(), Some(Kept::Done(answer.clone())));
    // Abandon never drops a finished answer.
    store.idempotent_abandon("register", "k").await.unwrap();
    assert_eq!(store.idempotent_get("register", "k").await.unwrap(), Some(Kept::Done(answer)));
}

async fn register_twice_is_one_contact<S: Store>(store: S) {
    let app = app(store, catalogue());
    let first = handle(&app, json_post(REG, registration("Ana.Lopez@Valladolid.es"))).await;
    assert_eq!(first.status(), 201, "{}", body_text(&first));
    let mut again = registration("ana.lopez@VALLADOLID.ES");
    again["position"] = "Head of innovation".into();
    let second = handle(&app, json_post(REG, again.clone())).await;
    assert_eq!(second.status(), 201);
    assert_eq!(first.body(), second.body(), "the answer does not tell a repeat from a new contact");
    let form = handle(&app, form_from_json(REG, &again)).await;
    assert_eq!(form.status(), 303);
    let other = handle(&app, json_post(REG, registration("bob@valladolid.es"))).await;
    assert_ne!(body_json(&other)["id"], body_json(&first)["id"]);

    let all = app.store.list_registrations().await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    let ana = all.iter().find(|r| r.email_key == "ana.lopez@valladolid.es").unwrap();
    assert_eq!(ana.position, "Head of innovation", "a repeat updates the contact");
    assert_eq!(ana.email, "ana.lopez@VALLADOLID.ES");
    assert!(ana.created_at <= ana.updated_at);
    assert_eq!(ana.project.as_deref(), Some("REMOURBAN"));
}

async fn post_claim<S: Store>(app: &App<S>, v: serde_json::Value) -> (u16, serde_json::Value) {
    let r = handle(app, json_post(CLAIMS, v)).await;
    (r.status().as_u16(), body_json(&r))
}

async fn yearly_trips_limit<S: Store>(store: S) {
    let app = app(store, catalogue());
    let (s, b) = post_claim(&app, claim("e1", "450")).await;
    assert_eq!((s, &b["remaining"]), (201, &serde_json::json!({"trips": 1, "euros": "450.00"})), "{b}");
    let (s, b) = post_claim(&app, claim("e2", "300.50")).await;
    assert_eq!((s, &b["remaining"]), (201, &serde_json::json!({"trips": 0, "euros": "149.50"})), "{b}");
    let (s, b) = post_claim(&app, claim("e3", "10")).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("over_yearly_trips")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("2027"), "{b}");
    // Another year is another budget; another city too.
    let (s, b) = post_claim(&app, claim("y2028", "450")).await;
    assert_eq!((s, &b["remaining"]["trips"]), (201, &serde_json::json!(1)), "{b}");
    let (s, _) = post_claim(&app, claim_for("Köln", "DE", "e3", "450")).await;
    assert_eq!(s, 201);
    let (s, b) = post_claim(&app, claim("e4", "450.01")).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("over_per_trip_limit")));

    assert_eq!(app.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 2, amount: Cents(75050) });
    assert_eq!(app.store.year_usage("ES:valladolid", 2028).await.unwrap(), YearUsage { trips: 1, amount: Cents(45000) });
    let claims = app.store.list_claims().await.unwrap();
    assert_eq!(claims.len(), 4);
    assert_eq!(claims[0].city_key, "DE:cologne", "sorted by year, city, event");
    assert_eq!(claims[0].city, "Cologne", "stored as the directory spells it");
}

async fn yearly_euros_limit<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    for (event, euros, status) in [("e1", "400", 201), ("e2", "400", 201), ("e3", "100.01", 409), ("e4", "100", 201), ("e5", "0.01", 409)] {
        let (s, b) = post_claim(&app, claim(event, euros)).await;
        assert_eq!(s, status, "{event} {euros}: {b}");
        if s == 409 {
            assert_eq!(b["reason"], "over_yearly_amount");
            assert!(b["message"].as_str().unwrap().contains("left"), "{b}");
        }
    }
    assert_eq!(app.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 3, amount: Cents(90000) });
}

async fn duplicate_claim<S: Store>(store: S) {
    let app = app(store, catalogue());
    let (s, _) = post_claim(&app, claim_for("Cologne", "DE", "e1", "100")).await;
    assert_eq!(s, 201);
    let (s, b) = post_claim(&app, claim_for("köln", "de", "e1", "50")).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("duplicate_claim")), "{b}");
    // The refused claim counted nothing.
    assert_eq!(app.store.year_usage("DE:cologne", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(10000) });
    let form = handle(&app, form_from_json(CLAIMS, &claim_for("Cologne", "DE", "e1", "100"))).await;
    assert_eq!(form.status(), 409);
    assert!(body_text(&form).contains("already sent a claim for this event"));
}

/// Sends all claims at once from separate tasks; returns the statuses and reasons.
async fn concurrently<S: Store>(app: Arc<App<S>>, claims: Vec<serde_json::Value>) -> Vec<(u16, String)> {
    let tasks: Vec<_> = claims
        .into_iter()
        .map(|c| {
            let app = app.clone();
            tokio::spawn(async move {
                let r = handle(&app, json_post(CLAIMS, c)).await;
                let b = body_json(&r);
                (r.status().as_u16(), b["reason"].as_str().or(b["error"].as_str()).unwrap_or("").to_string())
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn check_concurrent<S: Store>(cat: Catalogue, store: S, n: usize, euros: &str, accepted: usize, refusal: &str, used: YearUsage) {
    let app = Arc::new(app(store, cat));
    let claims = (1..=n).map(|i| claim(&format!("e{i}"), euros)).collect();
    let results = concurrently(app.clone(), claims).await;
    let ok = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(ok, accepted, "{results:?}");
    assert!(results.iter().all(|(s, r)| *s == 201 || (*s == 409 && r == refusal)), "{results:?}");
    let counter = app.store.year_usage("ES:valladolid", 2027).await.unwrap();
    assert_eq!(counter, used);
    let claims = app.store.list_claims().await.unwrap();
    assert_eq!(claims.len(), accepted);
    assert_eq!(claims.iter().map(|c| c.amount.0).sum::<i64>(), used.amount.0, "the counter matches the stored claims");
    assert!(used.amount <= app.catalogue().rules.max_per_year);
}

async fn concurrent_claims_respect_the_trips<S: Store>(store: S) {
    check_concurrent(catalogue(), store, 25, "300", 2, "over_yearly_trips", YearUsage { trips: 2, amount: Cents(60000) }).await;
}

async fn concurrent_claims_respect_the_euros<S: Store>(store: S) {
    let cat = catalogue_with(30, Some(EURO_RULES), false);
    check_concurrent(cat, store, 25, "200", 4, "over_yearly_amount", YearUsage { trips: 4, amount: Cents(80000) }).await;
}

async fn concurrent_claims_for_one_event<S: Store>(store: S) {
    let app = Arc::new(app(store, catalogue()));
    let results = concurrently(app.clone(), (0..20).map(|_| claim("e1", "100")).collect()).await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1, "{results:?}");
    assert!(results.iter().all(|(s, r)| *s == 201 || r == "duplicate_claim"), "{results:?}");
    assert_eq!(app.store.list_claims().await.unwrap().len(), 1);
    assert_eq!(app.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(10000) });
}

async fn idempotent_retry_stores_once<S: Store>(store: S) {
    let app = app(store, catalogue());
    let with_key = |mut r: http::Request<bytes::Bytes>, key: &str| {
        r.headers_mut().insert("idempotency-key", key.parse().unwrap());
        r
    };
    let first = handle(&app, with_key(json_post(CLAIMS, claim("e1", "120")), "k-1")).await;
    assert_eq!(first.status(), 201);
    let retry = handle(&app, with_key(json_post(CLAIMS, claim("e1", "120")), "k-1")).await;
    assert_eq!(retry.status(), 201, "the retry gets the first answer, not a duplicate_claim: {}", body_text(&retry));
    assert_eq!(retry.body(), first.body());
    assert_eq!(retry.headers()["idempotency-replayed"], "true");
    assert_eq!(app.store.list_claims().await.unwrap().len(), 1);
    assert_eq!(app.store.year_usage("ES:valladolid", 2027).await.unwrap().trips, 1);

    let other = handle(&app, with_key(json_post(CLAIMS, claim("e2", "120")), "k-1")).await;
    assert_eq!(other.status(), 422);
    assert_eq!(body_json(&other)["reason"], "idempotency_key_reused");
    assert_eq!(app.store.list_claims().await.unwrap().len(), 1);

    // A plain form retried: the same redirect, one record; the key is per endpoint.
    let form = || with_key(form_from_json(REG, &registration("ana@valladolid.es")), "k-1");
    let a = handle(&app, form()).await;
    let b = handle(&app, form()).await;
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
    assert_eq!(a.headers()["location"], b.headers()["location"]);
    assert_eq!(app.store.list_registrations().await.unwrap().len(), 1);

    // Concurrent retries with one key: one record, and every answer is the first one.
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { handle(&app, with_key(json_post(CLAIMS, claim("e5", "50")), "k-2")).await })
        })
        .collect();
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status(), 201, "{}", body_text(&r));
        bodies.push(r.body().clone());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(app.store.list_claims().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_on_sqlite() {
    contract(|name| async move { sqlite_store(&name) }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_on_dynamodb_local() {
    let local = DynamoLocal::start().await;
    let local = &local;
    contract(|name| async move { local.store(&format!("ccg-{name}")).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_persists_across_restarts() {
    let path = temp_dir("persist").join("forms.sqlite3");
    {
        let app = app(ccg_functions::SqliteStore::open(&path).unwrap(), catalogue());
        assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "450"))).await.status(), 201);
        assert_eq!(handle(&app, json_post(REG, registration("a@b.eu"))).await.status(), 201);
    }
    let app = app(ccg_functions::SqliteStore::open(&path).unwrap(), catalogue());
    assert_eq!(app.store.list_claims().await.unwrap().len(), 1);
    assert_eq!(app.store.list_registrations().await.unwrap().len(), 1);
    let (s, b) = post_claim(&app, claim("e2", "450")).await;
    assert_eq!((s, &b["remaining"]["trips"]), (201, &serde_json::json!(0)));
}
