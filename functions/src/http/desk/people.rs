//! People on the desk: the contacts with filters, and one person's page with
//! their details, claims and history, where the secretariat approves them as
//! the representative of a city, declines them, or erases them.

use super::super::App;
use super::super::signed_in::{Req, fields, see_other, store_failed};
use super::{Query, audit_row, claim_row, next_link, person_url, render};
use crate::records::ContactStatus;
use crate::service::account::SignedIn;
use crate::service::desk::DeskError;
use crate::store::Store;
use crate::store::lists::{ContactQuery, Order, PAGE};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// What the person's page can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::http) enum Act {
    Approve,
    Decline,
    Erase,
}

impl Act {
    pub fn parse(s: &str) -> Option<Act> {
        match s {
            "approve" => Some(Act::Approve),
            "decline" => Some(Act::Decline),
            "erase" => Some(Act::Erase),
            _ => None,
        }
    }
}

pub(super) async fn list<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let status = q.get("status");
    let query = ContactQuery {
        status: status.as_deref().and_then(ContactStatus::parse),
        city: q.get("city"),
        country: q.get("country"),
        text: q.get("q"),
        directory: false,
        order: if q.get("order").as_deref() == Some("newest") { Order::Newest } else { Order::Oldest },
    };
    let page = match f.contacts_page(&query, q.get("after").as_deref(), PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let now = f.now().0;
    let people: Vec<Value> = page
        .items
        .iter()
        .map(|c| {
            let represents = c.city_key.as_deref().map(|k| f.city_name(k));
            json!({
                "name": c.details.name, "email": c.details.email, "city": c.details.city, "country": c.details.country,
                "organisation": c.details.organisation, "status": c.status.as_str(), "represents": represents,
                "url": person_url(&c.details.email_key), "confirmed": super::day(c.created_at), "age": super::age(now, c.created_at),
            })
        })
        .collect();
    let filters = [("status", status.clone()), ("city", q.get("city")), ("country", q.get("country")), ("q", q.get("q")), ("order", q.get("order"))];
    let data = json!({
        "people": people, "next": next_link("/desk/people/", &filters, page.next.as_deref()), "paged": q.get("after").is_some(),
        "status": status, "city": q.get("city"), "country": q.get("country"), "q": q.get("q"), "order": q.get("order"),
        "statuses": ["confirmed", "approved", "declined"],
    });
    render(app, who, StatusCode::OK, "/desk/people/", "People", "answers/desk-people.html", data)
}

