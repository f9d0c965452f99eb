//! The handler with built requests: both body types, every status, CORS,
//! posts from other sites, the rules that answer at once, the honeypot,
//! drafts, mail that cannot be sent, and stores that are down or slow.

use crate::common;

use crate::common::*;
use bytes::Bytes;
use ccg_functions::store::dynamo::DynamoStore;
use ccg_functions::store::roles::*;
use ccg_functions::{App, Form, Options, SqliteStore, Store, handle};
use std::time::{Duration, Instant};

const REG: &str = "/api/register";
const CLAIMS: &str = "/api/travel-claims";

fn sqlite_app() -> App<SqliteStore> {
    app(sqlite_store("handler"), catalogue())
}

#[tokio::test]
async fn form_success_leads_to_the_check_your_inbox_pages() {
    let app = sqlite_app();
    let r = handle(&app, form_from_json(REG, &registration("ana@valladolid.es"))).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://ccg.example.eu/join/thanks/");
    let r = handle(&app, form_from_json(CLAIMS, &claim("e1", "412.50"))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    assert_eq!(r.headers()["location"], "https://ccg.example.eu/financial-support/thanks/");
    assert!(app.forms.store.list_claims().await.unwrap().is_empty(), "nothing counts before confirmation");
}

#[tokio::test]
async fn json_success_says_to_check_the_inbox() {
    let app = sqlite_app();
    for (path, body) in [(REG, registration("ana@valladolid.es")), (CLAIMS, claim("e1", "100.5"))] {
        let r = handle(&app, json_post(path, body)).await;
        assert_eq!(r.status(), 202, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(body_json(&r)["status"], "confirmation_sent");
    }
}

#[tokio::test]
async fn a_form_with_mistakes_comes_back_in_the_sites_frame_with_every_mistake_and_what_was_typed() {
    let app = sqlite_app();
    let mut bad = registration("not-an-email");
    bad["country"] = "XX".into();
    bad["name"] = "<script>alert(1)</script>".into();
    bad.as_object_mut().unwrap().remove("city_status");
    let r = handle(&app, form_from_json(REG, &bad)).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = body_text(&r);
    for needle in [
        "<html lang=\"en\">",
        "<title>Error: Registration form | City Coordinators Group</title>",
        "<meta name=\"robots\" content=\"noindex\">",
        "<link rel=\"stylesheet\" href=\"/style.css\">",
        "<nav class=\"site-nav\" aria-label=\"Main\">",
        "href=\"/join/\" aria-current=\"page\"",
        "<h2 id=\"error-summary-title\">There is a problem</h2>",
        "<li><a href=\"#email\">Enter an email address like name@city.eu.</a></li>",
        "<li><a href=\"#country\">Choose the country from the list.</a></li>",
        "<li><a href=\"#status-lighthouse\">",
        "<p class=\"error-message\" id=\"email-error\"><span class=\"visually-hidden\">Error:</span> Enter an email address like name@city.eu.</p>",
        "value=\"not-an-email\"",
        "value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"",
        "<option value=\"REMOURBAN\" selected>",
        "<input id=\"consent\" name=\"consent\" type=\"checkbox\" value=\"yes\" checked>",
        "<a href=\"/join/\">The join page explains",
        // Someone stuck can reach the secretariat from the answer itself.
        "<p class=\"contact\">A question, or something went wrong? Write to the ",
    ] {
        assert!(html.contains(needle), "missing {needle} in\n{html}");
    }
    assert!(html.find("#email\"").unwrap() < html.find("#country\"").unwrap(), "in the order of the form");
    let main = &html[html.find("<main").unwrap()..html.find("</main>").unwrap()];
    assert!(main.contains("href=\"mailto:"), "the contact is in the answer, not only in the footer");
    assert!(!html.contains("<script>"), "what was typed is never markup");
    assert!(mails_to(&app, "not-an-email").is_empty());
}

#[tokio::test]
async fn every_claim_mistake_at_once_in_json_and_html() {
    let app = sqlite_app();
    let mut bad = claim("e1", "300");
    bad["travel_start"] = "tomorrow".into();
    bad["travel_end"] = "2027-04-30".into();
    bad["accommodation_eur"] = "12.345".into();
    bad.as_object_mut().unwrap().remove("consent");
    let r = handle(&app, json_post(CLAIMS, bad.clone())).await;
    assert_eq!(r.status(), 422);
    let e = &body_json(&r)["errors"];
    assert_eq!(e["travel_start"], "Enter a real date, for example 15 March 2027.");
    assert_eq!(e["travel_end"], "For this meeting, come back between 13 March 2027 and 20 March 2027.");
    // Issue 18: "12.345" was "too precise"; it is now refused as ambiguous (12345 euros, or 12.345), naming the field.
    assert_eq!(
        e["accommodation_eur"],
        "Enter the cost of accommodation without a dot or comma between the thousands (1234), or with two decimals (1,23): a dot or comma followed by three digits could be read either way."
    );
    assert!(e["consent"].is_string());
    let html = body_text(&handle(&app, form_from_json(CLAIMS, &bad)).await);
    let at = |id: &str| html.find(&format!("<li><a href=\"#{id}\">")).unwrap_or_else(|| panic!("{id} not in the summary: {html}"));
    assert!(
        at("travel_start") < at("travel_end") && at("travel_end") < at("accommodation_eur") && at("accommodation_eur") < at("consent"),
        "in the order of the form"
    );
    assert!(html.contains("<title>Error: Travel claim form | City Coordinators Group</title>"), "{html}");
    assert!(
        html.contains(
            "<input id=\"event\" name=\"event\" type=\"radio\" value=\"e1\" required data-travel-from=\"2027-03-13\" data-travel-until=\"2027-03-20\" checked>"
        ),
        "{html}"
    );
    assert!(html.contains("value=\"2027-04-30\"") && html.contains("value=\"tomorrow\""), "what was typed stays");
    assert!(html.contains("<script src=\"/forms.js\" defer></script>"));
    // A meeting that takes no claims, or none chosen, is a mistake of its field; the dates wait for a meeting.
    for (event, msg) in [("virtual", "does not take travel claims"), ("nope", "Choose a meeting from the list."), ("", "Choose the meeting you travel to.")] {
        let e = body_json(&handle(&app, json_post(CLAIMS, claim(event, "100"))).await)["errors"].clone();
        assert!(e["event"].as_str().unwrap().contains(msg), "{event}: {e}");
        assert!(e.get("travel_start").is_none(), "{e}");
    }
    let mut late = options();
    late.today = Some(jiff::civil::Date::constant(2029, 1, 1));
    let late = app_with(sqlite_store("late"), catalogue(), late);
    let e = body_json(&handle(&late, json_post(CLAIMS, claim("e1", "100"))).await)["errors"].clone();
    assert_eq!(e["event"], "This meeting does not take claims at the moment: choose one from the list.");
    assert!(mails_to(&app, "ana@valladolid.es").is_empty(), "a mistake sends nothing");
}

#[tokio::test]
async fn amounts_as_people_write_them_in_europe() {
    let app = sqlite_app();
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let mut c = claim("e1", "312,40 €");
    c["accommodation_eur"] = "EUR 1.200,50".into();
    let r = handle(&app, form_from_json(CLAIMS, &c)).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    let r = handle(&app, confirm_post(Form::TravelClaims, &token, true)).await;
    let b = body_json(&r);
    assert_eq!(r.status(), 200, "{b}");
    // Costs of 1512.90 EUR: the contribution is the per-trip limit.
    let claims = app.forms.store.list_claims().await.unwrap();
    assert_eq!((claims[0].transport.0, claims[0].accommodation.0, claims[0].amount.0), (31240, 120050, 45000));
}

#[tokio::test]
async fn who_may_claim_for_which_city_is_told_only_by_email() {
    let app = sqlite_app();
    let answer = handle(&app, json_post(CLAIMS, claim("e1", "100"))).await;
    assert_eq!(answer.status(), 202);
    assert!(mails_to(&app, "ana@valladolid.es").last().unwrap().subject.contains("join the group first"));
    // An approved representative of a city that is only an observer in the SCC projects.
    representative(&app, "ana@valladolid.es", "Tianjin", "CN").await;
    let r = handle(&app, json_post(CLAIMS, claim("e1", "100"))).await;
    assert_eq!((r.status(), r.body()), (answer.status(), answer.body()), "the same answer");
    let mail = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    assert!(mail.subject.contains("your city does not qualify") && mail.text.contains("Tianjin"), "{}", mail.text);
    assert!(app.forms.store.list_pending(0).await.unwrap().is_empty(), "nothing kept");
}

#[tokio::test]
async fn drafts_only_when_the_app_accepts_them() {
    // The preview: catalogue with drafts, drafts accepted.
    let preview = app_with(sqlite_store("drafts"), catalogue_with(2, None, true), Options { accept_drafts: true, ..options() });
    assert_eq!(handle(&preview, json_post(CLAIMS, claim("draft", "100"))).await.status(), 202);
    // A deployed function: the embedded catalogue never has drafts.
    let deployed = app(sqlite_store("drafts"), ccg_functions::embedded::catalogue().unwrap());
    let mut c = claim("example-2027-03-co-creation", "100");
    c["travel_start"] = "2027-03-16".into();
    c["travel_end"] = "2027-03-17".into();
    let r = handle(&deployed, json_post(CLAIMS, c)).await;
    assert_eq!(r.status(), 422);
    assert!(body_json(&r)["errors"]["event"].is_string());
}

#[tokio::test]
async fn honeypot_looks_accepted_and_stores_nothing() {
    let app = sqlite_app();
    let real = handle(&app, json_post(CLAIMS, claim("e1", "100"))).await;
    let mut spam = claim("e1", "100");
    spam["website"] = "x".into();
    spam["email"] = "bot@spam.example".into();
    let r = handle(&app, json_post(CLAIMS, spam.clone())).await;
    assert_eq!((r.status(), r.body()), (real.status(), real.body()));
    let r = handle(&app, form_from_json(CLAIMS, &spam)).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "https://ccg.example.eu/financial-support/thanks/"));
    assert!(mails_to(&app, "bot@spam.example").is_empty());
}

