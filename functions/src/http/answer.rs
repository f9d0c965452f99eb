//! Every answer the forms give, written as HTML for a plain form or as JSON.

use super::frame::{AnswerPage, Back, Body};
use super::pages;
use super::{App, refusal_message};
use crate::decode::{DecodeError, MAX_BODY};
use crate::form_view::{self, FormState};
use crate::metrics::{Refused, Unexpected};
use crate::routes::{Form, Route};
use crate::service::confirm::{LinkError, Receipt};
use crate::service::submit::SubmitError;
use crate::store::Store;
use bytes::Bytes;
use http::header;
use http::{Response, StatusCode};
use serde_json::json;

/// What became of a request, before it is written as HTML or JSON.
pub(super) enum Answer {
    /// "Check your inbox": the same for every well-formed submission.
    Sent,
    /// The form comes back with its mistakes and what was typed.
    Invalid {
        errors: crate::validate::FieldErrors,
        fields: crate::decode::Fields,
    },
    Refused {
        refusal: ccg_model::Refusal,
        year: Option<(i16, ccg_model::rules::YearUsage)>,
    },
    Unavailable(String),
    /// A stored record does not parse: named by its key in the log, never by what it holds.
    Corrupt(String),
    MailNotSent {
        email: String,
    },
    /// "Send the link again" with an address that is not one: that small form again.
    ResendInvalid {
        message: String,
        email: String,
    },
    LinkInvalid,
    LinkUsed,
    ConfirmPage {
        heading: String,
        inner: Body,
    },
    Registered,
    Counted(Box<Receipt>),
    Withdrawn(Box<crate::records::Claim>),
    NotWithdrawable(crate::records::ClaimStatus),
    Plain {
        status: StatusCode,
        message: String,
    },
}

pub(super) fn submit_answer(r: Result<(), SubmitError>, fields: &crate::decode::Fields) -> Answer {
    match r {
        Ok(()) => Answer::Sent,
        Err(SubmitError::Invalid(errors)) => Answer::Invalid { errors, fields: fields.clone() },
        Err(SubmitError::Unavailable(d)) => Answer::Unavailable(d),
        Err(SubmitError::Corrupt(key)) => Answer::Corrupt(key),
        Err(SubmitError::MailNotSent { email }) => Answer::MailNotSent { email },
    }
}

/// A store's failure: corrupt data is a 500, anything else an outage (503, try again).
impl From<crate::store::StoreError> for Answer {
    fn from(e: crate::store::StoreError) -> Answer {
        match e {
            crate::store::StoreError::Corrupt(key) => Answer::Corrupt(key),
            e => Answer::Unavailable(e.to_string()),
        }
    }
}

pub(super) fn link_answer(e: LinkError) -> Answer {
    match e {
        LinkError::Invalid => Answer::LinkInvalid,
        LinkError::Used => Answer::LinkUsed,
        LinkError::Refused { refusal, year } => Answer::Refused { refusal, year },
        LinkError::NotWithdrawable(status) => Answer::NotWithdrawable(status),
        LinkError::Unavailable(d) => Answer::Unavailable(d),
        LinkError::Corrupt(key) => Answer::Corrupt(key),
    }
}

/// The order of the fields on each form, for listing mistakes.
fn field_order(form: Form) -> &'static [&'static str] {
    match form {
        Form::Register => crate::validate::REGISTRATION_FIELDS,
        Form::TravelClaims => crate::validate::CLAIM_FIELDS,
    }
}

/// The heading of a form's section on its page, and of the answer that sends it back.
fn form_heading(form: Form) -> &'static str {
    match form {
        Form::Register => "Registration form",
        Form::TravelClaims => "Travel claim form",
    }
}

/// A form sent back filled in with what was typed, and its mistakes (titled "Error: " when it has some).
pub(super) fn form_again<S: Store>(app: &App<S>, form: Form, fields: &crate::decode::Fields, errors: &crate::validate::FieldErrors) -> AnswerPage {
    let f = &app.forms;
    let cat = f.catalogue();
    let heading = form_heading(form);
    let (show, back) = match form {
        Form::Register => ("join", "The join page explains who can join and what happens next"),
        Form::TravelClaims => ("claim", "The travel support page explains the conditions and limits"),
    };
    AnswerPage {
        title: if errors.is_empty() { heading.to_string() } else { format!("Error: {heading}") },
        heading: heading.to_string(),
        show,
        form: Some(FormState::filled(fields, errors, field_order(form))),
        // Only the form sent back needs its choices.
        claim: (form == Form::TravelClaims).then(|| form_view::claim_form(&cat.events, &cat.rules, f.today(), f.options.accept_drafts)),
        join: (form == Form::Register).then(|| form_view::join_form(&cat.directory)),
        back: Some(Back { url: form.form_page().to_string(), text: back.into() }),
        ..AnswerPage::default()
    }
}

