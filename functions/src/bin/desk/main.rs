//! The secretariat's desk: the contacts the forms gathered, and the decision
//! to admit a confirmed contact as a representative of a city (or not), the
//! decisions on travel claims, the CSV exports, erasure and the staff. See `desk --help`.
//!
//! Works on the preview's embedded store (`--sqlite`, the default) and on the
//! DynamoDB table (`--dynamodb`). This file parses, calls a service of
//! `ccg_functions::service`, and prints; the decisions live in the service.
//!
//! Exit status: 0 done; 1 refused or failed (one sentence on stderr); 2 a wrong command line.

mod cli;
mod documents;
mod table;

use anyhow::{Context, bail};
use ccg_functions::files::local::LocalFiles;
use ccg_functions::files::s3::{BUCKET_VAR, S3Files};
use ccg_functions::mail::outbox::Outbox;
use ccg_functions::mail::ses::SesMailer;
use ccg_functions::mail::{Email, MailError, Mailer, SendFuture};
use ccg_functions::records::{AuditEntry, ClaimStatus};
use ccg_functions::service::Forms;
use ccg_functions::service::desk::{ClaimFilter, Decided};
use ccg_functions::store::dynamo::{DynamoStore, client_from_env};
use ccg_functions::{Options, SqliteStore, Store, embedded, export};
use clap::{CommandFactory, Parser};
use cli::{Cli, Command, StaffCommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Without an SES sender (`CCG_MAIL_FROM`) the desk on DynamoDB records its
/// decisions and says that the applicant was not told.
struct NoMail;

impl Mailer for NoMail {
    fn send<'a>(&'a self, _: &'a Email) -> SendFuture<'a> {
        Box::pin(async { Err(MailError::NotSent("no sender: set CCG_MAIL_FROM to email applicants".into())) })
    }
}

/// Pads to `w` characters (not bytes: names have accents).
fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w { format!("{s} ") } else { format!("{s}{} ", " ".repeat(w - n)) }
}

