//! The incremental builder (`serve`'s) against fresh full builds: after each
//! edit, addition, rename and deletion its output folder must hold the same
//! bytes as a full build, and it must have rendered only what changed.

use crate::common::copy_dir;
use generator::build::{BuildError, Options, Report, build};
use generator::builder::Builder;
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("CCG_KEEP_TEST_DIRS").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

fn temp(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("ccg-incr-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn opts(root: &Path, out: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        out: out.to_path_buf(),
        // As `serve` builds.
        drafts: true,
        now: "2026-06-01T00:00:00Z".parse::<Timestamp>().unwrap(),
        base_url: Some("http://127.0.0.1:4000".into()),
        contact_email: None,
        write: true,
    }
}

/// Every file of a built site but the manifest (which holds modification times).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned(), fs::read(e.path()).unwrap()))
        .filter(|(rel, _)| rel != generator::write::MANIFEST)
        .collect()
}

/// Backdates every source file, as files are on an editor's disk before they
/// save one: a file's stamp is only trusted once it is older than the scan.
fn age(dir: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    for e in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        fs::File::options().write(true).open(e.path()).unwrap().set_modified(old).unwrap();
    }
}

struct Site {
    root: TempDir,
    out: TempDir,
    fresh: TempDir,
    builder: Builder,
    step: usize,
}

impl Site {
    fn new(name: &str) -> Site {
        let root = temp(name);
        copy_dir(&workspace().join("content"), &root.0.join("content"));
        copy_dir(&workspace().join("templates"), &root.0.join("templates"));
        Site { out: temp(&format!("{name}-out")), fresh: temp(&format!("{name}-fresh")), root, builder: Builder::new(), step: 0 }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.0.join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = fs::read_to_string(self.path(rel)).unwrap();
        assert!(text.contains(from), "{rel} has no `{from}`");
        self.write(rel, &text.replacen(from, to, 1));
    }

    fn append(&self, rel: &str, text: &str) {
        let old = fs::read_to_string(self.path(rel)).unwrap();
        self.write(rel, &format!("{old}{text}"));
    }

    /// Rebuilds incrementally, compares every file with a fresh full build,
    /// and returns the incremental build's report.
    fn rebuild(&mut self) -> Report {
        self.step += 1;
        let report = self.builder.build(&opts(&self.root.0, &self.out.0)).unwrap_or_else(|e| panic!("step {}: {e}", self.step));
        let fresh = self.fresh.0.join(self.step.to_string());
        let full = build(&opts(&self.root.0, &fresh)).unwrap();
        assert_eq!(full.rendered.len(), full.pages, "a fresh build renders every page");
        let (a, b) = (snapshot(&self.out.0), snapshot(&fresh));
        let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<BTreeSet<_>>();
        assert_eq!(names(&a), names(&b), "step {}: the same files", self.step);
        for (rel, bytes) in &a {
            assert!(bytes == &b[rel], "step {}: {rel} differs from a full build", self.step);
        }
        assert_eq!(report.pages, full.pages);
        fs::remove_dir_all(&fresh).unwrap();
        report
    }

    fn fails(&mut self) -> Vec<String> {
        match self.builder.build(&opts(&self.root.0, &self.out.0)) {
            Err(BuildError::Content(es)) => es.0.iter().map(|e| e.to_string()).collect(),
            other => panic!("expected content errors, got {:?}", other.map(|r| r.rendered)),
        }
    }
}

