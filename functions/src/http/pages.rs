//! The pages the forms answer with, as templates under `templates/answers/`
//! and the plain data each one shows (the template engine escapes it), and
//! the sentences for each refusal (the JSON answers carry them too).

use super::frame::{AnswerPage, Back, Body};
use crate::records::{Claim, ClaimStatus, Document, DraftClaim, Pending, PendingItem};
use crate::routes::{Form, Route};
use crate::service::Forms;
use crate::service::confirm::Receipt;
use crate::service::documents::DocumentsView;
use crate::store::OpenMeetings;
use ccg_model::rules::YearUsage;
use ccg_model::words::{file_size, long_date};
use ccg_model::{Cents, Refusal, TravelRules};
use serde_json::{Value, json};
use std::sync::LazyLock;
use tera::{Context, Tera};

/// The answers' own templates, as built into the binary, without the site's frame.
static FALLBACK: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::new();
    let own = crate::embedded::templates().iter().copied().filter(|(name, _)| name.starts_with("answers/"));
    tera.add_raw_templates(own).expect("the embedded answer templates compile");
    tera
});

/// A small page of its own around the answer, ending with one link (`back`:
/// site path, label): only for when the site's templates fail (see
/// `answer::framed`). It uses the templates built into the binary.
pub fn fallback<S>(f: &Forms<S>, heading: &str, body: &Body, (back, back_label): (&str, &str)) -> String {
    let body = body.render(&FALLBACK).unwrap_or_default();
    let data = json!({
        "site": f.options.public_url, "title": f.options.site_title, "home": f.page("/"), "back": f.page(back),
        "back_label": back_label, "heading": heading, "body": body,
    });
    let ctx = Context::from_serialize(&data).expect("a map");
    FALLBACK.render("answers/fallback.html", &ctx).unwrap_or_else(|_| format!("{heading}\n"))
}

/// An answer page of a heading, a body and a link under it, in the site's frame.
fn answer(heading: &str, body: Body, (url, text): (&str, &str)) -> AnswerPage {
    AnswerPage {
        title: heading.to_string(),
        heading: heading.to_string(),
        body,
        url: url.to_string(),
        back: Some(Back { url: url.to_string(), text: text.to_string() }),
        ..AnswerPage::default()
    }
}

/// A form's button posts to its route, on the site's own address.
fn action<S>(f: &Forms<S>, route: Route) -> String {
    route.url(&f.options.public_url, &f.options.api_base, None)
}

/// What a page shows of a claim: its words and amounts as written out, and why
/// its contribution is less than its costs (`max_per_trip`, `year_left`, or none).
fn claim_data(c: &DraftClaim, max_per_trip: Cents) -> Value {
    let costs = Cents(c.transport.0 + c.accommodation.0);
    let cut = if c.amount < costs && c.amount == max_per_trip {
        Some("max_per_trip")
    } else if c.amount < costs {
        Some("year_left")
    } else {
        None
    };
    json!({
        "id": c.id, "city": c.city, "country": c.country, "year": c.year,
        "travel_start": long_date(c.travel_start), "travel_end": long_date(c.travel_end),
        "transport": c.transport.to_string(), "accommodation": c.accommodation.to_string(),
        "costs": costs.to_string(), "amount": c.amount.to_string(), "cut": cut,
    })
}

/// What a page shows of a counted claim: as sent, with the reference people
/// read out (its id, for a claim from before references).
fn counted_data(c: &Claim, max_per_trip: Cents) -> Value {
    let mut data = claim_data(&c.draft(), max_per_trip);
    data["reference"] = json!(c.reference_or_id());
    data
}

