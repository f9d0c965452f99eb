//! The signed-in routes with the store gone (issue 19): DynamoDB Local
//! stopped, SQLite locked by another writer, and a store that fails between
//! a sign-in link's use and its session's write. What must hold: every
//! answer is a 503 with Retry-After (JSON and HTML), never a 500, never a
//! Set-Cookie; once the store is back, a link that was not used still works,
//! once; nothing is half-written (a link used without its session, a session
//! without its `signin.link` line, sessions half ended); and no log line
//! carries an address, a link's token or a cookie's secret.

use super::Restartable;
use crate::common::*;
use crate::signin::{cookie_of, get, member, post, sign_in, sign_in_token, signed_in};
use bytes::Bytes;
use ccg_functions::{App, SqliteStore, Store, handle};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ANA: &str = "ana@city.eu";
const NOBODY: &str = "nobody@city.eu";

/// The log lines the handler writes (as the Lambdas write them: `lambda::json_log`).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Logs what runs on this thread (the test's body: the handler runs on it) until the guard drops.
    fn start(&self) -> tracing::subscriber::DefaultGuard {
        let c = self.clone();
        tracing::subscriber::set_default(ccg_functions::lambda::json_log(move || c.clone()))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// No personal data and no secret in the log: neither address (nor its
/// parts), nor a link's token or its secret, nor a cookie's secret.
fn clean_log(log: &str, secrets: &[&str]) {
    assert!(log.contains("account answered"), "the handler logged no answer:\n{log}");
    for personal in [ANA, NOBODY, "ana@", "nobody@", "city.eu"] {
        assert!(!log.contains(personal), "the log shows {personal:?}:\n{log}");
    }
    for s in secrets {
        let secret = s.rsplit('.').next().unwrap();
        assert!(!log.contains(s) && !log.contains(secret), "the log shows a secret ({s}):\n{log}");
    }
}

/// The requests of the signed-in routes that touch the store, each as a form
/// and as JSON: (what, request).
fn requests(token: &str, cookie: &str) -> Vec<(String, http::Request<Bytes>)> {
    let mut v = Vec::new();
    for json in [false, true] {
        let mut add = |what: &str, mut r: http::Request<Bytes>| {
            if json {
                r.headers_mut().insert("accept", "application/json".parse().unwrap());
            }
            v.push((format!("{what} ({})", if json { "JSON" } else { "HTML" }), r));
        };
        add("POST /sign-in/ a member", post("/sign-in/", &[("email", ANA)], None));
        add("POST /sign-in/ a stranger", post("/sign-in/", &[("email", NOBODY)], None));
        add("GET /sign-in/link", get(&format!("/sign-in/link?token={token}"), None));
        add("POST /sign-in/link", post("/sign-in/link", &[("token", token)], None));
        add("POST /sign-in/link signed in", post("/sign-in/link", &[("token", token)], Some(cookie)));
        add("GET /account/", get("/account/", Some(cookie)));
        add("POST /account/sign-out-everywhere", post("/account/sign-out-everywhere", &[], Some(cookie)));
        add("POST /account/sign-out", post("/account/sign-out", &[], Some(cookie)));
    }
    v
}

/// An answer of a store that is away: 503 with Retry-After, in the asked
/// format, not kept by a cache, and no cookie set or cleared.
fn unavailable(what: &str, r: &http::Response<Bytes>, json: bool, started: Instant) {
    assert_eq!(r.status(), 503, "{what}: {}", body_text(r));
    assert!(r.headers().contains_key("retry-after"), "{what}: no Retry-After");
    assert!(r.headers().get("set-cookie").is_none(), "{what}: a Set-Cookie while the store is away");
    assert_eq!(r.headers()["cache-control"], "no-store", "{what}");
    let kind = r.headers()["content-type"].to_str().unwrap();
    if json {
        assert!(kind.starts_with("application/json"), "{what}: {kind}");
        assert!(body_json(r)["error"].as_str().unwrap().contains("try again"), "{what}");
    } else {
        assert!(kind.starts_with("text/html"), "{what}: {kind}");
        assert!(body_text(r).contains("Please try again in a few minutes."), "{what}");
    }
    assert!(started.elapsed() < Duration::from_secs(8), "{what}: answered after {:?}", started.elapsed());
}

/// Counts of what the store holds for ANA: sessions, `signin.link` lines, `sessions.ended` lines.
async fn held<S: Store>(app: &App<S>) -> (usize, usize, usize) {
    let (_, now) = app.forms.now();
    let sessions = app.forms.store.list_sessions(ANA, now).await.unwrap().len();
    let audit = app.forms.store.list_audit().await.unwrap();
    let count = |action: &str| audit.iter().filter(|e| e.action == action && e.subject == ANA).count();
    (sessions, count("signin.link"), count("sessions.ended"))
}

fn sign_in_mails<S>(app: &App<S>) -> usize {
    mails_to(app, ANA).iter().filter(|m| m.subject.starts_with("Sign in")).count()
}

/// After the outage: the session started before it still works, the link
/// asked for before it works once now, and the store holds each session
/// with its audit line, nothing more.
async fn after_the_outage<S: Store>(app: &App<S>, cookie: &str, token: &str) -> String {
    assert!(signed_in(app, cookie).await, "the session from before the outage ended (a sign-out half done?)");
    assert_eq!(held(app).await, (1, 1, 0), "the outage wrote nothing");
    assert_eq!(sign_in_mails(app), 2, "no sign-in email while the store was away");
    let r = handle(app, post("/sign-in/link", &[("token", token)], None)).await;
    assert_eq!(r.status(), 303, "the link not used during the outage works now: {}", body_text(&r));
    let second = cookie_of(&r).expect("a cookie");
    assert_eq!(handle(app, post("/sign-in/link", &[("token", token)], None)).await.status(), 410, "and only once");
    assert!(signed_in(app, &second).await && signed_in(app, cookie).await);
    assert_eq!(held(app).await, (2, 2, 0), "each session with its signin.link line");
    second
}

/// DynamoDB Local stopped (as the forms' fault test stops it) while a member
/// is signed in and holds an unused link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_routes_while_dynamodb_is_stopped() {
    let mut db = Restartable { child: None, port: free_port(), dir: temp_dir("dynamo-signin") };
    db.start();
    db.wait_up().await;
    let client = client_for(&db.endpoint());
    ccg_functions::store::dynamo::create_table(&client, "fault-signin").await.unwrap();
    let store = ccg_functions::store::dynamo::DynamoStore::new(client, "fault-signin");
    let mut app = app_with(store, catalogue(), ccg_functions::Options { store_timeout: Duration::from_secs(2), ..options() });
    app.settings.log = true;
    let log = Captured::default();
    let _log = log.start();

    member(&app, ANA).await;
    let cookie = sign_in(&app, ANA, None).await;
    assert_eq!(handle(&app, post("/sign-in/", &[("email", ANA)], None)).await.status(), 303);
    let token = sign_in_token(&app, ANA).unwrap();

    db.stop();
    for (what, r) in requests(&token, &cookie) {
        let json = what.ends_with("(JSON)");
        let t = Instant::now();
        let r = handle(&app, r).await;
        unavailable(&what, &r, json, t);
    }
    db.start();
    db.wait_up().await;

    let second = after_the_outage(&app, &cookie, &token).await;
    clean_log(&log.text(), &[&token, &cookie, &second]);
}

