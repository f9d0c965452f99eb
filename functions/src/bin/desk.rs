//! The secretariat's desk: the contacts the forms gathered, and the decision
//! to admit a confirmed contact as a representative of a city (or not).
//! Works on the preview's embedded store and on the DynamoDB table.
//!
//!   desk [--sqlite PATH | --dynamodb TABLE] [--operator NAME] COMMAND
//!     contacts [--status pending|confirmed|approved|declined]
//!     approve EMAIL --city CITY [--country CC]
//!     decline EMAIL [--reason TEXT]
//!     claims [--status S] [--city C] [--year Y] [--event E]
//!     claim ID
//!     approve-claim ID | reject-claim ID --reason TEXT | paid ID --amount 412.50 --on 2027-04-02
//!     usage [--year Y]
//!     export claims|contacts|usage -o FILE.csv
//!     erase EMAIL
//!     sweep
//!     history [EMAIL or claim ID]
//!
//! Default store: `--sqlite data/forms.sqlite3` (the preview's); with it, the
//! meetings and cities come from `content/` in the current folder, drafts
//! included, as in the preview (else from the content built into the binary). DynamoDB uses
//! the usual AWS environment (AWS_REGION, credentials, AWS_ENDPOINT_URL_DYNAMODB
//! for DynamoDB Local). The operator's name (recorded with every change) comes
//! from `--operator`, else `CCG_OPERATOR`, else `USER`. The applicant hears of
//! each decision on a claim by email: through the preview's outbox next to the
//! SQLite file, or through SES (`CCG_MAIL_FROM`) with DynamoDB.

use anyhow::{Context, bail};
use ccg_functions::mail::outbox::Outbox;
use ccg_functions::mail::ses::SesMailer;
use ccg_functions::mail::{Email, MailError, Mailer, SendFuture};
use ccg_functions::records::{ClaimStatus, ContactStatus};
use ccg_functions::service::Forms;
use ccg_functions::store::dynamo::{DynamoStore, client_from_env};
use ccg_functions::{Options, SqliteStore, Store, embedded, export};
use std::path::PathBuf;
use std::sync::Arc;

const USAGE: &str = "usage: desk [--sqlite PATH | --dynamodb TABLE] [--operator NAME] COMMAND
  contacts [--status pending|confirmed|approved|declined]   list the contacts (pending: not confirmed yet)
  approve EMAIL --city CITY [--country CC]                  admit a confirmed contact as the representative of an SCC city
  decline EMAIL [--reason TEXT]                             decline (or withdraw) a representative
  claims [--status S] [--city C] [--year Y] [--event E]     list the claims (S: counted, approved, paid, rejected, withdrawn)
  claim ID                                                  one claim with its full history
  approve-claim ID                                          approve a counted claim
  reject-claim ID --reason TEXT                             reject a counted or approved claim: its trip and euros go back
  paid ID --amount 412.50 --on 2027-04-02                   record the payment of an approved claim (at most the amount asked)
  usage [--year Y]                                          trips and euros used and left, per city and year
  export claims|contacts|usage -o FILE.csv                  a CSV for a spreadsheet
  erase EMAIL                                               remove a person's data everywhere (approved and paid claims are kept, without name and address)
  sweep                                                     delete what is past its retention (content/config.yaml) and say what went
  history [EMAIL or ID]                                     the audit trail, or one address's or claim's part of it";

/// Without an SES sender (`CCG_MAIL_FROM`) the desk on DynamoDB records its
/// decisions and says that the applicant was not told.
struct NoMail;

