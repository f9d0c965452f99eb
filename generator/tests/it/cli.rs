//! The command line as people use it: the built binary, run on the real
//! content/ or on a copy of it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::copy_dir;

const GENERATOR: &str = env!("CARGO_BIN_EXE_generator");
/// The project's own domain (already that of the calendar UIDs).
const BASE_URL: &str = "https://ccg.scalable-cities.eu";
const CONTACT: &str = "ccg@scalable-cities.eu";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn temp(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("ccg-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

fn site_copy(name: &str) -> TempDir {
    let t = temp(name);
    copy_dir(&workspace().join("content"), &t.0.join("content"));
    copy_dir(&workspace().join("templates"), &t.0.join("templates"));
    t
}

/// Runs the generator with no terminal on stdin (as in CI and scripts).
fn run(args: &[&str]) -> Output {
    Command::new(GENERATOR)
        .args(args)
        .current_dir(workspace())
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .stdin(Stdio::null())
        .output()
        .expect("the generator runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [&["build"][..], &["serve"], &["check"], &["new"], &["new", "event"], &["new", "page"], &["completions"]] {
        let mut args = sub.to_vec();
        args.push("--help");
        let out = run(&args);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert!(stdout.contains(&format!("Usage: generator {}", sub.join(" "))), "{args:?}:\n{stdout}");
    }
    let top = text(&run(&["--help"]).stdout);
    for sub in ["build", "serve", "check", "new", "completions"] {
        assert!(top.lines().any(|l| l.trim_start().starts_with(sub)), "--help does not list {sub}:\n{top}");
    }
    // The options people already use keep their names.
    let build = text(&run(&["build", "--help"]).stdout);
    for opt in ["--root", "--out", "--drafts", "--now", "--base-url", "--contact-email"] {
        assert!(build.contains(opt), "build --help lacks {opt}");
    }
    let serve = text(&run(&["serve", "--help"]).stdout);
    for opt in ["--root", "--port", "--data", "--out"] {
        assert!(serve.contains(opt), "serve --help lacks {opt}");
    }
}

#[test]
fn mistakes_on_the_command_line_get_a_suggestion_and_status_2() {
    let out = run(&["build", "--drafs"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("'--drafs'") && err.contains("similar argument exists: '--drafts'"), "{err}");

    let out = run(&["biuld"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("similar subcommand exists: 'build'"), "{}", text(&out.stderr));

    let out = run(&["serve", "--port", "eleven"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--port"));
    let out = run(&["new", "event", "--format", "phisical", "--root", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("physical"), "{}", text(&out.stderr));
}

#[test]
fn version_is_the_crate_version() {
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).trim(), format!("generator {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(text(&run(&["check", "--version"]).stdout).trim(), format!("generator-check {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn completions_know_the_subcommands_and_options() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        // fish names long options without their dashes (`-l drafts`).
        for word in ["build", "serve", "check", "new", "drafts", "base-url"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    assert!(text(&run(&["completions", "bash"]).stdout).contains("complete -F _generator"));
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

const EVENT: &[&str] = &[
    "new",
    "event",
    "--title",
    "Co-creation workshop: data platforms",
    "--start",
    "2027-05-12T09:30",
    "--end",
    "2027-05-13T13:00",
    "--timezone",
    "Europe/Lisbon",
    "--format",
    "physical",
    "--kind",
    "co-creation",
    "--city",
    "Porto",
    "--country",
    "pt",
    "--summary",
    "Cities compare their data platforms.",
];

fn with_root<'a>(args: &[&'a str], root: &'a str) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend(["--root", root]);
    v
}

#[test]
fn new_event_writes_a_file_that_check_accepts_and_never_overwrites() {
    let site = site_copy("new-event");
    let root = site.0.to_str().unwrap();
    let out = run(&with_root(EVENT, root));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = PathBuf::from(text(&out.stdout).trim());
    assert_eq!(path, site.0.join("content/events/2027-05-12-ccg-co-creation-workshop-data.md"));
    let written = fs::read_to_string(&path).unwrap();
    assert!(written.contains("\nid: ccg-2027-05-co-creation-workshop-data\n"), "{written}");
    assert!(written.contains("title: \"Co-creation workshop: data platforms\"\n"), "{written}");
    assert!(written.contains("  country: PT\n"), "{written}");

    let check = run(&["check", "--root", root]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    // Published (no --drafts): the new event is on the site, with the title given.
    let out_dir = site.0.join("out");
    let build = run(&["build", "--root", root, "--out", out_dir.to_str().unwrap(), "--base-url", BASE_URL, "--contact-email", CONTACT]);
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
    let page = fs::read_to_string(out_dir.join("calendar/ccg-2027-05-co-creation-workshop-data/index.html")).unwrap();
    assert!(page.contains("Co-creation workshop: data platforms"));

    // The same again: a fresh id, a new file; the first one untouched.
    let again = run(&with_root(EVENT, root));
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let second = PathBuf::from(text(&again.stdout).trim());
    assert_ne!(second, path);
    assert!(fs::read_to_string(&second).unwrap().contains("\nid: ccg-2027-05-co-creation-workshop-data-2\n"));
    assert_eq!(fs::read_to_string(&path).unwrap(), written);

    // An id given twice is refused with where it is used.
    let mut taken = EVENT.to_vec();
    taken.extend(["--id", "ccg-2021-10-launch"]);
    let out = run(&with_root(&taken, root));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already used by") && text(&out.stderr).contains("2021-10-07-ccg-launch.md"), "{}", text(&out.stderr));

    // A file already at the path is never overwritten.
    let squatter = site.0.join("content/events/2027-05-12-ccg-other.md");
    fs::write(&squatter, "not mine\n").unwrap();
    let mut clash = EVENT.to_vec();
    clash.extend(["--id", "ccg-2027-05-other"]);
    let out = run(&with_root(&clash, root));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("2027-05-12-ccg-other.md already exists"), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(&squatter).unwrap(), "not mine\n");
}

#[test]
fn new_event_without_a_terminal_names_what_is_missing_or_wrong() {
    let site = site_copy("new-missing");
    let root = site.0.to_str().unwrap();
    let before = fs::read_dir(site.0.join("content/events")).unwrap().count();

    let out = run(&["new", "event", "--root", root, "--title", "A meeting", "--start", "2027-05-12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing --end"), "{}", text(&out.stderr));

    // The model's own rules, said in terms of the options.
    let mut physical: Vec<&str> = EVENT[..14].to_vec();
    physical.extend(["--root", root]);
    let out = run(&physical);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("--format: a physical event needs a `location`") && err.contains("--city"), "{err}");

    let mut backwards = EVENT.to_vec();
    backwards[7] = "2027-05-11T13:00";
    let out = run(&with_root(&backwards, root));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--end: end 2027-05-11T13:00:00 is not after start"), "{}", text(&out.stderr));

    let mut zone = EVENT.to_vec();
    zone[9] = "Europe/Atlantis";
    assert!(text(&run(&with_root(&zone, root)).stderr).contains("--timezone: unknown time zone `Europe/Atlantis`"));

    assert_eq!(fs::read_dir(site.0.join("content/events")).unwrap().count(), before, "a refused event left a file");
}

#[test]
fn new_page_writes_a_page_the_build_publishes() {
    let site = site_copy("new-page");
    let root = site.0.to_str().unwrap();
    let out = run(&["new", "page", "--root", root, "--title", "Documents", "--description", "What the group published.", "--path", "about/documents"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(PathBuf::from(text(&out.stdout).trim()), site.0.join("content/pages/about/documents.md"));
    assert_eq!(run(&["check", "--root", root]).status.code(), Some(0));

    let missing = run(&["new", "page", "--root", root, "--title", "Documents"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("missing --description"));

    // An address the site already has is refused, and nothing is left behind.
    let clash = run(&["new", "page", "--root", root, "--title", "x", "--description", "y", "--path", "calendar/ccg-2021-10-launch"]);
    assert_eq!(clash.status.code(), Some(2));
    assert!(text(&clash.stderr).contains("not kept"), "{}", text(&clash.stderr));
    assert!(!site.0.join("content/pages/calendar").exists());
}

/// Line (1-based) of the first line of content/config.yaml starting with `prefix`.
fn config_line(prefix: &str) -> usize {
    let text = fs::read_to_string(workspace().join("content/config.yaml")).unwrap();
    text.lines().position(|l| l.starts_with(prefix)).expect("the key is in the config") + 1
}

#[test]
fn a_publishing_build_refuses_example_addresses_with_file_and_line() {
    let out_dir = temp("refused");
    let out = run(&["build", "--out", out_dir.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("content/config.yaml:{}:1: base_url `https://ccg.scalable-cities.example`", config_line("base_url:"))), "{err}");
    assert!(err.contains(&format!("content/config.yaml:{}:1: contact.email", config_line("  email:"))), "{err}");
    assert!(!out_dir.0.join("index.html").exists(), "a refused build wrote the site");

    // One override is not enough; an override on an example domain is no override.
    let half = run(&["build", "--out", out_dir.0.to_str().unwrap(), "--base-url", BASE_URL]);
    assert_eq!(half.status.code(), Some(1));
    assert!(!text(&half.stderr).contains("base_url") && text(&half.stderr).contains("contact.email"));
    let bad = run(&["build", "--out", out_dir.0.to_str().unwrap(), "--base-url", "https://www.example.org", "--contact-email", CONTACT]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--base-url `https://www.example.org` is on a reserved example domain"));

    // check says it too, as a warning; the preview (drafts) is no publication.
    let check = run(&["check"]);
    assert_eq!(check.status.code(), Some(0));
    assert!(text(&check.stderr).contains("warning: content/config.yaml:"), "{}", text(&check.stderr));
    let drafts = run(&["build", "--drafts", "--out", out_dir.0.to_str().unwrap()]);
    assert_eq!(drafts.status.code(), Some(0), "{}", text(&drafts.stderr));
}

/// Reserved for examples and tests (RFC 2606, RFC 6761), written out here
/// again so the test does not trust the code it checks.
fn reserved(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    [".example", ".test", ".invalid", ".localhost", ".example.com", ".example.net", ".example.org"].iter().any(|s| h.ends_with(s) || h == s[1..])
}

/// Every absolute address in `text` (http, https, webcal, mailto) with its host.
fn addresses(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for scheme in ["http://", "https://", "webcal://", "mailto:"] {
        for (i, _) in text.match_indices(scheme) {
            let rest = &text[i + scheme.len()..];
            let end = rest.find(|c: char| c.is_whitespace() || "\"'<>)\\,;?#".contains(c)).unwrap_or(rest.len());
            let addr = &rest[..end];
            let host = if scheme == "mailto:" { addr.rsplit_once('@').map_or("", |(_, d)| d) } else { addr.split(['/', ':']).next().unwrap_or("") };
            found.push((format!("{scheme}{addr}"), host.to_string()));
        }
    }
    found
}

fn files(dir: &Path, into: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { files(&p, into) } else { into.push(p) }
    }
}

#[test]
fn the_published_site_has_no_example_address() {
    let out_dir = temp("published");
    let out = run(&["build", "--out", out_dir.0.to_str().unwrap(), "--base-url", BASE_URL, "--contact-email", CONTACT]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut all = Vec::new();
    files(&out_dir.0, &mut all);
    let (mut checked, mut own, mut bad) = (0, 0, Vec::new());
    for f in &all {
        let Ok(body) = fs::read_to_string(f) else { continue }; // binary files hold no links
        checked += 1;
        for (addr, host) in addresses(&body) {
            own += usize::from(host == "ccg.scalable-cities.eu" || host == "scalable-cities.eu");
            if reserved(&host) {
                bad.push(format!("{}: {addr}", f.strip_prefix(&out_dir.0).unwrap().display()));
            }
        }
    }
    assert!(bad.is_empty(), "example addresses in the published site:\n{}", bad.join("\n"));
    // The scan did see the site's own addresses: the feed, the sitemap, robots.
    assert!(checked > 10 && own > 20, "{checked} files, {own} addresses of the site");
    for (file, needle) in [
        ("sitemap.xml", "<loc>https://ccg.scalable-cities.eu/calendar/</loc>"),
        ("robots.txt", "Sitemap: https://ccg.scalable-cities.eu/sitemap.xml"),
        ("calendar/index.html", "webcal://ccg.scalable-cities.eu/calendar.ics"),
    ] {
        let body = fs::read_to_string(out_dir.0.join(file)).unwrap();
        assert!(body.contains(needle), "{file} lacks {needle}");
    }
    assert!(reserved("ccg.scalable-cities.example") && reserved("example.com") && !reserved("myexample.com"));
}

#[test]
fn new_event_asks_at_a_terminal_and_asks_again_what_the_model_refuses() {
    // util-linux `script` gives the generator a terminal; the answers are typed ahead.
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: no /usr/bin/script to provide a terminal");
        return;
    }
    let site = site_copy("new-ask");
    let command = format!("{GENERATOR} new event --root {}", site.0.display());
    let answers = "Data platforms workshop\n2027-05-12\n2027-05-13\nEurope/Atlantis\nonline\nvirtual\nadvocacy\nEurope/Lisbon\n";
    let mut child = Command::new("/usr/bin/script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), answers.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Title: "), "{shown}");
    assert!(shown.contains("one of: physical, virtual, hybrid"), "a wrong choice was not asked again:\n{shown}");
    assert!(shown.contains("unknown time zone `Europe/Atlantis`"), "{shown}");
    let path = site.0.join("content/events/2027-05-12-ccg-data-platforms-workshop.md");
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    let written = fs::read_to_string(&path).unwrap();
    assert!(written.contains("\nstart: 2027-05-12\nend: 2027-05-13\ntimezone: Europe/Lisbon\nformat: virtual\nkind: advocacy\n"), "{written}");
    assert_eq!(run(&["check", "--root", site.0.to_str().unwrap()]).status.code(), Some(0));
}
