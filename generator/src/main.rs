//! `generator build | serve | check`: see `generator --help`.

use anyhow::{Context, bail};
use generator::build::{self, BuildError, Options};
use generator::serve::{self, ServeOptions};
use jiff::Timestamp;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
generator: builds the City Coordinators Group site from content/ and templates/

USAGE:
    generator build [--out DIR] [--drafts] [--now RFC3339] [--root DIR]
    generator serve [--port 1111] [--data DIR] [--root DIR]
    generator check [--now RFC3339] [--root DIR]

    build   writes the site into DIR (default: public/ under the root)
    serve   builds with drafts and serves it on http://127.0.0.1:PORT,
            rebuilding when content/ or templates/ change; /api/ runs the forms
    check   validates all content and templates, prints every problem, writes nothing

OPTIONS:
    --root DIR     folder with content/ and templates/ (default: current folder)
    --now TIME     the moment that splits upcoming from past events and decides
                   which meetings the claim form offers, e.g.
                   2026-01-01T00:00:00Z (default: SOURCE_DATE_EPOCH, else the clock)
    --drafts       include draft pages and events (labelled \"Draft\")
";

#[derive(Default)]
struct Args {
    command: String,
    root: Option<PathBuf>,
    out: Option<PathBuf>,
    data: Option<PathBuf>,
    drafts: bool,
    now: Option<String>,
    port: Option<u16>,
}

fn parse_args(mut it: impl Iterator<Item = OsString>) -> anyhow::Result<Args> {
    let mut a = Args::default();
    while let Some(arg) = it.next() {
        let arg = arg.into_string().map_err(|a| anyhow::anyhow!("argument is not UTF-8: {a:?}"))?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> anyhow::Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().and_then(|v| v.into_string().ok()).with_context(|| format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => a.command = "help".into(),
            "--root" => a.root = Some(value("--root")?.into()),
            "--out" => a.out = Some(value("--out")?.into()),
            "--data" => a.data = Some(value("--data")?.into()),
            "--now" => a.now = Some(value("--now")?),
            "--port" => a.port = Some(value("--port")?.parse().context("--port needs a number")?),
            "--drafts" => a.drafts = true,
            f if f.starts_with('-') => bail!("unknown option {f}\n\n{HELP}"),
            c if a.command.is_empty() => a.command = c.to_string(),
            other => bail!("unexpected argument {other}\n\n{HELP}"),
        }
    }
    Ok(a)
}

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

fn run() -> anyhow::Result<ExitCode> {
    let a = parse_args(std::env::args_os().skip(1))?;
    let root = a.root.clone().unwrap_or_else(|| PathBuf::from("."));
    match a.command.as_str() {
        "build" => {
            let out = a.out.clone().unwrap_or_else(|| root.join("public"));
            let opts = Options { root, out: out.clone(), drafts: a.drafts, now: now(a.now.as_deref())?, base_url: None, write: true };
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
        "check" => {
            // What `build` would publish, then the drafts too, so a draft is checked before it goes live.
            let now = now(a.now.as_deref())?;
            let mut opts = Options { root, out: PathBuf::from("unused"), drafts: false, now, base_url: None, write: false };
            let published = build::build(&opts);
            opts.drafts = true;
            let preview = build::build(&opts);
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
        "serve" => {
            let data_dir = a.data.clone().unwrap_or_else(|| root.join("data"));
            serve::serve(ServeOptions { root, port: a.port.unwrap_or(1111), data_dir, out: a.out.clone() })?;
            Ok(ExitCode::SUCCESS)
        }
        "help" => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        "" => bail!("no command given\n\n{HELP}"),
        other => bail!("unknown command `{other}`\n\n{HELP}"),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
