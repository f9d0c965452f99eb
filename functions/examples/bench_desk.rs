//! Benchmark of the desk's lists (issue 20): 10,000 claims and 5,000
//! contacts with their history, on DynamoDB Local (started here) and on
//! SQLite, each list's first page and a page further on taken again and
//! again: the median and 95th percentile in ms, and the DynamoDB requests a
//! page costs, by kind. The records are written as the stores keep them
//! (`put_records`: the stores' own item and row builders), not through the forms.
//!
//!   cargo run --release -p ccg-functions --example bench_desk -- [--claims 10000] [--contacts 5000] [--runs 30] [--page 50] [--skip-dynamodb]
//! (scripts/bench-desk.sh runs it.)

// The tests' helpers: DynamoDB Local, and the records of the query-cost test.
#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;
#[path = "../tests/it/lists/records.rs"]
#[allow(dead_code)]
mod records;

use ccg_functions::records::{ClaimStatus, ContactStatus};
use ccg_functions::store::StoreError;
use ccg_functions::store::dynamo::{self, DynamoStore, Requests};
use ccg_functions::store::lists::{AuditQuery, ClaimQuery, ContactQuery, ListPage, Order};
use ccg_functions::{SqliteStore, Store};
use std::collections::BTreeMap;
use std::time::Instant;

struct Opts {
    claims: usize,
    contacts: usize,
    runs: usize,
    page: usize,
    dynamodb: bool,
}

