//! Invitations' links under the API: `GET /invitations/answer?token=…&answer=…`
//! shows the meeting and one button (changes nothing: mail scanners prefetch
//! links), `POST` records the answer, without signing in, like the claim
//! links; `/invitations/unsubscribe` the same for "no more invitations",
//! whose POST also comes from a mail provider's one-click unsubscribe
//! (RFC 8058: `List-Unsubscribe=One-Click`, no Origin, no cookies). And the
//! members' area's part: its "My invitations" data and its answer POST.

use super::answer::{Answer, decode_error, framed, json_response, plain, render};
use super::frame::{AnswerPage, Back, Body};
use super::origin::foreign_post;
use super::{App, header_str, query_param};
use crate::decode::{self, BodyKind, Fields, MAX_BODY};
use crate::routes::{Form, Route};
use crate::service::Forms;
use crate::service::invitations::{InviteError, said};
use crate::service::invitations_read::MemberInvitation;
use crate::store::Store;
use crate::store::invitations::Answered;
use bytes::Bytes;
use ccg_forms::decide::invitation::Answer as Reply;
use ccg_model::{Event, SiteConfig};
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use serde_json::json;
use std::sync::Arc;

/// The site's settings the invitations need (the embedded ones when the options carry none).
pub(crate) fn site_of<S>(f: &Forms<S>) -> Option<Arc<SiteConfig>> {
    f.options.site.clone().or_else(|| crate::embedded::site().ok().map(Arc::new))
}

fn page(title: &str, template: &'static str, data: serde_json::Value) -> AnswerPage {
    AnswerPage {
        title: title.into(),
        heading: title.into(),
        body: Body::new(template, data),
        url: "/".into(),
        back: Some(Back { url: "/".into(), text: "Back to the home page".into() }),
        ..AnswerPage::default()
    }
}

fn meeting_data(e: &Event, site: &SiteConfig) -> serde_json::Value {
    let s = said(e);
    json!({ "title": e.title, "when": s.when, "place": s.place, "page": format!("{}/calendar/{}/", site.base_url, e.id) })
}

fn failed<S: Store>(app: &App<S>, json: bool, e: InviteError) -> Response<Bytes> {
    match e {
        InviteError::BadLink | InviteError::UnknownMeeting(_) if json => json_response(StatusCode::GONE, &json!({"error": "gone"})),
        InviteError::BadLink | InviteError::UnknownMeeting(_) => {
            framed(app, StatusCode::GONE, Form::Register, page("This link does not work", "answers/invitation-gone.html", json!({})))
        }
        InviteError::Store(e) => render(app, json, Form::Register, Answer::from(e)),
        InviteError::Mail(e) => render(app, json, Form::Register, Answer::Unavailable(e.to_string())),
    }
}

/// The POST's fields (a button's small form, or an empty body with the token in the query).
fn fields_of<S: Store>(app: &App<S>, parts: &http::request::Parts, body: &Bytes, json: bool) -> Result<Fields, Box<Response<Bytes>>> {
    if body.len() > MAX_BODY {
        return Err(Box::new(decode_error(app, json, Form::Register, &decode::DecodeError::TooLarge)));
    }
    let kind = match decode::body_kind(header_str(&parts.headers, header::CONTENT_TYPE)) {
        Ok(k) => k,
        Err(_) if body.is_empty() => BodyKind::Form,
        Err(e) => return Err(Box::new(decode_error(app, json, Form::Register, &e))),
    };
    decode::decode(kind, body).map_err(|e| Box::new(decode_error(app, json, Form::Register, &e)))
}

fn not_post<S: Store>(app: &App<S>, json: bool, route: Route) -> Response<Bytes> {
    let mut r = plain(app, json, Form::Register, StatusCode::METHOD_NOT_ALLOWED, "Open the link from your email, then press the button.");
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(route.allow()));
    r
}

fn head_or(parts: &http::request::Parts, mut r: Response<Bytes>) -> Response<Bytes> {
    if parts.method == Method::HEAD {
        *r.body_mut() = Bytes::new();
    }
    r
}

/// `/invitations/answer`.
pub(super) async fn answer<S: Store>(app: &App<S>, parts: &http::request::Parts, body: Bytes, json: bool) -> Response<Bytes> {
    let f = &app.forms;
    let Some(site) = site_of(f) else { return render(app, json, Form::Register, Answer::Unavailable("no site settings".into())) };
    let query = parts.uri.query().unwrap_or("");
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let token = query_param(query, "token").unwrap_or_default();
        let reply = query_param(query, "answer").and_then(|a| Reply::parse(&a)).unwrap_or(Reply::Attend);
        let r = match f.answer_link(&token).await {
            Ok((key, e)) => {
                let standing = match f.store.get_answer(&e.id, &key).await {
                    Ok(a) => a.map(|a| a.standing.as_str()),
                    Err(err) => return head_or(parts, failed(app, json, err.into())),
                };
                if json {
                    json_response(StatusCode::OK, &json!({ "meeting": e.id, "answer": reply.as_str(), "standing": standing }))
                } else {
                    let mut data = meeting_data(&e, &site);
                    data["standing"] = json!(standing);
                    data["answer"] = json!(reply.as_str());
                    data["token"] = json!(token);
                    data["action"] = json!(Route::InvitationAnswer.url(&f.options.public_url, &f.options.api_base, None));
                    framed(app, StatusCode::OK, Form::Register, page(&format!("Your answer: {}", e.title), "answers/invitation-answer.html", data))
                }
            }
            Err(e) => failed(app, json, e),
        };
        return head_or(parts, r);
    }
    if parts.method != Method::POST {
        return not_post(app, json, Route::InvitationAnswer);
    }
    if foreign_post(app, &parts.headers) {
        return plain(app, json, Form::Register, StatusCode::FORBIDDEN, "This page only accepts the button on the group's own website. Nothing was changed.");
    }
    let fields = match fields_of(app, parts, &body, json) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let token = fields.get("token").cloned().or_else(|| query_param(query, "token")).unwrap_or_default();
    let Some(reply) = fields.get("answer").cloned().or_else(|| query_param(query, "answer")).and_then(|a| Reply::parse(&a)) else {
        return plain(app, json, Form::Register, StatusCode::UNPROCESSABLE_ENTITY, "The answer must be attend or decline.");
    };
    match f.answer_by_link(&site, &token, reply).await {
        Ok((e, done)) => answered(app, json, &e, &site, &done),
        Err(e) => failed(app, json, e),
    }
}

