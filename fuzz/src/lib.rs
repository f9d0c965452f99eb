//! The fuzz targets of every input surface. Each takes arbitrary bytes, must
//! never panic, and panics itself when an invariant breaks, so that both
//! drivers report it the same way: cargo-fuzz (fuzz/libfuzzer, nightly,
//! scripts/fuzz.sh) and, on stable, this crate's tests (a replay of the
//! committed corpus in fuzz/corpus/<target>/ and a fixed number of mutated
//! cases), which run in the test command.

use ccg_functions::decode::{self, BodyKind, Fields};
use ccg_functions::passkey::{PasskeyError, RelyingParty};
use ccg_functions::records::Passkey;
use ccg_functions::text::{self, MAX_EMAIL, MAX_TEXT};
use ccg_functions::validate::{self, Submission};
use ccg_model::Catalogue;
use std::path::Path;
use std::sync::OnceLock;

mod sign_in;
pub use sign_in::sign_in_body;

/// Every target by its name (the name of its corpus folder and of its cargo-fuzz target).
/// A fuzz target: its name and the function fed with bytes.
pub type Target = (&'static str, fn(&[u8]));

/// `form_body` and `json_body` cover the one decoder every form body goes
/// through, the sign-in pages' too (`http::account::fields` calls
/// `decode::body_kind` and `decode::decode`); `sign_in_body` drives those
/// pages themselves, through the handler; `passkey_answer` the WebAuthn JSON.
pub const TARGETS: &[Target] = &[
    ("form_body", form_body),
    ("json_body", json_body),
    ("event", event),
    ("markdown", markdown),
    ("passkey_answer", passkey_answer),
    ("sign_in_body", sign_in_body),
];

/// The real content (cities, projects, rules, meetings, drafts included): what the forms are judged against.
fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
        Catalogue::load_dir(&content, true).expect("content/ loads")
    })
}

/// A urlencoded body: decoding never panics; what it gives reads back the
/// same in both formats; the validators take it without panicking and what
/// they let through is whole.
pub fn form_body(data: &[u8]) {
    let Ok(fields) = decode::decode(BodyKind::Form, data) else { return };
    same_fields(BodyKind::Form, &encode_form(&fields), &fields, "form round trip");
    same_fields(BodyKind::Json, &encode_json(&fields), &fields, "the same fields as JSON");
    submissions(&fields);
}

/// A JSON body: as `form_body`, from the other side.
pub fn json_body(data: &[u8]) {
    let Ok(fields) = decode::decode(BodyKind::Json, data) else { return };
    same_fields(BodyKind::Json, &encode_json(&fields), &fields, "JSON round trip");
    same_fields(BodyKind::Form, &encode_form(&fields), &fields, "the same fields as a form");
    submissions(&fields);
}

/// `body` decodes to `fields`, unless re-encoding made it larger than the
/// limit (a crash of the first fuzz run, kept in the corpus: percent-encoding
/// triples a control character), when it is refused as too large.
fn same_fields(kind: BodyKind, body: &str, fields: &Fields, what: &str) {
    let got = decode::decode(kind, body.as_bytes());
    if body.len() > decode::MAX_BODY {
        assert_eq!(got, Err(decode::DecodeError::TooLarge), "{what}");
    } else {
        assert_eq!(got.as_ref(), Ok(fields), "{what}");
    }
}

