//! The desk's lists a page at a time (issue 20), on both stores: random
//! contacts, claims and history lines made through the stores' own write
//! paths (confirmations, the desk's decisions, notes, erasure), then random
//! questions, every page of each walked with its cursor: each page must be
//! what `lists::page_of` answers over everything the store holds. Then what
//! a page costs on DynamoDB Local (`cost`), and the table's definition in
//! code and in infra/template.yaml (`table`).
//!
//! Cases: 64 on SQLite, 3 on DynamoDB Local; CCG_PROPTEST_CASES=N runs N on each.

use crate::common::*;
use ccg_functions::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, DraftClaim, Pending, PendingItem, Registration};
use ccg_functions::store::lists::{self, AuditQuery, ClaimQuery, ContactQuery, Order};
use ccg_functions::store::{ClaimChange, OpenMeetings, Store, StoreError};
use ccg_functions::token;
use ccg_model::{Cents, TravelRules};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[cfg(feature = "dynamodb")]
mod cost;
#[cfg(feature = "dynamodb")]
pub mod records;
#[cfg(feature = "dynamodb")]
mod table;

/// (address as typed, name, city as typed, country as typed).
const PEOPLE: [(&str, &str, &str, &str); 5] = [
    ("Ana@Valladolid.es", "Ana López", "Valladolid", "ES"),
    ("bea@koeln.de", "BEA ÑÚÑEZ", "Köln", "de"),
    ("cai@tepebasi.tr", "Cai Σίσυφος", " Tepebaşı ", "Tr"),
    ("dan@valladolid.es", "Dan", "valladolid", "es"),
    ("eva@x.eu", "Éva Ørsted", "Ørsted", "DK"),
];
const CITIES: [&str; 3] = ["ES:valladolid", "DE:koln", "TR:tepebasi"];
const EVENTS: [(&str, i16); 4] = [("e1", 2027), ("e2", 2027), ("e3", 2028), ("e4", 2028)];
const ACTORS: [&str; 3] = ["Éva Desk", "BOB", "applicant"];
const ACTIONS: [&str; 3] = ["claim.note", "contact.note", "export"];

#[derive(Debug, Clone)]
enum Op {
    /// A person registers, or changes their details, through a confirmed link.
    Register(usize),
    /// The desk approves a person for a city, or declines them.
    Approve(usize, usize),
    Decline(usize),
    /// A person claims for a meeting, confirmed through its link (refused unless they represent a city).
    Claim(usize, usize, i64),
    /// The n-th claim so far goes to a state, if it may.
    Decide(usize, ClaimStatus),
    /// A history line of its own: actor, action, subject (a person, a claim, or an export).
    Note(usize, usize, usize),
    Erase(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..PEOPLE.len()).prop_map(Op::Register),
        2 => (0..PEOPLE.len(), 0..CITIES.len()).prop_map(|(p, c)| Op::Approve(p, c)),
        1 => (0..PEOPLE.len()).prop_map(Op::Decline),
        8 => (0..PEOPLE.len(), 0..EVENTS.len(), 1i64..60_000).prop_map(|(p, e, c)| Op::Claim(p, e, c)),
        4 => (any::<usize>(), prop::sample::select(ClaimStatus::ALL.to_vec())).prop_map(|(n, s)| Op::Decide(n, s)),
        2 => (0..ACTORS.len(), 0..ACTIONS.len(), any::<usize>()).prop_map(|(a, b, c)| Op::Note(a, b, c)),
        1 => (0..PEOPLE.len()).prop_map(Op::Erase),
    ]
}

/// The instant of step `i`: apart by more than a microsecond (a rank's grain), not in whole seconds.
fn clock(i: usize) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(1_798_000_000_000_000 + i64::try_from(i).unwrap() * 1_234_567).unwrap()
}

fn rules() -> TravelRules {
    let text = "max_per_trip: 450\nmax_trips_per_year: 1000\nmax_per_year: 1000000\n\
        eligible_cities:\n  - {role: lighthouse, project_ended: true}\n\
        eligible_formats: [physical]\nrequire_announced: true\n\
        claim_form: {days_after_meeting: 60, travel_days_before: 3, travel_days_after: 3}\n";
    TravelRules::parse(std::path::Path::new("t.yaml"), text).unwrap()
}

