//! Faults survived: a server killed mid-request (the embedded store), and
//! DynamoDB Local stopped and started again in the middle of a run. What must
//! hold: a submission answered with success is stored exactly once, one
//! answered with an error is not stored, and a retry with the same
//! Idempotency-Key gets the first answer (or, after a crash, the answer the
//! first attempt would have given), at once rather than "in progress". The
//! signed-in routes (`fault/signin.rs`) are held to the same with the store away.

use crate::common::*;
use bytes::Bytes;
use ccg_functions::mail::{Email, Mailer, SendFuture};
use ccg_functions::store::roles::*;
use ccg_functions::{App, Forms, SqliteStore, handle};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The signed-in routes with the store away (issue 19).
mod signin;

const REG: &str = "/api/register";
const EMAIL: &str = "crash@valladolid.es";
const KEY: &str = "crash-retry-1";

fn keyed(mut r: http::Request<Bytes>, key: &str) -> http::Request<Bytes> {
    r.headers_mut().insert("idempotency-key", key.parse().unwrap());
    r
}

/// A mailer that never finishes: the request is stuck after its submission was stored.
struct Stuck;

impl Mailer for Stuck {
    fn send<'a>(&'a self, _: &'a Email) -> SendFuture<'a> {
        Box::pin(std::future::pending())
    }
}

/// The server that crashes, run by `a_retry_after_a_crash_gets_the_answer` in a
/// child process: it takes the submission, stores it, prints STORED while its
/// email is still being sent, and waits for its SIGKILL.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "the child process of a_retry_after_a_crash_gets_the_answer"]
async fn crash_child() {
    let Some(db) = std::env::var_os("CCG_FAULT_CHILD_DB") else { return };
    let store = SqliteStore::open(Path::new(&db)).unwrap();
    let app = Arc::new(App::new(Forms::new(store, Arc::new(Stuck), catalogue(), options()), settings()));
    let a = app.clone();
    tokio::spawn(async move { handle(&a, keyed(json_post(REG, registration(EMAIL)), KEY)).await });
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.forms.store.list_pending(0).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the submission was never stored");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("STORED");
    tokio::time::sleep(Duration::from_secs(120)).await;
    panic!("not killed");
}

