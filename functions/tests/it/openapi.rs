//! openapi.yaml stays true: every status the handler can give is documented
//! for its path, and the statuses seen on real requests are among them.

use crate::common::*;
use bytes::Bytes;
use ccg_functions::{Options, SqliteStore, handle};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

fn spec() -> Value {
    let text = std::fs::read_to_string(workspace().join("openapi.yaml")).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

/// Statuses documented for `path` (all its operations), `$ref`s followed.
fn documented(spec: &Value, path: &str, method: &str) -> BTreeSet<u16> {
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not in openapi.yaml");
    op["responses"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect()
}

/// `v`, or what its `$ref` points at.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r.trim_start_matches("#/").split('/').fold(spec, |at, part| &at[part]),
        None => v,
    }
}

fn check_refs(v: &Value, spec: &Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let mut at = spec;
                for part in r.trim_start_matches("#/").split('/') {
                    at = &at[part];
                }
                assert!(!at.is_null(), "dangling $ref {r}");
            }
            m.values().for_each(|x| check_refs(x, spec));
        }
        Value::Array(a) => a.iter().for_each(|x| check_refs(x, spec)),
        _ => {}
    }
}

const PATHS: [&str; 11] = [
    "/register",
    "/register/resend",
    "/register/confirm",
    "/travel-claims",
    "/travel-claims/resend",
    "/travel-claims/confirm",
    "/travel-claims/withdraw",
    "/travel-claims/documents",
    "/leave",
    "/invitations/answer",
    "/invitations/unsubscribe",
];

#[test]
fn every_status_the_handler_can_give_is_documented() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    check_refs(&spec, &spec);
    let mut all = BTreeSet::new();
    for path in PATHS {
        for method in ["post", "options"] {
            all.extend(documented(&spec, path, method));
        }
        let body = resolve(&spec, &spec["paths"][path]["post"]["requestBody"]);
        for ct in ["application/x-www-form-urlencoded", "application/json"] {
            assert!(body["content"][ct].is_object(), "{path} {ct}");
        }
    }
    for path in ["/register/confirm", "/travel-claims/confirm", "/leave", "/invitations/answer", "/invitations/unsubscribe"] {
        all.extend(documented(&spec, path, "get"));
    }
    for s in ccg_functions::http::STATUSES {
        assert!(all.contains(s), "status {s} is not in openapi.yaml");
    }
    for s in &all {
        assert!(ccg_functions::http::STATUSES.contains(s), "openapi.yaml documents {s}, which the handler never gives");
    }
    let refusals: Vec<&str> =
        spec["components"]["schemas"]["Refusal"]["properties"]["reason"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    use ccg_model::Refusal::*;
    // What a confirmation can refuse; the rest of the rules are field errors or told by email.
    for r in [OverYearlyTrips, OverYearlyAmount, AlreadyClaimed, NotRepresentative, MeetingClosed] {
        assert!(refusals.contains(&r.code()), "reason {} is not in openapi.yaml", r.code());
    }
    for r in [CityNotEligible, EventNotEligible, ClaimsNotOpen] {
        assert!(!refusals.contains(&r.code()), "openapi.yaml documents {}, which the handler never gives", r.code());
    }
}

/// An answer as its operation documents it: a content type listed for its
/// status (none for a body-less answer), every required header, and the
/// `Cache-Control: no-store` every answer carries.
fn conforms(spec: &Value, path: &str, method: &str, resp: &http::Response<Bytes>) {
    let status = resp.status().as_u16().to_string();
    let doc = resolve(spec, &spec["paths"][path][method]["responses"][&status]);
    let what = format!("{method} {path} {status}");
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().split(';').next().unwrap().trim().to_string());
    match (&ct, doc["content"].as_object()) {
        (Some(ct), Some(types)) => assert!(types.contains_key(ct), "{what}: {ct} is not documented ({:?})", types.keys().collect::<Vec<_>>()),
        (Some(ct), None) => assert!(resp.body().is_empty(), "{what}: a {ct} body, and openapi.yaml documents none"),
        (None, _) => assert!(resp.body().is_empty(), "{what}: a body without a content type"),
    }
    if let Some(headers) = doc["headers"].as_object() {
        for (name, h) in headers {
            if resolve(spec, h)["required"] == true {
                assert!(resp.headers().contains_key(name.as_str()), "{what}: no {name}");
            }
        }
    }
    assert_eq!(resp.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{what}: Cache-Control");
}

