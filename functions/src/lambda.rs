//! What the Lambda binaries (`register`, `travel-claim`, `account`,
//! `desk-web`) share: start-up from the embedded content and the
//! environment, and the conversion between lambda_http and the handler.
//!
//! Environment: `CCG_TABLE` (the DynamoDB table, required), `CCG_ALLOWED_ORIGIN`
//! (the site's origin: the only one whose posts are taken, and where links and
//! redirects point; default: `base_url` of the embedded config.yaml),
//! `CCG_MAIL_FROM` (the SES sender, required), `CCG_SES_CONFIGURATION_SET`
//! (optional), `CCG_ORIGIN_SECRET` (the value CloudFront sends as
//! `X-Ccg-Origin-Verify`: a request without it did not come through
//! CloudFront and is refused with 403; absent or empty: every request is
//! refused, `Edge::for_lambda`), `CCG_ORIGIN_SECRET_PREVIOUS` (the value
//! before a rotation, also taken while CloudFront moves to the new one),
//! `CCG_PERSON_KEY` (the person key behind the one-contribution rule,
//! `token::PersonKey`: required, at least 32 characters),
//! `CCG_DOCUMENTS_BUCKET` (the claims' supporting documents, `files::s3`:
//! absent or empty, the claim's page offers no upload), plus
//! the usual AWS variables the Lambda runtime sets.
//!
//! Every answer carries `X-Content-Version`: the version of the content the
//! binary embeds, which the site publishes in `/version.json`.
//!
//! The log is one JSON object a line on stderr (CloudWatch reads its fields);
//! each line a request causes carries its span with the Lambda request id.

use crate::embedded;
use crate::files::s3::{BUCKET_VAR, S3Files};
use crate::http::{App, Serves, Settings};
use crate::mail::ses;
use crate::service::{Forms, Options};
use crate::store::dynamo::{self, DynamoStore};
use crate::token::{PERSON_KEY_VAR, PersonKey};
use bytes::Bytes;
use http::Response;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

mod edge;
pub use edge::{Edge, ORIGIN_HEADER, ORIGIN_SECRET_PREVIOUS_VAR, ORIGIN_SECRET_VAR, OriginCheck, REQUEST_DEADLINE, VERSION_HEADER};

/// How long the one-time start-up took.
#[derive(Debug, Clone, Copy)]
pub struct Startup {
    pub catalogue: Duration,
    /// The DynamoDB, SES and S3 clients.
    pub client: Duration,
}

/// Parses the embedded content (drafts dropped) and builds the DynamoDB, SES and (with a documents bucket) S3 clients.
pub async fn startup(serves: Serves) -> anyhow::Result<(App<DynamoStore>, Startup)> {
    let t0 = Instant::now();
    let catalogue = embedded::catalogue().map_err(|e| anyhow::anyhow!("embedded content: {e}"))?;
    let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
    let t1 = Instant::now();
    let table = std::env::var("CCG_TABLE").map_err(|_| anyhow::anyhow!("set CCG_TABLE to the DynamoDB table name"))?;
    let person_key = person_key(std::env::var(PERSON_KEY_VAR).ok())?;
    let client = dynamo::client_from_env().await;
    let mailer = ses::SesMailer::from_env().await.map_err(|e| anyhow::anyhow!(e))?;
    let t2 = Instant::now();
    let origin = std::env::var("CCG_ALLOWED_ORIGIN").ok().filter(|o| !o.is_empty()).unwrap_or_else(|| site.origin().to_string());
    // Links and redirects lead to the site's own address, where /api/ is served too.
    let options = Options { public_url: origin.clone(), accept_drafts: false, store_timeout: Duration::from_secs(3), ..Options::for_site(&site) };
    let settings = Settings { allowed_origin: Some(origin), allow_same_origin: false, serves, log: true };
    let mut forms = Forms::new(DynamoStore::new(client, table).with_person_key(person_key), Arc::new(mailer), catalogue, options);
    if let Some(bucket) = std::env::var(BUCKET_VAR).ok().filter(|b| !b.is_empty()) {
        forms = forms.with_files(Arc::new(S3Files::from_env(&bucket).await.map_err(|e| anyhow::anyhow!(e))?));
    }
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| serves.name().to_string());
    forms.metrics = Arc::new(crate::metrics::Metrics::for_lambda(&function));
    let app = App::new(forms, settings);
    Ok((app, Startup { catalogue: t1 - t0, client: t2 - t1 }))
}

/// The person key from its setting. Without it the one-contribution rule
/// cannot hold: the function refuses to start rather than confirm claims unchecked.
fn person_key(setting: Option<String>) -> anyhow::Result<PersonKey> {
    let text = setting.ok_or_else(|| anyhow::anyhow!("set {PERSON_KEY_VAR} to the person key (infra/template.yaml resolves it from its secret)"))?;
    PersonKey::from_setting(&text).map_err(|e| anyhow::anyhow!(e))
}

pub fn from_lambda(req: lambda_http::Request) -> http::Request<Bytes> {
    let (parts, body) = req.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(t) => Bytes::from(t),
        lambda_http::Body::Binary(b) => Bytes::from(b),
        // The enum is non-exhaustive upstream; a body we cannot read is an empty one.
        #[allow(unreachable_patterns)]
        _ => Bytes::new(),
    };
    http::Request::from_parts(parts, bytes)
}