fn encode_form(fields: &Fields) -> String {
    let enc = |s: &str| -> String {
        s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn encode_json(fields: &Fields) -> String {
    serde_json::to_string(fields).expect("strings serialise")
}

/// Both forms' validators on the fields: what they accept is a whole record
/// that the text rules allow, so nothing half-valid is ever stored.
fn submissions(fields: &Fields) {
    let cat = catalogue();
    let whole_text = |what: &str, v: &str, max: usize| {
        assert_eq!(text::visible(v), Some(v), "{what}: visible, nothing invisible around it");
        assert!(text::is_single_line(v), "{what}: one line");
        assert!(v.chars().count() <= max, "{what}: at most {max} characters");
    };
    if let Ok(Submission::Valid(r)) = validate::registration(fields, &cat.directory) {
        for (what, v) in [("name", &r.name), ("city", &r.city), ("organisation", &r.organisation), ("position", &r.position)] {
            whole_text(what, v, MAX_TEXT);
        }
        whole_text("email", &r.email, MAX_EMAIL);
        assert!(text::is_email(&r.email), "email");
        assert!(ccg_model::countries::is_known(&r.country), "country");
        if let Some(p) = &r.project {
            assert!(cat.directory.projects.iter().any(|x| &x.acronym == p), "project");
        }
    }
    // Every meeting's own dates as "today", so that claims can be open.
    let mut todays = vec![jiff::civil::date(2027, 1, 10)];
    if let Some(e) = fields.get("event").and_then(|id| cat.event(id.trim())) {
        todays.push(e.when.start_date());
        todays.extend(e.when.start_date().checked_sub(jiff::Span::new().days(30)).ok());
    }
    for today in todays {
        if let Ok(Submission::Valid(c)) = validate::claim(fields, cat, true, today) {
            whole_text("email", &c.email, MAX_EMAIL);
            assert!(text::is_email(&c.email), "email");
            let e = cat.event(&c.event).expect("an existing meeting");
            assert!(cat.rules.check_event(e).is_ok() && cat.rules.check_open(e, today).is_ok(), "a meeting that takes claims");
            assert!(c.travel_start <= c.travel_end, "travel dates in order");
            assert!(c.transport.0 >= 0 && c.accommodation.0 >= 0 && c.costs().0 > 0, "costs above 0");
        }
    }
}

/// A content file: the front matter split and the event parser never panic,
/// and every error they give points into the file.
pub fn event(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = Path::new("content/events/fuzz.md");
    // Lines as YAML counts them: a lone CR breaks a line too (a crash of the
    // first fuzz run, kept in the corpus, was this invariant counting only LF).
    let lines = text.replace("\r\n", "\n").bytes().filter(|&b| b == b'\n' || b == b'\r').count() + 1;
    if let Ok(doc) = ccg_model::front_matter::split(file, text) {
        assert!(doc.yaml_line <= lines && doc.body_line <= lines + 1, "front matter lines in the file");
    }
    match ccg_model::event::parse(file, text) {
        Ok(e) => {
            assert!(ccg_model::event::is_valid_id(&e.id), "a parsed event has a valid id");
            assert!(e.when.start_instant() <= e.when.end_instant(), "an event ends after it starts");
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal says why");
            for e in errors {
                assert_eq!(e.file, file);
                assert!(e.line <= lines + 1, "error line {} in a file of {lines} lines: {}", e.line, e.message);
            }
        }
    }
}

/// The tags pulldown-cmark writes for markdown itself (no raw HTML).
const MARKDOWN_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "em",
    "strong",
    "a",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
    "img",
    "sup",
    "div",
];

/// A markdown body. The renderer passes an editor's raw HTML through (content
/// is written by the site's editors) and promises the rest: text is escaped,
/// so markdown without a `<` gives only markdown's own tags, and a `<script`
/// in the output was written as such in the input. Link offsets point into
/// the body (they are used to place an error).
pub fn markdown(data: &[u8]) {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let mut out = String::new();
    let mut links = Vec::new();
    generator::markdown::render(body, &mut out, &mut links);
    let lower_in = body.to_ascii_lowercase();
    let lower_out = out.to_ascii_lowercase();
    if lower_out.contains("<script") {
        assert!(lower_in.contains("<script"), "a <script in the output that the input did not write");
    }
    if !body.contains('<') {
        for tag in tags(&out) {
            assert!(MARKDOWN_TAGS.contains(&tag.as_str()), "<{tag}> from markdown without any `<`");
        }
    }
    for l in links {
        assert!(l.offset <= body.len() && body.is_char_boundary(l.offset), "link offset {} in a body of {}", l.offset, body.len());
        let _ = generator::markdown::position(body, 1, l.offset);
    }
}

/// Names of the tags in `html` (lowercase).
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let name: String = rest.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        out.push(name.to_ascii_lowercase());
    }
    out
}

/// The passkey the sign-in seed (fuzz/corpus/passkey_answer/authentication.json)
/// was signed by: written with the seeds by the ignored test
/// `passkey::fuzz_seeds` of ccg-functions, so that mutated answers reach the
/// signature check with a real key.
fn seed_passkey() -> Passkey {
    Passkey {
        id: "CQkJCQkJCQkJCQkJCQkJCQ".into(),
        email_key: "ada@example.org".into(),
        user_handle: "EREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREREQ".into(),
        credential: "AQYBAAAAAAABAXE1-k_ZOgnc6Yu_aBtL_PUOfA1jVOYq-wv_KjQpYXhlAAAA".into(),
        created_at: 0,
        last_used_at: None,
        device: "fuzz".into(),
    }
}

/// A WebAuthn answer as a browser posts it (to /sign-in/passkey or
/// /account/passkeys): reading its challenge and credential never panics
/// and gives well-formed ids, and verifying it never panics, never finds a
/// stored record corrupt, and never succeeds against a fresh ceremony, whose
/// challenge the answer cannot know.
pub fn passkey_answer(data: &[u8]) {
    if let Ok(c) = RelyingParty::challenge_of(data) {
        assert_eq!(base64_len(&c), Some(16), "a challenge is 16 bytes, base64url: {c}");
    }
    if let Ok((id, handle)) = RelyingParty::credential_of(data) {
        assert!(base64_len(&id).is_some_and(|n| n > 0), "a credential id, base64url: {id}");
        assert_eq!(base64_len(&handle), Some(64), "a user handle is 64 bytes, base64url");
    }
    let rp = RelyingParty::new("example.org", vec!["https://example.org".into()]).expect("valid settings");
    // The library checks the ceremony's timeout against the system clock.
    let now = jiff::Timestamp::now().as_second();
    let (ceremony, _, _) = rp.start_registration("ada@example.org", "Ada", None, &[], now).expect("registration options");
    match rp.finish_registration(&ceremony, data, now) {
        Ok(p) => panic!("an answer verified against a challenge it cannot know: {p:?}"),
        Err(e) => assert!(!matches!(e, PasskeyError::Corrupt(_)), "a fresh ceremony is not corrupt: {e}"),
    }
    let (ceremony, _) = rp.start_authentication(None, now).expect("request options");
    match rp.finish_authentication(&ceremony, data, &seed_passkey(), now) {
        Ok(c) => panic!("an answer verified against a challenge it cannot know: {c}"),
        Err(e) => assert!(!matches!(e, PasskeyError::Corrupt(_)), "the stored passkey is not corrupt: {e}"),
    }
}

/// The number of bytes a base64url text (no padding) holds, if it is one.
fn base64_len(s: &str) -> Option<usize> {
    let valid = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') && s.len() % 4 != 1;
    valid.then(|| s.len() * 3 / 4)
}
