//! Shared by the integration tests: a test catalogue, request builders, a
//! temporary SQLite store, and AWS's DynamoDB Local started on a free port.

use bytes::Bytes;
use ccg_functions::mail::outbox::{self, Outbox};
use ccg_functions::store::dynamo::{self, DynamoStore};
use ccg_functions::{App, Form, Forms, Options, Settings, SqliteStore, Store, handle};
use ccg_model::{Catalogue, Sources};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A physical, announced CCG event in Lisbon.
pub fn event_md(id: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: Test {id}\nstart: {start}\nend: {end}\ntimezone: Europe/Lisbon\nformat: physical\nkind: co-creation\n\
         location: {{city: Porto, country: PT}}\nannounced: 2020-01-01\n{extra}---\nBody\n"
    )
}

/// The real SCC cities and (unless given) the real rules, with `n` eligible events
/// `e1`..`eN` on 2027-03-16/17, `y2028` in 2028, `virtual`, and the draft `draft`.
pub fn catalogue_with(n: usize, rules: Option<&str>, drafts: bool) -> Catalogue {
    catalogue_edited(n, rules, drafts, |_, md| Some(md))
}

/// `catalogue_with`, each event's file changed by `edit(id, text)` (`None` leaves the event out).
pub fn catalogue_edited(n: usize, rules: Option<&str>, drafts: bool, edit: impl Fn(&str, String) -> Option<String>) -> Catalogue {
    let content = workspace().join("content");
    let read = |p: &str| (PathBuf::from(p), std::fs::read_to_string(content.join(p)).unwrap());
    let mut events: Vec<(String, String)> = (1..=n).map(|i| (format!("e{i}"), event_md(&format!("e{i}"), "2027-03-16", "2027-03-17", ""))).collect();
    events.push(("y2028".into(), event_md("y2028", "2028-05-10", "2028-05-10", "")));
    events.push(("virtual".into(), event_md("virtual", "2027-04-01", "2027-04-01", "").replace("format: physical", "format: virtual")));
    events.push(("draft".into(), event_md("draft", "2027-06-01", "2027-06-02", "draft: true\n")));
    let events: Vec<String> = events.into_iter().filter_map(|(id, md)| edit(&id, md)).collect();
    let mut rules_src = read("data/travel-support.yaml");
    if let Some(r) = rules {
        rules_src.1 = r.to_string();
    }
    let src = Sources {
        events: events.into_iter().enumerate().map(|(i, t)| (PathBuf::from(format!("events/{i}.md")), t)).collect(),
        projects: read("data/scc-projects.yaml"),
        rules: rules_src,
    };
    Catalogue::from_sources(&src, drafts).unwrap()
}

pub fn catalogue() -> Catalogue {
    catalogue_with(30, None, false)
}

/// Rules with room for many trips, so the euro limit is the one that bites.
pub const EURO_RULES: &str = "max_per_trip: 450\nmax_trips_per_year: 10\nmax_per_year: 900\n\
    eligible_cities:\n  - {role: lighthouse, project_ended: true}\n  - {role: fellow, project_ended: true}\n\
    eligible_formats: [physical]\nrequire_announced: true\n\
    claim_form: {days_after_meeting: 60, travel_days_before: 3, travel_days_after: 3}\n";

pub const ORIGIN: &str = "https://ccg.example.eu";

pub fn settings() -> Settings {
    Settings {
        allowed_origin: Some(ORIGIN.into()),
        allow_same_origin: false,
        serves: ccg_functions::Serves::Everything,
        log: std::env::var_os("CCG_TEST_LOG").is_some(),
    }
}

/// The day the tests judge claim windows on: the test events (March 2027) take claims.
pub const TODAY: jiff::civil::Date = jiff::civil::Date::constant(2027, 1, 10);