pub fn to_lambda(resp: http::Response<Bytes>) -> http::Response<lambda_http::Body> {
    let (parts, body) = resp.into_parts();
    let body = if body.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(t) => lambda_http::Body::Text(t),
            Err(e) => lambda_http::Body::Binary(e.into_bytes()),
        }
    };
    http::Response::from_parts(parts, body)
}

/// The Lambdas' log: JSON lines, info and worse, each with the span it was
/// written in (the request's, carrying its id) and no list of outer spans.
pub fn json_log<W>(writer: W) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_writer(writer)
        .finish()
}

/// One request answered inside its span: every line it logs names the request id.
pub async fn answer_request<S: crate::store::Store>(edge: &Edge, app: &App<S>, request_id: &str, req: http::Request<Bytes>) -> Response<Bytes> {
    edge.answer(app, req).instrument(tracing::info_span!("request", request_id)).await
}

/// The whole `main` of a Lambda binary.
pub async fn run(serves: Serves) -> Result<(), lambda_http::Error> {
    // Only fails when a subscriber is set already, and then that one logs.
    let _ = tracing::subscriber::set_global_default(json_log(std::io::stderr));
    let edge = Edge::for_lambda();
    let (app, t) = startup(serves).await.map_err(|e| {
        tracing::error!(form = serves.name(), content = %edge.version, error = %e, "forms start-up failed");
        lambda_http::Error::from(e.to_string())
    })?;
    tracing::info!(
        form = serves.name(),
        content = %edge.version,
        catalogue_ms = %format_args!("{:.2}", t.catalogue.as_secs_f64() * 1000.0),
        client_ms = %format_args!("{:.2}", t.client.as_secs_f64() * 1000.0),
        origin_check = match &edge.check {
            OriginCheck::Values(v) if v.len() > 1 => "on, the previous value too",
            OriginCheck::Values(_) => "on",
            OriginCheck::Open | OriginCheck::Unset => "unset",
        },
        deadline_s = edge.deadline.as_secs(),
        "forms start-up"
    );
    if edge.check == OriginCheck::Unset {
        tracing::error!(form = serves.name(), "{ORIGIN_SECRET_VAR} is missing or empty: every request is refused with 403 (infra/template.yaml sets it)");
    }
    let app = Arc::new(app);
    let edge = Arc::new(edge);
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        use lambda_http::RequestExt;
        let (app, edge) = (app.clone(), edge.clone());
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone()).unwrap_or_default();
        async move { Ok::<_, std::convert::Infallible>(to_lambda(answer_request(&edge, &app, &request_id, from_lambda(req)).await)) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{self, HeaderValue};

    /// What the log writes, kept for the test to read.
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn no_start_without_a_person_key() {
        let e = person_key(None).unwrap_err().to_string();
        assert!(e.contains("set CCG_PERSON_KEY"), "{e}");
        let e = person_key(Some("too short".into())).unwrap_err().to_string();
        assert!(e.contains("at least 32 characters"), "{e}");
        let key = "k".repeat(64);
        assert_eq!(person_key(Some(format!(" {key}\n"))).unwrap(), PersonKey::from_setting(&key).unwrap());
    }

    #[tokio::test]
    async fn a_requests_log_line_carries_its_request_id_and_no_email() {
        let dir = std::env::temp_dir().join(format!("ccg-lambda-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = crate::SqliteStore::open(&dir.join("forms.sqlite3")).unwrap();
        let mailer = Arc::new(crate::mail::outbox::Outbox::new(dir.join("outbox")));
        let forms = Forms::new(store, mailer, embedded::catalogue().unwrap(), Options::default());
        let origin = "https://ccg.example.eu";
        let app =
            App::new(forms, Settings { allowed_origin: Some(origin.into()), allow_same_origin: false, serves: Serves::Form(crate::Form::Register), log: true });
        let req = http::Request::post("/api/register")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Bytes::from_static(b"name=Ana+Lopez&email=ana.lopez%40valladolid.es&city=Valladolid"))
            .unwrap();
        let captured = Captured::default();
        let log = captured.clone();
        let resp = {
            let _log = tracing::subscriber::set_default(json_log(move || log.clone()));
            answer_request(&Edge::open(), &app, "8f6c1a2e-request-id", req).await
        };
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(!lines.is_empty(), "the request logged nothing (status {})", resp.status());
        for line in &lines {
            assert_eq!(line["span"]["request_id"], "8f6c1a2e-request-id", "{line}");
        }
        assert!(lines.iter().any(|l| l["status"] == resp.status().as_u16()), "no line with the answer's status:\n{text}");
        for personal in ["ana.lopez", "valladolid.es", "Ana", "Lopez"] {
            assert!(!text.contains(personal), "the log shows {personal:?}:\n{text}");
        }
    }

    #[test]
    fn the_version_is_the_embedded_content_and_a_valid_header() {
        let e = Edge::open();
        assert_eq!(e.version, embedded::content_version());
        assert!(HeaderValue::from_str(&e.version).is_ok());
    }
}
