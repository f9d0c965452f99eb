//! The HTTP face of both forms, the same behind Lambda and behind `serve`:
//! route -> refuse posts from other sites -> decode -> idempotency -> the
//! service flow -> an answer. A plain form gets a redirect or an HTML page;
//! JSON gets JSON. Logs carry only the path, the status, the time taken and
//! claim ids: never personal data.

mod account;
mod answer;
mod check;
mod deadline;
mod desk;
mod documents;
pub mod frame;
mod idempotency;
pub mod invitations;
mod members;
mod origin;
mod pages;
mod signed_in;

pub use deadline::out_of_time;
pub use pages::refusal_message;

use answer::{Answer, decode_error, framed, json_response, link_answer, plain, render, submit_answer};
use idempotency::submit_idempotently;
use origin::{cors, foreign_post, origin_allowed};

use crate::decode::{self, BodyKind, DecodeError, MAX_BODY};
use crate::routes::{Form, Route};
use crate::service::Forms;
use crate::service::confirm::LinkView;
use crate::store::Store;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The site's origin (`https://host`): the only one whose posts are taken, and the only one CORS allows.
    pub allowed_origin: Option<String>,
    /// Also allow an `Origin` that is this request's own host (the local preview, whose port varies).
    pub allow_same_origin: bool,
    /// What this instance answers: a Lambda one form, or the signed-in pages; the preview everything.
    pub serves: Serves,
    /// One line per request on stderr: path, status, time, claim id. Never personal data.
    pub log: bool,
}

/// What an instance of the web layer answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Serves {
    /// Both forms and the signed-in pages (the preview, the tests).
    #[default]
    Everything,
    /// One form's Lambda (and the leave link).
    Form(Form),
    /// The signed-in pages' Lambda but the desk's: `/sign-in/`, `/account/`, `/members/`.
    Account,
    /// The secretariat's desk's Lambda: `/desk/` and everything under it,
    /// with the desk's rights (signing in stays the account function's).
    Desk,
}

impl Serves {
    /// The name in logs and metrics: the form's, `account`, `desk`, or `all`.
    pub fn name(self) -> &'static str {
        match self {
            Serves::Everything => "all",
            Serves::Form(f) => f.name(),
            Serves::Account => "account",
            Serves::Desk => "desk",
        }
    }
    fn form(self, f: Form) -> bool {
        match self {
            Serves::Everything => true,
            Serves::Form(only) => only == f,
            Serves::Account | Serves::Desk => false,
        }
    }
    /// Whether this instance answers a signed-in page: the desk's pages are
    /// the desk function's alone, so the account function holds none of the
    /// desk's rights.
    fn signed_in(self, path: &str) -> bool {
        match self {
            Serves::Everything => true,
            Serves::Form(_) => false,
            Serves::Account => !is_desk_path(path),
            Serves::Desk => is_desk_path(path),
        }
    }
}

pub struct App<S> {
    pub forms: Forms<S>,
    pub settings: Settings,
    /// The site's frame the answers are rendered in.
    frame: std::sync::RwLock<std::sync::Arc<frame::Frame>>,
}

impl<S: Store> App<S> {
    /// With the templates embedded at build time (checked by a test, so this cannot fail in a built binary).
    pub fn new(forms: Forms<S>, settings: Settings) -> App<S> {
        let frame = frame::Frame::embedded().expect("the embedded templates compile");
        App { forms, settings, frame: std::sync::RwLock::new(std::sync::Arc::new(frame)) }
    }

    /// Swaps the frame (the preview rebuilt its templates); requests in flight keep the old one.
    pub fn set_frame(&self, f: frame::Frame) {
        *self.frame.write().unwrap_or_else(|p| p.into_inner()) = std::sync::Arc::new(f);
    }

    fn frame(&self) -> std::sync::Arc<frame::Frame> {
        self.frame.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Whether a path is one of the signed-in pages (`/sign-in/`, `/account/`, `/desk/`, `/members/`).
pub fn is_account_path(path: &str) -> bool {
    account::Page::owns(path)
}

/// Whether a path is the secretariat's desk (`/desk/` and under): its own function in AWS.
pub fn is_desk_path(path: &str) -> bool {
    path == "/desk" || path.starts_with("/desk/")
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Every answer to a request, errors included, is JSON when its body is JSON
/// (a `Content-Type` naming JSON) or its `Accept` asks for `application/json`;
/// otherwise it is written for a person (HTML or a redirect).
pub fn wants_json(h: &HeaderMap) -> bool {
    let json_body = header_str(h, header::CONTENT_TYPE).is_some_and(|c| {
        let essence = c.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json") || essence.to_ascii_lowercase().ends_with("+json")
    });
    json_body || h.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(accepts_json)
}

/// Whether an `Accept` value lists `application/json` with a quality above 0.
fn accepts_json(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let essence = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
        });
        essence.eq_ignore_ascii_case("application/json") && !refused
    })
}

