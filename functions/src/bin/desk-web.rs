//! Lambda: the secretariat's desk in the browser, /desk/ and everything under it, with the desk's rights (signing in is the account function's).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::lambda::run(ccg_functions::Serves::Desk).await
}
