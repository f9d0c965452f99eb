//! Property tests of the travel rules on both stores (issue 12): random
//! sequences of claim confirmations, approvals, rejections, withdrawals and
//! payments by representatives of several cities, for meetings in two years.
//! A small in-memory model predicts every acceptance and refusal (and the
//! contribution granted); after every step, each city's yearly usage in the
//! store equals the model's, stays within the limits of
//! content/data/travel-support.yaml, and equals the sum of the store's own
//! counting claims.
//!
//! Cases: 64 on SQLite, 4 on DynamoDB Local (slow); CCG_PROPTEST_CASES=N
//! runs N on each for a longer search.

mod common;

use ccg_functions::records::{AuditEntry, Claim, ClaimStatus, Pending, PendingItem};
use ccg_functions::store::{ClaimChange, ConfirmError, Store};
use ccg_functions::token;
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};
use common::*;
use jiff::civil::date;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::HashMap;

/// (email, city, country): two representatives for each of three cities.
const PEOPLE: &[(&str, &str, &str)] = &[
    ("a1@valladolid.es", "Valladolid", "ES"),
    ("a2@valladolid.es", "Valladolid", "ES"),
    ("b1@nottingham.gov.uk", "Nottingham", "GB"),
    ("b2@nottingham.gov.uk", "Nottingham", "GB"),
    ("c1@seraing.be", "Seraing", "BE"),
    ("c2@seraing.be", "Seraing", "BE"),
];
/// (event id, year): three meetings in 2027, one in 2028 (see `common::catalogue_with`).
const EVENTS: &[(&str, i16)] = &[("e1", 2027), ("e2", 2027), ("e3", 2027), ("y2028", 2028)];

#[derive(Debug, Clone)]
enum Op {
    /// A person's claim for a meeting, with these costs, confirmed through its link.
    Confirm {
        person: usize,
        event: usize,
        cents: i64,
    },
    /// The n-th claim so far (modulo their number) is approved, rejected, withdrawn or paid.
    Approve(usize),
    Reject(usize),
    Withdraw(usize),
    Pay(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..PEOPLE.len(), 0..EVENTS.len(), prop_oneof![1i64..=60_000, Just(45_000), Just(90_000)])
            .prop_map(|(person, event, cents)| Op::Confirm { person, event, cents }),
        1 => any::<usize>().prop_map(Op::Approve),
        2 => any::<usize>().prop_map(Op::Reject),
        2 => any::<usize>().prop_map(Op::Withdraw),
        1 => any::<usize>().prop_map(Op::Pay),
    ]
}

