//! The signed-in pages: `/sign-in/` (an emailed link, or a passkey),
//! `/account/` (sessions, passkeys, signing out), the members' area
//! `/members/` (`http::members`) and the secretariat's `/desk/` (`http::desk`). One cookie, `__Host-ccg_session`, holds a random
//! secret whose hash only is stored. Every answer here is `no-store` and
//! varies by cookie; every change is a POST behind the same-origin check.

use super::App;
use super::answer::{framed, json_response};
use super::frame::{AnswerPage, Body};
use super::origin::foreign_post;
use super::signed_in::{Req, fields, message, security, see_other, store_failed, store_json};
use crate::decode::MAX_BODY;
use crate::routes::Form;
use crate::service::account::{COOKIE, SignInError, SignedIn};
use crate::service::passkeys::PasskeyFlowError;
use crate::store::Store;
use bytes::Bytes;
use ccg_model::words::minutes;
use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use serde_json::json;

/// One address of the signed-in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    SignIn,
    SignInSent,
    SignInLink,
    PasskeyOptions,
    Passkey,
    Account,
    AddPasskeyOptions,
    AddPasskey,
    RemovePasskey,
    SignOut,
    SignOutEverywhere,
    EndSession,
    /// Anything under `/desk/` (`http::desk::DeskPage`).
    Desk,
    /// Anything under `/members/` (`http::members::MembersPage`).
    Members,
}

impl Page {
    /// The page at a request path (a trailing slash is fine either way).
    pub fn parse(path: &str) -> Option<Page> {
        if path.starts_with("/desk/") {
            return Some(Page::Desk);
        }
        if path.starts_with("/members/") {
            return Some(Page::Members);
        }
        Some(match path.trim_end_matches('/') {
            "/sign-in" => Page::SignIn,
            "/sign-in/sent" => Page::SignInSent,
            "/sign-in/link" => Page::SignInLink,
            "/sign-in/passkey/options" => Page::PasskeyOptions,
            "/sign-in/passkey" => Page::Passkey,
            "/account" => Page::Account,
            "/account/passkeys/options" => Page::AddPasskeyOptions,
            "/account/passkeys" => Page::AddPasskey,
            "/account/passkeys/remove" => Page::RemovePasskey,
            "/account/sign-out" => Page::SignOut,
            "/account/sign-out-everywhere" => Page::SignOutEverywhere,
            "/account/sessions/end" => Page::EndSession,
            "/desk" => Page::Desk,
            "/members" => Page::Members,
            _ => return None,
        })
    }

    /// Whether a path belongs to the signed-in part of the site (its own function in AWS).
    pub fn owns(path: &str) -> bool {
        ["/sign-in", "/account", "/desk", "/members"].iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
    }

    /// The passkey steps, which only scripts call.
    fn json_only(self) -> bool {
        matches!(self, Page::PasskeyOptions | Page::Passkey | Page::AddPasskeyOptions | Page::AddPasskey)
    }

    pub fn allow(self) -> &'static str {
        match self {
            Page::SignIn | Page::SignInLink => "GET, HEAD, POST",
            // The desk and the members' area say which of their addresses take what (`DeskPage::allow`, `MembersPage::allow`).
            Page::Desk | Page::Members => "GET, HEAD, POST",
            Page::SignInSent | Page::Account => "GET, HEAD",
            _ => "POST",
        }
    }
}

/// The session cookie's value in a request, if it has one.
pub fn session_cookie(h: &http::HeaderMap) -> Option<String> {
    let prefix = format!("{COOKIE}=");
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(prefix.as_str()).map(str::to_string))
}

/// The cookie that signs a browser in, for as long as the session can last at most.
pub fn set_cookie(secret: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("{COOKIE}={secret}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}", max_age.max(0))).expect("a secret is base64url")
}

/// The cookie that signs a browser out.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_str(&format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")).expect("valid")
}

pub(super) async fn answer<S: Store>(app: &App<S>, page: Page, parts: &Parts, body: Bytes, json: bool) -> Response<Bytes> {
    let mut r = route(app, page, parts, body, json).await;
    let h = r.headers_mut();
    // Signed-in answers are never kept by a cache, and differ by cookie.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.append(header::VARY, HeaderValue::from_static("Cookie"));
    if parts.method == Method::HEAD {
        *r.body_mut() = Bytes::new();
    }
    r
}