#[tokio::test]
async fn posts_from_other_sites_are_refused() {
    let app = sqlite_app();
    let with = |name: &str, value: &str| {
        let mut r = form_from_json(REG, &registration("ana@valladolid.es"));
        r.headers_mut().insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        r
    };
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("origin", "https://ccg.example.eu.evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("referer", "https://evil.example/page"),
    ] {
        let r = handle(&app, with(name, value)).await;
        assert_eq!(r.status(), 403, "{name}: {value}");
        assert!(body_text(&r).contains("only accepts submissions from the City Coordinators Group"), "{}", body_text(&r));
    }
    let mut j = json_post(CLAIMS, claim("e1", "100"));
    j.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let r = handle(&app, j).await;
    assert_eq!(r.status(), 403);
    assert!(body_json(&r)["error"].is_string());
    // The confirmation button and the resend form are posts too.
    let mut c = confirm_post(ccg_functions::Form::Register, "x", false);
    c.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(handle(&app, c).await.status(), 403);
    assert!(mails_to(&app, "ana@valladolid.es").is_empty(), "nothing was taken");
    assert!(app.forms.store.list_pending(jiff::Timestamp::now().as_second()).await.unwrap().is_empty());

    // The site itself, a browser's own navigation, and programs without these headers are fine.
    for (name, value) in [("origin", ORIGIN), ("sec-fetch-site", "same-origin"), ("sec-fetch-site", "none"), ("referer", "https://ccg.example.eu/join/")] {
        assert_eq!(handle(&app, with(name, value)).await.status(), 303, "{name}: {value}");
    }
    // A page of our own under a strict referrer policy posts with `Origin: null`; its Sec-Fetch-Site tells.
    let mut own = with("origin", "null");
    own.headers_mut().insert("sec-fetch-site", "same-origin".parse().unwrap());
    assert_eq!(handle(&app, own).await.status(), 303);
    let mut sandboxed = with("origin", "null");
    sandboxed.headers_mut().insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(handle(&app, sandboxed).await.status(), 403);
    assert_eq!(handle(&app, form_from_json(REG, &registration("ana@valladolid.es"))).await.status(), 303);
}

