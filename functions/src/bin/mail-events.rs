//! Lambda: SES's bounces and complaints (SNS from the configuration set) suppress their addresses.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::mail_events::run().await
}
