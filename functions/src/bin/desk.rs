//! The secretariat's desk: the contacts the forms gathered, and the decision
//! to admit a confirmed contact as a representative of a city (or not).
//! Works on the preview's embedded store and on the DynamoDB table.
//!
//!   desk [--sqlite PATH | --dynamodb TABLE] [--operator NAME] COMMAND
//!     contacts [--status pending|confirmed|approved|declined]
//!     approve EMAIL --city CITY [--country CC]
//!     decline EMAIL [--reason TEXT]
//!     history [EMAIL]
//!
//! Default store: `--sqlite data/forms.sqlite3` (the preview's). DynamoDB uses
//! the usual AWS environment (AWS_REGION, credentials, AWS_ENDPOINT_URL_DYNAMODB
//! for DynamoDB Local). The operator's name (recorded with every change) comes
//! from `--operator`, else `CCG_OPERATOR`, else `USER`.

use anyhow::{Context, bail};
use ccg_functions::mail::{Email, MailError, Mailer, SendFuture};
use ccg_functions::records::ContactStatus;
use ccg_functions::service::Forms;
use ccg_functions::store::dynamo::{DynamoStore, client_from_env};
use ccg_functions::{Options, SqliteStore, Store, embedded};
use std::path::PathBuf;
use std::sync::Arc;

const USAGE: &str = "usage: desk [--sqlite PATH | --dynamodb TABLE] [--operator NAME] COMMAND
  contacts [--status pending|confirmed|approved|declined]   list the contacts (pending: not confirmed yet)
  approve EMAIL --city CITY [--country CC]                  admit a confirmed contact as the representative of an SCC city
  decline EMAIL [--reason TEXT]                             decline (or withdraw) a representative
  history [EMAIL]                                           the audit trail, or one address's part of it";

/// The desk's decisions send no email yet; nothing here calls it.
struct NoMail;

impl Mailer for NoMail {
    fn send<'a>(&'a self, _: &'a Email) -> SendFuture<'a> {
        Box::pin(async { Err(MailError::NotSent("the desk sends no email".into())) })
    }
}

struct Args {
    command: Vec<String>,
    sqlite: Option<PathBuf>,
    dynamodb: Option<String>,
    operator: Option<String>,
    status: Option<String>,
    city: Option<String>,
    country: Option<String>,
    reason: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { command: Vec::new(), sqlite: None, dynamodb: None, operator: None, status: None, city: None, country: None, reason: None };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--sqlite" => a.sqlite = Some(PathBuf::from(value("--sqlite")?)),
            "--dynamodb" => a.dynamodb = Some(value("--dynamodb")?),
            "--operator" => a.operator = Some(value("--operator")?),
            "--status" => a.status = Some(value("--status")?),
            "--city" => a.city = Some(value("--city")?),
            "--country" => a.country = Some(value("--country")?),
            "--reason" => a.reason = Some(value("--reason")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other if other.starts_with('-') => bail!("unknown option `{other}`\n{USAGE}"),
            other => a.command.push(other.to_string()),
        }
    }
    Ok(a)
}

fn operator(a: &Args) -> String {
    a.operator.clone().or_else(|| std::env::var("CCG_OPERATOR").ok()).or_else(|| std::env::var("USER").ok()).unwrap_or_default()
}

/// Pads to `w` characters (not bytes: names have accents).
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { format!("{s} ") } else { format!("{s}{} ", " ".repeat(w - n)) }
}