pub async fn handle<S: Store>(app: &App<S>, req: Request<Bytes>) -> Response<Bytes> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let wants_json = wants_json(&parts.headers);
    if account::Page::owns(parts.uri.path()) {
        let resp = match account::Page::parse(parts.uri.path()).filter(|_| app.settings.serves.signed_in(parts.uri.path())) {
            Some(page) => account::answer(app, page, &parts, body, wants_json).await,
            None => signed_in::message(app, wants_json, StatusCode::NOT_FOUND, "Not found", "There is no page at this address."),
        };
        count_answer(app, &resp);
        if app.settings.log {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            tracing::info!(path = parts.uri.path(), status = resp.status().as_u16(), ms = %format_args!("{ms:.1}"), "account answered");
        }
        return resp;
    }
    // Every form's function answers the leave link; the signed-in pages' functions no form.
    let route =
        Route::parse(parts.uri.path()).filter(|r| (*r == Route::Leave && matches!(app.settings.serves, Serves::Form(_))) || app.settings.serves.form(r.form()));
    let (mut resp, claim_id) = match route {
        None => (plain(app, wants_json, Form::Register, StatusCode::NOT_FOUND, "There is no form at this address."), None),
        Some(route) => dispatch(app, route, &parts, body, wants_json).await,
    };
    cors(app, &parts.headers, resp.headers_mut());
    if parts.method == Method::POST && matches!(route, Some(Route::Submit(_) | Route::Resend(_))) {
        answer_no_sooner(app, started).await;
    }
    count_answer(app, &resp);
    if app.settings.log {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let what = route.map_or("-".to_string(), |r| format!("{} {}", r.form().name(), r.action()));
        tracing::info!(route = %what, status = resp.status().as_u16(), ms = %format_args!("{ms:.1}"), id = claim_id.as_deref(), "forms answered");
    }
    resp
}

/// Counts a refusal or an unexpected error (`metrics`), by the kind the
/// answer names in its extensions or else by its status: every answer of
/// every function passes here, so no refusal goes uncounted.
fn count_answer<S: Store>(app: &App<S>, resp: &Response<Bytes>) {
    use crate::metrics::{Refused, Unexpected};
    let refused = resp.extensions().get::<Refused>().copied();
    let unexpected = resp.extensions().get::<Unexpected>().copied();
    app.forms.metrics.count_answer(resp.status(), refused, unexpected);
}

/// Holds a sent form's answer until `answer_floor` after its request arrived:
/// whoever sent it, and whatever the store knew of the address (a member, a
/// stranger, an address over its email limit), the answer then takes the same
/// time. An answer that took longer to make is counted, for the operators.
async fn answer_no_sooner<S: Store>(app: &App<S>, started: Instant) {
    let floor = app.forms.options.answer_floor;
    if floor.is_zero() {
        return;
    }
    match floor.checked_sub(started.elapsed()) {
        Some(rest) => tokio::time::sleep(rest).await,
        None => app.forms.metrics.count(crate::metrics::Metric::AnswerFloorExceeded),
    }
}

