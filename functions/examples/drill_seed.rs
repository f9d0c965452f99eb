//! Fills a DynamoDB table for the restore drill (scripts/restore-drill.sh)
//! the way people do, through the product's own code: for each city of the
//! real SCC directory whose project ended, a representative joins through
//! the join form, confirms by the emailed link and is approved at the desk;
//! then claims for meetings of two years go through the claim form and their
//! links (the yearly counters move in the confirmations' transactions, and a
//! city's third claim of a year is refused by them), and the desk approves,
//! pays and rejects some (a rejection gives its trip and euros back). A few
//! more people join without being approved, or never confirm.
//!
//!   cargo run -p ccg-functions --example drill_seed -- --endpoint http://127.0.0.1:PORT --table NAME [--cities N]
//!
//! Creates the table (as the template defines it) if it is not there. Prints
//! what it did. Only for DynamoDB Local: the tests' person key and outbox.

// The tests' helpers: the catalogue of test meetings, the form posts, the emailed links.
#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;

use ccg_functions::records::ClaimStatus;
use ccg_functions::store::dynamo::{self, DynamoStore};
use ccg_functions::{App, Store, handle};
use ccg_model::Cents;
use ccg_model::cities::Role;
use std::collections::BTreeSet;
use std::time::Instant;

struct Opts {
    endpoint: String,
    table: String,
    cities: usize,
}

fn opts() -> Opts {
    let mut o = Opts { endpoint: String::new(), table: String::new(), cities: usize::MAX };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| panic!("a value after {}", pair[0]));
        match pair[0].as_str() {
            "--endpoint" => o.endpoint = value,
            "--table" => o.table = value,
            "--cities" => o.cities = value.parse().expect("a number after --cities"),
            other => panic!("unknown option {other}"),
        }
    }
    assert!(!o.endpoint.is_empty() && !o.table.is_empty(), "give --endpoint URL and --table NAME");
    o
}

/// What one city's people did.
#[derive(Default)]
struct Done {
    claims: usize,
    refused: usize,
    approved: usize,
    paid: usize,
    rejected: usize,
}

/// One city: its representative, four claims over two years (the third of a year is refused), the desk's decisions.
async fn city<S: Store + Clone>(store: S, cat: ccg_model::Catalogue, i: usize, name: String, country: String) -> Done {
    let app: App<S> = common::app(store, cat);
    let email = format!("rep{i}@city{i}.example.eu");
    common::representative(&app, &email, &name, &country).await;
    let mut done = Done::default();
    for (n, event) in ["e1", "e2", "e3", "y2028"].iter().enumerate() {
        let euros = format!("{}.{:02}", 120 + (i * 37 + n * 53) % 330, (i + n) % 100);
        let mut c = common::claim(event, &euros);
        c["email"] = email.clone().into();
        let (status, _) = common::claim_confirmed(&app, c).await;
        if status == 200 { done.claims += 1 } else { done.refused += 1 }
    }
    let mut claims = app.forms.store.claims_of_person(&email).await.unwrap_or_default();
    claims.sort_by(|a, b| a.id.cmp(&b.id));
    for (n, c) in claims.iter().enumerate() {
        match (i + n) % 5 {
            0 => {
                app.forms.reject_claim(&c.id, "drill", "The travel dates are outside the meeting's").await.unwrap();
                done.rejected += 1;
            }
            1 => {
                app.forms.approve_claim(&c.id, "drill").await.unwrap();
                done.approved += 1;
            }
            2 => {
                app.forms.approve_claim(&c.id, "drill").await.unwrap();
                // Now and then less than asked for, with the reason.
                let (amount, reason) = if i.is_multiple_of(3) { (Cents(c.amount.0 - 1000), Some("The taxi is not covered")) } else { (c.amount, None) };
                app.forms.record_payment(&c.id, "drill", amount, common::TODAY, reason).await.unwrap();
                done.paid += 1;
            }
            _ => {}
        }
    }
    debug_assert!(claims.iter().all(|c| c.status != ClaimStatus::Withdrawn));
    // Someone else of the city joins and is never approved; another never confirms.
    let other = common::registration(&format!("colleague{i}@city{i}.example.eu"));
    let sent = handle(&app, common::json_post("/api/register", other)).await;
    assert_eq!(sent.status(), 202);
    if i.is_multiple_of(2) {
        let token = common::last_token(&app, &format!("colleague{i}@city{i}.example.eu")).expect("a confirmation email");
        let r = handle(&app, common::confirm_post(ccg_functions::Form::Register, &token, true)).await;
        assert_eq!(r.status(), 200);
    }
    done
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let o = opts();
    let started = Instant::now();
    let client = common::client_for(&o.endpoint);
    dynamo::create_table(&client, &o.table).await.expect("the table");
    let store = DynamoStore::new(client, &o.table).with_person_key(common::person_key());
    let cat = common::catalogue();
    // The cities a claim may come from on the test meetings' day: lighthouse and fellow cities of projects ended by then.
    let day = jiff::civil::date(2027, 3, 16);
    let mut seen = BTreeSet::new();
    let mut cities = Vec::new();
    for p in cat.directory.projects.iter().filter(|p| p.end_known() && p.has_ended_on(day)) {
        for (role, c) in p.cities() {
            if role != Role::Observer && seen.insert((c.name.clone(), c.country.clone())) {
                cities.push((c.name.clone(), c.country.clone()));
            }
        }
    }
    cities.truncate(o.cities);
    let mut total = Done::default();
    // A few cities at a time: DynamoDB Local answers several requests at once.
    for (batch, chunk) in cities.chunks(8).enumerate() {
        let tasks: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(k, (name, country))| tokio::spawn(city(store.clone(), cat.clone(), batch * 8 + k, name.clone(), country.clone())))
            .collect();
        for t in tasks {
            let d = t.await.expect("a city's people");
            total.claims += d.claims;
            total.refused += d.refused;
            total.approved += d.approved;
            total.paid += d.paid;
            total.rejected += d.rejected;
        }
    }
    println!(
        "seeded {}: {} cities, {} claims counted ({} refused at a yearly limit), {} approved, {} paid, {} rejected, in {:.1} s",
        o.table,
        cities.len(),
        total.claims,
        total.refused,
        total.approved,
        total.paid,
        total.rejected,
        started.elapsed().as_secs_f64()
    );
}
