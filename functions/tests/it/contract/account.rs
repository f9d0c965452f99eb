//! Signing in on both stores (`AccountStore`): staff records, sign-in links
//! that work once, sessions that expire on read, rotate and end, passkeys that
//! belong to one person, ceremonies answered once, and a person's sessions and
//! passkeys going with their erasure or leaving.

use crate::common::*;
use ccg_functions::records::{AuditEntry, Ceremony, CeremonyKind, Passkey, Role, Session, SignInLink, SignedInBy, Staff};
use ccg_functions::store::roles::*;
use ccg_functions::token;
use std::sync::Arc;

const ANA: &str = "ana@valladolid.es";
const BOB: &str = "bob@valladolid.es";

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn audit(action: &str, subject: &str) -> AuditEntry {
    AuditEntry { at: jiff::Timestamp::now(), actor: "Eva".into(), action: action.into(), subject: subject.into(), detail: String::new() }
}

async fn lines<S: Store>(store: &S, action: &str, subject: &str) -> usize {
    store.list_audit().await.unwrap().iter().filter(|a| a.action == action && a.subject == subject).count()
}

fn staff(email: &str) -> Staff {
    Staff { email_key: email.to_lowercase(), email: email.into(), name: "Eva Ortiz".into(), added_at: jiff::Timestamp::now(), added_by: "Eva".into() }
}

/// A session of `email_key` under a new secret's hash, last used at `used`, ending at `ends`.
fn session(email_key: &str, role: Role, used: i64, ends: i64) -> Session {
    Session {
        id_hash: token::hash_secret(&token::new_secret()),
        email_key: email_key.into(),
        role,
        by: SignedInBy::Link,
        created_at: used,
        last_used_at: used,
        passkey_at: None,
        device: "Firefox on Linux".into(),
        expires_at: ends,
    }
}

fn passkey(id: &str, email_key: &str, created_at: i64) -> Passkey {
    Passkey {
        id: id.into(),
        email_key: email_key.into(),
        user_handle: "aGFuZGxl".into(),
        credential: "Y3JlZA".into(),
        created_at,
        last_used_at: None,
        device: "Chrome on macOS".into(),
    }
}

fn link(email_key: &str, hash: &str, expires_at: i64) -> SignInLink {
    SignInLink { id: token::new_id("sgn"), token_hash: hash.into(), email_key: email_key.into(), created_at: jiff::Timestamp::now(), expires_at, used: false }
}

pub(super) async fn staff_are_added_once_and_removed_with_their_sessions<S: Store>(store: S) {
    assert!(store.add_staff(staff("Ana@Valladolid.es"), audit("staff.added", ANA)).await.unwrap());
    let mut again = staff(ANA);
    again.name = "Someone Else".into();
    assert!(!store.add_staff(again, audit("staff.added", ANA)).await.unwrap(), "already staff: nothing written");
    assert_eq!(lines(&store, "staff.added", ANA).await, 1, "one audit line");
    assert_eq!(store.get_staff(ANA).await.unwrap().unwrap().name, "Eva Ortiz", "the first record stands");
    assert!(store.add_staff(staff(BOB), audit("staff.added", BOB)).await.unwrap());
    let listed: Vec<String> = store.list_staff().await.unwrap().into_iter().map(|s| s.email_key).collect();
    assert_eq!(listed, [ANA, BOB]);

    // Her sessions, whatever their role, end with her staff record; Bob's stay.
    let t = now();
    let (a1, a2, b1) = (session(ANA, Role::Staff, t, t + 3600), session(ANA, Role::Member, t, t + 3600), session(BOB, Role::Staff, t, t + 3600));
    for s in [&a1, &a2, &b1] {
        store.start_session(s.clone(), None, None).await.unwrap();
    }
    assert!(store.remove_staff(ANA, audit("staff.removed", ANA)).await.unwrap());
    assert!(store.get_staff(ANA).await.unwrap().is_none());
    assert_eq!(store.get_session(&a1.id_hash, t).await.unwrap(), None);
    assert_eq!(store.get_session(&a2.id_hash, t).await.unwrap(), None);
    assert!(store.list_sessions(ANA, t).await.unwrap().is_empty());
    assert_eq!(store.get_session(&b1.id_hash, t).await.unwrap(), Some(b1));
    assert_eq!(lines(&store, "staff.removed", ANA).await, 1);
    // Not staff (any more): nothing written.
    assert!(!store.remove_staff(ANA, audit("staff.removed", ANA)).await.unwrap());
    assert!(!store.remove_staff("nobody@x.eu", audit("staff.removed", "nobody@x.eu")).await.unwrap());
    assert_eq!(lines(&store, "staff.removed", ANA).await, 1);
    assert_eq!(store.list_staff().await.unwrap().len(), 1);
}