async fn route<S: Store>(app: &App<S>, page: Page, parts: &Parts, body: Bytes, json: bool) -> Response<Bytes> {
    let get = parts.method == Method::GET || parts.method == Method::HEAD;
    // The passkey steps are scripts' (passkey.js): they answer JSON whatever was asked.
    let json = json || page.json_only();
    // The members' area says what each of its addresses takes, before any session is looked at.
    let allow = match page {
        Page::Members => super::members::MembersPage::parse(parts.uri.path()).map_or(page.allow(), |p| p.allow()),
        _ => page.allow(),
    };
    let allowed = if get { allow.contains("GET") } else { parts.method == Method::POST && allow.contains("POST") };
    if !allowed {
        let mut r = message(app, json, StatusCode::METHOD_NOT_ALLOWED, "Not here", "This address does not take this kind of request.");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
        return r;
    }
    if !get && foreign_post(app, &parts.headers) {
        return message(
            app,
            json,
            StatusCode::FORBIDDEN,
            "Not sent",
            "This page only takes buttons on the City Coordinators Group's own website. Nothing was changed.",
        );
    }
    // No signed-in page takes a file: the desk's repository files go to the bucket (`desk::documents`).
    if body.len() > MAX_BODY {
        return message(app, json, StatusCode::PAYLOAD_TOO_LARGE, "Not sent", "The request is too large.");
    }
    if matches!(page, Page::PasskeyOptions | Page::AddPasskeyOptions) && !body.is_empty() {
        // Nothing is read from an options request, but what is sent must be a JSON object.
        if let Err(msg) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body) {
            return message(app, true, StatusCode::BAD_REQUEST, "Not sent", &format!("The body is not a JSON object: {msg}."));
        }
    }
    let who = match app.forms.signed_in(session_cookie(&parts.headers).as_deref()).await {
        Ok(w) => w,
        Err(e) => return store_failed(app, json, e),
    };
    let req = Req { parts, json, who };
    match page {
        Page::SignIn if get => sign_in_page(app, &req, "", None, StatusCode::OK),
        Page::SignIn => sign_in(app, &req, &body).await,
        Page::SignInSent => {
            let link = minutes(app.forms.options.sign_in.link_minutes);
            let msg = format!(
                "If this address belongs to a member of the group or to the secretariat, an email with a sign-in link is on its way. The link works once, for {link}. Nothing arrives for an address the group does not know."
            );
            message(app, json, StatusCode::OK, "Check your inbox", &msg)
        }
        Page::SignInLink => sign_in_link(app, &req, get, &body).await,
        Page::PasskeyOptions => passkey_json(app.forms.passkey_sign_in_options(req.who.as_ref()).await.map(|o| (StatusCode::OK, o))),
        Page::Passkey => match app.forms.sign_in_by_passkey(&body, req.user_agent(), req.who.as_ref()).await {
            Ok((secret, s)) => {
                let mut r = json_response(StatusCode::OK, &json!({"location": home_of(s.role)}));
                r.headers_mut().insert(header::SET_COOKIE, set_cookie(&secret, max_age(app, &s)));
                r
            }
            Err(e) => passkey_json(Err(e)),
        },
        _ => match req.who {
            None if get => see_other("/sign-in/"),
            None => message(app, json, StatusCode::UNAUTHORIZED, "Signed out", "You are not signed in (or your session ended). Sign in, then try again."),
            Some(ref who) => signed_in_page(app, page, &req, who, get, &body).await,
        },
    }
}

async fn signed_in_page<S: Store>(app: &App<S>, page: Page, req: &Req<'_>, who: &SignedIn, get: bool, body: &Bytes) -> Response<Bytes> {
    let f = &app.forms;
    match page {
        Page::Account => account_page(app, req, who, None).await,
        Page::Members => match super::members::MembersPage::parse(req.parts.uri.path()) {
            // Boxed: the members' pages' futures are large, and every signed-in request's future would hold one.
            Some(p) => Box::pin(super::members::answer(app, p, req, who, get, body)).await,
            None => message(app, req.json, StatusCode::NOT_FOUND, "Not found", "There is no page of the members' area at this address."),
        },
        Page::AddPasskeyOptions => passkey_json(f.passkey_add_options(who).await.map(|o| (StatusCode::OK, o))),
        Page::AddPasskey => {
            passkey_json(f.add_passkey(who, body, req.user_agent()).await.map(|_| (StatusCode::CREATED, json!({"location": "/account/"}).to_string())))
        }
        Page::RemovePasskey => {
            let id = fields(req, body).ok().and_then(|f| f.get("id").cloned()).unwrap_or_default();
            match f.remove_passkey(who, &id).await {
                Ok(true) => {
                    account_page(app, req, who, Some("The passkey is removed. Remove it from your device too (your browser's or system's password settings)."))
                        .await
                }
                Ok(false) => account_page(app, req, who, Some("That passkey was already removed.")).await,
                Err(e) => store_failed(app, req.json, e),
            }
        }
        Page::EndSession => {
            let handle = fields(req, body).ok().and_then(|f| f.get("session").cloned()).unwrap_or_default();
            match f.end_other_session(who, &handle).await {
                Ok(true) => account_page(app, req, who, Some("That session is ended: the device it was on is signed out.")).await,
                Ok(false) => account_page(app, req, who, Some("That session had ended already.")).await,
                Err(e) => store_failed(app, req.json, e),
            }
        }
        Page::SignOut => match f.sign_out(who).await {
            Ok(()) => signed_out(app, req.json, "You are signed out on this device."),
            Err(e) => store_failed(app, req.json, e),
        },
        Page::SignOutEverywhere => match f.sign_out_everywhere(who).await {
            Ok(n) => signed_out(app, req.json, &format!("You are signed out everywhere: {n} session{} ended.", if n == 1 { "" } else { "s" })),
            Err(e) => store_failed(app, req.json, e),
        },
        Page::Desk => match super::desk::DeskPage::parse(req.parts.uri.path()) {
            Some(desk) => super::desk::answer(app, desk, req, who, get, body).await,
            None => message(app, req.json, StatusCode::NOT_FOUND, "Not found", "There is no page of the desk at this address."),
        },
        _ => unreachable!("answered before"),
    }
}