/// The page a link opens: what it confirms, and the button that does it.
pub fn confirm_page<S>(f: &Forms<S>, form: Form, p: &Pending, used: Option<YearUsage>, token: &str) -> (String, Body) {
    let cat = f.catalogue();
    let action = action(f, Route::Confirm(form));
    match &p.item {
        PendingItem::Registration(r) => {
            let data = json!({
                "r": { "name": r.name, "email": r.email, "city": r.city, "country": r.country,
                       "organisation": r.organisation, "position": r.position, "project": r.project },
                "action": action, "token": token,
            });
            ("Confirm your registration".to_string(), Body::new("answers/confirm-registration.html", data))
        }
        PendingItem::Claim(c) => {
            let event = cat.event(&c.event_id).map(|e| e.title.clone()).unwrap_or_else(|| c.event_id.clone());
            let rules = &cat.rules;
            let left = used.map(|u| rules.remaining(u)).unwrap_or_default();
            let (outcome, contribution) = match used.map(|u| rules.count(u, c.amount)) {
                Some(Ok((amount, _))) if amount < c.amount => (Some("less"), Some(amount)),
                Some(Ok((amount, _))) => (Some("full"), Some(amount)),
                Some(Err(_)) => (Some("none_left"), None),
                None => (None, None),
            };
            // The judgement the confirmation makes (OpenMeetings): a meeting that no
            // longer takes claims offers nothing to press, in the words of its refusal.
            let open = OpenMeetings::on(&cat, f.options.accept_drafts, f.today()).takes_claims(&c.event_id);
            let closed = (!open).then(|| refusal_message(Refusal::MeetingClosed, rules, None));
            let data = json!({
                "c": claim_data(c, rules.max_per_trip), "event": event, "counted": false,
                "outcome": outcome, "contribution": contribution.map(|a| a.to_string()),
                "left_trips": left.trips, "left_amount": left.amount.to_string(),
                "action": action, "token": token, "closed": closed, "payment": rules.payment.published(),
            });
            let heading = if open { "Confirm your travel claim" } else { "This meeting no longer takes claims" };
            (heading.to_string(), Body::new("answers/confirm-claim.html", data))
        }
    }
}

/// A claim as it stands, from its link once used: its state, and the button
/// to withdraw it while the secretariat has not approved it.
pub fn claim_page<S>(f: &Forms<S>, c: &Claim, token: &str, docs: &DocumentsView, added: Option<&Document>) -> (String, Body) {
    let cat = f.catalogue();
    let event = cat.event(&c.event_id).map(|e| e.title.clone()).unwrap_or_else(|| c.event_id.clone());
    let reason = if c.status == ClaimStatus::Rejected { c.reason.as_deref() } else { None };
    // A payment below the amount asked for is recorded with its reason.
    let paid_reason = if c.status == ClaimStatus::Paid { c.reason.as_deref() } else { None };
    let (paid, paid_on) = match (c.paid, c.paid_on) {
        (Some(p), Some(on)) => (Some(p.to_string()), Some(long_date(on))),
        _ => (None, None),
    };
    let data = json!({
        "c": counted_data(c, cat.rules.max_per_trip), "event": event, "status": c.status.describe(),
        "reason": reason, "paid": paid, "paid_on": paid_on, "paid_reason": paid_reason,
        "withdrawable": ccg_forms::decide::claim::withdrawable(c.status), "action": action(f, Route::Withdraw), "token": token,
        "documents": docs.documents.iter().map(|d| json!({"file_name": d.file_name, "type": d.kind.label(), "size": file_size(d.size)})).collect::<Vec<_>>(),
                "upload": docs.form.as_ref().map(|u| json!({"action": u.action, "fields": u.fields.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>()})),
        "added": added.map(|d| &d.file_name),
        "limits": cat.rules.documents.map(|l| json!({"max_files": l.max_files, "max_size": file_size(l.max_bytes)})),
    });
    ("Your travel claim".to_string(), Body::new("answers/claim.html", data))
}

/// The leave pages answer no page of the menu: their address is the leave
/// route's (without its token), so the menu marks nothing (not "Home") and
/// the title is the page's own.
fn off_menu<S>(f: &Forms<S>, page: AnswerPage) -> AnswerPage {
    AnswerPage { url: format!("{}{}", f.options.api_base, Route::Leave.path()), ..page }
}

/// What a leave link opens: what leaving does, with the retention settings
/// the stores apply, and the one button that does it.
pub fn leave_page<S>(f: &Forms<S>, token: &str) -> AnswerPage {
    let data = json!({ "paid_years": f.options.retention.paid_claim_years, "action": action(f, Route::Leave), "token": token });
    off_menu(f, answer("Leave the City Coordinators Group", Body::new("answers/leave.html", data), ("/", "Back to the home page")))
}

