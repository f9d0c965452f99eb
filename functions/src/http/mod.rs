//! The HTTP face of both forms, the same behind Lambda and behind `serve`:
//! route -> refuse posts from other sites -> decode -> idempotency -> the
//! service flow -> an answer. A plain form gets a redirect or an HTML page;
//! JSON gets JSON. Logs carry only the path, the status, the time taken and
//! claim ids: never personal data.

mod pages;

pub use pages::{escape, refusal_message};

use crate::decode::{self, BodyKind, DecodeError, Fields, MAX_BODY};
use crate::records::PendingItem;
use crate::service::confirm::{LinkError, Receipt};
use crate::service::submit::SubmitError;
use crate::service::{Form, Forms};
use crate::store::{Kept, Store, StoredAnswer};
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// Kept for the edges that name the form an endpoint.
pub type Endpoint = Form;

/// What a request asks of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Resend,
    Confirm,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Resend => "resend",
            Action::Confirm => "confirm",
        }
    }
    fn allow(self) -> &'static str {
        match self {
            Action::Confirm => "GET, HEAD, POST, OPTIONS",
            _ => "POST, OPTIONS",
        }
    }
}

/// `/api/register`, `/api/register/resend`, `/api/travel-claims/confirm`, ... (a trailing slash is fine).
pub fn route_of(path: &str) -> Option<(Form, Action)> {
    let mut parts: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(2).collect();
    parts.reverse();
    let form = |s: &str| match s {
        "register" => Some(Form::Register),
        "travel-claims" => Some(Form::TravelClaims),
        _ => None,
    };
    match parts.as_slice() {
        [parent, "resend"] => Some((form(parent)?, Action::Resend)),
        [parent, "confirm"] => Some((form(parent)?, Action::Confirm)),
        [.., last] => Some((form(last)?, Action::Submit)),
        _ => None,
    }
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The site's origin (`https://host`): the only one whose posts are taken, and the only one CORS allows.
    pub allowed_origin: Option<String>,
    /// Also allow an `Origin` that is this request's own host (the local preview, whose port varies).
    pub allow_same_origin: bool,
    /// A Lambda serves one form; `None` serves both.
    pub only: Option<Form>,
    /// One line per request on stderr: path, status, time, claim id. Never personal data.
    pub log: bool,
}

pub struct App<S> {
    pub forms: Forms<S>,
    pub settings: Settings,
}

