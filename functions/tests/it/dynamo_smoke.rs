//! A smoke test of the DynamoDB store against AWS's DynamoDB Local, at the
//! store's own interface (not through the handler): links, confirmations, the secretariat's change, claims
//! and their refusals, concurrent confirmations of one city's claims, and the
//! claims' states: decisions, withdrawals, the trips they give back, and
//! decisions racing with each other and with confirmations.
//! Needs Java 17 and the jar `./scripts/setup-test-deps.sh` unpacks under
//! `.cache/dynamodb-local/` (or `CCG_DYNAMODB_LOCAL_JAR`).
#![cfg(feature = "dynamodb")]

use crate::common;

use ccg_functions::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, MAX_LINKS, Pending, PendingItem, Registration};
use ccg_functions::store::dynamo::{self, DynamoStore};
use ccg_functions::store::roles::*;
use ccg_functions::store::{ClaimChange, ConfirmError, ConfirmFailed, OpenMeetings, TransitionError, UpdateError};
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

fn rules() -> TravelRules {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/data/travel-support.yaml")).unwrap();
    TravelRules::parse(Path::new("t.yaml"), &text).unwrap()
}

/// The meetings these claims are for (e0 to e9), all taking claims.
fn open() -> OpenMeetings {
    OpenMeetings::of((0..10).map(|i| format!("e{i}")))
}

fn now() -> (jiff::Timestamp, i64) {
    let t = jiff::Timestamp::now();
    (t, t.as_second())
}

fn registration(email: &str, city: &str) -> Registration {
    Registration {
        email_key: email.to_lowercase(),
        name: "Ana López".into(),
        email: email.into(),
        city: city.into(),
        country: "ES".into(),
        organisation: "Ayuntamiento".into(),
        position: "Officer".into(),
        city_status: "lighthouse".into(),
        project: Some("REMOURBAN".into()),
        listed: false,
    }
}

fn claim(email: &str, city_key: &str, event: &str, euros: i64) -> Claim {
    Claim {
        id: ccg_functions::token::new_id("clm"),
        name: "Ana López".into(),
        email: email.into(),
        email_key: email.to_lowercase(),
        city: "Valladolid".into(),
        city_key: city_key.into(),
        country: "ES".into(),
        event_id: event.into(),
        year: 2027,
        travel_start: jiff::civil::date(2027, 3, 15),
        travel_end: jiff::civil::date(2027, 3, 17),
        amount: Cents(euros * 100),
        transport: Cents(euros * 100),
        accommodation: Cents(0),
        created_at: now().0,
        confirmed_at: None,
        status: ClaimStatus::Counted,
        link_id: String::new(),
        link_hashes: Vec::new(),
        reason: None,
        paid: None,
        paid_on: None,
        contribution_key: String::new(),
        reference: None,
    }
}

/// Keeps `item` as pending with one link; returns (id, the link's hash).
async fn keep(store: &DynamoStore, item: PendingItem) -> (String, String) {
    let (now, secs) = now();
    let id = ccg_functions::token::new_id("pnd");
    let hash = ccg_functions::token::hash_secret(&ccg_functions::token::new_secret());
    let p = Pending { id: id.clone(), item, token_hashes: vec![hash.clone()], created_at: now, expires_at: secs + 3600, used: false };
    store.put_pending(p).await.unwrap();
    (id, hash)
}

/// A confirmed contact the secretariat approved for `city_key`.
async fn approved(store: &DynamoStore, email: &str, city_key: &str) -> Contact {
    let (id, hash) = keep(store, PendingItem::Registration(registration(email, "Valladolid"))).await;
    let (now, secs) = now();
    let c = store.confirm_registration(&id, &hash, now, secs).await.unwrap().contact;
    let new = Contact { status: ContactStatus::Approved, city_key: Some(city_key.into()), updated_at: now, version: c.version + 1, ..c.clone() };
    let audit = AuditEntry { at: now, actor: "desk".into(), action: "contact.approved".into(), subject: c.details.email_key.clone(), detail: city_key.into() };
    store.update_contact(c.version, new.clone(), audit).await.unwrap();
    new
}

/// Confirms `c` through a new link; the claim as counted.
async fn confirmed(store: &DynamoStore, rules: &TravelRules, c: Claim) -> Claim {
    let (p, h) = keep(store, PendingItem::Claim(c.draft())).await;
    let (t, s) = now();
    store.confirm_claim(&p, &h, rules, &open(), t, s).await.unwrap().claim
}

