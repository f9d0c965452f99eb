//! `generator new event|page`: a new content file from its essentials, taken
//! as options or asked for, validated by the model's own parser and by a
//! check of the whole site before the command says it is done.

use crate::cli::{NewEvent, NewPage};
use anyhow::{Context, bail};
use ccg_model::{ContentError, event};
use generator::build::{self, BuildError, Options};
use generator::paths;
use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Gets the missing answers: from the person at the terminal, or nowhere.
struct Asker {
    interactive: bool,
}

impl Asker {
    fn new() -> Asker {
        Asker { interactive: std::io::stdin().is_terminal() }
    }

    /// `slot`'s value, asking for it when it is empty. `choices` limits the answers.
    fn need(&self, slot: &mut Option<String>, option: &str, question: &str, choices: &[&str]) -> anyhow::Result<String> {
        if let Some(v) = slot.as_ref().filter(|v| !v.trim().is_empty()) {
            return Ok(v.trim().to_string());
        }
        if !self.interactive {
            bail!("missing {option} (the input is not a terminal, so it cannot be asked for)");
        }
        loop {
            let answer = self.ask(question, choices)?;
            if answer.is_empty() {
                continue;
            }
            if !choices.is_empty() && !choices.contains(&answer.as_str()) {
                eprintln!("  one of: {}", choices.join(", "));
                continue;
            }
            *slot = Some(answer.clone());
            return Ok(answer);
        }
    }

    /// An optional value: asked once (Enter skips) when interactive, else left out.
    fn maybe(&self, slot: &mut Option<String>, question: &str) -> anyhow::Result<()> {
        if slot.is_none() && self.interactive {
            let a = self.ask(&format!("{question} (optional, Enter to skip)"), &[])?;
            *slot = (!a.is_empty()).then_some(a);
        }
        Ok(())
    }

    fn ask(&self, question: &str, choices: &[&str]) -> anyhow::Result<String> {
        let mut err = std::io::stderr();
        if choices.is_empty() {
            write!(err, "{question}: ")?;
        } else {
            write!(err, "{question} [{}]: ", choices.join(", "))?;
        }
        err.flush()?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            bail!("no answer to \"{question}\"");
        }
        Ok(line.trim().to_string())
    }
}

/// A YAML scalar for a value: plain when it is a date, a time, a zone or a
/// code (as in the existing files), else double-quoted (JSON's quoting is valid YAML).
fn scalar(v: &str) -> String {
    let plain = v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | ':' | '.' | '+'))
        && !v.ends_with(':')
        && !matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "null")
        && v.parse::<f64>().is_err();
    if plain { v.to_string() } else { text(v) }
}

fn text(v: &str) -> String {
    serde_json::to_string(v).expect("a string serialises")
}

/// Ids of the events under `dir`, with where each is set (for a clash).
fn existing_ids(dir: &Path) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    // The files the site reads as events: a hidden copy is none.
    for p in ccg_model::files::content_files(dir, Some("md")) {
        let Ok(t) = std::fs::read_to_string(&p) else { continue };
        let id = match event::parse(&p, &t) {
            Ok(e) => Some(e.id),
            // A broken event still holds its id: never hand it out again.
            Err(_) => t.lines().find_map(|l| l.strip_prefix("id:")).map(|v| v.trim().trim_matches(['"', '\'']).to_string()),
        };
        if let Some(id) = id {
            ids.insert(id, p.display().to_string());
        }
    }
    ids
}

/// Lowercase ASCII words of a title, without the little ones, for ids and paths.
fn slug_words(title: &str, max: usize) -> String {
    const SMALL: [&str; 16] = ["a", "an", "and", "the", "of", "on", "in", "for", "to", "with", "at", "by", "ccg", "city", "coordinators", "group"];
    let folded = ccg_model::normalize_name(title);
    let words: Vec<String> = folded
        .split_whitespace()
        .map(|w| w.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|w| !w.is_empty() && !SMALL.contains(&w.as_str()))
        .take(max)
        .collect();
    if words.is_empty() { "meeting".into() } else { words.join("-") }
}

/// A fresh id in the style of the existing ones (`ccg-2027-05-data-platforms`),
/// with `-2`, `-3`... when a meeting of that month already has it.
fn fresh_id(year_month: &str, title: &str, taken: &HashMap<String, String>) -> String {
    let base = format!("ccg-{year_month}-{}", slug_words(title, 4));
    (1..).map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") }).find(|id| !taken.contains_key(id)).expect("an unused id exists")
}

/// The option an editor fixes for a mistake the model found at `line` of `text`.
fn option_at(text: &str, line: usize) -> &'static str {
    let key = text.lines().nth(line.saturating_sub(1)).and_then(|l| l.split_once(':')).map_or("", |(k, _)| k.trim());
    match key {
        "id" => "--id",
        "title" => "--title",
        "start" => "--start",
        "end" => "--end",
        "timezone" => "--timezone",
        "format" => "--format",
        "kind" => "--kind",
        "location" | "venue" | "city" | "country" => "--country",
        "announced" => "--announced",
        "summary" => "--summary",
        _ => "the options",
    }
}