impl Mailer for NoMail {
    fn send<'a>(&'a self, _: &'a Email) -> SendFuture<'a> {
        Box::pin(async { Err(MailError::NotSent("no sender: set CCG_MAIL_FROM to email applicants".into())) })
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
    year: Option<i16>,
    event: Option<String>,
    amount: Option<String>,
    on: Option<String>,
    output: Option<PathBuf>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        command: Vec::new(),
        sqlite: None,
        dynamodb: None,
        operator: None,
        status: None,
        city: None,
        country: None,
        reason: None,
        year: None,
        event: None,
        amount: None,
        on: None,
        output: None,
    };
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
            "--year" => a.year = Some(value("--year")?.parse().context("--year is a year like 2027")?),
            "--event" => a.event = Some(value("--event")?),
            "--amount" => a.amount = Some(value("--amount")?),
            "--on" => a.on = Some(value("--on")?),
            "-o" | "--output" => a.output = Some(PathBuf::from(value("-o")?)),
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
                        let expires = jiff::Timestamp::from_second(p.expires_at).map(when).unwrap_or_default();
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
                rows.push([c.status.as_str().into(), d.email.clone(), d.name.clone(), city, represents, format!("updated {}", when(c.updated_at))]);
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
        ["claims"] => {
            if let Some(s) = a.status.as_deref()
                && ClaimStatus::parse(s).is_none()
            {
                bail!("--status is one of counted, approved, paid, rejected, withdrawn");
            }
            let city = a.city.as_deref().map(fold);
            let rows: Vec<Vec<String>> = forms
                .store
                .list_claims()
                .await?
                .into_iter()
                .filter(|c| a.status.as_deref().is_none_or(|s| s == c.status.as_str()))
                .filter(|c| city.as_deref().is_none_or(|w| fold(&c.city) == w || c.city_key == w))
                .filter(|c| a.year.is_none_or(|y| y == c.year))
                .filter(|c| a.event.as_deref().is_none_or(|e| e == c.event_id))
                .map(|c| {
                    vec![
                        c.id.clone(),
                        c.status.as_str().into(),
                        c.year.to_string(),
                        format!("{} ({})", c.city, c.country),
                        c.event_id.clone(),
                        c.name.clone(),
                        c.amount.to_decimal(),
                        c.paid.map(|p| p.to_decimal()).unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            out.push_str(&table(&["ID", "STATUS", "YEAR", "CITY", "MEETING", "NAME", "EUR", "PAID"], &rows, "no claims"));
        }
        ["claim", id] => {
            let c = forms.store.get_claim(id).await?.with_context(|| format!("there is no claim {id}"))?;
            let event = forms.catalogue().event(&c.event_id).map(|e| e.title.clone()).unwrap_or_else(|| c.event_id.clone());
            out.push_str(&format!("{}  {}\n", c.id, c.status.as_str()));
            out.push_str(&format!("Claimant: {} <{}>\n", c.name, c.email));
            out.push_str(&format!("{}\n", ccg_functions::service::messages::claim_details(&c, &event)));
            out.push_str(&format!("Counts in: {} {}\n", c.city_key, c.year));
            if let Some(r) = &c.reason {
                out.push_str(&format!("Reason: {r}\n"));
            }
            if let (Some(p), Some(on)) = (c.paid, c.paid_on) {
                out.push_str(&format!("Paid: {p} on {on}\n"));
            }
            if let Some(end) = forms.store.claim_expires_at(id).await? {
                let day = jiff::Timestamp::from_second(end).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_default();
                out.push_str(&format!("Kept until: {day} (then deleted with its history)\n"));
            }
            out.push_str(&format!("Sent {}, confirmed {}\n\nHistory:\n", when(c.created_at), c.confirmed_at.map(when).unwrap_or_default()));
            out.push_str(&history(&forms, Some(&c.id)).await?);
        }
        ["approve-claim", id] => {
            let d = forms.approve_claim(id, &operator(a)).await?;
            out.push_str(&decided(&d, "approved"));
        }
        ["reject-claim", id] => {
            let reason = a.reason.as_deref().with_context(|| format!("reject-claim needs --reason \"...\"\n{USAGE}"))?;
            let d = forms.reject_claim(id, &operator(a), reason).await?;
            out.push_str(&decided(&d, "rejected; its trip and euros are back in its city's year"));
        }
        ["paid", id] => {
            let amount = a.amount.as_deref().with_context(|| format!("paid needs --amount EUR\n{USAGE}"))?;
            let amount = ccg_model::Cents::parse_eur(amount).map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
            let on = a.on.as_deref().with_context(|| format!("paid needs --on YYYY-MM-DD\n{USAGE}"))?;
            let on: jiff::civil::Date = on.parse().with_context(|| format!("--on {on}: a date like 2027-04-02"))?;
            let d = forms.record_payment(id, &operator(a), amount, on).await?;
            out.push_str(&decided(&d, &format!("paid: {amount} on {on}")));
        }
        ["usage"] => {
            let rows = usage_rows(&forms, a.year).await?;
            let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.to_vec()).collect();
            out.push_str(&table(&["YEAR", "CITY", "TRIPS USED", "TRIPS LEFT", "EUR USED", "EUR LEFT"], &rows, "no claims counted"));
        }
        ["export", what] => {
            let path = a.output.clone().with_context(|| format!("export needs -o FILE.csv\n{USAGE}"))?;
            let csv = match *what {
                "claims" => export::claims_csv(&forms.store.list_claims().await?),
                "contacts" => export::contacts_csv(&forms.store.list_contacts().await?),
                "usage" => export::usage_csv(&usage_rows(&forms, a.year).await?),
                other => bail!("export what? `{other}` is not one of claims, contacts, usage"),
            };
            std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?;
            out.push_str(&format!("wrote {}\n", path.display()));
        }
        ["erase", email] => {
            let e = forms.erase(email, &operator(a)).await?;
            out.push_str(&format!("Erased {email}: {}.\n", ccg_functions::store::erased_summary(&e)));
        }
        ["sweep"] => match forms.store.sweep(jiff::Timestamp::now().as_second()).await? {
            Some(s) => out.push_str(&format!("Swept: {}.\n", ccg_functions::store::swept_summary(&s))),
            None => out.push_str("Nothing to sweep.\n"),
        },
        ["history"] | ["history", _] => {
            out.push_str(&history(&forms, words.get(1).copied()).await?);
        }
        _ => bail!("{USAGE}"),
    }
    Ok(out)
}

/// Trimmed and lower-cased, to compare a city as typed with a stored one.
fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Rows of `usage`: year, city, trips used and left, euros used and left.
async fn usage_rows<S: Store>(forms: &Forms<S>, year: Option<i16>) -> anyhow::Result<Vec<[String; 6]>> {
    let rules = forms.catalogue().rules.clone();
    Ok(forms
        .store
        .list_usage()
        .await?
        .into_iter()
        .filter(|(_, y, _)| year.is_none_or(|w| w == *y))
        .map(|(city, y, used)| {
            let left = rules.remaining(used);
            [y.to_string(), city, used.trips.to_string(), left.trips.to_string(), used.amount.to_decimal(), left.amount.to_decimal()]
        })
        .collect())
}

/// What a decision did, and whether the applicant was told.
fn decided(d: &ccg_functions::service::desk::Decided, what: &str) -> String {
    let told = match &d.emailed {
        Ok(()) => format!("{} was emailed.", d.claim.email),
        Err(e) => format!("WARNING: the applicant could not be emailed ({e}); tell them another way."),
    };
    format!("{} ({}, {} {}) is {what}.\n{told}\n", d.claim.id, d.claim.name, d.claim.city, d.claim.year)
}

/// A plain text table, columns as wide as their widest cell.
fn table(heads: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("{empty}\n");
    }
    let widths: Vec<usize> = (0..heads.len()).map(|i| rows.iter().map(|r| r[i].chars().count()).chain([heads[i].len()]).max().unwrap_or(0)).collect();
    let line = |cells: Vec<&str>| cells.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect::<String>().trim_end().to_string() + "\n";
    let mut out = line(heads.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// The audit trail, or the part about one address or claim id.
async fn history<S: Store>(forms: &Forms<S>, about: Option<&str>) -> anyhow::Result<String> {
    let only = about.map(|e| if e.contains('@') { ccg_functions::claims::email_key(e) } else { e.to_string() });
    let mut out = String::new();
    for e in forms.store.list_audit().await? {
        if only.as_ref().is_some_and(|o| *o != e.subject) {
            continue;
        }
        out.push_str(&format!("{}  {:<16} {:<18} {}  {}\n", when(e.at), e.actor, e.action, e.subject, e.detail).replace("  \n", "\n"));
    }
    if out.is_empty() {
        out.push_str("no changes recorded\n");
    }
    Ok(out)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match desk().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // A sentence for the secretariat, not a backtrace.
            eprintln!("desk: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// "2026-12-02 05:20 UTC" from an RFC 3339 time: what a person reads in a table.
fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

async fn desk() -> anyhow::Result<()> {
    let a = parse_args()?;
    // On the preview's store, the preview's content (drafts included: the
    // preview takes claims for draft meetings); else the content built in.
    let content = PathBuf::from("content");
    let catalogue = if a.dynamodb.is_none() && content.join("config.yaml").is_file() {
        ccg_model::Catalogue::load_dir(&content, true).map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        embedded::catalogue().map_err(|e| anyhow::anyhow!("embedded content: {e}"))?
    };
    let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
    let options = Options { public_url: site.origin().to_string(), site_title: site.title.clone(), retention: site.retention, ..Options::default() };
    let text = match (&a.sqlite, &a.dynamodb) {
        (_, None) => {
            let path = a.sqlite.clone().unwrap_or_else(|| PathBuf::from("data/forms.sqlite3"));
            if !path.is_file() {
                bail!("{} does not exist (the preview keeps its forms in data/forms.sqlite3; give --sqlite PATH)", path.display());
            }
            // Opening the store deletes what is past its retention: every desk command says what went.
            let store = SqliteStore::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            let swept = store.opened_sweep().clone();
            // The preview's outbox, next to its store: `serve` shows these emails too.
            let outbox = path.parent().unwrap_or(std::path::Path::new(".")).join("outbox");
            let text = run(Forms::new(store, Arc::new(Outbox::new(outbox)), catalogue, options), &a).await?;
            if swept == ccg_functions::store::Swept::default() {
                text
            } else {
                format!("Deleted at the end of their retention: {}.\n{text}", ccg_functions::store::swept_summary(&swept))
            }
        }
        (None, Some(table)) => {
            let mailer: Arc<dyn Mailer> = match SesMailer::from_env().await {
                Ok(m) => Arc::new(m),
                Err(_) => Arc::new(NoMail),
            };
            run(Forms::new(DynamoStore::new(client_from_env().await, table), mailer, catalogue, options), &a).await?
        }
        _ => bail!("give one of --sqlite PATH or --dynamodb TABLE\n{USAGE}"),
    };
    print!("{text}");
    Ok(())
}