fn change(from: &[ClaimStatus], to: ClaimStatus) -> ClaimChange {
    ClaimChange { from: from.to_vec(), to, reason: None, paid: None, expires_at: None }
}

fn decision(action: &str, id: &str) -> AuditEntry {
    AuditEntry { at: jiff::Timestamp::now(), actor: "test".into(), action: action.into(), subject: id.into(), detail: String::new() }
}

/// What the claims that count add up to, per (year, city).
async fn counting(store: &DynamoStore) -> BTreeMap<(i16, String), YearUsage> {
    let mut sums: BTreeMap<(i16, String), YearUsage> = BTreeMap::new();
    for c in store.list_claims().await.unwrap().into_iter().filter(|c| c.status.counts()) {
        let u = sums.entry((c.year, c.city_key.clone())).or_default();
        u.trips += 1;
        u.amount = Cents(u.amount.0 + c.amount.0);
    }
    sums
}

fn step(what: &str) {
    println!("ok: {what}");
}

/// Less left than asked: a first claim of 950 on a 900 year counts for 900; then nothing is left.
async fn less_left_than_asked(store: &DynamoStore, rules: &TravelRules) {
    let (t4, s4) = now();
    approved(store, "carla@leon.es", "ES:leon").await;
    let (ph, hh) = keep(store, PendingItem::Claim(claim("carla@leon.es", "ES:leon", "e1", 950).draft())).await;
    let capped = store.confirm_claim(&ph, &hh, rules, &open(), t4, s4).await.unwrap();
    assert_eq!((capped.claim.amount, capped.claim.transport, capped.used), (Cents(90000), Cents(95000), YearUsage { trips: 1, amount: Cents(90000) }));
    approved(store, "dario@leon.es", "ES:leon").await;
    let (pd, hd) = keep(store, PendingItem::Claim(claim("dario@leon.es", "ES:leon", "e2", 10).draft())).await;
    assert_eq!(
        store.confirm_claim(&pd, &hd, rules, &open(), t4, s4).await.unwrap_err(),
        ConfirmFailed::Denied(ConfirmError::Refused(Refusal::OverYearlyAmount))
    );
    assert_eq!(store.year_usage("ES:leon", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(90000) });
}