/// SQLite locked by another writer: what writes waits, then answers 503;
/// what only reads (in WAL mode readers are not blocked) still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_routes_while_sqlite_is_locked() {
    let path = temp_dir("locked-signin").join("forms.sqlite3");
    let store = SqliteStore::open_with(&path, Duration::from_millis(300)).unwrap().with_person_key(person_key());
    let mut app = app_with(store, catalogue(), ccg_functions::Options { store_timeout: Duration::from_secs(2), ..options() });
    app.settings.log = true;
    let log = Captured::default();
    let _log = log.start();

    member(&app, ANA).await;
    let cookie = sign_in(&app, ANA, None).await;
    assert_eq!(handle(&app, post("/sign-in/", &[("email", ANA)], None)).await.status(), 303);
    let token = sign_in_token(&app, ANA).unwrap();

    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for (what, r) in requests(&token, &cookie) {
        let json = what.ends_with("(JSON)");
        let t = Instant::now();
        let r = handle(&app, r).await;
        if what.starts_with("GET ") {
            // Reading a link or a session needs no write (a use is recorded at most once a minute).
            assert_eq!(r.status(), 200, "{what}: {}", body_text(&r));
            assert!(r.headers().get("set-cookie").is_none(), "{what}");
        } else {
            unavailable(&what, &r, json, t);
        }
    }
    other.execute_batch("ROLLBACK").unwrap();

    let second = after_the_outage(&app, &cookie, &token).await;
    clean_log(&log.text(), &[&token, &cookie, &second]);
}

/// The store fails after a link's use is written and before its session is
/// (DynamoDB gone between the two requests, a disk full between the two
/// transactions: here a trigger refuses new sessions). The answer is a 503;
/// the link must not be spent by it: once the store is back, it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_whose_session_was_not_written_still_works() {
    let path = temp_dir("session-fails").join("forms.sqlite3");
    let app = app(SqliteStore::open(&path).unwrap().with_person_key(person_key()), catalogue());
    member(&app, ANA).await;
    assert_eq!(handle(&app, post("/sign-in/", &[("email", ANA)], None)).await.status(), 303);
    let token = sign_in_token(&app, ANA).unwrap();

    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("CREATE TRIGGER no_sessions BEFORE INSERT ON sessions BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;").unwrap();
    let r = handle(&app, post("/sign-in/link", &[("token", &token)], None)).await;
    unavailable("POST /sign-in/link, its session refused", &r, false, Instant::now());
    other.execute_batch("DROP TRIGGER no_sessions").unwrap();

    let used: i64 = other.query_row("SELECT COUNT(*) FROM sign_in_links WHERE used = 1", [], |r| r.get(0)).unwrap();
    assert_eq!((held(&app).await, used), ((0, 0, 0), 0), "no session, and no link spent without one");
    let r = handle(&app, post("/sign-in/link", &[("token", &token)], None)).await;
    assert_eq!(r.status(), 303, "the link works once the store is back: {}", body_text(&r));
    assert!(signed_in(&app, &cookie_of(&r).unwrap()).await);
    assert_eq!(held(&app).await, (1, 1, 0));
}
