//! "My invitations" on my page: the meetings I was invited to, my answers,
//! and the buttons that answer (`POST /members/invitations/answer`), through
//! the same service as the emailed links (`http::invitations`).

use super::super::App;
use super::super::signed_in::{Req, fields, message, store_failed};
use crate::http::invitations::{member_answer, member_invitations};
use crate::service::account::SignedIn;
use crate::service::invitations::InviteError;
use crate::store::{Store, StoreError};
use bytes::Bytes;
use ccg_forms::decide::invitation::Standing;
use http::{Response, StatusCode};
use serde_json::Value;

/// Where the page's answer buttons post.
pub(super) const ACTION: &str = "/members/invitations/answer";

/// My invitations as my page lists them.
pub(super) async fn mine<S: Store>(app: &App<S>, who: &SignedIn) -> Result<Value, StoreError> {
    match member_invitations(&app.forms, &who.session.email_key).await {
        Ok(list) => Ok(serde_json::to_value(list).unwrap_or_default()),
        Err(InviteError::Store(e)) => Err(e),
        Err(e) => Err(StoreError::Unavailable(e.to_string())),
    }
}

/// An answer from my page, recorded: what my page then says of where I
/// stand, or the refusal's answer.
pub(super) async fn answer<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, body: &Bytes) -> Result<String, Response<Bytes>> {
    let fields = match fields(req, body) {
        Ok(f) => f,
        Err(msg) => return Err(message(app, req.json, StatusCode::BAD_REQUEST, "Not answered", &msg)),
    };
    match member_answer(&app.forms, &who.session.email_key, &fields).await {
        Ok(Ok(a)) => {
            let notice = match (a.standing, a.position) {
                (Standing::Going, _) => "Your answer is recorded: you will attend.".to_string(),
                (Standing::Waiting, Some(n)) => {
                    format!("The meeting is full: you are number {n} on the waiting list. You will get an email if a place frees up.")
                }
                (Standing::Waiting, None) => "The meeting is full: you are on the waiting list. You will get an email if a place frees up.".to_string(),
                (Standing::Declined, _) => "Your answer is recorded: you will not attend.".to_string(),
            };
            Ok(notice)
        }
        Ok(Err(msg)) => Err(message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not answered", &format!("Not answered: {msg}."))),
        Err(InviteError::Store(e)) => Err(store_failed(app, req.json, e)),
        Err(e) => {
            tracing::error!(detail = %e, "members: an invitation answer failed");
            Err(message(
                app,
                req.json,
                StatusCode::SERVICE_UNAVAILABLE,
                "Not answered",
                "Your answer could not be recorded. Please try again in a few minutes.",
            ))
        }
    }
}