fn answered<S: Store>(app: &App<S>, json: bool, e: &Event, site: &SiteConfig, done: &Answered) -> Response<Bytes> {
    if json {
        return json_response(StatusCode::OK, &json!({ "meeting": e.id, "standing": done.standing.as_str(), "position": done.position }));
    }
    let mut data = meeting_data(e, site);
    data["standing"] = json!(done.standing.as_str());
    data["position"] = json!(done.position);
    framed(app, StatusCode::OK, Form::Register, page(&format!("Your answer: {}", e.title), "answers/invitation-answered.html", data))
}

/// `/invitations/unsubscribe`. A POST is let through the same-origin check
/// only as the site's own button, or as exactly RFC 8058's one-click POST
/// (`List-Unsubscribe=One-Click` with the token in the query), which a mail
/// provider sends from its servers without an Origin.
pub(super) async fn unsubscribe<S: Store>(app: &App<S>, parts: &http::request::Parts, body: Bytes, json: bool) -> Response<Bytes> {
    let f = &app.forms;
    let query = parts.uri.query().unwrap_or("");
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let token = query_param(query, "token").unwrap_or_default();
        let r = match f.unsubscribe_link_works(&token).await {
            Ok(true) if json => json_response(StatusCode::OK, &json!({ "status": "subscribed" })),
            Ok(true) => {
                let data = json!({ "token": token, "action": Route::Unsubscribe.url(&f.options.public_url, &f.options.api_base, None) });
                framed(app, StatusCode::OK, Form::Register, page("No more invitations", "answers/unsubscribe.html", data))
            }
            Ok(false) => failed(app, json, InviteError::BadLink),
            Err(e) => failed(app, json, e),
        };
        return head_or(parts, r);
    }
    if parts.method != Method::POST {
        return not_post(app, json, Route::Unsubscribe);
    }
    let one_click = body.as_ref() == b"List-Unsubscribe=One-Click" && parts.headers.get(header::ORIGIN).is_none();
    if !one_click && foreign_post(app, &parts.headers) {
        return plain(app, json, Form::Register, StatusCode::FORBIDDEN, "This page only accepts the button on the group's own website. Nothing was changed.");
    }
    let fields = match fields_of(app, parts, &body, json) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let token = fields.get("token").cloned().or_else(|| query_param(query, "token")).unwrap_or_default();
    match f.unsubscribe_by_link(&token).await {
        Ok(()) if json => json_response(StatusCode::OK, &json!({ "status": "unsubscribed" })),
        Ok(()) => framed(app, StatusCode::OK, Form::Register, page("No more invitations", "answers/unsubscribed.html", json!({}))),
        Err(e) => failed(app, json, e),
    }
}

/// What the members' area's "My invitations" (`templates/answers/member-invitations.html`) shows of a person.
pub async fn member_invitations<S: Store>(f: &Forms<S>, email_key: &str) -> Result<Vec<MemberInvitation>, InviteError> {
    let site = site_of(f).ok_or_else(|| InviteError::Store(crate::store::StoreError::Unavailable("no site settings".into())))?;
    f.invitations_of(&site, email_key).await
}

/// The members' area's answer button (`POST /members/invitations/answer`,
/// fields `meeting` and `answer`), for a person its caller has signed in and
/// checked (session, same origin). `Err` names what is wrong with the fields.
pub async fn member_answer<S: Store>(f: &Forms<S>, email_key: &str, fields: &Fields) -> Result<Result<Answered, &'static str>, InviteError> {
    let Some(reply) = fields.get("answer").and_then(|a| Reply::parse(a)) else { return Ok(Err("answer must be attend or decline")) };
    let Some(meeting) = fields.get("meeting") else { return Ok(Err("meeting is missing")) };
    let site = site_of(f).ok_or_else(|| InviteError::Store(crate::store::StoreError::Unavailable("no site settings".into())))?;
    // Only a person sent something about the meeting answers it.
    let cat = f.catalogue();
    let Some(e) = cat.event(meeting) else { return Ok(Err("no such meeting")) };
    let mut invited = false;
    for seq in (0..=e.sequence).rev() {
        if f.store.get_send(&e.id, seq, email_key).await?.is_some() {
            invited = true;
            break;
        }
    }
    if !invited {
        return Ok(Err("you were not invited to this meeting"));
    }
    f.answer_invitation(&site, meeting, email_key, reply).await.map(Ok)
}