/// An answer in the site's frame; the small built-in page if the templates fail (logged, never personal data).
pub(super) fn framed<S: Store>(app: &App<S>, status: StatusCode, form: Form, mut page: AnswerPage) -> Response<Bytes> {
    if page.url.is_empty() {
        page.url = form.form_page().to_string();
    }
    match app.frame().render(&page) {
        Ok(html) => html_response(status, html),
        Err(e) => {
            if app.settings.log {
                tracing::error!(form = form.name(), error = %e, "forms template error");
            }
            let back = page.back.as_ref().map_or((form.form_page(), "Back to the form"), |b| (b.url.as_str(), b.text.as_str()));
            html_response(status, pages::fallback(&app.forms, &page.heading, &page.body, back))
        }
    }
}

/// An answer of a heading and some HTML, with a link back to the form's page.
fn simple(form: Form, heading: &str, body: Body) -> AnswerPage {
    AnswerPage {
        title: heading.to_string(),
        heading: heading.to_string(),
        body,
        back: Some(Back {
            url: form.form_page().to_string(),
            text: format!("Back to the {} page", if form == Form::Register { "join" } else { "travel support" }),
        }),
        ..AnswerPage::default()
    }
}

const SENT_MESSAGE: &str = "Check your inbox: we sent an email with a link to confirm.";