/// After leaving: what went, in words (counts only).
pub fn left_page<S>(f: &Forms<S>, e: &crate::store::Erased) -> AnswerPage {
    let data = json!({ "withdrawn": e.claims_withdrawn, "kept": e.claims_kept, "paid_years": f.options.retention.paid_claim_years });
    off_menu(f, answer("You have left the group", Body::new("answers/left.html", data), (Form::Register.form_page(), "Join the group")))
}

/// A leave link that no longer works (left already, erased, or never one of ours).
pub fn leave_gone_page<S>(f: &Forms<S>) -> AnswerPage {
    off_menu(f, answer("This link no longer works", Body::new("answers/leave-gone.html", json!({})), ("/", "Back to the home page")))
}

/// The page a confirmed claim leads to: what was counted, what the city has
/// left, and what happens next.
pub fn receipt(r: &Receipt, rules: &TravelRules) -> Body {
    let data = json!({
        "c": counted_data(&r.claim, rules.max_per_trip), "event": r.event_title, "counted": true,
        "left_trips": r.remaining.trips, "left_amount": r.remaining.amount.to_string(),
        "payment": rules.payment.published(), "documents": rules.documents.is_some(),
    });
    Body::new("answers/receipt.html", data)
}

/// The human sentence for a refusal, with the limits from the rules.
pub fn refusal_message(r: Refusal, rules: &TravelRules, year: Option<(i16, YearUsage)>) -> String {
    match r {
        Refusal::CityNotEligible => "Your city does not qualify for a travel contribution for this meeting: the contribution is for the \
             SCC cities listed on the financial support page, judged on the date of the meeting."
            .into(),
        Refusal::EventNotEligible => {
            let formats: Vec<&str> = rules.eligible_formats.iter().map(|f| f.label()).collect();
            format!(
                "This meeting is not eligible: travel contributions are only for CCG meetings of this format: {}, announced by the secretariat and not cancelled.",
                formats.join(", ").to_lowercase()
            )
        }
        Refusal::ClaimsNotOpen => format!(
            "This meeting does not take claims today: this form takes claims for a meeting from the day it is announced until {} days after it ends.",
            rules.claim_form.days_after_meeting
        ),
        Refusal::OverYearlyTrips => match year {
            Some((y, _)) => format!("Your city has already had its {} trips for {y}.", rules.max_trips_per_year),
            None => format!("Your city has already had its {} trips for the year of this meeting.", rules.max_trips_per_year),
        },
        Refusal::OverYearlyAmount => match year {
            Some((y, used)) => {
                format!("This amount would take your city over its limit of {} for {y}: it has {} left.", rules.max_per_year, rules.remaining(used).amount)
            }
            None => format!("This amount would take your city over its yearly limit of {}.", rules.max_per_year),
        },
        Refusal::AlreadyClaimed => "You already have a travel contribution for this meeting: one person receives at most one per meeting.".into(),
        Refusal::NotRepresentative => {
            "This address is no longer an approved representative of the city, so the claim cannot count. Write to the Scalable Cities Secretariat.".into()
        }
        Refusal::MeetingClosed => format!(
            "This meeting no longer takes travel claims, so the claim was not counted: since it was sent, the meeting was cancelled or is no longer \
             announced, or its time for claims has ended (this form takes claims for a meeting until {} days after it ends).",
            rules.claim_form.days_after_meeting
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Options;
    use std::sync::Arc;

    #[test]
    fn the_fallback_page_escapes_and_needs_none_of_the_sites_templates() {
        let options = Options { public_url: "https://h".into(), ..Options::default() };
        let f = Forms::new((), Arc::new(crate::mail::outbox::Outbox::new("unused")), crate::embedded::catalogue().unwrap(), options);
        let html = fallback(&f, "Oops <1>", &Body::message("a & b"), ("/join/", "Back"));
        assert!(html.starts_with("<!DOCTYPE html>\n"), "{html}");
        assert!(html.contains("<title>Oops &lt;1&gt; – "), "{html}");
        assert!(html.contains("<h1>Oops &lt;1&gt;</h1>\n<p>a &amp; b</p>\n<p><a href=\"https://h/join/\">Back</a></p>\n</main>"), "{html}");
    }
}
