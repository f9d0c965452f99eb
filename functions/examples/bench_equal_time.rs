//! Equal answers in equal time (issue 18): the claim form sent by a stranger
//! and by an approved representative, and the join form sent for a new
//! address and for a member's, answer with the same bytes; this prints how
//! long each takes, as distributions side by side, first without the answer
//! floor (the work itself) and then with `forms.answer_floor_ms` from
//! `content/config.yaml` (what a sender can measure). Requests alternate
//! between the two kinds so the machine's drift hits both alike; read the
//! ratios, not the absolute times (the machines here are shared).
//!
//!   cargo run --release -p ccg-functions --example bench_equal_time -- [--requests 400] [--dynamodb]
//! (`--dynamodb` also runs it on DynamoDB Local: needs CCG_DYNAMODB_LOCAL_JAR or ./scripts/setup-test-deps.sh.)

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;

use bytes::Bytes;
use ccg_functions::{App, Options, SqliteStore, Store, handle};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REPRESENTATIVES: usize = 20;

fn rep(i: usize) -> String {
    format!("rep{}@valladolid.es", i % REPRESENTATIVES)
}

/// A kind of request: its name, its path, and the body of its n-th.
type Kind = (&'static str, &'static str, fn(usize) -> serde_json::Value);

/// The four kinds of request compared, two by two.
fn kinds() -> [Kind; 4] {
    fn claim_as(email: String) -> serde_json::Value {
        let mut c = common::claim("e1", "300");
        c["email"] = email.into();
        c
    }
    [
        ("claim, stranger", "/api/travel-claims", |n| claim_as(format!("stranger{n}@elsewhere.example"))),
        ("claim, representative", "/api/travel-claims", |n| claim_as(rep(n))),
        ("join, new address", "/api/register", |n| common::registration(&format!("new{n}@valladolid.es"))),
        ("join, member's address", "/api/register", |n| common::registration(&rep(n))),
    ]
}

fn post(path: &str, body: &serde_json::Value) -> http::Request<Bytes> {
    common::json_post(path, body.clone())
}

/// `n` of each kind of a pair, alternating, `in_flight` at a time; the times of each kind.
async fn measure<S: Store>(app: Arc<App<S>>, pair: usize, n: usize, in_flight: usize) -> [Vec<Duration>; 2] {
    let ks = kinds();
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut answers: [Option<(u16, Bytes)>; 2] = [None, None];
    for chunk in (0..2 * n).collect::<Vec<_>>().chunks(in_flight) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let (app, (_, path, body)) = (app.clone(), ks[2 * pair + i % 2]);
                let req = post(path, &body(i / 2));
                tokio::spawn(async move {
                    let t = Instant::now();
                    let r = handle(&app, req).await;
                    (i % 2, t.elapsed(), r.status().as_u16(), r.into_body())
                })
            })
            .collect();
        for t in tasks {
            let (k, d, status, body) = t.await.unwrap();
            times[k].push(d);
            let seen = answers[k].get_or_insert((status, body.clone()));
            assert_eq!(*seen, (status, body), "one kind answered two ways");
        }
    }
    assert_eq!(answers[0], answers[1], "the two kinds must answer with the same bytes");
    times
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn print_pair(store: &str, floor: Duration, names: [&str; 2], mut t: [Vec<Duration>; 2]) {
    let mut medians = [0.0; 2];
    for (k, times) in t.iter_mut().enumerate() {
        times.sort();
        medians[k] = ms(times, 0.5);
        println!(
            "{store:<15} floor={:>4} ms  {:<24} n={:<4} p10={:>8.2}  p50={:>8.2}  p90={:>8.2}  p99={:>8.2}  max={:>8.2} ms",
            floor.as_millis(),
            names[k],
            times.len(),
            ms(times, 0.1),
            medians[k],
            ms(times, 0.9),
            ms(times, 0.99),
            ms(times, 1.0)
        );
    }
    // Overlap: the share of the second kind's times inside the first's p10..p90.
    let (lo, hi) = (ms(&t[0], 0.1), ms(&t[0], 0.9));
    let inside = t[1].iter().filter(|d| (lo..=hi).contains(&(d.as_secs_f64() * 1000.0))).count() as f64 / t[1].len() as f64;
    println!(
        "{store:<15} floor={:>4} ms  median ratio {:.3}; {:.0}% of the second inside the first's p10..p90",
        floor.as_millis(),
        medians[1] / medians[0],
        inside * 100.0
    );
}

async fn bench<S: Store>(store_name: &str, make: impl Fn() -> S, n: usize, floor: Duration) {
    for (pair, floor, in_flight) in [(0, Duration::ZERO, 1), (1, Duration::ZERO, 1), (0, floor, 40), (1, floor, 40)] {
        let options = Options { answer_floor: floor, ..common::options() };
        let app = Arc::new(common::app_with(make(), common::catalogue(), options));
        for i in 0..REPRESENTATIVES {
            common::representative(&app, &rep(i), "Valladolid", "ES").await;
        }
        // Warm-up: the store's pages and caches, the templates.
        drop(measure(app.clone(), pair, 50, in_flight).await);
        let times = measure(app, pair, n, in_flight).await;
        let ks = kinds();
        print_pair(store_name, floor, [ks[2 * pair].0, ks[2 * pair + 1].0], times);
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = args.iter().position(|a| a == "--requests").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(400);
    let site = ccg_functions::embedded::site().expect("the embedded content/config.yaml");
    let floor = Duration::from_millis(site.forms.answer_floor_ms);
    println!(
        "== {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |c| c.get()),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    let dir = common::temp_dir("bench-equal");
    let counter = std::sync::atomic::AtomicUsize::new(0);
    bench(
        "embedded/sqlite",
        || SqliteStore::open(&dir.join(format!("f{}.sqlite3", counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed)))).unwrap(),
        n,
        floor,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    if args.iter().any(|a| a == "--dynamodb") {
        let local = common::DynamoLocal::shared().await;
        let tables = std::sync::atomic::AtomicUsize::new(0);
        let mut stores = Vec::new();
        for _ in 0..4 {
            stores.push(local.store(&format!("ccg-equal-{}", tables.fetch_add(1, std::sync::atomic::Ordering::Relaxed))).await);
        }
        let stores = std::sync::Mutex::new(stores);
        bench("dynamodb-local", || stores.lock().unwrap().remove(0), n.min(200), floor).await;
    }
}