async fn run<S: Store>(forms: Forms<S>, a: &Args) -> anyhow::Result<String> {
    let words: Vec<&str> = a.command.iter().map(String::as_str).collect();
    let mut out = String::new();
    match words.as_slice() {
        ["contacts"] => {
            let wanted = a.status.as_deref();
            if let Some(s) = wanted
                && s != "pending"
                && ContactStatus::parse(s).is_none()
            {
                bail!("--status is one of pending, confirmed, approved, declined");
            }
            let mut rows: Vec<[String; 6]> = Vec::new();
            if wanted.is_none_or(|s| s == "pending") {
                let now = jiff::Timestamp::now().as_second();
                for p in forms.store.list_pending(now).await? {
                    if let ccg_functions::records::PendingItem::Registration(r) = &p.item {
                        let expires = jiff::Timestamp::from_second(p.expires_at).map(|t| t.to_string()).unwrap_or_default();
                        let city = format!("{} ({})", r.city, r.country);
                        rows.push(["pending".into(), r.email.clone(), r.name.clone(), city, "-".into(), format!("link expires {expires}")]);
                    }
                }
            }
            for c in forms.store.list_contacts().await? {
                if wanted.is_some_and(|s| s != c.status.as_str()) {
                    continue;
                }
                let d = &c.details;
                let city = format!("{} ({})", d.city, d.country);
                let represents = c.city_key.clone().unwrap_or_else(|| "-".into());
                rows.push([c.status.as_str().into(), d.email.clone(), d.name.clone(), city, represents, format!("updated {}", c.updated_at)]);
            }
            if rows.is_empty() {
                out.push_str("no contacts\n");
            } else {
                let heads = ["STATUS", "EMAIL", "NAME", "CITY", "REPRESENTS", "WHEN"];
                let widths: Vec<usize> = (0..6).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([heads[i].len()]).max().unwrap_or(0)).collect();
                let line = |cells: [&str; 6]| cells.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect::<String>().trim_end().to_string() + "\n";
                out.push_str(&line(heads));
                for r in &rows {
                    out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
                }
            }
        }
        ["approve", email] => {
            let city = a.city.as_deref().with_context(|| format!("approve needs --city CITY\n{USAGE}"))?;
            let c = forms.approve(email, city, a.country.as_deref(), &operator(a)).await?;
            out.push_str(&format!(
                "{} ({}) is now an approved representative of {}, recorded by {}.\n",
                c.details.name,
                c.details.email,
                c.city_key.unwrap_or_default(),
                operator(a).trim()
            ));
        }
        ["decline", email] => {
            let c = forms.decline(email, &operator(a), a.reason.as_deref()).await?;
            out.push_str(&format!("{} ({}) is declined as a representative, recorded by {}.\n", c.details.name, c.details.email, operator(a).trim()));
        }
        ["history"] | ["history", _] => {
            let only = words.get(1).map(|e| ccg_functions::claims::email_key(e));
            for e in forms.store.list_audit().await? {
                if only.as_ref().is_some_and(|o| *o != e.subject) {
                    continue;
                }
                out.push_str(&format!("{}  {:<10} {:<18} {}  {}\n", e.at, e.actor, e.action, e.subject, e.detail).replace("  \n", "\n"));
            }
            if out.is_empty() {
                out.push_str("no changes recorded\n");
            }
        }
        _ => bail!("{USAGE}"),
    }
    Ok(out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    let catalogue = embedded::catalogue().map_err(|e| anyhow::anyhow!("embedded content: {e}"))?;
    let mailer = Arc::new(NoMail);
    let text = match (&a.sqlite, &a.dynamodb) {
        (_, None) => {
            let path = a.sqlite.clone().unwrap_or_else(|| PathBuf::from("data/forms.sqlite3"));
            if !path.is_file() {
                bail!("{} does not exist (the preview keeps its forms in data/forms.sqlite3; give --sqlite PATH)", path.display());
            }
            let store = SqliteStore::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            run(Forms::new(store, mailer, catalogue, Options::default()), &a).await?
        }
        (None, Some(table)) => run(Forms::new(DynamoStore::new(client_from_env().await, table), mailer, catalogue, Options::default()), &a).await?,
        _ => bail!("give one of --sqlite PATH or --dynamodb TABLE\n{USAGE}"),
    };
    print!("{text}");
    Ok(())
}