/// Uses link `id` for a new session of `email_key`: whether it signed in.
async fn use_link<S: Store>(store: &S, id: &str, hash: &str, t: i64, email_key: &str) -> bool {
    let s = session(email_key, Role::Member, t, t + 3600);
    let used = store.use_sign_in_link(id, hash, t, s.clone(), None, audit("signin.link", email_key)).await.unwrap();
    // The session is written with the link's use, or not at all.
    assert_eq!(store.get_session(&s.id_hash, t).await.unwrap().is_some(), used, "a session without its link's use, or the other way round");
    used
}

pub(super) async fn a_sign_in_link_works_once<S: Store>(store: S) {
    let t = now();
    let hash = token::hash_secret("the secret");
    let l = link(ANA, &hash, t + 900);
    store.put_sign_in_link(l.clone()).await.unwrap();

    // A forged secret, an unknown id, another person, or the moment it expires: nothing, and nothing changes.
    let forged = token::hash_secret("another secret");
    assert_eq!(store.peek_sign_in_link(&l.id, &forged, t).await.unwrap(), None);
    assert!(!use_link(&store, &l.id, &forged, t, ANA).await);
    assert!(!use_link(&store, "sgn_unknown", &hash, t, ANA).await);
    assert!(!use_link(&store, &l.id, &hash, t, BOB).await, "a link signs in its own person only");
    assert_eq!(store.peek_sign_in_link(&l.id, &hash, l.expires_at).await.unwrap(), None);
    assert!(!use_link(&store, &l.id, &hash, l.expires_at, ANA).await, "expired at its expires_at");
    assert_eq!(lines(&store, "signin.link", ANA).await, 0);

    // Opening it (a mail scanner) changes nothing; using it works once, with its audit line.
    assert_eq!(store.peek_sign_in_link(&l.id, &hash, t).await.unwrap().as_deref(), Some(ANA));
    assert_eq!(store.peek_sign_in_link(&l.id, &hash, t).await.unwrap().as_deref(), Some(ANA));
    assert!(use_link(&store, &l.id, &hash, t, ANA).await);
    assert!(!use_link(&store, &l.id, &hash, t, ANA).await, "a link works once");
    assert_eq!(store.peek_sign_in_link(&l.id, &hash, t).await.unwrap(), None);
    assert_eq!((lines(&store, "signin.link", ANA).await, store.list_sessions(ANA, t).await.unwrap().len()), (1, 1));

    // Uses at once: exactly one wins, and only its session is written.
    let store = Arc::new(store);
    for _ in 0..3 {
        let l = link(BOB, &hash, t + 900);
        store.put_sign_in_link(l.clone()).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (store, id, hash) = (store.clone(), l.id.clone(), hash.clone());
                tokio::spawn(async move { use_link(&*store, &id, &hash, t, BOB).await })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            won += usize::from(task.await.unwrap());
        }
        assert_eq!(won, 1, "one of the concurrent uses wins");
    }
    assert_eq!((lines(&*store, "signin.link", BOB).await, store.list_sessions(BOB, t).await.unwrap().len()), (3, 3));
}

