//! The secretariat's staff on the desk in the browser (`/desk/staff/`):
//! who may sign in to the desk, and adding or removing them. Reading needs a
//! staff session; a change needs the passkey, as a decision does
//! (`decide::session::may_decide`), and goes through the same service as
//! `desk staff add|remove`, with its audit line.

use super::super::App;
use super::super::signed_in::{Req, fields, message, store_failed};
use crate::service::account::SignedIn;
use crate::service::staff::StaffError;
use crate::store::Store;
use bytes::Bytes;
use ccg_forms::decide::session::MayDecide;
use ccg_model::words::long_date;
use http::{Response, StatusCode};
use serde_json::json;

/// What was asked of the staff page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::http) enum Ask {
    List,
    Add,
    Remove,
}

pub(super) async fn answer<S: Store>(app: &App<S>, ask: Ask, req: &Req<'_>, who: &SignedIn, body: &Bytes) -> Response<Bytes> {
    if !who.is_staff() {
        return message(app, req.json, StatusCode::FORBIDDEN, "For the secretariat only", "This page is for the Scalable Cities Secretariat.");
    }
    if ask == Ask::List {
        return page(app, req, who, None, None, StatusCode::OK).await;
    }
    let f = &app.forms;
    if f.may_decide(who) != MayDecide::Yes {
        return super::step_up(app, req, f.may_decide(who));
    }
    let fields = fields(req, body).unwrap_or_default();
    let email = fields.get("email").cloned().unwrap_or_default();
    let operator = format!("{} (desk)", who.name);
    let done = match ask {
        Ask::Add => {
            f.add_staff(&email, fields.get("name").map_or("", String::as_str), &operator).await.map(|s| format!("{} can now sign in to the desk.", s.name))
        }
        _ => f.remove_staff(&email, &operator).await.map(|()| format!("{} is no longer staff; their sessions ended.", email.trim())),
    };
    let refused = |field: &str, msg: &str| (field.to_string(), msg.to_string());
    let error = match done {
        Ok(notice) if req.json => return super::super::answer::json_response(StatusCode::OK, &json!({"status": "done", "message": notice})),
        // The page itself, with what was done (sent again, the change is refused as done already).
        Ok(notice) => return page(app, req, who, Some(&notice), None, StatusCode::OK).await,
        Err(StaffError::Store(e)) => return store_failed(app, req.json, e),
        Err(StaffError::Email(_)) => refused("email", "Enter an email address like name@city.eu."),
        Err(StaffError::NoName) | Err(StaffError::Name) => refused("name", "Enter their name, on one line."),
        Err(StaffError::Already(_)) => refused("email", "This address is staff already."),
        Err(StaffError::NotStaff(_)) => {
            return message(app, req.json, StatusCode::CONFLICT, "Not staff", "This address is not staff (any more): nothing was changed.");
        }
        Err(StaffError::NoOperator) => unreachable!("the operator is the signed-in person's name"),
    };
    if req.json {
        return super::super::answer::json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": {error.0: error.1}}));
    }
    let mut errors = json!({"email": null, "name": null});
    errors[error.0] = json!(error.1);
    let values = json!({"email": email, "name": fields.get("name").cloned().unwrap_or_default()});
    page(app, req, who, None, Some((errors, values)), StatusCode::UNPROCESSABLE_ENTITY).await
}

async fn page<S: Store>(
    app: &App<S>,
    req: &Req<'_>,
    who: &SignedIn,
    notice: Option<&str>,
    sent_back: Option<(serde_json::Value, serde_json::Value)>,
    status: StatusCode,
) -> Response<Bytes> {
    let f = &app.forms;
    let staff = match f.staff().await {
        Ok(s) => s,
        Err(StaffError::Store(e)) => return store_failed(app, req.json, e),
        Err(e) => return message(app, req.json, StatusCode::INTERNAL_SERVER_ERROR, "Not shown", &e.to_string()),
    };
    let staff: Vec<_> = staff
        .iter()
        .map(|s| {
            let added = long_date(jiff::tz::TimeZone::UTC.to_datetime(s.added_at).date());
            json!({"name": s.name, "email": s.email, "added": added, "by": s.added_by, "me": s.email_key == who.session.email_key})
        })
        .collect();
    if req.json {
        return super::super::answer::json_response(status, &json!({"staff": staff}));
    }
    let (error, values) = sent_back.unwrap_or_else(|| (json!({"email": null, "name": null}), json!({"email": "", "name": ""})));
    let data = json!({"staff": staff, "notice": notice, "error": error, "values": values});
    super::render(app, who, status, "/desk/staff/", "The secretariat's staff", "answers/desk-staff.html", data)
}