impl<S: Store> App<S> {
    pub fn new(forms: Forms<S>, settings: Settings) -> App<S> {
        App { forms, settings }
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// What became of a request, before it is written as HTML or JSON.
enum Answer {
    /// "Check your inbox": the same for every well-formed submission.
    Sent,
    Invalid(crate::validate::FieldErrors),
    Refused { refusal: ccg_model::Refusal, year: Option<(i16, ccg_model::rules::YearUsage)> },
    Unavailable(String),
    MailNotSent { email: String },
    LinkInvalid,
    LinkUsed,
    ConfirmPage { heading: String, inner: String },
    Registered,
    Counted(Receipt),
    Plain { status: StatusCode, message: String },
}

pub async fn handle<S: Store>(app: &App<S>, req: Request<Bytes>) -> Response<Bytes> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let route = route_of(parts.uri.path()).filter(|(f, _)| app.settings.only.is_none_or(|o| o == *f));
    let wants_json = header_str(&parts.headers, header::CONTENT_TYPE).is_some_and(|c| c.to_ascii_lowercase().contains("json"))
        || header_str(&parts.headers, header::ACCEPT).is_some_and(|a| a.contains("application/json"));
    let (mut resp, claim_id) = match route {
        None => (plain(app, wants_json, Form::Register, StatusCode::NOT_FOUND, "There is no form at this address."), None),
        Some((form, action)) => dispatch(app, form, action, &parts, body, wants_json).await,
    };
    cors(app, &parts.headers, resp.headers_mut());
    if app.settings.log {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let what = route.map_or("-".to_string(), |(f, a)| format!("{} {}", f.name(), a.name()));
        eprintln!("forms {what} {} {ms:.1}ms{}", resp.status().as_u16(), claim_id.map(|i| format!(" id={i}")).unwrap_or_default());
    }
    resp
}

async fn dispatch<S: Store>(
    app: &App<S>,
    form: Form,
    action: Action,
    parts: &http::request::Parts,
    body: Bytes,
    wants_json: bool,
) -> (Response<Bytes>, Option<String>) {
    if parts.method == Method::OPTIONS {
        let mut r = Response::builder().status(StatusCode::NO_CONTENT).header(header::ALLOW, action.allow());
        if origin_allowed(app, &parts.headers).is_some() {
            r = r
                .header(header::ACCESS_CONTROL_ALLOW_METHODS, action.allow())
                .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Idempotency-Key")
                .header(header::ACCESS_CONTROL_MAX_AGE, "86400");
        }
        return (r.body(Bytes::new()).unwrap(), None);
    }
    let token_in_query = query_param(parts.uri.query().unwrap_or(""), "token");
    if action == Action::Confirm && (parts.method == Method::GET || parts.method == Method::HEAD) {
        let answer = match token_in_query {
            None => Answer::LinkInvalid,
            Some(t) => match app.forms.open_link(form, &t).await {
                Ok(p) => {
                    let (heading, inner) = pages::confirm_page(&app.forms, form, &p, &t);
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
        let msg = if action == Action::Confirm { "Open the link from your email, then press Confirm." } else { "This address only accepts a form sent with POST." };
        let mut r = plain(app, wants_json, form, StatusCode::METHOD_NOT_ALLOWED, msg);
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(action.allow()));
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
        Err(_) if action == Action::Confirm && body.is_empty() => BodyKind::Form,
        Err(e) => return (decode_error(app, wants_json, form, &e), None),
    };
    let json = kind == BodyKind::Json;
    let fields = match decode::decode(kind, &body) {
        Ok(f) => f,
        Err(e) => return (decode_error(app, json, form, &e), None),
    };
    match action {
        Action::Confirm => {
            let token = fields.get("token").cloned().or(token_in_query).unwrap_or_default();
            let answer = match form {
                Form::Register => match app.forms.confirm_registration(&token).await {
                    Ok(_) => Answer::Registered,
                    Err(e) => link_answer(e),
                },
                Form::TravelClaims => match app.forms.confirm_claim(&token).await {
                    Ok(r) => Answer::Counted(r),
                    Err(e) => link_answer(e),
                },
            };
            let id = match &answer {
                Answer::Counted(r) => Some(r.claim.id.clone()),
                _ => None,
            };
            (render(app, json, form, answer), id)
        }
        Action::Resend => {
            let answer = submit_answer(app.forms.resend(form, &fields).await);
            (render(app, json, form, answer), None)
        }
        Action::Submit => (submit_idempotently(app, form, parts, &body, &fields, json).await, None),
    }
}

fn submit_answer(r: Result<(), SubmitError>) -> Answer {
    match r {
        Ok(()) => Answer::Sent,
        Err(SubmitError::Invalid(e)) => Answer::Invalid(e),
        Err(SubmitError::Refused(refusal)) => Answer::Refused { refusal, year: None },
        Err(SubmitError::Unavailable(d)) => Answer::Unavailable(d),
        Err(SubmitError::MailNotSent { email }) => Answer::MailNotSent { email },
    }
}

fn link_answer(e: LinkError) -> Answer {
    match e {
        LinkError::Invalid => Answer::LinkInvalid,
        LinkError::Used => Answer::LinkUsed,
        LinkError::Refused { refusal, year } => Answer::Refused { refusal, year },
        LinkError::Unavailable(d) => Answer::Unavailable(d),
    }
}

/// A submission, with the Idempotency-Key promise: a retry gets the first answer.
async fn submit_idempotently<S: Store>(
    app: &App<S>,
    form: Form,
    parts: &http::request::Parts,
    body: &Bytes,
    fields: &Fields,
    json: bool,
) -> Response<Bytes> {
    let idem_key = match parts.headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())) {
            Some(k) => Some(k.to_string()),
            None => {
                let msg = "The Idempotency-Key header must be 1 to 200 visible ASCII characters.";
                return plain(app, json, form, StatusCode::BAD_REQUEST, msg);
            }
        },
    };
    let store = &app.forms.store;
    let hash = idem_key.as_ref().map(|_| {
        let mut h = Sha256::new();
        h.update(form.name().as_bytes());
        h.update([0, json as u8, 0]);
        h.update(body);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
    });
    if let (Some(key), Some(hash)) = (&idem_key, &hash) {
        match app.forms.timed(store.idempotent_start(form.name(), key, hash)).await {
            Ok(None) => {}
            Ok(Some(Kept::Done(kept))) => return replay(app, json, form, &kept, hash),
            Ok(Some(Kept::Pending { request_hash })) if request_hash != *hash => return key_reused(app, json, form),
            // The same request is being processed right now: wait for its answer.
            Ok(Some(Kept::Pending { .. })) => return wait_for_answer(app, json, form, key, hash).await,
            Err(e) => return render(app, json, form, Answer::Unavailable(e.to_string())),
        }
    }
    let result = match form {
        Form::Register => app.forms.submit_registration(fields).await,
        Form::TravelClaims => app.forms.submit_claim(fields).await,
    };
    let resp = render(app, json, form, submit_answer(result));
    if let (Some(key), Some(hash)) = (idem_key, hash) {
        let kept = if resp.status().is_server_error() {
            app.forms.timed(store.idempotent_abandon(form.name(), &key)).await
        } else {
            let answer = StoredAnswer {
                request_hash: hash,
                status: resp.status().as_u16(),
                content_type: header_str(resp.headers(), header::CONTENT_TYPE).unwrap_or("").to_string(),
                location: header_str(resp.headers(), header::LOCATION).map(str::to_string),
                body: resp.body().to_vec(),
            };
            app.forms.timed(store.idempotent_finish(form.name(), &key, answer)).await
        };
        // The answer stands: only the copy for retries is missing (the mark expires by itself).
        if let Err(e) = kept
            && app.settings.log
        {
            eprintln!("forms {} idempotency record not updated: {e}", form.name());
        }
    }
    resp
}

