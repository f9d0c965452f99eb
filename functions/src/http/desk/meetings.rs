//! Meetings on the desk: every meeting of the calendar, newest first, and
//! one meeting's claims with a CSV of them for the logistics (who travels
//! from where, when), which is recorded in the history as an export.

use super::super::App;
use super::super::invitations::site_of;
use super::super::signed_in::{Req, see_other, store_failed};
use super::{Query, claim_row, next_link, render};
use crate::service::account::SignedIn;
use crate::service::invitations::InviteError;
use crate::store::Store;
use crate::store::lists::{ClaimQuery, PAGE};
use bytes::Bytes;
use ccg_model::words::day_span;
use http::{Response, StatusCode};
use serde_json::{Value, json};

pub(super) async fn list<S: Store>(app: &App<S>, _req: &Req<'_>, who: &SignedIn) -> Response<Bytes> {
    let f = &app.forms;
    let cat = f.catalogue();
    let today = f.today();
    let meetings: Vec<Value> = cat
        .events
        .iter()
        .rev()
        .map(|e| {
            let open = cat.rules.check_open(e, today).is_ok();
            json!({
                "id": e.id, "title": e.title, "url": format!("/desk/meetings/{}/", e.id), "dates": day_span(e.when.start_date(), e.when.end_date()),
                "format": e.format.label(), "cancelled": e.is_cancelled(), "open": open, "upcoming": e.when.end_date() >= today,
            })
        })
        .collect();
    render(app, who, StatusCode::OK, "/desk/meetings/", "Meetings", "answers/desk-meetings.html", json!({"meetings": meetings}))
}

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let cat = f.catalogue();
    let Some(e) = cat.event(id) else { return super::not_found(app, who, "/desk/meetings/", "There is no meeting with this id in the calendar.") };
    let query = ClaimQuery { event_id: Some(id.to_string()), ..ClaimQuery::default() };
    let page = match f.claims_page(&query, q.get("after").as_deref(), PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let now = f.now().0;
    let claims: Vec<Value> = page.items.iter().map(|c| claim_row(app, c, now)).collect();
    let (from, until) = cat.rules.claim_window(e);
    let (invitees, progress, tally) = match f.invitees(id).await {
        Ok(v) => v,
        Err(InviteError::Store(e)) => return store_failed(app, req.json, e),
        Err(_) => return super::not_found(app, who, "/desk/meetings/", "There is no meeting with this id in the calendar."),
    };
    let site = site_of(f);
    let settings = site.as_ref().map(|s| s.invitations).unwrap_or_default();
    let sends = if e.is_cancelled() {
        "cancellation"
    } else if invitees.iter().any(|i| i.sequence < e.sequence) {
        "update"
    } else {
        "invitation"
    };
    let invitations = json!({
        "sequence": e.sequence, "progress": progress, "left": progress.left(), "sends": sends,
        "going": tally.going, "waiting": tally.waiting.len(), "declined": tally.declined, "capacity": e.capacity,
        "invitees": invitees, "batch": settings.batch, "per_second": settings.per_second,
        "to_confirmed_contacts": settings.to_confirmed_contacts, "send_on_announced": settings.send_on_announced,
        "done": q.get("done").as_deref() == Some("invited"),
    });
    let data = json!({
        "id": e.id, "title": e.title, "dates": day_span(e.when.start_date(), e.when.end_date()), "public_url": format!("/calendar/{}/", e.id),
        "format": e.format.label(), "cancelled": e.is_cancelled(), "open": cat.rules.check_open(e, f.today()).is_ok(),
        "window": cat.rules.check_event(e).is_ok().then(|| day_span(from, until)),
        "invitations": invitations,
        "claims": claims, "next": next_link(&format!("/desk/meetings/{id}/"), &[], page.next.as_deref()),
    });
    render(app, who, StatusCode::OK, "/desk/meetings/", &e.title, "answers/desk-meeting.html", data)
}

/// The meeting's claims as CSV (a download), with the history line saying who took it.
pub(super) async fn csv<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str) -> Response<Bytes> {
    let f = &app.forms;
    if f.catalogue().event(id).is_none() {
        return super::not_found(app, who, "/desk/meetings/", "There is no meeting with this id in the calendar.");
    }
    match f.export_meeting(id, &format!("{} (desk)", who.name)).await {
        Ok(text) => super::exports::csv_response(&format!("claims-{id}.csv"), text),
        Err(e) => store_failed(app, req.json, e),
    }
}

/// One batch of the meeting's round (invitation, update or cancellation, as
/// each person is owed), then back to the meeting's page, which shows the progress.
pub(super) async fn invite<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str) -> Response<Bytes> {
    let f = &app.forms;
    let Some(site) = site_of(f) else { return store_failed(app, req.json, crate::store::StoreError::Unavailable("no site settings".into())) };
    match f.invite_from_desk(&site, id, &format!("{} (desk)", who.name), site.invitations.batch).await {
        Ok(_) => see_other(&format!("/desk/meetings/{id}/?done=invited")),
        Err(InviteError::Store(e)) => store_failed(app, req.json, e),
        Err(InviteError::Mail(e)) => store_failed(app, req.json, crate::store::StoreError::Unavailable(e.to_string())),
        Err(_) => super::not_found(app, who, "/desk/meetings/", "There is no meeting with this id in the calendar."),
    }
}

/// Who was invited and how they answered, as CSV for the logistics, recorded in the history.
pub(super) async fn invitations_csv<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str) -> Response<Bytes> {
    match app.forms.invitees_csv(id, &format!("{} (desk)", who.name)).await {
        Ok(text) => super::exports::csv_response(&format!("invitations-{id}.csv"), text),
        Err(InviteError::Store(e)) => store_failed(app, req.json, e),
        Err(_) => super::not_found(app, who, "/desk/meetings/", "There is no meeting with this id in the calendar."),
    }
}