#[test]
fn dynamo_store_keeps_the_promises() {
    // The whole journey is one large future, and a debug build polls it with
    // large frames: give it a thread with room, rather than split it by size.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || rt.block_on(Box::pin(journey())))
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

async fn journey() {
    let local = common::DynamoLocal::start().await;
    let client = local.client();
    dynamo::create_table(&client, "smoke").await.unwrap();
    dynamo::create_table(&client, "smoke").await.unwrap();
    let store = DynamoStore::new(client, "smoke").with_person_key(common::person_key());
    let rules = rules();
    let (t0, s0) = now();

    // --- pending records and their links ---------------------------------
    let reg = registration("Ana@Valladolid.es", "Valladolid");
    let p1 = Pending {
        id: ccg_functions::token::new_id("pnd"),
        item: PendingItem::Registration(reg.clone()),
        token_hashes: vec!["h1".into()],
        created_at: t0,
        expires_at: s0 + 3600,
        used: false,
    };
    store.put_pending(p1.clone()).await.unwrap();
    assert!(store.put_pending(p1.clone()).await.is_err(), "an id is stored once");
    assert_eq!(store.get_pending(&p1.id, s0).await.unwrap().as_ref(), Some(&p1));
    assert_eq!(store.get_pending(&p1.id, s0 + 3600).await.unwrap(), None, "expired at expires_at");
    assert_eq!(store.get_pending("pnd_unknown", s0).await.unwrap(), None);
    assert_eq!(store.latest_pending("registration", "ana@valladolid.es", s0).await.unwrap().as_ref(), Some(&p1));
    assert_eq!(store.latest_pending("claim", "ana@valladolid.es", s0).await.unwrap(), None);
    assert_eq!(store.latest_pending("registration", "ana@valladolid.es", s0 + 3600).await.unwrap(), None);
    step("put_pending, get_pending, latest_pending (and expiry on read)");

    for i in 2..=MAX_LINKS {
        assert!(store.add_link(&p1.id, &format!("h{i}"), s0).await.unwrap(), "link {i}");
    }
    assert!(!store.add_link(&p1.id, "h-too-many", s0).await.unwrap(), "MAX_LINKS");
    assert!(!store.add_link("pnd_unknown", "h", s0).await.unwrap());
    assert!(!store.add_link(&p1.id, "h", s0 + 3600).await.unwrap(), "expired");
    let hashes: Vec<String> = (1..=MAX_LINKS).map(|i| format!("h{i}")).collect();
    assert_eq!(store.get_pending(&p1.id, s0).await.unwrap().unwrap().token_hashes, hashes, "in order");
    step(&format!("add_link up to MAX_LINKS ({MAX_LINKS}), then refused; not on unknown or expired records"));

    // --- confirming a registration -------------------------------------------
    let (t1, s1) = now();
    assert_eq!(store.confirm_registration(&p1.id, "wrong", t1, s1).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Invalid));
    assert_eq!(store.confirm_registration(&p1.id, "h3", t1, s0 + 3600).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Invalid), "expired");
    assert_eq!(store.confirm_registration("pnd_unknown", "h1", t1, s1).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Invalid));
    assert_eq!(
        store.confirm_claim(&p1.id, "h1", &rules, &open(), t1, s1).await.unwrap_err(),
        ConfirmFailed::Denied(ConfirmError::Invalid),
        "a registration on the claim page"
    );
    let done = store.confirm_registration(&p1.id, "h3", t1, s1).await.unwrap();
    assert!(done.created);
    assert_eq!(done.contact.status, ContactStatus::Confirmed);
    assert_eq!(done.contact.version, 1);
    assert_eq!(done.contact.details, reg);
    assert_eq!(store.get_contact("ana@valladolid.es").await.unwrap().as_ref(), Some(&done.contact));
    assert_eq!(store.confirm_registration(&p1.id, "h1", t1, s1).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Used));
    assert_eq!(store.confirm_registration(&p1.id, "wrong", t1, s1).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Invalid));
    assert!(store.get_pending(&p1.id, s1).await.unwrap().unwrap().used);
    assert_eq!(store.latest_pending("registration", "ana@valladolid.es", s1).await.unwrap(), None, "used");
    assert!(!store.add_link(&p1.id, "h", s1).await.unwrap(), "used");
    step("confirm_registration: Invalid (wrong secret, expired, unknown, other form), created, then Used");

    // A change of details through a second link: same contact, next version; no project now.
    let changed = Registration { project: None, position: "Head".into(), ..reg.clone() };
    let (p2, h2) = keep(&store, PendingItem::Registration(changed.clone())).await;
    assert_eq!(store.latest_pending("registration", "ana@valladolid.es", s1).await.unwrap().map(|p| p.id), Some(p2.clone()));
    let (t2, s2) = now();
    let done = store.confirm_registration(&p2, &h2, t2, s2).await.unwrap();
    assert!(!done.created);
    assert_eq!((done.contact.version, done.contact.details.project.clone(), done.contact.created_at), (2, None, t1));
    assert_eq!(store.get_contact("ana@valladolid.es").await.unwrap().as_ref(), Some(&done.contact));
    step("confirm_registration of a change: version 2, project removed");

    // Concurrent: one link opened ten times at once is used once; two links of a
    // new address confirmed at once make one contact, then change it.
    let (pd, hd) = keep(&store, PendingItem::Registration(registration("dora@x.eu", "Soria"))).await;
    let (t2b, s2b) = now();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, pd, hd, t2b) = (store.clone(), pd.clone(), hd.clone(), t2b);
            tokio::spawn(async move { store.confirm_registration(&pd, &hd, t2b, s2b).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
    assert!(answers.iter().all(|a| a.is_ok() || a.as_ref().unwrap_err() == &ConfirmFailed::Denied(ConfirmError::Used)), "{answers:?}");
    let both: Vec<_> = [registration("eva@x.eu", "Soria"), registration("eva@x.eu", "Ávila")]
        .into_iter()
        .map(|r| {
            let store = store.clone();
            tokio::spawn(async move {
                let (p, h) = keep(&store, PendingItem::Registration(r)).await;
                let (t, s) = now();
                store.confirm_registration(&p, &h, t, s).await
            })
        })
        .collect();
    let mut created = Vec::new();
    for t in both {
        created.push(t.await.unwrap().unwrap().created);
    }
    created.sort();
    assert_eq!(created, vec![false, true]);
    assert_eq!(store.get_contact("eva@x.eu").await.unwrap().unwrap().version, 2);
    step("concurrent: one link opened 10 times is used once; two links of a new address: created, then changed");

    // --- the secretariat approves ------------------------------------------------
    let c = done.contact;
    let audit = |what: &str| AuditEntry { at: now().0, actor: "desk".into(), action: what.into(), subject: c.details.email_key.clone(), detail: String::new() };
    let new = Contact { status: ContactStatus::Approved, city_key: Some("ES:valladolid".into()), version: 3, ..c.clone() };
    assert_eq!(store.update_contact(2, Contact { version: 4, ..new.clone() }, audit("x")).await.unwrap_err(), UpdateError::Conflict, "version + 1");
    store.update_contact(2, new.clone(), audit("contact.approved")).await.unwrap();
    assert_eq!(store.update_contact(2, new.clone(), audit("x")).await.unwrap_err(), UpdateError::Conflict, "stale");
    let ghost = Contact { details: registration("ghost@x.eu", "X"), ..new.clone() };
    assert_eq!(store.update_contact(2, ghost, audit("x")).await.unwrap_err(), UpdateError::Conflict, "no such contact");
    assert_eq!(store.get_contact("ana@valladolid.es").await.unwrap().as_ref(), Some(&new));
    step("update_contact: approved with a city; Conflict when stale, absent or not version + 1");

    // --- claims ----------------------------------------------------------------
    let ana = "ana@valladolid.es";
    let first = claim(ana, "ES:valladolid", "e1", 300);
    let (pc, hc) = keep(&store, PendingItem::Claim(first.clone().draft())).await;
    assert_eq!(store.latest_pending("claim", ana, s2).await.unwrap().map(|p| p.id), Some(pc.clone()));
    let (t3, s3) = now();
    assert_eq!(store.confirm_registration(&pc, &hc, t3, s3).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Invalid), "a claim on the join page");
    assert_eq!(store.confirm_claim(&pc, &hc, &rules, &open(), t3, s3 + 7200).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Invalid), "expired");
    let out = store.confirm_claim(&pc, &hc, &rules, &open(), t3, s3).await.unwrap();
    let counted_first = Claim {
        confirmed_at: Some(t3),
        status: ClaimStatus::Counted,
        link_id: pc.clone(),
        link_hashes: vec![hc.clone()],
        contribution_key: common::person_key().contribution_key(ana, "e1"),
        reference: Some("CCG-2027-0001".into()),
        ..first.clone()
    };
    assert_eq!(out.claim, counted_first);
    assert_eq!(out.used, YearUsage { trips: 1, amount: Cents(30000) });
    assert_eq!(store.confirm_claim(&pc, &hc, &rules, &open(), t3, s3).await.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Used));
    assert_eq!(store.get_claim(&first.id).await.unwrap().as_ref(), Some(&counted_first));
    assert_eq!(store.claim_by_link(&pc).await.unwrap().as_ref(), Some(&counted_first));
    assert_eq!(store.get_claim("clm_unknown").await.unwrap(), None);
    assert_eq!(store.claim_by_link("pnd_unknown").await.unwrap(), None);
    step("confirm_claim counted: used 1 trip, 300 EUR, status counted, found by its link; then Used");

    let again = claim(ana, "ES:valladolid", "e1", 100);
    let (pa, ha) = keep(&store, PendingItem::Claim(again.draft())).await;
    let (t4, s4) = now();
    assert_eq!(
        store.confirm_claim(&pa, &ha, &rules, &open(), t4, s4).await.unwrap_err(),
        ConfirmFailed::Denied(ConfirmError::Refused(Refusal::AlreadyClaimed))
    );
    assert!(!store.get_pending(&pa, s4).await.unwrap().unwrap().used, "a refusal leaves the link usable");
    step("second claim of the same person for the same meeting: AlreadyClaimed, link still usable");

    Box::pin(less_left_than_asked(&store, &rules)).await;
    let huge = claim(ana, "ES:other", "e1", 950);
    step("less left than asked: counted for what is left; nothing left: OverYearlyAmount");

    // Not a representative: a confirmed but unapproved contact, an approved one of another city, no contact.
    let (pbob, hbob) = keep(&store, PendingItem::Registration(registration("bob@x.eu", "Valladolid"))).await;
    store.confirm_registration(&pbob, &hbob, t4, s4).await.unwrap();
    for c in [claim("bob@x.eu", "ES:valladolid", "e3", 100), huge, claim("nobody@x.eu", "ES:valladolid", "e3", 100)] {
        let (p, h) = keep(&store, PendingItem::Claim(c.draft())).await;
        assert_eq!(
            store.confirm_claim(&p, &h, &rules, &open(), t4, s4).await.unwrap_err(),
            ConfirmFailed::Denied(ConfirmError::Refused(Refusal::NotRepresentative))
        );
    }
    assert_eq!(store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(30000) }, "refusals write nothing");
    step("claims from non-representatives: NotRepresentative; nothing counted");

    // --- 20 representatives of one city confirm at once ------------------------------------
    let city = "ES:burgos";
    let mut links = Vec::new();
    for i in 0..20 {
        let email = format!("rep{i}@burgos.es");
        approved(&store, &email, city).await;
        let c = claim(&email, city, &format!("e{}", i % 7), 100 + i);
        let (p, h) = keep(&store, PendingItem::Claim(c.draft())).await;
        links.push((p, h));
    }
    let started = Instant::now();
    let (t5, s5) = now();
    let tasks: Vec<_> = links
        .iter()
        .cloned()
        .map(|(p, h)| {
            let (store, rules, t5) = (store.clone(), rules.clone(), t5);
            tokio::spawn(async move { store.confirm_claim(&p, &h, &rules, &open(), t5, s5).await })
        })
        .collect();
    let mut counted = Vec::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(out) => counted.push(out.claim),
            Err(ConfirmFailed::Denied(ConfirmError::Refused(Refusal::OverYearlyTrips))) => refused += 1,
            Err(e) => panic!("unexpected answer: {e:?}"),
        }
    }
    assert_eq!(counted.len(), rules.max_trips_per_year as usize);
    assert_eq!(refused, 20 - counted.len());
    let sum: i64 = counted.iter().map(|c| c.amount.0).sum();
    assert_eq!(store.year_usage(city, 2027).await.unwrap(), YearUsage { trips: counted.len() as u32, amount: Cents(sum) });
    println!("    20 concurrent confirmations in {:?}: {} counted, {refused} OverYearlyTrips", started.elapsed(), counted.len());
    step("concurrent confirmations of one city: exactly max_trips_per_year counted, the rest OverYearlyTrips, usage = sum");

    // The year is full AND the person has a contribution for the meeting: one per meeting is told first.
    let winner = &counted[0];
    let (pw, hw) = keep(&store, PendingItem::Claim(claim(&winner.email_key, city, &winner.event_id, 50).draft())).await;
    assert_eq!(
        store.confirm_claim(&pw, &hw, &rules, &open(), t5, s5).await.unwrap_err(),
        ConfirmFailed::Denied(ConfirmError::Refused(Refusal::AlreadyClaimed))
    );
    step("full year and already claimed: AlreadyClaimed first, as SQLite");

    // --- the secretariat's lists ------------------------------------------------
    let claims = store.list_claims().await.unwrap();
    assert_eq!(claims.len(), 2 + counted.len(), "Ana's and Carla's, and the race's");
    assert!(claims.windows(2).all(|w| (w[0].year, &w[0].city_key, &w[0].event_id, &w[0].id) <= (w[1].year, &w[1].city_key, &w[1].event_id, &w[1].id)));
    assert!(claims.iter().all(|c| c.confirmed_at.is_some()));
    let contacts = store.list_contacts().await.unwrap();
    assert_eq!(contacts.len(), 6 + 20);
    assert!(contacts.windows(2).all(|w| w[0].details.email_key < w[1].details.email_key));
    let trail = store.list_audit().await.unwrap();
    assert!(trail.windows(2).all(|w| w[0].at <= w[1].at));
    let count = |action: &str| trail.iter().filter(|a| a.action == action).count();
    assert_eq!((count("contact.confirmed"), count("contact.changed"), count("contact.approved"), count("claim.confirmed")), (26, 2, 23, 4));
    assert!(trail.iter().any(|a| a.action == "contact.changed" && a.subject == "ana@valladolid.es" && a.detail == format!("link {p2}")));
    let c0 = trail.iter().find(|a| a.action == "claim.confirmed").unwrap();
    assert_eq!((c0.actor.as_str(), c0.subject.as_str(), c0.detail.as_str()), ("applicant", first.id.as_str(), "ES:valladolid e1 2027 300.00"));
    step(&format!("list_claims ({}), list_contacts ({}), list_audit ({} lines)", claims.len(), contacts.len(), trail.len()));

    // --- the claims' states ---------------------------------------------------------
    let claims_before = claims.len();
    // A link sent twice: the claim keeps both hashes.
    let (pm, hm1) = keep(&store, PendingItem::Claim(claim(ana, "ES:valladolid", "e5", 50).draft())).await;
    assert!(store.add_link(&pm, "hm2", s5).await.unwrap());
    let (t6, s6) = now();
    let multi = store.confirm_claim(&pm, "hm2", &rules, &open(), t6, s6).await.unwrap().claim;
    assert_eq!((multi.link_id.as_str(), multi.link_hashes.clone()), (pm.as_str(), vec![hm1.clone(), "hm2".to_string()]));
    assert_eq!(store.claim_by_link(&pm).await.unwrap().as_ref(), Some(&multi));
    step("a claim confirmed through its second link keeps both hashes; claim_by_link finds it");

    // Approved, paid; then a second approval is a Conflict and writes nothing.
    let id = first.id.clone();
    let approved_first = store.transition_claim(&id, change(&[ClaimStatus::Counted], ClaimStatus::Approved), decision("claim.approved", &id)).await.unwrap();
    assert_eq!(approved_first, Claim { status: ClaimStatus::Approved, ..counted_first.clone() });
    assert_eq!(store.get_claim(&id).await.unwrap().as_ref(), Some(&approved_first));
    let paid_on = jiff::civil::date(2027, 4, 1);
    let pay = ClaimChange { paid: Some((Cents(25000), paid_on)), ..change(&[ClaimStatus::Approved], ClaimStatus::Paid) };
    let paid = store.transition_claim(&id, pay, decision("claim.paid", &id)).await.unwrap();
    assert_eq!(paid, Claim { status: ClaimStatus::Paid, paid: Some(Cents(25000)), paid_on: Some(paid_on), ..counted_first.clone() });
    assert_eq!(store.get_claim(&id).await.unwrap().as_ref(), Some(&paid));
    assert_eq!(store.claim_by_link(&pc).await.unwrap().as_ref(), Some(&paid));
    let again = store.transition_claim(&id, change(&[ClaimStatus::Counted], ClaimStatus::Approved), decision("claim.approved", &id)).await;
    assert_eq!(again.unwrap_err(), TransitionError::Conflict(ClaimStatus::Paid));
    assert_eq!(store.get_claim(&id).await.unwrap().as_ref(), Some(&paid));
    let nobody = store.transition_claim("clm_unknown", change(&[ClaimStatus::Counted], ClaimStatus::Approved), decision("claim.approved", "clm_unknown")).await;
    assert_eq!(nobody.unwrap_err(), TransitionError::NotFound);
    assert_eq!(store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 2, amount: Cents(35000) }, "approved and paid claims still count");
    step("counted -> approved -> paid (amount and date); a second approval: Conflict(Paid); unknown: NotFound");

    // Rejected: the trip and euros go back, and the person may claim for the meeting again.
    let fe = "fe@soria.es";
    approved(&store, fe, "ES:soria").await;
    let r1 = confirmed(&store, &rules, claim(fe, "ES:soria", "e1", 200)).await;
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(20000) });
    let reject = |reason: &str| ClaimChange { reason: Some(reason.into()), ..change(&[ClaimStatus::Counted, ClaimStatus::Approved], ClaimStatus::Rejected) };
    let rejected = store.transition_claim(&r1.id, reject("not announced"), decision("claim.rejected", &r1.id)).await.unwrap();
    assert_eq!(rejected, Claim { status: ClaimStatus::Rejected, reason: Some("not announced".into()), ..r1.clone() });
    assert_eq!(store.get_claim(&r1.id).await.unwrap().as_ref(), Some(&rejected));
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage::default(), "given back");
    let again = store.transition_claim(&r1.id, reject("twice"), decision("claim.rejected", &r1.id)).await;
    assert_eq!(again.unwrap_err(), TransitionError::Conflict(ClaimStatus::Rejected));
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage::default(), "given back once");
    let r2 = confirmed(&store, &rules, claim(fe, "ES:soria", "e1", 150)).await;
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(15000) });
    // An approved claim rejected gives back too.
    store.transition_claim(&r2.id, change(&[ClaimStatus::Counted], ClaimStatus::Approved), decision("claim.approved", &r2.id)).await.unwrap();
    store.transition_claim(&r2.id, reject("no receipts"), decision("claim.rejected", &r2.id)).await.unwrap();
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage::default());
    step("rejected (from counted, from approved): trip and euros given back once; the person claims the meeting again");

    // Withdrawn by its claimant: given back too.
    let w = confirmed(&store, &rules, claim(fe, "ES:soria", "e1", 120)).await;
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(12000) });
    let withdrawn = store.transition_claim(&w.id, change(&[ClaimStatus::Counted], ClaimStatus::Withdrawn), decision("claim.withdrawn", &w.id)).await.unwrap();
    assert_eq!(withdrawn.status, ClaimStatus::Withdrawn);
    assert_eq!(store.claim_by_link(&w.link_id).await.unwrap().as_ref(), Some(&withdrawn));
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), YearUsage::default());
    step("withdrawn: given back");

    // Ten decisions on one claim at once: one is written, nine are told it changed.
    let d = confirmed(&store, &rules, claim(fe, "ES:soria", "e1", 110)).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (store, id) = (store.clone(), d.id.clone());
            let (to, action) = if i % 2 == 0 { (ClaimStatus::Approved, "claim.approved") } else { (ClaimStatus::Rejected, "claim.rejected") };
            tokio::spawn(async move { store.transition_claim(&id, change(&[ClaimStatus::Counted], to), decision(action, &id)).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let won: Vec<&Claim> = answers.iter().filter_map(|a| a.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    let winner_status = won[0].status;
    assert!(answers.iter().all(|a| a.is_ok() || a.as_ref().unwrap_err() == &TransitionError::Conflict(winner_status)), "{answers:?}");
    assert_eq!(store.get_claim(&d.id).await.unwrap().unwrap().status, winner_status);
    let expect = if winner_status.counts() { YearUsage { trips: 1, amount: Cents(11000) } } else { YearUsage::default() };
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), expect);
    step(&format!("10 concurrent decisions on one claim: one {}, nine Conflict; counter {expect:?}", winner_status.as_str()));

    // An approval racing with a rejection that may also start from approved:
    // as if one after the other. Either both are written (approved, then
    // rejected) or the rejection came first and the approval is a Conflict;
    // the trip is given back once either way.
    let before = store.year_usage("ES:soria", 2027).await.unwrap();
    let x = confirmed(&store, &rules, claim(fe, "ES:soria", "e2", 100)).await;
    let approve = {
        let (store, id) = (store.clone(), x.id.clone());
        tokio::spawn(async move { store.transition_claim(&id, change(&[ClaimStatus::Counted], ClaimStatus::Approved), decision("claim.approved", &id)).await })
    };
    let rejecting = {
        let (store, id, change) = (store.clone(), x.id.clone(), reject("late"));
        tokio::spawn(async move { store.transition_claim(&id, change, decision("claim.rejected", &id)).await })
    };
    let (approve, rejecting) = (approve.await.unwrap(), rejecting.await.unwrap());
    assert_eq!(rejecting.unwrap().status, ClaimStatus::Rejected);
    let approvals_raced = match approve {
        Ok(c) => usize::from(c.status == ClaimStatus::Approved),
        Err(e) => {
            assert_eq!(e, TransitionError::Conflict(ClaimStatus::Rejected));
            0
        }
    };
    assert_eq!(store.get_claim(&x.id).await.unwrap().unwrap().status, ClaimStatus::Rejected);
    assert_eq!(store.year_usage("ES:soria", 2027).await.unwrap(), before);
    step(&format!("an approval racing with a rejection from counted or approved: approval written {approvals_raced} time(s), rejected, given back once"));

    // A rejection in a full year racing with ten confirmations: the counter
    // never passes the limit and ends as the sum of what counts.
    assert_eq!(store.year_usage(city, 2027).await.unwrap().trips, rules.max_trips_per_year);
    let counted_links: Vec<String> = counted.iter().map(|c| c.link_id.clone()).collect();
    let waiting: Vec<(String, String)> = links.iter().filter(|(p, _)| !counted_links.contains(p)).take(10).cloned().collect();
    assert_eq!(waiting.len(), 10);
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watch = {
        let (store, watching, rules) = (store.clone(), watching.clone(), rules.clone());
        tokio::spawn(async move {
            let mut seen = 0;
            while watching.load(std::sync::atomic::Ordering::SeqCst) {
                let u = store.year_usage(city, 2027).await.unwrap();
                assert!(u.trips <= rules.max_trips_per_year && u.amount.0 <= rules.max_per_year.0, "over the limit: {u:?}");
                seen += 1;
            }
            seen
        })
    };
    let (t7, s7) = now();
    let victim = counted[1].clone();
    // The confirmations first, so some may be decided before the trip is given back and some after.
    let tasks: Vec<_> = waiting
        .iter()
        .cloned()
        .map(|(p, h)| {
            let (store, rules, t7) = (store.clone(), rules.clone(), t7);
            tokio::spawn(async move { store.confirm_claim(&p, &h, &rules, &open(), t7, s7).await })
        })
        .collect();
    let rejection = {
        let store = store.clone();
        tokio::spawn(async move {
            store.transition_claim(&victim.id, change(&[ClaimStatus::Counted], ClaimStatus::Rejected), decision("claim.rejected", &victim.id)).await
        })
    };
    let mut late = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => late += 1,
            Err(ConfirmFailed::Denied(ConfirmError::Refused(Refusal::OverYearlyTrips))) => {}
            Err(e) => panic!("unexpected answer: {e:?}"),
        }
    }
    assert_eq!(rejection.await.unwrap().unwrap().status, ClaimStatus::Rejected);
    watching.store(false, std::sync::atomic::Ordering::SeqCst);
    let reads = watch.await.unwrap();
    assert!(late <= 1, "{late} confirmations counted after one trip was given back");
    let sums = counting(&store).await;
    let used = store.year_usage(city, 2027).await.unwrap();
    assert_eq!(used, sums[&(2027, city.to_string())]);
    assert_eq!(used.trips, rules.max_trips_per_year - 1 + late);
    step(&format!("a rejection racing with 10 confirmations of a full year: {late} counted after it; never over the limit ({reads} reads); counter = sum"));

    // Every city's usage, by year then city, each the sum of what counts.
    let r0 = confirmed(&store, &rules, Claim { year: 2026, event_id: "e0".into(), ..claim(fe, "ES:soria", "e0", 80) }).await;
    assert_eq!(r0.year, 2026);
    let usage = store.list_usage().await.unwrap();
    let keys: Vec<(i16, String)> = usage.iter().map(|(c, y, _)| (*y, c.clone())).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    assert_eq!(keys.first(), Some(&(2026, "ES:soria".to_string())));
    for k in [(2027, "ES:burgos"), (2027, "ES:soria"), (2027, "ES:valladolid")] {
        assert!(keys.contains(&(k.0, k.1.to_string())), "{k:?} in {keys:?}");
    }
    let sums = counting(&store).await;
    for (c, y, u) in &usage {
        assert_eq!(*u, sums.get(&(*y, c.clone())).copied().unwrap_or_default(), "{c} {y}");
        assert_eq!(*u, store.year_usage(c, *y).await.unwrap());
    }
    assert!(sums.keys().all(|k| keys.contains(k)));
    step(&format!("list_usage: {} counters by year then city, each the sum of the claims that count", usage.len()));

    let trail = store.list_audit().await.unwrap();
    let count = |action: &str| trail.iter().filter(|a| a.action == action).count();
    let rejections = 4 + usize::from(winner_status == ClaimStatus::Rejected);
    let approvals = 2 + usize::from(winner_status == ClaimStatus::Approved) + approvals_raced;
    assert_eq!((count("claim.approved"), count("claim.paid"), count("claim.rejected"), count("claim.withdrawn")), (approvals, 1, rejections, 1));
    assert!(trail.iter().any(|a| a.action == "claim.paid" && a.subject == id && a.actor == "test"));
    assert_eq!(store.list_claims().await.unwrap().len(), claims_before + 7 + late as usize);
    step("one audit line per change written; none for a Conflict");
}