fn opts() -> Opts {
    let mut o = Opts { claims: 10_000, contacts: 5_000, runs: 30, page: 50, dynamodb: true };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = || args.get(i + 1).and_then(|v| v.parse::<usize>().ok()).expect("a number after the option");
        match args[i].as_str() {
            "--claims" => o.claims = val(),
            "--contacts" => o.contacts = val(),
            "--runs" => o.runs = val(),
            "--page" => o.page = val(),
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

/// One of the desk's questions: a list and the page to take.
#[derive(Clone)]
enum Ask {
    Claims(ClaimQuery),
    Contacts(ContactQuery),
    Audit(AuditQuery),
    Usage(i16),
    Person(String),
}

/// A page of any list: how many records, and the next cursor.
async fn take<S: Store>(store: &S, ask: &Ask, cursor: Option<&str>, limit: usize) -> Result<(usize, Option<String>), StoreError> {
    fn of<T>(p: ListPage<T>) -> (usize, Option<String>) {
        (p.items.len(), p.next)
    }
    Ok(match ask {
        Ask::Claims(q) => of(store.claims_page(q, cursor, limit).await?),
        Ask::Contacts(q) => of(store.contacts_page(q, cursor, limit).await?),
        Ask::Audit(q) => of(store.audit_page(q, cursor, limit).await?),
        Ask::Usage(y) => (store.usage_of_year(*y).await?.len(), None),
        Ask::Person(k) => (store.claims_of_person(k).await?.len(), None),
    })
}

fn questions(r: &records::Records) -> Vec<(&'static str, Ask)> {
    vec![
        ("claims counted", Ask::Claims(ClaimQuery { status: Some(ClaimStatus::Counted), ..ClaimQuery::default() })),
        ("claims, any state, newest", Ask::Claims(ClaimQuery { order: Order::Newest, ..ClaimQuery::default() })),
        ("claims of one city", Ask::Claims(ClaimQuery { city_key: Some(records::city_key(3)), ..ClaimQuery::default() })),
        ("claims paid in a year", Ask::Claims(ClaimQuery { status: Some(ClaimStatus::Paid), year: Some(records::YEARS[1]), ..ClaimQuery::default() })),
        ("contacts confirmed", Ask::Contacts(ContactQuery { status: Some(ContactStatus::Confirmed), ..ContactQuery::default() })),
        ("contacts, text \"müller\"", Ask::Contacts(ContactQuery { text: Some("müller".into()), ..ContactQuery::default() })),
        ("contacts, text nobody has", Ask::Contacts(ContactQuery { text: Some("nobody has this".into()), ..ContactQuery::default() })),
        ("history, newest", Ask::Audit(AuditQuery { order: Order::Newest, ..AuditQuery::default() })),
        ("history of one claim", Ask::Audit(AuditQuery { subject: Some(r.claims[7].id.clone()), ..AuditQuery::default() })),
        ("history of one address", Ask::Audit(AuditQuery { subject: Some(r.contacts[0].details.email_key.clone()), ..AuditQuery::default() })),
        ("usage of a year", Ask::Usage(records::YEARS[1])),
        ("a person's claims", Ask::Person(r.claims[0].email_key.clone())),
    ]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Times the first page and the fifth (or the last there is) of each question.
async fn bench<S: Store>(name: &str, store: &S, requests: Option<&Requests>, r: &records::Records, o: &Opts) {
    println!(
        "\n== {name}: {} claims, {} contacts, {} history lines; pages of {}, {} runs each",
        r.claims.len(),
        r.contacts.len(),
        r.lines.len(),
        o.page,
        o.runs
    );
    println!("{:<28} {:>6} {:>8} {:>8} {:>8}  requests per page", "list", "page", "records", "p50 ms", "p95 ms");
    for (what, ask) in questions(r) {
        // The cursor of the fifth page, walked to once.
        let mut cursors: Vec<(usize, Option<String>)> = vec![(1, None)];
        let mut cursor = None;
        for n in 2..=5 {
            match take(store, &ask, cursor.as_deref(), o.page).await.unwrap().1 {
                Some(next) => cursor = Some(next),
                None => break,
            }
            if n == 5 {
                cursors.push((5, cursor.clone()));
            }
        }
        for (n, cursor) in cursors {
            let mut ms = Vec::new();
            let mut cost = BTreeMap::new();
            let mut count = 0;
            for run in 0..o.runs {
                if let Some(q) = requests {
                    q.take();
                }
                let t = Instant::now();
                count = take(store, &ask, cursor.as_deref(), o.page).await.unwrap().0;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                if let (Some(q), 0) = (requests, run) {
                    cost = q.take();
                }
            }
            ms.sort_by(f64::total_cmp);
            let cost: Vec<String> = cost.iter().map(|(k, v)| format!("{v} {k}")).collect();
            println!("{what:<28} {n:>6} {count:>8} {:>8.2} {:>8.2}  {}", percentile(&ms, 0.5), percentile(&ms, 0.95), cost.join(", "));
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let o = opts();
    let t = Instant::now();
    let r = records::records(o.claims, o.contacts);
    println!(
        "made {} claims, {} contacts, {} history lines, {} counters in {:.1} s",
        r.claims.len(),
        r.contacts.len(),
        r.lines.len(),
        r.usage.len(),
        t.elapsed().as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("ccg-bench-desk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = SqliteStore::open(&dir.join("forms.sqlite3")).unwrap();
    let t = Instant::now();
    sqlite.put_records(r.claims.clone(), r.contacts.clone(), r.lines.clone(), r.usage.clone()).await.unwrap();
    println!("SQLite filled in {:.1} s", t.elapsed().as_secs_f64());
    bench("SQLite", &sqlite, None, &r, &o).await;
    drop(sqlite);
    let _ = std::fs::remove_dir_all(&dir);

    if o.dynamodb {
        let local = common::DynamoLocal::start().await;
        let client = local.client();
        dynamo::create_table(&client, "bench-desk").await.unwrap();
        let store = DynamoStore::new(client, "bench-desk");
        let t = Instant::now();
        fill(&store, &r).await;
        println!("DynamoDB Local filled in {:.1} s", t.elapsed().as_secs_f64());
        let (store, requests) = store.counting();
        bench("DynamoDB Local", &store, Some(&requests), &r, &o).await;
    }
}

/// The records in eight parts written together (a person's claims in one part: their LEAVE# item lists them all).
async fn fill(store: &DynamoStore, r: &records::Records) {
    const PARTS: usize = 8;
    let part_of = |key: &str| key.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into())) % PARTS;
    let mut tasks = Vec::new();
    for p in 0..PARTS {
        let claims: Vec<_> = r.claims.iter().filter(|c| part_of(&c.email_key) == p).cloned().collect();
        let contacts: Vec<_> = r.contacts.iter().skip(p).step_by(PARTS).cloned().collect();
        let lines: Vec<_> = r.lines.iter().skip(p).step_by(PARTS).cloned().collect();
        let usage: Vec<_> = if p == 0 { r.usage.clone() } else { Vec::new() };
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.put_records(&claims, &contacts, &lines, &usage).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}