pub fn options() -> Options {
    // Generous email limits: the cases that send many forms for one address
    // are about something else; `emails_per_address_are_capped` sets its own.
    let mail_limits = ccg_forms::decide::MailLimits { per_hour: 1000, per_day: 1000 };
    Options { public_url: ORIGIN.into(), store_timeout: Duration::from_secs(10), today: Some(TODAY), mail_limits, ..Options::default() }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder under the system temp dir, unique to this process and call.
/// The folders of earlier runs (whose process is gone) are removed on first use.
pub fn temp_dir(name: &str) -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        for e in std::fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten() {
            let file_name = e.file_name();
            let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix("ccg-functions-")) else { continue };
            let pid = rest.split('-').next().unwrap_or("");
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("ccg-functions-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn sqlite_store(name: &str) -> SqliteStore {
    SqliteStore::open(&temp_dir(name).join("forms.sqlite3")).unwrap().with_person_key(person_key())
}

/// The tests' person key (one for every store of a test, as one deployment has one).
pub fn person_key() -> ccg_functions::token::PersonKey {
    ccg_functions::token::PersonKey::from_setting("tests-person-key-0123456789abcdef0123456789abcdef").unwrap()
}

/// The handler on `store`, mailing into a fresh outbox folder (`outbox_of(&app)`).
pub fn app<S: Store>(store: S, cat: Catalogue) -> App<S> {
    app_with(store, cat, options())
}

pub fn app_with<S: Store>(store: S, cat: Catalogue, options: Options) -> App<S> {
    let dir = temp_dir("outbox");
    let forms = Forms::new(store, Arc::new(Outbox::new(dir.clone())), cat, options);
    OUTBOXES.lock().unwrap().push((forms_addr(&forms), dir));
    App::new(forms, settings())
}

/// `app_with`, with the preview's bucket in a fresh folder (posting to `ORIGIN`) for the claims' documents.
pub fn app_with_files<S: Store>(store: S, cat: Catalogue) -> (App<S>, Arc<ccg_functions::files::local::LocalFiles>) {
    let files = Arc::new(ccg_functions::files::local::LocalFiles::open(&temp_dir("files"), ORIGIN).unwrap());
    let dir = temp_dir("outbox");
    let forms = Forms::new(store, Arc::new(Outbox::new(dir.clone())), cat, options()).with_files(files.clone());
    OUTBOXES.lock().unwrap().push((forms_addr(&forms), dir));
    (App::new(forms, settings()), files)
}

/// `app_with`, with the given file store for the claims' documents.
pub fn app_with_file_store<S: Store>(store: S, cat: Catalogue, files: Arc<dyn ccg_functions::files::FileStore>) -> App<S> {
    let dir = temp_dir("outbox");
    let forms = Forms::new(store, Arc::new(Outbox::new(dir.clone())), cat, options()).with_files(files);
    OUTBOXES.lock().unwrap().push((forms_addr(&forms), dir));
    App::new(forms, settings())
}

static OUTBOXES: std::sync::Mutex<Vec<(usize, PathBuf)>> = std::sync::Mutex::new(Vec::new());

fn forms_addr<S>(f: &Forms<S>) -> usize {
    Arc::as_ptr(&f.mailer) as *const () as usize
}

/// The outbox folder of an app made by `app`.
pub fn outbox_of<S>(app: &App<S>) -> PathBuf {
    let key = forms_addr(&app.forms);
    OUTBOXES.lock().unwrap().iter().rev().find(|(k, _)| *k == key).map(|(_, d)| d.clone()).expect("an app made by common::app")
}

/// Every email sent to `to` (any letter case), oldest first.
pub fn mails_to<S>(app: &App<S>, to: &str) -> Vec<ccg_functions::mail::Email> {
    outbox::read_all(&outbox_of(app)).unwrap().into_iter().map(|m| m.email).filter(|e| e.to.eq_ignore_ascii_case(to)).collect()
}

/// The token of the newest confirmation link sent to `to`, if any.
pub fn last_token<S>(app: &App<S>, to: &str) -> Option<String> {
    mails_to(app, to).iter().rev().find_map(|m| token_in(&m.text))
}

pub fn token_in(text: &str) -> Option<String> {
    let i = text.find("/confirm?token=")?;
    let rest = &text[i + "/confirm?token=".len()..];
    Some(rest.split_whitespace().next()?.to_string())
}

/// The token of the leave link at the end of an email, if it has one.
pub fn leave_token_in(text: &str) -> Option<String> {
    let i = text.find("/leave?token=")?;
    Some(text[i + "/leave?token=".len()..].split_whitespace().next()?.to_string())
}

pub fn confirm_post(form: Form, token: &str, json: bool) -> http::Request<Bytes> {
    let path = format!("/api/{}/confirm", form.name());
    if json { json_post(&path, serde_json::json!({ "token": token })) } else { form_post(&path, &[("token", token)]) }
}

/// Registers `email`, confirms it through its emailed link, and has the
/// desk approve it for `city` (in `country`).
pub async fn representative<S: Store>(app: &App<S>, email: &str, city: &str, country: &str) {
    let mut r = registration(email);
    r["city"] = city.into();
    r["country"] = country.into();
    let sent = handle(app, json_post("/api/register", r)).await;
    assert_eq!(sent.status(), 202, "{}", body_text(&sent));
    let token = last_token(app, email).expect("a confirmation email");
    let done = handle(app, confirm_post(Form::Register, &token, true)).await;
    assert_eq!(done.status(), 200, "{}", body_text(&done));
    app.forms.approve(email, city, Some(country), "test desk").await.unwrap();
}

/// Sends a claim and confirms it through its emailed link; returns the confirmation's status and JSON.
pub async fn claim_confirmed<S: Store>(app: &App<S>, claim: serde_json::Value) -> (u16, serde_json::Value) {
    let email = claim["email"].as_str().unwrap().to_string();
    let before = last_token(app, &email);
    let sent = handle(app, json_post("/api/travel-claims", claim)).await;
    if sent.status() != 202 {
        return (sent.status().as_u16(), body_json(&sent));
    }
    let token = last_token(app, &email).filter(|t| Some(t) != before.as_ref()).expect("a new confirmation link");
    let r = handle(app, confirm_post(Form::TravelClaims, &token, true)).await;
    (r.status().as_u16(), body_json(&r))
}

pub fn json_post(path: &str, body: serde_json::Value) -> http::Request<Bytes> {
    http::Request::post(path).header("content-type", "application/json").body(Bytes::from(body.to_string())).unwrap()
}

pub fn form_post(path: &str, pairs: &[(&str, &str)]) -> http::Request<Bytes> {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    http::Request::post(path).header("content-type", "application/x-www-form-urlencoded").body(Bytes::from(body.join("&"))).unwrap()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn registration(email: &str) -> serde_json::Value {
    serde_json::json!({
        "name": "Ana López", "email": email, "city": "Valladolid", "country": "ES",
        "organisation": "Ayuntamiento de Valladolid", "position": "Project officer",
        "city_status": "lighthouse", "project": "REMOURBAN", "consent": "yes", "website": ""
    })
}

/// A claim by ana@valladolid.es to `event` of `euros` in costs (all transport),
/// as the form sends it: the city and name come from her contact record.
pub fn claim(event: &str, euros: &str) -> serde_json::Value {
    let (start, end) = match event {
        "y2028" => ("2028-05-09", "2028-05-11"),
        "draft" => ("2027-06-01", "2027-06-02"),
        "virtual" => ("2027-04-01", "2027-04-01"),
        _ => ("2027-03-15", "2027-03-17"),
    };
    serde_json::json!({
        "email": "ana@valladolid.es", "event": event, "travel_start": start, "travel_end": end,
        "transport_eur": euros, "accommodation_eur": "0", "consent": "yes", "declaration": "yes", "website": ""
    })
}

pub fn as_pairs(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
}

pub fn form_from_json(path: &str, v: &serde_json::Value) -> http::Request<Bytes> {
    let pairs = as_pairs(v);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form_post(path, &refs)
}

pub fn body_json(r: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(r.body())))
}

