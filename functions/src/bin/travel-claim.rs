//! Lambda: POST /api/travel-claims (ask for a travel contribution).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    ccg_functions::lambda::run(ccg_functions::Serves::Form(ccg_functions::Form::TravelClaims)).await
}
