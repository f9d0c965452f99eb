//! The Lambda binaries as AWS runs them: `register`, `travel-claim`, `account` and `desk-web`
//! (the real binaries, as `bootstrap` files), each started against
//! cargo-lambda's Runtime API emulator (`cargo lambda watch
//! --only-lambda-apis`), fed with the committed API Gateway HTTP API v2
//! events of `tests/lambda/events/` through `cargo lambda invoke`, storing
//! into DynamoDB Local and mailing through SES's API, answered by a small SES
//! stand-in on loopback (`AWS_ENDPOINT_URL_SESV2`). Each answer and the items
//! stored are checked.
//!
//! Ignored by a plain `cargo test` (it needs the binaries and cargo-lambda);
//! `scripts/test.sh` runs it with `--ignored` on the binaries its `cargo test` built, giving
//! `CCG_LAMBDA_DIR` (the folder with `register/bootstrap`,
//! `travel-claim/bootstrap`, `account/bootstrap` and `desk-web/bootstrap`) and `CCG_CARGO_LAMBDA` (the cargo-lambda binary).

use crate::common;

use crate::common::{DynamoLocal, free_port, token_in, workspace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TABLE: &str = "ccg-forms";
const SITE: &str = "https://ccg.example.eu";
/// The value the committed events carry in `x-ccg-origin-verify` (a test value, nothing real).
const ORIGIN_SECRET: &str = "test-origin-secret-0123456789";
const PERSON_KEY: &str = "test-person-key-0123456789abcdef0123456789";

fn events_dir() -> PathBuf {
    workspace().join("tests/lambda/events")
}

fn event(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name)).unwrap_or_else(|e| panic!("tests/lambda/events/{name}: {e}"))
}

fn required_path(var: &str, what: &str) -> PathBuf {
    let p = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| panic!("set {var} to {what} (scripts/test.sh does)"));
    assert!(p.exists(), "{var}={} does not exist", p.display());
    p
}

// ---------------------------------------------------------------- SES stand-in

/// Answers SES v2 `SendEmail` (`POST /v2/email/outbound-emails`) like SES
/// does, and keeps each request's JSON body. Loopback only.
pub(crate) struct SesStub {
    pub(crate) url: String,
    pub(crate) sent: Arc<Mutex<Vec<Value>>>,
}

impl SesStub {
    pub(crate) fn start() -> SesStub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let keep = sent.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let keep = keep.clone();
                std::thread::spawn(move || serve_ses(stream, &keep));
            }
        });
        SesStub { url, sent }
    }

    /// The messages sent to `to`, as (subject, text).
    fn mails_to(&self, to: &str) -> Vec<(String, String)> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m["Destination"]["ToAddresses"].as_array().is_some_and(|a| a.iter().any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(to)))))
            .map(|m| {
                let simple = &m["Content"]["Simple"];
                (simple["Subject"]["Data"].as_str().unwrap_or("").to_string(), simple["Body"]["Text"]["Data"].as_str().unwrap_or("").to_string())
            })
            .collect()
    }

    fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

/// One keep-alive connection: requests one after another.
fn serve_ses(stream: TcpStream, sent: &Mutex<Vec<Value>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, answer) = if request_line.starts_with("POST /v2/email/outbound-emails") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(v) if v["FromEmailAddress"].is_string() => {
                    let mut all = sent.lock().unwrap();
                    all.push(v);
                    ("200 OK", format!("{{\"MessageId\":\"stub-{}\"}}", all.len()))
                }
                _ => ("400 Bad Request", "{\"message\":\"not a SendEmail request\"}".to_string()),
            }
        } else {
            ("404 Not Found", "{\"message\":\"the stand-in only knows SendEmail\"}".to_string())
        };
        let head = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-amzn-requestid: stub\r\ncontent-length: {}\r\n\r\n", answer.len());
        if out.write_all(head.as_bytes()).and_then(|_| out.write_all(answer.as_bytes())).is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------- a Lambda under the emulator

/// One binary, started as Lambda starts it, behind its own Runtime API emulator.
struct Lambda {
    name: &'static str,
    watch: Child,
    function: Child,
    port: u16,
    log: PathBuf,
    spawned: Instant,
    cargo_lambda: PathBuf,
}

