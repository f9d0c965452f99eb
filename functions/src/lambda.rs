//! What the two Lambda binaries share: start-up from the embedded content and
//! the environment, and the conversion between lambda_http and the handler.
//!
//! Environment: `CCG_TABLE` (the DynamoDB table, required), `CCG_ALLOWED_ORIGIN`
//! (the site's origin: the only one whose posts are taken, and where links and
//! redirects point; default: `base_url` of the embedded config.yaml),
//! `CCG_MAIL_FROM` (the SES sender, required), `CCG_SES_CONFIGURATION_SET`
//! (optional), plus the usual AWS variables the Lambda runtime sets.

use crate::embedded;
use crate::http::{App, Settings, handle};
use crate::service::Form;
use crate::mail::ses;
use crate::service::{Forms, Options};
use crate::store::dynamo::{self, DynamoStore};
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the one-time start-up took.
#[derive(Debug, Clone, Copy)]
pub struct Startup {
    pub catalogue: Duration,
    /// The DynamoDB and SES clients.
    pub client: Duration,
}

/// Parses the embedded content (drafts dropped) and builds the DynamoDB and SES clients.
pub async fn startup(endpoint: Form) -> anyhow::Result<(App<DynamoStore>, Startup)> {
    let t0 = Instant::now();
    let catalogue = embedded::catalogue().map_err(|e| anyhow::anyhow!("embedded content: {e}"))?;
    let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
    let t1 = Instant::now();
    let table = std::env::var("CCG_TABLE").map_err(|_| anyhow::anyhow!("set CCG_TABLE to the DynamoDB table name"))?;
    let client = dynamo::client_from_env().await;
    let mailer = ses::SesMailer::from_env().await.map_err(|e| anyhow::anyhow!(e))?;
    let t2 = Instant::now();
    let origin = std::env::var("CCG_ALLOWED_ORIGIN").ok().filter(|o| !o.is_empty()).unwrap_or_else(|| site.origin().to_string());
    let options = Options {
        // Links and redirects lead to the site's own address, where /api/ is served too.
        public_url: origin.clone(),
        api_base: site.api_base.clone(),
        site_title: site.title.clone(),
        link_hours: site.forms.confirm_link_hours,
        accept_drafts: false,
        store_timeout: Duration::from_secs(3),
        today: None,
        secretariat_email: site.forms.secretariat_email.clone(),
        retention: site.retention,
    };
    let settings = Settings { allowed_origin: Some(origin), allow_same_origin: false, only: Some(endpoint), log: true };
    let forms = Forms::new(DynamoStore::new(client, table), Arc::new(mailer), catalogue, options);
    let app = App::new(forms, settings);
    Ok((app, Startup { catalogue: t1 - t0, client: t2 - t1 }))
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

/// The whole `main` of a Lambda binary.
pub async fn run(endpoint: Form) -> Result<(), lambda_http::Error> {
    let (app, t) = startup(endpoint).await.map_err(|e| lambda_http::Error::from(e.to_string()))?;
    eprintln!(
        "forms {} start-up: catalogue {:.2} ms, client {:.2} ms",
        endpoint.name(),
        t.catalogue.as_secs_f64() * 1000.0,
        t.client.as_secs_f64() * 1000.0
    );
    let app = Arc::new(app);
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        let app = app.clone();
        async move { Ok::<_, std::convert::Infallible>(to_lambda(handle(&app, from_lambda(req)).await)) }
    }))
    .await
}