pub(super) fn render<S: Store>(app: &App<S>, json: bool, form: Form, answer: Answer) -> Response<Bytes> {
    let f = &app.forms;
    let html = |status: StatusCode, heading: &str, inner: Body| framed(app, status, form, simple(form, heading, inner));
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
        Answer::Invalid { errors, fields } => {
            if json {
                let mut ordered: Vec<(&str, &String)> = errors.0.iter().map(|(k, v)| (*k, v)).collect();
                ordered.sort_by_key(|(k, _)| field_order(form).iter().position(|x| x == k).unwrap_or(usize::MAX));
                let map: serde_json::Map<String, serde_json::Value> = ordered.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": map}))
            } else {
                framed(app, StatusCode::UNPROCESSABLE_ENTITY, form, form_again(app, form, &fields, &errors))
            }
        }
        Answer::Refused { refusal, year } => {
            let msg = refusal_message(refusal, &f.catalogue().rules, year);
            let mut resp = if json {
                json_response(StatusCode::CONFLICT, &json!({"reason": refusal.code(), "message": msg}))
            } else {
                html(StatusCode::CONFLICT, "We cannot accept this claim", Body::message(&msg))
            };
            // Counted by its reason (http::handle, metrics::Refused).
            resp.extensions_mut().insert(Refused::Claim(refusal));
            resp
        }
        Answer::Unavailable(detail) => {
            if app.settings.log {
                tracing::error!(form = form.name(), detail = %detail, "forms store unavailable");
            }
            // A timeout cannot tell whether a write landed (each is atomic): promise only what is sure.
            let msg = "The form service is unavailable at the moment, so this could not be done. Please try again in a few minutes.";
            let mut resp = if json {
                json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": msg}))
            } else {
                html(StatusCode::SERVICE_UNAVAILABLE, "The form could not be sent", Body::message(msg))
            };
            // Clients that retry by themselves (forms.js, the fault tests) wait this long, not less.
            resp.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static(RETRY_AFTER_SECS));
            resp.extensions_mut().insert(Unexpected::StoreUnavailable);
            resp
        }
        Answer::Corrupt(key) => {
            // Not an outage: trying again will not help, so no Retry-After; someone must look at the record.
            tracing::error!(form = form.name(), key = %key, "forms corrupt record");
            let msg = "Something went wrong on our side, so this could not be done. The secretariat has been alerted.";
            let mut resp = if json {
                json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({"error": msg}))
            } else {
                html(StatusCode::INTERNAL_SERVER_ERROR, "The form could not be sent", Body::message(msg))
            };
            resp.extensions_mut().insert(Unexpected::Corrupt);
            resp
        }
        Answer::MailNotSent { email } => {
            if app.settings.log {
                tracing::error!(form = form.name(), "forms email not sent");
            }
            // Worded for everyone alike: it must not tell whether anything was kept for this address.
            let msg = "The email about what you sent could not be sent just now. Please ask for it again in a few \
                       minutes with the button below; if no email arrives then, send the form again.";
            let resend = Route::Resend(form).url("", &f.options.api_base, None);
            let mut resp = if json {
                json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"error": msg, "resend": resend}))
            } else {
                let mut fields = crate::decode::Fields::new();
                fields.insert("email".into(), email);
                let page = AnswerPage {
                    show: "resend",
                    resend_path: form.name(),
                    form: Some(FormState::filled(&fields, &Default::default(), &[])),
                    ..simple(form, "The email could not be sent", Body::message(msg))
                };
                framed(app, StatusCode::SERVICE_UNAVAILABLE, form, page)
            };
            resp.extensions_mut().insert(Unexpected::MailNotSent);
            resp
        }
        Answer::ResendInvalid { message, email } => {
            if json {
                json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": {"email": message}}))
            } else {
                let mut fields = crate::decode::Fields::new();
                fields.insert("email".into(), email);
                let mut errors = crate::validate::FieldErrors::default();
                errors.add("email", message);
                let page = AnswerPage {
                    title: "Error: Send the link again".into(),
                    show: "resend",
                    resend_path: form.name(),
                    form: Some(FormState::filled(&fields, &errors, &["email"])),
                    ..simple(form, "Send the link again", Body::default())
                };
                framed(app, StatusCode::UNPROCESSABLE_ENTITY, form, page)
            }
        }
        Answer::LinkInvalid => {
            let msg = format!(
                "This link is not valid, or it has expired (a link to confirm works for {} hours). If you had \
                 not confirmed yet, send the form again; for anything else, write to the Scalable Cities Secretariat.",
                f.options.link_hours
            );
            // 410, not 404: the CDN in front of the site replaces every 404 with the site's own page.
            if json { json_response(StatusCode::GONE, &json!({"error": msg})) } else { html(StatusCode::GONE, "This link does not work", Body::message(&msg)) }
        }
        Answer::LinkUsed => {
            let msg = "This link was already used: what it confirms is confirmed. A link works once.";
            if json { json_response(StatusCode::GONE, &json!({"error": msg})) } else { html(StatusCode::GONE, "Already confirmed", Body::message(msg)) }
        }
        Answer::ConfirmPage { heading, inner } => {
            if json {
                json_response(StatusCode::OK, &json!({"status": "pending"}))
            } else {
                html(StatusCode::OK, &heading, inner)
            }
        }
        Answer::Registered => {
            let msg = "Your registration is confirmed. The Scalable Cities Secretariat reviews it and approves you as a \
                       representative of your city. If your city qualifies, you can then ask for travel support.";
            if json {
                json_response(StatusCode::OK, &json!({"status": "confirmed", "message": msg}))
            } else {
                html(StatusCode::OK, "Registration confirmed", Body::message(msg))
            }
        }
        Answer::Counted(r) => {
            if json {
                let body = json!({"status": "confirmed", "id": r.claim.id, "reference": r.claim.reference_or_id(), "remaining": {"trips": r.remaining.trips, "euros": r.remaining.amount.to_decimal()}});
                json_response(StatusCode::OK, &body)
            } else {
                html(StatusCode::OK, "Claim confirmed", pages::receipt(&r, &f.catalogue().rules))
            }
        }
        Answer::Withdrawn(c) => {
            let msg = format!("Your claim {} is withdrawn. Its trip and amount are available to {} again for {}.", c.reference_or_id(), c.city, c.year);
            if json {
                json_response(StatusCode::OK, &json!({"status": "withdrawn", "id": c.id}))
            } else {
                html(StatusCode::OK, "Claim withdrawn", Body::message(&msg))
            }
        }
        Answer::NotWithdrawable(status) => {
            let msg = format!(
                "This claim can no longer be withdrawn: it is {}. Write to the Scalable Cities Secretariat if you need to change it.",
                status.describe()
            );
            if json {
                json_response(StatusCode::CONFLICT, &json!({"reason": "not_withdrawable", "message": msg}))
            } else {
                html(StatusCode::CONFLICT, "The claim cannot be withdrawn", Body::message(&msg))
            }
        }
        Answer::Plain { status, message } => {
            if json {
                json_response(status, &json!({"error": message}))
            } else {
                html(status, "The form could not be sent", Body::message(&message))
            }
        }
    }
}

pub(super) fn decode_error<S: Store>(app: &App<S>, json: bool, form: Form, e: &DecodeError) -> Response<Bytes> {
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

pub(super) fn plain<S: Store>(app: &App<S>, json: bool, form: Form, status: StatusCode, msg: &str) -> Response<Bytes> {
    render(app, json, form, Answer::Plain { status, message: msg.to_string() })
}

/// How long a client waits before it sends again after the store was unavailable.
pub const RETRY_AFTER_SECS: &str = "30";

pub(super) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

pub(super) fn html_response(status: StatusCode, page: String) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        // The pages a link opens carry the token: keep it out of other sites' logs.
        // (`same-origin`, not `no-referrer`: with that, a browser posts the page's
        // own buttons with `Origin: null`.)
        .header(header::REFERRER_POLICY, "same-origin")
        .body(Bytes::from(page))
        .unwrap()
}
