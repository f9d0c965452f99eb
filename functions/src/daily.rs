//! The `daily` function (`bin/daily.rs`), run once a day by EventBridge
//! Scheduler (infra/template.yaml, `DailyFunction`): the daily job of
//! `desk sweep` (`service::daily`: document files of claims that are gone,
//! what TTL leaves, invitation rounds due), then the site's age, as an
//! embedded-metric line `SiteAgeHours` that an alarm watches (older than
//! 26 hours, or missing: the nightly rebuild did not reach the bucket).
//!
//! The age is that of the bucket's `version.json` object (its
//! `LastModified`): every deploy uploads it afresh, while its content is the
//! same for the same sources (builds are byte-identical for one
//! `SOURCE_DATE_EPOCH`, so the file carries no build time).
//!
//! Environment: what the other functions read (`CCG_TABLE`, `CCG_MAIL_FROM`,
//! `CCG_ALLOWED_ORIGIN`, `CCG_SES_CONFIGURATION_SET`, `CCG_DOCUMENTS_BUCKET`)
//! and `CCG_SITE_BUCKET`, the site's bucket.
//!
//! Its metric line is written here, not through `metrics::Metrics` (the
//! forms' counts): a gauge of its own namespace, `CCG/Site`.

use crate::embedded;
use crate::files::s3::{BUCKET_VAR, S3Files};
use crate::mail::ses::SesMailer;
use crate::service::daily::Daily;
use crate::service::{Forms, Options};
use crate::store::Store;
use crate::store::dynamo::{self, DynamoStore};
use ccg_model::SiteConfig;
use jiff::Timestamp;
use lambda_http::lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The metric's namespace and name (the alarm `SiteStaleAlarm` names both).
pub const NAMESPACE: &str = "CCG/Site";
pub const METRIC: &str = "SiteAgeHours";
/// The alarm's threshold: the site is rebuilt every night, so a day and two hours of slack.
pub const STALE_AFTER_HOURS: f64 = 26.0;
/// The site's bucket.
pub const SITE_BUCKET_VAR: &str = "CCG_SITE_BUCKET";
/// The object whose age is the site's.
pub const VERSION_KEY: &str = "version.json";

/// How old the site is at `now`, built (uploaded) at `built`, in hours. A
/// time ahead of `now` (clocks apart) is an age of zero.
pub fn site_age_hours(now: Timestamp, built: Timestamp) -> f64 {
    let seconds = now.as_second().saturating_sub(built.as_second()).max(0);
    seconds as f64 / 3600.0
}

/// What the alarm decides on the metric, said in the log too.
pub fn is_stale(hours: f64) -> bool {
    hours > STALE_AFTER_HOURS
}

/// The age as one line of CloudWatch's embedded metric format (dimension: the function).
pub fn site_age_line(function: &str, hours: f64, at_ms: i64) -> String {
    // Two decimals: minutes are enough, and the line stays short.
    let hours = (hours * 100.0).round() / 100.0;
    json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": [["Function"]], "Metrics": [{ "Name": METRIC, "Unit": "None" }] }]
        },
        "Function": function,
        METRIC: hours
    })
    .to_string()
}

pub type BuiltFuture<'a> = Pin<Box<dyn Future<Output = Result<Timestamp, String>> + Send + 'a>>;

/// When the site was last uploaded.
pub trait SiteBuilt: Send + Sync {
    fn built_at(&self) -> BuiltFuture<'_>;
}

/// `version.json`'s `LastModified` in the site's bucket (HeadObject: `s3:GetObject` on that key alone).
pub struct VersionObject {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl SiteBuilt for VersionObject {
    fn built_at(&self) -> BuiltFuture<'_> {
        Box::pin(async move {
            let head = self.client.head_object().bucket(&self.bucket).key(VERSION_KEY).send().await.map_err(|e| {
                use aws_sdk_s3::error::ProvideErrorMetadata;
                // A HEAD answer has no body, so often no code: its status says it (403: no such key without ListBucket).
                let why = e.code().map(str::to_string).or_else(|| e.raw_response().map(|r| format!("HTTP {}", r.status().as_u16())));
                format!("S3 HeadObject {VERSION_KEY}: {}", why.unwrap_or_else(|| "no answer".into()))
            })?;
            let at = head.last_modified().ok_or_else(|| format!("{VERSION_KEY} has no LastModified"))?;
            Timestamp::from_second(at.secs()).map_err(|e| e.to_string())
        })
    }
}

