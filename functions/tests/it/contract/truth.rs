//! Issue 18's rules, on both stores: the one contribution per person and
//! meeting outlives leaving and coming back, and every counted claim gets a
//! reference people can read out, in order and never twice.

use super::{CLAIMS, call, counted, get, race, usage};
use crate::common::*;
use ccg_functions::Store;
use ccg_functions::service::desk::ClaimDeskError;
use ccg_functions::{App, Form};
use ccg_model::Cents;
use ccg_model::rules::YearUsage;
use std::sync::Arc;

/// Claim, approved, leave through the leave link, join again, approved again,
/// claim the same meeting: refused, as before leaving; another meeting works.
pub(super) async fn one_contribution_survives_leaving<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let (id, _) = counted(&app, "e1", "400").await;
    app.forms.approve_claim(&id, "Eva").await.unwrap();
    let link = mails_to(&app, "ana@valladolid.es").iter().rev().find_map(|m| leave_token_in(&m.text)).expect("a leave link");
    let left = call(&app, form_post("/api/leave", &[("token", &link)])).await;
    assert_eq!(left.status(), 200, "{}", body_text(&left));
    assert!(app.forms.store.get_contact("ana@valladolid.es").await.unwrap().is_none());
    // The approved claim is kept without her address, with what the rule needs: a keyed hash.
    let kept = app.forms.store.get_claim(&id).await.unwrap().unwrap();
    assert_eq!((kept.email.as_str(), kept.email_key.as_str()), ("[erased]", format!("[erased] {id}").as_str()));
    assert_eq!(kept.contribution_key, person_key().contribution_key("ana@valladolid.es", "e1"));
    assert!(!kept.contribution_key.contains("ana") && kept.contribution_key.len() == 64);

    // Back again, approved again: the same meeting is refused, nothing counted.
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let (status, body) = claim_confirmed(&app, claim("e1", "300")).await;
    assert_eq!((status, body["reason"].as_str()), (409, Some("already_claimed")), "{body}");
    assert_eq!(usage(&app).await, YearUsage { trips: 1, amount: Cents(40000) });
    // Another meeting works.
    let (status, body) = claim_confirmed(&app, claim("e2", "100")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(usage(&app).await, YearUsage { trips: 2, amount: Cents(50000) });
    // Once the kept claim no longer counts (rejected after all), the meeting is free again.
    app.forms.reject_claim(&id, "Eva", "no receipts").await.unwrap();
    let (status, body) = claim_confirmed(&app, claim("e1", "300")).await;
    assert_eq!(status, 200, "{body}");
}

/// Sends a claim of Ana's and confirms it as JSON; the confirmation's answer.
async fn confirmed_json<S: Store>(app: &App<S>, event: &str, euros: &str) -> serde_json::Value {
    assert_eq!(call(app, json_post(CLAIMS, claim(event, euros))).await.status(), 202);
    let token = last_token(app, "ana@valladolid.es").unwrap();
    let r = call(app, confirm_post(Form::TravelClaims, &token, true)).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    body_json(&r)
}

/// Each counted claim gets the next reference of its year, shown wherever
/// the claim is named, and found by it at the desk.
pub(super) async fn claims_get_references_in_order<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let first = confirmed_json(&app, "e1", "100").await;
    assert_eq!(first["reference"], "CCG-2027-0001", "{first}");
    let second = confirmed_json(&app, "e2", "100").await;
    assert_eq!(second["reference"], "CCG-2027-0002", "{second}");
    let (first_id, second_id) = (first["id"].as_str().unwrap().to_string(), second["id"].as_str().unwrap().to_string());
    assert_eq!(app.forms.store.get_claim(&first_id).await.unwrap().unwrap().reference.as_deref(), Some("CCG-2027-0001"));
    // The receipt names it by its reference.
    let receipt = mails_to(&app, "ana@valladolid.es").into_iter().find(|m| m.subject == "Your travel claim CCG-2027-0001 is confirmed").expect("a receipt");
    assert!(receipt.text.contains("Reference: CCG-2027-0001\n") && !receipt.text.contains(&first_id), "{}", receipt.text);
    // So does the claim's page, from the same link.
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    let page = body_text(&call(&app, get(&format!("/api/travel-claims/confirm?token={token}"))).await);
    assert!(page.contains("<dt>Reference</dt><dd>CCG-2027-0002</dd>"), "{page}");
    // A refused confirmation takes no number; another year counts from 1.
    assert_eq!(claim_confirmed(&app, claim("e1", "100")).await.0, 409);
    assert_eq!(confirmed_json(&app, "e3", "100").await["reference"], "CCG-2027-0003");
    assert_eq!(confirmed_json(&app, "y2028", "100").await["reference"], "CCG-2028-0001");
    // The desk takes a reference where it takes an id, in any letter case.
    let decided = app.forms.approve_claim("ccg-2027-0002", "Eva").await.unwrap();
    assert_eq!((decided.claim.id.as_str(), decided.claim.reference.as_deref()), (second_id.as_str(), Some("CCG-2027-0002")));
    assert_eq!(app.forms.claim("CCG-2027-0001").await.unwrap().unwrap().0.id, first_id);
    assert_eq!(app.forms.store.claim_by_reference("CCG-2027-0003").await.unwrap().map(|c| c.event_id), Some("e3".into()));
    assert!(matches!(app.forms.approve_claim("CCG-2027-0099", "Eva").await, Err(ClaimDeskError::NoClaim(_))));
    assert_eq!(app.forms.claim("CCG-2026-0001").await.unwrap(), None);
}

/// Confirmations at the same instant never share a reference.
pub(super) async fn concurrent_confirmations_never_share_a_reference<S: Store>(store: S) {
    let app = Arc::new(app(store, catalogue_with(10, Some(EURO_RULES), false)));
    let results = race(app.clone(), 8, "100").await;
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    let mut refs: Vec<String> = app.forms.store.list_claims().await.unwrap().into_iter().map(|c| c.reference.unwrap()).collect();
    refs.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("CCG-2027-{n:04}")).collect();
    assert_eq!(refs, expected, "each once, none skipped when none failed");
}
