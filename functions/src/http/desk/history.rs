//! The history on the desk: the audit trail, newest first, with filters
//! (who, what, which record, from which day), each line linking to its record.

use super::super::App;
use super::super::signed_in::{Req, store_failed};
use super::{Query, audit_row, next_link, render};
use crate::claims::email_key;
use crate::service::account::SignedIn;
use crate::store::Store;
use crate::store::lists::{AuditQuery, Order, PAGE};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// The kinds of line the filter offers: (action or its start, what it means).
const ACTIONS: [(&str, &str); 10] = [
    ("contact.", "Contacts: confirmed, changed, approved, declined, left"),
    ("claim.", "Claims: confirmed, approved, rejected, paid, withdrawn, documents"),
    ("claim.document", "Documents added to claims"),
    ("person.erased", "Erasures"),
    ("contact.left", "Leaving through the link"),
    ("export", "Exports"),
    ("sessions.", "Sessions ended"),
    ("staff.", "Staff added or removed"),
    ("signin.", "Sign-ins"),
    ("passkey.", "Passkeys added or removed"),
];

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let record = q.get("record");
    // A record is asked for as people know it: an address, a claim's reference or its id.
    let subject = match &record {
        Some(r) if r.contains('@') => Some(email_key(r)),
        Some(r) => match f.claim_id(r).await {
            Ok(id) => Some(id),
            Err(e) => return store_failed(app, req.json, e),
        },
        None => None,
    };
    let since = q.get("since").and_then(|d| d.parse::<jiff::civil::Date>().ok());
    let query = AuditQuery {
        actor: q.get("who"),
        action: q.get("what"),
        subject,
        since: since.and_then(|d| jiff::tz::TimeZone::UTC.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok()),
        until: None,
        order: Order::Newest,
    };
    let page = match f.history_page(&query, q.get("after").as_deref(), PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let lines: Vec<Value> = page.items.iter().map(audit_row).collect();
    let filters = [("who", q.get("who")), ("what", q.get("what")), ("record", record.clone()), ("since", q.get("since"))];
    let actions: Vec<Value> = ACTIONS.iter().map(|(a, label)| json!({"value": a, "label": label})).collect();
    let data = json!({
        "lines": lines, "next": next_link("/desk/history/", &filters, page.next.as_deref()), "paged": q.get("after").is_some(),
        "who": q.get("who"), "what": q.get("what"), "record": record, "since": q.get("since"), "actions": actions,
    });
    render(app, who, StatusCode::OK, "/desk/history/", "History", "answers/desk-history.html", data)
}
