//! Lambda: POST /api/register (join the CCG).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::lambda::run(ccg_functions::Serves::Form(ccg_functions::Form::Register)).await
}