/// What the job runs on.
pub struct Job<S> {
    pub forms: Forms<S>,
    pub site: SiteConfig,
    pub built: Box<dyn SiteBuilt>,
    /// The function's name: the metric's dimension.
    pub function: String,
}

/// What one run did and said.
#[derive(Debug, Default)]
pub struct Outcome {
    pub lines: Vec<String>,
    pub site_age_hours: Option<f64>,
    /// The embedded-metric line (stdout), when the age was read.
    pub metric: Option<String>,
    /// Each part that failed, in a sentence without personal data.
    pub errors: Vec<String>,
}

/// Both parts, each whatever the other did: the sweep's failure does not
/// hide the site's age, nor the reverse.
pub async fn run_once<S: Store>(job: &Job<S>, now: Timestamp) -> Outcome {
    let mut out = Outcome::default();
    match job.forms.daily(&job.site).await {
        Ok(d) => out.lines = Daily::lines(&d),
        Err(e) => out.errors.push(format!("daily job: {e}")),
    }
    match job.built.built_at().await {
        Ok(built) => {
            let hours = site_age_hours(now, built);
            out.site_age_hours = Some(hours);
            out.metric = Some(site_age_line(&job.function, hours, now.as_millisecond()));
        }
        Err(e) => out.errors.push(format!("site age: {e}")),
    }
    out
}

/// The function's answer to one scheduled event (whatever its content):
/// the metric line on stdout, a log line, and an error (counted by Lambda's
/// `Errors`, which an alarm watches) if a part failed.
pub async fn handle<S: Store>(job: &Job<S>, _event: LambdaEvent<Value>, now: Timestamp) -> Result<Value, lambda_http::Error> {
    let out = run_once(job, now).await;
    if let Some(line) = &out.metric {
        println!("{line}");
    }
    let stale = out.site_age_hours.map(is_stale);
    tracing::info!(done = ?out.lines, site_age_hours = ?out.site_age_hours, stale = ?stale, "daily job");
    if !out.errors.is_empty() {
        for e in &out.errors {
            tracing::error!(error = %e, "daily job failed");
        }
        return Err(out.errors.join("; ").into());
    }
    Ok(json!({ "done": out.lines, "site_age_hours": out.site_age_hours }))
}

/// The job in AWS, from the environment.
pub async fn startup() -> anyhow::Result<Job<DynamoStore>> {
    let catalogue = embedded::catalogue().map_err(|e| anyhow::anyhow!("embedded content: {e}"))?;
    let site = embedded::site().map_err(|e| anyhow::anyhow!("embedded config: {e}"))?;
    let table = std::env::var("CCG_TABLE").map_err(|_| anyhow::anyhow!("set CCG_TABLE to the DynamoDB table name"))?;
    let bucket = std::env::var(SITE_BUCKET_VAR).ok().filter(|b| !b.is_empty());
    let bucket = bucket.ok_or_else(|| anyhow::anyhow!("set {SITE_BUCKET_VAR} to the site's bucket"))?;
    let mailer = SesMailer::from_env().await.map_err(|e| anyhow::anyhow!(e))?;
    let origin = std::env::var("CCG_ALLOWED_ORIGIN").ok().filter(|o| !o.is_empty()).unwrap_or_else(|| site.origin().to_string());
    // The invitations' links lead to the site's own address, as the forms' do.
    let options = Options { public_url: origin, accept_drafts: false, ..Options::for_site(&site) };
    let mut forms = Forms::new(DynamoStore::new(dynamo::client_from_env().await, table), Arc::new(mailer), catalogue, options);
    if let Some(documents) = std::env::var(BUCKET_VAR).ok().filter(|b| !b.is_empty()) {
        forms = forms.with_files(Arc::new(S3Files::from_env(&documents).await.map_err(|e| anyhow::anyhow!(e))?));
    }
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let built = VersionObject { client: aws_sdk_s3::Client::new(&conf), bucket };
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "daily".into());
    Ok(Job { forms, site, built: Box::new(built), function })
}

