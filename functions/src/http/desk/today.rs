//! The desk's first page: what waits for a decision, oldest first with its
//! age (contacts to approve, claims to decide, claims to pay), and the year's
//! usage at a glance. A contact whose registration names one SCC city can be
//! approved from here; everything else opens the record's page.

use super::super::App;
use super::super::signed_in::{Req, fields, message, see_other, store_failed};
use super::{Query, claim_row, person_url, render};
use crate::records::ClaimStatus;
use crate::service::account::SignedIn;
use crate::service::desk::ClaimDeskError;
use crate::store::Store;
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::json;

/// How many of each kind the first page shows; the lists hold the rest.
const SHOWN: usize = 20;

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let today = match f.today_at_desk(SHOWN).await {
        Ok(t) => t,
        Err(e) => return store_failed(app, req.json, e),
    };
    let now = f.now().0;
    let counted: Vec<_> = today.counted.items.iter().map(|c| claim_row(app, c, now)).collect();
    if req.json {
        return super::super::answer::json_response(
            StatusCode::OK,
            &json!({"may_decide": f.may_decide(who) == ccg_forms::decide::session::MayDecide::Yes, "claims": counted}),
        );
    }
    let approved: Vec<_> = today.approved.items.iter().map(|c| claim_row(app, c, now)).collect();
    let contacts: Vec<_> = today
        .confirmed
        .items
        .iter()
        .map(|c| {
            let choices = f.city_choices(&c.details.city, &c.details.country);
            let only = (choices.len() == 1).then(|| &choices[0]);
            json!({
                "name": c.details.name, "email": c.details.email, "city": c.details.city, "country": c.details.country,
                "organisation": c.details.organisation, "position": c.details.position, "url": person_url(&c.details.email_key),
                "confirmed": super::day(c.created_at), "age": super::age(now, c.created_at),
                "approve": only.map(|m| json!({"key": m.key, "label": format!("{} ({}, {} city of {})", m.name, m.country, m.role.as_str(), m.project)})),
                "person": crate::store::person_key(&c.details.email_key),
            })
        })
        .collect();
    let usage: Vec<_> = today.usage.iter().map(|u| super::usage::row(app, u)).collect();
    // Only what the store says is shown: the address cannot make the page say anything else.
    let notice = match q.get("decided") {
        Some(r) => match f.claim(&r).await {
            Ok(Some((c, _))) if c.status != ClaimStatus::Counted => {
                Some(format!("Decided: {} is {} now. The claimant is told by email.", c.reference_or_id(), c.status.as_str()))
            }
            _ => None,
        },
        None => None,
    };
    // Only the newest week's: older ones stay on each person's page.
    let week_ago = now - jiff::SignedDuration::from_hours(24 * 7);
    let suppressed: Vec<_> = today
        .suppressed
        .iter()
        .filter(|s| s.at >= week_ago)
        .map(|s| json!({"reason": s.reason.as_str(), "since": super::day(s.at), "url": s.person.as_ref().map(|p| format!("/desk/people/{p}/"))}))
        .collect();
    let data = json!({
        "suppressed": suppressed, "notice": notice, "contacts": contacts, "counted": counted, "approved": approved, "year": today.year, "usage": usage,
        "more_contacts": today.confirmed.next.is_some(), "more_counted": today.counted.next.is_some(), "more_approved": today.approved.next.is_some(),
    });
    render(app, who, StatusCode::OK, "/desk/", "Today at the desk", "answers/desk.html", data)
}

/// Approve or reject from the first page (`claim`, `action`, `reason`): the service `desk` uses.
pub(super) async fn decide<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, body: &Bytes) -> Response<Bytes> {
    let f = &app.forms;
    let fields = fields(req, body).unwrap_or_default();
    let id = fields.get("claim").cloned().unwrap_or_default();
    let operator = format!("{} (desk)", who.name);
    let decided = match fields.get("action").map(String::as_str) {
        Some("approve") => f.approve_claim(&id, &operator).await,
        Some("reject") => f.reject_claim(&id, &operator, fields.get("reason").map_or("", String::as_str)).await,
        _ => return message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not decided", "Choose Approve or Reject."),
    };
    match decided {
        Ok(d) if req.json => {
            super::super::answer::json_response(StatusCode::OK, &json!({"status": d.claim.status.as_str(), "reference": d.claim.reference_or_id()}))
        }
        Ok(d) => see_other(&format!("/desk/?decided={}", d.claim.reference_or_id())),
        Err(ClaimDeskError::NoReason) => {
            message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not decided", "Give the reason to reject: the claimant is told it.")
        }
        Err(ClaimDeskError::Conflict(now)) => {
            // Someone decided first: nothing is applied twice; the page says where it stands now.
            let msg = format!("This claim changed meanwhile: it is {} now, so your decision was not applied.", now.as_str());
            message(app, req.json, StatusCode::CONFLICT, "The claim changed meanwhile", &msg)
        }
        Err(ClaimDeskError::NoClaim(_)) => message(app, req.json, StatusCode::NOT_FOUND, "No such claim", "There is no claim with this reference."),
        Err(ClaimDeskError::Store(e)) => store_failed(app, req.json, e),
        Err(e) => message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not decided", &e.to_string()),
    }
}
