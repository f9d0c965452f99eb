//! Property tests of the travel rules (issue 12): random sequences of claim
//! confirmations, approvals, rejections, withdrawals and payments by
//! representatives of several cities, for meetings in two years. A small
//! in-memory model predicts every acceptance and refusal (and the contribution
//! granted). First the pure decisions (`ccg_forms::decide`) are driven
//! directly, then both stores, which apply them: after every step, each
//! city's yearly usage equals the model's, stays within the limits of
//! content/data/travel-support.yaml, and (in a store) equals the sum of the
//! store's own counting claims.
//!
//! Cases: 256 on the decisions, 64 on SQLite, 4 on DynamoDB Local (slow);
//! CCG_PROPTEST_CASES=N runs N on each for a longer search.

use crate::common::*;
use ccg_forms::decide;
use ccg_functions::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, DraftClaim, Pending, PendingItem, Registration};
use ccg_functions::store::{ClaimChange, ConfirmError, ConfirmFailed, Store};
use ccg_functions::token;
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};
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

/// A claim of `person` for `event` waiting for its link, and the hash of the link's secret.
fn pending_claim(keys: &[String], rules: &TravelRules, person: usize, event: usize, cents: i64, now_secs: i64) -> (Pending, String) {
    let (email, city, country) = PEOPLE[person];
    let (event_id, year) = EVENTS[event];
    let claim = DraftClaim {
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
    };
    let hash = token::hash_secret("s");
    let pending = Pending {
        id: token::new_id("pnd"),
        item: PendingItem::Claim(claim),
        token_hashes: vec![hash.clone()],
        created_at: "2027-01-10T10:00:00Z".parse().unwrap(),
        expires_at: now_secs + 3600,
        used: false,
    };
    (pending, hash)
}

/// The change an operation asks of claim `c`, and whether its state allows it.
fn change_of(op: &Op, c: &Model, now_secs: i64) -> (ClaimChange, bool) {
    let (from, to, paid): (&[ClaimStatus], _, _) = match op {
        Op::Approve(_) => (&[ClaimStatus::Counted], ClaimStatus::Approved, None),
        Op::Reject(_) => (&[ClaimStatus::Counted, ClaimStatus::Approved], ClaimStatus::Rejected, None),
        Op::Withdraw(_) => (&[ClaimStatus::Counted], ClaimStatus::Withdrawn, None),
        _ => (&[ClaimStatus::Approved], ClaimStatus::Paid, Some((c.amount, date(2027, 4, 1)))),
    };
    let ends = matches!(to, ClaimStatus::Rejected | ClaimStatus::Withdrawn | ClaimStatus::Paid);
    (ClaimChange { from: from.to_vec(), to, reason: None, paid, expires_at: ends.then_some(now_secs + 86_400) }, from.contains(&c.status))
}

/// The approved representative `person`, as a store keeps them.
fn contact(keys: &[String], person: usize) -> Contact {
    let (email, city, country) = PEOPLE[person];
    Contact {
        details: Registration {
            email_key: email.into(),
            name: "Rep".into(),
            email: email.into(),
            city: city.into(),
            country: country.into(),
            organisation: "O".into(),
            position: "P".into(),
            city_status: "fellow".into(),
            project: None,
            listed: false,
        },
        status: ContactStatus::Approved,
        city_key: Some(keys[person].clone()),
        created_at: "2027-01-10T10:00:00Z".parse().unwrap(),
        updated_at: "2027-01-10T10:00:00Z".parse().unwrap(),
        version: 1,
        expires_at: None,
    }
}

