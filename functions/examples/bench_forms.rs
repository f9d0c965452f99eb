//! Benchmark of the form endpoints over real HTTP on 127.0.0.1: the same
//! handler as the Lambdas and `serve`, in a small hyper server, once on the
//! embedded SQLite store and once on DynamoDB Local. 100 concurrent clients
//! (one keep-alive connection each) send JSON submissions, bounded by a count
//! and a time; prints requests/s and p50/p99 latency per endpoint and store,
//! and the Lambda start-up time (embedded catalogue parse + SDK client).
//!
//!   cargo run --release -p ccg-functions --example bench_forms -- [--clients 100] [--requests 20000] [--seconds 20] [--rate N] [--dynamodb-rate N] [--skip-dynamodb]
//! (scripts/bench-forms.sh runs it and reports the Lambda binary sizes.)

// The tests' helpers: the benchmark uses a part of them.
#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;

use bytes::Bytes;
use ccg_functions::{App, Form, Options, SqliteStore, Store, handle};
use ccg_model::{Catalogue, Sources};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Opts {
    clients: usize,
    requests: usize,
    seconds: u64,
    /// Offered load in requests/s over all clients (0: each client sends as fast as it can).
    rate: usize,
    /// The same for DynamoDB Local, which takes far less than SQLite.
    dynamodb_rate: usize,
    dynamodb: bool,
}

fn opts() -> Opts {
    let mut o = Opts { clients: 100, requests: 20_000, seconds: 20, rate: 0, dynamodb_rate: 0, dynamodb: true };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = || args.get(i + 1).and_then(|v| v.parse::<usize>().ok()).expect("a number after the option");
        match args[i].as_str() {
            "--clients" => o.clients = val(),
            "--requests" => o.requests = val(),
            "--seconds" => o.seconds = val() as u64,
            "--rate" => o.rate = val(),
            "--dynamodb-rate" => o.dynamodb_rate = val(),
            "--skip-dynamodb" => {
                o.dynamodb = false;
                i -= 1;
            }
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    o
}

/// The real cities and rules, with two eligible events a year for a century,
/// so every (city, event) pair of the run is a new claim and most are accepted.
fn bench_catalogue() -> Catalogue {
    let content = common::workspace().join("content");
    let read = |p: &str| (PathBuf::from(p), std::fs::read_to_string(content.join(p)).unwrap());
    let mut events = Vec::new();
    for year in 2030..2130 {
        for (n, day) in [(1, "03-10"), (2, "09-15")] {
            let id = format!("b{year}-{n}");
            events.push((PathBuf::from(format!("events/{id}.md")), common::event_md(&id, &format!("{year}-{day}"), &format!("{year}-{day}"), "")));
        }
    }
    let src = Sources { events, projects: read("data/scc-projects.yaml"), rules: read("data/travel-support.yaml") };
    Catalogue::from_sources(&src, false).unwrap()
}

/// Eligible cities (name, country): lighthouse and fellow cities of every project.
fn cities(cat: &Catalogue) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> =
        cat.directory.projects.iter().flat_map(|p| p.lighthouse_cities.iter().chain(&p.fellow_cities)).map(|c| (c.name.clone(), c.country.clone())).collect();
    v.sort();
    v.dedup();
    // Names that match more than one city in a country would be refused as ambiguous.
    v.retain(|(n, c)| {
        let mut keys: Vec<String> = cat.directory.find(n, Some(c)).iter().map(|m| m.key()).collect();
        keys.dedup();
        keys.len() == 1
    });
    v
}

async fn serve<S: Store>(app: Arc<App<S>>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else { continue };
            let _ = sock.set_nodelay(true);
            let app = app.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let resp = handle(&app, http::Request::from_parts(parts, body)).await;
                        Ok::<_, std::convert::Infallible>(resp.map(Full::new))
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(sock), svc).await;
            });
        }
    });
    addr
}

struct Run {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
    elapsed: Duration,
}