async fn dispatch<S: Store>(app: &App<S>, route: Route, parts: &http::request::Parts, body: Bytes, wants_json: bool) -> (Response<Bytes>, Option<String>) {
    let form = route.form();
    if parts.method == Method::OPTIONS {
        // Cache-Control as on every answer (openapi.yaml); a browser keeps preflights by Access-Control-Max-Age.
        let mut r = Response::builder().status(StatusCode::NO_CONTENT).header(header::ALLOW, route.allow()).header(header::CACHE_CONTROL, "no-store");
        if origin_allowed(app, &parts.headers).is_some() {
            r = r
                .header(header::ACCESS_CONTROL_ALLOW_METHODS, route.allow())
                .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Idempotency-Key")
                .header(header::ACCESS_CONTROL_MAX_AGE, "86400");
        }
        return (r.body(Bytes::new()).unwrap(), None);
    }
    if route == Route::Leave {
        return (leave(app, parts, body, wants_json).await, None);
    }
    if route == Route::Documents {
        return (documents::answer(app, parts, body, wants_json).await, None);
    }
    if route == Route::InvitationAnswer {
        return (invitations::answer(app, parts, body, wants_json).await, None);
    }
    if route == Route::Unsubscribe {
        return (invitations::unsubscribe(app, parts, body, wants_json).await, None);
    }
    let token_in_query = query_param(parts.uri.query().unwrap_or(""), "token");
    if matches!(route, Route::Confirm(_)) && (parts.method == Method::GET || parts.method == Method::HEAD) {
        let answer = match token_in_query {
            None => Answer::LinkInvalid,
            Some(t) => match app.forms.open_link(form, &t).await {
                Ok(view) => {
                    let (heading, inner) = match &view {
                        LinkView::Pending(p, used) => pages::confirm_page(&app.forms, form, p, *used, &t),
                        LinkView::Claim(c) => {
                            // The documents are extra: a failure to read them still shows the claim.
                            let docs = app.forms.claim_documents(c, &t).await.unwrap_or_default();
                            pages::claim_page(&app.forms, c, &t, &docs, None)
                        }
                    };
                    Answer::ConfirmPage { heading, inner }
                }
                Err(e) => link_answer(e),
            },
        };
        let mut r = render(app, wants_json, form, answer);
        if parts.method == Method::HEAD {
            *r.body_mut() = Bytes::new();
        }
        return (r, None);
    }
    if parts.method != Method::POST {
        let msg = if matches!(route, Route::Confirm(_)) {
            "Open the link from your email, then press Confirm."
        } else {
            "This address only accepts a form sent with POST."
        };
        let mut r = plain(app, wants_json, form, StatusCode::METHOD_NOT_ALLOWED, msg);
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(route.allow()));
        return (r, None);
    }
    if foreign_post(app, &parts.headers) {
        let msg = "This form only accepts submissions from the City Coordinators Group's own website. Nothing was stored.";
        return (plain(app, wants_json, form, StatusCode::FORBIDDEN, msg), None);
    }
    if body.len() > MAX_BODY {
        return (decode_error(app, wants_json, form, &DecodeError::TooLarge), None);
    }
    let kind = match decode::body_kind(header_str(&parts.headers, header::CONTENT_TYPE)) {
        Ok(k) => k,
        // A confirmation button sends a small form; an empty POST with the token in the query is fine too.
        Err(_) if matches!(route, Route::Confirm(_) | Route::Withdraw) && body.is_empty() => BodyKind::Form,
        Err(e) => return (decode_error(app, wants_json, form, &e), None),
    };
    // The same negotiation as every answer before this one (issue 12: a form
    // that asked for JSON got an HTML 400).
    let json = wants_json;
    let fields = match decode::decode(kind, &body) {
        Ok(f) => f,
        Err(e) => return (decode_error(app, json, form, &e), None),
    };
    match route {
        Route::Confirm(_) => {
            let token = fields.get("token").cloned().or(token_in_query).unwrap_or_default();
            let answer = match form {
                Form::Register => match app.forms.confirm_registration(&token).await {
                    Ok(_) => Answer::Registered,
                    Err(e) => link_answer(e),
                },
                Form::TravelClaims => match app.forms.confirm_claim(&token).await {
                    Ok(r) => Answer::Counted(Box::new(r)),
                    Err(e) => link_answer(e),
                },
            };
            let id = match &answer {
                Answer::Counted(r) => Some(r.claim.id.clone()),
                _ => None,
            };
            (render(app, json, form, answer), id)
        }
        Route::Withdraw => {
            let token = fields.get("token").cloned().or(token_in_query).unwrap_or_default();
            let answer = match app.forms.withdraw(&token).await {
                Ok(c) => Answer::Withdrawn(Box::new(c)),
                Err(e) => link_answer(e),
            };
            (render(app, json, form, answer), None)
        }
        Route::Resend(_) => {
            let answer = match app.forms.resend(form, &fields).await {
                Err(crate::service::submit::SubmitError::Invalid(e)) => {
                    Answer::ResendInvalid { message: e.0.get("email").cloned().unwrap_or_default(), email: fields.get("email").cloned().unwrap_or_default() }
                }
                other => submit_answer(other, &fields),
            };
            (render(app, json, form, answer), None)
        }
        Route::Submit(Form::TravelClaims) if !json => match check::claim_step(app, &fields) {
            Some(page) => (page, None),
            None => (submit_idempotently(app, form, parts, &body, &fields, json).await, None),
        },
        Route::Submit(_) => (submit_idempotently(app, form, parts, &body, &fields, json).await, None),
        Route::Leave | Route::Documents | Route::InvitationAnswer | Route::Unsubscribe => unreachable!("answered above"),
    }
}