/// One person's page; `sent_back` is a refused action's (field, message) with what was typed.
pub(super) async fn page<S: Store>(
    app: &App<S>,
    req: &Req<'_>,
    who: &SignedIn,
    person: &str,
    q: &Query,
    sent_back: Option<(StatusCode, &str, String, Value)>,
) -> Response<Bytes> {
    let f = &app.forms;
    let p = match f.person_at_desk(person).await {
        Ok(Some(p)) => p,
        Ok(None) if q.get("done").as_deref() == Some("erased") => {
            return render(
                app,
                who,
                StatusCode::OK,
                "/desk/people/",
                "Erased",
                "answers/desk-erased.html",
                json!({"history_link": "/desk/history/?what=person.erased"}),
            );
        }
        Ok(None) => return super::not_found(app, who, "/desk/people/", "There is no contact at this address: they may have left or been erased."),
        Err(e) => return store_failed(app, req.json, e),
    };
    let now = f.now().0;
    let c = &p.contact;
    let claims: Vec<Value> = p.claims.iter().map(|cl| claim_row(app, cl, now)).collect();
    let history: Vec<Value> = p.history.iter().map(audit_row).collect();
    let cities: Vec<Value> = p
        .cities
        .iter()
        .map(|m| {
            json!({
                "key": m.key, "name": m.name, "country": m.country, "project": m.project, "role": m.role.as_str(),
                "ends": m.ends, "ended": m.ended, "may_claim": m.may_claim,
            })
        })
        .collect();
    let done = q.get("done").and_then(|d| match d.as_str() {
        "approved" => Some("Approved: they are the representative of the city below, and were told by email."),
        "declined" => Some("Declined: they were told by email, with the reason if you gave one."),
        _ => None,
    });
    let mut error = json!({"city": null, "confirm": null});
    let mut values = json!({"city": "", "reason": ""});
    let mut status = StatusCode::OK;
    if let Some((st, field, msg, typed)) = sent_back {
        status = st;
        error[field] = json!(msg);
        for k in ["city", "reason"] {
            values[k] = json!(typed.get(k).and_then(Value::as_str).unwrap_or(""));
        }
    }
    let d = &c.details;
    let data = json!({
        "person": person, "done": done, "error": error, "values": values,
        "name": d.name, "email": d.email, "city": d.city, "country": d.country, "organisation": d.organisation, "position": d.position,
        "city_status": d.city_status, "project": d.project, "status": c.status.as_str(), "listed": d.listed,
        "represents": c.city_key.as_deref().map(|k| f.city_name(k)), "represents_key": c.city_key,
        "since": super::day(c.created_at), "updated": super::day(c.updated_at),
        "claims": claims, "history": history, "last_line": p.history.last().map(audit_row), "cities": cities,
        "suppressed": p.suppression.as_ref().map(|s| json!({"reason": s.reason.as_str(), "since": super::day(s.at)})),
    });
    render(app, who, status, "/desk/people/", &d.name, "answers/desk-person.html", data)
}

pub(super) async fn act<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, person: &str, act: Act, body: &Bytes) -> Response<Bytes> {
    let f = &app.forms;
    let fields = fields(req, body).unwrap_or_default();
    let contact = match f.person_at_desk(person).await {
        Ok(Some(p)) => p.contact,
        Ok(None) => {
            return super::not_found(app, who, "/desk/people/", "There is no contact at this address: they may have left or been erased. Nothing was changed.");
        }
        Err(e) => return store_failed(app, req.json, e),
    };
    let email = contact.details.email.clone();
    let operator = format!("{} (desk)", who.name);
    let q = Query(String::new());
    let back = |field: &'static str, msg: String| (StatusCode::UNPROCESSABLE_ENTITY, field, msg, json!(fields));
    let url = person_url(&contact.details.email_key);
    let done = match act {
        Act::Approve => {
            let r = match fields.get("city").map(String::as_str) {
                None | Some("") => return page(app, req, who, person, &q, Some(back("city", "Choose the city they represent.".into()))).await,
                Some("other") => f.approve_other_city(&email, &operator).await,
                Some(key) => f.approve_key(&email, key, &operator).await,
            };
            r.map(|_| "approved")
        }
        Act::Decline => f.decline(&email, &operator, fields.get("reason").map(String::as_str)).await.map(|_| "declined"),
        Act::Erase => {
            let typed = fields.get("confirm").map(|t| t.trim().to_lowercase()).unwrap_or_default();
            if typed != contact.details.email_key {
                let msg = "Type their email address exactly as shown, to confirm the erasure. Nothing was erased.".to_string();
                return page(app, req, who, person, &q, Some(back("confirm", msg))).await;
            }
            match f.erase(&email, &operator).await {
                Ok(_) => return see_other(&format!("{url}?done=erased")),
                Err(e) => Err(e),
            }
        }
    };
    match done {
        Ok(what) => see_other(&format!("{url}?done={what}")),
        Err(DeskError::Store(e)) => store_failed(app, req.json, e),
        Err(DeskError::Conflict) => page(app, req, who, person, &q, Some((StatusCode::CONFLICT, "city", DeskError::Conflict.to_string(), json!(fields)))).await,
        Err(e) => page(app, req, who, person, &q, Some(back("city", e.to_string()))).await,
    }
}
