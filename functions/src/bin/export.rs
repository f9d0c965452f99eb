//! For the secretariat: lists and exports what the forms stored, as CSV.
//!
//!   export contacts --sqlite data/forms.sqlite3 [-o contacts.csv]
//!   export claims --dynamodb ccg-forms [-o claims.csv]
//!   export summary --sqlite data/forms.sqlite3      (counts, and each city's usage per year)
//!
//! DynamoDB uses the usual AWS environment (AWS_REGION, credentials,
//! AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local).

use anyhow::{Context, bail};
use ccg_functions::store::dynamo::{DynamoStore, client_from_env};
use ccg_functions::{SqliteStore, Store, export};
use std::io::Write;
use std::path::PathBuf;

const USAGE: &str = "usage: export (contacts|claims|summary) (--sqlite PATH | --dynamodb TABLE) [-o FILE]";

async fn run<S: Store>(store: S, what: &str) -> anyhow::Result<String> {
    Ok(match what {
        "contacts" => export::contacts_csv(&store.list_contacts().await?),
        "claims" => export::claims_csv(&store.list_claims().await?),
        "summary" => {
            let contacts = store.list_contacts().await?;
            let claims = store.list_claims().await?;
            let mut out = format!("{} contact(s), {} claim(s)\n", contacts.len(), claims.len());
            let mut years: Vec<(i16, String)> = claims.iter().map(|c| (c.year, c.city_key.clone())).collect();
            years.sort();
            years.dedup();
            for (year, city) in years {
                let u = store.year_usage(&city, year).await?;
                out.push_str(&format!("{year} {city}: {} trip(s), {}\n", u.trips, u.amount));
            }
            out
        }
        other => bail!("unknown list `{other}`\n{USAGE}"),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut what = None;
    let mut sqlite = None;
    let mut dynamodb = None;
    let mut out: Option<PathBuf> = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sqlite" => sqlite = Some(PathBuf::from(it.next().context(USAGE)?)),
            "--dynamodb" => dynamodb = Some(it.next().context(USAGE)?),
            "-o" | "--output" => out = Some(PathBuf::from(it.next().context(USAGE)?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            w if what.is_none() && !w.starts_with('-') => what = Some(w.to_string()),
            other => bail!("unexpected argument `{other}`\n{USAGE}"),
        }
    }
    let what = what.context(USAGE)?;
    let text = match (sqlite, dynamodb) {
        (Some(path), None) => {
            if !path.is_file() {
                bail!("{} does not exist (the preview keeps its forms in data/forms.sqlite3)", path.display());
            }
            run(SqliteStore::open(&path).with_context(|| format!("cannot open {}", path.display()))?, &what).await?
        }
        (None, Some(table)) => run(DynamoStore::new(client_from_env().await, table), &what).await?,
        _ => bail!("give exactly one of --sqlite PATH or --dynamodb TABLE\n{USAGE}"),
    };
    match out {
        Some(p) => std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}