fn event_text(a: &NewEvent, id: &str) -> String {
    let mut t = String::from("---\n");
    let mut line = |k: &str, v: String| t.push_str(&format!("{k}: {v}\n"));
    line("id", scalar(id));
    line("title", text(a.title.as_deref().unwrap_or("")));
    line("start", scalar(a.start.as_deref().unwrap_or("")));
    line("end", scalar(a.end.as_deref().unwrap_or("")));
    line("timezone", scalar(a.timezone.as_deref().unwrap_or("")));
    line("format", scalar(a.format.as_deref().unwrap_or("")));
    line("kind", scalar(a.kind.as_deref().unwrap_or("")));
    if a.city.is_some() || a.country.is_some() || a.venue.is_some() {
        t.push_str("location:\n");
        if let Some(v) = &a.venue {
            t.push_str(&format!("  venue: {}\n", text(v)));
        }
        t.push_str(&format!("  city: {}\n", text(a.city.as_deref().unwrap_or(""))));
        t.push_str(&format!("  country: {}\n", scalar(a.country.as_deref().unwrap_or(""))));
    }
    if let Some(d) = &a.announced {
        t.push_str(&format!("announced: {}\n", scalar(d)));
    }
    if a.draft {
        t.push_str("draft: true\n");
    }
    if let Some(s) = &a.summary {
        t.push_str(&format!("summary: {}\n", text(s)));
    }
    t.push_str("---\n");
    t
}

/// `generator new event`: returns the path of the file written.
pub fn event(a: Box<NewEvent>) -> anyhow::Result<PathBuf> {
    event_from(*a)
}

fn event_from(mut a: NewEvent) -> anyhow::Result<PathBuf> {
    let ask = Asker::new();
    let root = a.root.root.clone();
    let rel_dir = Path::new(paths::CONTENT).join(ccg_model::catalogue::EVENTS_DIR);
    let dir = root.join(&rel_dir);
    if !dir.is_dir() {
        bail!("{} is not a folder: run this in the site's folder, or give --root", dir.display());
    }
    let taken = existing_ids(&dir);
    if let Some(id) = &a.id
        && let Some(at) = taken.get(id)
    {
        bail!("--id `{id}` is already used by {at}");
    }
    let formats = ccg_model::Format::ALL.map(ccg_model::Format::as_str);
    let kinds = ccg_model::Kind::ALL.map(ccg_model::Kind::as_str);
    let mut asked_place = false;
    let mut asked_venue = false;
    let (text, parsed) = loop {
        ask.need(&mut a.title, "--title", "Title", &[])?;
        ask.need(&mut a.start, "--start", "Start (2027-05-12 for an all-day event, 2027-05-12T09:30 for a time)", &[])?;
        ask.need(&mut a.end, "--end", "End (the last day of an all-day event, or the local end time)", &[])?;
        ask.need(&mut a.timezone, "--timezone", "Time zone of the place (e.g. Europe/Brussels)", &[])?;
        ask.need(&mut a.format, "--format", "Format", &formats)?;
        ask.need(&mut a.kind, "--kind", "Kind of meeting", &kinds)?;
        if a.city.is_some() || a.country.is_some() || asked_place {
            ask.need(&mut a.city, "--city", "City", &[])?;
            ask.need(&mut a.country, "--country", "Country (two-letter code, e.g. BE)", &[])?;
            if asked_place && !asked_venue {
                ask.maybe(&mut a.venue, "Venue")?;
                asked_venue = true;
            }
        }
        if let Some(c) = a.country.as_mut() {
            *c = c.trim().to_ascii_uppercase();
        }
        // The id's month is the start's, as in the existing ids.
        let month = a.start.as_deref().and_then(|s| s.get(..7)).filter(|m| m.bytes().all(|b| b.is_ascii_digit() || b == b'-')).unwrap_or("0000-00");
        let id = a.id.clone().unwrap_or_else(|| fresh_id(month, a.title.as_deref().unwrap_or(""), &taken));
        let text = event_text(&a, &id);
        let file = rel_dir.join("new.md");
        match event::parse(&file, &text) {
            Ok(e) => break (text, e),
            Err(errors) => {
                let needs_place = errors.iter().any(|e| option_at(&text, e.line) == "--format" && e.message.contains("location"));
                if !ask.interactive {
                    let mut msg: Vec<String> = errors.iter().map(|e| format!("{}: {}", option_at(&text, e.line), e.message)).collect();
                    if needs_place {
                        msg.push("give --city and --country (and --venue if known)".into());
                    }
                    bail!("{}", msg.join("\n"));
                }
                for e in &errors {
                    eprintln!("  {}", e.message);
                    match option_at(&text, e.line) {
                        "--format" if needs_place => {}
                        "--title" => a.title = None,
                        "--start" => a.start = None,
                        "--end" => a.end = None,
                        "--timezone" => a.timezone = None,
                        "--format" => a.format = None,
                        "--kind" => a.kind = None,
                        "--country" => a.country = None,
                        "--announced" => a.announced = None,
                        _ => bail!("{}", e.message),
                    }
                }
                asked_place |= needs_place;
            }
        }
    };
    let date = parsed.when.start_date().to_string();
    let name = parsed.id.replacen(&format!("-{}", &date[..7]), "", 1);
    let rel = rel_dir.join(format!("{date}-{name}.md"));
    write_checked(&root, &rel, &text)?;
    Ok(paths::shown(&root, &rel))
}