fn set(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

const EVENT: &str = "content/events/2027-04-example-networking.md";
const EVENT_PAGE: &str = "calendar/example-2027-04-networking/index.html";
/// The calendar and its six filtered views: every list of events.
const CALENDAR: [&str; 7] = [
    "calendar/index.html",
    "calendar/kind/networking/index.html",
    "calendar/kind/co-creation/index.html",
    "calendar/kind/advocacy/index.html",
    "calendar/format/physical/index.html",
    "calendar/format/virtual/index.html",
    "calendar/format/hybrid/index.html",
];

#[test]
fn incremental_builds_match_full_builds_and_render_only_what_changed() {
    let mut s = Site::new("real");
    age(&s.root.0);
    let first = s.rebuild();
    assert_eq!(first.rendered.len(), first.pages, "nothing to start from: every page");
    let pages = first.pages;

    let r = s.rebuild();
    assert_eq!(r.rendered, set(&[]), "nothing changed");
    assert_eq!(r.read, 0, "no source file read again");
    assert_eq!(r.stats.written, 0);

    // A page's text: that page only.
    s.append("content/pages/privacy.md", "\nOne more sentence for the test.\n");
    let r = s.rebuild();
    assert_eq!(r.rendered, set(&["privacy/index.html"]));
    assert_eq!(r.read, 1, "only the saved file is read");

    // An event's body: its page only (the lists show summaries, the feeds no body).
    s.append(EVENT, "\nA second paragraph for the test.\n");
    assert_eq!(s.rebuild().rendered, set(&[EVENT_PAGE]));

    // An event's title: its page and every list of events (the home page lists
    // the next three, this one among them), not the other pages.
    s.edit(EVENT, "title: \"Example: CCG networking days", "title: \"Example: CCG networking week");
    let mut want = CALENDAR.to_vec();
    want.extend([EVENT_PAGE, "index.html"]);
    assert_eq!(s.rebuild().rendered, set(&want));

    // A new page nobody links to, then a page linking to it.
    s.write("content/pages/added.md", "---\ntitle: Added\ndescription: A page added by the test.\n---\nSee the [privacy notice](/privacy/).\n");
    assert_eq!(s.rebuild().rendered, set(&["added/index.html"]));
    s.write("content/pages/linking.md", "---\ntitle: Linking\ndescription: A page that links.\n---\nSee [the added page](/added/).\n");
    assert_eq!(s.rebuild().rendered, set(&["linking/index.html"]));

    // Deleting the linked page breaks a link in a page that is not rendered again: still found.
    fs::remove_file(s.path("content/pages/added.md")).unwrap();
    let errors = s.fails();
    assert!(errors.iter().any(|e| e.contains("linking.md") && e.contains("/added/")), "{errors:?}");
    // Renamed back under another name, with the link fixed: both pages rendered, the old output gone.
    s.write("content/pages/renamed.md", "---\ntitle: Added\ndescription: A page added by the test.\n---\nSee the [privacy notice](/privacy/).\n");
    s.edit("content/pages/linking.md", "(/added/)", "(/renamed/)");
    let r = s.rebuild();
    assert_eq!(r.rendered, set(&["linking/index.html", "renamed/index.html"]));
    assert!(!s.out.0.join("added").exists());

    // A rename of an event file with the same id: same outputs, nothing to render.
    fs::rename(s.path(EVENT), s.path("content/events/renamed-networking.md")).unwrap();
    let r = s.rebuild();
    assert!(r.rendered.iter().all(|p| p.starts_with("calendar/")), "{:?}", r.rendered);

    // A deleted event: gone from the lists (the home page's too); other pages untouched.
    fs::remove_file(s.path("content/events/renamed-networking.md")).unwrap();
    let r = s.rebuild();
    let mut want = CALENDAR.to_vec();
    want.push("index.html");
    assert_eq!(r.rendered, set(&want), "the lists only");
    assert!(!s.out.0.join(EVENT_PAGE).exists());

    // A template partial: only the pages that reach it.
    s.append("templates/partials/event-item.html", "\n");
    let r = s.rebuild();
    assert!(!r.rendered.is_empty() && r.rendered.iter().all(|p| CALENDAR.contains(&p.as_str()) || p == "index.html"), "{:?}", r.rendered);

    // The travel rules: the pages quoting them, not the privacy notice.
    s.edit("content/data/travel-support.yaml", "\n", "\n# edited by the test\n");
    let r = s.rebuild();
    assert!(!r.rendered.contains(&"privacy/index.html".to_string()), "{:?}", r.rendered);

    // The site's title is on every page.
    s.edit("content/config.yaml", "title: City Coordinators Group", "title: City Coordinators Group (test)");
    let r = s.rebuild();
    assert_eq!(r.rendered.len(), r.pages);
    assert_eq!(r.pages, pages + 2 - 1, "two pages added, one event deleted");

    // A template error keeps the last good output; fixing it renders what uses that template.
    s.append("templates/page.html", "{% if %}");
    s.fails();
    s.edit("templates/page.html", "{% if %}", "{% block main %}<!-- edited -->{{ content }}{% endblock main %}");
    let r = s.rebuild();
    assert!(r.rendered.contains(&"linking/index.html".to_string()) && !r.rendered.contains(&"calendar/index.html".to_string()), "{:?}", r.rendered);
}

/// A filter page lives as long as it lists a meeting: deleting the only hybrid
/// meeting removes its page and its links, as a full build would; bringing the
/// meeting back makes them again.
#[test]
fn a_filter_page_goes_with_its_last_meeting() {
    const HYBRID: &str = "content/events/2027-06-example-hybrid-advocacy.md";
    const PAGE: &str = "calendar/format/hybrid/index.html";
    let mut s = Site::new("filters");
    age(&s.root.0);
    let first = s.rebuild();
    assert!(s.out.0.join(PAGE).is_file());
    let text = fs::read_to_string(s.path(HYBRID)).unwrap();
    fs::remove_file(s.path(HYBRID)).unwrap();
    let r = s.rebuild();
    assert!(!s.out.0.join(PAGE).exists());
    assert!(!fs::read_to_string(s.out.0.join("calendar/index.html")).unwrap().contains("/calendar/format/hybrid/"));
    assert_eq!(r.pages, first.pages - 2, "the meeting's page and its filter's");
    s.write(HYBRID, &text);
    let r = s.rebuild();
    assert!(s.out.0.join(PAGE).is_file());
    assert_eq!(r.pages, first.pages);
}

/// Hundreds of pages and events, as in the benchmark: one edit, one render.
#[test]
fn on_a_larger_site_one_edit_renders_one_page() {
    let mut s = Site::new("synth");
    for i in 0..300 {
        let links = if i > 0 { format!("Back to [page {}](/gen/p{}/).", i - 1, i - 1) } else { String::new() };
        s.write(
            &format!("content/pages/gen/p{i}.md"),
            &format!("---\ntitle: Page {i}\ndescription: Generated page {i}.\n---\n## Part {i}\n\nSome *text* for page {i}. {links}\n"),
        );
    }
    for i in 0..60 {
        let (m, d) = (1 + i % 12, 1 + i % 28);
        s.write(
            &format!("content/events/gen-{i}.md"),
            &format!("---\nid: gen-event-{i}\ntitle: \"Generated meeting {i}\"\nstart: \"2026-{m:02}-{d:02}T10:00\"\nend: \"2026-{m:02}-{d:02}T12:00\"\ntimezone: Europe/Brussels\nformat: virtual\nkind: advocacy\nsummary: \"Meeting {i}.\"\n---\nAgenda of meeting {i}.\n"),
        );
    }
    age(&s.root.0);
    let first = s.rebuild();
    assert!(first.pages > 380);
    s.append("content/pages/gen/p150.md", "\nEdited.\n");
    assert_eq!(s.rebuild().rendered, set(&["gen/p150/index.html"]));
    s.append("content/events/gen-7.md", "\nEdited.\n");
    assert_eq!(s.rebuild().rendered, set(&["calendar/gen-event-7/index.html"]));
    // Retitled: its page, the lists, and the home page when it is among the next meetings.
    s.edit("content/events/gen-40.md", "Generated meeting 40", "Generated meeting forty");
    let r = s.rebuild();
    assert!(r.rendered.contains(&"calendar/gen-event-40/index.html".to_string()) && r.rendered.len() <= 12, "{:?}", r.rendered);
    fs::remove_file(s.path("content/pages/gen/p299.md")).unwrap();
    assert_eq!(s.rebuild().rendered, set(&[]), "nothing links to the last page");
}