impl Drop for Lambda {
    fn drop(&mut self) {
        for c in [&mut self.function, &mut self.watch] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on 127.0.0.1:{port} within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Lambda {
    fn start(name: &'static str, env: &[(&str, &str)]) -> Lambda {
        let cargo_lambda = required_path("CCG_CARGO_LAMBDA", "the cargo-lambda binary");
        let bootstrap = required_path("CCG_LAMBDA_DIR", "the folder with <binary>/bootstrap").join(name).join("bootstrap");
        assert!(bootstrap.is_file(), "{} is missing: build the binaries (cargo build -p ccg-functions)", bootstrap.display());
        let dir = common::temp_dir(&format!("lambda-{name}"));
        let log = dir.join("function.log");
        let port = free_port();
        // `watch` wants a Cargo.toml in its folder; --only-lambda-apis starts no build.
        let watch = Command::new(&cargo_lambda)
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
            .current_dir(workspace())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("watch.log")).unwrap())
            .stderr(std::fs::File::create(dir.join("watch.err.log")).unwrap())
            .spawn()
            .expect("cannot start cargo lambda watch");
        wait_for_port(port, "cargo lambda watch");
        // Only what Lambda itself would set, plus the stack's variables: no
        // AWS profile or credentials of the machine leak in.
        let mut cmd = Command::new(&bootstrap);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let spawned = Instant::now();
        let function = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::options().append(true).open(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bootstrap.display()));
        Lambda { name, watch, function, port, log, spawned, cargo_lambda }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends one event through `cargo lambda invoke`; the function's answer.
    fn invoke(&self, event_json: &str) -> Answer {
        let file = common::temp_dir(&format!("event-{}", self.name)).join("event.json");
        std::fs::write(&file, event_json).unwrap();
        let out = Command::new(&self.cargo_lambda)
            .args(["lambda", "invoke", "-A", "127.0.0.1", "-P", &self.port.to_string(), "--output-format", "json", "--data-file"])
            .arg(&file)
            .current_dir(workspace())
            .stdin(Stdio::null())
            .output()
            .expect("cannot run cargo lambda invoke");
        assert!(
            out.status.success(),
            "cargo lambda invoke ({}) failed: {}\n{}\nfunction log:\n{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        Answer::from(v)
    }
}

/// An API Gateway v2 answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: BTreeMap<String, String>,
    /// API Gateway v2 answers carry their `Set-Cookie`s apart, in `cookies`.
    cookies: Vec<String>,
    body: String,
}

impl From<Value> for Answer {
    fn from(v: Value) -> Answer {
        let status = v["statusCode"].as_u64().unwrap_or_else(|| panic!("no statusCode in {v}")) as u16;
        let headers = v["headers"]
            .as_object()
            .map(|h| h.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_string())).collect())
            .unwrap_or_default();
        let body = match (v["body"].as_str(), v["isBase64Encoded"].as_bool()) {
            (Some(b), Some(true)) => panic!("a binary answer was not expected: {b}"),
            (Some(b), _) => b.to_string(),
            (None, _) => String::new(),
        };
        let cookies = v["cookies"].as_array().map(|c| c.iter().filter_map(|c| c.as_str().map(str::to_string)).collect()).unwrap_or_default();
        Answer { status, headers, cookies, body }
    }
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

// ---------------------------------------------------------------- the table

async fn keys(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = client.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("scan");
        for item in page.items() {
            out.push(item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default());
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    out.sort();
    out
}

fn with_prefix<'a>(keys: &'a [String], prefix: &str) -> Vec<&'a String> {
    keys.iter().filter(|k| k.starts_with(prefix)).collect()
}