fn key(person: usize) -> String {
    PEOPLE[person].0.to_lowercase()
}

fn note(at: jiff::Timestamp, actor: &str, action: &str, subject: &str) -> AuditEntry {
    AuditEntry { at, actor: actor.into(), action: action.into(), subject: subject.into(), detail: format!("{action} at {at}") }
}

/// Runs `ops` on `store` through its write paths; the ids of the claims it counted.
async fn fill<S: Store>(store: &S, ops: &[Op]) -> Vec<String> {
    let now_secs = jiff::Timestamp::now().as_second();
    let hash = token::hash_secret("s");
    let mut claims: Vec<String> = Vec::new();
    // Everyone registered, four of them representatives, before what the case does.
    let prelude = (0..PEOPLE.len()).map(Op::Register).chain((0..4).map(|p| Op::Approve(p, p % CITIES.len())));
    let ops: Vec<Op> = prelude.chain(ops.iter().cloned()).collect();
    for (step, op) in ops.iter().enumerate() {
        let at = clock(step);
        match *op {
            Op::Register(p) => {
                let (email, name, city, country) = PEOPLE[p];
                let r = Registration {
                    email_key: key(p),
                    name: format!("{name} {}", step % 3),
                    email: email.into(),
                    city: city.into(),
                    country: country.into(),
                    organisation: "Ayuntamiento".into(),
                    position: "Officer".into(),
                    city_status: "lighthouse".into(),
                    project: None,
                    listed: false,
                };
                let id = token::new_id("pnd");
                let pending = Pending {
                    id: id.clone(),
                    item: PendingItem::Registration(r),
                    token_hashes: vec![hash.clone()],
                    created_at: at,
                    expires_at: now_secs + 3600,
                    used: false,
                };
                store.put_pending(pending).await.unwrap();
                store.confirm_registration(&id, &hash, at, now_secs).await.unwrap();
            }
            Op::Approve(p, _) | Op::Decline(p) => {
                let Some(old) = store.get_contact(&key(p)).await.unwrap() else { continue };
                let (status, city_key, expires_at, action) = match *op {
                    Op::Approve(_, c) => (ContactStatus::Approved, Some(CITIES[c].to_string()), None, "contact.approved"),
                    _ => (ContactStatus::Declined, None, Some(now_secs + 86_400 * 365), "contact.declined"),
                };
                let new = Contact { status, city_key, expires_at, updated_at: at, version: old.version + 1, ..old.clone() };
                store.update_contact(old.version, new, note(at, "Éva Desk", action, &key(p))).await.unwrap();
            }
            Op::Claim(p, e, cents) => {
                let Some(who) = store.get_contact(&key(p)).await.unwrap() else { continue };
                let (event, year) = EVENTS[e];
                let draft = DraftClaim {
                    id: token::new_id("clm"),
                    name: who.details.name.clone(),
                    email: who.details.email.clone(),
                    email_key: key(p),
                    city: who.details.city.clone(),
                    city_key: who.city_key.clone().unwrap_or_else(|| CITIES[0].into()),
                    country: who.details.country.clone(),
                    event_id: event.into(),
                    year,
                    travel_start: jiff::civil::date(year, 3, 15),
                    travel_end: jiff::civil::date(year, 3, 17),
                    amount: Cents(cents),
                    transport: Cents(cents),
                    accommodation: Cents(0),
                    // Sent a while before it is counted, in another order than the steps.
                    created_at: clock((step * 7919) % 1000),
                };
                let id = token::new_id("pnd");
                let pending = Pending {
                    id: id.clone(),
                    item: PendingItem::Claim(draft),
                    token_hashes: vec![hash.clone()],
                    created_at: at,
                    expires_at: now_secs + 3600,
                    used: false,
                };
                store.put_pending(pending).await.unwrap();
                let open = OpenMeetings::of(EVENTS.iter().map(|e| e.0));
                if let Ok(done) = store.confirm_claim(&id, &hash, &rules(), &open, at, now_secs).await {
                    claims.push(done.claim.id);
                }
            }
            Op::Decide(n, to) => {
                if claims.is_empty() {
                    continue;
                }
                let id = &claims[n % claims.len()];
                let from = match to {
                    ClaimStatus::Counted => continue,
                    ClaimStatus::Approved | ClaimStatus::Withdrawn => vec![ClaimStatus::Counted],
                    ClaimStatus::Paid => vec![ClaimStatus::Approved],
                    ClaimStatus::Rejected => vec![ClaimStatus::Counted, ClaimStatus::Approved],
                };
                let paid = (to == ClaimStatus::Paid).then(|| (Cents(100), jiff::civil::date(2027, 4, 1)));
                let ends = matches!(to, ClaimStatus::Paid | ClaimStatus::Rejected | ClaimStatus::Withdrawn);
                let change = ClaimChange { from, to, reason: None, paid, expires_at: ends.then_some(now_secs + 86_400 * 365) };
                let _ = store.transition_claim(id, change, note(at, "BOB", &format!("claim.{}", to.as_str()), id)).await;
            }
            Op::Note(a, b, c) => {
                let subject = match c % 3 {
                    0 => key(c % PEOPLE.len()),
                    1 if !claims.is_empty() => claims[c % claims.len()].clone(),
                    _ => "export:claims".into(),
                };
                store.record_audit(note(at, ACTORS[a], ACTIONS[b], &subject)).await.unwrap();
            }
            Op::Erase(p) => {
                store.erase(&key(p), note(at, "Éva Desk", "person.erased", "")).await.unwrap();
            }
        }
    }
    claims
}

