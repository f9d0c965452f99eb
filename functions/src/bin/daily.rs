#![recursion_limit = "256"]
//! Lambda: the daily job, on EventBridge Scheduler's call once a day (`ccg_functions::daily`):
//! what `desk sweep` does, and the site's age as the metric `SiteAgeHours`.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::daily::run().await
}