pub(super) async fn sessions_expire_rotate_and_end<S: Store>(store: S) {
    let t = now();
    let s1 = session(ANA, Role::Member, t - 100, t + 600);
    store.start_session(s1.clone(), None, Some(audit("signin.link", ANA))).await.unwrap();
    assert_eq!(lines(&store, "signin.link", ANA).await, 1, "the sign-in's audit line");
    assert_eq!(store.get_session(&s1.id_hash, t).await.unwrap(), Some(s1.clone()));
    // Expired on read at its end, whatever the store has deleted yet.
    assert_eq!(store.get_session(&s1.id_hash, s1.expires_at - 1).await.unwrap(), Some(s1.clone()));
    assert_eq!(store.get_session(&s1.id_hash, s1.expires_at).await.unwrap(), None);
    assert_eq!(store.get_session("unknown", t).await.unwrap(), None);

    // A use pushes its end back.
    store.touch_session(&s1.id_hash, t, t + 1200).await.unwrap();
    let touched = store.get_session(&s1.id_hash, t + 900).await.unwrap().expect("its end moved");
    assert_eq!((touched.last_used_at, touched.expires_at), (t, t + 1200));
    // A session that is gone stays gone; one that expired is not brought back.
    store.touch_session("unknown", t, t + 1200).await.unwrap();
    assert_eq!(store.get_session("unknown", t).await.unwrap(), None);
    let old = session(ANA, Role::Member, t - 1000, t - 10);
    store.start_session(old.clone(), None, None).await.unwrap();
    store.touch_session(&old.id_hash, t, t + 1200).await.unwrap();
    assert_eq!(store.get_session(&old.id_hash, t).await.unwrap(), None, "expired before the touch");

    // A step up to a passkey: the new session replaces the old one, in one step.
    let mut s2 = session(ANA, Role::Member, t, t + 600);
    s2.by = SignedInBy::Passkey;
    s2.passkey_at = Some(t);
    store.start_session(s2.clone(), Some(&s1.id_hash), Some(audit("signin.passkey", ANA))).await.unwrap();
    assert_eq!(store.get_session(&s1.id_hash, t).await.unwrap(), None, "the old session is gone");
    assert_eq!(store.get_session(&s2.id_hash, t).await.unwrap(), Some(s2.clone()));
    assert_eq!(lines(&store, "signin.passkey", ANA).await, 1);

    // Her sessions, most recently used first, without expired ones; Bob's are his.
    let s3 = session(ANA, Role::Staff, t + 50, t + 300);
    let s4 = session(ANA, Role::Member, t - 50, t + 900);
    let b = session(BOB, Role::Member, t + 60, t + 900);
    for s in [&s3, &s4, &b] {
        store.start_session(s.clone(), None, None).await.unwrap();
    }
    let ids = |v: Vec<Session>| v.into_iter().map(|s| s.id_hash).collect::<Vec<_>>();
    assert_eq!(ids(store.list_sessions(ANA, t).await.unwrap()), [s3.id_hash.clone(), s2.id_hash.clone(), s4.id_hash.clone()]);
    assert_eq!(ids(store.list_sessions(ANA, t + 300).await.unwrap()), [s2.id_hash.clone(), s4.id_hash.clone()], "s3 ended at t + 300");
    assert_eq!(ids(store.list_sessions(ANA, t + 600).await.unwrap()), [s4.id_hash.as_str()]);

    // Signing out: one session; unknown is fine.
    store.end_session(&s4.id_hash).await.unwrap();
    store.end_session(&s4.id_hash).await.unwrap();
    assert_eq!(store.get_session(&s4.id_hash, t).await.unwrap(), None);
    assert_eq!(ids(store.list_sessions(ANA, t).await.unwrap()), [s3.id_hash.clone(), s2.id_hash.clone()]);

    // Signing out everywhere else: all but this one (and not Bob's), with its audit line.
    let s5 = session(ANA, Role::Member, t, t + 600);
    store.start_session(s5.clone(), None, None).await.unwrap();
    let ended = store.end_sessions(ANA, Some(&s2.id_hash), Some(audit("sessions.ended", ANA))).await.unwrap();
    assert_eq!(ended, 2, "s3 and s5 (s4 was ended, `old` had expired)");
    assert_eq!(ids(store.list_sessions(ANA, t).await.unwrap()), [s2.id_hash.clone()]);
    assert_eq!(lines(&store, "sessions.ended", ANA).await, 1);
    assert_eq!(store.get_session(&b.id_hash, t).await.unwrap(), Some(b.clone()));
    // Everywhere: none left.
    assert_eq!(store.end_sessions(ANA, None, None).await.unwrap(), 1);
    assert!(store.list_sessions(ANA, t).await.unwrap().is_empty());
    assert_eq!(store.end_sessions(ANA, None, None).await.unwrap(), 0);
    assert_eq!(ids(store.list_sessions(BOB, t).await.unwrap()), [b.id_hash]);
}