#[tokio::test]
async fn an_email_that_cannot_be_sent_loses_nothing() {
    let app = sqlite_app();
    let outbox = outbox_of(&app);
    std::fs::create_dir_all(&outbox).unwrap();
    std::fs::write(outbox.join("FAIL"), "").unwrap();
    let r = handle(&app, form_from_json(REG, &registration("ana@valladolid.es"))).await;
    assert_eq!(r.status(), 503);
    let html = body_text(&r);
    assert!(html.contains("could not be sent") && html.contains("Send the link again"), "{html}");
    assert!(html.contains("value=\"ana@valladolid.es\"") && html.contains("action=\"/api/register/resend\""), "{html}");
    let r = handle(&app, json_post(REG, registration("bob@valladolid.es"))).await;
    assert_eq!((r.status().as_u16(), body_json(&r)["resend"].as_str()), (503, Some("/api/register/resend")));
    let now = jiff::Timestamp::now().as_second();
    assert_eq!(app.forms.store.list_pending(now).await.unwrap().len(), 2, "both submissions are kept");
    // Mail works again: the link is asked for again, and it confirms.
    std::fs::remove_file(outbox.join("FAIL")).unwrap();
    assert_eq!(handle(&app, form_post("/api/register/resend", &[("email", "ana@valladolid.es")])).await.status(), 303);
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(ccg_functions::Form::Register, &token, true)).await.status(), 200);
    // Asking again with something that is not an address: that small form again, with its message.
    let r = handle(&app, form_post("/api/register/resend", &[("email", "ana@")])).await;
    let html = body_text(&r);
    assert_eq!(r.status(), 422);
    assert!(html.contains("<title>Error: Send the link again | City Coordinators Group</title>") && html.contains("id=\"resend-email-error\""), "{html}");
    assert!(html.contains("value=\"ana@\"") && !html.contains("id=\"organisation\""), "the resend form, not the join form: {html}");
    // A resend without a valid address names the field.
    let r = handle(&app, json_post("/api/register/resend", serde_json::json!({"email": "nope"}))).await;
    assert_eq!(r.status(), 422);
    assert!(body_json(&r)["errors"]["email"].is_string());
    // Judged as sent, like the forms: a line separator after the address is not trimmed away.
    let r = handle(&app, json_post("/api/register/resend", serde_json::json!({"email": "ana@valladolid.es\u{2028}"}))).await;
    assert_eq!(r.status(), 422, "{}", body_text(&r));
    assert!(body_json(&r)["errors"]["email"].is_string());
}