/// The signed-in pages' operations that take or give JSON (the rest are pages).
const SIGNED_IN_PATHS: [&str; 5] = ["/sign-in/", "/sign-in/passkey/options", "/sign-in/passkey", "/account/passkeys/options", "/account/passkeys"];

#[test]
fn the_signed_in_pages_json_answers_as_documented() {
    let spec = spec();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let app = app(sqlite_store("openapi-signed-in"), catalogue());
    let post = |path: &str, body: &str, cookie: Option<&str>| {
        let mut r = http::Request::post(path).header("content-type", "application/json").header("accept", "application/json");
        if let Some(c) = cookie {
            r = r.header("cookie", format!("__Host-ccg_session={c}"));
        }
        r.body(Bytes::from(body.to_string())).unwrap()
    };
    let mut seen = BTreeSet::new();
    let mut answer = |path: &str, body: &str, cookie: Option<&str>, expect: u16| -> http::Response<Bytes> {
        let resp = rt.block_on(handle(&app, post(path, body, cookie)));
        assert_eq!(resp.status().as_u16(), expect, "POST {path} {body}: {}", body_text(&resp));
        assert!(documented(&spec, path, "post").contains(&expect), "POST {path}: {expect} is not documented");
        conforms(&spec, path, "post", &resp);
        seen.insert(path.to_string());
        resp
    };
    answer("/sign-in/", r#"{"email": "nobody@example.eu"}"#, None, 202);
    answer("/sign-in/", r#"{"email": "not an address"}"#, None, 422);
    answer("/sign-in/", "[1]", None, 400);
    let options = body_json(&answer("/sign-in/passkey/options", "{}", None, 200));
    // At least 16 random bytes (22 base64url characters), as WebAuthn asks.
    assert!(options["challenge"].as_str().is_some_and(|c| c.len() >= 22), "{options}");
    answer("/sign-in/passkey", r#"{"id": "x"}"#, None, 403);
    answer("/account/passkeys/options", "{}", None, 401);
    answer("/account/passkeys", "{}", Some(&"A".repeat(43)), 401);
    let mut every = SIGNED_IN_PATHS.map(String::from).to_vec();
    every.sort();
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), every);
}

#[test]
fn every_path_and_method_of_the_handler_is_in_the_spec() {
    let spec = spec();
    // The forms' paths are under the API base; the signed-in pages' JSON is documented under the site's root.
    let (site, forms): (BTreeSet<&str>, BTreeSet<&str>) =
        spec["paths"].as_object().unwrap().keys().map(String::as_str).partition(|p| spec["paths"][*p]["servers"][0]["url"] == "/");
    assert_eq!(forms, PATHS.into_iter().collect(), "openapi.yaml's paths under /api");
    assert_eq!(site, SIGNED_IN_PATHS.into_iter().collect(), "openapi.yaml's paths of the signed-in pages");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let app = app(sqlite_store("openapi-methods"), catalogue());
    for path in PATHS {
        let resp = rt.block_on(handle(&app, req("OPTIONS", &format!("/api{path}"), None, b"")));
        let allow: BTreeSet<String> =
            resp.headers()["allow"].to_str().unwrap().split(',').map(|m| m.trim().to_ascii_lowercase()).filter(|m| m != "head").collect();
        let documented: BTreeSet<String> = spec["paths"][path].as_object().unwrap().keys().cloned().collect();
        assert_eq!(allow, documented, "{path}: the methods the handler allows and the ones openapi.yaml documents");
    }
}

fn req(method: &str, path: &str, ct: Option<&str>, body: &[u8]) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(path);
    if let Some(ct) = ct {
        b = b.header("content-type", ct);
    }
    b.body(Bytes::copy_from_slice(body)).unwrap()
}