pub fn body_text(r: &http::Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

// ---------------------------------------------------------------- DynamoDB Local

/// AWS's DynamoDB Local, killed when dropped.
pub struct DynamoLocal {
    child: Child,
    pub endpoint: String,
}

impl Drop for DynamoLocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn find_jar() -> PathBuf {
    if let Some(j) = std::env::var_os("CCG_DYNAMODB_LOCAL_JAR") {
        return PathBuf::from(j);
    }
    let lib = workspace().join(".cache/dynamodb-local/package/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("dynamodb_local_")))
            .filter(|p| p.join("DynamoDBLocal.jar").is_file())
            .collect();
        dirs.sort();
        dirs.pop().map(|d| d.join("DynamoDBLocal.jar"))
    });
    found.unwrap_or_else(|| {
        panic!(
            "DynamoDB Local is not installed: no CCG_DYNAMODB_LOCAL_JAR and no {}/dynamodb_local_*/DynamoDBLocal.jar. Run ./scripts/test.sh, which installs it.",
            lib.display()
        )
    })
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl DynamoLocal {
    pub async fn start() -> DynamoLocal {
        DynamoLocal::launch(false).await
    }

    /// One DynamoDB Local for the whole test binary (a table per case): a JVM
    /// takes seconds to start. No static is ever dropped, so it runs under a
    /// shell that stops it when this process ends and the shell's stdin,
    /// held here, closes.
    pub async fn shared() -> &'static DynamoLocal {
        static SHARED: tokio::sync::OnceCell<DynamoLocal> = tokio::sync::OnceCell::const_new();
        SHARED.get_or_init(|| DynamoLocal::launch(true)).await
    }

    async fn launch(until_we_exit: bool) -> DynamoLocal {
        let jar = find_jar();
        assert!(jar.is_file(), "{} does not exist. Run ./scripts/test.sh, which installs DynamoDB Local.", jar.display());
        let dir = jar.parent().unwrap();
        let port = free_port();
        let mut cmd = if until_we_exit {
            let mut sh = Command::new("sh");
            sh.args(["-c", "\"$@\" & pid=$!; read _; kill $pid; wait $pid", "sh", "java"]).stdin(Stdio::piped());
            sh
        } else {
            Command::new("java")
        };
        let child = cmd
            .arg("-Xmx512m")
            .arg(format!("-Djava.library.path={}", dir.join("DynamoDBLocal_lib").display()))
            .arg("-jar")
            .arg(&jar)
            .args(["-inMemory", "-sharedDb", "-disableTelemetry", "-port", &port.to_string()])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start java for DynamoDB Local (is Java 17 installed? ./scripts/test.sh installs it)");
        let local = DynamoLocal { child, endpoint: format!("http://127.0.0.1:{port}") };
        let client = local.client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if client.list_tables().send().await.is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "DynamoDB Local did not answer on {} within 60 s", local.endpoint);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        local
    }

    pub fn client(&self) -> aws_sdk_dynamodb::Client {
        client_for(&self.endpoint)
    }

    /// A new, empty table (names are unique per test case) and a store on it.
    pub async fn store(&self, table: &str) -> DynamoStore {
        let client = self.client();
        dynamo::create_table(&client, table).await.unwrap();
        DynamoStore::new(client, table).with_person_key(person_key())
    }
}