/// A question of each kind, with the page size to walk it by.
#[derive(Debug, Clone)]
struct Questions {
    claims: (ClaimQuery, usize),
    contacts: (ContactQuery, usize),
    audit: (AuditQuery, usize),
    /// Which record's history: an index into the subjects the store holds.
    subject: Option<usize>,
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![Just(Order::Oldest), Just(Order::Newest)]
}

fn pick<T: Clone + std::fmt::Debug + 'static>(values: &[T]) -> impl Strategy<Value = Option<T>> + use<T> {
    prop::option::of(prop::sample::select(values.to_vec()))
}

fn questions() -> impl Strategy<Value = Questions> {
    let claims = (pick(&ClaimStatus::ALL), pick(&["ES:valladolid", "DE:koln", "XX:none"]), pick(&[2027i16, 2028]), pick(&["e1", "e3"]), order())
        .prop_map(|(status, city, year, event, order)| ClaimQuery { status, city_key: city.map(String::from), year, event_id: event.map(String::from), order });
    let statuses = [ContactStatus::Confirmed, ContactStatus::Approved, ContactStatus::Declined];
    let contacts = (
        pick(&statuses),
        pick(&["VALLADOLID", "köln", "tepebaşı", "de:koln"]),
        pick(&["es", "DE", "x"]),
        pick(&["an", "ÑÚ", "@", "σ", "zzz"]),
        any::<bool>(),
        order(),
    )
        .prop_map(|(status, city, country, text, directory, order)| ContactQuery {
            status,
            city: city.map(String::from),
            country: country.map(String::from),
            text: text.map(String::from),
            directory,
            order,
        });
    let instant =
        prop::option::of((0usize..60, any::<bool>()).prop_map(|(i, exact)| if exact { clock(i) } else { clock(i) + jiff::SignedDuration::from_micros(1) }));
    let audit = (pick(&["éva", "BOB", "x"]), pick(&["claim.", "contact.", "export"]), instant.clone(), instant, order()).prop_map(
        |(actor, action, since, until, order)| AuditQuery {
            actor: actor.map(String::from),
            action: action.map(String::from),
            subject: None,
            since,
            until,
            order,
        },
    );
    (claims, 1usize..7, contacts, 1usize..7, audit, 1usize..7, prop::option::of(any::<usize>())).prop_map(|(cq, cl, kq, kl, aq, al, subject)| Questions {
        claims: (cq, cl),
        contacts: (kq, kl),
        audit: (aq, al),
        subject,
    })
}

/// Every page of a list, walked by its cursors, each equal to `page_of`'s over `all`.
async fn walk<T, F>(all: &[T], rank: fn(&T) -> String, admits: impl Fn(&T) -> bool, order: Order, limit: usize, page: impl Fn(Option<String>) -> F)
where
    T: Clone + PartialEq + std::fmt::Debug,
    F: std::future::Future<Output = Result<lists::ListPage<T>, StoreError>>,
{
    let mut cursor: Option<String> = None;
    for _ in 0..=all.len() {
        let got = page(cursor.clone()).await.unwrap();
        let expected = lists::page_of(all.to_vec(), &admits, rank, order, cursor.as_deref(), limit);
        assert_eq!(got, expected, "the page after {cursor:?}");
        match got.next {
            Some(next) => cursor = Some(next),
            None => return,
        }
    }
    panic!("more pages than records");
}