/// `clients` connections send `make(n)` bodies until `total` are sent or `limit` has passed.
/// With `rate` > 0 each client sends on its own clock, so together they offer `rate` requests/s.
async fn drive(
    addr: std::net::SocketAddr,
    path: &'static str,
    clients: usize,
    total: usize,
    limit: Duration,
    rate: usize,
    make: Arc<dyn Fn(usize) -> String + Send + Sync>,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + limit;
    let interval = (rate > 0).then(|| Duration::from_secs_f64(clients as f64 / rate as f64));
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (next, make) = (next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
            tokio::spawn(conn);
            let mut lat = Vec::new();
            let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
            let mut tick = interval.map(|i| tokio::time::Instant::now() + i.mul_f64(client as f64 / clients as f64));
            loop {
                if let (Some(t), Some(i)) = (tick.as_mut(), interval) {
                    tokio::time::sleep_until(*t).await;
                    *t += i;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total || Instant::now() >= deadline {
                    break;
                }
                let req = hyper::Request::post(path)
                    .header("host", addr.to_string())
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(make(n))))
                    .unwrap();
                let t = Instant::now();
                let resp = sender.send_request(req).await.unwrap();
                let status = resp.status().as_u16();
                let _ = resp.into_body().collect().await.unwrap();
                lat.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (lat, statuses)
        }));
    }
    let mut run = Run { latencies: Vec::new(), statuses: BTreeMap::new(), elapsed: Duration::ZERO };
    for t in tasks {
        let (lat, st) = t.await.unwrap();
        run.latencies.extend(lat);
        for (k, v) in st {
            *run.statuses.entry(k).or_default() += v;
        }
    }
    run.elapsed = started.elapsed();
    run
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(store: &str, endpoint: &str, clients: usize, rate: usize, mut run: Run) {
    let load = if rate > 0 { format!("offered={rate}/s") } else { "closed-loop".to_string() };
    run.latencies.sort();
    let n = run.latencies.len();
    println!(
        "{store:<15} {endpoint:<14} clients={clients:<4} {load:<15} requests={n:<6} {:>7.0} req/s   p50={:>6.2} ms   p99={:>6.2} ms   max={:>7.2} ms   statuses={:?}",
        n as f64 / run.elapsed.as_secs_f64(),
        pct(&run.latencies, 0.50),
        pct(&run.latencies, 0.99),
        pct(&run.latencies, 1.0),
        run.statuses
    );
}

async fn bench_store<S: Store>(name: &str, store: S, o: &Opts, rate: usize) {
    let cat = bench_catalogue();
    let cities = Arc::new(cities(&cat));
    let events: Arc<Vec<String>> = Arc::new(cat.events.iter().map(|e| e.id.clone()).collect());
    // Today as the day claim windows are judged on, so the bench's meetings take claims;
    // the emails go to an outbox folder under the system's temp dir.
    let mut app = common::app_with(store, cat, Options { today: None, ..common::options() });
    app.settings.log = std::env::var_os("BENCH_LOG").is_some();
    let app: Arc<App<S>> = Arc::new(app);
    let addr = serve(app).await;
    let limit = Duration::from_secs(o.seconds);

    // Warm-up: connections, SQLite pages, the JVM of DynamoDB Local.
    let warm = Arc::new(|n: usize| common::registration(&format!("warm{n}@bench.example")).to_string());
    drop(drive(addr, "/api/register", 10, 500, limit, 0, warm).await);

    let reg = Arc::new(|n: usize| common::registration(&format!("person{n}@city{}.example", n % 97)).to_string());
    report(name, "register", o.clients, rate, drive(addr, "/api/register", o.clients, o.requests, limit, rate, reg).await);

    let claim = {
        let (cities, events) = (cities.clone(), events.clone());
        Arc::new(move |n: usize| {
            let (city, country) = &cities[n % cities.len()];
            let city_part: String = city.chars().filter(char::is_ascii_alphanumeric).collect();
            let event = &events[(n / cities.len()) % events.len()];
            let year = &event[1..5];
            let day = if event.ends_with("-1") { "03-10" } else { "09-15" };
            let mut c = common::claim(event, "300");
            c["email"] = format!("rep{n}@{city_part}.{}.example", country.to_lowercase()).into();
            c["travel_start"] = format!("{year}-{day}").into();
            c["travel_end"] = format!("{year}-{day}").into();
            c.to_string()
        })
    };
    report(name, "travel-claims", o.clients, rate, drive(addr, "/api/travel-claims", o.clients, o.requests, limit, rate, claim).await);
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let o = opts();

    // One-time start-up of a Lambda: embedded catalogue + SDK client (needs CCG_TABLE and AWS_REGION).
    if std::env::var_os("CCG_TABLE").is_some() {
        let mut runs = Vec::new();
        for _ in 0..5 {
            let (_, t) = ccg_functions::lambda::startup(ccg_functions::Serves::Form(Form::TravelClaims)).await.unwrap();
            runs.push(t);
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let first = runs[0];
        println!(
            "start-up (first of 5): catalogue {:.2} ms + client {:.2} ms = {:.2} ms; later runs: {}",
            ms(first.catalogue),
            ms(first.client),
            ms(first.catalogue + first.client),
            runs[1..].iter().map(|t| format!("{:.2}", ms(t.catalogue + t.client))).collect::<Vec<_>>().join(", ")
        );
    }

    let dir = common::temp_dir("bench");
    let sqlite = SqliteStore::open(&dir.join("forms.sqlite3")).unwrap().with_person_key(common::person_key());
    bench_store("embedded/sqlite", sqlite, &o, o.rate).await;
    let _ = std::fs::remove_dir_all(&dir);

    if o.dynamodb {
        let local = common::DynamoLocal::start().await;
        let store = local.store("ccg-bench").await;
        bench_store("dynamodb-local", store, &o, if o.rate > 0 && o.dynamodb_rate > 0 { o.dynamodb_rate } else { o.rate }).await;
    }
}