/// The sign-in form sent: the same answer for every well-formed address.
async fn sign_in<S: Store>(app: &App<S>, req: &Req<'_>, body: &Bytes) -> Response<Bytes> {
    let started = std::time::Instant::now();
    let fields = match fields(req, body) {
        Ok(f) => f,
        Err(msg) => return message(app, req.json, StatusCode::BAD_REQUEST, "Not sent", &msg),
    };
    let email = fields.get("email").cloned().unwrap_or_default();
    let r = match app.forms.request_sign_in(&email).await {
        Ok(()) if req.json => json_response(StatusCode::ACCEPTED, &json!({"status": "sent"})),
        Ok(()) => see_other("/sign-in/sent/"),
        Err(SignInError::Invalid(msg)) if req.json => json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": {"email": msg}})),
        Err(SignInError::Invalid(msg)) => sign_in_page(app, req, &email, Some(&msg), StatusCode::UNPROCESSABLE_ENTITY),
        Err(SignInError::Store(e)) => store_failed(app, req.json, e),
    };
    // As the forms: the answer leaves no sooner for a stranger than for a member.
    super::answer_no_sooner(app, started).await;
    r
}

fn sign_in_page<S: Store>(app: &App<S>, req: &Req<'_>, email: &str, error: Option<&str>, status: StatusCode) -> Response<Bytes> {
    let c = &app.forms.options.sign_in;
    if req.json {
        return message(app, true, status, "Sign in", error.unwrap_or("Post an email address to sign in."));
    }
    let data = json!({
        "email": email, "error": error, "link": minutes(c.link_minutes),
        "member_idle": minutes(c.member.idle_minutes), "member_max": minutes(c.member.absolute_minutes),
        "staff_idle": minutes(c.staff.idle_minutes), "staff_max": minutes(c.staff.absolute_minutes),
    });
    let heading = "Sign in";
    let page = AnswerPage {
        title: if error.is_some() { format!("Error: {heading}") } else { heading.into() },
        heading: heading.into(),
        body: Body::new("answers/sign-in.html", data),
        url: "/sign-in/".into(),
        passkey: true,
        ..AnswerPage::default()
    };
    framed(app, status, Form::Register, page)
}

