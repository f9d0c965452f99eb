//! Claims on the desk: the list with filters, and one claim's page with its
//! costs, contribution, documents and history, and the actions its state
//! allows (approve, reject with a reason, record a payment). A decision on a
//! claim that changed since the page was shown says so and shows the new
//! state: nothing is applied twice.

use super::super::App;
use super::super::signed_in::{Req, fields, see_other, store_failed};
use super::{Query, audit_row, claim_row, next_link, person_url, render};
use crate::records::ClaimStatus;
use crate::service::account::SignedIn;
use crate::service::desk::ClaimDeskError;
use crate::store::Store;
use crate::store::lists::{ClaimQuery, Order, PAGE};
use bytes::Bytes;
use ccg_model::Cents;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// What a claim's page can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::http) enum Act {
    Approve,
    Reject,
    Pay,
}

impl Act {
    pub fn parse(s: &str) -> Option<Act> {
        match s {
            "approve" => Some(Act::Approve),
            "reject" => Some(Act::Reject),
            "pay" => Some(Act::Pay),
            _ => None,
        }
    }
}

/// The claims a list's query string asks for.
pub(super) fn claim_query(q: &Query) -> ClaimQuery {
    ClaimQuery {
        status: q.get("status").as_deref().and_then(ClaimStatus::parse),
        city_key: q.get("city"),
        year: q.get("year").and_then(|y| y.parse().ok()),
        event_id: q.get("meeting"),
        order: if q.get("order").as_deref() == Some("newest") { Order::Newest } else { Order::Oldest },
    }
}

pub(super) async fn list<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let query = claim_query(q);
    let page = match f.claims_page(&query, q.get("after").as_deref(), PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let now = f.now().0;
    let claims: Vec<Value> = page.items.iter().map(|c| claim_row(app, c, now)).collect();
    let cat = f.catalogue();
    let meetings: Vec<Value> = cat.events.iter().rev().map(|e| json!({"id": e.id, "title": e.title, "year": e.claim_year()})).collect();
    let years = super::years(app);
    let filters = [("status", q.get("status")), ("city", q.get("city")), ("year", q.get("year")), ("meeting", q.get("meeting")), ("order", q.get("order"))];
    let data = json!({
        "claims": claims, "next": next_link("/desk/claims/", &filters, page.next.as_deref()), "paged": q.get("after").is_some(),
        "status": q.get("status"), "city": q.get("city"), "city_name": q.get("city").map(|k| f.city_name(&k)), "year": q.get("year"),
        "meeting": q.get("meeting"), "order": q.get("order"),
        "statuses": ClaimStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "years": years, "meetings": meetings,
    });
    render(app, who, StatusCode::OK, "/desk/claims/", "Claims", "answers/desk-claims.html", data)
}