fn request(method: &str, path: &str, ct: Option<&str>, body: impl Into<Bytes>) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(path);
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    b.body(body.into()).unwrap()
}

#[tokio::test]
async fn transport_errors_are_clear_4xx() {
    let app = sqlite_app();
    let form = Some("application/x-www-form-urlencoded");
    let json = Some("application/json");
    // Unknown methods: 405 with Allow.
    for m in ["GET", "PUT", "DELETE", "HEAD", "PATCH"] {
        let r = handle(&app, request(m, REG, None, "")).await;
        assert_eq!(r.status(), 405, "{m}");
        assert_eq!(r.headers()["allow"], "POST, OPTIONS");
    }
    let r = handle(&app, request("PUT", "/api/register/confirm", None, "")).await;
    assert_eq!((r.status().as_u16(), r.headers()["allow"].to_str().unwrap()), (405, "GET, HEAD, POST, OPTIONS"));
    assert_eq!(handle(&app, request("GET", "/api/register/confirm", None, "")).await.status(), 410, "no token: no such link");
    // Unknown path, and a Lambda that serves the other form.
    assert_eq!(handle(&app, request("POST", "/api/nothing", form, "")).await.status(), 404);
    let mut only = common::app(sqlite_store("only"), catalogue());
    only.settings.serves = ccg_functions::Serves::Form(Form::Register);
    assert_eq!(handle(&only, json_post(CLAIMS, claim("e1", "1"))).await.status(), 404);
    assert_eq!(handle(&only, json_post("/api/travel-claims/confirm", serde_json::json!({"token": "x"}))).await.status(), 404);
    assert_eq!(handle(&only, json_post("/register", registration("a@b.eu"))).await.status(), 202);
    // Too large: 413, in the body type asked for.
    let big = format!("name={}", "a".repeat(16 * 1024));
    let r = handle(&app, request("POST", REG, form, big.clone())).await;
    assert_eq!(r.status(), 413);
    assert!(body_text(&r).contains("16 KiB"));
    let r = handle(&app, request("POST", REG, json, format!("{{\"name\":\"{}\"}}", "a".repeat(17000)))).await;
    assert_eq!(r.status(), 413);
    assert!(body_json(&r)["error"].as_str().unwrap().contains("16 KiB"));
    // Other content types: 415.
    for ct in [None, Some("text/plain"), Some("multipart/form-data; boundary=x"), Some("application/json; charset=iso-8859-1")] {
        assert_eq!(handle(&app, request("POST", REG, ct, "a=b")).await.status(), 415, "{ct:?}");
    }
    // Invalid UTF-8 and malformed bodies: 400.
    for (ct, body) in [
        (form, &b"name=\xff\xfe"[..]),
        (form, b"name=%C3%28"),
        (form, b"name=%zz"),
        (json, b"{\"name\":\"\xc3\x28\"}"),
        (json, b"{\"name\":"),
        (json, b"[\"name\"]"),
        (json, b"{\"name\":[1]}"),
    ] {
        let r = handle(&app, request("POST", REG, ct, Bytes::copy_from_slice(body))).await;
        assert_eq!(r.status(), 400, "{:?}", String::from_utf8_lossy(body));
    }
    let r = handle(&app, request("POST", REG, json, &b"{\"a\":\"\xff\"}"[..])).await;
    assert!(body_json(&r)["error"].as_str().unwrap().contains("UTF-8"));
    // A bad Idempotency-Key: 400.
    let mut r = json_post(REG, registration("a@b.eu"));
    r.headers_mut().insert("idempotency-key", "".parse().unwrap());
    assert_eq!(handle(&app, r).await.status(), 400);
    assert!(mails_to(&app, "a@b.eu").is_empty());
}

