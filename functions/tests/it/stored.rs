//! Stored data keeps reading. `fixtures/stored-v1/` holds one of every kind of
//! record as the stores wrote them before the records had serde (a SQLite file
//! as SQL, every DynamoDB item as JSON in AttributeValue form); these tests
//! load them raw into a fresh store and read every record back through the
//! `Store` interface. A change of a record's shape that old data does not
//! survive fails here.
//!
//! The fixtures were made by `write_fixtures` (ignored): it fills both stores
//! through the `Store` interface with fixed values, then dumps them. Only the
//! expiry of the kept answers (set from the clock by the store) is moved to
//! 2100, so the fixtures do not go stale.
#![cfg(feature = "dynamodb")]

use crate::common;
mod dump;
mod later;

use crate::common::DynamoLocal;
use ccg_functions::Store;
use ccg_functions::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, Pending, PendingItem, Registration};
use ccg_functions::store::lists::{self, AuditQuery, ClaimQuery, ContactQuery, Order};
use ccg_functions::store::{ClaimChange, ConfirmError, ConfirmFailed, Kept, OpenMeetings, StoredAnswer};
use ccg_model::{Cents, Refusal, TravelRules};
use dump::{dump_dynamo, dump_sqlite, item_from_json, without_audit_ids};
use jiff::civil::date;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored-v1")
}

/// 2100-01-01: every end in the fixtures, so that neither the SQLite sweep nor a read finds them past.
const FAR: i64 = 4_102_444_800;
/// The reads' "now" (Unix seconds): after everything the fixtures hold was written.
const NOW_SECS: i64 = 1_794_000_000;

const T_ANA: &str = "2026-11-02T09:15:00.123456789Z";
const T_ANA_OK: &str = "2026-11-02T10:40:00Z";
const T_BEA: &str = "2026-11-02T10:00:00.5Z";
const T_CAI: &str = "2026-11-02T10:30:00.000001Z";
const T_DECLINE: &str = "2026-11-02T10:45:00.987654321Z";
/// The secretariat's `i`-th decision on a claim.
fn desk(i: u32) -> String {
    format!("2026-11-03T08:00:0{i}.000000009Z")
}
const T_DAN: &str = "2026-11-04T12:00:00Z";

const HASH_A: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const HASH_B: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const HASH_LEAVE: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

fn rules() -> TravelRules {
    let text = "max_per_trip: 450\nmax_trips_per_year: 10\nmax_per_year: 5000\n\
        eligible_cities:\n  - {role: lighthouse, project_ended: true}\n\
        eligible_formats: [physical]\nrequire_announced: true\n\
        claim_form: {days_after_meeting: 60, travel_days_before: 3, travel_days_after: 3}\n";
    TravelRules::parse(Path::new("t.yaml"), text).unwrap()
}

fn registration(key: &str, name: &str, city: &str, project: Option<&str>) -> Registration {
    Registration {
        email_key: key.into(),
        name: name.into(),
        email: key.replace("ana", "Ana"),
        city: city.into(),
        country: "ES".into(),
        organisation: "Ayuntamiento".into(),
        position: "Officer \"international\"".into(),
        city_status: "lighthouse".into(),
        project: project.map(str::to_string),
        listed: false,
    }
}

