//! Lambda: the signed-in pages, /sign-in/, /account/, /desk/, /members/ (sessions, passkeys, the desk).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::lambda::run(ccg_functions::Serves::Account).await
}