/// A refused action sent back: its status, the field and message, and what was typed.
pub(super) type SentBack = (StatusCode, &'static str, String, Value);

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, q: &Query, sent_back: Option<SentBack>) -> Response<Bytes> {
    let f = &app.forms;
    let v = match f.claim_view(id).await {
        Ok(Some(v)) => v,
        Ok(None) => return super::not_found(app, who, "/desk/claims/", "There is no claim with this reference."),
        Err(e) => return store_failed(app, req.json, e),
    };
    let c = &v.claim;
    let now = f.now().0;
    let cat = f.catalogue();
    let rules = &cat.rules;
    let costs = Cents(c.transport.0 + c.accommodation.0);
    // Why the contribution is what it is (the template words it): all of the costs, the per-trip
    // limit, or what the city's year had left when the claim was counted (TravelRules::count).
    let max = rules.max_per_trip;
    let limited = if c.amount.0 >= costs.0 {
        "none"
    } else if c.amount.0 >= max.0 {
        "trip"
    } else {
        "year"
    };
    let documents: Vec<Value> = v
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let url = format!("/desk/claims/{}/documents/{}", c.reference_or_id(), d.id);
            json!({"n": i + 1, "name": d.file_name, "kind": d.kind.label(), "size": ccg_model::words::file_size(d.size), "added": super::day(d.uploaded_at), "url": url})
        })
        .collect();
    let history: Vec<Value> = v.history.iter().map(audit_row).collect();
    let done = q.get("done").and_then(|d| match (d.as_str(), c.status) {
        ("approved", ClaimStatus::Approved | ClaimStatus::Paid) => Some("Approved. The claimant was told by email; payment follows."),
        ("rejected", ClaimStatus::Rejected) => Some("Rejected. Its trip and euros went back to the city's year; the claimant was told the reason by email."),
        ("paid", ClaimStatus::Paid) => Some("The payment is recorded. The claimant was told by email."),
        _ => None,
    });
    let mut error = json!({"state": null, "reason": null, "amount": null, "on": null, "pay_reason": null});
    let mut values = json!({"reason": "", "amount": c.amount.to_decimal(), "on": f.today().to_string(), "pay_reason": ""});
    let mut status = StatusCode::OK;
    if let Some((st, field, msg, typed)) = sent_back {
        status = st;
        error[field] = json!(msg);
        for k in ["reason", "amount", "on", "pay_reason"] {
            if let Some(v) = typed.get(k).and_then(Value::as_str) {
                values[k] = json!(v);
            }
        }
    }
    let event = cat.event(&c.event_id);
    let data = json!({
        "claim": claim_row(app, c, now), "done": done, "error": error, "values": values,
        "email": c.email, "person_url": person_url(&c.email_key),
        "event_url": event.map(|e| format!("/calendar/{}/", e.id)),
        "event_dates": event.map(|e| ccg_model::words::day_span(e.when.start_date(), e.when.end_date())),
        "travel": ccg_model::words::day_span(c.travel_start, c.travel_end),
        "transport": c.transport.to_string(), "accommodation": c.accommodation.to_string(), "costs": costs.to_string(), "limited": limited, "max_per_trip": max.to_string(),
        "reason": c.reason, "paid": c.paid.map(|p| p.to_string()), "paid_on": c.paid_on.map(ccg_model::words::long_date),
        "documents": documents, "history": history, "last_line": v.history.last().map(audit_row),
        "usage": super::usage::row(app, &v.usage),
        "expires": v.expires_at.and_then(|s| jiff::Timestamp::from_second(s).ok()).map(super::day),
        "may_approve": c.status == ClaimStatus::Counted, "may_reject": matches!(c.status, ClaimStatus::Counted | ClaimStatus::Approved),
        "may_pay": c.status == ClaimStatus::Approved,
    });
    render(app, who, status, "/desk/claims/", &format!("Claim {}", c.reference_or_id()), "answers/desk-claim.html", data)
}

