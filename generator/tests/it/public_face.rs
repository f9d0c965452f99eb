//! What a city official reads: only what the sources say, the group's rules
//! apart from the form's settings, the secretariat reachable, the privacy
//! notice from its settings, and documents listed as the official page lists them.

use crate::common::{copy_dir, main_text};
use generator::build::{BuildError, Options, build};
use jiff::Timestamp;
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A private copy of the real site (content/, templates/), removed at the end.
struct Site(PathBuf);

impl Drop for Site {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn site_copy(name: &str) -> Site {
    let root = std::env::temp_dir().join(format!("ccg-face-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    copy_dir(&workspace().join("content"), &root.join("content"));
    copy_dir(&workspace().join("templates"), &root.join("templates"));
    Site(root)
}

fn opts(root: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        out: root.join("public"),
        drafts: false,
        now: "2026-06-01T00:00:00Z".parse::<Timestamp>().unwrap(),
        base_url: None,
        contact_email: None,
        write: true,
    }
}

fn read(p: PathBuf) -> String {
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn edit(file: PathBuf, from: &str, to: &str) {
    let text = read(file.clone());
    assert!(text.contains(from), "{} has no `{from}`", file.display());
    fs::write(&file, text.replace(from, to)).unwrap();
}

fn html_pages(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(html_pages(&p));
        } else if p.extension().is_some_and(|x| x == "html") {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_real_events_say_only_what_their_sources_say() {
    let site = site_copy("events");
    build(&opts(&site.0)).unwrap();
    let out = site.0.join("public");
    let launch = main_text(&read(out.join("calendar/ccg-2021-10-launch/index.html")));
    assert!(launch.contains("Thursday 7 October 2021, 15:00 to 16:30"), "{launch}");
    for unsaid in ["Brussels", "CEST", "Networking", "Kind", "all day"] {
        assert!(!launch.contains(unsaid), "the launch page says `{unsaid}`: {launch}");
    }
    assert!(launch.contains("Covenant of Mayors ceremony") && launch.contains("43 people took part"));

    let session = main_text(&read(out.join("calendar/ccg-2021-11-follow-up/index.html")));
    assert!(session.contains("Friday 19 November 2021, in the morning"), "{session}");
    for unsaid in ["took place", "all day", "Brussels", "Format", "Kind", "Place", "not published"] {
        assert!(!session.contains(unsaid), "the session page says `{unsaid}`: {session}");
    }
    // The summary is said once: the page has no body repeating it.
    let summary = "The session announced by the secretariat to follow the launch meeting.";
    assert_eq!(session.matches(summary).count(), 1, "{session}");

    // Calendar files keep dates (no zone), with the hours in the description.
    let ics = read(out.join("calendar/ccg-2021-10-launch.ics"));
    assert!(ics.contains("DTSTART;VALUE=DATE:20211007") && !ics.contains("TZID") && !ics.contains("CATEGORIES"), "{ics}");
    let feed = read(out.join("calendar.ics"));
    assert!(!feed.contains("Place not published") && !feed.contains("Networking"), "{feed}");

    // Neither is one of the three formats: no format filter would list them, so
    // none is made (a calendar that lists nothing looks abandoned); nor is the
    // in-person filter. The online one lists the launch.
    for empty in ["kind/networking", "kind/co-creation", "kind/advocacy", "format/physical", "format/hybrid"] {
        assert!(!out.join(format!("calendar/{empty}/index.html")).exists(), "{empty}");
    }
    let online = read(out.join("calendar/format/virtual/index.html"));
    assert!(online.contains("ccg-2021-10-launch"));
    // Deliberately changed wording (was "of this kind" / "of this format"): the
    // glossary's names, "format" for networking / co-creation / advocacy and
    // "attendance" for in person / online / hybrid.
    assert!(online.contains("No upcoming meeting of this attendance has been announced yet."), "{online}");
    let calendar = main_text(&read(out.join("calendar/index.html")));
    assert!(!calendar.to_lowercase().contains("every ccg meeting is listed here"), "{calendar}");
}

/// A filter page is made with the first meeting it lists, linked from the
/// calendar's menu and in the sitemap; its empty lists name the glossary's axis.
#[test]
fn a_calendar_filter_appears_with_its_first_meeting() {
    let site = site_copy("filters");
    fs::write(
        site.0.join("content/events/advocacy.md"),
        "---\nid: past-advocacy\ntitle: An advocacy meeting\nstart: 2025-09-01T09:00\nend: 2025-09-01T12:00\ntimezone: Europe/Brussels\nformat: physical\nkind: advocacy\nlocation:\n  venue: Town hall\n  city: Ghent\n  country: BE\n---\n",
    )
    .unwrap();
    build(&opts(&site.0)).unwrap();
    let out = site.0.join("public");
    let calendar = read(out.join("calendar/index.html"));
    assert!(calendar.contains("By format") && calendar.contains("<a href=\"/calendar/kind/advocacy/\">Advocacy meeting</a>"), "{calendar}");
    assert!(calendar.contains("<a href=\"/calendar/format/physical/\">In person</a>"), "{calendar}");
    assert!(!calendar.contains("/calendar/kind/networking/") && !out.join("calendar/kind/networking").exists());
    assert!(!calendar.contains("/calendar/format/hybrid/") && !out.join("calendar/format/hybrid").exists());
    let advocacy = read(out.join("calendar/kind/advocacy/index.html"));
    assert!(advocacy.contains("past-advocacy") && !advocacy.contains("ccg-2021-10-launch"));
    assert!(advocacy.contains("No upcoming meeting of this format has been announced yet."), "{advocacy}");
    let sitemap = read(out.join("sitemap.xml"));
    assert!(sitemap.contains("/calendar/kind/advocacy/</loc>") && sitemap.contains("/calendar/format/physical/</loc>"), "{sitemap}");
    assert!(!sitemap.contains("/calendar/kind/networking/"), "{sitemap}");
}

#[test]
fn hours_are_only_for_events_given_as_dates() {
    let site = site_copy("hours");
    fs::write(
        site.0.join("content/events/timed.md"),
        "---\nid: timed\ntitle: T\nstart: 2026-09-01T09:00\nend: 2026-09-01T12:00\ntimezone: Europe/Brussels\nhours: morning\nformat: virtual\nkind: advocacy\n---\n",
    )
    .unwrap();
    let Err(BuildError::Content(errors)) = build(&opts(&site.0)) else { panic!("hours on a timed event was accepted") };
    let e = &errors.0[0];
    assert!(e.file.ends_with("content/events/timed.md") && e.line == 7 && e.message.contains("hours"), "{e:?}");
}

#[test]
fn the_secretariat_is_reachable_where_help_is_needed() {
    let site = site_copy("contact");
    edit(site.0.join("content/config.yaml"), "  email: secretariat@ccg.scalable-cities.example", "  email: help@city-group.test");
    build(&opts(&site.0)).unwrap();
    let out = site.0.join("public");
    let link = "<a href=\"mailto:help@city-group.test\">help@city-group.test</a>";
    for page in html_pages(&out) {
        let html = read(page.clone());
        let footer = &html[html.find("<footer").unwrap()..];
        assert!(footer.contains(link), "{}: no contact in the footer", page.display());
        assert!(!html.contains("through the official CCG page"), "{}", page.display());
    }
    for page in [
        "join/index.html",
        "join/thanks/index.html",
        "financial-support/index.html",
        "financial-support/thanks/index.html",
        "privacy/index.html",
        "how-it-works/index.html",
    ] {
        let html = read(out.join(page));
        let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
        assert!(main.contains(link), "{page}: no contact in the page itself");
    }
    // The answers of the form functions are rendered from the same templates.
    assert!(read(site.0.join("templates/answer.html")).contains("partials/contact.html"));
}

#[test]
fn the_privacy_notice_is_made_of_its_settings() {
    let site = site_copy("privacy");
    let config = site.0.join("content/config.yaml");
    edit(config.clone(), "  controller: European Commission", "  controller: European Commission, Unit Z.9");
    edit(config.clone(), "  dpo_email: data-protection-officer@ec.europa.eu", "  dpo_email: dpo@agency.test");
    edit(config.clone(), "  authority: European Data Protection Supervisor", "  authority: Some Supervisor & Co");
    edit(config.clone(), "  paid_claim_years: 5", "  paid_claim_years: 7");
    build(&opts(&site.0)).unwrap();
    let html = read(site.0.join("public/privacy/index.html"));
    let text = main_text(&html);
    assert!(text.contains("The controller of the details sent through these forms is the European Commission, Unit Z.9."), "{text}");
    assert!(html.contains("<a href=\"mailto:dpo@agency.test\">dpo@agency.test</a>"), "{html}");
    assert!(html.contains("<a href=\"https://eur-lex.europa.eu/eli/reg/2018/1725/oj\">Regulation (EU) 2018/1725</a>"), "{html}");
    assert!(html.contains("<a href=\"https://www.edps.europa.eu\">Some Supervisor &amp; Co</a>"), "the value is escaped: {html}");
    assert!(text.contains("keeps it for 7 years after the payment"), "{text}");
    assert!(!text.contains("data protection authority of your country"), "{text}");
    // What holds one contribution per person and meeting after leaving is said, with how long it stays.
    assert!(text.contains("keyed hash of your email address with the meeting"), "{text}");
    assert!(text.contains("The keyed hash of your address with the meeting stays with it, for as long as the claim is kept"), "{text}");
}

#[test]
fn travel_support_tells_the_groups_rules_from_the_forms_settings() {
    let site = site_copy("rules");
    let rules = site.0.join("content/data/travel-support.yaml");
    edit(rules.clone(), "max_per_trip: 450", "max_per_trip: 400");
    edit(rules.clone(), "days_after_meeting: 60", "days_after_meeting: 30");
    build(&opts(&site.0)).unwrap();
    let text = main_text(&read(site.0.join("public/financial-support/index.html")));
    let group = &text[text.find("The group's rules Who can apply").unwrap()..text.find("How this form works").unwrap()];
    let form = &text[text.find("How this form works").unwrap()..text.find("How a claim is handled").unwrap()];
    assert!(group.contains("Most for one trip 400 EUR"), "{group}");
    assert!(group.contains("at most 2") && group.contains("Not online meetings, and not other events."), "{group}");
    for form_rule in ["calendar year", "one contribution per meeting", "Hybrid", "accommodation", "takes claims"] {
        assert!(!group.contains(form_rule), "the group's rules say `{form_rule}`: {group}");
    }
    assert!(form.contains("These are settings of the form, not rules of the group."), "{form}");
    assert!(form.contains("until 30 days after it ends"), "{form}");
    assert!(form.contains("calendar year in which the meeting starts") && form.contains("at most one contribution per meeting"), "{form}");
    for unsaid in ["travel and accommodation", "The year that counts", "so that distance and cost"] {
        assert!(!text.to_lowercase().contains(&unsaid.to_lowercase()), "the page says `{unsaid}`");
    }
}

/// A small stand-in for a PDF: made here, never committed.
fn fake_pdf(len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.4\n% test document\n".to_vec();
    b.resize(len, b' ');
    b.extend_from_slice(b"\n%%EOF\n");
    b
}

#[test]
fn documents_are_published_and_listed_with_type_and_size() {
    let site = site_copy("documents");
    let docs = site.0.join("content/documents");
    fs::create_dir_all(&docs).unwrap();
    let pdf = fake_pdf(425_875);
    fs::write(docs.join("ccg-test-report.pdf"), &pdf).unwrap();
    fs::write(docs.join("ccg-test-report.pdf.yaml"), "title: CCG test report\ndate: 2023-03-01\nlanguage: en\n").unwrap();
    build(&opts(&site.0)).unwrap();
    let out = site.0.join("public");
    assert_eq!(fs::read(out.join("documents/ccg-test-report.pdf")).unwrap(), pdf);
    let page = read(out.join("how-it-works/index.html"));
    assert!(page.contains("<a href=\"/documents/ccg-test-report.pdf\" type=\"application/pdf\" hreflang=\"en\" download>CCG test report</a>"), "{page}");
    assert!(main_text(&page).contains("(PDF, 415.9 KB, 1 March 2023, EN)"), "{page}");

    // Without documents the page has no empty list.
    let real = site_copy("no-documents");
    build(&opts(&real.0)).unwrap();
    let page = read(real.0.join("public/how-it-works/index.html"));
    assert!(!page.contains("class=\"documents\""));
    // The roadmap, which we do not have, is linked on the official page.
    assert!(page.contains("href=\"https://smart-cities-marketplace.ec.europa.eu/city-coordinators-group\">official CCG page"), "{page}");
}

#[test]
fn a_document_needs_its_sidecar_and_a_sidecar_its_document() {
    let site = site_copy("documents-bad");
    let docs = site.0.join("content/documents");
    fs::create_dir_all(&docs).unwrap();
    fs::write(docs.join("alone.pdf"), fake_pdf(100)).unwrap();
    fs::write(docs.join("missing.pdf.yaml"), "title: Missing\ndate: 2023-03-01\nlanguage: en\n").unwrap();
    fs::write(docs.join("dated.pdf"), fake_pdf(100)).unwrap();
    fs::write(docs.join("dated.pdf.yaml"), "title: Dated\ndate: March 2023\nlanguage: en\n").unwrap();
    let out = site.0.join("public");
    let Err(BuildError::Content(errors)) = build(&opts(&site.0)) else { panic!("broken documents were published") };
    let mut found: Vec<(String, usize, bool)> = errors
        .0
        .iter()
        .map(|e| (e.file.file_name().unwrap().to_string_lossy().into_owned(), e.line, e.message.contains("sidecar") || e.message.contains("date")))
        .collect();
    found.sort();
    assert_eq!(found, [("alone.pdf".into(), 1, true), ("dated.pdf.yaml".into(), 2, true), ("missing.pdf.yaml".into(), 1, true)], "{errors}");
    assert!(!out.join("documents").exists(), "nothing is published");
}

/// What the Scalable Cities Secretariat needs to pay: the fixture site sets
/// every part (tests/fixture-site/content/data/travel-support.yaml), and the
/// travel support page says each one; the shipped content sets none (the group
/// has not published it), and the page says nothing about it.
#[test]
fn what_the_secretariat_needs_to_pay_is_said_only_where_published() {
    let fixture = Site(std::env::temp_dir().join(format!("ccg-face-{}-payment-fixture", std::process::id())));
    let _ = fs::remove_dir_all(&fixture.0);
    copy_dir(&workspace().join("tests/fixture-site/content"), &fixture.0.join("content"));
    copy_dir(&workspace().join("templates"), &fixture.0.join("templates"));
    // The fixture has no travel support page of its own: one on the real page's template, over the fixture's rules.
    let md = "---\ntitle: Travel support\ndescription: How to ask for travel support.\ntemplate: financial-support.html\n---\nThe rules.\n";
    fs::write(fixture.0.join("content/pages/financial-support.md"), md).unwrap();
    build(&opts(&fixture.0)).unwrap();
    let page = read(fixture.0.join("public/financial-support/index.html"));
    let said = main_text(&page);
    for part in [
        "What the secretariat needs to pay you",
        "Documents to keep and send",
        "Tickets or boarding passes",
        "Hotel invoice",
        "Who is paid",
        "The person who travelled",
        "Payment details",
        "Bank details are asked for by email once the claim is approved.",
        "How long payment takes",
        "Within 30 days of approval",
    ] {
        assert!(said.contains(part), "{part}: {said}");
    }

    let shipped = site_copy("payment-shipped");
    build(&opts(&shipped.0)).unwrap();
    let page = read(shipped.0.join("public/financial-support/index.html"));
    assert!(page.contains("Travel claim form"), "the page is there");
    for part in ["needs to pay", "Documents to keep", "Who is paid", "Payment details", "How long payment takes"] {
        assert!(!page.contains(part), "nothing said in the group's name before it is published: {part}");
    }
}