/// Regression (issue 12): after a crash mid-request, a retry with the same key
/// was told "in progress" for a minute although the submission was stored;
/// and once the mark expired, a retry stored it a second time.
#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_a_crash_gets_the_answer() {
    let db = temp_dir("crash").join("forms.sqlite3");
    drop(SqliteStore::open(&db).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["fault::crash_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("CCG_FAULT_CHILD_DB", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    let stored = out.lines().map_while(Result::ok).any(|l| l.contains("STORED"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(stored, "the child never stored the submission");

    // The restarted server, on the same file.
    let app = app(SqliteStore::open(&db).unwrap(), catalogue());
    assert_eq!(app.forms.store.list_pending(0).await.unwrap().len(), 1, "the crashed request stored the submission");
    let t0 = Instant::now();
    let retry = handle(&app, keyed(json_post(REG, registration(EMAIL)), KEY)).await;
    assert_eq!(retry.status(), 202, "{}", body_text(&retry));
    assert_eq!(body_json(&retry)["status"], "confirmation_sent");
    assert!(t0.elapsed() < Duration::from_secs(2), "the retry waited {:?}", t0.elapsed());
    assert_eq!(app.forms.store.list_pending(0).await.unwrap().len(), 1, "stored once, not again");

    // The retry's email carries a link to the one stored submission, and it works.
    let token = last_token(&app, EMAIL).expect("the retry sends the email the crash lost");
    let done = handle(&app, confirm_post(ccg_functions::Form::Register, &token, true)).await;
    assert_eq!(done.status(), 200, "{}", body_text(&done));
    assert_eq!(app.forms.store.list_contacts().await.unwrap().len(), 1);

    // From now on the answer is kept: the next retry gets it back, and sends nothing.
    let again = handle(&app, keyed(json_post(REG, registration(EMAIL)), KEY)).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotency-replayed"], "true");
    assert_eq!(again.body(), retry.body());
    assert_eq!(mails_to(&app, EMAIL).len(), 2, "the retry's link, and the welcome once confirmed");
}

/// A mark is taken over only when the process that set it is gone: one of a
/// server still running holds its key ("in progress") until it expires.
#[tokio::test(flavor = "multi_thread")]
async fn only_a_dead_servers_mark_is_taken_over() {
    let db = temp_dir("owners").join("forms.sqlite3");
    let store = SqliteStore::open(&db).unwrap();
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let alive = Command::new("sleep").arg("30").spawn().unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mark = |key: &str, owner: String| {
        conn.execute(
            "INSERT INTO idempotency (endpoint, key, request_hash, status, content_type, location, body, expires_at, owner)
             VALUES ('register', ?1, 'h', 0, '', NULL, x'', ?2, ?3)",
            rusqlite::params![key, jiff::Timestamp::now().as_second() + 15, owner],
        )
        .unwrap()
    };
    mark("of-the-living", format!("{}:open_x", alive.id()));
    mark("of-the-dead", format!("{dead_pid}:open_y"));
    let pending = Some(ccg_functions::store::Kept::Pending { request_hash: "h".into() });
    assert_eq!(store.idempotent_start("register", "of-the-living", "h").await.unwrap(), pending);
    assert_eq!(store.idempotent_start("register", "of-the-dead", "h").await.unwrap(), None, "taken over");
    assert_eq!(store.idempotent_start("register", "of-the-dead", "h").await.unwrap(), pending, "now this server's own");
    let mut alive = alive;
    alive.kill().unwrap();
    alive.wait().unwrap();
    assert_eq!(store.idempotent_start("register", "of-the-living", "h").await.unwrap(), None, "its server is gone now");
}

// ------------------------------------------------ DynamoDB Local stopped mid-run

/// DynamoDB Local on a data folder (not in memory: a restart keeps the table), stopped and started at will.
struct Restartable {
    child: Option<std::process::Child>,
    port: u16,
    dir: std::path::PathBuf,
}

impl Restartable {
    fn start(&mut self) {
        let jar = find_jar();
        let lib = jar.parent().unwrap();
        let child = Command::new("java")
            .arg("-Xmx512m")
            .arg(format!("-Djava.library.path={}", lib.join("DynamoDBLocal_lib").display()))
            .arg("-jar")
            .arg(&jar)
            .args(["-sharedDb", "-disableTelemetry", "-port", &self.port.to_string(), "-dbPath"])
            .arg(&self.dir)
            .current_dir(lib)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start java for DynamoDB Local");
        self.child = Some(child);
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_up(&self) {
        let client = client_for(&self.endpoint());
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.list_tables().send().await.is_err() {
            assert!(Instant::now() < deadline, "DynamoDB Local did not answer within 60 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops it as an outage does: SIGTERM, then SIGKILL if it lingers. Not
    /// SIGKILL at once: DynamoDB Local then loses, now and then, a write it
    /// had just acknowledged (seen here about once in ten runs: a 202 whose
    /// item was gone after the restart), which DynamoDB itself never does.
    /// Our own process is what the tests kill with SIGKILL (serve, above).
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Restartable {
    /// Freezes it (SIGSTOP) and thaws it (SIGCONT): to the functions, a store
    /// that stopped answering, whose requests time out mid-flight. Used where
    /// the run counts every acknowledged write: even after a SIGTERM, DynamoDB
    /// Local now and then loses a write it had just acknowledged (seen once
    /// in CI: a 202 whose item was gone after the restart), which DynamoDB
    /// itself never does, and that is not what these tests are about.
    fn pause(&self) {
        self.signal("-STOP");
    }
    fn resume(&self) {
        self.signal("-CONT");
    }
    fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let ok = std::process::Command::new("kill").args([sig, &c.id().to_string()]).status().is_ok_and(|s| s.success());
            assert!(ok, "kill {sig} DynamoDB Local");
        }
    }
}

impl Drop for Restartable {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Default)]
struct Tally {
    successes: usize,
    unavailable: usize,
    unavailable_while_down: usize,
    with_retry_after: usize,
    in_progress: usize,
    other: Vec<String>,
    /// Every answer each submission got, in order, and whether the store was down then.
    answers: std::collections::HashMap<usize, Vec<(u16, bool, bool)>>,
}

/// DynamoDB Local stopped (frozen: SIGSTOP) and started again (SIGCONT) in
/// the middle of a run of registrations from concurrent clients: 503s while
/// it does not answer, and after it is back every submission is stored
/// exactly once, the writes that landed late included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_stopped_and_started_mid_run() {
    const SUBMISSIONS: usize = 240;
    const CLIENTS: usize = 8;
    let mut db = Restartable { child: None, port: free_port(), dir: temp_dir("dynamo-data") };
    db.start();
    db.wait_up().await;
    let client = client_for(&db.endpoint());
    ccg_functions::store::dynamo::create_table(&client, "fault").await.unwrap();
    let store = ccg_functions::store::dynamo::DynamoStore::new(client, "fault");
    let opts = ccg_functions::Options { store_timeout: Duration::from_secs(2), ..options() };
    let app = Arc::new(app_with(store, catalogue(), opts));

    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tally = Arc::new(std::sync::Mutex::new(Tally::default()));
    let email = |i: usize| format!("dyn{i}@valladolid.es");
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (app, next, done, down, tally) = (app.clone(), next.clone(), done.clone(), down.clone(), tally.clone());
        clients.push(tokio::spawn(async move {
            use std::sync::atomic::Ordering::SeqCst;
            loop {
                let i = next.fetch_add(1, SeqCst);
                if i >= SUBMISSIONS {
                    return;
                }
                let deadline = Instant::now() + Duration::from_secs(120);
                loop {
                    let r = handle(&app, keyed(json_post(REG, registration(&email(i))), &format!("dyn-{i}"))).await;
                    let settled = {
                        let mut t = tally.lock().unwrap();
                        let replayed = r.headers().contains_key("idempotency-replayed");
                        t.answers.entry(i).or_default().push((r.status().as_u16(), down.load(SeqCst), replayed));
                        match r.status().as_u16() {
                            202 => {
                                t.successes += 1;
                                true
                            }
                            503 => {
                                t.unavailable += 1;
                                t.unavailable_while_down += usize::from(down.load(SeqCst));
                                t.with_retry_after += usize::from(r.headers().contains_key("retry-after"));
                                false
                            }
                            409 => {
                                t.in_progress += 1;
                                false
                            }
                            s => {
                                t.other.push(format!("{i}: {s} {}", body_text(&r)));
                                true
                            }
                        }
                    };
                    if settled {
                        break;
                    }
                    assert!(Instant::now() < deadline, "submission {i} got no success in 120 s");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                done.fetch_add(1, SeqCst);
            }
        }));
    }

    // A third of the way in: DynamoDB Local stops answering for a few seconds.
    while done.load(std::sync::atomic::Ordering::SeqCst) < SUBMISSIONS / 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    down.store(true, std::sync::atomic::Ordering::SeqCst);
    db.pause();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let during = tally.lock().unwrap().unavailable_while_down;
    db.resume();
    db.wait_up().await;
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }

    let pending = app.forms.store.list_pending(0).await.unwrap();
    let t = tally.lock().unwrap();
    let mut per_email: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for p in &pending {
        *per_email.entry(p.item.email_key().to_string()).or_default() += 1;
    }
    let lost_ones: Vec<usize> = (0..SUBMISSIONS).filter(|i| !per_email.contains_key(&email(*i))).collect();
    for i in &lost_ones {
        println!("lost {i}: answers (status, store down, replayed) {:?}", t.answers.get(i));
    }
    let lost = lost_ones.len();
    let doubled = per_email.values().filter(|n| **n > 1).count();
    println!(
        "dynamodb fault run: {SUBMISSIONS} submissions, {CLIENTS} clients, 1 stop: {} successes, {} answered 503 ({} while it was down, {} with Retry-After), {} told in progress, {} lost, {} doubled",
        t.successes, t.unavailable, t.unavailable_while_down, t.with_retry_after, t.in_progress, lost, doubled
    );
    assert!(t.other.is_empty(), "unexpected answers: {:?}", t.other);
    assert_eq!(t.successes, SUBMISSIONS);
    assert!(during > 0, "no 503 while DynamoDB Local was down");
    assert_eq!(t.with_retry_after, t.unavailable, "every 503 of a store that is down says when to try again");
    assert_eq!((lost, doubled, pending.len()), (0, 0, SUBMISSIONS), "stored exactly once each");
}