/// `ms` since the process started, up to its first answer (cold start), and its start-up log line.
fn startup_figures(l: &Lambda, first_answer: Duration) -> String {
    let line = l.log().lines().find(|x| x.contains("start-up")).unwrap_or("(no start-up line)").to_string();
    format!("{}: first answer {:.0} ms after the process started; {line}", l.name, first_answer.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the cargo-lambda binaries: scripts/test.sh runs it"]
async fn the_binaries_answer_as_lambdas() {
    let version = ccg_functions::embedded::content_version();
    let dynamo = DynamoLocal::start().await;
    let client = dynamo.client();
    ccg_functions::store::dynamo::create_table(&client, TABLE).await.unwrap();
    // DynamoDB Local's first requests are slow (the JVM warms up); production
    // timeouts are short. A few reads first, so a slow first answer is not a 503.
    for _ in 0..5 {
        let _ = client.describe_table().table_name(TABLE).send().await;
        let _ = keys(&client, TABLE).await;
    }
    let ses = SesStub::start();
    let env: Vec<(&str, &str)> = vec![
        ("CCG_TABLE", TABLE),
        ("CCG_ALLOWED_ORIGIN", SITE),
        ("CCG_MAIL_FROM", "ccg@example.eu"),
        ("CCG_ORIGIN_SECRET", ORIGIN_SECRET),
        ("CCG_PERSON_KEY", PERSON_KEY),
        ("AWS_ENDPOINT_URL_DYNAMODB", &dynamo.endpoint),
        ("AWS_ENDPOINT_URL_SESV2", &ses.url),
    ];
    let mut figures = Vec::new();
    let check_version = |a: &Answer, what: &str| {
        assert_eq!(a.header("x-content-version"), Some(version.as_str()), "{what}: X-Content-Version");
    };

    // ---- register
    let register = Lambda::start("register", &env);

    // A plain form post, base64-encoded by API Gateway: stored as pending, mailed, redirected.
    let a = register.invoke(&event("register-form-base64.json"));
    figures.push(startup_figures(&register, register.spawned.elapsed()));
    assert_eq!(a.status, 303, "{a:?}\n{}", register.log());
    assert!(a.header("location").is_some_and(|l| l.starts_with(SITE)), "{a:?}");
    check_version(&a, "form post");
    let stored = keys(&client, TABLE).await;
    assert_eq!(with_prefix(&stored, "PENDING#").len(), 1, "{stored:?}");
    assert_eq!(with_prefix(&stored, "LATEST#").len(), 1, "{stored:?}");
    assert!(stored.iter().any(|k| k.starts_with("LATEST#") && k.ends_with("#ana.form@example.org")), "{stored:?}");
    assert!(with_prefix(&stored, "CONTACT#").is_empty(), "nothing is a contact before its link is opened: {stored:?}");
    let mails = ses.mails_to("ana.form@example.org");
    assert_eq!(mails.len(), 1, "one confirmation email through SES");
    let token = token_in(&mails[0].1).expect("a confirmation link in the email");
    assert!(mails[0].1.contains(&format!("{SITE}/api/register/confirm?token=")), "{}", mails[0].1);

    // JSON with an Idempotency-Key, then the same request again (a retry):
    // the same answer, replayed, and nothing stored or mailed twice.
    let first = register.invoke(&event("register-json-idempotent.json"));
    assert_eq!(first.status, 202, "{first:?}\n{}", register.log());
    assert_eq!(first.json()["status"], "confirmation_sent");
    assert_eq!(first.header("idempotency-replayed"), None);
    assert_eq!(first.header("access-control-allow-origin"), Some(SITE), "CORS from the function itself");
    check_version(&first, "JSON post");
    let after_first = keys(&client, TABLE).await;
    let retry = register.invoke(&event("register-json-idempotent.json"));
    assert_eq!(retry.status, 202, "{retry:?}");
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    check_version(&retry, "retry");
    let after_retry = keys(&client, TABLE).await;
    assert_eq!(after_retry, after_first, "a retry stores nothing new");
    assert!(after_retry.contains(&"IDEM#register#test-key-0001".to_string()), "{after_retry:?}");
    assert_eq!(with_prefix(&after_retry, "PENDING#").len(), 2, "{after_retry:?}");
    assert_eq!(ses.mails_to("ana.json@example.org").len(), 1, "a retry sends no second email");

    // The emailed link, confirmed: now a contact.
    let confirm = register.invoke(&event("register-confirm-json.json").replace("TOKEN", &token));
    assert_eq!(confirm.status, 200, "{confirm:?}\n{}", register.log());
    check_version(&confirm, "confirmation");
    let stored = keys(&client, TABLE).await;
    assert!(stored.contains(&"CONTACT#ana.form@example.org".to_string()), "{stored:?}");
    assert!(!with_prefix(&stored, "AUDIT#").is_empty(), "the confirmation is audited: {stored:?}");
    let again = register.invoke(&event("register-confirm-json.json").replace("TOKEN", &token));
    assert_eq!(again.status, 410, "a link works once: {again:?}");

    // Straight to the API, without CloudFront's header: refused before anything.
    let before = keys(&client, TABLE).await;
    let mails_before = ses.count();
    let direct = register.invoke(&event("register-without-origin-secret.json"));
    assert_eq!(direct.status, 403, "{direct:?}");
    assert!(direct.body.contains("site's own address"), "{direct:?}");
    check_version(&direct, "refused request");
    assert_eq!(keys(&client, TABLE).await, before, "nothing stored");
    assert_eq!(ses.count(), mails_before, "nothing mailed");
    let log = register.log();
    for secret in ["ana.form@example.org", "ana.json@example.org", "Ana López", &token, ORIGIN_SECRET, PERSON_KEY] {
        assert!(!log.contains(secret), "the function log shows {secret:?}:\n{log}");
    }
    drop(register);

    // ---- travel-claim
    let claim = Lambda::start("travel-claim", &env);
    let foreign = claim.invoke(&event("travel-claim-foreign-origin.json"));
    figures.push(startup_figures(&claim, claim.spawned.elapsed()));
    assert_eq!(foreign.status, 403, "another site's post: {foreign:?}\n{}", claim.log());
    assert!(foreign.body.contains("Nothing was stored"), "{foreign:?}");
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    check_version(&foreign, "foreign post");
    let wrong = claim.invoke(&event("travel-claim-wrong-origin-secret.json"));
    assert_eq!(wrong.status, 403, "a guessed origin header: {wrong:?}");
    check_version(&wrong, "wrong secret");
    let unknown = claim.invoke(&event("travel-claim-unknown-link.json"));
    assert_eq!(unknown.status, 410, "{unknown:?}\n{}", claim.log());
    check_version(&unknown, "unknown link");
    assert_eq!(keys(&client, TABLE).await, before, "nothing stored by the refused requests");
    assert_eq!(ses.count(), mails_before);
    drop(claim);

    // ---- account: the signed-in pages. ana.form is a contact now: her sign-in
    // link goes out through SES, and signs her in with the session cookie.
    let account = Lambda::start("account", &env);
    let a = account.invoke(&event("account-sign-in.json"));
    figures.push(startup_figures(&account, account.spawned.elapsed()));
    assert_eq!((a.status, a.header("location")), (303, Some("/sign-in/sent/")), "{a:?}\n{}", account.log());
    check_version(&a, "sign-in form");
    let mail = ses.mails_to("ana.form@example.org").pop().expect("a sign-in email through SES").1;
    let at = mail.find(&format!("{SITE}/sign-in/link?token=")).unwrap_or_else(|| panic!("no sign-in link in {mail}"));
    let token = mail[at..].split_once("token=").unwrap().1.split_whitespace().next().unwrap().to_string();
    let a = account.invoke(&event("account-sign-in-link.json").replace("TOKEN", &token));
    assert_eq!((a.status, a.header("location")), (303, Some("/members/")), "{a:?}\n{}", account.log());
    let cookie = a.cookies.iter().find_map(|c| c.strip_prefix("__Host-ccg_session=")).unwrap_or_else(|| panic!("no session cookie: {a:?}"));
    assert!(cookie.contains("; Secure; HttpOnly; SameSite=Lax"), "{cookie}");
    let secret = cookie.split(';').next().unwrap().to_string();
    let stored = keys(&client, TABLE).await;
    assert_eq!(with_prefix(&stored, "SESSION#").len(), 1, "{stored:?}");
    assert!(!stored.iter().any(|k| k.contains(&secret)), "the secret itself is stored: {stored:?}");
    let page = account.invoke(&event("account-page.json").replace("COOKIE", &secret));
    assert_eq!(page.status, 200, "{page:?}\n{}", account.log());
    assert!(page.body.contains("ana.form@example.org"), "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    check_version(&page, "account page");
    // The desk is not the account function's (its rights are the desk function's).
    let desk_here = account.invoke(&event("desk-web-without-session.json"));
    assert_eq!(desk_here.status, 404, "{desk_here:?}\n{}", account.log());
    check_version(&desk_here, "the desk asked of the account function");
    let log = account.log();
    for secret in ["ana.form@example.org", &token, &secret, ORIGIN_SECRET, PERSON_KEY] {
        assert!(!log.contains(secret), "the account function's log shows {secret:?}:\n{log}");
    }
    drop(account);

    // ---- desk-web: the desk's pages. Without a session, to the account
    // function's sign-in page; a post from another site's page, even with a
    // session cookie the browser sends along, changes nothing.
    let desk = Lambda::start("desk-web", &env);
    let a = desk.invoke(&event("desk-web-without-session.json"));
    figures.push(startup_figures(&desk, desk.spawned.elapsed()));
    assert_eq!((a.status, a.header("location")), (303, Some("/sign-in/")), "{a:?}\n{}", desk.log());
    assert_eq!(a.header("cache-control"), Some("no-store"));
    check_version(&a, "the desk without a session");
    let stored = keys(&client, TABLE).await;
    let mails = ses.count();
    let foreign = desk.invoke(&event("desk-web-foreign-origin.json").replace("COOKIE", &secret));
    assert_eq!(foreign.status, 403, "another site's post: {foreign:?}\n{}", desk.log());
    assert!(foreign.body.contains("Nothing was changed"), "{foreign:?}");
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    check_version(&foreign, "foreign post to the desk");
    assert_eq!(keys(&client, TABLE).await, stored, "nothing stored by the refused post");
    assert_eq!(ses.count(), mails, "nothing mailed by the refused post");
    let log = desk.log();
    for secret in ["ana.form@example.org", &secret, ORIGIN_SECRET, PERSON_KEY] {
        assert!(!log.contains(secret), "the desk function's log shows {secret:?}:\n{log}");
    }
    drop(desk);
    // What the refused requests below must leave as it is.
    let before = keys(&client, TABLE).await;
    let mails_before = ses.count();

    // ---- a function whose table does not exist: 503, nothing mailed.
    let mut missing_env = env.clone();
    missing_env[0] = ("CCG_TABLE", "ccg-no-such-table");
    let missing = Lambda::start("register", &missing_env);
    let a = missing.invoke(&event("register-missing-table.json"));
    assert_eq!(a.status, 503, "{a:?}\n{}", missing.log());
    assert!(a.json()["error"].is_string(), "{a:?}");
    check_version(&a, "missing table");
    assert_eq!(ses.count(), mails_before, "nothing mailed without a store");
    assert!(ses.mails_to("ana.missing@example.org").is_empty());
    assert_eq!(keys(&client, TABLE).await, before);
    drop(missing);

    for f in &figures {
        println!("lambda start-up: {f}");
    }
    println!("lambda: content version {version}, {} emails through the SES stand-in", ses.count());
}

#[test]
fn the_committed_events_are_function_url_events() {
    let mut names: Vec<String> = std::fs::read_dir(events_dir()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for n in &names {
        let v: Value = serde_json::from_str(&event(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(v["version"], "2.0", "{n}");
        let method = v["requestContext"]["http"]["method"].as_str().unwrap();
        let path = v["rawPath"].as_str().unwrap();
        // A function URL's event: one route for every path (`$default`),
        // and the URL's own host (CloudFront signs for it, infra/template.yaml).
        assert_eq!(v["routeKey"], "$default", "{n}");
        let host = v["headers"]["host"].as_str().unwrap_or_default();
        assert!(host.ends_with(".on.aws") && host.contains(".lambda-url."), "{n}: {host}");
        assert!(["GET", "POST", "OPTIONS"].contains(&method), "{n}: {method}");
        assert!(["/api/", "/sign-in", "/account", "/desk", "/members"].iter().any(|p| path.starts_with(p)), "{n}: {path}");
        if v["isBase64Encoded"] == true {
            assert!(v["body"].as_str().is_some_and(|b| b.bytes().all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c))), "{n}");
        }
    }
}