#[tokio::test]
async fn cors_allows_only_the_site() {
    let app = sqlite_app();
    let preflight = |origin: &str| {
        http::Request::builder()
            .method("OPTIONS")
            .uri(CLAIMS)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type, idempotency-key")
            .body(Bytes::new())
            .unwrap()
    };
    let r = handle(&app, preflight(ORIGIN)).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(r.headers()["access-control-allow-methods"], "POST, OPTIONS");
    assert!(r.headers()["access-control-allow-headers"].to_str().unwrap().contains("Idempotency-Key"));
    assert_eq!(r.headers()["vary"], "Origin");
    let r = handle(&app, preflight("https://evil.example")).await;
    assert_eq!(r.status(), 204);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(r.headers().get("access-control-allow-methods").is_none());

    let mut post = json_post(REG, registration("a@b.eu"));
    post.headers_mut().insert("origin", ORIGIN.parse().unwrap());
    assert_eq!(handle(&app, post).await.headers()["access-control-allow-origin"], ORIGIN);
    let mut post = json_post(REG, registration("a@b.eu"));
    post.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    assert!(handle(&app, post).await.headers().get("access-control-allow-origin").is_none());
    // Errors carry CORS too, so the page's script can read them.
    let mut bad = request("POST", REG, Some("text/plain"), "x");
    bad.headers_mut().insert("origin", ORIGIN.parse().unwrap());
    assert_eq!(handle(&app, bad).await.headers()["access-control-allow-origin"], ORIGIN);

    // The preview allows its own origin, whatever the port.
    let mut preview = common::app(sqlite_store("cors"), catalogue());
    preview.settings.allow_same_origin = true;
    let mut own = preflight("http://127.0.0.1:1111");
    own.headers_mut().insert("host", "127.0.0.1:1111".parse().unwrap());
    assert_eq!(handle(&preview, own).await.headers()["access-control-allow-origin"], "http://127.0.0.1:1111");
    let mut other = preflight("http://127.0.0.1:9999");
    other.headers_mut().insert("host", "127.0.0.1:1111".parse().unwrap());
    assert!(handle(&preview, other).await.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn idempotency_key_reused_for_a_form_is_a_page() {
    let app = sqlite_app();
    let keyed = |v: &serde_json::Value| {
        let mut r = form_from_json(REG, v);
        r.headers_mut().insert("idempotency-key", "same".parse().unwrap());
        r
    };
    assert_eq!(handle(&app, keyed(&registration("a@b.eu"))).await.status(), 303);
    let r = handle(&app, keyed(&registration("c@d.eu"))).await;
    assert_eq!(r.status(), 422);
    assert!(body_text(&r).contains("already used for a different request"));
}

// ------------------------------------------------------------ stores down or slow

async fn expect_503<S: Store>(app: &App<S>, limit: Duration) {
    for (path, body) in [(REG, registration("a@b.eu")), (CLAIMS, claim("e1", "100"))] {
        let t = Instant::now();
        let r = handle(app, json_post(path, body.clone())).await;
        assert_eq!(r.status(), 503, "{path}: {}", body_text(&r));
        assert!(t.elapsed() < limit, "{path}: answered after {:?}", t.elapsed());
        let msg = body_json(&r)["error"].as_str().unwrap().to_string();
        assert!(msg.contains("unavailable") && msg.contains("try again"), "{msg}");
        let r = handle(app, form_from_json(path, &body)).await;
        assert_eq!(r.status(), 503);
        assert!(body_text(&r).contains("<h1>The form could not be sent</h1>"));
    }
}

#[tokio::test]
async fn sqlite_locked_by_another_writer_is_503_and_stores_nothing() {
    let path = temp_dir("locked").join("forms.sqlite3");
    let store = SqliteStore::open_with(&path, Duration::from_millis(300)).unwrap().with_person_key(person_key());
    let app = app_with(store, catalogue(), Options { store_timeout: Duration::from_secs(2), ..options() });
    // A representative, so that the claim has something to write (readers are not blocked in WAL mode).
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    expect_503(&app, Duration::from_secs(2)).await;
    // An idempotent request that failed can be retried once the store is back.
    let keyed = || {
        let mut r = json_post(REG, registration("cleo@valladolid.es"));
        r.headers_mut().insert("idempotency-key", "retry-me".parse().unwrap());
        r
    };
    assert_eq!(handle(&app, keyed()).await.status(), 503);
    other.execute_batch("ROLLBACK").unwrap();
    assert!(app.forms.store.list_pending(jiff::Timestamp::now().as_second()).await.unwrap().is_empty(), "nothing half-stored");
    assert!(mails_to(&app, "cleo@valladolid.es").is_empty(), "no email for what was not kept");
    assert_eq!(handle(&app, keyed()).await.status(), 202, "the retry is processed once the lock is gone");
    assert_eq!(mails_to(&app, "cleo@valladolid.es").len(), 1);
}

#[test]
fn sqlite_that_cannot_be_opened_is_unavailable() {
    let e = SqliteStore::open(std::path::Path::new("/proc/no-such-dir/forms.sqlite3")).err().unwrap();
    assert!(matches!(e, ccg_functions::StoreError::Unavailable(_)), "{e:?}");
}

#[tokio::test]
async fn dynamodb_down_is_503() {
    let closed = free_port();
    let store = DynamoStore::new(client_for(&format!("http://127.0.0.1:{closed}")), "ccg");
    let app = app(store, catalogue());
    expect_503(&app, Duration::from_secs(4)).await;
}

#[tokio::test]
async fn dynamodb_slow_is_503_within_the_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let store = DynamoStore::new(client_for(&format!("http://127.0.0.1:{port}")), "ccg");
    let app = app_with(store, catalogue(), Options { store_timeout: Duration::from_millis(700), ..options() });
    expect_503(&app, Duration::from_millis(1500)).await;
}

/// The leave link is the same address whichever function a request reaches:
/// a Lambda that serves one form still answers `/api/leave` (never with 404,
/// which the CDN would replace), and its page and button post to the site.
#[tokio::test]
async fn every_function_serves_the_leave_link() {
    for only in [Form::Register, Form::TravelClaims] {
        let forms = sqlite_app().forms;
        let app = App::new(forms, ccg_functions::Settings { serves: ccg_functions::Serves::Form(only), ..settings() });
        let gone = handle(&app, request("GET", "/api/leave?token=lv_x.y", None, "")).await;
        assert_eq!(gone.status(), 410, "{only:?}");
        // A leave page has its own title and marks no page of the menu (not "Home", not "Join").
        let html = body_text(&gone);
        assert!(html.contains("<title>This link no longer works | City Coordinators Group</title>") && !html.contains("aria-current"), "{html}");
        assert!(html.contains("Scalable Cities Secretariat") && !html.contains("lv_x.y"), "{html}");
        let other = if only == Form::Register { "/api/travel-claims" } else { "/api/register" };
        assert_eq!(handle(&app, json_post(other, registration("a@b.eu"))).await.status(), 404, "the other form is not served");
        let r = handle(&app, request("OPTIONS", "/api/leave", None, "")).await;
        assert_eq!((r.status().as_u16(), r.headers()["allow"].to_str().unwrap()), (204, "GET, HEAD, POST, OPTIONS"));
    }
}

/// A sent form's answer leaves no sooner than `answer_floor` after the
/// request arrived, whatever the store knew of the address (so timing tells
/// nothing); an answer that took longer is counted for the operators; the
/// pages a link opens are not held.
#[tokio::test]
async fn sent_forms_are_answered_no_sooner_than_the_floor() {
    use ccg_functions::metrics::Metric;
    let floor = Duration::from_millis(600);
    let app = app_with(sqlite_store("floor"), catalogue(), Options { answer_floor: floor, ..options() });
    for (path, body) in [(REG, registration("ana@valladolid.es")), (CLAIMS, claim("e1", "100")), (CLAIMS, claim("nope", "100"))] {
        let t = Instant::now();
        let r = handle(&app, json_post(path, body)).await;
        assert!(t.elapsed() >= floor, "{path} answered {} after {:?}", r.status(), t.elapsed());
    }
    assert_eq!(app.forms.metrics.get(Metric::AnswerFloorExceeded), 0);
    let t = Instant::now();
    let page = handle(&app, http::Request::get("/api/register/confirm?token=x.y").body(Bytes::new()).unwrap()).await;
    assert!(page.status().is_client_error() && t.elapsed() < floor, "a link's page is not a sent form");

    let tiny = app_with(sqlite_store("floor-tiny"), catalogue(), Options { answer_floor: Duration::from_nanos(1), ..options() });
    handle(&tiny, json_post(REG, registration("ana@valladolid.es"))).await;
    assert_eq!(tiny.forms.metrics.get(Metric::AnswerFloorExceeded), 1, "work that outlasts the floor is counted");
}

/// Every refusal is counted by its kind and every 5xx as an unexpected error
/// (`metrics`), where every answer passes: the handler.
#[tokio::test]
async fn refusals_and_unexpected_errors_are_counted_by_kind() {
    use ccg_functions::metrics::{Metric, Refused, Unexpected};
    use ccg_model::rules::Refusal;
    let app = app(sqlite_store("handler-metrics"), catalogue_with(10, Some(EURO_RULES), false));
    let mut bad = registration("ana@valladolid.es");
    bad["email"] = "not an address".into();
    assert_eq!(handle(&app, json_post(REG, bad)).await.status(), 422);
    let mut foreign = form_from_json(REG, &registration("ana@valladolid.es"));
    foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(handle(&app, foreign).await.status(), 403);
    assert_eq!(handle(&app, request("GET", "/api/register/confirm", None, "")).await.status(), 410);
    // A claim waiting for its link when its claimant is declined: refused by the rules, with its reason.
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "100"))).await.status(), 202);
    let waiting = last_token(&app, "ana@valladolid.es").unwrap();
    app.forms.decline("ana@valladolid.es", "test desk", None).await.unwrap();
    let r = handle(&app, confirm_post(Form::TravelClaims, &waiting, true)).await;
    assert_eq!((r.status().as_u16(), body_json(&r)["reason"].as_str()), (409, Some("not_representative")));
    let m = &app.forms.metrics;
    for r in [Refused::Invalid, Refused::Forbidden, Refused::Gone, Refused::Claim(Refusal::NotRepresentative)] {
        assert_eq!(m.get(Metric::Refused(r)), 1, "{r:?}");
    }
    assert_eq!((m.total("Refused"), m.total("UnexpectedError")), (4, 0), "a 409 with its reason is counted once, by it");

    let down = app_with(DynamoStore::new(client_for(&format!("http://127.0.0.1:{}", free_port())), "ccg"), catalogue(), options());
    assert_eq!(handle(&down, json_post(REG, registration("a@b.eu"))).await.status(), 503);
    assert_eq!(down.forms.metrics.get(Metric::UnexpectedError(Unexpected::StoreUnavailable)), 1);
    assert_eq!(down.forms.metrics.total("Refused"), 0);
}