/// A client with fake credentials for any endpoint (DynamoDB Local, or a port that is closed or silent).
pub fn client_for(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("fake", "fake", None, None, "tests"))
        .endpoint_url(endpoint)
        // Roomier than production's: DynamoDB Local on a busy 2-core machine can take
        // seconds; the handler's own timeout still bounds every answer.
        .timeout_config(
            aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

// ---------------------------------------------------------------- moto's S3

/// moto's standalone server (an S3-compatible one) on a free loopback port, killed when dropped.
#[cfg(feature = "dynamodb")]
pub struct MotoS3 {
    child: Child,
    pub endpoint: String,
}

#[cfg(feature = "dynamodb")]
impl Drop for MotoS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "dynamodb")]
impl MotoS3 {
    pub async fn start() -> MotoS3 {
        let server = std::env::var_os("CCG_MOTO_SERVER").map(PathBuf::from).unwrap_or_else(|| workspace().join(".cache/venv-moto/bin/moto_server"));
        assert!(
            server.is_file(),
            "moto's S3 server is not installed: no {} (and no CCG_MOTO_SERVER). Run ./scripts/setup-test-deps.sh, which installs it in .cache/venv-moto.",
            server.display()
        );
        let port = free_port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let moto = MotoS3 { child, endpoint: format!("http://127.0.0.1:{port}") };
        let client = moto.client();
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.list_buckets().send().await.is_err() {
            assert!(Instant::now() < deadline, "moto did not answer on {} within 60 s", moto.endpoint);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        moto
    }

    /// A client with fake credentials, path-style (`<endpoint>/<bucket>/<key>`): no DNS names for buckets on loopback.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .credentials_provider(moto_credentials())
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// A new bucket and the file store on it, its forms posting to the bucket's path-style address.
    pub async fn files(&self, bucket: &str) -> ccg_functions::files::s3::S3Files {
        let client = self.client();
        // Outside us-east-1 a bucket names its region, as in AWS.
        let region = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1).build();
        client.create_bucket().bucket(bucket).create_bucket_configuration(region).send().await.unwrap();
        let creds = aws_sdk_s3::config::SharedCredentialsProvider::new(moto_credentials());
        ccg_functions::files::s3::S3Files::new(client, bucket, "eu-west-1", creds).with_form_action(&format!("{}/{bucket}", self.endpoint))
    }
}

/// Fake credentials with a session token, as a Lambda role's always has one.
#[cfg(feature = "dynamodb")]
fn moto_credentials() -> aws_sdk_s3::config::Credentials {
    aws_sdk_s3::config::Credentials::new("AKIDTESTING", "testing-secret", Some("testing-session-token".into()), None, "tests")
}