/// The order of the fields on each form, for listing mistakes.
fn field_order(form: Form) -> &'static [&'static str] {
    match form {
        Form::Register => &["name", "email", "city", "country", "organisation", "position", "city_status", "project", "consent"],
        Form::TravelClaims => &[
            "name",
            "email",
            "city",
            "country",
            "event",
            "travel_start",
            "travel_end",
            "amount_eur",
            "transport_eur",
            "accommodation_eur",
            "consent",
        ],
    }
}

const SENT_MESSAGE: &str = "Check your inbox: we sent an email with a link to confirm.";

fn render<S: Store>(app: &App<S>, json: bool, form: Form, answer: Answer) -> Response<Bytes> {
    let f = &app.forms;
    let html = |status: StatusCode, heading: &str, inner: &str| html_response(status, pages::page(f, form, heading, inner));
    match answer {
        Answer::Sent => {
            if json {
                json_response(StatusCode::ACCEPTED, &json!({"status": "confirmation_sent", "message": SENT_MESSAGE}))
            } else {
                Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header(header::LOCATION, f.page(form.thanks_page()))
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(Bytes::new())
                    .unwrap()
            }
        }
        Answer::Invalid(errors) => {
            if json {
                let mut ordered: Vec<(&str, &String)> = errors.0.iter().map(|(k, v)| (*k, v)).collect();
                ordered.sort_by_key(|(k, _)| field_order(form).iter().position(|x| x == k).unwrap_or(usize::MAX));
                let map: serde_json::Map<String, serde_json::Value> = ordered.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": map}))
            } else {
                html(StatusCode::UNPROCESSABLE_ENTITY, "Please correct the form", &pages::field_errors(form, &errors, field_order(form)))
            }
        }
        Answer::Refused { refusal, year } => {
            let msg = refusal_message(refusal, &f.catalogue().rules, year);
            if json {
                json_response(StatusCode::CONFLICT, &json!({"reason": refusal.code(), "message": msg}))
            } else {
                html(StatusCode::CONFLICT, "We cannot accept this claim", &pages::paragraph(&msg))
            }
        }
        Answer::Unavailable(detail) => {
            if app.settings.log {
                eprintln!("forms {} store unavailable: {detail}", form.name());
            }
            // A timeout cannot tell whether a write landed (each is atomic): promise only what is sure.
            let msg = "The form service is unavailable at the moment, so this could not be done. Please try again in a few minutes.";
            if json {
                json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": msg}))
            } else {
                html(StatusCode::SERVICE_UNAVAILABLE, "The form could not be sent", &pages::paragraph(msg))
            }
        }
        Answer::MailNotSent { email } => {
            if app.settings.log {
                eprintln!("forms {} email not sent", form.name());
            }
            let msg = "We kept what you sent, but the email with your confirmation link could not be sent just now. \
                       Please ask for the link again in a few minutes.";
            let resend = format!("{}/{}/resend", f.options.api_base, form.name());
            if json {
                json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": msg, "resend": resend}))
            } else {
                let inner = format!("{}\n{}", pages::paragraph(msg), pages::resend_form(f, form, &email));
                html(StatusCode::SERVICE_UNAVAILABLE, "The email could not be sent", &inner)
            }
        }
        Answer::LinkInvalid => {
            let msg = format!(
                "This link is not valid or has expired (links work for {} hours). Nothing was confirmed. \
                 If you still want to, send the form again.",
                f.options.link_hours
            );
            // 410, not 404: the CDN in front of the site replaces every 404 with the site's own page.
            if json {
                json_response(StatusCode::GONE, &json!({"error": msg}))
            } else {
                html(StatusCode::GONE, "This link does not work", &pages::paragraph(&msg))
            }
        }
        Answer::LinkUsed => {
            let msg = "This link was already used: what it confirms is confirmed. A link works once.";
            if json {
                json_response(StatusCode::GONE, &json!({"error": msg}))
            } else {
                html(StatusCode::GONE, "Already confirmed", &pages::paragraph(msg))
            }
        }
        Answer::ConfirmPage { heading, inner } => {
            if json {
                json_response(StatusCode::OK, &json!({"status": "pending"}))
            } else {
                html(StatusCode::OK, &heading, &inner)
            }
        }
        Answer::Registered => {
            let msg = "Your registration is confirmed. The Scalable Cities secretariat reviews it and admits you as a \
                       representative of your city; you can then ask for travel support.";
            if json {
                json_response(StatusCode::OK, &json!({"status": "confirmed", "message": msg}))
            } else {
                html(StatusCode::OK, "Registration confirmed", &pages::paragraph(msg))
            }
        }
        Answer::Counted(r) => {
            if json {
                let body = json!({"status": "confirmed", "id": r.claim.id, "remaining": {"trips": r.remaining.trips, "euros": r.remaining.amount.to_decimal()}});
                json_response(StatusCode::OK, &body)
            } else {
                html(StatusCode::OK, "Claim confirmed", &pages::receipt(&r))
            }
        }
        Answer::Plain { status, message } => {
            if json {
                json_response(status, &json!({"error": message}))
            } else {
                html(status, "The form could not be sent", &pages::paragraph(&message))
            }
        }
    }
}

