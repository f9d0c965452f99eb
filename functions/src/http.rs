//! The HTTP face of both forms, the same behind Lambda and behind `serve`:
//! request -> decode -> validate -> rules -> store -> response.
//! A plain form gets a redirect or an HTML page; JSON gets JSON. Bad input is
//! always a 4xx with a message; a store that is down or slow is a 503.
//! Logs carry only the endpoint, the status, the time taken and record ids.

use crate::claims::{self, Rejection};
use crate::decode::{self, BodyKind, DecodeError, MAX_BODY};
use crate::store::{ClaimError, Kept, Store, StoreError, StoredAnswer};
use crate::validate::{self, FieldErrors, Submission};
use bytes::Bytes;
use ccg_model::rules::YearUsage;
use ccg_model::{Catalogue, Cents, Refusal, TravelRules};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Register,
    TravelClaims,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Register => "register",
            Endpoint::TravelClaims => "travel-claims",
        }
    }
    /// The page with the form, and its thank-you page (site paths).
    pub fn form_page(self) -> &'static str {
        match self {
            Endpoint::Register => "/join/",
            Endpoint::TravelClaims => "/financial-support/",
        }
    }
    pub fn thanks_page(self) -> &'static str {
        match self {
            Endpoint::Register => "/join/thanks/",
            Endpoint::TravelClaims => "/financial-support/thanks/",
        }
    }
    fn fields(self) -> &'static [&'static str] {
        match self {
            Endpoint::Register => &["name", "email", "city", "country", "organisation", "position", "city_status", "project", "consent"],
            Endpoint::TravelClaims => &[
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
    /// Routes by the last path segment, so `/api/register`, `/register` and `/register/` all work.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        match path.trim_end_matches('/').rsplit('/').next()? {
            "register" => Some(Endpoint::Register),
            "travel-claims" => Some(Endpoint::TravelClaims),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The site's origin (`https://host`): the only one CORS allows.
    pub allowed_origin: Option<String>,
    /// Also allow an `Origin` that is this request's own host (the local preview, whose port varies).
    pub allow_same_origin: bool,
    /// Only the local preview accepts claims for draft events.
    pub accept_drafts: bool,
    /// Prefix of the site's pages in redirects and links: "" when the API is on the site's host.
    pub site_url: String,
    pub site_title: String,
    /// A store call that takes longer is answered with a 503.
    pub store_timeout: Duration,
    /// A Lambda serves one form; `None` serves both.
    pub only: Option<Endpoint>,
    /// One line per request on stderr: endpoint, status, time, record id. Never personal data.
    pub log: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allowed_origin: None,
            allow_same_origin: false,
            accept_drafts: false,
            site_url: String::new(),
            site_title: "City Coordinators Group".into(),
            store_timeout: Duration::from_secs(3),
            only: None,
            log: true,
        }
    }
}

pub struct App<S> {
    pub store: S,
    catalogue: RwLock<Arc<Catalogue>>,
    pub settings: Settings,
}

impl<S: Store> App<S> {
    pub fn new(store: S, catalogue: Catalogue, settings: Settings) -> App<S> {
        App { store, catalogue: RwLock::new(Arc::new(catalogue)), settings }
    }
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// Swaps the content (the preview rebuilt it); requests in flight keep the old one.
    pub fn set_catalogue(&self, c: Catalogue) {
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c);
    }
}

/// What became of a submission, before it is written as HTML or JSON.
enum Outcome {
    Created { id: String, remaining: Option<YearUsage> },
    /// The honeypot was filled: look accepted, store nothing.
    Ignored,
    Invalid(FieldErrors),
    Refused { refusal: Refusal, year: Option<(i16, YearUsage)> },
    Unavailable(String),
}

