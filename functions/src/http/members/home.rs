//! My page: my details and the way to change them (the join form, filled
//! in, and its emailed confirmation), whether I represent a city, my city's
//! trips and euros of the year, my claims (withdraw while allowed), whether
//! I am in the directory, my passkeys and sessions, and leaving the group.

use super::super::App;
use super::super::account::clear_cookie;
use super::super::answer::{form_again, framed, json_response};
use super::super::frame::{Back, Body};
use super::super::signed_in::{Req, fields, message, security, store_failed};
use super::render;
use crate::records::{ClaimStatus, Contact, ContactStatus};
use crate::routes::Form;
use crate::service::account::SignedIn;
use crate::service::leave::LeaveLinkError;
use crate::service::members::WithdrawError;
use crate::store::Store;
use bytes::Bytes;
use ccg_forms::decide::claim::withdrawable;
use http::header;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// Words with their first letter a capital ("Confirmed and counted; …").
fn sentence(words: &str) -> String {
    let mut c = words.chars();
    c.next().map_or_else(String::new, |first| first.to_uppercase().chain(c).collect())
}

/// My details as the page shows them.
fn details<S: Store>(app: &App<S>, c: &Contact) -> Value {
    let d = &c.details;
    let represents = c.city_key.as_deref().filter(|_| c.status == ContactStatus::Approved).map(|k| app.forms.city_name(k));
    json!({
        "name": d.name, "organisation": d.organisation, "position": d.position, "city": d.city,
        "country": ccg_model::countries::name(&d.country).unwrap_or(&d.country), "email": d.email,
        "approved": represents.is_some(), "represents": represents, "listed": d.listed,
    })
}

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, notice: Option<&str>) -> Response<Bytes> {
    let f = &app.forms;
    let (mine, (passkeys, sessions), invitations) =
        match tokio::try_join!(f.my_page(&who.session.email_key), Box::pin(security(app, who)), super::invitations::mine(app, who)) {
            Ok(v) => v,
            Err(e) => return store_failed(app, req.json, e),
        };
    let Some(contact) = mine.contact.as_ref() else {
        // Staff who are not members themselves: their work is on the desk.
        let data = json!({"staff": who.is_staff(), "notice": notice, "passkeys": passkeys, "sessions": sessions, "invitations": []});
        if req.json {
            return json_response(StatusCode::OK, &data);
        }
        return render(app, StatusCode::OK, "/members/", "My page", "answers/members-staff.html", data);
    };
    let cat = f.catalogue();
    let usage: Vec<Value> = mine.usage.iter().map(|u| super::super::desk::usage::row(app, u)).collect();
    let claims: Vec<Value> = mine
        .claims
        .iter()
        .map(|m| {
            let c = &m.claim;
            let documents: Vec<Value> =
                m.documents.iter().map(|d| json!({"name": d.file_name, "kind": d.kind.label(), "size": ccg_model::words::file_size(d.size)})).collect();
            json!({
                "reference": c.reference_or_id(), "event": cat.event(&c.event_id).map_or(c.event_id.clone(), |e| e.title.clone()),
                "year": c.year, "amount": c.amount.to_string(), "status": c.status.as_str(), "state": sentence(c.status.describe()),
                "paid": c.paid.map(|p| p.to_string()), "documents": documents,
                "withdraw": withdrawable(c.status).then(|| format!("/members/claims/{}/withdraw", c.reference_or_id())),
            })
        })
        .collect();
    let fields: Vec<&str> = f.options.directory.fields.iter().map(|x| x.label()).collect();
    let data = json!({
        "me": details(app, contact), "usage": usage, "claims": claims, "notice": notice,
        "staff": who.is_staff(), "passkeys": passkeys, "sessions": sessions,
        "directory_fields": fields,
        "invitations": invitations, "invitations_action": super::invitations::ACTION,
    });
    if req.json {
        return json_response(StatusCode::OK, &data);
    }
    render(app, StatusCode::OK, "/members/", "My page", "answers/members-home.html", data)
}

/// The join form with my details: sending it changes them once confirmed from the email, as joining does.
pub(super) async fn details_form<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn) -> Response<Bytes> {
    let contact = match app.forms.my_contact(&who.session.email_key).await {
        Ok(Some(c)) => c,
        Ok(None) => return message(app, req.json, StatusCode::NOT_FOUND, "No details", "No member's details are kept for your address."),
        Err(e) => return store_failed(app, req.json, e),
    };
    let d = &contact.details;
    let mut typed = crate::decode::Fields::new();
    for (k, v) in [
        ("name", d.name.as_str()),
        ("email", d.email.as_str()),
        ("organisation", d.organisation.as_str()),
        ("position", d.position.as_str()),
        ("city", d.city.as_str()),
        ("country", d.country.as_str()),
        ("city_status", d.city_status.as_str()),
        ("project", d.project.as_deref().unwrap_or("")),
        ("listed", if d.listed { "yes" } else { "" }),
    ] {
        typed.insert(k.into(), v.into());
    }
    if req.json {
        return json_response(StatusCode::OK, &json!({"fields": typed}));
    }
    let mut page = form_again(app, Form::Register, &typed, &crate::validate::FieldErrors::default());
    page.title = "Change my details".into();
    page.heading = "Change my details".into();
    page.body = Body::new("answers/members-details.html", json!({}));
    page.url = "/members/".into();
    page.back = Some(Back { url: "/members/".into(), text: "Back to my page".into() });
    framed(app, StatusCode::OK, Form::Register, page)
}

