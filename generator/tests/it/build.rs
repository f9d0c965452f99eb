//! Builds the real content/ (and broken copies of it) into temporary folders.

use crate::common::copy_dir;
use generator::build::{BuildError, Options, build};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A fresh folder, removed when the test ends (set CCG_KEEP_TEST_DIRS to keep it).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("CCG_KEEP_TEST_DIRS").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn temp(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("ccg-gen-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// A private copy of the real site, safe to break.
fn site_copy(name: &str) -> TempDir {
    let root = temp(name);
    copy_dir(&workspace().join("content"), &root.join("content"));
    copy_dir(&workspace().join("templates"), &root.join("templates"));
    root
}

const NOW: &str = "2026-06-01T00:00:00Z";

fn opts(root: &Path, out: &Path, drafts: bool) -> Options {
    Options {
        root: root.to_path_buf(),
        out: out.to_path_buf(),
        drafts,
        now: NOW.parse::<Timestamp>().unwrap(),
        base_url: None,
        contact_email: None,
        write: true,
    }
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        out.insert(e.strip_prefix(dir).unwrap().to_string_lossy().into_owned(), fs::read(&e).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { stack.push(p) } else { files.push(p) }
        }
    }
    files
}

fn read(p: PathBuf) -> String {
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn errors_of(r: Result<generator::Report, BuildError>) -> Vec<ccg_model::ContentError> {
    match r {
        Err(BuildError::Content(e)) => e.0,
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("the build should have failed"),
    }
}

#[test]
fn the_real_site_builds_with_every_page() {
    let dir = temp("real");
    let out = dir.join("public");
    let report = build(&opts(&workspace(), &out, false)).unwrap();
    for f in [
        "index.html",
        "how-it-works/index.html",
        "calendar/index.html",
        "calendar/format/virtual/index.html",
        "calendar/ccg-2021-10-launch/index.html",
        "calendar/ccg-2021-10-launch.ics",
        "calendar.ics",
        "join/index.html",
        "join/thanks/index.html",
        "financial-support/index.html",
        "financial-support/thanks/index.html",
        "projects/index.html",
        "privacy/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "style.css",
        "calendar.js",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert_eq!(report.stats.written, report.stats.files);

    let home = read(out.join("index.html"));
    assert!(home.contains("<html lang=\"en\">"));
    assert!(home.contains("href=\"#main\""), "skip link");
    assert!(home.contains("<a href=\"/\" aria-current=\"page\">"), "current page marked in the menu");

    let cal = read(out.join("calendar/index.html"));
    assert!(cal.contains("href=\"webcal://ccg.scalable-cities.example/calendar.ics\""));
    assert!(cal.contains("href=\"https://ccg.scalable-cities.example/calendar.ics\""));
    // The source gives the launch's hours without a zone: a date, with the hours as given.
    assert!(cal.contains("<time datetime=\"2021-10-07\">Thursday 7 October 2021</time>, <span class=\"tz\">15:00 to 16:30</span>"));
    assert!(!cal.contains("Europe/Brussels time"));
    assert!(cal.contains("data-end=\"2021-10-07T22:00:00Z\""));
    assert!(cal.contains("Covenant of Mayors ceremony"), "the larger event is shown");
    let past = &cal[cal.find("id=\"past-h\"").unwrap()..];
    assert!(past.contains("ccg-2021-10-launch"), "a 2021 meeting is past in 2026");
    // The published meetings are of none of the three formats, and only the launch's
    // attendance is known (online): the filters that would list nothing are not made,
    // nor in the sitemap, nor in the calendar's filter menu.
    for empty in ["kind/networking", "kind/co-creation", "kind/advocacy", "format/physical", "format/hybrid"] {
        assert!(!out.join(format!("calendar/{empty}")).exists(), "calendar/{empty}/ lists nothing but was made");
        assert!(!cal.contains(&format!("/calendar/{empty}/")), "the calendar links to calendar/{empty}/");
    }
    assert!(!cal.contains("By format"), "no format filter lists anything: no heading for them");
    assert!(cal.contains("<a href=\"/calendar/format/virtual/\">Online</a>"));
    let online = read(out.join("calendar/format/virtual/index.html"));
    assert!(online.contains("<a href=\"/calendar/format/virtual/\" aria-current=\"page\">"));
    assert!(online.contains("/calendar/ccg-2021-10-launch/"), "the launch was online");
    assert!(!online.contains("ccg-2021-11-follow-up"), "the follow-up's attendance was never published");

    let ev = read(out.join("calendar/ccg-2021-10-launch/index.html"));
    assert!(ev.contains("<script type=\"application/ld+json\">"));
    assert!(ev.contains("\"startDate\":\"2021-10-07\""));
    assert!(ev.contains("<strong>Past meeting.</strong>"), "a past meeting says so");
    assert!(!ev.contains("Add to your calendar") && !ev.contains("calendar.google.com"), "a past meeting offers no \"add to calendar\"");

    let fs_page = read(out.join("financial-support/index.html"));
    let rules = fs::read_to_string(workspace().join("content/data/travel-support.yaml")).unwrap();
    assert!(rules.contains("max_per_trip: 450"), "the test reads the limits from the data file");
    assert!(fs_page.contains("<dd>450 EUR</dd>") && fs_page.contains("at most 900 EUR"));
    // The published meetings are long over: no form, and nothing planned yet.
    assert!(!fs_page.contains("action=\"/api/travel-claims\""));
    assert!(fs_page.contains("No meeting takes travel claims at the moment."));
    // Thank-you pages: not for search engines, not in the sitemap.
    let thanks = read(out.join("financial-support/thanks/index.html"));
    assert!(thanks.contains("<meta name=\"robots\" content=\"noindex\">") && !thanks.contains("rel=\"canonical\""));
    let sitemap = read(out.join("sitemap.xml"));
    assert!(sitemap.contains("/financial-support/</loc>") && !sitemap.contains("thanks"), "{sitemap}");
    assert!(sitemap.contains("/calendar/format/virtual/</loc>") && !sitemap.contains("/calendar/kind/") && !sitemap.contains("/format/physical/"), "{sitemap}");
    assert!(rules.contains("days_after_meeting: 60") && rules.contains("travel_days_before: 3") && rules.contains("travel_days_after: 3"));
    assert!(fs_page.contains("id=\"form-rules-h\">How this form works</h2>"));
    assert!(fs_page.contains("takes claims from the day it is announced until 60 days after it ends."));
    assert!(fs_page.contains("between 3 days before the meeting starts and 3 days after it ends."));
    assert!(fs_page.contains("at most one contribution per meeting"), "one contribution per person and meeting");

    // What takes a number from config.yaml: the claim steps, the "check your inbox" pages, the privacy notice.
    let config = fs::read_to_string(workspace().join("content/config.yaml")).unwrap();
    assert!(config.contains("confirm_link_hours: 48"), "the test reads the link's life from the config");
    // A claim's link confirms once, then shows the claim: said once, rightly (not "it works once").
    assert!(fs_page.contains("Open it within 48 hours: it confirms your claim once, then shows where your claim stands."));
    assert!(!fs_page.contains("It works once"));
    for (page, api) in [("join/thanks/index.html", "register"), ("financial-support/thanks/index.html", "travel-claims")] {
        let html = read(out.join(page));
        assert!(html.contains("48 hours"), "{page} says how long the link works");
        assert!(!html.contains("{{"), "{page} has a placeholder left");
        let form = &html[html.find("<form").unwrap()..html.find("</form>").unwrap()];
        assert!(form.contains(&format!("action=\"/api/{api}/resend\" method=\"post\" novalidate")), "{form}");
        assert!(form.contains("<label for=\"resend-email\">"));
        assert!(form.contains("name=\"email\" type=\"email\" autocomplete=\"email\" spellcheck=\"false\" required"));
        assert!(form.contains(">Send the link again</button>"));
    }
    assert!(read(out.join("financial-support/thanks/index.html")).contains("explains how to join the group first"));
    let privacy = read(out.join("privacy/index.html"));
    assert!(privacy.contains("for at most 48 hours") && !privacy.contains("{{"));
    assert!(!privacy.to_lowercase().contains("to be confirmed"));
    // The retention periods come from config.yaml, the same numbers the stores enforce.
    for setting in ["paid_claim_years: 5", "closed_claim_years: 1", "declined_contact_months: 6"] {
        assert!(config.contains(setting), "the test reads {setting} from the config");
    }
    let flat = privacy.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("this service keeps it for 5 years after the payment."), "paid claims");
    assert!(flat.contains("<strong>A travel claim that was rejected or withdrawn:</strong> 1 year after that decision."), "rejected or withdrawn claims");
    assert!(flat.contains("your details are deleted 6 months after that decision."), "declined contacts");
    assert!(flat.contains("<strong>Anything you do not confirm:</strong> 48 hours"), "unconfirmed submissions: the link's hours, not a second setting");
    assert!(privacy.contains("<h2 id=\"leaving-the-group\">Leaving the group</h2>"), "leaving is explained");
    let join = read(out.join("join/index.html"));
    assert!(join.contains("Open it within 48 hours"));
    assert!(join.contains("action=\"/api/register\" method=\"post\""));
    assert!(join.contains("<legend>") && join.contains("name=\"city_status\" type=\"radio\" value=\"lighthouse\""));
    assert!(join.contains("<option value=\"BE\">Belgium</option>"));
    assert!(join.contains("name=\"website\"") && join.contains("aria-hidden=\"true\""));
    let projects = read(out.join("projects/index.html"));
    assert_eq!(projects.matches("<section class=\"project\"").count(), 18);
    assert!(projects.contains("Cologne, Germany (also written Köln)"));

    let robots = read(out.join("robots.txt"));
    assert!(robots.contains("Sitemap: https://ccg.scalable-cities.example/sitemap.xml"));
    let sitemap = read(out.join("sitemap.xml"));
    assert!(sitemap.contains("<loc>https://ccg.scalable-cities.example/calendar/</loc>"));
    assert!(!sitemap.contains("404"));
}

#[test]
fn drafts_only_when_asked() {
    let dir = temp("drafts");
    build(&opts(&workspace(), &dir.join("pub"), false)).unwrap();
    build(&opts(&workspace(), &dir.join("prev"), true)).unwrap();
    let id = "example-2027-03-co-creation";
    assert!(!dir.join(format!("pub/calendar/{id}/index.html")).exists());
    assert!(!read(dir.join("pub/calendar.ics")).contains(id));
    assert!(!read(dir.join("pub/calendar/index.html")).contains(id));
    let page = read(dir.join(format!("prev/calendar/{id}/index.html")));
    assert!(page.contains("<strong>Draft</strong>"), "drafts are labelled");
    // A meeting still to come: no "past" notice, and the ways to add it to a calendar.
    assert!(!page.contains("Past meeting"));
    assert!(page.contains("https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text="));
    assert!(page.contains(&format!("href=\"/calendar/{id}.ics\" download=")));
    assert!(read(dir.join("prev/calendar.ics")).contains(&format!("UID:{id}@")));
    assert!(read(dir.join("prev/calendar/index.html")).contains("badge-draft"));
}

#[test]
fn two_builds_are_byte_identical() {
    let dir = temp("determinism");
    build(&opts(&workspace(), &dir.join("a"), true)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    build(&opts(&workspace(), &dir.join("b"), true)).unwrap();
    // The manifest records file times for the next build: bookkeeping, not the site.
    let site = |d: &str| {
        let mut m = snapshot(&dir.join(d));
        assert!(m.remove(".ccg-manifest").is_some());
        m
    };
    let (a, b) = (site("a"), site("b"));
    assert!(a.len() > 20);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between two builds");
    }
}

#[test]
fn unchanged_rebuild_writes_nothing_and_stale_files_go() {
    let dir = temp("rebuild");
    let out = dir.join("public");
    let first = build(&opts(&workspace(), &out, true)).unwrap();
    assert!(first.stats.written > 20);
    let mtimes: BTreeMap<PathBuf, std::time::SystemTime> = walk(&out).into_iter().map(|p| (p.clone(), fs::metadata(&p).unwrap().modified().unwrap())).collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = build(&opts(&workspace(), &out, true)).unwrap();
    assert_eq!(again.stats.written, 0);
    assert_eq!(again.stats.removed, 0);
    assert_eq!(again.stats.unchanged, first.stats.files);
    for (p, t) in &mtimes {
        assert_eq!(&fs::metadata(p).unwrap().modified().unwrap(), t, "{} was rewritten", p.display());
    }
    // Without drafts the example events' files are no longer produced: removed.
    let published = build(&opts(&workspace(), &out, false)).unwrap();
    assert!(published.stats.removed >= 2, "{:?}", published.stats);
    assert!(!out.join("calendar/example-2027-03-co-creation").exists());
    assert!(!out.join("calendar/example-2027-03-co-creation.ics").exists());
    assert!(out.join("calendar/ccg-2021-10-launch/index.html").exists());
}

#[test]
fn incremental_rebuilds_match_a_fresh_build() {
    let root = site_copy("incremental");
    let out = root.join("public");
    let first = build(&opts(&root, &out, true)).unwrap();
    assert_eq!(first.stats.reused, 0);
    let again = build(&opts(&root, &out, true)).unwrap();
    assert_eq!(again.stats.written, 0);
    assert!(again.stats.reused >= first.pages, "unchanged pages are not rendered again: {:?}", again.stats);

    // One page's body: only that page is rendered again.
    let page = root.join("content/pages/privacy.md");
    fs::write(&page, read(page.clone()).replace("This site has two forms", "This site has exactly two forms")).unwrap();
    let one = build(&opts(&root, &out, true)).unwrap();
    assert_eq!(one.stats.written, 1, "{:?}", one.stats);
    assert_eq!(one.rendered, ["privacy/index.html"]);
    assert!(one.stats.reused >= first.pages - 1, "{:?}", one.stats);
    assert!(read(out.join("privacy/index.html")).contains("exactly two forms"));

    // An event changes what the calendar, the home page and the feed show.
    let ev = root.join("content/events/2021-10-07-ccg-launch.md");
    fs::write(&ev, read(ev.clone()).replace("title: Launch meeting", "title: First meeting")).unwrap();
    let changed = build(&opts(&root, &out, true)).unwrap();
    assert!(changed.rendered.contains(&"calendar/index.html".to_string()), "{:?}", changed.rendered);
    assert!(!changed.rendered.contains(&"privacy/index.html".to_string()), "the pages that list no event are kept");
    assert!(read(out.join("calendar/index.html")).contains("First meeting of the City Coordinators Group"));

    // A page edited by hand in the output is put back.
    fs::write(out.join("join/index.html"), "tampered").unwrap();
    build(&opts(&root, &out, true)).unwrap();
    assert!(read(out.join("join/index.html")).contains("action=\"/api/register\""));

    let fresh = root.join("fresh");
    build(&opts(&root, &fresh, true)).unwrap();
    let (a, b) = (snapshot(&out), snapshot(&fresh));
    let files = |m: &BTreeMap<String, Vec<u8>>| m.keys().filter(|k| *k != ".ccg-manifest").cloned().collect::<Vec<_>>();
    assert_eq!(files(&a), files(&b));
    for k in files(&a) {
        assert!(a[&k] == b[&k], "{k} differs from a fresh build");
    }
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let root = site_copy("failed");
    let out = root.join("public");
    build(&opts(&root, &out, false)).unwrap();
    let before = snapshot(&out);
    // A change that would rewrite every page, plus one mistake.
    let cfg = root.join("content/config.yaml");
    let text = read(cfg.clone()).replace("title: City Coordinators Group", "title: Renamed Group");
    fs::write(&cfg, text).unwrap();
    fs::write(root.join("content/pages/new.md"), "---\ntitle: New\ndescription: d\n---\n[x](/missing/)\n").unwrap();
    errors_of(build(&opts(&root, &out, false)));
    assert_eq!(snapshot(&out), before, "nothing written, nothing removed, no temporary file left");
}

#[test]
fn every_content_mistake_is_reported_with_file_and_line_in_one_run() {
    let root = site_copy("mistakes");
    let c = root.join("content");
    let event = |id: &str, kind: &str, start: &str, end: &str, tz: &str| {
        format!("---\nid: {id}\ntitle: T\nstart: {start}\nend: {end}\ntimezone: {tz}\nformat: virtual\nkind: {kind}\n---\nBody\n")
    };
    fs::write(c.join("events/bad-yaml.md"), "---\nid: bad-yaml\ntitle: [unclosed\n---\n").unwrap();
    fs::write(c.join("events/missing.md"), "---\nid: missing\nstart: 2027-01-01T10:00\n---\n").unwrap();
    fs::write(c.join("events/kind.md"), event("kind-x", "party", "2027-01-01T10:00", "2027-01-01T11:00", "Europe/Brussels")).unwrap();
    fs::write(c.join("events/order.md"), event("order-x", "advocacy", "2027-01-01T10:00", "2027-01-01T09:00", "Europe/Brussels")).unwrap();
    fs::write(c.join("events/zone.md"), event("zone-x", "advocacy", "2027-01-01T10:00", "2027-01-01T11:00", "Europe/Atlantis")).unwrap();
    fs::write(c.join("events/dup.md"), event("ccg-2021-10-launch", "advocacy", "2027-01-01T10:00", "2027-01-01T11:00", "Europe/Brussels")).unwrap();
    fs::write(c.join("pages/links.md"), "---\ntitle: Links\ndescription: d\n---\nFine [home](/) and [join](/join/).\n\nBroken [here](/no-such-page/).\n")
        .unwrap();
    fs::write(c.join("pages/nodesc.md"), "---\ntitle: No description\n---\n").unwrap();
    fs::write(c.join("pages/setting.md"), "---\ntitle: S\ndescription: d\n---\nOpen it within {{ forms.nope }} hours.\n").unwrap();

    let errors = errors_of(build(&opts(&root, &root.join("public"), false)));
    let at = |file: &str, line: usize, needle: &str| {
        assert!(
            errors.iter().any(|e| e.file.ends_with(file) && e.line == line && e.message.contains(needle)),
            "no error `{needle}` at {file}:{line} in:\n{}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
        );
    };
    at("events/bad-yaml.md", 3, "");
    at("events/missing.md", 2, "missing field");
    at("events/kind.md", 8, "unknown variant `party`");
    at("events/order.md", 5, "not after start");
    at("events/zone.md", 6, "unknown time zone");
    at("events/dup.md", 2, "duplicate event id");
    at("pages/links.md", 7, "/no-such-page/");
    at("pages/nodesc.md", 2, "missing field `description`");
    at("pages/setting.md", 5, "`{{ forms.nope }}` is not a setting");
    assert!(!root.join("public").exists() || walk(&root.join("public")).is_empty(), "nothing written");

    // The command line: every problem printed as file:line:col, exit status 1.
    let res = Command::new(env!("CARGO_BIN_EXE_generator")).arg("check").arg("--root").arg(&*root).output().unwrap();
    assert_eq!(res.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&res.stderr);
    for needle in ["pages/setting.md:5:16:", "events/kind.md:8:7:", "events/zone.md:6:1:", "pages/links.md:7:8:", "events/dup.md:2:1:", "problem(s) found"] {
        assert!(stderr.contains(needle), "{needle} not in:\n{stderr}");
    }
    let ok = Command::new(env!("CARGO_BIN_EXE_generator")).arg("check").arg("--root").arg(workspace()).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
}

#[test]
fn a_broken_template_is_located() {
    let root = site_copy("template");
    let t = root.join("templates/page.html");
    fs::write(&t, "{% extends \"base.html\" %}\n{% block main %}\n{{ page.title | nosuchfilter }}\n{% endblock main %}\n").unwrap();
    let errors = errors_of(build(&opts(&root, &root.join("public"), false)));
    assert!(errors.iter().any(|e| e.file.ends_with("templates/page.html") && e.line == 3), "{errors:?}");
    fs::write(&t, "{% extends \"base.html\" %}\n{% block main %}\n{{ page.no_such_field }}\n{% endblock main %}\n").unwrap();
    let errors = errors_of(build(&opts(&root, &root.join("public"), false)));
    let hits: Vec<_> = errors.iter().filter(|e| e.file.ends_with("templates/page.html")).collect();
    assert_eq!(hits.len(), 1, "one report for all the pages using it: {errors:?}");
    assert_eq!(hits[0].line, 3);
}

#[test]
fn front_matter_is_escaped_in_pages_and_feeds() {
    let root = site_copy("escaping");
    let c = root.join("content");
    let nasty = "<script>alert(1)</script> & Co";
    fs::write(c.join("pages/nasty.md"), format!("---\ntitle: \"{nasty}\"\ndescription: \"Say \\\"hi\\\" <b>\"\n---\nTrusted <em>HTML</em> in the body.\n"))
        .unwrap();
    fs::write(
        c.join("events/nasty.md"),
        format!("---\nid: nasty\ntitle: \"{nasty}; part, two\"\nstart: 2027-01-01T10:00\nend: 2027-01-01T11:00\ntimezone: Europe/Brussels\nformat: virtual\nkind: advocacy\nsummary: \"</script><script>x()</script>\"\n---\n"),
    )
    .unwrap();
    let out = root.join("public");
    build(&opts(&root, &out, false)).unwrap();
    let page = read(out.join("nasty/index.html"));
    assert!(!page.contains("<script>alert"), "title escaped");
    assert!(page.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</h1>"));
    assert!(page.contains("content=\"Say &quot;hi&quot; &lt;b&gt;\""));
    assert!(page.contains("Trusted <em>HTML</em>"), "the body may hold HTML");
    let ev = read(out.join("calendar/nasty/index.html"));
    assert!(!ev.contains("<script>alert") && !ev.contains("<script>x()"));
    let ld_start = ev.find("application/ld+json\">").unwrap();
    let ld = &ev[ld_start..ev[ld_start..].find("</script>").unwrap() + ld_start];
    assert!(ld.contains("\\u003c/script\\u003e"), "JSON-LD cannot close its script: {ld}");
    let cal = read(out.join("calendar/index.html"));
    assert!(cal.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co; part, two"));
    let ics = read(out.join("calendar.ics")).replace("\r\n ", "");
    assert!(ics.contains("SUMMARY:<script>alert(1)</script> & Co\\; part\\, two\r\n"), "{ics}");
}

#[test]
fn check_writes_nothing() {
    let root = site_copy("check");
    let res = Command::new(env!("CARGO_BIN_EXE_generator")).args(["check", "--root"]).arg(&*root).output().unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(!root.join("public").exists());
    assert!(!root.join("unused").exists());
}

#[test]
fn the_claim_form_offers_the_meetings_open_for_claims_on_now() {
    // NOW is 2026-06-01. Claims open on the announcement and close some days after the meeting.
    let root = site_copy("claim-window");
    let c = root.join("content");
    let meeting = |id: &str, start: &str, end: &str, announced: &str| {
        format!(
            "---\nid: {id}\ntitle: Meeting {id}\nstart: {start}\nend: {end}\ntimezone: Europe/Brussels\nformat: physical\nkind: co-creation\nlocation:\n  city: Porto\n  country: PT\nannounced: {announced}\n---\nBody\n"
        )
    };
    // Ended ten days before now: still open.
    fs::write(c.join("events/ended.md"), meeting("ended-ten-days-ago", "2026-05-20", "2026-05-22", "2026-04-01")).unwrap();
    // Upcoming and announced: open.
    fs::write(c.join("events/soon.md"), meeting("soon", "2026-06-15T09:00", "2026-06-15T17:00", "2026-05-01")).unwrap();
    // Upcoming, but announced after now: not yet.
    fs::write(c.join("events/later.md"), meeting("announced-later", "2026-09-01", "2026-09-02", "2026-07-01")).unwrap();
    // Ended long ago: closed.
    fs::write(c.join("events/old.md"), meeting("long-over", "2025-05-20", "2025-05-22", "2025-04-01")).unwrap();
    let out = root.join("public");
    build(&opts(&root, &out, false)).unwrap();
    let page = read(out.join("financial-support/index.html"));
    let select = &page[page.find("<legend>Meeting</legend>").unwrap()..];
    let select = &select[..select.find("</fieldset>").unwrap()];
    let offered: Vec<&str> = select.split("type=\"radio\" value=\"").skip(1).map(|o| &o[..o.find('"').unwrap()]).collect();
    assert_eq!(offered, ["ended-ten-days-ago", "soon"], "in order of start:\n{select}");
    assert!(page.contains("action=\"/api/travel-claims\" method=\"post\" novalidate"));
    assert!(!page.contains("id=\"city\"") && !page.contains("id=\"country\"") && !page.contains("amount_eur"), "asked only what is not known");
    assert!(page.contains("id=\"transport_eur\"") && page.contains("inputmode=\"decimal\"") && page.contains("id=\"accommodation_eur\""));

    // Travel dates: from the data, per meeting, and the fields' range covers them all.
    let rules = ccg_model::TravelRules::parse(Path::new("t.yaml"), &read(c.join("data/travel-support.yaml"))).unwrap();
    let ev = ccg_model::event::parse(Path::new("e.md"), &read(c.join("events/ended.md"))).unwrap();
    let (from, until) = rules.travel_range(&ev);
    assert!(select.contains(&format!("value=\"ended-ten-days-ago\" required data-travel-from=\"{from}\" data-travel-until=\"{until}\"")), "{select}");
    // The whole title, then its days and place: both wrap on a narrow screen (a select would cut them).
    assert!(select.contains("<label for=\"event\">Meeting ended-ten-days-ago <span class=\"when\">20–22 May 2026, Porto, Portugal</span></label>"), "{select}");
    assert!(
        page.contains(&format!("id=\"travel_start\" name=\"travel_start\" type=\"date\" required value=\"\" aria-describedby=\"travel-hint\" min=\"{from}\"")),
        "the earliest day fits the earliest meeting"
    );

    // Later, nothing is open: no form to fill in, but when the next meeting takes claims.
    let mut later = opts(&root, &out, false);
    later.now = "2026-11-15T00:00:00Z".parse().unwrap();
    build(&later).unwrap();
    let page = read(out.join("financial-support/index.html"));
    assert!(!page.contains("action=\"/api/travel-claims\""), "no form that cannot be sent");
    assert!(page.contains("No meeting takes travel claims at the moment.") && page.contains("No meeting with travel support is planned yet."), "{page}");
    fs::write(c.join("events/far.md"), meeting("next-spring", "2027-03-01", "2027-03-02", "2027-01-01")).unwrap();
    build(&later).unwrap();
    let page = read(out.join("financial-support/index.html"));
    assert!(
        page.contains("<a href=\"/calendar/next-spring/\">Meeting next-spring</a> on 1 March 2027. This form takes claims for it from 1 January 2027."),
        "{page}"
    );
}

#[test]
fn a_changed_time_needs_a_higher_sequence_that_calendar_apps_read() {
    let root = site_copy("sequence");
    let file = root.join("content/events/moved.md");
    let event = |start: &str, extra: &str| {
        format!(
            "---\nid: moved\ntitle: Moved meeting\nstart: {start}\nend: 2026-09-01T17:00\ntimezone: Europe/Brussels\nformat: physical\nkind: co-creation\nlocation:\n  city: Porto\n  country: PT\n{extra}---\nBody\n"
        )
    };
    fs::write(&file, event("2026-09-01T09:00", "")).unwrap();
    let out = root.join("public");
    build(&opts(&root, &out, false)).unwrap();
    let sequence_of = |feed: &str| -> String {
        let unfolded = icalendar::parser::unfold(feed);
        let cal = icalendar::parser::read_calendar(&unfolded).unwrap();
        let ev = cal.components.iter().find(|c| c.name == "VEVENT" && c.find_prop("UID").is_some_and(|u| u.val.as_str().starts_with("moved@"))).unwrap();
        ev.find_prop("SEQUENCE").unwrap().val.as_str().to_string()
    };
    assert_eq!(sequence_of(&read(out.join("calendar.ics"))), "0");

    // Moved by an hour without a new sequence: refused, naming the file, and nothing published.
    fs::write(&file, event("2026-09-01T10:00", "")).unwrap();
    let Err(BuildError::Content(errors)) = build(&opts(&root, &out, false)) else { panic!("a moved meeting without a new sequence was published") };
    let e = &errors.0[0];
    assert!(e.file.ends_with("moved.md") && e.message.contains("DTSTART changed") && e.message.contains("sequence: 1"), "{e:?}");
    assert!(read(out.join("calendar.ics")).contains("DTSTART:20260901T070000Z"), "the last good feed stays");

    // With it: published, and the parser reads the new sequence and time.
    fs::write(&file, event("2026-09-01T10:00", "sequence: 1\nupdated: 2026-05-20T12:00:00+02:00\n")).unwrap();
    build(&opts(&root, &out, false)).unwrap();
    let feed = read(out.join("calendar.ics"));
    assert_eq!(sequence_of(&feed), "1");
    assert!(
        feed.contains("DTSTART:20260901T080000Z") && feed.contains("LAST-MODIFIED:20260520T100000Z") && feed.contains("DTSTAMP:20260520T100000Z"),
        "{feed}"
    );
    // The same content builds to the same bytes.
    build(&opts(&root, &out, false)).unwrap();
    assert_eq!(read(out.join("calendar.ics")), feed);
}

/// Every file under `dir` with this extension.
fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_with(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out
}

#[test]
fn no_published_page_carries_internal_notes() {
    let dir = temp("notes");
    let out = dir.join("public");
    build(&opts(&workspace(), &out, false)).unwrap();
    let pages = files_with(&out, "html");
    assert!(pages.len() > 10);
    // The phrases of research notes and guesses, which only the data files' comments may hold.
    let phrases = [
        "to be confirmed",
        "not confirmed",
        "not certain",
        "but confirm",
        "confirm.",
        "M55",
        "seems to",
        "under review",
        "estimate",
        "assumed",
        "assumption",
        "later version",
    ];
    let mut found = Vec::new();
    for p in &pages {
        let html = read(p.clone()).to_lowercase();
        for phrase in phrases {
            if html.contains(&phrase.to_lowercase()) {
                found.push(format!("{}: {phrase}", p.strip_prefix(&out).unwrap().display()));
            }
        }
    }
    assert_eq!(found, Vec::<String>::new());
    // A project whose end is only planned shows its start alone.
    let projects = read(out.join("projects/index.html"));
    assert!(projects.contains("<p class=\"dates\">Started <time"), "{projects}");
}
