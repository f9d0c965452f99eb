//! desk's command line: subcommands, their options and their help texts.

use ccg_functions::records::{ClaimStatus, SharedKind};
use ccg_model::Cents;
use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "desk",
    version,
    about = "The secretariat's desk: contacts and representatives, travel claims, exports, erasure, staff",
    long_about = "The secretariat's desk: contacts and representatives, travel claims, exports, erasure, staff.\n\n\
        The default store is the preview's (--sqlite data/forms.sqlite3): then the meetings and cities come from content/ in \
        the current folder, drafts included, as in the preview (else from the content built into the binary). DynamoDB uses \
        the usual AWS environment (AWS_REGION, credentials, AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local). The applicant \
        hears of each decision on a claim or a representative by email: through the preview's outbox next to the SQLite \
        file, or through SES (CCG_MAIL_FROM) with DynamoDB. The emails' links lead to --base-url (or CCG_BASE_URL), \
        which on DynamoDB must be the site's real address.",
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Exit status: 0 done; 1 refused or failed (one sentence on stderr); 2 a wrong command line."
)]
pub struct Cli {
    /// The preview's embedded store [default: data/forms.sqlite3]
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "dynamodb")]
    pub sqlite: Option<PathBuf>,
    /// The DynamoDB table, instead of the embedded store.
    #[arg(long, value_name = "TABLE", global = true)]
    pub dynamodb: Option<String>,
    /// With --dynamodb: the documents bucket, which `files` reads [default: CCG_DOCUMENTS_BUCKET]. `claim` lists a
    /// claim's documents from the table without it.
    #[arg(long, value_name = "NAME", global = true, conflicts_with = "sqlite")]
    pub bucket: Option<String>,
    /// The site's public address, for the links in the emails desk sends [default: CCG_BASE_URL, else base_url of
    /// the config built in]. On DynamoDB it must be the real one: a reserved example domain is refused.
    #[arg(long, value_name = "URL", global = true)]
    pub base_url: Option<String>,
    /// Who decides, recorded with every change [default: CCG_OPERATOR, else USER]
    #[arg(long, value_name = "NAME", global = true)]
    pub operator: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the contacts (pending: not confirmed yet).
    Contacts {
        /// Only these (pending: the link not used yet).
        #[arg(long, value_parser = PossibleValuesParser::new(["pending", "confirmed", "approved", "declined"]))]
        status: Option<String>,
    },
    /// Admit a confirmed contact as the representative of an SCC city; the contact is emailed.
    Approve {
        /// The contact's address.
        email: String,
        /// The city, as content/data/scc-projects.yaml names it.
        #[arg(long)]
        city: String,
        /// Its country (ISO 3166-1 alpha-2), when several cities have the name.
        #[arg(long, value_name = "CC")]
        country: Option<String>,
    },
    /// Decline (or withdraw) a representative; the contact is emailed.
    Decline {
        /// The contact's address.
        email: String,
        /// Why (recorded in the history, and told to the contact).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// List the claims.
    Claims(ClaimsArgs),
    /// One claim with its full history.
    Claim {
        /// The claim's id (clm_...) or reference (CCG-2027-0042).
        id: String,
    },
    /// Write a claim's supporting documents into a folder (one file each, named `<document id>-<file name>`).
    Files {
        /// The claim's id (clm_...).
        id: String,
        /// The folder to write them in (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Approve a counted claim; the applicant is emailed.
    ApproveClaim {
        /// The claim's id (clm_...) or reference (CCG-2027-0042).
        id: String,
    },
    /// Reject a counted or approved claim: its trip and euros go back; the applicant is emailed.
    RejectClaim {
        /// The claim's id (clm_...) or reference (CCG-2027-0042).
        id: String,
        /// Why it is rejected (required).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Record the payment of an approved claim (at most the amount asked; less, with --reason); the applicant is emailed.
    Paid {
        /// The claim's id (clm_...) or reference (CCG-2027-0042).
        id: String,
        /// Euros paid, e.g. 412.50.
        #[arg(long, value_name = "EUR", value_parser = euros)]
        amount: Cents,
        /// The day of the payment, e.g. 2027-04-02.
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: jiff::civil::Date,
        /// Why less than the amount asked for is paid (required then, refused otherwise); the applicant is told.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Trips and euros used and left, per city and year.
    Usage {
        /// This year only.
        #[arg(long)]
        year: Option<i16>,
    },
    /// Write a CSV for a spreadsheet.
    Export {
        /// What to write.
        #[arg(value_parser = PossibleValuesParser::new(["claims", "contacts", "usage"]))]
        what: String,
        /// The file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE.csv")]
        output: PathBuf,
        /// Of `usage`: this year only.
        #[arg(long)]
        year: Option<i16>,
    },
    /// Remove a person's data everywhere (approved and paid claims are kept, without name and address).
    Erase {
        /// The person's address.
        email: String,
    },
    /// Let an address that bounced or complained receive emails again (its owner asked); needs CCG_PERSON_KEY on DynamoDB.
    Unsuppress {
        /// The address.
        email: String,
    },
    /// Delete what is past its retention (content/config.yaml) and say what went.
    Sweep,
    /// Send a meeting's invitations (or its update, or its cancellation: what each person is owed)
    /// to the end, in batches at the configured rate, printing progress. Safe to run again: it resumes.
    Invite {
        /// The meeting's id (its file's `id:`).
        event: String,
    },
    /// The secretariat's staff: who may sign in to the desk's pages.
    #[command(subcommand, arg_required_else_help = true)]
    Staff(StaffCommand),
    /// The members' repository: documents shared with signed-in members (/members/documents/).
    #[command(subcommand, arg_required_else_help = true)]
    Documents(DocumentsCommand),
    /// The audit trail, or one address's or claim's part of it.
    History {
        /// An address or a claim id: only the changes about it.
        #[arg(value_name = "EMAIL or ID")]
        about: Option<String>,
    },
    /// Give every item of the DynamoDB table the attributes that put it in the desk's lists (indexes). Once, after
    /// deploying the version that added them (items written before lack them); a second run changes nothing.
    /// The embedded store does it itself when opened.
    Reindex,
    /// Write every item of the DynamoDB table into FILE, one `{"Item": {...}}` a line in DynamoDB JSON, sorted by key
    /// (the shape of DynamoDB's export to S3): the restore drill's copy (scripts/restore-drill.sh).
    ExportTable {
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Put every item of FILE (as `export-table` writes it) into the DynamoDB table: the restore drill's restore.
    ImportTable {
        /// The file to read.
        file: PathBuf,
        /// Create the table first, as the deployment template defines it (key, indexes, TTL).
        #[arg(long)]
        create: bool,
    },
    /// Check that the DynamoDB table holds together: its items per kind, and each city's yearly counters equal to
    /// what its claims add up to. Run it on a restored table before using it (infra/README.md, "Restore from a
    /// backup"). Exit status 1 when something does not hold.
    CheckTable,
    /// Print a shell completion script.
    ///
    /// bash: `desk completions bash > ~/.local/share/bash-completion/completions/desk`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Make an address staff (recorded in the history).
    Add {
        /// The person's address.
        email: String,
        /// Their name, as the desk's pages show it.
        #[arg(long)]
        name: String,
    },
    /// Remove an address from the staff; every session of theirs ends at once.
    Remove {
        /// The person's address.
        email: String,
    },
    /// List the staff.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Share a file with members: a PDF or an OpenDocument file, judged by its content (recorded in the history).
    Add {
        /// The file.
        file: PathBuf,
        /// Its title, as members read it.
        #[arg(long)]
        title: String,
        /// The document's date [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        /// Its language, an ISO 639-1 code.
        #[arg(long, value_name = "CODE", default_value = "en")]
        language: String,
        /// The id of the meeting it belongs to.
        #[arg(long, value_name = "EVENT")]
        meeting: Option<String>,
        /// What it is.
        #[arg(long, default_value = "other", value_parser = PossibleValuesParser::new(SharedKind::ALL.map(SharedKind::as_str)))]
        kind: String,
    },
    /// Replace a document's file (members then download the new one).
    Replace {
        /// The document's id (shd_...).
        id: String,
        /// The new file.
        file: PathBuf,
    },
    /// Remove a document: members no longer see it, and its file is deleted.
    Remove {
        /// The document's id (shd_...).
        id: String,
    },
    /// List the documents, newest first.
    List,
}

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// Only these.
    #[arg(long, value_parser = PossibleValuesParser::new(ClaimStatus::ALL.map(ClaimStatus::as_str)))]
    pub status: Option<String>,
    /// Its name (any case) or its key.
    #[arg(long)]
    pub city: Option<String>,
    /// Only this year.
    #[arg(long)]
    pub year: Option<i16>,
    /// The meeting's id.
    #[arg(long)]
    pub event: Option<String>,
}

/// `--amount`: euros as written (412.50), in cents.
fn euros(s: &str) -> Result<Cents, String> {
    Cents::parse_eur(s).map_err(|e| e.to_string())
}
