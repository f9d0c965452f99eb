//! The public pages as a city official and a data protection officer read
//! them (issue 18, "The pages"): the legal pages in every footer, the privacy
//! notice as a data protection record, one name for each thing, no claim the
//! group did not make, a calendar that tells past from upcoming, and the
//! forms' hints. Each test builds the real content/ and templates/.

use crate::common::{copy_dir, main_text, text_of};
use generator::build::{Options, build};
use jiff::Timestamp;
use serde::Deserialize;
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

impl Site {
    fn new(name: &str) -> Site {
        let root = std::env::temp_dir().join(format!("ccg-pages-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        copy_dir(&workspace().join("content"), &root.join("content"));
        copy_dir(&workspace().join("templates"), &root.join("templates"));
        Site(root)
    }

    /// Builds the copy at `now` (drafts as asked) and returns the output folder.
    fn build(&self, now: &str, drafts: bool) -> PathBuf {
        let out = self.0.join("public");
        let opts = Options {
            root: self.0.clone(),
            out: out.clone(),
            drafts,
            now: now.parse::<Timestamp>().unwrap(),
            base_url: None,
            contact_email: None,
            write: true,
        };
        build(&opts).unwrap();
        out
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.0.join(file);
        let text = read(&path);
        assert!(text.contains(from), "{file} has no `{from}`");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

const NOW: &str = "2026-06-01T00:00:00Z";
const BASE: &str = "https://ccg.scalable-cities.example";

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every HTML page under `dir`, with its address on the site ("/privacy/").
fn html_pages(dir: &Path) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "html") {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                let url = match rel.strip_suffix("index.html") {
                    Some(dir) => format!("/{dir}"),
                    None => format!("/{rel}"),
                };
                out.push((url, p));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn footer(html: &str) -> &str {
    &html[html.find("<footer").unwrap()..]
}

#[test]
fn every_footer_has_the_legal_pages_and_a_report_link_for_its_own_page() {
    let site = Site::new("footer");
    let out = site.build(NOW, true);
    let pages = html_pages(&out);
    assert!(pages.len() > 20, "{pages:?}");
    for (url, path) in &pages {
        let html = read(path);
        let foot = footer(&html);
        for link in [
            "<a href=\"/legal-notice/\">Legal notice</a>",
            "<a href=\"/accessibility/\">Accessibility statement</a>",
            "<a href=\"/privacy/\">Privacy notice</a>",
        ] {
            assert!(foot.contains(link), "{url}: no `{link}` in the footer");
        }
        let address = format!("{BASE}{url}");
        let report = format!(
            "<a href=\"mailto:secretariat@ccg.scalable-cities.example?subject=Problem%20with%20the%20page%20{address}\">Report a problem with this page</a>"
        );
        assert!(foot.contains(&report), "{url}: no report link naming the page in\n{foot}");
    }
    let sitemap = read(&out.join("sitemap.xml"));
    for page in ["legal-notice", "accessibility"] {
        assert!(sitemap.contains(&format!("<loc>{BASE}/{page}/</loc>")), "{page} is not in the sitemap");
    }
}

#[test]
fn the_legal_notice_says_who_publishes_only_what_is_set() {
    let site = Site::new("legal");
    let out = site.build(NOW, false);
    let text = main_text(&read(&out.join("legal-notice/index.html")));
    for heading in ["Who publishes this site", "Liability", "Copyright"] {
        assert!(text.contains(heading), "no `{heading}`: {text}");
    }
    assert!(text.contains("The group is run by the Scalable Cities Secretariat"), "{text}");
    // Nothing is set in config.yaml yet: no publisher, no copyright holder is named.
    for unsaid in ["published by", "on behalf of", "©", "reused under"] {
        assert!(!text.contains(unsaid), "the notice says `{unsaid}` with nothing set: {text}");
    }

    site.edit(
        "content/config.yaml",
        "legal: {}",
        "legal:\n  publisher: Agency X\n  publisher_address: 1 Rue Y, 1000 Brussels\n  on_behalf_of: the European Commission\n  copyright_holder: European Union\n  licence: CC BY 4.0\n  licence_url: https://creativecommons.org/licenses/by/4.0/",
    );
    let out = site.build(NOW, false);
    let html = read(&out.join("legal-notice/index.html"));
    let text = main_text(&html);
    assert!(text.contains("This site is published by Agency X, 1 Rue Y, 1000 Brussels, on behalf of the European Commission."), "{text}");
    assert!(text.contains("The text of this site is © European Union. It may be reused under CC BY 4.0, unless a page says otherwise."), "{text}");
    assert!(html.contains("<a href=\"https://creativecommons.org/licenses/by/4.0/\">CC BY 4.0</a>"));
}

#[test]
fn the_accessibility_statement_tells_the_standard_the_tests_the_problems_and_the_date() {
    let site = Site::new("a11y");
    let out = site.build(NOW, false);
    let html = read(&out.join("accessibility/index.html"));
    let text = main_text(&html);
    for must in ["WCAG) 2.1 at level AA", "EN 301 549", "Nu HTML Checker", "axe-core", "Lighthouse", "320 pixels", "Known problems", "Report a problem"] {
        assert!(text.contains(must), "no `{must}`: {text}");
    }
    // The tests the statement names are the ones the test command runs.
    let script = read(&workspace().join("scripts/test.sh")).to_lowercase();
    for tool in ["html validator", "axe-core", "lighthouse"] {
        assert!(script.contains(tool), "scripts/test.sh does not run {tool}");
    }
    assert!(html.contains("<a href=\"mailto:secretariat@ccg.scalable-cities.example?subject=Accessibility%20problem\">"), "{html}");
    // Problems and the date are settings.
    let config = read(&workspace().join("content/config.yaml"));
    assert!(config.contains("  prepared: 2026-12-07\n"), "the test reads the date from the config");
    assert!(text.contains("This statement was prepared on 7 December 2026."), "{text}");
    assert!(text.contains("a long meeting title may be cut"), "{text}");
    assert!(!text.contains("compliant"), "no compliance is claimed while none is set: {text}");

    site.edit("content/config.yaml", "  # compliance:", "  compliance: partially");
    site.edit("content/config.yaml", "  # reviewed:", "  reviewed: 2027-01-15");
    site.edit("content/config.yaml", "  # reply_days:", "  reply_days: 10");
    let text = main_text(&read(&site.build(NOW, false).join("accessibility/index.html")));
    assert!(text.contains("The site is partially compliant with WCAG 2.1 level AA, because of the problems listed below."), "{text}");
    assert!(text.contains("prepared on 7 December 2026 and last reviewed on 15 January 2027."), "{text}");
    assert!(text.contains("You will get an answer within 10 working days."), "{text}");

    // A setting the statement cannot say is refused with its file.
    let check = |site: &Site| {
        let opts = Options {
            root: site.0.clone(),
            out: site.0.join("public"),
            drafts: false,
            now: NOW.parse().unwrap(),
            base_url: None,
            contact_email: None,
            write: false,
        };
        format!("{:?}", build(&opts).unwrap_err())
    };
    site.edit("content/config.yaml", "  compliance: partially", "  compliance: mostly");
    let err = check(&site);
    assert!(err.contains("config.yaml") && err.contains("accessibility.compliance"), "{err}");
    site.edit("content/config.yaml", "  compliance: mostly", "  compliance: fully");
    site.edit("content/config.yaml", "  reviewed: 2027-01-15", "  reviewed: 15/01/2027");
    let err = check(&site);
    assert!(err.contains("config.yaml") && err.contains("accessibility.reviewed"), "{err}");
}

#[test]
fn the_privacy_notice_is_a_data_protection_record() {
    let site = Site::new("record");
    let out = site.build(NOW, false);
    let html = read(&out.join("privacy/index.html"));
    let text = main_text(&html);
    // Regulation (EU) 2018/1725, Article 15, and what the issue asks of the record.
    let required = [
        ("the controller", "Controller European Commission"),
        (
            "the processor and its role",
            "Processor Scalable Cities Secretariat, which runs the group and this service for the European Commission, as its contractor",
        ),
        ("the hosting processor", "Hosting Amazon Web Services (AWS), which hosts the site, its database and its emails"),
        ("purpose: running the group", "Running the group: its contact list"),
        ("its basis", "Legal basis: Article 5(1)(a) of Regulation (EU) 2018/1725, a task carried out in the public interest."),
        ("purpose: financial records", "keeping the financial records of what was paid"),
        ("the recipients", "The recipients are only the staff of the Scalable Cities Secretariat"),
        ("transfers", "Transfers outside the EU None:"),
        ("retention of unconfirmed submissions", "Anything you do not confirm: 48 hours"),
        ("retention of paid claims", "this service keeps it for 5 years after the payment"),
        ("right of access", "of access"),
        ("right to rectification", "to rectification"),
        ("right to erasure", "to erasure"),
        ("right to restriction", "to restriction"),
        (
            "right to portability, where it applies",
            "portability : to receive the details you gave in a machine-readable format, where their use rests on your consent",
        ),
        ("right to object", "to object"),
        ("the reply time", "You get an answer within one month of your request"),
        ("the DPO", "Data protection officer Data Protection Officer of the European Commission, data-protection-officer@ec.europa.eu"),
        ("the EDPS", "You can complain at any time to the European Data Protection Supervisor"),
        ("automated decisions", "The travel claim form checks each claim automatically"),
        ("the date", "This notice was last updated on 7 December 2026."),
    ];
    for (what, words) in required {
        assert!(text.contains(words), "the notice lacks {what} (`{words}`):\n{text}");
    }
    // Each record's period comes with its reason.
    let kept = &text[text.find("How long we keep them").unwrap()..text.find("Leaving the group").unwrap()];
    // Seven records: unconfirmed submissions, contacts, paid and closed claims, supporting documents, invitations, the history.
    assert_eq!(kept.matches("Why:").count(), 7, "{kept}");
    // Who is invited is the setting's (`invitations.to_confirmed_contacts`), in words.
    assert!(text.contains("The secretariat invites every approved representative to the group's meetings"), "{text}");
    // Consent is not said to be the basis while no purpose rests on it.
    assert!(!text.contains("because you agree to it"), "{text}");
    // The record comes after the introduction, before the details.
    let (intro, record, details) =
        (text.find("This site has two forms").unwrap(), text.find("The record in short").unwrap(), text.find("Who is responsible").unwrap());
    assert!(intro < record && record < details, "{text}");

    // Settings not known yet stay out; once set, they are said.
    assert!(!text.contains(" in eu-"), "{text}");
    site.edit("content/config.yaml", "  # controller_unit:", "  controller_unit: DG ENER, Unit B.5");
    site.edit("content/config.yaml", "  # hosting_region:", "  hosting_region: eu-central-1 (Frankfurt, Germany)");
    site.edit(
        "content/config.yaml",
        "  purposes:\n",
        "  purposes:\n    - purpose: Listing you in the members' directory\n      basis: 5(1)(d)\n      basis_words: your consent\n",
    );
    let text = main_text(&read(&site.build(NOW, false).join("privacy/index.html")));
    assert!(text.contains("Controller European Commission, DG ENER, Unit B.5"), "{text}");
    assert!(text.contains("for the Scalable Cities Secretariat, in eu-central-1 (Frankfurt, Germany)"), "{text}");
    assert!(text.contains("Listing you in the members' directory. Legal basis: Article 5(1)(d) of Regulation (EU) 2018/1725, your consent."), "{text}");
}

#[derive(Deserialize)]
struct Name {
    name: String,
    #[allow(dead_code)]
    means: String,
    variants: Vec<String>,
}

/// Where `word` occurs in `text` as whole words.
fn has_words(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Each variant of a glossary name on the built site, with the page it is on; and the site's text.
fn variants_on(out: &Path, glossary: &[Name]) -> (Vec<String>, String) {
    let mut everything = String::new();
    let mut found = Vec::new();
    for (url, path) in html_pages(out) {
        let text = text_of(&read(&path));
        variants_in(&url, &text, glossary, &mut found);
        everything.push_str(&text.to_lowercase());
        everything.push('\n');
    }
    (found, everything)
}

/// Each variant of a glossary name in `text` (found at `place`), added to `found`.
fn variants_in(place: &str, text: &str, glossary: &[Name], found: &mut Vec<String>) {
    let lower = text.to_lowercase();
    for n in glossary {
        for v in &n.variants {
            // A variant that differs from the name only in case is matched as written; others ignoring case.
            let seen = if v.to_lowercase() == n.name.to_lowercase() { has_words(text, v) } else { has_words(&lower, &v.to_lowercase()) };
            if seen {
                found.push(format!("{place}: `{v}` (say `{}`)", n.name));
            }
        }
    }
}

/// The words of a form answer or email template: its comments and tags
/// dropped, each `{{ value }}` a space, then the HTML's text.
fn template_words(source: &str) -> String {
    let mut text = String::new();
    let mut rest = source;
    while let Some(at) = rest.find('{') {
        let close = match rest[at..].chars().nth(1) {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                text.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
                continue;
            }
        };
        text.push_str(&rest[..at]);
        text.push(' ');
        rest = rest[at..].find(close).map_or("", |end| &rest[at + end + 2..]);
    }
    text.push_str(rest);
    text_of(&text)
}

/// The string literals of Rust source (the sentences some answers still
/// build), outside comments and before its tests, escapes read as spaces.
fn rust_sentences(source: &str) -> String {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let mut out = String::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            // A character literal such as '"' is not the start of a string.
            '\'' => {
                let mut ahead = chars.clone();
                match (ahead.next(), ahead.next(), ahead.next()) {
                    (Some('\\'), Some(_), Some('\'')) => {
                        chars.nth(2);
                    }
                    (Some(_), Some('\''), _) => {
                        chars.nth(1);
                    }
                    _ => {}
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                            out.push(' ');
                        }
                        '"' => break,
                        c => out.push(c),
                    }
                }
                out.push('\n');
            }
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The forms' answers and emails: their templates, and the sentences still in Rust.
fn answer_and_email_texts() -> Vec<(String, String)> {
    let root = workspace();
    let mut texts = Vec::new();
    for dir in ["templates/answers", "templates/emails"] {
        let mut files: Vec<PathBuf> = fs::read_dir(root.join(dir)).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = format!("{dir}/{}", f.file_name().unwrap().to_string_lossy());
            texts.push((name, template_words(&read(&f))));
        }
    }
    for file in ["functions/src/http/answer.rs", "functions/src/http/pages.rs", "forms/src/records.rs"] {
        texts.push((file.to_string(), rust_sentences(&read(&root.join(file)))));
    }
    texts
}

#[test]
fn one_name_for_each_thing_as_the_glossary_lists_them() {
    let file = workspace().join("content/data/glossary.yaml");
    let glossary: Vec<Name> = ccg_model::yaml::parse(&file, &read(&file), 1).unwrap();
    assert!(glossary.len() >= 5);
    let site = Site::new("glossary");
    // Drafts too: the example meetings show every format and attendance.
    let (found, everything) = variants_on(&site.build(NOW, true), &glossary);
    assert!(found.is_empty(), "variants on the site:\n{}", found.join("\n"));
    for n in &glossary {
        assert!(has_words(&everything, &n.name.to_lowercase()), "the site never says `{}`", n.name);
    }
    // The check sees a variant, in either case, and only as whole words.
    site.edit(
        "content/pages/how-it-works.md",
        "## Who runs it\n",
        "## Who runs it\n\nThe Scalable Cities secretariat admits cities to co-creation Workshops.\n",
    );
    let (found, _) = variants_on(&site.build(NOW, true), &glossary);
    assert_eq!(
        found,
        [
            "/how-it-works/: `Scalable Cities secretariat` (say `Scalable Cities Secretariat`)",
            "/how-it-works/: `admits` (say `approve`)",
            "/how-it-works/: `Co-creation workshops` (say `Co-creation meeting`)"
        ]
    );
}

#[test]
fn the_forms_answers_and_emails_use_the_glossarys_names_too() {
    let file = workspace().join("content/data/glossary.yaml");
    let glossary: Vec<Name> = ccg_model::yaml::parse(&file, &read(&file), 1).unwrap();
    let texts = answer_and_email_texts();
    assert!(texts.len() >= 20, "{}", texts.len());
    let mut found = Vec::new();
    for (place, text) in &texts {
        variants_in(place, text, &glossary, &mut found);
    }
    assert!(found.is_empty(), "variants in the answers and emails:\n{}", found.join("\n"));
    let all = texts.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n");
    for name in ["Scalable Cities Secretariat", "approve"] {
        assert!(has_words(&all.to_lowercase(), &name.to_lowercase()), "the answers and emails never say `{name}`");
    }
    // The check reads what is said, not comments, tags or code.
    let template = "{# the secretariat admits #}<p>{{ admitted }} The Scalable Cities secretariat {% if admit %}approves{% endif %} it.</p>";
    let mut found = Vec::new();
    variants_in("t", &template_words(template), &glossary, &mut found);
    assert_eq!(found, ["t: `Scalable Cities secretariat` (say `Scalable Cities Secretariat`)"]);
    let rust = "// admits\nlet q = '\"'; let m = \"Write to the \\\n   Scalable Cities secretariat.\"; validate::x();\n#[cfg(test)]\n\"admitted\"";
    let mut found = Vec::new();
    variants_in("r", &rust_sentences(rust), &glossary, &mut found);
    assert_eq!(found, ["r: `Scalable Cities secretariat` (say `Scalable Cities Secretariat`)"]);
}

/// Whether a hybrid meeting attended in person takes claims is the form's
/// setting (`eligible_formats` in travel-support.yaml): when it does not, the
/// claim form says so where the meeting is chosen, and so does the hybrid
/// meeting's page; when the setting takes hybrid meetings, neither says it.
#[test]
fn hybrid_meetings_are_said_plainly_from_the_setting() {
    const WHEN: &str = "2027-03-10T12:00:00Z";
    const HYBRID: &str = "calendar/example-2027-06-advocacy-hybrid/index.html";
    let site = Site::new("hybrid");
    let rules = read(&site.0.join("content/data/travel-support.yaml"));
    assert!(rules.contains("eligible_formats: [physical]\n"), "the test starts from the published setting");
    let out = site.build(WHEN, true);
    let form = read(&out.join("financial-support/index.html"));
    assert!(
        form.contains("<p class=\"hint\" id=\"event-hint\">Hybrid meetings (in person and online) are not in this list, even if you attend in person: this form takes claims only for meetings marked “In person”."),
        "{form}"
    );
    assert!(form.contains("<fieldset class=\"field\" aria-describedby=\"event-hint\">\n<legend>Meeting</legend>"), "{form}");
    assert!(!form.contains("value=\"example-2027-06-advocacy-hybrid\""), "{form}");
    assert!(main_text(&form).contains("A hybrid meeting takes no claims, even from those who attend it in person."));
    let hybrid = main_text(&read(&out.join(HYBRID)));
    assert!(hybrid.contains("No travel claims for this meeting, even if you attend in person."), "{hybrid}");
    assert!(hybrid.contains("takes claims only for meetings marked “In person”, not for hybrid ones. That is a setting of the form"), "{hybrid}");
    // An in-person meeting's page says nothing of it.
    let physical = main_text(&read(&out.join("calendar/example-2027-03-co-creation/index.html")));
    assert!(!physical.contains("No travel claims") && !physical.contains("hybrid"), "{physical}");

    site.edit("content/data/travel-support.yaml", "eligible_formats: [physical]\n", "eligible_formats: [physical, hybrid]\n");
    let out = site.build(WHEN, true);
    let form = read(&out.join("financial-support/index.html"));
    assert!(!form.contains("id=\"event-hint\"") && !form.contains("even from those who attend it in person"), "{form}");
    assert!(form.contains("value=\"example-2027-06-advocacy-hybrid\""), "the hybrid meeting now takes claims");
    assert!(!read(&out.join(HYBRID)).contains("No travel claims for this meeting"));
}

#[test]
fn no_claim_the_group_did_not_make() {
    let site = Site::new("claims");
    let out = site.build(NOW, true);
    for (url, path) in html_pages(&out) {
        let text = text_of(&read(&path)).to_lowercase();
        for claim in ["one voice", "solve them alone", "a voice in europe"] {
            assert!(!text.contains(claim), "{url} says `{claim}`");
        }
    }
    let home = main_text(&read(&out.join("index.html")));
    assert!(home.contains("prepare recommendations for the EU institutions"), "{home}");
}

#[test]
fn past_meetings_say_so_and_hours_without_a_zone_say_so() {
    let site = Site::new("past");
    let out = site.build(NOW, true);
    let launch = main_text(&read(&out.join("calendar/ccg-2021-10-launch/index.html")));
    assert!(launch.contains("Past meeting. Its date has passed"), "{launch}");
    assert!(launch.contains("15:00 to 16:30 (as published, without a time zone)"), "{launch}");
    let session = main_text(&read(&out.join("calendar/ccg-2021-11-follow-up/index.html")));
    assert!(session.contains("Past meeting."), "{session}");
    // Hours in words need no zone note.
    assert!(session.contains("in the morning") && !session.contains("without a time zone"), "{session}");
    let calendar = read(&out.join("calendar/index.html"));
    assert!(calendar.contains("<span class=\"tz\">15:00 to 16:30</span> <span class=\"tz-note\">(as published, without a time zone)</span>"));
    // An upcoming meeting is not called past.
    let upcoming = main_text(&read(&out.join("calendar/example-2027-03-co-creation/index.html")));
    assert!(!upcoming.contains("Past meeting"), "{upcoming}");
    assert!(upcoming.contains("Format Co-creation meeting"), "{upcoming}");
    // The home page says what comes next only from the calendar's data.
    let home = main_text(&read(&site.build(NOW, false).join("index.html")));
    assert!(home.contains("No upcoming meeting has been announced yet."), "{home}");
    assert!(!home.contains("several times a year"), "{home}");
}

#[test]
fn the_forms_hint_dates_and_list_the_eu_countries_first_with_kosovo() {
    let site = Site::new("forms");
    let out = site.build(NOW, false);
    let join = read(&out.join("join/index.html"));
    let select = &join[join.find("<select id=\"country\"").unwrap()..];
    let select = &select[..select.find("</select>").unwrap()];
    let eu = &select[select.find("<optgroup label=\"EU countries\">").unwrap()..select.find("<optgroup label=\"Other countries\">").unwrap()];
    let codes: Vec<&str> = eu.split("<option value=\"").skip(1).map(|o| &o[..o.find('"').unwrap()]).collect();
    assert_eq!(codes, ccg_model::countries::EU_MEMBERS, "the EU's 27 first, in the order of their names");
    assert!(select.contains("<option value=\"XK\">Kosovo*</option>"), "{select}");
    assert!(join.contains(ccg_model::countries::KOSOVO_FOOTNOTE), "Kosovo's footnote");
    assert!(select.find("value=\"AT\"").unwrap() < select.find("value=\"AL\"").unwrap(), "Austria before Albania");

    // A claim form open on NOW: a meeting announced, a week ahead.
    fs::write(
        site.0.join("content/events/soon.md"),
        "---\nid: soon\ntitle: Soon\nstart: 2026-06-08\nend: 2026-06-08\ntimezone: Europe/Brussels\nformat: physical\nkind: co-creation\nlocation:\n  city: Porto\n  country: PT\nannounced: 2026-05-01\n---\n",
    )
    .unwrap();
    let claim = read(&site.build(NOW, false).join("financial-support/index.html"));
    assert!(claim.contains("id=\"travel_start\""), "the form is open");
    let hint = &claim[claim.find("<p class=\"hint\" id=\"travel-hint\">").unwrap()..];
    assert!(hint[..hint.find("</p>").unwrap()].contains("type day/month/year, for example 16/03/2027."), "{hint}");

    // 24 px targets for radio buttons and checkboxes (WCAG 2.2, 2.5.8).
    let css = read(&out.join("style.css"));
    assert!(css.contains("input[type=radio],input[type=checkbox]{width:1.5rem;height:1.5rem;"), "24 px targets");
}

#[test]
fn the_new_pages_stay_under_the_size_budget() {
    let site = Site::new("size");
    let out = site.build(NOW, false);
    let css = fs::metadata(out.join("style.css")).unwrap().len();
    for page in ["legal-notice/index.html", "accessibility/index.html", "privacy/index.html", "join/index.html"] {
        let html = fs::metadata(out.join(page)).unwrap().len();
        assert!(html + css <= 30_000, "{page}: {html} + {css} bytes of HTML and CSS");
    }
}

/// The projects page and the claim form use one fact: a project whose end month
/// is only an estimate (STARDUST) is not shown as ended, and the page says the
/// form does not count it as ended until the secretariat confirms it.
#[test]
fn a_project_whose_end_is_not_known_is_not_shown_as_ended() {
    let site = Site::new("projects-end");
    let stardust = |out: &Path| {
        let html = read(&out.join("projects/index.html"));
        let at = &html[html.find("id=\"stardust\"").unwrap()..];
        main_text(&format!("<main>{}</main>", &at[..at.find("</section>").unwrap()]))
    };
    let text = stardust(&site.build(NOW, false));
    assert!(text.contains("Its end month is not known, so the travel claim form does not count it as ended"), "{text}");
    assert!(!text.contains("Ended"), "{text}");
    // Once the secretariat confirms it (a setting of the form), the page says so.
    site.edit("content/data/travel-support.yaml", "ended_projects: []", "ended_projects: [STARDUST]");
    let text = stardust(&site.build(NOW, false));
    assert!(text.contains("Ended, as the Scalable Cities Secretariat confirmed; the month is not known."), "{text}");
}