async fn with_timeout<T>(limit: Duration, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r,
        Err(_) => Err(StoreError::Unavailable(format!("the store did not answer within {} ms", limit.as_millis()))),
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

pub async fn handle<S: Store>(app: &App<S>, req: Request<Bytes>) -> Response<Bytes> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let endpoint = Endpoint::from_path(parts.uri.path()).filter(|e| app.settings.only.is_none_or(|o| o == *e));
    let wants_json = header_str(&parts.headers, header::CONTENT_TYPE).is_some_and(|c| c.to_ascii_lowercase().contains("json"))
        || header_str(&parts.headers, header::ACCEPT).is_some_and(|a| a.contains("application/json"));
    let (mut resp, id) = match endpoint {
        None => (plain_error(app, wants_json, None, StatusCode::NOT_FOUND, "There is no form at this address."), None),
        Some(ep) => route(app, ep, &parts, body, wants_json).await,
    };
    cors(app, &parts.headers, resp.headers_mut());
    if app.settings.log {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let ep = endpoint.map_or("-", Endpoint::name);
        // A registration's id is derived from the email address, so only claim
        // ids (city and event) are logged: the logs hold no personal data.
        let id = id.filter(|_| endpoint == Some(Endpoint::TravelClaims));
        eprintln!("forms {ep} {} {ms:.1}ms{}", resp.status().as_u16(), id.map(|i| format!(" id={i}")).unwrap_or_default());
    }
    resp
}

async fn route<S: Store>(
    app: &App<S>,
    ep: Endpoint,
    parts: &http::request::Parts,
    body: Bytes,
    wants_json: bool,
) -> (Response<Bytes>, Option<String>) {
    if parts.method == Method::OPTIONS {
        let mut r = Response::builder().status(StatusCode::NO_CONTENT).header(header::ALLOW, "POST, OPTIONS");
        if origin_allowed(app, &parts.headers).is_some() {
            r = r
                .header(header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS")
                .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Idempotency-Key")
                .header(header::ACCESS_CONTROL_MAX_AGE, "86400");
        }
        return (r.body(Bytes::new()).unwrap(), None);
    }
    if parts.method != Method::POST {
        let mut r = plain_error(app, wants_json, Some(ep), StatusCode::METHOD_NOT_ALLOWED, "This address only accepts a form sent with POST.");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        return (r, None);
    }
    if body.len() > MAX_BODY {
        return (decode_error(app, wants_json, ep, &DecodeError::TooLarge), None);
    }
    let kind = match decode::body_kind(header_str(&parts.headers, header::CONTENT_TYPE)) {
        Ok(k) => k,
        Err(e) => return (decode_error(app, wants_json, ep, &e), None),
    };
    let json = kind == BodyKind::Json;

    let fields = match decode::decode(kind, &body) {
        Ok(f) => f,
        Err(e) => return (decode_error(app, json, ep, &e), None),
    };
    let idem_key = match parts.headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())) {
            Some(k) => Some(k.to_string()),
            None => {
                let msg = "The Idempotency-Key header must be 1 to 200 visible ASCII characters.";
                return (plain_error(app, json, Some(ep), StatusCode::BAD_REQUEST, msg), None);
            }
        },
    };
    let request_hash = idem_key.as_ref().map(|_| {
        let mut h = Sha256::new();
        h.update(ep.name().as_bytes());
        h.update([0, json as u8, 0]);
        h.update(&body);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
    });
    if let (Some(key), Some(hash)) = (&idem_key, &request_hash) {
        let limit = app.settings.store_timeout;
        match with_timeout(limit, app.store.idempotent_start(ep.name(), key, hash)).await {
            Ok(None) => {}
            Ok(Some(Kept::Done(kept))) => return (replay(app, json, ep, &kept, hash), None),
            Ok(Some(Kept::Pending { request_hash })) if request_hash != *hash => return (key_reused(app, json, ep), None),
            // The same request is being processed right now: wait for its answer.
            Ok(Some(Kept::Pending { .. })) => return (wait_for_answer(app, json, ep, key, hash).await, None),
            Err(e) => return (render(app, json, ep, Outcome::Unavailable(e.to_string())), None),
        }
    }

    let outcome = match ep {
        Endpoint::Register => register(app, &fields).await,
        Endpoint::TravelClaims => claim(app, &fields).await,
    };
    let id = match &outcome {
        Outcome::Created { id, .. } => Some(id.clone()),
        _ => None,
    };
    let resp = render(app, json, ep, outcome);

    if let (Some(key), Some(hash)) = (idem_key, request_hash) {
        let limit = app.settings.store_timeout;
        let kept = if resp.status().is_server_error() {
            with_timeout(limit, app.store.idempotent_abandon(ep.name(), &key)).await
        } else {
            let answer = StoredAnswer {
                request_hash: hash,
                status: resp.status().as_u16(),
                content_type: header_str(resp.headers(), header::CONTENT_TYPE).unwrap_or("").to_string(),
                location: header_str(resp.headers(), header::LOCATION).map(str::to_string),
                body: resp.body().to_vec(),
            };
            with_timeout(limit, app.store.idempotent_finish(ep.name(), &key, answer)).await
        };
        // The answer stands: only the copy for retries is missing (the mark expires by itself).
        if let Err(e) = kept
            && app.settings.log {
                eprintln!("forms {} idempotency record not updated: {e}", ep.name());
            }
    }
    (resp, id)
}