fn cases(default: u32) -> u32 {
    std::env::var("CCG_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One claim as the model sees it.
#[derive(Debug, Clone)]
struct Model {
    id: String,
    person: usize,
    event: usize,
    amount: Cents,
    status: ClaimStatus,
}

fn city_of(person: usize) -> &'static str {
    PEOPLE[person].1
}

fn usage(model: &[Model], city: &str, year: i16) -> YearUsage {
    let mut u = YearUsage::default();
    for c in model.iter().filter(|c| c.status.counts() && city_of(c.person) == city && EVENTS[c.event].1 == year) {
        u.trips += 1;
        u.amount = Cents(u.amount.0 + c.amount.0);
    }
    u
}

/// What the rules say about a confirmation: the contribution, or the refusal.
fn predict(model: &[Model], rules: &TravelRules, person: usize, event: usize, cents: i64) -> Result<Cents, Refusal> {
    if model.iter().any(|c| c.person == person && c.event == event && c.status.counts()) {
        return Err(Refusal::AlreadyClaimed);
    }
    rules.count(usage(model, city_of(person), EVENTS[event].1), rules.asked(Cents(cents))).map(|(amount, _)| amount)
}

fn audit(what: &str, id: &str) -> AuditEntry {
    AuditEntry { at: "2027-01-10T10:00:00Z".parse().unwrap(), actor: "props".into(), action: what.into(), subject: id.into(), detail: String::new() }
}

/// A store with the six representatives approved; their city keys.
async fn prepared<S: Store>(store: S) -> (ccg_functions::App<S>, Vec<String>) {
    let app = app(store, catalogue_with(3, None, false));
    let mut keys = Vec::new();
    for (email, city, country) in PEOPLE {
        representative(&app, email, city, country).await;
        let c = app.forms.store.get_contact(email).await.unwrap().unwrap();
        keys.push(c.city_key.unwrap());
    }
    (app, keys)
}

async fn run_case<S: Store>(store: &S, keys: &[String], rules: &TravelRules, ops: &[Op]) {
    let mut model: Vec<Model> = Vec::new();
    let now_secs = jiff::Timestamp::now().as_second();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Confirm { person, event, cents } => {
                let expected = predict(&model, rules, person, event, cents);
                let (email, city, country) = PEOPLE[person];
                let (event_id, year) = EVENTS[event];
                let id = token::new_id("pnd");
                let claim = Claim {
                    id: token::new_id("clm"),
                    name: "Rep".into(),
                    email: email.into(),
                    email_key: email.into(),
                    city: city.into(),
                    city_key: keys[person].clone(),
                    country: country.into(),
                    event_id: event_id.into(),
                    year,
                    travel_start: date(2027, 3, 15),
                    travel_end: date(2027, 3, 17),
                    amount: rules.asked(Cents(cents)),
                    transport: Cents(cents),
                    accommodation: Cents(0),
                    created_at: "2027-01-10T10:00:00Z".parse().unwrap(),
                    confirmed_at: None,
                    status: ClaimStatus::Counted,
                    link_id: String::new(),
                    link_hashes: Vec::new(),
                    reason: None,
                    paid: None,
                    paid_on: None,
                };
                let hash = token::hash_secret("s");
                let pending = Pending {
                    id: id.clone(),
                    item: PendingItem::Claim(claim),
                    token_hashes: vec![hash.clone()],
                    created_at: "2027-01-10T10:00:00Z".parse().unwrap(),
                    expires_at: now_secs + 3600,
                    used: false,
                };
                store.put_pending(pending).await.unwrap();
                let got = store.confirm_claim(&id, &hash, rules, "2027-01-10T10:00:00Z".parse().unwrap(), now_secs).await;
                match (got, expected) {
                    (Ok(o), Ok(amount)) => {
                        assert_eq!(o.claim.amount, amount, "step {step} {op:?}: the contribution");
                        model.push(Model { id: o.claim.id.clone(), person, event, amount, status: ClaimStatus::Counted });
                        assert_eq!(o.used, usage(&model, city, year), "step {step} {op:?}: the usage the confirmation reports");
                    }
                    (Err(ConfirmError::Refused(r)), Err(e)) => assert_eq!(r, e, "step {step} {op:?}"),
                    (got, expected) => panic!("step {step} {op:?}: the store answered {got:?}, the model expected {expected:?}"),
                }
            }
            Op::Approve(n) | Op::Reject(n) | Op::Withdraw(n) | Op::Pay(n) => {
                if model.is_empty() {
                    continue;
                }
                let len = model.len();
                let c = &mut model[n % len];
                let (from, to, paid): (&[ClaimStatus], _, _) = match op {
                    Op::Approve(_) => (&[ClaimStatus::Counted], ClaimStatus::Approved, None),
                    Op::Reject(_) => (&[ClaimStatus::Counted, ClaimStatus::Approved], ClaimStatus::Rejected, None),
                    Op::Withdraw(_) => (&[ClaimStatus::Counted], ClaimStatus::Withdrawn, None),
                    _ => (&[ClaimStatus::Approved], ClaimStatus::Paid, Some((c.amount, date(2027, 4, 1)))),
                };
                let allowed = from.contains(&c.status);
                let ends = matches!(to, ClaimStatus::Rejected | ClaimStatus::Withdrawn | ClaimStatus::Paid);
                let change = ClaimChange { from: from.to_vec(), to, reason: None, paid, expires_at: ends.then_some(now_secs + 86_400) };
                let got = store.transition_claim(&c.id, change, audit("props", &c.id)).await;
                match got {
                    Ok(new) if allowed => {
                        assert_eq!(new.status, to, "step {step} {op:?}");
                        c.status = to;
                    }
                    Err(ccg_functions::store::TransitionError::Conflict(s)) if !allowed => assert_eq!(s, c.status, "step {step} {op:?}"),
                    got => panic!("step {step} {op:?} on a {:?} claim: the store answered {got:?}", c.status),
                }
            }
        }
        check(store, rules, &model, keys, step, op).await;
    }
}

/// The usage of every city and year: the model's, within the limits, the sum of the stored counting claims.
async fn check<S: Store>(store: &S, rules: &TravelRules, model: &[Model], keys: &[String], step: usize, op: &Op) {
    let claims = store.list_claims().await.unwrap();
    let mut summed: HashMap<(String, i16), YearUsage> = HashMap::new();
    for c in claims.iter().filter(|c| c.status.counts()) {
        let u = summed.entry((c.city_key.clone(), c.year)).or_default();
        u.trips += 1;
        u.amount = Cents(u.amount.0 + c.amount.0);
    }
    for person in (0..PEOPLE.len()).step_by(2) {
        for year in [2027, 2028] {
            let key = &keys[person];
            let stored = store.year_usage(key, year).await.unwrap();
            let expected = usage(model, city_of(person), year);
            assert_eq!(stored, expected, "after step {step} {op:?}: {key} {year}, store vs model");
            assert!(stored.trips <= rules.max_trips_per_year && stored.amount <= rules.max_per_year, "over the limits: {stored:?}");
            assert_eq!(summed.get(&(key.clone(), year)).copied().unwrap_or_default(), stored, "after step {step} {op:?}: {key} {year}, the claims' sum");
        }
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, max_shrink_iters: 64, failure_persistence: None, ..Config::default() })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..30)
}

#[test]
fn the_rules_hold_on_sqlite() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rules = catalogue().rules.clone();
    runner(cases(64))
        .run(&ops(), |ops| {
            rt.block_on(async {
                let (app, keys) = prepared(sqlite_store("props")).await;
                run_case(&app.forms.store, &keys, &rules, &ops).await;
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_rules_hold_on_dynamodb() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rules = catalogue().rules.clone();
    let local = rt.block_on(DynamoLocal::start());
    let n = std::sync::atomic::AtomicUsize::new(0);
    runner(cases(4))
        .run(&ops(), |ops| {
            let table = format!("props-{}", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
            rt.block_on(async {
                let (app, keys) = prepared(local.store(&table).await).await;
                run_case(&app.forms.store, &keys, &rules, &ops).await;
            });
            Ok(())
        })
        .unwrap();
}