/// `GET {api_base}/leave?token=…` shows what leaving does (changes nothing:
/// mail scanners prefetch links); `POST` with the token leaves. A link that
/// no longer works is 410, never 404 (CloudFront replaces 404s).
async fn leave<S: Store>(app: &App<S>, parts: &http::request::Parts, body: Bytes, wants_json: bool) -> Response<Bytes> {
    use crate::service::leave::LeaveLinkError;
    let f = &app.forms;
    let token_in_query = query_param(parts.uri.query().unwrap_or(""), "token");
    let failed = |e: LeaveLinkError| match e {
        LeaveLinkError::Gone if wants_json => json_response(StatusCode::GONE, &serde_json::json!({"error": "gone"})),
        LeaveLinkError::Gone => framed(app, StatusCode::GONE, Form::Register, pages::leave_gone_page(f)),
        LeaveLinkError::Unavailable(d) => render(app, wants_json, Form::Register, Answer::Unavailable(d)),
        LeaveLinkError::Corrupt(key) => render(app, wants_json, Form::Register, Answer::Corrupt(key)),
    };
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let token = token_in_query.unwrap_or_default();
        let mut r = match f.check_leave(&token).await {
            Ok(()) if wants_json => json_response(StatusCode::OK, &serde_json::json!({"status": "member"})),
            Ok(()) => framed(app, StatusCode::OK, Form::Register, pages::leave_page(f, &token)),
            Err(e) => failed(e),
        };
        if parts.method == Method::HEAD {
            *r.body_mut() = Bytes::new();
        }
        return r;
    }
    if parts.method != Method::POST {
        let mut r = plain(app, wants_json, Form::Register, StatusCode::METHOD_NOT_ALLOWED, "Open the link from your email, then press the button.");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(Route::Leave.allow()));
        return r;
    }
    if foreign_post(app, &parts.headers) {
        let msg = "This page only accepts the button on the City Coordinators Group's own website. Nothing was changed.";
        return plain(app, wants_json, Form::Register, StatusCode::FORBIDDEN, msg);
    }
    if body.len() > MAX_BODY {
        return decode_error(app, wants_json, Form::Register, &DecodeError::TooLarge);
    }
    let kind = match decode::body_kind(header_str(&parts.headers, header::CONTENT_TYPE)) {
        Ok(k) => k,
        // The page's button sends a small form; an empty POST with the token in the query is fine too.
        Err(_) if body.is_empty() => BodyKind::Form,
        Err(e) => return decode_error(app, wants_json, Form::Register, &e),
    };
    let fields = match decode::decode(kind, &body) {
        Ok(fields) => fields,
        Err(e) => return decode_error(app, wants_json, Form::Register, &e),
    };
    let token = fields.get("token").cloned().or(token_in_query).unwrap_or_default();
    match f.leave(&token).await {
        Ok(_) if wants_json => json_response(StatusCode::OK, &serde_json::json!({"status": "left"})),
        Ok(done) => framed(app, StatusCode::OK, Form::Register, pages::left_page(f, &done)),
        Err(e) => failed(e),
    }
}

/// The value of `name` in a query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    let fields = decode::decode(BodyKind::Form, query.as_bytes()).ok()?;
    fields.get(name).cloned()
}

/// Every status `handle` can answer with; the OpenAPI test checks each is documented.
pub const STATUSES: &[u16] = &[200, 202, 204, 303, 400, 403, 404, 405, 409, 410, 413, 415, 422, 503];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_for_by_the_body_or_by_accept() {
        let h = |pairs: &[(&str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.append(header::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
            }
            m
        };
        assert!(wants_json(&h(&[("content-type", "application/json; charset=utf-8")])));
        assert!(wants_json(&h(&[("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json")])));
        assert!(wants_json(&h(&[("accept", "text/html;q=0.9, Application/JSON")])));
        assert!(!wants_json(&h(&[("content-type", "application/x-www-form-urlencoded")])));
        assert!(!wants_json(&h(&[("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")])));
        assert!(!wants_json(&h(&[("accept", "application/json;q=0, text/html")])));
        assert!(!wants_json(&h(&[("content-type", "application/x-www-form-urlencoded; x=json")])));
    }
}