async fn register<S: Store>(app: &App<S>, fields: &decode::Fields) -> Outcome {
    let cat = app.catalogue();
    let input = match validate::registration(fields, &cat.directory) {
        Ok(Submission::Valid(i)) => i,
        Ok(Submission::Honeypot) => return Outcome::Ignored,
        Err(e) => return Outcome::Invalid(e),
    };
    let record = claims::registration(input, &now());
    match with_timeout(app.settings.store_timeout, app.store.register(record)).await {
        Ok(id) => Outcome::Created { id, remaining: None },
        Err(e) => Outcome::Unavailable(e.to_string()),
    }
}

async fn claim<S: Store>(app: &App<S>, fields: &decode::Fields) -> Outcome {
    let cat = app.catalogue();
    let input = match validate::claim(fields) {
        Ok(Submission::Valid(i)) => i,
        Ok(Submission::Honeypot) => return Outcome::Ignored,
        Err(mut e) => {
            // The per-trip limit needs no store: tell it now with the other
            // mistakes, so a person does not have to submit twice to learn it.
            // (Alone, it stays the 409 `over_per_trip_limit` refusal.)
            let amount = fields.get("amount_eur").and_then(|a| Cents::parse_eur(a).ok());
            if let Some(a) = amount
                && !e.has("amount_eur")
                && cat.rules.check_amount(a).is_err()
            {
                e.add("amount_eur", format!("The most paid for one trip is {}.", cat.rules.max_per_trip));
            }
            return Outcome::Invalid(e);
        }
    };
    let c = match claims::claim(&cat, input, app.settings.accept_drafts, &now()) {
        Ok(c) => c,
        Err(Rejection::Invalid(e)) => return Outcome::Invalid(e),
        Err(Rejection::Refused(r)) => return Outcome::Refused { refusal: r, year: None },
    };
    let (city_key, year) = (c.city_key.clone(), c.year);
    let result = tokio::time::timeout(app.settings.store_timeout, app.store.claim(c, &cat.rules)).await;
    match result {
        Ok(Ok(done)) => Outcome::Created { id: done.id, remaining: Some(cat.rules.remaining(done.used)) },
        Ok(Err(ClaimError::Refused(refusal))) => {
            // Say what is left, when the refusal is about the year; best effort.
            let year = match refusal {
                Refusal::OverYearlyAmount | Refusal::OverYearlyTrips => {
                    with_timeout(app.settings.store_timeout, app.store.year_usage(&city_key, year)).await.ok().map(|u| (year, u))
                }
                _ => None,
            };
            Outcome::Refused { refusal, year }
        }
        Ok(Err(ClaimError::Store(e))) => Outcome::Unavailable(e.to_string()),
        Err(_) => Outcome::Unavailable(format!("the store did not answer within {} ms", app.settings.store_timeout.as_millis())),
    }
}

/// The human sentence for a refusal, with the limits from the rules.
pub fn refusal_message(r: Refusal, rules: &TravelRules, year: Option<(i16, YearUsage)>) -> String {
    match r {
        Refusal::CityNotEligible => "Your city does not qualify for a travel contribution for this event: the contribution is for the \
             SCC cities listed on the financial support page, judged on the date of the event."
            .into(),
        Refusal::EventNotEligible => {
            let formats: Vec<&str> = rules.eligible_formats.iter().map(|f| f.label()).collect();
            format!(
                "This event is not eligible: travel contributions are only for CCG events of this format: {}, announced by the secretariat beforehand and not cancelled.",
                formats.join(", ").to_lowercase()
            )
        }
        Refusal::OverPerTrip => format!("The amount is over the limit of {} per trip. Please ask for {} or less.", rules.max_per_trip, rules.max_per_trip),
        Refusal::OverYearlyTrips => match year {
            Some((y, _)) => format!("Your city has already had its {} trips for {y}.", rules.max_trips_per_year),
            None => format!("Your city has already had its {} trips for the year of this event.", rules.max_trips_per_year),
        },
        Refusal::OverYearlyAmount => match year {
            Some((y, used)) => format!(
                "This amount would take your city over its limit of {} for {y}: it has {} left.",
                rules.max_per_year,
                rules.remaining(used).amount
            ),
            None => format!("This amount would take your city over its yearly limit of {}.", rules.max_per_year),
        },
        Refusal::ClaimsNotOpen => "This meeting does not take claims on this date.".into(),
        Refusal::NotRepresentative => "Only an approved representative of the city can claim for it.".into(),
        Refusal::AlreadyClaimed => {
            "Your city has already sent a claim for this event. To change it, write to the Scalable Cities secretariat.".into()
        }
    }
}