pub(super) async fn passkeys_belong_to_their_person<S: Store>(store: S) {
    let t = now();
    let (p1, p2, q) = (passkey("cred-ana-1", ANA, t - 10), passkey("cred-ana-2", ANA, t), passkey("cred-bob", BOB, t - 20));
    for p in [&p2, &p1, &q] {
        store.add_passkey(p.clone(), audit("passkey.added", &p.email_key)).await.unwrap();
    }
    assert_eq!(lines(&store, "passkey.added", ANA).await, 2);
    assert_eq!(store.get_passkey("cred-ana-1").await.unwrap(), Some(p1.clone()));
    assert_eq!(store.get_passkey("unknown").await.unwrap(), None);
    assert_eq!(store.list_passkeys(ANA).await.unwrap(), [p1.clone(), p2.clone()], "oldest first");
    assert_eq!(store.list_passkeys(BOB).await.unwrap(), [q]);

    store.passkey_used("cred-ana-1", "bmV3", t + 5).await.unwrap();
    let used = store.get_passkey("cred-ana-1").await.unwrap().unwrap();
    assert_eq!((used.credential.as_str(), used.last_used_at), ("bmV3", Some(t + 5)));
    store.passkey_used("unknown", "bmV3", t + 5).await.unwrap();
    assert_eq!(store.get_passkey("unknown").await.unwrap(), None, "a use does not make a passkey");

    // Someone else's, or unknown: false, nothing written.
    assert!(!store.remove_passkey(BOB, "cred-ana-1", audit("passkey.removed", BOB)).await.unwrap());
    assert!(!store.remove_passkey(ANA, "unknown", audit("passkey.removed", ANA)).await.unwrap());
    assert_eq!(lines(&store, "passkey.removed", BOB).await + lines(&store, "passkey.removed", ANA).await, 0);
    assert!(store.get_passkey("cred-ana-1").await.unwrap().is_some());
    assert!(store.remove_passkey(ANA, "cred-ana-1", audit("passkey.removed", ANA)).await.unwrap());
    assert_eq!(lines(&store, "passkey.removed", ANA).await, 1);
    assert_eq!(store.get_passkey("cred-ana-1").await.unwrap(), None);
    assert_eq!(store.list_passkeys(ANA).await.unwrap(), [p2]);
    assert!(!store.remove_passkey(ANA, "cred-ana-1", audit("passkey.removed", ANA)).await.unwrap(), "removed once");
}

pub(super) async fn a_ceremony_answers_once<S: Store>(store: S) {
    let t = now();
    let c = Ceremony { id: "Y2hhbGxlbmdl".into(), kind: CeremonyKind::Register, email_key: Some(ANA.into()), state: "c3RhdGU".into(), expires_at: t + 300 };
    store.put_ceremony(c.clone()).await.unwrap();
    let d = Ceremony { id: "b3RoZXI".into(), kind: CeremonyKind::Authenticate, email_key: None, state: "c3RhdGU".into(), expires_at: t + 300 };
    store.put_ceremony(d.clone()).await.unwrap();
    assert_eq!(store.take_ceremony(&c.id, t).await.unwrap(), Some(c.clone()));
    assert_eq!(store.take_ceremony(&c.id, t).await.unwrap(), None, "taken once");
    assert_eq!(store.take_ceremony("unknown", t).await.unwrap(), None);
    assert_eq!(store.take_ceremony(&d.id, d.expires_at).await.unwrap(), None, "expired at its expires_at");

    // Answers at once: one gets it.
    let store = Arc::new(store);
    let e = Ceremony { id: "cmFjZQ".into(), kind: CeremonyKind::Authenticate, email_key: None, state: "c3RhdGU".into(), expires_at: t + 300 };
    store.put_ceremony(e.clone()).await.unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take_ceremony("cmFjZQ", t).await.unwrap() })
        })
        .collect();
    let mut got = Vec::new();
    for task in tasks {
        got.extend(task.await.unwrap());
    }
    assert_eq!(got, [e]);
}

/// A person's sessions and passkeys go with their erasure and with their
/// leaving; a staff record stays (only `remove_staff` removes one).
pub(super) async fn erasure_and_leaving_take_sessions_and_passkeys<S: Store>(store: S) {
    let app = app(store, catalogue());
    let store = &app.forms.store;
    representative(&app, ANA, "Valladolid", "ES").await;
    representative(&app, BOB, "Valladolid", "ES").await;
    let t = now();
    let mut sessions = Vec::new();
    for who in [ANA, BOB] {
        for role in [Role::Member, Role::Staff] {
            let s = session(who, role, t, t + 600);
            store.start_session(s.clone(), None, None).await.unwrap();
            sessions.push(s);
        }
        store.add_passkey(passkey(&format!("cred-{who}"), who, t), audit("passkey.added", who)).await.unwrap();
    }
    assert!(store.add_staff(staff(ANA), audit("staff.added", ANA)).await.unwrap());

    app.forms.erase(ANA, "Eva").await.unwrap();
    assert!(store.list_sessions(ANA, t).await.unwrap().is_empty());
    assert!(store.get_session(&sessions[0].id_hash, t).await.unwrap().is_none() && store.get_session(&sessions[1].id_hash, t).await.unwrap().is_none());
    assert!(store.list_passkeys(ANA).await.unwrap().is_empty());
    assert_eq!(store.get_passkey(&format!("cred-{ANA}")).await.unwrap(), None);
    assert!(store.get_staff(ANA).await.unwrap().is_some(), "a staff record stays");
    assert_eq!(store.list_sessions(BOB, t).await.unwrap().len(), 2, "nobody else is touched");
    assert_eq!(store.list_passkeys(BOB).await.unwrap().len(), 1);

    // Leaving from a link takes them too.
    let secret = token::new_secret();
    assert!(store.add_leave_link(BOB, &token::hash_secret(&secret)).await.unwrap());
    let gone = audit("contact.left", ccg_functions::store::ERASED);
    store.leave(&token::leave_id(BOB), &token::hash_secret(&secret), gone).await.unwrap();
    assert!(store.list_sessions(BOB, t).await.unwrap().is_empty());
    assert!(store.get_session(&sessions[2].id_hash, t).await.unwrap().is_none() && store.get_session(&sessions[3].id_hash, t).await.unwrap().is_none());
    assert!(store.list_passkeys(BOB).await.unwrap().is_empty());
    assert_eq!(store.get_passkey(&format!("cred-{BOB}")).await.unwrap(), None);
}