/// Gives back a kept answer, or refuses a key reused for a different request.
fn replay<S: Store>(app: &App<S>, json: bool, form: Form, kept: &StoredAnswer, hash: &str) -> Response<Bytes> {
    if kept.request_hash != hash {
        return key_reused(app, json, form);
    }
    let mut r = Response::builder()
        .status(StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK))
        .header("idempotency-replayed", "true")
        .header(header::CACHE_CONTROL, "no-store");
    if !kept.content_type.is_empty() {
        r = r.header(header::CONTENT_TYPE, &kept.content_type);
    }
    if let Some(l) = &kept.location {
        r = r.header(header::LOCATION, l);
    }
    r.body(Bytes::from(kept.body.clone())).unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn key_reused<S: Store>(app: &App<S>, json: bool, form: Form) -> Response<Bytes> {
    let msg = "This Idempotency-Key was already used for a different request. Use a new key for a new submission.";
    if json {
        json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"reason": "idempotency_key_reused", "message": msg}))
    } else {
        plain(app, false, form, StatusCode::UNPROCESSABLE_ENTITY, msg)
    }
}

/// Polls for the answer of the identical request in flight, up to the store timeout.
async fn wait_for_answer<S: Store>(app: &App<S>, json: bool, form: Form, key: &str, hash: &str) -> Response<Bytes> {
    let deadline = Instant::now() + app.forms.options.store_timeout;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        match app.forms.timed(app.forms.store.idempotent_get(form.name(), key)).await {
            Ok(Some(Kept::Done(kept))) => return replay(app, json, form, &kept, hash),
            Ok(Some(Kept::Pending { .. })) => {}
            // The first request failed and let go of the key: this one may try again.
            Ok(None) => break,
            Err(e) => return render(app, json, form, Answer::Unavailable(e.to_string())),
        }
    }
    let msg = "The same submission is still being processed. Please try again in a moment.";
    if json {
        json_response(StatusCode::CONFLICT, &json!({"reason": "idempotency_request_in_progress", "message": msg}))
    } else {
        plain(app, false, form, StatusCode::CONFLICT, msg)
    }
}