fn render<S: Store>(app: &App<S>, json: bool, ep: Endpoint, outcome: Outcome) -> Response<Bytes> {
    match outcome {
        Outcome::Created { id, remaining } => {
            if json {
                let body = match remaining {
                    Some(r) => json!({"id": id, "remaining": {"trips": r.trips, "euros": r.amount.to_decimal()}}),
                    None => json!({"id": id}),
                };
                json_response(StatusCode::CREATED, &body)
            } else {
                see_other(app, ep)
            }
        }
        Outcome::Ignored => {
            if json {
                // Looks like any other id, so a bot cannot tell it was spotted.
                let digest = Sha256::digest(now().as_bytes());
                let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
                let prefix = if ep == Endpoint::Register { "reg" } else { "clm" };
                let body = if ep == Endpoint::Register {
                    json!({"id": format!("{prefix}_{hex}")})
                } else {
                    let rules = &app.catalogue().rules;
                    json!({"id": format!("{prefix}_{hex}"), "remaining": {"trips": rules.max_trips_per_year - 1, "euros": rules.max_per_year.to_decimal()}})
                };
                json_response(StatusCode::CREATED, &body)
            } else {
                see_other(app, ep)
            }
        }
        Outcome::Invalid(errors) => {
            let mut ordered: Vec<(&str, &String)> = errors.0.iter().map(|(k, v)| (*k, v)).collect();
            ordered.sort_by_key(|(k, _)| ep.fields().iter().position(|f| f == k).unwrap_or(usize::MAX));
            if json {
                let map: serde_json::Map<String, serde_json::Value> = ordered.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": map}))
            } else {
                let items: String = ordered
                    .iter()
                    .map(|(k, v)| format!("<li><strong>{}</strong>: {}</li>", escape(validate::label(k)), escape(v)))
                    .collect();
                let what = if ep == Endpoint::Register { "registration" } else { "claim" };
                let body = format!(
                    "<p>We could not accept your {what} yet. Please correct {}:</p>\n<ul>\n{items}\n</ul>",
                    if ordered.len() == 1 { "this field" } else { "these fields" }
                );
                html_page(app, StatusCode::UNPROCESSABLE_ENTITY, ep, "Please correct the form", &body)
            }
        }
        Outcome::Refused { refusal, year } => {
            let msg = refusal_message(refusal, &app.catalogue().rules, year);
            if json {
                json_response(StatusCode::CONFLICT, &json!({"reason": refusal.code(), "message": msg}))
            } else {
                html_page(app, StatusCode::CONFLICT, ep, "We cannot accept this claim", &format!("<p>{}</p>", escape(&msg)))
            }
        }
        Outcome::Unavailable(detail) => {
            if app.settings.log {
                eprintln!("forms {} store unavailable: {detail}", ep.name());
            }
            // A timeout cannot tell whether the write landed (it is atomic either way): promise only what is sure.
            let msg = "The form service is unavailable at the moment, so your submission could not be confirmed. \
                       Please try again in a few minutes.";
            if json {
                json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": msg}))
            } else {
                html_page(app, StatusCode::SERVICE_UNAVAILABLE, ep, "The form could not be sent", &format!("<p>{msg}</p>"))
            }
        }
    }
}

/// Gives back a kept answer, or refuses a key reused for a different request.
fn replay<S: Store>(app: &App<S>, json: bool, ep: Endpoint, kept: &StoredAnswer, hash: &str) -> Response<Bytes> {
    if kept.request_hash != hash {
        return key_reused(app, json, ep);
    }
    let mut r = Response::builder()
        .status(StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK))
        .header("idempotency-replayed", "true");
    if !kept.content_type.is_empty() {
        r = r.header(header::CONTENT_TYPE, &kept.content_type);
    }
    if let Some(l) = &kept.location {
        r = r.header(header::LOCATION, l);
    }
    r.body(Bytes::from(kept.body.clone())).unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn key_reused<S: Store>(app: &App<S>, json: bool, ep: Endpoint) -> Response<Bytes> {
    let msg = "This Idempotency-Key was already used for a different request. Use a new key for a new submission.";
    if json {
        json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"reason": "idempotency_key_reused", "message": msg}))
    } else {
        html_page(app, StatusCode::UNPROCESSABLE_ENTITY, ep, "The form could not be sent", &format!("<p>{msg}</p>"))
    }
}