/// The embedded store's sweep deletes expired sessions, links and ceremonies
/// (DynamoDB's TTL does, late: there every read checks the end, as above).
pub(super) async fn expired_sign_in_records_are_swept<S: Store>(store: S, embedded: bool) {
    let t = now();
    let (gone, kept) = (session(ANA, Role::Member, t - 100, t - 1), session(ANA, Role::Member, t, t + 600));
    store.start_session(gone.clone(), None, None).await.unwrap();
    store.start_session(kept.clone(), None, None).await.unwrap();
    store.put_sign_in_link(link(ANA, "h", t - 1)).await.unwrap();
    let c = Ceremony { id: "c3dlcHQ".into(), kind: CeremonyKind::Authenticate, email_key: None, state: "c3RhdGU".into(), expires_at: t - 1 };
    store.put_ceremony(c).await.unwrap();
    let swept = store.sweep(t).await.unwrap().expect("both stores say what they swept");
    if embedded {
        assert_eq!(swept.sign_in, 3, "{swept:?}");
        assert_eq!(store.end_sessions(ANA, Some(&kept.id_hash), None).await.unwrap(), 0, "the expired one is gone");
    } else {
        assert_eq!(swept.sign_in, 0, "DynamoDB's TTL deletes them");
    }
    assert_eq!(store.get_session(&gone.id_hash, t).await.unwrap(), None);
    assert_eq!(store.get_session(&kept.id_hash, t).await.unwrap(), Some(kept));
}

/// More sessions than one DynamoDB transaction takes: removing a staff
/// member, signing out everywhere and leaving still end every one.
pub(super) async fn many_sessions_all_end<S: Store>(store: S) {
    let app = app(store, catalogue());
    let store = &app.forms.store;
    representative(&app, BOB, "Valladolid", "ES").await;
    let t = now();
    let start = |who: &'static str, n: usize| async move {
        let mut v = Vec::new();
        for _ in 0..n {
            let s = session(who, Role::Staff, t, t + 600);
            store.start_session(s.clone(), None, None).await.unwrap();
            v.push(s.id_hash);
        }
        v
    };
    assert!(store.add_staff(staff(ANA), audit("staff.added", ANA)).await.unwrap());
    let ana = start(ANA, 120).await;
    assert_eq!(store.list_sessions(ANA, t).await.unwrap().len(), 120);
    assert_eq!(store.end_sessions(ANA, Some(&ana[7]), Some(audit("sessions.ended", ANA))).await.unwrap(), 119);
    assert_eq!(store.list_sessions(ANA, t).await.unwrap().len(), 1);
    assert_eq!(lines(store, "sessions.ended", ANA).await, 1);
    start(ANA, 100).await;
    assert!(store.remove_staff(ANA, audit("staff.removed", ANA)).await.unwrap());
    assert!(store.list_sessions(ANA, t).await.unwrap().is_empty());
    assert!(store.get_session(&ana[7], t).await.unwrap().is_none());
    assert_eq!(lines(store, "staff.removed", ANA).await, 1);

    let bob = start(BOB, 100).await;
    let secret = token::new_secret();
    assert!(store.add_leave_link(BOB, &token::hash_secret(&secret)).await.unwrap());
    store.leave(&token::leave_id(BOB), &token::hash_secret(&secret), audit("contact.left", ccg_functions::store::ERASED)).await.unwrap();
    assert!(store.list_sessions(BOB, t).await.unwrap().is_empty());
    assert!(store.get_session(&bob[99], t).await.unwrap().is_none());
}