pub(super) async fn confirm_withdraw<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, claim: &str) -> Response<Bytes> {
    let c = match app.forms.my_claim(&who.session.email_key, claim).await {
        Ok(Some(c)) => c,
        Ok(None) => return message(app, req.json, StatusCode::NOT_FOUND, "Not found", "You have no claim with this reference."),
        Err(e) => return store_failed(app, req.json, e),
    };
    let event = app.forms.catalogue().event(&c.event_id).map_or(c.event_id.clone(), |e| e.title.clone());
    let data = json!({
        "reference": c.reference_or_id(), "event": event, "city": c.city, "year": c.year, "amount": c.amount.to_string(),
        "withdrawable": withdrawable(c.status), "state": c.status.describe(),
        "action": format!("/members/claims/{}/withdraw", c.reference_or_id()),
    });
    if req.json {
        return json_response(StatusCode::OK, &data);
    }
    render(app, StatusCode::OK, "/members/", "Withdraw a claim", "answers/members-withdraw.html", data)
}

pub(super) async fn withdraw<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, claim: &str) -> Response<Bytes> {
    match app.forms.withdraw_my_claim(&who.session.email_key, claim).await {
        Ok(c) => {
            let msg = format!("Your claim {} is withdrawn. Its trip and amount are available to {} again for {}.", c.reference_or_id(), c.city, c.year);
            page(app, req, who, Some(&msg)).await
        }
        Err(WithdrawError::NotFound) => message(app, req.json, StatusCode::NOT_FOUND, "Not found", "You have no claim with this reference."),
        Err(WithdrawError::NotWithdrawable(status)) => {
            let msg = format!(
                "This claim can no longer be withdrawn: it is {}. Write to the Scalable Cities Secretariat if you need to change it.",
                if status == ClaimStatus::Withdrawn { "withdrawn already" } else { status.describe() }
            );
            message(app, req.json, StatusCode::CONFLICT, "The claim cannot be withdrawn", &msg)
        }
        Err(WithdrawError::Store(e)) => store_failed(app, req.json, e),
    }
}

/// Listed in the directory, or not: `listed` = `yes` or `no`.
pub(super) async fn listing<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, body: &Bytes) -> Response<Bytes> {
    let listed = match fields(req, body).ok().and_then(|f| f.get("listed").cloned()).as_deref() {
        Some("yes") => true,
        Some("no") => false,
        _ => return message(app, req.json, StatusCode::BAD_REQUEST, "Not changed", "Say yes or no to being listed in the directory."),
    };
    match app.forms.set_listed(&who.session.email_key, listed).await {
        Ok(Some(_)) => {
            let msg = if listed {
                "You are listed in the members' directory. You can take yourself out of it here at any time."
            } else {
                "You are not listed in the members' directory: other members no longer see you there."
            };
            page(app, req, who, Some(msg)).await
        }
        Ok(None) => message(app, req.json, StatusCode::NOT_FOUND, "No details", "No member's details are kept for your address."),
        Err(e) => store_failed(app, req.json, e),
    }
}

pub(super) async fn confirm_leave<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn) -> Response<Bytes> {
    let data = json!({"paid_years": app.forms.options.retention.paid_claim_years, "staff": who.is_staff()});
    if req.json {
        return json_response(StatusCode::OK, &data);
    }
    render(app, StatusCode::OK, "/members/", "Leave the group", "answers/members-leave.html", data)
}

pub(super) async fn leave<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn) -> Response<Bytes> {
    match app.forms.leave_signed_in(&who.session.email_key).await {
        Ok(erased) => {
            let mut r = if req.json {
                json_response(StatusCode::OK, &json!({"status": "left", "withdrawn": erased.claims_withdrawn, "kept": erased.claims_kept}))
            } else {
                let mut left = super::super::pages::left_page(&app.forms, &erased);
                if let Value::Object(m) = &mut left.body.data {
                    m.insert("from_page".into(), json!(true));
                }
                framed(app, StatusCode::OK, Form::Register, left)
            };
            r.headers_mut().insert(header::SET_COOKIE, clear_cookie());
            r
        }
        Err(LeaveLinkError::Gone) => {
            message(app, req.json, StatusCode::GONE, "Already gone", "No member's details are kept for your address: there is nothing to leave.")
        }
        Err(LeaveLinkError::Unavailable(e)) => store_failed(app, req.json, crate::store::StoreError::Unavailable(e)),
        Err(LeaveLinkError::Corrupt(k)) => store_failed(app, req.json, crate::store::StoreError::Corrupt(k)),
    }
}
