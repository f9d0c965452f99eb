//! Lambda: the signed-in pages but the desk, /sign-in/, /account/, /members/ (sessions, passkeys); /desk/ is desk-web's.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::lambda::run(ccg_functions::Serves::Account).await
}
