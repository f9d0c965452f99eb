//! `generator build | serve | check | new | completions`: see `generator --help`.
//!
//! Exit status: 0 done; 1 a problem in the content (each printed with its
//! file and line); 2 a wrong command line or any other failure.

mod cli;
mod new;
mod publish;

use anyhow::Context;
use ccg_model::ContentErrors;
use clap::{CommandFactory, Parser};
use cli::{Cli, Command, NewCommand};
use generator::build::{self, BuildError, Options};
use generator::paths;
use generator::serve::{self, ServeOptions};
use jiff::Timestamp;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `--now`, else SOURCE_DATE_EPOCH (reproducible builds), else the clock.
fn now(arg: Option<&str>) -> anyhow::Result<Timestamp> {
    if let Some(s) = arg {
        return s.parse().with_context(|| format!("--now `{s}` is not an RFC 3339 time like 2026-01-01T00:00:00Z"));
    }
    if let Ok(s) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = s.trim().parse().context("SOURCE_DATE_EPOCH is not a number of seconds")?;
        return Timestamp::from_second(secs).context("SOURCE_DATE_EPOCH is out of range");
    }
    Ok(Timestamp::now())
}

fn report_errors(e: BuildError) -> anyhow::Result<ExitCode> {
    match e {
        BuildError::Content(errors) => {
            eprintln!("{errors}");
            Ok(ExitCode::from(1))
        }
        other => Err(other.into()),
    }
}

/// The config's public addresses that are still example placeholders (an
/// unreadable config yields none: the build reports it with its line).
fn placeholders(root: &Path, skip_base_url: bool, skip_contact_email: bool) -> Vec<ccg_model::ContentError> {
    let rel = Path::new(paths::CONTENT).join("config.yaml");
    match std::fs::read_to_string(root.join(&rel)) {
        Ok(text) => publish::placeholder_addresses(&paths::shown(root, &rel), &text, skip_base_url, skip_contact_email),
        Err(_) => Vec::new(),
    }
}

fn build(b: cli::BuildArgs) -> anyhow::Result<ExitCode> {
    let root = b.root.root;
    for (option, value) in [("--base-url", &b.base_url), ("--contact-email", &b.contact_email)] {
        if let Some(v) = value {
            publish::check_override(option, v).map_err(anyhow::Error::msg)?;
        }
    }
    // Drafts make a preview, never published; anything else may go live.
    if !b.drafts {
        let found = placeholders(&root, b.base_url.is_some(), b.contact_email.is_some());
        if !found.is_empty() {
            eprintln!("{}", ContentErrors(found));
            eprintln!("a build without --drafts is for publishing and needs the real addresses");
            return Ok(ExitCode::from(1));
        }
    }
    let out = b.out.unwrap_or_else(|| root.join("public"));
    let opts = Options {
        root,
        out: out.clone(),
        drafts: b.drafts,
        now: now(b.now.now.as_deref())?,
        base_url: b.base_url,
        contact_email: b.contact_email,
        write: true,
    };
    match build::build(&opts) {
        Ok(r) => {
            eprintln!(
                "built {} pages and {} events in {} ms into {}: {} files written, {} unchanged ({} not even rendered: same inputs), {} removed",
                r.pages,
                r.events,
                r.elapsed.as_millis(),
                out.display(),
                r.stats.written,
                r.stats.unchanged,
                r.stats.reused,
                r.stats.removed
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => report_errors(e),
    }
}

fn check(c: cli::CheckArgs) -> anyhow::Result<ExitCode> {
    let root = c.root.root;
    // What `build` would publish, then the drafts too, so a draft is checked before it goes live.
    let now = now(c.now.now.as_deref())?;
    let mut opts = Options { root: root.clone(), out: PathBuf::from("unused"), drafts: false, now, base_url: None, contact_email: None, write: false };
    let published = build::build(&opts);
    opts.drafts = true;
    let preview = build::build(&opts);
    // A warning, not an error: the content is fine for the preview, and the
    // publishing build gets the real addresses from its command line (deploy does).
    for w in placeholders(&root, false, false) {
        eprintln!("warning: {w} (`generator build` refuses it)");
    }
    match (published, preview) {
        (Ok(r), Ok(p)) => {
            eprintln!("content OK: {} pages, {} events ({} with drafts)", r.pages, r.events, p.pages);
            Ok(ExitCode::SUCCESS)
        }
        (Err(BuildError::Content(mut a)), Err(BuildError::Content(b))) => {
            for e in b.0 {
                if !a.0.contains(&e) {
                    a.0.push(e);
                }
            }
            report_errors(BuildError::Content(a.sorted()))
        }
        (Err(e), _) | (_, Err(e)) => report_errors(e),
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build(b) => build(b),
        Command::Check(c) => check(c),
        Command::Serve(s) => {
            let root = s.root.root;
            let data_dir = s.data.unwrap_or_else(|| root.join("data"));
            serve::serve(ServeOptions { root, port: s.port, data_dir, out: s.out, staff_link_decides: s.staff_link_decides })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::New(what) => {
            let path = match what {
                NewCommand::Event(e) => new::event(e)?,
                NewCommand::Page(p) => new::page(p)?,
            };
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "generator", &mut script);
            // A reader that stops early (`| head`) is no failure.
            match std::io::Write::write_all(&mut std::io::stdout().lock(), &script) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(ExitCode::SUCCESS),
            }
        }
    }
}

fn main() -> ExitCode {
    // A wrong command line prints its error (with a suggestion for a typo) and exits with 2.
    let cli = Cli::parse();
    // What the preview and the forms log: readable lines on stderr, info and worse.
    // A command's own answer (build errors, "built ...", "serving ... on") is printed, not logged.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::INFO).with_target(false).init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
