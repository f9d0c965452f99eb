//! openapi.yaml stays true: every status the handler can give is documented
//! for its path, and the statuses seen on real requests are among them.

mod common;

use bytes::Bytes;
use ccg_functions::{App, Settings, SqliteStore, handle};
use common::*;
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

#[test]
fn every_status_the_handler_can_give_is_documented() {
    let spec = spec();
    assert_eq!(spec["openapi"], "3.1.0");
    check_refs(&spec, &spec);
    for path in ["/register", "/travel-claims"] {
        let mut all = documented(&spec, path, "post");
        all.extend(documented(&spec, path, "options"));
        for s in ccg_functions::http::STATUSES {
            assert!(all.contains(s), "status {s} of {path} is not in openapi.yaml");
        }
        for s in &all {
            assert!(ccg_functions::http::STATUSES.contains(s), "openapi.yaml documents {s} for {path}, which the handler never gives");
        }
        for ct in ["application/x-www-form-urlencoded", "application/json"] {
            assert!(spec["paths"][path]["post"]["requestBody"]["content"][ct].is_object(), "{path} {ct}");
        }
    }
    let refusals: Vec<&str> = spec["components"]["schemas"]["Refusal"]["properties"]["reason"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    use ccg_model::Refusal::*;
    for r in [CityNotEligible, EventNotEligible, OverPerTrip, OverYearlyTrips, OverYearlyAmount, AlreadyClaimed] {
        assert!(refusals.contains(&r.code()), "reason {} is not in openapi.yaml", r.code());
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
    let app = App::new(
        SqliteStore::open_with(&path, Duration::from_millis(200)).unwrap(),
        catalogue(),
        Settings { store_timeout: Duration::from_secs(1), log: false, ..Settings::default() },
    );
    let json = Some("application/json");
    let mut seen = BTreeSet::new();
    for (api_path, doc_path, good) in [("/api/register", "/register", registration("a@b.eu")), ("/api/travel-claims", "/travel-claims", claim("e1", "100"))] {
        let body = good.to_string();
        let requests = vec![
            json_post(api_path, good.clone()),
            form_from_json(api_path, &good),
            json_post(api_path, good.clone()),
            json_post(api_path, serde_json::json!({})),
            req("GET", api_path, None, b""),
            req("OPTIONS", api_path, None, b""),
            req("POST", api_path, Some("text/plain"), b"x"),
            req("POST", api_path, json, &vec![b' '; 17 * 1024]),
            req("POST", api_path, json, b"{"),
            req("POST", &format!("{api_path}/nothing"), json, body.as_bytes()),
        ];
        for r in requests {
            let method = r.method().as_str().to_ascii_lowercase();
            let got = handle(&app, r).await.status().as_u16();
            seen.insert(got);
            let doc = if method == "options" { "options" } else { "post" };
            let mut all = documented(&spec, doc_path, doc);
            if method == "get" {
                all = documented(&spec, doc_path, "post");
            }
            assert!(all.contains(&got), "{method} {api_path} gave {got}, not documented");
        }
    }
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let got = handle(&app, json_post("/api/register", registration("x@y.eu"))).await.status().as_u16();
    assert!(documented(&spec, "/register", "post").contains(&got));
    seen.insert(got);
    other.execute_batch("ROLLBACK").unwrap();
    for s in [201, 204, 303, 400, 404, 405, 409, 413, 415, 422, 503] {
        assert!(seen.contains(&s), "no request produced {s}: {seen:?}");
    }
}
