//! The command line: subcommands, their options and their help texts.

use ccg_model::{Format, Kind};
use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "generator",
    version,
    about = "Builds the City Coordinators Group site from content/ and templates/",
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Exit status: 0 done; 1 a problem in the content (printed as file:line:column: message); 2 a wrong command line or another failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the site into a folder, ready to publish.
    ///
    /// A build without --drafts is for publishing: it refuses a `base_url` or
    /// `contact.email` in content/config.yaml on a reserved example domain
    /// (example.com, *.example, *.test, ...) unless --base-url and
    /// --contact-email give the real ones.
    Build(BuildArgs),
    /// Build with drafts and serve the preview on http://127.0.0.1:PORT.
    ///
    /// Rebuilds when content/ or templates/ change; /api/ runs the forms.
    Serve(ServeArgs),
    /// Validate all content and templates; print every problem, write nothing.
    ///
    /// Exit status 1 when there is a problem. A placeholder address that a
    /// publishing build would refuse is printed as a warning.
    Check(CheckArgs),
    /// Start a new event or page from its essentials.
    ///
    /// Missing essentials are asked for when the input is a terminal;
    /// otherwise the command stops and names the missing option.
    #[command(subcommand)]
    New(NewCommand),
    /// Print a shell completion script.
    ///
    /// bash: `generator completions bash > ~/.local/share/bash-completion/completions/generator`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct RootArg {
    /// Folder with content/ and templates/.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
}

#[derive(Debug, Args)]
pub struct NowArg {
    /// The moment that splits upcoming from past events and decides which
    /// meetings the claim form offers, e.g. 2026-01-01T00:00:00Z [default:
    /// SOURCE_DATE_EPOCH, else the clock]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Where the site is written [default: public/ under the root]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Include draft pages and events (labelled "Draft"): a preview, never published.
    #[arg(long)]
    pub drafts: bool,
    #[command(flatten)]
    pub now: NowArg,
    /// Public address of the site for this build, instead of `base_url` of content/config.yaml.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The secretariat's public address for this build, instead of `contact.email` of content/config.yaml.
    #[arg(long, value_name = "ADDRESS")]
    pub contact_email: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub root: RootArg,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
    /// Where the forms keep what people send [default: data/ under the root]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Where the preview is written [default: target/ccg-serve under the root]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Let the secretariat decide and pay when signed in by an emailed link,
    /// without a passkey (the preview only: the functions in AWS never do)
    #[arg(long)]
    pub staff_link_decides: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub root: RootArg,
    #[command(flatten)]
    pub now: NowArg,
}

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// Write a new event into content/events/ and print its path.
    Event(Box<NewEvent>),
    /// Write a new page into content/pages/ and print its path.
    Page(NewPage),
}

fn formats() -> PossibleValuesParser {
    PossibleValuesParser::new(Format::ALL.map(Format::as_str))
}

fn kinds() -> PossibleValuesParser {
    PossibleValuesParser::new(Kind::ALL.map(Kind::as_str))
}

#[derive(Debug, Args)]
pub struct NewEvent {
    #[command(flatten)]
    pub root: RootArg,
    /// Title, as people will read it in the calendar.
    #[arg(long)]
    pub title: Option<String>,
    /// First day (2027-05-12: an all-day event) or local start (2027-05-12T09:30).
    #[arg(long, value_name = "DATE[THH:MM]")]
    pub start: Option<String>,
    /// Last day (all-day event, included) or local end (2027-05-12T17:00).
    #[arg(long, value_name = "DATE[THH:MM]")]
    pub end: Option<String>,
    /// IANA time zone of the place, e.g. Europe/Brussels.
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// In person, online or both.
    #[arg(long, value_parser = formats())]
    pub format: Option<String>,
    /// Which of the three kinds of meeting.
    #[arg(long, value_parser = kinds())]
    pub kind: Option<String>,
    /// City of an in-person or hybrid meeting.
    #[arg(long)]
    pub city: Option<String>,
    /// Country of the city, ISO 3166-1 alpha-2 (BE, PT, ...).
    #[arg(long, value_name = "CODE")]
    pub country: Option<String>,
    /// Venue (optional).
    #[arg(long)]
    pub venue: Option<String>,
    /// One or two sentences for lists and the feed (optional).
    #[arg(long)]
    pub summary: Option<String>,
    /// Day the secretariat announced it (only announced meetings are open for travel claims).
    #[arg(long, value_name = "DATE")]
    pub announced: Option<String>,
    /// Stable id (URL and calendar UID) [default: made from the start month and the title]
    #[arg(long)]
    pub id: Option<String>,
    /// Keep it out of the published site until `draft: true` is removed.
    #[arg(long)]
    pub draft: bool,
}

#[derive(Debug, Args)]
pub struct NewPage {
    #[command(flatten)]
    pub root: RootArg,
    /// Title of the page.
    #[arg(long)]
    pub title: Option<String>,
    /// One sentence for search engines and link previews.
    #[arg(long)]
    pub description: Option<String>,
    /// Address under the site, e.g. `documents` or `join/help` [default: made from the title]
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Position in the main menu (1 is first); not in the menu without it.
    #[arg(long, value_name = "N")]
    pub menu: Option<i32>,
    /// Keep it out of the published site until `draft: true` is removed.
    #[arg(long)]
    pub draft: bool,
}