/// Ana's claim `n` (for event `e<n>`), as the claim form keeps it before confirmation.
fn claim(n: u32, euros: i64, created_at: &str) -> Claim {
    Claim {
        id: format!("clm_{n:032}"),
        name: "Ana López".into(),
        email: "Ana@x.eu".into(),
        email_key: "ana@x.eu".into(),
        city: "Valladolid".into(),
        city_key: "ES:valladolid".into(),
        country: "ES".into(),
        event_id: format!("e{n}"),
        year: 2027,
        travel_start: date(2027, 3, 15),
        travel_end: date(2027, 3, 17),
        amount: Cents(euros + 50),
        transport: Cents(euros),
        accommodation: Cents(50),
        created_at: t(created_at),
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

fn pending(id: &str, item: PendingItem, created_at: &str) -> Pending {
    Pending { id: id.into(), item, token_hashes: vec![HASH_A.into()], created_at: t(created_at), expires_at: FAR, used: false }
}

fn audit(at: &str, action: &str, subject: &str, detail: &str) -> AuditEntry {
    AuditEntry { at: t(at), actor: "secretariat-ops".into(), action: action.into(), subject: subject.into(), detail: detail.into() }
}

fn t(rfc3339: &str) -> jiff::Timestamp {
    rfc3339.parse().unwrap()
}

fn pnd(n: u32) -> String {
    format!("pnd_{n:032}")
}

fn claim_id(n: u32) -> String {
    format!("clm_{n:032}")
}

/// The `n` of Ana's claim `n` (for event `e<n>`), from its id.
fn event_of(id: &str) -> u32 {
    id.trim_start_matches("clm_").parse().unwrap()
}

/// Claims counted before contribution keys (the fixtures' have none) still
/// hold the one-contribution rule, by address and meeting; a meeting she has
/// no claim for still takes one, with the year's first reference.
async fn old_claims_still_block<S: Store>(s: &S) {
    // Claim 1 (e1) still counts, and Ana is still an approved representative of its city.
    let again = claim(1, 10_000, T_DAN);
    s.put_pending(pending(&pnd(71), PendingItem::Claim(Claim { id: claim_id(71), ..again }.draft()), T_DAN)).await.unwrap();
    let refused = s.confirm_claim(&pnd(71), HASH_A, &rules(), &OpenMeetings::of(["e1"]), t(T_DAN), NOW_SECS).await;
    assert_eq!(refused.unwrap_err(), ConfirmFailed::Denied(ConfirmError::Refused(Refusal::AlreadyClaimed)));
    s.put_pending(pending(&pnd(77), PendingItem::Claim(claim(7, 10_000, T_DAN).draft()), T_DAN)).await.unwrap();
    let counted = s.confirm_claim(&pnd(77), HASH_A, &rules(), &OpenMeetings::of(["e7"]), t(T_DAN), NOW_SECS).await.unwrap().claim;
    assert_eq!(counted.reference.as_deref(), Some("CCG-2027-0001"));
    // The old claims read as before: no key, no reference, named by their id.
    let one = s.get_claim(&claim_id(1)).await.unwrap().unwrap();
    assert_eq!((one.contribution_key.as_str(), one.reference.as_deref(), one.reference_or_id()), ("", None, claim_id(1).as_str()));
}

/// One of every kind of record, through the store's interface, with fixed values.
async fn fill<S: Store>(s: &S) {
    // Contacts: Ana approved, Bea confirmed, Cai declined (with an end).
    for (n, r, at) in [
        (1, registration("ana@x.eu", "Ana López", "Valladolid", Some("REMOURBAN")), T_ANA),
        (2, registration("bea@x.eu", "Bea Ñúñez", "Valladolid", None), T_BEA),
        (3, registration("cai@x.eu", "Cai", "Tepebaşı", None), T_CAI),
    ] {
        s.put_pending(pending(&pnd(n), PendingItem::Registration(r), at)).await.unwrap();
        s.confirm_registration(&pnd(n), HASH_A, t(at), NOW_SECS).await.unwrap();
    }
    let mut ana = s.get_contact("ana@x.eu").await.unwrap().unwrap();
    ana.status = ContactStatus::Approved;
    ana.city_key = Some("ES:valladolid".into());
    ana.updated_at = t(T_ANA_OK);
    ana.version += 1;
    s.update_contact(1, ana, audit(T_ANA_OK, "contact.approved", "ana@x.eu", "ES:valladolid")).await.unwrap();
    let mut cai = s.get_contact("cai@x.eu").await.unwrap().unwrap();
    cai.status = ContactStatus::Declined;
    cai.updated_at = t(T_DECLINE);
    cai.expires_at = Some(FAR);
    cai.version += 1;
    s.update_contact(1, cai, audit(T_DECLINE, "contact.declined", "cai@x.eu", "not a city")).await.unwrap();

    // Claims 1-5: confirmed, then each taken to another state.
    for n in 1..=5 {
        let at = format!("2026-11-02T1{n}:00:00.25Z");
        s.put_pending(pending(&pnd(10 + n), PendingItem::Claim(claim(n, 30_000 + i64::from(n) * 1_000, &at).draft()), &at)).await.unwrap();
        s.add_link(&pnd(10 + n), HASH_B, NOW_SECS).await.unwrap();
        s.confirm_claim(&pnd(10 + n), HASH_B, &rules(), &OpenMeetings::of([format!("e{n}")]), t(&at.replace(":00.25Z", ":30Z")), NOW_SECS).await.unwrap();
    }
    let change = |from: &[ClaimStatus], to, reason: Option<&str>, paid, expires_at| ClaimChange {
        from: from.to_vec(),
        to,
        reason: reason.map(str::to_string),
        paid,
        expires_at,
    };
    let id = |n: u32| format!("clm_{n:032}");
    s.transition_claim(&id(2), change(&[ClaimStatus::Counted], ClaimStatus::Approved, None, None, None), audit(&desk(1), "claim.approved", &id(2), ""))
        .await
        .unwrap();
    s.transition_claim(&id(3), change(&[ClaimStatus::Counted], ClaimStatus::Approved, None, None, None), audit(&desk(2), "claim.approved", &id(3), ""))
        .await
        .unwrap();
    let paid = Some((Cents(32_049), date(2026, 12, 1)));
    s.transition_claim(&id(3), change(&[ClaimStatus::Approved], ClaimStatus::Paid, None, paid, Some(FAR)), audit(&desk(3), "claim.paid", &id(3), "320.49"))
        .await
        .unwrap();
    let reason = Some("the meeting was \"virtual\"");
    s.transition_claim(&id(4), change(&[ClaimStatus::Counted], ClaimStatus::Rejected, reason, None, Some(FAR)), audit(&desk(4), "claim.rejected", &id(4), ""))
        .await
        .unwrap();
    let mut withdrawal = audit(&desk(5), "claim.withdrawn", &id(5), "");
    withdrawal.actor = "applicant".into();
    s.transition_claim(&id(5), change(&[ClaimStatus::Counted], ClaimStatus::Withdrawn, None, None, Some(FAR)), withdrawal).await.unwrap();

    // Waiting for their links: Dan's registration (two links sent), Ana's claim 6.
    s.put_pending(pending(&pnd(4), PendingItem::Registration(registration("dan@x.eu", "Dan", "Valladolid", Some("MAtchUP"))), T_DAN)).await.unwrap();
    s.add_link(&pnd(4), HASH_B, NOW_SECS).await.unwrap();
    s.put_pending(pending(&pnd(16), PendingItem::Claim(claim(6, 45_000, T_DAN).draft()), T_DAN)).await.unwrap();

    // A kept answer, a "being processed" mark, and Bea's leave link.
    s.idempotent_start("register", "key-done", "hash-done").await.unwrap();
    let answer = StoredAnswer {
        request_hash: "hash-done".into(),
        status: 202,
        content_type: "application/json".into(),
        location: Some("/api/register/status".into()),
        body: b"{\"status\":\"sent\"}\n\x00\xff".to_vec(),
    };
    s.idempotent_finish("register", "key-done", answer).await.unwrap();
    s.idempotent_start("travel-claim", "key-busy", "hash-busy").await.unwrap();
    assert!(s.add_leave_link("bea@x.eu", HASH_LEAVE).await.unwrap());
}

/// What `fill` wrote, read back through the store's interface.
async fn check<S: Store>(s: &S) {
    // Contacts.
    let contacts = s.list_contacts().await.unwrap();
    let keys: Vec<&str> = contacts.iter().map(|c| c.details.email_key.as_str()).collect();
    assert_eq!(keys, ["ana@x.eu", "bea@x.eu", "cai@x.eu"]);
    let ana: &Contact = &contacts[0];
    assert_eq!(ana.details, registration("ana@x.eu", "Ana López", "Valladolid", Some("REMOURBAN")));
    assert_eq!((ana.status, ana.city_key.as_deref(), ana.version, ana.expires_at), (ContactStatus::Approved, Some("ES:valladolid"), 2, None));
    assert_eq!((ana.created_at.to_string(), ana.updated_at.to_string()), (T_ANA.to_string(), T_ANA_OK.to_string()));
    assert!(ana.represents("ES:valladolid"));
    let bea = &contacts[1];
    assert_eq!(bea.details, registration("bea@x.eu", "Bea Ñúñez", "Valladolid", None));
    assert_eq!((bea.status, bea.city_key.as_deref(), bea.version, bea.expires_at), (ContactStatus::Confirmed, None, 1, None));
    assert_eq!((bea.created_at.to_string(), bea.updated_at.to_string()), (T_BEA.to_string(), T_BEA.to_string()));
    let cai = &contacts[2];
    assert_eq!(cai.details.city, "Tepebaşı");
    assert_eq!((cai.status, cai.city_key.as_deref(), cai.version, cai.expires_at), (ContactStatus::Declined, None, 2, Some(FAR)));
    assert_eq!((cai.created_at.to_string(), cai.updated_at.to_string()), (T_CAI.to_string(), T_DECLINE.to_string()));
    assert_eq!(s.get_contact("cai@x.eu").await.unwrap().as_ref(), Some(cai));
    // Nobody written before the members' directory is listed in it (an opt-in, off unless asked for).
    assert!(contacts.iter().all(|c| !c.details.listed));
    let q = ccg_functions::store::lists::ContactQuery { directory: true, ..Default::default() };
    assert_eq!(s.contacts_page(&q, None, 10).await.unwrap().items, Vec::<Contact>::new());

    // Claims, in every state.
    let claims = s.list_claims().await.unwrap();
    let states: Vec<(u32, ClaimStatus)> = claims.iter().map(|c| (c.event_id[1..].parse().unwrap(), c.status)).collect();
    use ClaimStatus::*;
    assert_eq!(states, [(1, Counted), (2, Approved), (3, Paid), (4, Rejected), (5, Withdrawn)]);
    for (n, c) in (1..).zip(&claims) {
        let sent = format!("2026-11-02T1{n}:00:00.25Z");
        let expected = claim(n, 30_000 + i64::from(n) * 1_000, &sent);
        assert_eq!(c.id, expected.id);
        assert_eq!((&c.name, &c.email, &c.email_key), (&expected.name, &expected.email, &expected.email_key));
        assert_eq!((&c.city, &c.city_key, &c.country, &c.event_id, c.year), (&expected.city, &expected.city_key, &expected.country, &expected.event_id, 2027));
        assert_eq!((c.travel_start, c.travel_end), (date(2027, 3, 15), date(2027, 3, 17)));
        assert_eq!((c.amount, c.transport, c.accommodation), (Cents(30_050 + i64::from(n) * 1_000), Cents(30_000 + i64::from(n) * 1_000), Cents(50)));
        assert_eq!(c.created_at.to_string(), sent);
        assert_eq!(c.confirmed_at.unwrap().to_string(), sent.replace(":00.25Z", ":30Z"));
        assert_eq!((c.link_id.as_str(), c.link_hashes.as_slice()), (pnd(10 + n).as_str(), [HASH_A.to_string(), HASH_B.to_string()].as_slice()));
        assert_eq!(s.claim_by_link(&pnd(10 + n)).await.unwrap().as_ref(), Some(c));
        assert_eq!(s.get_claim(&c.id).await.unwrap().as_ref(), Some(c));
        let ends = if matches!(c.status, Paid | Rejected | Withdrawn) { Some(FAR) } else { None };
        assert_eq!(s.claim_expires_at(&c.id).await.unwrap(), ends, "claim {n}");
    }
    assert_eq!((claims[2].paid, claims[2].paid_on, claims[2].reason.as_deref()), (Some(Cents(32_049)), Some(date(2026, 12, 1)), None));
    assert_eq!((claims[3].paid, claims[3].paid_on, claims[3].reason.as_deref()), (None, None, Some("the meeting was \"virtual\"")));
    for c in [&claims[0], &claims[1], &claims[4]] {
        assert_eq!((c.paid, c.paid_on, c.reason.as_deref()), (None, None, None));
    }

    // The city's year: claims 1-3 count.
    let used = s.year_usage("ES:valladolid", 2027).await.unwrap();
    assert_eq!((used.trips, used.amount), (3, Cents(31_050 + 32_050 + 33_050)));
    let all = s.list_usage().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].0.as_str(), all[0].1, all[0].2.trips), ("ES:valladolid", 2027, 3));

    // Waiting for links.
    let dan = s.get_pending(&pnd(4), NOW_SECS).await.unwrap().unwrap();
    assert_eq!(dan.item, PendingItem::Registration(registration("dan@x.eu", "Dan", "Valladolid", Some("MAtchUP"))));
    assert_eq!(
        (dan.token_hashes.as_slice(), dan.created_at.to_string(), dan.expires_at, dan.used),
        ([HASH_A.to_string(), HASH_B.to_string()].as_slice(), T_DAN.to_string(), FAR, false)
    );
    let six = s.latest_pending("claim", "ana@x.eu", NOW_SECS).await.unwrap().unwrap();
    assert_eq!(six.id, pnd(16));
    let PendingItem::Claim(c6) = &six.item else { panic!("claim 6 is a claim") };
    let expected = claim(6, 45_000, T_DAN);
    assert_eq!(
        (&c6.id, &c6.name, &c6.email, &c6.email_key, &c6.city, &c6.city_key),
        (&expected.id, &expected.name, &expected.email, &expected.email_key, &expected.city, &expected.city_key)
    );
    assert_eq!(
        (&c6.country, &c6.event_id, c6.year, c6.travel_start, c6.travel_end),
        (&expected.country, &expected.event_id, 2027, date(2027, 3, 15), date(2027, 3, 17))
    );
    assert_eq!((c6.amount, c6.transport, c6.accommodation, c6.created_at.to_string()), (Cents(45_050), Cents(45_000), Cents(50), T_DAN.to_string()));
    let listed: Vec<String> = s.list_pending(NOW_SECS).await.unwrap().into_iter().map(|p| p.id).collect();
    assert_eq!(listed, [pnd(4), pnd(16)]);
    let used_link = s.get_pending(&pnd(11), NOW_SECS).await.unwrap().unwrap();
    assert!(used_link.used);
    assert_eq!(used_link.token_hashes, [HASH_A, HASH_B]);
    let PendingItem::Claim(c1) = &used_link.item else { panic!("claim 1 is a claim") };
    assert_eq!((c1.amount, c1.created_at.to_string()), (Cents(31_050), "2026-11-02T11:00:00.25Z".to_string()));
    assert!(s.get_pending(&pnd(1), NOW_SECS).await.unwrap().unwrap().used);

    // The audit trail, oldest first.
    let trail: Vec<(String, String, String, String)> =
        s.list_audit().await.unwrap().into_iter().map(|a| (a.at.to_string(), a.actor, a.action, a.subject)).collect();
    let line = |at: &str, actor: &str, action: &str, subject: &str| (at.to_string(), actor.to_string(), action.to_string(), subject.to_string());
    let mut expected = vec![
        line(T_ANA, "applicant", "contact.confirmed", "ana@x.eu"),
        line(T_BEA, "applicant", "contact.confirmed", "bea@x.eu"),
        line(T_CAI, "applicant", "contact.confirmed", "cai@x.eu"),
        line(T_ANA_OK, "secretariat-ops", "contact.approved", "ana@x.eu"),
        line(T_DECLINE, "secretariat-ops", "contact.declined", "cai@x.eu"),
    ];
    for n in 1..=5u32 {
        expected.push(line(&format!("2026-11-02T1{n}:00:30Z"), "applicant", "claim.confirmed", &format!("clm_{n:032}")));
    }
    let decisions = [
        ("secretariat-ops", "claim.approved", 2),
        ("secretariat-ops", "claim.approved", 3),
        ("secretariat-ops", "claim.paid", 3),
        ("secretariat-ops", "claim.rejected", 4),
        ("applicant", "claim.withdrawn", 5),
    ];
    for (i, (actor, action, n)) in (1..).zip(decisions) {
        expected.push(line(&desk(i), actor, action, &format!("clm_{n:032}")));
    }
    assert_eq!(trail, expected);

    // Kept answers, and the leave link.
    let done = s.idempotent_get("register", "key-done").await.unwrap();
    let Some(Kept::Done(a)) = done else { panic!("the kept answer reads: {done:?}") };
    assert_eq!(
        (a.request_hash.as_str(), a.status, a.content_type.as_str(), a.location.as_deref()),
        ("hash-done", 202, "application/json", Some("/api/register/status"))
    );
    assert_eq!(a.body, b"{\"status\":\"sent\"}\n\x00\xff");
    assert_eq!(s.idempotent_get("travel-claim", "key-busy").await.unwrap(), Some(Kept::Pending { request_hash: "hash-busy".into() }));
    assert!(s.leave_link_works(&ccg_functions::token::leave_id("bea@x.eu"), HASH_LEAVE).await.unwrap());
    assert!(!s.leave_link_works(&ccg_functions::token::leave_id("bea@x.eu"), HASH_A).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_rows_of_the_first_version_read() {
    let path = common::temp_dir("stored").join("forms.sqlite3");
    let sql = std::fs::read_to_string(fixtures().join("sqlite.sql")).unwrap();
    rusqlite::Connection::open(&path).unwrap().execute_batch(&sql).unwrap();
    let open = |path: &Path| ccg_functions::SqliteStore::open(path).unwrap().with_person_key(common::person_key());
    let store = open(&path);
    check(&store).await;
    drop(store);

    // And today's store writes the same rows, and more (`later`).
    let fresh = common::temp_dir("stored").join("forms.sqlite3");
    let store = open(&fresh);
    fill(&store).await;
    drop(store);
    let dump = |path: &Path, fresh: bool| {
        let conn = rusqlite::Connection::open(path).unwrap();
        // Set from the clock and the process: not the record's shape.
        conn.execute("UPDATE idempotency SET expires_at = ?1, owner = NULL", [FAR]).unwrap();
        if fresh {
            later::sqlite(&conn);
        }
        dump_sqlite(&conn)
    };
    assert_eq!(dump(&fresh, true), dump(&path, false));
    // The desk's lists read the first version's rows, given their places when the file was opened.
    lists_read(&open(&path)).await;
    old_claims_still_block(&open(&path)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_items_of_the_first_version_read() {
    let local = DynamoLocal::start().await;
    let client = local.client();
    ccg_functions::store::dynamo::create_table(&client, "stored").await.unwrap();
    let items: Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("dynamodb.json")).unwrap()).unwrap();
    for item in items.as_array().unwrap() {
        client.put_item().table_name("stored").set_item(Some(item_from_json(item))).send().await.unwrap();
    }
    let stored = ccg_functions::store::dynamo::DynamoStore::new(client.clone(), "stored").with_person_key(common::person_key());
    check(&stored).await;

    // The desk's lists (issue 20) need the index attributes the first
    // version did not write: `desk reindex` gives them, once.
    let all = ClaimQuery::default();
    assert_eq!(ccg_functions::store::DeskStore::claims_page(&stored, &all, None, 50).await.unwrap().items, [], "not in the indexes yet");
    let done = stored.reindex().await.unwrap();
    assert_eq!((done.items, done.written, done.changed, done.unreadable), (51, 24, 0, 0), "3 contacts, 5 claims, 15 history lines, 1 counter");
    assert_eq!(stored.reindex().await.unwrap().written, 0, "a second run writes nothing");
    lists_read(&stored).await;

    // And today's store writes the same items, and more (`later`): the
    // reindexed ones with the same index attributes as today's.
    fill(&local.store("fresh").await).await;
    let (fresh, before) = (dump_dynamo(&client, "fresh").await, dump_dynamo(&client, "stored").await);
    assert_eq!(without_audit_ids(&later::dynamo(&fresh)), without_audit_ids(&before));
    old_claims_still_block(&stored).await;
}

/// The desk's lists of the fixtures' records: what `page_of` makes of the whole lists.
async fn lists_read<S: Store>(s: &S) {
    let (claims, contacts, audit) = (s.list_claims().await.unwrap(), s.list_contacts().await.unwrap(), s.list_audit().await.unwrap());
    let all = ClaimQuery::default();
    assert_eq!(s.claims_page(&all, None, 50).await.unwrap(), lists::page_of(claims, |c| all.admits(c), lists::claim_rank, Order::Oldest, None, 50));
    let all = ContactQuery { order: Order::Newest, ..ContactQuery::default() };
    assert_eq!(s.contacts_page(&all, None, 2).await.unwrap(), lists::page_of(contacts, |c| all.admits(c), lists::contact_rank, Order::Newest, None, 2));
    let all = AuditQuery { order: Order::Newest, ..AuditQuery::default() };
    let page = s.audit_page(&all, None, 50).await.unwrap();
    assert_eq!(page.items.len(), 15);
    assert_eq!(page, lists::page_of(audit.clone(), |e| all.admits(e), lists::audit_rank, Order::Newest, None, 50));
    let of_ana = AuditQuery { subject: Some("ana@x.eu".into()), ..AuditQuery::default() };
    assert_eq!(s.audit_page(&of_ana, None, 50).await.unwrap().items.len(), 2);
    assert_eq!(s.claims_of_person("ana@x.eu").await.unwrap().len(), 5);
    assert_eq!(s.usage_of_year(2027).await.unwrap().len(), 1);
}

/// Writes the fixtures anew from the stores as they are now. Run only to make a new
/// version's fixtures (`stored-v2`): `stored-v1` is what the first version wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn write_fixtures() {
    let dir = std::env::var_os("CCG_STORED_FIXTURES").map(PathBuf::from).unwrap_or_else(fixtures);
    std::fs::create_dir_all(&dir).unwrap();

    let path = common::temp_dir("stored-write").join("forms.sqlite3");
    let store = ccg_functions::SqliteStore::open(&path).unwrap().with_person_key(common::person_key());
    fill(&store).await;
    check(&store).await;
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE idempotency SET expires_at = ?1", [FAR]).unwrap();
    std::fs::write(dir.join("sqlite.sql"), dump_sqlite(&conn)).unwrap();

    let local = DynamoLocal::start().await;
    let client = local.client();
    let store = local.store("stored").await;
    fill(&store).await;
    check(&store).await;
    std::fs::write(dir.join("dynamodb.json"), dump_dynamo(&client, "stored").await).unwrap();
}