#[tokio::test]
async fn statuses_seen_on_real_requests_are_documented() {
    let spec = spec();
    let path = temp_dir("openapi").join("forms.sqlite3");
    let store = SqliteStore::open_with(&path, Duration::from_millis(200)).unwrap().with_person_key(person_key());
    let app = app_with(store, catalogue(), Options { store_timeout: Duration::from_secs(1), ..options() });
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let json = Some("application/json");
    let mut seen = BTreeSet::new();
    let mut check = |doc_path: &str, method: &str, resp: &http::Response<Bytes>| {
        let got = resp.status().as_u16();
        seen.insert(got);
        let doc = match method {
            "options" => "options",
            "get" | "head" if doc_path.ends_with("/confirm") || doc_path == "/leave" || doc_path.starts_with("/invitations/") => "get",
            _ => "post",
        };
        assert!(documented(&spec, doc_path, doc).contains(&got), "{method} {doc_path} gave {got}, not documented");
        conforms(&spec, doc_path, doc, resp);
    };
    for (form, good) in [("register", registration("a@b.eu")), ("travel-claims", claim("e1", "100"))] {
        for (suffix, body) in
            [("", good.clone()), ("/resend", serde_json::json!({"email": "ana@valladolid.es"})), ("/confirm", serde_json::json!({"token": "x"}))]
        {
            let api_path = format!("/api/{form}{suffix}");
            let doc_path = format!("/{form}{suffix}");
            let mut foreign = json_post(&api_path, body.clone());
            foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
            let requests = vec![
                json_post(&api_path, body.clone()),
                form_from_json(&api_path, &body),
                json_post(&api_path, serde_json::json!({"email": 1})),
                req("GET", &api_path, None, b""),
                req("PUT", &api_path, None, b""),
                req("OPTIONS", &api_path, None, b""),
                req("POST", &api_path, Some("text/plain"), b"x"),
                req("POST", &api_path, json, &vec![b' '; 17 * 1024]),
                req("POST", &api_path, json, b"{"),
                foreign,
            ];
            for r in requests {
                let method = r.method().as_str().to_ascii_lowercase();
                check(&doc_path, &method, &handle(&app, r).await);
            }
        }
    }
    // A claim over the per-trip limit, a confirmation page, a counted claim and a refused one.
    check("/travel-claims", "post", &handle(&app, json_post("/api/travel-claims", claim("e1", "451"))).await);
    for event in ["e1", "e2", "e3"] {
        assert_eq!(handle(&app, json_post("/api/travel-claims", claim(event, "100"))).await.status(), 202);
        let token = last_token(&app, "ana@valladolid.es").unwrap();
        let page = handle(&app, req("GET", &format!("/api/travel-claims/confirm?token={token}"), None, b"")).await;
        check("/travel-claims/confirm", "get", &page);
        let done = handle(&app, confirm_post(ccg_functions::Form::TravelClaims, &token, true)).await;
        check("/travel-claims/confirm", "post", &done);
    }
    // The leave link of a contact's email: its page, a wrong token, anything else, then leaving (and the link gone).
    let leave = mails_to(&app, "ana@valladolid.es").iter().rev().find_map(|m| leave_token_in(&m.text)).expect("a leave link");
    let mut foreign = form_post("/api/leave", &[("token", &leave)]);
    foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    for r in [
        req("GET", &format!("/api/leave?token={leave}"), None, b""),
        req("GET", "/api/leave?token=lv_x.y", None, b""),
        req("PUT", "/api/leave", None, b""),
        req("OPTIONS", "/api/leave", None, b""),
        req("POST", "/api/leave", Some("text/plain"), b"x"),
        req("POST", "/api/leave", json, &vec![b' '; 17 * 1024]),
        req("POST", "/api/leave", json, b"{"),
        foreign,
        form_post("/api/leave", &[("token", &leave)]),
        form_post("/api/leave", &[("token", &leave)]),
    ] {
        let method = r.method().as_str().to_ascii_lowercase();
        check("/leave", &method, &handle(&app, r).await);
    }
    // The invitations' links, with tokens that are not ours: their pages, a forged answer, anything else.
    for doc in ["/invitations/answer", "/invitations/unsubscribe"] {
        let api = format!("/api{doc}");
        let mut foreign = form_post(&api, &[("token", "inv_x.y")]);
        foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
        for r in [
            req("GET", &format!("{api}?token=inv_x.y&answer=attend"), None, b""),
            req("PUT", &api, None, b""),
            req("OPTIONS", &api, None, b""),
            req("POST", &api, Some("text/plain"), b"x"),
            req("POST", &api, json, &vec![b' '; 17 * 1024]),
            req("POST", &api, json, b"{"),
            foreign,
            form_post(&api, &[("token", "inv_00000000000000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ("answer", "attend")]),
        ] {
            let method = r.method().as_str().to_ascii_lowercase();
            check(doc, &method, &handle(&app, r).await);
        }
    }
    // A reused idempotency key, and a store that is locked.
    let keyed = |email: &str| {
        let mut r = json_post("/api/register", registration(email));
        r.headers_mut().insert("idempotency-key", "k".parse().unwrap());
        r
    };
    check("/register", "post", &handle(&app, keyed("k1@b.eu")).await);
    check("/register", "post", &handle(&app, keyed("k2@b.eu")).await);
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    check("/register", "post", &handle(&app, json_post("/api/register", registration("x@y.eu"))).await);
    other.execute_batch("ROLLBACK").unwrap();
    check("/register", "post", &handle(&app, req("POST", "/api/nothing", json, b"{}")).await);
    for s in [200, 202, 204, 303, 400, 403, 405, 409, 410, 413, 415, 422, 503] {
        assert!(seen.contains(&s), "no request produced {s}: {seen:?}");
    }
}

/// `maxlength` of each named `<input>` of a form partial.
fn maxlengths(partial: &str) -> std::collections::BTreeMap<String, usize> {
    let html = std::fs::read_to_string(workspace().join("templates/partials").join(partial)).unwrap();
    let attr = |tag: &str, name: &str| {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            Some((attr(tag, "name")?, attr(tag, "maxlength")?.parse().ok()?))
        })
        .collect()
}

#[test]
fn text_rules_are_one_definition_in_spec_validators_and_templates() {
    use ccg_functions::text::{MAX_EMAIL, MAX_TEXT, single_line_pattern};
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    assert_eq!(schemas["Text"]["maxLength"], MAX_TEXT as u64);
    assert_eq!(schemas["Text"]["minLength"], 1);
    assert_eq!(schemas["Text"]["pattern"].as_str(), Some(single_line_pattern().as_str()), "openapi.yaml's Text pattern");
    assert_eq!(schemas["Email"]["maxLength"], MAX_EMAIL as u64);
    for field in ["name", "city", "organisation", "position"] {
        assert_eq!(schemas["Registration"]["properties"][field]["$ref"], "#/components/schemas/Text", "{field}");
    }
    for schema in ["Registration", "Claim", "Resend"] {
        assert_eq!(schemas[schema]["properties"]["email"]["$ref"], "#/components/schemas/Email", "{schema}");
    }
    let join = maxlengths("join-form.html");
    for field in ["name", "city", "organisation", "position"] {
        assert_eq!(join.get(field), Some(&MAX_TEXT), "join-form.html {field} maxlength");
    }
    assert_eq!(join.get("email"), Some(&MAX_EMAIL), "join-form.html email maxlength");
    assert_eq!(maxlengths("claim-form.html").get("email"), Some(&MAX_EMAIL), "claim-form.html email maxlength");
}

#[test]
fn the_pattern_says_what_the_validators_do() {
    use ccg_functions::text::{is_single_line, single_line_pattern, visible};
    // The pattern in ECMA-262 syntax, read back by hand: `\uXXXX` ranges in classes.
    let pattern = single_line_pattern();
    let classes: Vec<Vec<(u32, u32)>> = pattern
        .split("[^")
        .skip(1)
        .map(|c| {
            let body = &c[..c.find(']').unwrap()];
            let cps: Vec<u32> = body.split("\\u").skip(1).map(|h| u32::from_str_radix(&h[..4], 16).unwrap()).collect();
            let mut ranges = Vec::new();
            let mut i = 0;
            // Pairs: a code point followed by `-` starts a range.
            let parts: Vec<&str> = body.split("\\u").skip(1).collect();
            while i < parts.len() {
                let lo = cps[i];
                if parts[i].ends_with('-') {
                    ranges.push((lo, cps[i + 1]));
                    i += 2;
                } else {
                    ranges.push((lo, lo));
                    i += 1;
                }
            }
            ranges
        })
        .collect();
    assert_eq!(classes.len(), 3);
    let in_class = |c: char, k: usize| classes[k].iter().any(|&(lo, hi)| (lo..=hi).contains(&(c as u32)));
    for cp in (0..=0xFFFFu32).filter_map(char::from_u32) {
        let s = cp.to_string();
        assert_eq!(!in_class(cp, 0), is_single_line(&s), "U+{:04X} line break", cp as u32);
        assert_eq!(!in_class(cp, 1), visible(&s).is_some(), "U+{:04X} visible", cp as u32);
    }
}

#[tokio::test]
async fn findings_of_issue_12_at_the_http_level() {
    let store = sqlite_store("openapi-findings");
    let app = app(store, catalogue());
    // A form that asks for JSON and cannot be read gets JSON, like every other answer to it.
    for (body, field) in [(&b"name=a&name=b"[..], Some("name")), (b"a=%zz", None), (b"a=\xff", None)] {
        let r = req_with("POST", "/api/register", &[("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json")], body);
        let r = handle(&app, r).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.headers()["content-type"], "application/json");
        let msg = body_json(&r)["error"].as_str().unwrap().to_string();
        if let Some(f) = field {
            assert!(msg.contains(&format!("`{f}`")), "{msg}");
        }
    }
    // A repeated field: 400 naming it, in a form and in JSON alike, and nothing kept.
    let form = req_with("POST", "/api/register", &[("content-type", "application/x-www-form-urlencoded")], b"email=a%40b.eu&email=c%40d.eu");
    let r = handle(&app, form).await;
    assert_eq!(r.status(), 400);
    assert!(body_text(&r).contains("email"), "{}", body_text(&r));
    let json = req_with("POST", "/api/register", &[("content-type", "application/json")], br#"{"email":"a@b.eu","email":"c@d.eu"}"#);
    let r = handle(&app, json).await;
    assert_eq!(r.status(), 400);
    assert_eq!(body_json(&r)["error"], "Field `email` is sent more than once: send each field once.");
    // A 220-character address is taken; a name of only invisible characters is not.
    let long = format!("{}@{}.{}.{}.eu", "a".repeat(64), "b".repeat(63), "c".repeat(63), "d".repeat(24));
    let r = handle(&app, json_post("/api/register", registration(&long))).await;
    assert_eq!(r.status(), 202, "{}", body_text(&r));
    let mut blank = registration("x@y.eu");
    blank["name"] = "\u{200B}\u{2060}\u{FEFF}\u{3164}".into();
    blank["city"] = "Valladolid\u{2028}".into();
    let r = handle(&app, json_post("/api/register", blank)).await;
    assert_eq!(r.status(), 422);
    let errors = &body_json(&r)["errors"];
    assert_eq!(errors["name"], "Enter your full name.");
    assert_eq!(errors["city"], "Use a single line of text.");
    assert!(mails_to(&app, "x@y.eu").is_empty(), "nothing sent for a refused form");
}

fn req_with(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Bytes::copy_from_slice(body)).unwrap()
}
