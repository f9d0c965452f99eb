//! The claim form's "Check your answers" step (the GOV.UK pattern), for
//! people: a claim right in every field but not declared yet is answered with
//! its answers to check, each with a "Change" button, and the declaration to
//! tick (`claim_form.declaration` in travel-support.yaml). Only the claim sent
//! from there, with the declaration, is kept and emailed. It works without a
//! script: the answers travel in hidden fields, and "Change" is a submit
//! button that brings the form back filled in, on the field to change.
//! JSON clients have no such page: they send `declaration` with the claim
//! (openapi.yaml), and a claim without it is refused naming the field.

use super::App;
use super::answer::{form_again, framed};
use super::frame::{AnswerPage, Back, Body};
use crate::decode::Fields;
use crate::routes::{Form, Route};
use crate::store::Store;
use crate::validate::{self, ClaimInput, FieldErrors, Submission};
use bytes::Bytes;
use ccg_model::words::long_date;
use http::{Response, StatusCode};
use serde_json::json;

/// The answers the page lists, in the form's order, and the hidden fields that carry them.
const ANSWERS: &[&str] = &["email", "event", "travel_start", "travel_end", "transport_eur", "accommodation_eur", "consent"];

/// The step a claim sent by a person is at: `None` when it is to be sent now
/// (declared, or a bot's: the submission answers those as before); otherwise
/// the page to answer with, and nothing is stored.
pub(super) fn claim_step<S: Store>(app: &App<S>, fields: &Fields) -> Option<Response<Bytes>> {
    if let Some(change) = fields.get("change") {
        // An unknown field gives the form from its top.
        let field = ANSWERS.iter().copied().find(|f| *f == change.as_str()).unwrap_or("email");
        let mut page = form_again(app, Form::TravelClaims, fields, &FieldErrors::default());
        if let Some(form) = page.form.as_mut() {
            form.focus = field.to_string();
        }
        return Some(framed(app, StatusCode::OK, Form::TravelClaims, page));
    }
    // Judged as if declared: what is wrong apart from the declaration goes back to the form.
    let mut declared = fields.clone();
    declared.insert("declaration".into(), "yes".into());
    match app.forms.check_claim(&declared) {
        Ok(Submission::Honeypot) => None,
        Err(mut errors) => {
            errors.0.remove("declaration");
            Some(framed(app, StatusCode::UNPROCESSABLE_ENTITY, Form::TravelClaims, form_again(app, Form::TravelClaims, fields, &errors)))
        }
        Ok(Submission::Valid(_)) if validate::declared(fields) => None,
        Ok(Submission::Valid(input)) => {
            // Sent from the check page without the tick: that page again, naming the declaration.
            let again = fields.get("step").is_some_and(|s| s == "check");
            let status = if again { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            Some(framed(app, status, Form::TravelClaims, check_page(app, fields, &input, again)))
        }
    }
}

const HEADING: &str = "Check your answers before sending your claim";

fn check_page<S: Store>(app: &App<S>, fields: &Fields, input: &ClaimInput, again: bool) -> AnswerPage {
    let f = &app.forms;
    let cat = f.catalogue();
    let meeting = cat.event(&input.event).map_or_else(|| input.event.clone(), crate::form_view::meeting_label);
    let rows = [
        ("email", "Email address", input.email.clone()),
        ("event", "Meeting", meeting),
        ("travel_start", "Day you leave", long_date(input.travel_start)),
        ("travel_end", "Day you come back", long_date(input.travel_end)),
        ("transport_eur", "Transport", input.transport.to_string()),
        ("accommodation_eur", "Accommodation", input.accommodation.to_string()),
        ("consent", "Privacy notice", "You agree that your details are used as it describes".to_string()),
    ];
    let rows: Vec<_> = rows.iter().map(|(field, label, value)| json!({ "field": field, "label": label, "value": value })).collect();
    let hidden: Vec<_> = ANSWERS.iter().map(|n| json!({ "name": n, "value": fields.get(*n).map_or("", |v| v.trim()) })).collect();
    let error = again.then_some(validate::DECLARATION_MISSING);
    let data = json!({
        "rows": rows, "hidden": hidden, "declaration": cat.rules.claim_form.declaration, "error": error,
        "costs": input.costs().to_string(), "max_per_trip": cat.rules.max_per_trip.to_string(),
        "action": Route::Submit(Form::TravelClaims).url("", &f.options.api_base, None),
    });
    AnswerPage {
        title: if again { format!("Error: {HEADING}") } else { HEADING.to_string() },
        heading: HEADING.to_string(),
        body: Body::new("answers/check-claim.html", data),
        back: Some(Back { url: Form::TravelClaims.form_page().to_string(), text: "The travel support page explains the conditions and limits".into() }),
        ..AnswerPage::default()
    }
}