fn decode_error<S: Store>(app: &App<S>, json: bool, form: Form, e: &DecodeError) -> Response<Bytes> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let msg = match e {
        DecodeError::TooLarge => format!("The form is too large: send at most {} KiB.", MAX_BODY / 1024),
        other => {
            let s = other.to_string();
            let mut c = s.chars();
            c.next().map(|f| format!("{}{}.", f.to_uppercase(), c.as_str())).unwrap_or_default()
        }
    };
    plain(app, json, form, status, &msg)
}

fn plain<S: Store>(app: &App<S>, json: bool, form: Form, status: StatusCode, msg: &str) -> Response<Bytes> {
    render(app, json, form, Answer::Plain { status, message: msg.to_string() })
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

fn html_response(status: StatusCode, page: String) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        // The pages a link opens carry the token: keep it out of other sites' logs.
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(Bytes::from(page))
        .unwrap()
}

/// The value of `name` in a query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    let fields = decode::decode(BodyKind::Form, query.as_bytes()).ok()?;
    fields.get(name).cloned()
}

/// The request's `Origin` when it is the configured one (or, in the preview, the request's own host).
fn origin_allowed<'a, S>(app: &App<S>, h: &'a HeaderMap) -> Option<&'a str> {
    let origin = header_str(h, header::ORIGIN)?;
    same_site(app, h, origin).then_some(origin)
}

fn same_site<S>(app: &App<S>, h: &HeaderMap, origin: &str) -> bool {
    if app.settings.allowed_origin.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(origin)) {
        return true;
    }
    if app.settings.allow_same_origin
        && let Some(host) = header_str(h, header::HOST)
        && let Some(bare) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))
    {
        return bare.eq_ignore_ascii_case(host);
    }
    false
}

/// A post a browser sent from another site's page: its `Origin` (or, without
/// one, `Sec-Fetch-Site`, then `Referer`) is not the site's own. A program
/// that sends none of these (curl, the tests) is not a browser on another site.
fn foreign_post<S>(app: &App<S>, h: &HeaderMap) -> bool {
    if let Some(origin) = h.get(header::ORIGIN) {
        return !origin.to_str().is_ok_and(|o| same_site(app, h, o));
    }
    if let Some(site) = h.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    if let Some(referer) = h.get(header::REFERER) {
        let Ok(r) = referer.to_str() else { return true };
        let after_scheme = r.find("://").map_or(0, |i| i + 3);
        let origin = match r[after_scheme..].find('/') {
            Some(i) => &r[..after_scheme + i],
            None => r,
        };
        return !same_site(app, h, origin);
    }
    false
}

fn cors<S>(app: &App<S>, req: &HeaderMap, resp: &mut HeaderMap) {
    if app.settings.allowed_origin.is_some() || app.settings.allow_same_origin {
        resp.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(o) = origin_allowed(app, req).and_then(|o| HeaderValue::from_str(o).ok()) {
        resp.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        resp.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Idempotency-Replayed"));
    }
}

/// Every status `handle` can answer with; the OpenAPI test checks each is documented.
pub const STATUSES: &[u16] = &[200, 202, 204, 303, 400, 403, 404, 405, 409, 410, 413, 415, 422, 503];

/// The kind of a pending item, for logs and pages that must not show its content.
pub fn pending_kind(p: &PendingItem) -> &'static str {
    p.kind()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route_of("/api/register"), Some((Form::Register, Action::Submit)));
        assert_eq!(route_of("/api/register/"), Some((Form::Register, Action::Submit)));
        assert_eq!(route_of("/register"), Some((Form::Register, Action::Submit)));
        assert_eq!(route_of("/api/travel-claims/confirm"), Some((Form::TravelClaims, Action::Confirm)));
        assert_eq!(route_of("/api/travel-claims/resend/"), Some((Form::TravelClaims, Action::Resend)));
        assert_eq!(route_of("/api/other/confirm"), None);
        assert_eq!(route_of("/api/confirm"), None);
        assert_eq!(route_of("/api/register/other"), None);
        assert_eq!(route_of("/"), None);
    }
}
