//! What the signed-in pages share (`http::account`, `http::desk`,
//! `http::members`): the request as they read it, a person's passkeys and
//! sessions as their pages show them, and their plain answers (one sentence, a
//! redirect, a store failure), as HTML or JSON.

use super::answer::{framed, json_response};
use super::frame::{AnswerPage, Body};
use super::{App, header_str};
use crate::decode::{self, Fields};
use crate::routes::Form;
use crate::service::account::SignedIn;
use crate::store::{Store, StoreError};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::json;

/// The request as the signed-in pages read it.
pub(super) struct Req<'a> {
    pub parts: &'a Parts,
    pub json: bool,
    pub who: Option<SignedIn>,
}

impl Req<'_> {
    pub fn user_agent(&self) -> &str {
        header_str(&self.parts.headers, header::USER_AGENT).unwrap_or("")
    }
}

/// A store's failure, logged by key or detail (never personal data): corrupt
/// data is a 500; anything else an outage, a 503 that says when to try again.
fn store_failure(e: StoreError) -> (StatusCode, bool) {
    match e {
        StoreError::Corrupt(key) => {
            tracing::error!(key = %key, "account corrupt record");
            (StatusCode::INTERNAL_SERVER_ERROR, false)
        }
        e => {
            tracing::error!(detail = %e, "account store unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, true)
        }
    }
}

/// A store's failure as JSON (the passkey steps).
pub(super) fn store_json(e: StoreError) -> Response<Bytes> {
    let (status, retry) = store_failure(e);
    let msg = if retry {
        "The service is unavailable at the moment. Please try again in a few minutes."
    } else {
        "Something went wrong on our side. The secretariat has been alerted."
    };
    with_retry(json_response(status, &json!({"error": msg})), retry)
}

/// A store's failure as a page, or as JSON.
pub(super) fn store_failed<S: Store>(app: &App<S>, json: bool, e: StoreError) -> Response<Bytes> {
    if json {
        return store_json(e);
    }
    let (status, retry) = store_failure(e);
    let msg = if retry {
        "The service is unavailable at the moment, so this could not be done. Please try again in a few minutes."
    } else {
        "Something went wrong on our side, so this could not be done. The secretariat has been alerted."
    };
    with_retry(message(app, false, status, "Not done", msg), retry)
}

fn with_retry(mut r: Response<Bytes>, retry: bool) -> Response<Bytes> {
    if retry {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(super::answer::RETRY_AFTER_SECS));
    }
    r
}

/// A page of one sentence (or its JSON).
pub(super) fn message<S: Store>(app: &App<S>, json: bool, status: StatusCode, heading: &str, msg: &str) -> Response<Bytes> {
    if json {
        let key = if status.is_success() { "message" } else { "error" };
        return json_response(status, &json!({ key: msg }));
    }
    let page = AnswerPage { title: heading.into(), heading: heading.into(), body: Body::message(msg), url: "/sign-in/".into(), ..AnswerPage::default() };
    framed(app, status, Form::Register, page)
}

pub(super) fn see_other(location: &str) -> Response<Bytes> {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, location).body(Bytes::new()).expect("valid response")
}

/// A form's fields (or a small JSON object's).
pub(super) fn fields(req: &Req<'_>, body: &Bytes) -> Result<Fields, String> {
    if body.is_empty() {
        return Ok(Fields::new());
    }
    let kind = decode::body_kind(header_str(&req.parts.headers, header::CONTENT_TYPE)).map_err(|e| e.to_string())?;
    decode::decode(kind, body).map_err(|e| e.to_string())
}

/// A person's passkeys and sessions as `answers/account-security.html` shows them: (passkeys, sessions).
pub(super) async fn security<S: Store>(app: &App<S>, who: &SignedIn) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>), crate::store::StoreError> {
    let f = &app.forms;
    // One after the other: both at once would make every signed-in request's future larger.
    let (sessions, passkeys) = (f.sessions(who).await?, f.passkeys(who).await?);
    let day =
        |secs: i64| jiff::Timestamp::from_second(secs).map(|t| ccg_model::words::long_date(jiff::tz::TimeZone::UTC.to_datetime(t).date())).unwrap_or_default();
    let sessions: Vec<_> = sessions
        .iter()
        .map(|s| {
            json!({
                "device": s.device, "started": day(s.created_at), "last_used": day(s.last_used_at),
                "by": if s.by == crate::records::SignedInBy::Passkey { "with a passkey" } else { "by an emailed link" },
                "this": s.id_hash == who.session.id_hash, "handle": crate::service::account::session_handle(s),
            })
        })
        .collect();
    let passkeys: Vec<_> =
        passkeys.iter().map(|p| json!({"id": p.id, "device": p.device, "created": day(p.created_at), "last_used": p.last_used_at.map(day)})).collect();
    Ok((passkeys, sessions))
}