/// The operations on the decisions alone, with what a store would keep held
/// in memory: the claims, and each city's usage per year (only ever what a
/// decision said).
fn run_decisions(keys: &[String], rules: &TravelRules, ops: &[Op]) {
    let mut model: Vec<Model> = Vec::new();
    let mut claims: Vec<Claim> = Vec::new();
    let mut used: HashMap<(String, i16), YearUsage> = HashMap::new();
    let now_secs = 1_800_000_000;
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Confirm { person, event, cents } => {
                let expected = predict(&model, rules, person, event, cents);
                let (pending, hash) = pending_claim(keys, rules, person, event, cents, now_secs);
                let PendingItem::Claim(draft) = &pending.item else { unreachable!() };
                let who = contact(keys, person);
                let contribution = format!("ck {} {}", draft.email_key, draft.event_id);
                let facts = decide::ClaimFacts {
                    pending: Some(&pending),
                    meeting_open: true,
                    token_hash: &hash,
                    contact: Some(&who),
                    already_claimed: claims.iter().any(|c| c.email_key == draft.email_key && c.event_id == draft.event_id && c.status.counts()),
                    used: used.get(&(draft.city_key.clone(), draft.year)).copied().unwrap_or_default(),
                    contribution_key: &contribution,
                };
                match (decide::confirm_claim(&facts, rules, "2027-01-10T10:00:00Z".parse().unwrap(), now_secs), expected) {
                    (Ok(o), Ok(amount)) => {
                        assert_eq!(o.claim.amount, amount, "step {step} {op:?}: the contribution");
                        assert_eq!((o.claim.link_id.as_str(), o.claim.status), (pending.id.as_str(), ClaimStatus::Counted));
                        assert_eq!(o.claim.contribution_key, contribution, "step {step}: the counted claim keeps what the rule is held by");
                        model.push(Model { id: o.claim.id.clone(), person, event, amount, status: ClaimStatus::Counted });
                        used.insert((o.claim.city_key.clone(), o.claim.year), o.used);
                        claims.push(o.claim);
                    }
                    (Err(ConfirmError::Refused(r)), Err(e)) => assert_eq!(r, e, "step {step} {op:?}"),
                    (got, expected) => panic!("step {step} {op:?}: the decision was {got:?}, the model expected {expected:?}"),
                }
            }
            Op::Approve(n) | Op::Reject(n) | Op::Withdraw(n) | Op::Pay(n) => {
                if model.is_empty() {
                    continue;
                }
                let i = n % model.len();
                let (change, allowed) = change_of(op, &model[i], now_secs);
                let stored = claims.iter_mut().find(|c| c.id == model[i].id).expect("every counted claim is kept");
                match decide::transition(&change, stored) {
                    Ok((new, gives_back)) if allowed => {
                        assert_eq!(gives_back, stored.status.counts() && !new.status.counts(), "step {step} {op:?}");
                        if gives_back {
                            let u = used.get_mut(&(new.city_key.clone(), new.year)).expect("a counted claim's year has a usage");
                            u.trips -= 1;
                            u.amount = Cents(u.amount.0 - new.amount.0);
                        }
                        *stored = new;
                        model[i].status = change.to;
                    }
                    Err(now) if !allowed => assert_eq!(now, model[i].status, "step {step} {op:?}"),
                    got => panic!("step {step} {op:?} on a {:?} claim: the decision was {got:?}", model[i].status),
                }
            }
        }
        for person in (0..PEOPLE.len()).step_by(2) {
            for year in [2027, 2028] {
                let kept = used.get(&(keys[person].clone(), year)).copied().unwrap_or_default();
                assert_eq!(kept, usage(&model, city_of(person), year), "after step {step} {op:?}: {} {year}", keys[person]);
                assert!(kept.trips <= rules.max_trips_per_year && kept.amount <= rules.max_per_year, "over the limits: {kept:?}");
            }
        }
    }
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
                let (_, city, _) = PEOPLE[person];
                let year = EVENTS[event].1;
                let (pending, hash) = pending_claim(keys, rules, person, event, cents, now_secs);
                let id = pending.id.clone();
                store.put_pending(pending).await.unwrap();
                let open = decide::OpenMeetings::of(EVENTS.iter().map(|e| e.0));
                let got = store.confirm_claim(&id, &hash, rules, &open, "2027-01-10T10:00:00Z".parse().unwrap(), now_secs).await;
                match (got, expected) {
                    (Ok(o), Ok(amount)) => {
                        assert_eq!(o.claim.amount, amount, "step {step} {op:?}: the contribution");
                        model.push(Model { id: o.claim.id.clone(), person, event, amount, status: ClaimStatus::Counted });
                        assert_eq!(o.used, usage(&model, city, year), "step {step} {op:?}: the usage the confirmation reports");
                    }
                    (Err(ConfirmFailed::Denied(ConfirmError::Refused(r))), Err(e)) => assert_eq!(r, e, "step {step} {op:?}"),
                    (got, expected) => panic!("step {step} {op:?}: the store answered {got:?}, the model expected {expected:?}"),
                }
            }
            Op::Approve(n) | Op::Reject(n) | Op::Withdraw(n) | Op::Pay(n) => {
                if model.is_empty() {
                    continue;
                }
                let len = model.len();
                let c = &mut model[n % len];
                let (change, allowed) = change_of(op, c, now_secs);
                let to = change.to;
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
fn the_decisions_keep_the_rules() {
    let rules = catalogue().rules.clone();
    // The directory's keys of the three cities, as `prepared` finds them.
    let keys: Vec<String> = ["ES:valladolid", "ES:valladolid", "GB:nottingham", "GB:nottingham", "BE:seraing", "BE:seraing"].map(String::from).to_vec();
    runner(cases(256))
        .run(&ops(), |ops| {
            run_decisions(&keys, &rules, &ops);
            Ok(())
        })
        .unwrap();
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