pub(super) async fn act<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, act: Act, body: &Bytes) -> Response<Bytes> {
    let f = &app.forms;
    let fields = fields(req, body).unwrap_or_default();
    let seen = fields.get("seen").and_then(|s| ClaimStatus::parse(s));
    let operator = format!("{} (desk)", who.name);
    let q = Query(String::new());
    let back = |field: &'static str, msg: String| Some((StatusCode::UNPROCESSABLE_ENTITY, field, msg, json!(fields)));
    let decided = match act {
        Act::Approve => f.approve_claim(id, &operator).await,
        Act::Reject => f.reject_claim_seen(id, &operator, fields.get("reason").map_or("", String::as_str), seen).await,
        Act::Pay => {
            let amount = match fields.get("amount").map(|a| Cents::parse_eur(a.trim())) {
                Some(Ok(a)) => a,
                _ => return page(app, req, who, id, &q, back("amount", "Enter the amount paid in euros, like 412.50.".into())).await,
            };
            let on = match fields.get("on").map(|d| d.trim().parse::<jiff::civil::Date>()) {
                Some(Ok(d)) if d <= f.today() => d,
                Some(Ok(_)) => return page(app, req, who, id, &q, back("on", "The payment date cannot be in the future.".into())).await,
                _ => return page(app, req, who, id, &q, back("on", "Enter the date of the payment, like 2027-04-30.".into())).await,
            };
            let reason = fields.get("pay_reason").map(|r| r.trim()).filter(|r| !r.is_empty());
            f.record_payment(id, &operator, amount, on, reason).await
        }
    };
    match decided {
        Ok(d) => {
            let what = match act {
                Act::Approve => "approved",
                Act::Reject => "rejected",
                Act::Pay => "paid",
            };
            see_other(&format!("{}?done={what}", super::claim_url(&d.claim)))
        }
        Err(ClaimDeskError::Store(e)) => store_failed(app, req.json, e),
        Err(ClaimDeskError::Conflict(now)) => {
            let msg =
                format!("This claim changed meanwhile: it is {} now, so your decision was not applied. The page shows the claim as it is now.", now.as_str());
            page(app, req, who, id, &q, Some((StatusCode::CONFLICT, "state", msg, json!({})))).await
        }
        Err(ClaimDeskError::NoClaim(_)) => super::not_found(app, who, "/desk/claims/", "There is no claim with this reference. Nothing was changed."),
        Err(e @ ClaimDeskError::NoReason) => page(app, req, who, id, &q, back("reason", desk_words(&e))).await,
        Err(e @ (ClaimDeskError::ReasonNeeded(..) | ClaimDeskError::ReasonNotNeeded(_))) => {
            page(app, req, who, id, &q, back("pay_reason", desk_words(&e))).await
        }
        Err(e) => page(app, req, who, id, &q, back("amount", desk_words(&e))).await,
    }
}

/// A refusal in the desk's words (the service's speak of the command line's options).
fn desk_words(e: &ClaimDeskError) -> String {
    match e {
        ClaimDeskError::NoReason => "Give the reason to reject: the claimant is told it.".into(),
        ClaimDeskError::ReasonNeeded(paid, asked) => {
            format!("The payment ({paid}) is less than the amount asked for ({asked}): say why. The claimant is told it.")
        }
        ClaimDeskError::ReasonNotNeeded(asked) => format!("The payment is the full amount asked for ({asked}): it needs no reason. Leave the reason empty."),
        ClaimDeskError::OverApproved(paid, asked) => format!("The payment ({paid}) is more than the amount approved ({asked})."),
        ClaimDeskError::NothingPaid => "Enter an amount above zero.".into(),
        e => e.to_string(),
    }
}

/// One of a claim's documents: `?download` saves it, otherwise the browser shows it (sandboxed).
pub(super) async fn document<S: Store>(app: &App<S>, req: &Req<'_>, id: &str, doc: &str, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let claim_id = match f.claim_id(id).await {
        Ok(c) => c,
        Err(e) => return store_failed(app, req.json, e),
    };
    let docs = match f.documents_of(&claim_id).await {
        Ok(d) => d,
        Err(e) => return store_failed(app, req.json, e),
    };
    let Some((n, d)) = docs.iter().enumerate().find(|(_, d)| d.id == doc) else {
        return super::super::signed_in::message(app, false, StatusCode::NOT_FOUND, "No such document", "This claim has no such document.");
    };
    let bytes = match f.document_file(d).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(detail = %e, "desk document unreadable");
            return super::super::signed_in::message(
                app,
                false,
                StatusCode::SERVICE_UNAVAILABLE,
                "Not shown",
                "The document could not be read. Please try again in a few minutes.",
            );
        }
    };
    // A file name of our own: the claimant's may hold anything.
    let name = format!("{}-document-{}.{}", id.trim(), n + 1, d.kind.as_str().replace("jpeg", "jpg"));
    let disposition = if q.get("download").is_some() { format!("attachment; filename=\"{name}\"") } else { format!("inline; filename=\"{name}\"") };
    let mut r = Response::new(Bytes::from(bytes));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(d.kind.mime()));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; img-src 'self'; object-src 'self'; sandbox"));
    r
}