async fn ask<S: Store>(store: &S, q: &Questions) {
    let claims = store.list_claims().await.unwrap();
    let (cq, limit) = &q.claims;
    walk(&claims, lists::claim_rank, |c| cq.admits(c), cq.order, *limit, |cursor| async move { store.claims_page(cq, cursor.as_deref(), *limit).await }).await;
    let contacts = store.list_contacts().await.unwrap();
    let (kq, limit) = &q.contacts;
    walk(&contacts, lists::contact_rank, |c| kq.admits(c), kq.order, *limit, |cursor| async move { store.contacts_page(kq, cursor.as_deref(), *limit).await })
        .await;
    let audit = store.list_audit().await.unwrap();
    let mut aq = q.audit.0.clone();
    let mut subjects: Vec<String> = audit.iter().map(|e| e.subject.clone()).collect();
    subjects.sort();
    subjects.dedup();
    aq.subject = q.subject.filter(|_| !subjects.is_empty()).map(|i| subjects[i % subjects.len()].clone());
    let (aq, limit) = (&aq, q.audit.1);
    walk(&audit, lists::audit_rank, |e| aq.admits(e), aq.order, limit, |cursor| async move { store.audit_page(aq, cursor.as_deref(), limit).await }).await;
    for p in 0..PEOPLE.len() {
        let mut theirs: Vec<Claim> = claims.iter().filter(|c| c.email_key == key(p)).cloned().collect();
        theirs.sort_by_key(lists::claim_rank);
        assert_eq!(store.claims_of_person(&key(p)).await.unwrap(), theirs, "{}'s claims", key(p));
    }
    let usage = store.list_usage().await.unwrap();
    for (_, year) in EVENTS {
        let of_year: Vec<_> = usage.iter().filter(|u| u.1 == year).map(|(k, _, u)| (k.clone(), *u)).collect();
        assert_eq!(store.usage_of_year(year).await.unwrap(), of_year, "the usage of {year}");
    }
    assert!(matches!(store.claims_page(&ClaimQuery::default(), Some("nonsense"), 5).await, Err(StoreError::Failed(_))), "a cursor no page gave");
}

/// The history of every record the store has lines about (`ERASED` too: the lines of those who went), newest first.
async fn every_history<S: Store>(store: &S) {
    let all = store.list_audit().await.unwrap();
    let mut subjects: Vec<&str> = all.iter().map(|e| e.subject.as_str()).collect();
    subjects.sort();
    subjects.dedup();
    for subject in subjects {
        let q = AuditQuery { subject: Some(subject.into()), order: Order::Newest, ..AuditQuery::default() };
        let expected = lists::page_of(all.clone(), |e| q.admits(e), lists::audit_rank, Order::Newest, None, 1000);
        assert_eq!(store.audit_page(&q, None, 1000).await.unwrap(), expected, "the history of {subject}");
    }
}

fn cases(default: u32) -> u32 {
    std::env::var("CCG_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, max_shrink_iters: 32, failure_persistence: None, ..Config::default() })
}

fn case() -> impl Strategy<Value = (Vec<Op>, Vec<Questions>)> {
    (prop::collection::vec(op(), 1..45), prop::collection::vec(questions(), 1..5))
}

#[test]
fn pages_are_page_of_on_sqlite() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runner(cases(64))
        .run(&case(), |(ops, questions)| {
            rt.block_on(async {
                let store = sqlite_store("lists");
                fill(&store, &ops).await;
                for q in &questions {
                    ask(&store, q).await;
                }
                every_history(&store).await;
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn pages_are_page_of_on_dynamodb() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    runner(cases(3))
        .run(&case(), |(ops, questions)| {
            let table = format!("lists-{}", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
            rt.block_on(async {
                let store = DynamoLocal::shared().await.store(&table).await;
                fill(&store, &ops).await;
                for q in &questions {
                    ask(&store, q).await;
                }
                every_history(&store).await;
            });
            Ok(())
        })
        .unwrap();
}