/// A sign-in link: GET shows its button (changes nothing), POST signs in.
async fn sign_in_link<S: Store>(app: &App<S>, req: &Req<'_>, get: bool, body: &Bytes) -> Response<Bytes> {
    let f = &app.forms;
    let token = if get {
        super::query_param(req.parts.uri.query().unwrap_or(""), "token").unwrap_or_default()
    } else {
        fields(req, body).ok().and_then(|f| f.get("token").cloned()).unwrap_or_default()
    };
    let gone = || {
        let msg = format!(
            "This sign-in link does not work: it was used already, or it is older than {}. Ask for a new one on the sign-in page.",
            minutes(f.options.sign_in.link_minutes)
        );
        if req.json {
            return json_response(StatusCode::GONE, &json!({"error": msg}));
        }
        let page = AnswerPage {
            title: "This link does not work".into(),
            heading: "This link does not work".into(),
            body: Body::message(&msg),
            url: "/sign-in/".into(),
            back: Some(super::frame::Back { url: "/sign-in/".into(), text: "Sign in".into() }),
            ..AnswerPage::default()
        };
        // 410, not 404: CloudFront replaces 404s with the site's own page.
        framed(app, StatusCode::GONE, Form::Register, page)
    };
    if get {
        return match f.sign_in_link_works(&token).await {
            Ok(true) if req.json => json_response(StatusCode::OK, &json!({"status": "valid"})),
            Ok(true) => {
                let page = AnswerPage {
                    title: "Sign in".into(),
                    heading: "Sign in".into(),
                    body: Body::new("answers/sign-in-link.html", json!({ "token": token })),
                    url: "/sign-in/".into(),
                    ..AnswerPage::default()
                };
                framed(app, StatusCode::OK, Form::Register, page)
            }
            Ok(false) => gone(),
            Err(e) => store_failed(app, req.json, e),
        };
    }
    let replaces = req.who.as_ref().map(|w| w.session.id_hash.clone());
    match f.sign_in_by_link(&token, req.user_agent(), replaces.as_deref()).await {
        Ok(Some((secret, s))) => {
            let mut r = if req.json { json_response(StatusCode::OK, &json!({"location": home_of(s.role)})) } else { see_other(home_of(s.role)) };
            r.headers_mut().insert(header::SET_COOKIE, set_cookie(&secret, max_age(app, &s)));
            r
        }
        Ok(None) => gone(),
        Err(e) => store_failed(app, req.json, e),
    }
}

/// Where a person lands once signed in.
fn home_of(role: crate::records::Role) -> &'static str {
    match role {
        crate::records::Role::Staff => "/desk/",
        crate::records::Role::Member => "/members/",
    }
}

/// How long the cookie is kept: until the session's absolute end (the idle end is the server's to enforce).
fn max_age<S>(app: &App<S>, s: &crate::records::Session) -> i64 {
    let limits = ccg_forms::decide::session::SessionLimits::for_role(&app.forms.options.sign_in, s.role);
    s.created_at + limits.absolute_secs - s.last_used_at
}

async fn account_page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, notice: Option<&str>) -> Response<Bytes> {
    let (passkeys, sessions) = match security(app, who).await {
        Ok(v) => v,
        Err(e) => return store_failed(app, req.json, e),
    };
    if req.json {
        return json_response(
            StatusCode::OK,
            &json!({"name": who.name, "email": who.email, "role": who.session.role.as_str(), "sessions": sessions, "passkeys": passkeys}),
        );
    }
    let role = if who.is_staff() { "the Scalable Cities Secretariat" } else { "a member of the group" };
    let data = json!({
        "who": {"name": who.name, "email": who.email, "role": role},
        "sessions": sessions, "passkeys": passkeys, "staff": who.is_staff(), "notice": notice,
    });
    let page = AnswerPage {
        title: "Your account".into(),
        heading: "Your account".into(),
        body: Body::new("answers/account.html", data),
        url: "/account/".into(),
        passkey: true,
        ..AnswerPage::default()
    };
    framed(app, StatusCode::OK, Form::Register, page)
}

fn signed_out<S: Store>(app: &App<S>, json: bool, msg: &str) -> Response<Bytes> {
    let mut r = if json {
        json_response(StatusCode::OK, &json!({"status": "signed_out", "message": msg}))
    } else {
        let page = AnswerPage {
            title: "Signed out".into(),
            heading: "Signed out".into(),
            body: Body::message(msg),
            url: "/sign-in/".into(),
            back: Some(super::frame::Back { url: "/sign-in/".into(), text: "Sign in again".into() }),
            ..AnswerPage::default()
        };
        framed(app, StatusCode::OK, Form::Register, page)
    };
    r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    r
}

/// The JSON answers of the passkey steps: the options or the result, or one refusal for every failure.
fn passkey_json(r: Result<(StatusCode, String), PasskeyFlowError>) -> Response<Bytes> {
    match r {
        Ok((status, body)) => {
            Response::builder().status(status).header(header::CONTENT_TYPE, "application/json").body(Bytes::from(body)).expect("valid response")
        }
        Err(PasskeyFlowError::Refused) => {
            json_response(StatusCode::FORBIDDEN, &json!({"error": "This passkey could not be used here. Try again, or sign in with an emailed link."}))
        }
        Err(PasskeyFlowError::Unusable(why)) => {
            tracing::error!(why = %why, "passkeys unusable at this address");
            json_response(
                StatusCode::CONFLICT,
                &json!({"error": "Passkeys do not work at this address of the site: open it by its name (in the preview, http://localhost), or sign in with an emailed link."}),
            )
        }
        Err(PasskeyFlowError::Store(e)) => store_json(e),
    }
}