/// The whole `main` of the `daily` binary.
pub async fn run() -> Result<(), lambda_http::Error> {
    let _ = tracing::subscriber::set_global_default(crate::lambda::json_log(std::io::stderr));
    let job = Arc::new(startup().await.map_err(|e| {
        tracing::error!(error = %e, "daily start-up failed");
        lambda_http::Error::from(e.to_string())
    })?);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event: LambdaEvent<Value>| {
        let job = job.clone();
        async move { handle(&job, event, Timestamp::now()).await }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use crate::mail::outbox::Outbox;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_age_is_hours_since_the_upload_and_stale_past_26() {
        let built = at("2026-12-07T01:00:00Z");
        assert_eq!(site_age_hours(at("2026-12-07T01:00:00Z"), built), 0.0);
        assert_eq!(site_age_hours(at("2026-12-08T01:30:00Z"), built), 24.5);
        assert!(!is_stale(site_age_hours(at("2026-12-08T03:00:00Z"), built)), "26 hours is not stale yet");
        assert!(is_stale(site_age_hours(at("2026-12-08T03:01:00Z"), built)));
        // Clocks apart: never a negative age.
        assert_eq!(site_age_hours(built, at("2026-12-07T01:05:00Z")), 0.0);
    }

    #[test]
    fn the_metric_line_is_the_embedded_metric_format() {
        let line: Value = serde_json::from_str(&site_age_line("ccg-daily", 24.4999, 1_800_000_000_000)).unwrap();
        let m = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!((m["Namespace"].as_str(), m["Metrics"][0]["Name"].as_str()), (Some(NAMESPACE), Some(METRIC)));
        assert_eq!(m["Dimensions"][0][0], "Function");
        assert_eq!(line["_aws"]["Timestamp"], 1_800_000_000_000i64);
        assert_eq!((line["Function"].as_str(), line[METRIC].as_f64()), (Some("ccg-daily"), Some(24.5)));
    }

    struct Fixed(Result<Timestamp, String>);

    impl SiteBuilt for Fixed {
        fn built_at(&self) -> BuiltFuture<'_> {
            let r = self.0.clone();
            Box::pin(async move { r })
        }
    }

    fn job(built: Result<Timestamp, String>) -> Job<SqliteStore> {
        let dir = std::env::temp_dir().join(format!("ccg-daily-{}-{}", std::process::id(), built.is_ok()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = SqliteStore::open(&dir.join("forms.sqlite3")).unwrap();
        let site = embedded::site().unwrap();
        let options = Options { public_url: "https://ccg.example.eu".into(), ..Options::for_site(&site) };
        let forms = Forms::new(store, Arc::new(Outbox::new(dir.join("outbox"))), embedded::catalogue().unwrap(), options);
        Job { forms, site, built: Box::new(Fixed(built)), function: "ccg-daily".into() }
    }

    /// What EventBridge Scheduler sends (the template's `Input`).
    fn scheduled_event() -> LambdaEvent<Value> {
        LambdaEvent::new(json!({ "job": "daily" }), lambda_http::Context::default())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_scheduled_event_sweeps_and_tells_the_sites_age() {
        let job = job(Ok(at("2026-12-07T01:00:00Z")));
        let answer = handle(&job, scheduled_event(), at("2026-12-08T03:30:00Z")).await.unwrap();
        assert_eq!(answer["site_age_hours"].as_f64(), Some(26.5));
        let done: Vec<&str> = answer["done"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(done.iter().any(|l| l.starts_with("Swept: ") || *l == "Nothing to sweep."), "{done:?}");
        let out = run_once(&job, at("2026-12-08T03:30:00Z")).await;
        let line: Value = serde_json::from_str(out.metric.as_deref().unwrap()).unwrap();
        assert_eq!(line[METRIC].as_f64(), Some(26.5));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_unreadable_version_is_an_error_and_no_metric_so_the_alarm_sees_it_missing() {
        let job = job(Err("S3 HeadObject version.json: NoSuchKey".into()));
        let out = run_once(&job, at("2026-12-08T03:30:00Z")).await;
        assert!(out.metric.is_none());
        assert_eq!(out.errors, vec!["site age: S3 HeadObject version.json: NoSuchKey".to_string()]);
        // The sweep ran all the same.
        assert!(!out.lines.is_empty());
        let e = handle(&job, scheduled_event(), at("2026-12-08T03:30:00Z")).await.unwrap_err();
        assert!(e.to_string().contains("NoSuchKey"), "{e}");
    }
}