/// `generator new page`: returns the path of the file written.
pub fn page(mut a: NewPage) -> anyhow::Result<PathBuf> {
    let ask = Asker::new();
    let root = a.root.root.clone();
    let rel_dir = Path::new(paths::CONTENT).join("pages");
    if !root.join(&rel_dir).is_dir() {
        bail!("{} is not a folder: run this in the site's folder, or give --root", root.join(&rel_dir).display());
    }
    let title = ask.need(&mut a.title, "--title", "Title", &[])?;
    let description = ask.need(&mut a.description, "--description", "Description (one sentence for search engines and link previews)", &[])?;
    let path = a.path.clone().unwrap_or_else(|| slug_words(&title, 5));
    let path = path.trim_matches('/');
    let rel_page = PathBuf::from(format!("{path}.md"));
    let (url, _) = ccg_model::page::page_url(&rel_page).map_err(|e| anyhow::anyhow!("--path `{path}`: {e}"))?;
    let mut t = format!("---\ntitle: {}\ndescription: {}\n", text(&title), text(&description));
    if let Some(n) = a.menu {
        t.push_str(&format!("menu: {n}\n"));
    }
    if a.draft {
        t.push_str("draft: true\n");
    }
    t.push_str("---\n");
    let rel = rel_dir.join(rel_page);
    write_checked(&root, &rel, &t)?;
    eprintln!("its address: {url}");
    Ok(paths::shown(&root, &rel))
}

/// Writes `text` to `root/rel` unless a file is there, then checks the whole
/// site as `generator check` does; a file the check finds fault with is
/// removed again, so nothing broken is left behind.
fn write_checked(root: &Path, rel: &Path, text: &str) -> anyhow::Result<()> {
    let path = root.join(rel);
    let shown = paths::shown(root, rel);
    // Folders made for a page under a new address go again with a file that is not kept.
    let made: Vec<PathBuf> = path.ancestors().skip(1).take_while(|d| !d.exists()).map(Path::to_path_buf).collect();
    if let Some(deepest) = made.first() {
        std::fs::create_dir_all(deepest).with_context(|| format!("cannot create {}", deepest.display()))?;
    }
    let mut f = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!("{} already exists: nothing written", shown.display()),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", shown.display())),
    };
    f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).with_context(|| format!("cannot write {}", shown.display()))?;
    drop(f);
    let opts = Options {
        root: root.to_path_buf(),
        out: PathBuf::from("unused"),
        drafts: true,
        now: jiff::Timestamp::now(),
        base_url: None,
        contact_email: None,
        write: false,
    };
    if let Err(BuildError::Content(errors)) = build::build(&opts) {
        let (mine, others): (Vec<ContentError>, Vec<ContentError>) =
            errors.0.into_iter().partition(|e| e.file == shown || e.message.contains(&shown.display().to_string()));
        if !mine.is_empty() {
            let _ = std::fs::remove_file(&path);
            for d in &made {
                let _ = std::fs::remove_dir(d);
            }
            let lines: Vec<String> = mine.iter().map(ToString::to_string).collect();
            bail!("the new file would not pass `generator check`, so it was not kept:\n{}", lines.join("\n"));
        }
        if !others.is_empty() {
            eprintln!("note: {} problem(s) in other files; `generator check` lists them", others.len());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_existing_style_and_never_repeat() {
        let mut taken = HashMap::new();
        let id = fresh_id("2027-05", "Co-creation workshop on the shared data platforms of Köln", &taken);
        assert_eq!(id, "ccg-2027-05-co-creation-workshop-shared");
        assert!(event::is_valid_id(&id));
        taken.insert(id.clone(), "x.md".into());
        assert_eq!(fresh_id("2027-05", "Co-creation workshop on the shared data platforms of Köln", &taken), format!("{id}-2"));
        assert_eq!(fresh_id("2027-05", "CCG: the group", &HashMap::new()), "ccg-2027-05-meeting");
    }

    #[test]
    fn values_are_quoted_only_when_yaml_needs_it() {
        assert_eq!(scalar("2027-05-12T09:30"), "2027-05-12T09:30");
        assert_eq!(scalar("Europe/Brussels"), "Europe/Brussels");
        assert_eq!(scalar("no"), "\"no\"");
        assert_eq!(scalar("12"), "\"12\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(text("Meeting: \"x\" # y"), r#""Meeting: \"x\" # y""#);
    }
}
