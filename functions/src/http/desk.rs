//! The secretariat's desk in the browser, first page: the claims waiting for
//! a decision, each with its Approve and Reject buttons. Reading needs a
//! staff session; deciding also needs a passkey used within
//! `sign_in.decide_within_minutes` (`decide::session::may_decide`). The
//! decisions are the services `desk` uses on the command line.

use super::App;
use super::answer::framed;
use super::frame::{AnswerPage, Body};
use super::signed_in::{Req, fields, message, see_other, store_failed};
use crate::records::ClaimStatus;
use crate::routes::Form;
use crate::service::account::SignedIn;
use crate::service::desk::{ClaimDeskError, ClaimFilter};
use crate::store::Store;
use bytes::Bytes;
use ccg_forms::decide::session::MayDecide;
use ccg_model::words::long_date;
use http::{Response, StatusCode};
use serde_json::json;

pub(super) async fn answer<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, get: bool, body: &Bytes) -> Response<Bytes> {
    if !who.is_staff() {
        return message(app, req.json, StatusCode::FORBIDDEN, "For the secretariat only", "This page is for the Scalable Cities Secretariat.");
    }
    if get {
        // Only what the store says is shown: the address cannot make the page say anything else.
        let decided = super::query_param(req.parts.uri.query().unwrap_or(""), "decided");
        let notice = match decided {
            Some(r) => match app.forms.claim(&r).await {
                Ok(Some((c, _))) if c.status != ClaimStatus::Counted => {
                    Some(format!("Decided: {} is {} now. The claimant is told by email.", c.reference_or_id(), c.status.as_str()))
                }
                _ => None,
            },
            None => None,
        };
        return desk_page(app, req, who, notice.as_deref()).await;
    }
    let f = &app.forms;
    match f.may_decide(who) {
        MayDecide::Yes => {}
        MayDecide::NotStaff => unreachable!("checked above"),
        needs => return step_up(app, req, needs),
    }
    let fields = fields(req, body).unwrap_or_default();
    let id = fields.get("claim").cloned().unwrap_or_default();
    let operator = format!("{} (desk)", who.name);
    let decided = match fields.get("action").map(String::as_str) {
        Some("approve") => f.approve_claim(&id, &operator).await,
        Some("reject") => f.reject_claim(&id, &operator, fields.get("reason").map_or("", String::as_str)).await,
        _ => return message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not decided", "Choose Approve or Reject."),
    };
    match decided {
        Ok(d) if req.json => super::answer::json_response(StatusCode::OK, &json!({"status": d.claim.status.as_str(), "reference": d.claim.reference_or_id()})),
        Ok(d) => see_other(&format!("/desk/?decided={}", d.claim.reference_or_id())),
        Err(ClaimDeskError::NoReason) => {
            message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not decided", "Give the reason to reject: the claimant is told it.")
        }
        Err(ClaimDeskError::Conflict(now)) => {
            // Someone decided first: nothing is applied twice; the page says where it stands now.
            let msg = format!("This claim changed meanwhile: it is {} now. Nothing was changed.", now.as_str());
            message(app, req.json, StatusCode::CONFLICT, "The claim changed meanwhile", &msg)
        }
        Err(ClaimDeskError::NoClaim(_)) => message(app, req.json, StatusCode::NOT_FOUND, "No such claim", "There is no claim with this reference."),
        Err(ClaimDeskError::Store(e)) => store_failed(app, req.json, e),
        Err(e) => message(app, req.json, StatusCode::UNPROCESSABLE_ENTITY, "Not decided", &e.to_string()),
    }
}

/// A decision refused for want of a (recent) passkey: what to do instead. Nothing changed.
pub(super) fn step_up<S: Store>(app: &App<S>, req: &Req<'_>, needs: MayDecide) -> Response<Bytes> {
    let again = needs == MayDecide::PasskeyAgain;
    let minutes = ccg_model::words::minutes(app.forms.options.sign_in.decide_within_minutes);
    if req.json {
        let reason = if again { "passkey_again" } else { "passkey_needed" };
        return super::answer::json_response(StatusCode::FORBIDDEN, &json!({"reason": reason, "error": "Deciding needs your passkey. Nothing was changed."}));
    }
    let heading = "Confirm it is you with your passkey";
    let page = AnswerPage {
        title: heading.into(),
        heading: heading.into(),
        body: Body::new("answers/step-up.html", json!({"needs": if again { "again" } else { "passkey" }, "minutes": minutes})),
        url: "/desk/".into(),
        back: Some(super::frame::Back { url: "/desk/".into(), text: "Back to the desk".into() }),
        passkey: true,
        ..AnswerPage::default()
    };
    framed(app, StatusCode::FORBIDDEN, Form::Register, page)
}

async fn desk_page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, notice: Option<&str>) -> Response<Bytes> {
    let f = &app.forms;
    let waiting = match f.claims(&ClaimFilter { status: Some(ClaimStatus::Counted), ..ClaimFilter::default() }).await {
        Ok(c) => c,
        Err(e) => return store_failed(app, req.json, e),
    };
    let cat = f.catalogue();
    let mut claims: Vec<_> = waiting.iter().collect();
    claims.sort_by_key(|c| c.confirmed_at);
    let claims: Vec<_> = claims
        .iter()
        .map(|c| {
            let event = cat.event(&c.event_id).map_or(c.event_id.clone(), |e| e.title.clone());
            let confirmed = c.confirmed_at.map(|t| long_date(jiff::tz::TimeZone::UTC.to_datetime(t).date())).unwrap_or_default();
            json!({"id": c.id, "reference": c.reference_or_id(), "city": c.city, "name": c.name, "event": event, "amount": c.amount.to_string(), "confirmed": confirmed})
        })
        .collect();
    let may = f.may_decide(who);
    if req.json {
        return super::answer::json_response(StatusCode::OK, &json!({"may_decide": may == MayDecide::Yes, "claims": claims}));
    }
    let data = json!({
        "notice": notice, "claims": claims, "may_decide": may == MayDecide::Yes,
        "step_up": if may == MayDecide::PasskeyAgain { "again" } else { "passkey" },
        "minutes": ccg_model::words::minutes(f.options.sign_in.decide_within_minutes),
    });
    let page = AnswerPage {
        title: "The secretariat's desk".into(),
        heading: "The secretariat's desk".into(),
        body: Body::new("answers/desk.html", data),
        url: "/desk/".into(),
        passkey: true,
        ..AnswerPage::default()
    };
    framed(app, StatusCode::OK, Form::Register, page)
}
