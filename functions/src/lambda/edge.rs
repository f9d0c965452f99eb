//! The edge every Lambda answers through: the origin check (CloudFront's
//! secret header, the second lock after the function URLs' IAM auth), the
//! whole request's deadline, and the content version header.

use crate::embedded;
use crate::http::{App, handle};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use std::time::Duration;

/// The header CloudFront adds to every request it sends to the functions
/// (`OriginCustomHeaders` in infra/template.yaml), in lowercase.
pub const ORIGIN_HEADER: &str = "x-ccg-origin-verify";
/// The variable holding the value of `ORIGIN_HEADER` the functions expect.
pub const ORIGIN_SECRET_VAR: &str = "CCG_ORIGIN_SECRET";
/// The value before a rotation, taken too while CloudFront's edges move to
/// the new one (infra/README.md, "Rotate the origin secret"); empty otherwise.
pub const ORIGIN_SECRET_PREVIOUS_VAR: &str = "CCG_ORIGIN_SECRET_PREVIOUS";
/// The response header naming the content version.
pub const VERSION_HEADER: &str = "x-content-version";

/// How long a whole request may take before the edge answers the designed
/// 503 with `Retry-After` itself, rather than let the platform end the
/// function (a bare 502 from the function URL, or CloudFront's 504).
///
/// The worst case of the calls a request makes, each with its own time-outs
/// and retries inside them: six store calls at 3 s (the forms' `store_timeout`,
/// above DynamoDB's 2.5 s operation timeout, `store::dynamo::timeouts`), one
/// email at 3 s (SES's operation timeout, `mail::ses::timeouts`) and one S3
/// call at 6 s (`files::s3::timeouts`): 6 x 3 + 3 + 6 = 27 s. The deadline
/// lies just above it (28 s), so every call that ends in its own time-out
/// still gets its own answer, and the deadline only catches what nothing
/// else bounds. infra/template.yaml's function `Timeout` (30 s) leaves 2 s
/// to write the answer; CloudFront's `OriginReadTimeout` (35 s) waits
/// longer than both (infra/tests/test_edge.py compares the three).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(28);

/// Which requests the origin check takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// No CloudFront in front (`serve`, the tests): every request is taken.
    Open,
    /// Behind CloudFront: a request carrying one of these values (the
    /// current one, and the previous one during a rotation).
    Values(Vec<String>),
    /// A Lambda without a value: nothing tells CloudFront from a forger, so
    /// every request is refused (403) until the setting is there.
    Unset,
}

/// What the Lambda edge adds around the handler: the origin check, the
/// whole request's deadline and the version header.
#[derive(Debug, Clone)]
pub struct Edge {
    pub check: OriginCheck,
    pub version: String,
    pub deadline: Duration,
}

impl Edge {
    /// In a Lambda behind CloudFront: the values from `CCG_ORIGIN_SECRET`
    /// and `CCG_ORIGIN_SECRET_PREVIOUS`; without a current value, every
    /// request is refused (never "no check").
    pub fn for_lambda() -> Edge {
        Edge::behind_cloudfront(std::env::var(ORIGIN_SECRET_VAR).ok(), std::env::var(ORIGIN_SECRET_PREVIOUS_VAR).ok())
    }

    /// Without CloudFront (`serve` on a laptop, the tests): no origin check.
    pub fn open() -> Edge {
        Edge { check: OriginCheck::Open, version: embedded::content_version(), deadline: REQUEST_DEADLINE }
    }

    fn behind_cloudfront(current: Option<String>, previous: Option<String>) -> Edge {
        let current = current.filter(|s| !s.is_empty());
        let check = match current {
            None => OriginCheck::Unset,
            Some(current) => OriginCheck::Values(std::iter::once(current).chain(previous.filter(|s| !s.is_empty())).collect()),
        };
        Edge { check, version: embedded::content_version(), deadline: REQUEST_DEADLINE }
    }

    /// Whether the request came through CloudFront (or no check applies).
    pub fn admits(&self, headers: &http::HeaderMap) -> bool {
        match &self.check {
            OriginCheck::Open => true,
            OriginCheck::Unset => false,
            OriginCheck::Values(values) => {
                headers.get(ORIGIN_HEADER).is_some_and(|v| values.iter().fold(false, |ok, s| ok | same_bytes(v.as_bytes(), s.as_bytes())))
            }
        }
    }