async fn run<S: Store>(forms: Forms<S>, command: Command, operator: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    match command {
        Command::Contacts { status } => out.push_str(&contacts(&forms, status.as_deref()).await?),
        Command::Approve { email, city, country } => {
            let d = forms.approve(&email, &city, country.as_deref(), operator).await?;
            let c = &d.contact;
            let city = c.city_key.clone().unwrap_or_default();
            out.push_str(&format!("{} ({}) is now an approved representative of {city}, recorded by {}.\n", c.details.name, c.details.email, operator.trim()));
            out.push_str(&told(&d.emailed, &c.details.email));
        }
        Command::Decline { email, reason } => {
            let d = forms.decline(&email, operator, reason.as_deref()).await?;
            let c = &d.contact;
            out.push_str(&format!("{} ({}) is declined as a representative, recorded by {}.\n", c.details.name, c.details.email, operator.trim()));
            out.push_str(&told(&d.emailed, &c.details.email));
        }
        Command::Claims(a) => {
            let filter = ClaimFilter { status: a.status.as_deref().and_then(ClaimStatus::parse), city: a.city, year: a.year, event: a.event };
            let rows: Vec<Vec<String>> = forms
                .claims(&filter)
                .await?
                .into_iter()
                .map(|c| {
                    vec![
                        c.reference.clone().unwrap_or_else(|| "-".into()),
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
            out.push_str(&table(&["REFERENCE", "ID", "STATUS", "YEAR", "CITY", "MEETING", "NAME", "EUR", "PAID"], &rows, "no claims"));
        }
        Command::Claim { id } => {
            let (c, kept_until) = forms.claim(&id).await?.with_context(|| format!("there is no claim {id}"))?;
            let event = forms.catalogue().event(&c.event_id).map(|e| e.title.clone()).unwrap_or_else(|| c.event_id.clone());
            // The reference people read out, next to the id; a claim from before references has its id only.
            match &c.reference {
                Some(r) => out.push_str(&format!("{r}  {}  {}\n", c.id, c.status.as_str())),
                None => out.push_str(&format!("{}  {}\n", c.id, c.status.as_str())),
            }
            out.push_str(&format!("Claimant: {} <{}>\n", c.name, c.email));
            out.push_str(&format!("{}\n", ccg_functions::service::messages::claim_details(&c.draft(), &event)));
            out.push_str(&format!("Counts in: {} {}\n", c.city_key, c.year));
            if let Some(r) = &c.reason {
                // A paid claim's reason says why less than the amount asked for was paid.
                let label = if c.status == ClaimStatus::Paid { "Reason of payment (less than asked for)" } else { "Reason" };
                out.push_str(&format!("{label}: {r}\n"));
            }
            if let (Some(p), Some(on)) = (c.paid, c.paid_on) {
                out.push_str(&format!("Paid: {p} on {on}\n"));
            }
            let docs = forms.documents_of(&c.id).await?;
            if docs.is_empty() {
                out.push_str("Documents: none\n");
            } else {
                out.push_str(&format!("Documents ({}; desk files {} --out DIR writes them):\n", docs.len(), c.id));
                for d in &docs {
                    out.push_str(&format!(
                        "  {}  {}  {}  {}  {}\n",
                        d.id,
                        d.kind.label(),
                        ccg_model::words::file_size(d.size),
                        when(d.uploaded_at),
                        d.file_name
                    ));
                }
            }
            if let Some(end) = kept_until {
                let day = jiff::Timestamp::from_second(end).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_default();
                out.push_str(&format!("Kept until: {day} (then deleted with its history)\n"));
            }
            out.push_str(&format!("Sent {}, confirmed {}\n\nHistory:\n", when(c.created_at), c.confirmed_at.map(when).unwrap_or_default()));
            out.push_str(&history(&forms.history(Some(&c.id)).await?));
        }
        Command::Files { id, out: dir } => {
            forms.claim(&id).await?.with_context(|| format!("there is no claim {id}"))?;
            let docs = forms.documents_of(&id).await?;
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            for d in &docs {
                // The claimant's name for the file, kept to one plain name inside the folder.
                let name: String = d.file_name.chars().map(|ch| if ch.is_alphanumeric() || " ._-()".contains(ch) { ch } else { '_' }).collect();
                let path = dir.join(format!("{}-{}", d.id, name.trim_start_matches('.')));
                let bytes = forms.document_file(d).await.with_context(|| format!("cannot read the file of {}", d.id))?;
                std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
                out.push_str(&format!("{}\n", path.display()));
            }
            out.push_str(&format!("{} document{} of {id} written to {}.\n", docs.len(), if docs.len() == 1 { "" } else { "s" }, dir.display()));
        }
        Command::ApproveClaim { id } => out.push_str(&decided(&forms.approve_claim(&id, operator).await?, "approved")),
        Command::RejectClaim { id, reason } => {
            let d = forms.reject_claim(&id, operator, &reason).await?;
            out.push_str(&decided(&d, "rejected; its trip and euros are back in its city's year"));
        }
        Command::Paid { id, amount, on, reason } => {
            let d = forms.record_payment(&id, operator, amount, on, reason.as_deref()).await?;
            let why = d.claim.reason.as_deref().map(|r| format!(" (less than the {} asked for: {r})", d.claim.amount)).unwrap_or_default();
            out.push_str(&decided(&d, &format!("paid: {amount} on {on}{why}")));
        }
        Command::Usage { year } => {
            let rows: Vec<Vec<String>> = forms.usage(year).await?.iter().map(|u| ccg_functions::service::desk_read::usage_row(u).to_vec()).collect();
            out.push_str(&table(&["YEAR", "CITY", "TRIPS USED", "TRIPS LEFT", "EUR USED", "EUR LEFT"], &rows, "no claims counted"));
        }
        Command::Export { what, output, year } => {
            let csv = match what.as_str() {
                "claims" => export::claims_csv(&forms.claims(&ClaimFilter::default()).await?),
                "contacts" => export::contacts_csv(&forms.contacts().await?),
                _ => export::usage_csv(&forms.usage(year).await?.iter().map(ccg_functions::service::desk_read::usage_row).collect::<Vec<_>>()),
            };
            std::fs::write(&output, csv).with_context(|| format!("cannot write {}", output.display()))?;
            out.push_str(&format!("wrote {}\n", output.display()));
        }
        Command::Erase { email } => {
            let e = forms.erase(&email, operator).await?;
            out.push_str(&format!("Erased {email}: {}.\n", e));
        }
        Command::Unsuppress { email } => {
            if forms.lift_suppression(&email, operator).await? {
                out.push_str(&format!("Emails to {email} may be sent again. Remove it from SES's suppression list too: aws sesv2 delete-suppressed-destination --email-address {email}\n"));
            } else {
                out.push_str(&format!("{email} was not suppressed: nothing changed.\n"));
            }
        }
        Command::Sweep => {
            // The daily job, as the `daily` function runs it in AWS (service::daily).
            let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
            for line in forms.daily(&site).await?.lines() {
                out.push_str(&line);
                out.push('\n');
            }
        }
        Command::Invite { event } => {
            let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
            let mut batches = 0u32;
            loop {
                let step = forms.invite_from_desk(&site, &event, operator, site.invitations.batch).await?;
                batches += 1;
                let what = step.kind.map_or("email", |k| k.as_str());
                eprintln!(
                    "{event}: {} {what}s sent in batch {batches}; {} of {} sent, {} left",
                    step.sent_now,
                    step.progress.sent,
                    step.progress.total,
                    step.progress.left()
                );
                if step.sent_now == 0 || step.progress.left() == 0 {
                    out.push_str(&format!(
                        "{event} (version {}): {} of {} sent, {} left.\n",
                        step.sequence,
                        step.progress.sent,
                        step.progress.total,
                        step.progress.left()
                    ));
                    break;
                }
            }
        }
        Command::Staff(StaffCommand::Add { email, name }) => {
            let s = forms.add_staff(&email, &name, operator).await?;
            out.push_str(&format!("{} ({}) is now staff, recorded by {}.\n", s.name, s.email, operator.trim()));
        }
        Command::Staff(StaffCommand::Remove { email }) => {
            forms.remove_staff(&email, operator).await?;
            out.push_str(&format!("{} is no longer staff and signed out everywhere, recorded by {}.\n", email.trim(), operator.trim()));
        }
        Command::Staff(StaffCommand::List) => {
            let rows: Vec<Vec<String>> =
                forms.staff().await?.into_iter().map(|s| vec![s.email, s.name, format!("added {} by {}", when(s.added_at), s.added_by)]).collect();
            out.push_str(&table(&["EMAIL", "NAME", "WHEN"], &rows, "no staff"));
        }
        Command::Documents(c) => out.push_str(&documents::run(&forms, c, operator).await?),
        Command::History { about } => out.push_str(&history(&forms.history(about.as_deref()).await?)),
        Command::Completions { .. } | Command::ExportTable { .. } | Command::ImportTable { .. } | Command::CheckTable => {
            unreachable!("answered before a store is opened")
        }
        Command::Reindex => out.push_str("The embedded store gives its records their places in the desk's lists when it is opened: nothing to do.\n"),
    }
    Ok(out)
}

/// `contacts`: the pending registrations (unless another status is asked for), then the contacts.
async fn contacts<S: Store>(forms: &Forms<S>, wanted: Option<&str>) -> anyhow::Result<String> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    if wanted.is_none_or(|s| s == "pending") {
        for p in forms.pending_registrations().await? {
            let r = &p.registration;
            let expires = jiff::Timestamp::from_second(p.expires_at).map(when).unwrap_or_default();
            let city = format!("{} ({})", r.city, r.country);
            rows.push(vec!["pending".into(), r.email.clone(), r.name.clone(), city, "-".into(), format!("link expires {expires}")]);
        }
    }
    for c in forms.contacts().await? {
        if wanted.is_some_and(|s| s != c.status.as_str()) {
            continue;
        }
        let d = &c.details;
        let city = format!("{} ({})", d.city, d.country);
        let represents = c.city_key.clone().unwrap_or_else(|| "-".into());
        rows.push(vec![c.status.as_str().into(), d.email.clone(), d.name.clone(), city, represents, format!("updated {}", when(c.updated_at))]);
    }
    Ok(table(&["STATUS", "EMAIL", "NAME", "CITY", "REPRESENTS", "WHEN"], &rows, "no contacts"))
}

/// What a decision did, and whether the applicant was told.
fn decided(d: &Decided, what: &str) -> String {
    format!("{} ({}, {} {}) is {what}.\n{}", d.claim.reference_or_id(), d.claim.name, d.claim.city, d.claim.year, told(&d.emailed, &d.claim.email))
}

/// Whether the person a decision is about was emailed, as a line.
fn told(emailed: &Result<(), String>, to: &str) -> String {
    match emailed {
        Ok(()) => format!("{to} was emailed.\n"),
        Err(e) => format!("WARNING: {to} could not be emailed ({e}); tell them another way.\n"),
    }
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

/// Audit entries, one line each.
fn history(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!("{}  {:<16} {:<18} {}  {}\n", when(e.at), e.actor, e.action, e.subject, e.detail).replace("  \n", "\n"));
    }
    if out.is_empty() {
        out.push_str("no changes recorded\n");
    }
    out
}

/// "2026-12-02 05:20 UTC" from an RFC 3339 time: what a person reads in a table.
fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // A wrong command line prints its error (with a suggestion for a typo) and exits with 2.
    let cli = Cli::parse();
    // Readable lines on stderr, warnings and worse only: stdout is the desk's answer.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::WARN).with_target(false).without_time().init();
    match desk(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A sentence for the secretariat, not a backtrace.
            eprintln!("desk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `reindex` on DynamoDB: needs neither content nor mail.
async fn reindex(table: &str) -> anyhow::Result<()> {
    let r = DynamoStore::new(client_from_env().await, table).reindex().await?;
    println!("Items read: {}; given their places in the desk's lists: {}.", r.items, r.written);
    if r.changed > 0 {
        println!("{} changed while being read (each change writes its own attributes): run desk reindex again to be sure.", r.changed);
    }
    if r.unreadable > 0 {
        println!("WARNING: {} items do not read as the record their key names; they are in no list.", r.unreadable);
    }
    Ok(())
}

/// `--operator`, else `CCG_OPERATOR`, else `USER` (the service refuses an empty one).
fn operator(arg: Option<String>) -> String {
    arg.or_else(|| std::env::var("CCG_OPERATOR").ok()).or_else(|| std::env::var("USER").ok()).unwrap_or_default()
}

async fn desk(cli: Cli) -> anyhow::Result<()> {
    if let Command::Completions { shell } = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "desk", &mut script);
        // A reader that stops early (`| head`) is no failure.
        return match std::io::Write::write_all(&mut std::io::stdout().lock(), &script) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(()),
        };
    }
    if let (Command::Reindex, Some(table)) = (&cli.command, &cli.dynamodb) {
        return reindex(table).await;
    }
    // The table as a whole (the restore drill): neither content nor mail.
    if matches!(cli.command, Command::ExportTable { .. } | Command::ImportTable { .. } | Command::CheckTable) {
        let Some(table) = &cli.dynamodb else { bail!("this command works on a DynamoDB table: give --dynamodb TABLE") };
        return table::run(table, cli.command).await;
    }
    let operator = operator(cli.operator);
    // On the preview's store, the preview's content (drafts included: the
    // preview takes claims for draft meetings); else the content built in.
    let content = PathBuf::from("content");
    let catalogue = if cli.dynamodb.is_none() && content.join("config.yaml").is_file() {
        ccg_model::Catalogue::load_dir(&content, true).map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        embedded::catalogue().map_err(|e| anyhow::anyhow!("embedded content: {e}"))?
    };
    let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
    // The emails' links: the real site on DynamoDB; the preview's store accepts the example address.
    let given = cli.base_url.or_else(|| std::env::var("CCG_BASE_URL").ok());
    let public_url = ccg_functions::service::desk::site_address(given.as_deref(), &site.base_url, cli.dynamodb.is_none()).map_err(anyhow::Error::msg)?;
    let options = Options {
        public_url,
        site_title: site.title.clone(),
        retention: site.retention,
        shared_max_bytes: site.members.documents.max_bytes(),
        ..Options::default()
    };
    let text = match cli.dynamodb {
        None => {
            let path = cli.sqlite.unwrap_or_else(|| PathBuf::from("data/forms.sqlite3"));
            if !path.is_file() {
                bail!("{} does not exist (the preview keeps its forms in data/forms.sqlite3; give --sqlite PATH)", path.display());
            }
            // Opening the store deletes what is past its retention: every desk command says what went.
            let store = SqliteStore::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            let swept = store.opened_sweep().clone();
            // The preview's outbox, next to its store: `serve` shows these emails too.
            let outbox = path.parent().unwrap_or(Path::new(".")).join("outbox");
            // The preview's bucket, next to its store.
            let files = LocalFiles::open(&path.parent().unwrap_or(Path::new(".")).join("files"), &options.public_url)?;
            let forms = Forms::new(store, Arc::new(Outbox::new(outbox)), catalogue, options).with_files(Arc::new(files));
            let files_swept = forms.sweep_files().await.unwrap_or(0);
            let uploads_swept = forms.sweep_incoming_shared().await.unwrap_or(0);
            let text = run(forms, cli.command, &operator).await?;
            let text = if files_swept > 0 { format!("Deleted {files_swept} document file(s) whose claim is gone.\n{text}") } else { text };
            let text = with_uploads_swept(uploads_swept, text);
            if swept == ccg_functions::store::Swept::default() {
                text
            } else {
                format!("Deleted at the end of their retention: {}.\n{text}", ccg_functions::service::desk::swept_summary(&swept))
            }
        }
        Some(table) => {
            let bucket = cli.bucket.or_else(|| std::env::var(BUCKET_VAR).ok()).filter(|b| !b.is_empty());
            if bucket.is_none() && matches!(cli.command, Command::Files { .. } | Command::Documents(_)) {
                bail!("the documents bucket is not known: give --bucket NAME or set {BUCKET_VAR} (the stack's output DocumentsBucketName)")
            }
            let mailer: Arc<dyn Mailer> = match SesMailer::from_env().await {
                Ok(m) => Arc::new(m),
                Err(_) => Arc::new(NoMail),
            };
            let mut store = DynamoStore::new(client_from_env().await, &table);
            // With the person key the desk sees suppressed addresses (and emails none of them);
            // without it SES's own suppression list for the configuration set still drops them.
            if let Some(key) = std::env::var(ccg_functions::token::PERSON_KEY_VAR).ok().filter(|k| !k.trim().is_empty()) {
                store = store.with_person_key(ccg_functions::token::PersonKey::from_setting(&key).map_err(|e| anyhow::anyhow!(e))?);
            }
            let mut forms = Forms::new(store, mailer, catalogue, options);
            if let Some(b) = bucket {
                forms = forms.with_files(Arc::new(S3Files::from_env(&b).await?));
            }
            // The table's TTL removes ended claims; `sweep` deletes their files (the preview's desk does it on every run).
            run(forms, cli.command, &operator).await?
        }
    };
    print!("{text}");
    Ok(())
}

/// `text`, after a line saying how many uploads to the repository were deleted unused (when any were).
fn with_uploads_swept(n: usize, text: String) -> String {
    if n == 0 {
        return text;
    }
    let hours = ccg_functions::service::shared_uploads::INCOMING_HOURS;
    format!("Deleted {n} file(s) uploaded at the desk for the members' repository but not added within {hours} hours.\n{text}")
}