/// Polls for the answer of the identical request in flight, up to the store timeout.
async fn wait_for_answer<S: Store>(app: &App<S>, json: bool, ep: Endpoint, key: &str, hash: &str) -> Response<Bytes> {
    let deadline = Instant::now() + app.settings.store_timeout;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        match with_timeout(app.settings.store_timeout, app.store.idempotent_get(ep.name(), key)).await {
            Ok(Some(Kept::Done(kept))) => return replay(app, json, ep, &kept, hash),
            Ok(Some(Kept::Pending { .. })) => {}
            // The first request failed and let go of the key: this one may try again.
            Ok(None) => break,
            Err(e) => return render(app, json, ep, Outcome::Unavailable(e.to_string())),
        }
    }
    let msg = "The same submission is still being processed. Please try again in a moment.";
    if json {
        json_response(StatusCode::CONFLICT, &json!({"reason": "idempotency_request_in_progress", "message": msg}))
    } else {
        html_page(app, StatusCode::CONFLICT, ep, "The form could not be sent", &format!("<p>{msg}</p>"))
    }
}

fn decode_error<S: Store>(app: &App<S>, json: bool, ep: Endpoint, e: &DecodeError) -> Response<Bytes> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let msg = match e {
        DecodeError::TooLarge => format!("The form is too large: send at most {} KiB.", MAX_BODY / 1024),
        other => {
            let s = other.to_string();
            let mut c = s.chars();
            c.next().map(|f| format!("{}{}.", f.to_uppercase(), c.as_str())).unwrap_or_default()
        }
    };
    plain_error(app, json, Some(ep), status, &msg)
}

fn plain_error<S: Store>(app: &App<S>, json: bool, ep: Option<Endpoint>, status: StatusCode, msg: &str) -> Response<Bytes> {
    if json {
        json_response(status, &json!({"error": msg}))
    } else {
        html_page(app, status, ep.unwrap_or(Endpoint::Register), "The form could not be sent", &format!("<p>{}</p>", escape(msg)))
    }
}

fn see_other<S: Store>(app: &App<S>, ep: Endpoint) -> Response<Bytes> {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, format!("{}{}", app.settings.site_url, ep.thanks_page()))
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::new())
        .unwrap()
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

/// A small, self-contained page: readable without the site's CSS, valid HTML.
fn html_page<S: Store>(app: &App<S>, status: StatusCode, ep: Endpoint, heading: &str, inner: &str) -> Response<Bytes> {
    let site = &app.settings.site_url;
    let title = escape(&app.settings.site_title);
    let back = format!("{site}{}", ep.form_page());
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{heading} – {title}</title>\n<meta name=\"robots\" content=\"noindex\">\n<link rel=\"stylesheet\" href=\"{site}/style.css\">\n</head>\n<body>\n\
         <main id=\"main\" class=\"form-result\">\n<h1>{heading}</h1>\n{inner}\n\
         <p><a href=\"{back}\">Back to the form</a> (or use your browser's Back button to keep what you typed).</p>\n</main>\n</body>\n</html>\n",
        back = escape(&back),
        site = escape(site),
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::from(page))
        .unwrap()
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The request's `Origin` when it is the configured one (or, in the preview, the request's own host).
fn origin_allowed<'a, S>(app: &App<S>, h: &'a HeaderMap) -> Option<&'a str> {
    let origin = header_str(h, header::ORIGIN)?;
    if app.settings.allowed_origin.as_deref() == Some(origin) {
        return Some(origin);
    }
    if app.settings.allow_same_origin {
        let host = header_str(h, header::HOST)?;
        let bare = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))?;
        if bare.eq_ignore_ascii_case(host) {
            return Some(origin);
        }
    }
    None
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
pub const STATUSES: &[u16] = &[201, 204, 303, 400, 404, 405, 409, 413, 415, 422, 503];