    /// The handler's answer within the deadline (else the designed 503), or
    /// 403 for a request that bypassed CloudFront; with the version header.
    pub async fn answer<S: crate::store::Store>(&self, app: &App<S>, req: http::Request<Bytes>) -> Response<Bytes> {
        let mut resp = if self.admits(req.headers()) {
            let (path, headers) = (req.uri().path().to_string(), req.headers().clone());
            match tokio::time::timeout(self.deadline, handle(app, req)).await {
                Ok(resp) => resp,
                Err(_) => {
                    let detail = format!("the request did not finish within {} s", self.deadline.as_secs_f32());
                    crate::http::out_of_time(app, &path, &headers, detail)
                }
            }
        } else {
            if app.settings.log {
                let why = if self.check == OriginCheck::Unset { "no origin secret is set" } else { "without the origin header (not through CloudFront)" };
                tracing::warn!("forms - 403 {why}");
            }
            bypassed()
        };
        if let Ok(v) = HeaderValue::from_str(&self.version) {
            resp.headers_mut().insert(VERSION_HEADER, v);
        }
        resp
    }
}

/// Compared in time independent of where they differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bypassed() -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::from_static(b"The forms are reached through the site's own address only.\n"))
        .expect("a static response")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Serves, Settings};
    use crate::service::{Forms, Options};
    use crate::store::dynamo::DynamoStore;
    use std::sync::Arc;

    fn edge(secret: Option<&str>) -> Edge {
        match secret {
            None => Edge::open(),
            Some(s) => Edge::behind_cloudfront(Some(s.into()), None),
        }
    }

    fn with_origin_header(value: &'static str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(ORIGIN_HEADER, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn the_origin_header_must_match_exactly() {
        let h = http::HeaderMap::new();
        assert!(Edge::open().admits(&h));
        assert!(!edge(Some("s3cret-value")).admits(&h));
        assert!(!edge(Some("s3cret-value")).admits(&with_origin_header("s3cret-valuE")));
        assert!(!edge(Some("s3cret-value")).admits(&with_origin_header("s3cret-value-and-more")));
        assert!(edge(Some("s3cret-value")).admits(&with_origin_header("s3cret-value")));
    }

    #[test]
    fn during_a_rotation_the_current_and_the_previous_value_are_taken_and_no_other() {
        let rotating = Edge::behind_cloudfront(Some("new-value".into()), Some("old-value".into()));
        assert_eq!(rotating.check, OriginCheck::Values(vec!["new-value".into(), "old-value".into()]));
        assert!(rotating.admits(&with_origin_header("new-value")));
        assert!(rotating.admits(&with_origin_header("old-value")));
        assert!(!rotating.admits(&with_origin_header("older-value")));
        assert!(!rotating.admits(&http::HeaderMap::new()));
        // After the rotation (the previous value emptied by the next deploy), the old one is refused.
        let done = Edge::behind_cloudfront(Some("new-value".into()), Some(String::new()));
        assert_eq!(done.check, OriginCheck::Values(vec!["new-value".into()]));
        assert!(!done.admits(&with_origin_header("old-value")));
        assert!(!done.admits(&with_origin_header("")));
    }

    #[test]
    fn a_lambda_without_its_secret_takes_nothing_even_with_a_previous_value() {
        for (current, previous) in
            [(None, None), (Some(String::new()), None), (None, Some("old-value".to_string())), (Some(String::new()), Some(String::new()))]
        {
            let e = Edge::behind_cloudfront(current.clone(), previous.clone());
            assert_eq!(e.check, OriginCheck::Unset, "{current:?} {previous:?}");
            assert!(!e.admits(&http::HeaderMap::new()));
            assert!(!e.admits(&with_origin_header("old-value")));
            assert!(!e.admits(&with_origin_header("")));
        }
    }

    fn app_on<S: crate::store::Store>(store: S, dir: &std::path::Path, options: Options) -> App<S> {
        let mailer = Arc::new(crate::mail::outbox::Outbox::new(dir.join("outbox")));
        let forms = Forms::new(store, mailer, embedded::catalogue().unwrap(), options);
        App::new(forms, Settings { allowed_origin: Some(ORIGIN.into()), allow_same_origin: false, serves: Serves::Form(crate::Form::Register), log: false })
    }

    const ORIGIN: &str = "https://ccg.example.eu";

    fn registration(origin_header: Option<&'static str>) -> http::Request<Bytes> {
        let mut req = http::Request::post("/api/register")
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Bytes::from_static(
                b"name=Ana+Lopez&email=ana.lopez%40valladolid.es&city=Valladolid&country=ES&organisation=Ayuntamiento+de+Valladolid\
                  &position=Project+officer&city_status=lighthouse&project=REMOURBAN&consent=yes&website=",
            ))
            .unwrap();
        if let Some(v) = origin_header {
            req.headers_mut().insert(ORIGIN_HEADER, HeaderValue::from_static(v));
        }
        req
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ccg-lambda-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn a_lambda_without_its_secret_answers_403_before_the_handler() {
        use crate::store::roles::PendingStore;
        let dir = temp("unset");
        let app = app_on(crate::SqliteStore::open(&dir.join("forms.sqlite3")).unwrap(), &dir, Options::default());
        let unset = Edge::behind_cloudfront(None, None);
        let resp = unset.answer(&app, registration(Some("anything"))).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(resp.headers()[VERSION_HEADER], unset.version.as_str());
        assert!(app.forms.store.list_pending(0).await.unwrap().is_empty(), "the refused post was stored");
        // The same post through the open edge (`serve`) and through CloudFront is taken.
        for e in [Edge::open(), Edge::behind_cloudfront(Some("s3cret-value".into()), None)] {
            let resp = e.answer(&app, registration(Some("s3cret-value"))).await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{:?}", e.check);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A DynamoDB table whose endpoint takes the connection and never
    /// answers, with the SDK's own time-outs off: a store that never answers.
    fn silent_store(listener: &std::net::TcpListener) -> DynamoStore {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, timeout::TimeoutConfig};
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-central-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(format!("http://{}", listener.local_addr().unwrap()))
            .timeout_config(TimeoutConfig::disabled())
            .build();
        DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(conf), "ccg-forms")
    }

    #[tokio::test]
    async fn a_store_that_never_answers_ends_in_the_designed_503_within_the_deadline() {
        // tokio's paused clock needs its test-util feature, which would build
        // tokio and the AWS SDK again; a short deadline on the real clock instead.
        let dir = temp("deadline");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        // The forms' own per-call limit out of the way: only the edge's deadline can end the request.
        let options = Options { store_timeout: Duration::from_secs(3600), ..Options::default() };
        let app = app_on(silent_store(&listener), &dir, options);
        let edge = Edge { deadline: Duration::from_millis(400), ..Edge::behind_cloudfront(Some("s3cret-value".into()), None) };
        for (accept, json) in [("text/html", false), ("application/json", true)] {
            let mut req = registration(Some("s3cret-value"));
            req.headers_mut().insert(header::ACCEPT, HeaderValue::from_static(accept));
            let started = std::time::Instant::now();
            // Without the deadline the request would hang: fail rather than wait forever.
            let resp = tokio::time::timeout(edge.deadline + Duration::from_secs(5), edge.answer(&app, req)).await.expect("no answer by the deadline");
            let took = started.elapsed();
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{accept}");
            let retry: u64 = resp.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
            assert!(retry > 0);
            assert!(took >= edge.deadline && took < edge.deadline + Duration::from_secs(2), "answered after {took:?}");
            let body = String::from_utf8(resp.body().to_vec()).unwrap();
            assert!(body.contains("unavailable at the moment"), "{body}");
            assert_eq!(body.trim_start().starts_with('{'), json, "{body}");
            assert_eq!(resp.headers()[VERSION_HEADER], edge.version.as_str());
        }
        // The signed-in pages' part answers as its own store failures do (a page, or the passkeys' JSON).
        let mut json = http::HeaderMap::new();
        json.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        for (path, headers) in [("/sign-in/", http::HeaderMap::new()), ("/desk/claims", http::HeaderMap::new()), ("/sign-in/passkey", json)] {
            let resp = crate::http::out_of_time(&app, path, &headers, "out of time".into());
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert!(resp.headers().contains_key(header::RETRY_AFTER), "{path}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_edge_keeps_the_deadline() {
        // infra/tests/test_edge.py holds the template's Timeout and OriginReadTimeout above REQUEST_DEADLINE.
        assert_eq!(Edge::for_lambda().deadline, REQUEST_DEADLINE);
        assert_eq!(Edge::open().deadline, REQUEST_DEADLINE);
    }
}
