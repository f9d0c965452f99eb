//! The claim's way from the form to the money, as a person sees it: the
//! "Check your answers" step with its declaration before anything is kept, the
//! page a claim's link opens (nothing to press once its meeting takes no
//! claims), and what the secretariat needs to pay, said only where published.

use crate::common::*;
use bytes::Bytes;
use ccg_functions::http::handle;
use ccg_functions::routes::Form;
use ccg_functions::store::sqlite::SqliteStore;
use ccg_functions::store::{ClaimStore, PendingStore};

const CLAIMS: &str = "/api/travel-claims";
const ANA: &str = "ana@valladolid.es";
const HEADING: &str = "Check your answers before sending your claim";

async fn ready(name: &str) -> ccg_functions::http::App<SqliteStore> {
    let app = app(sqlite_store(name), catalogue());
    representative(&app, ANA, "Valladolid", "ES").await;
    app
}

/// A claim as the form sends it, without the declaration (the form has none).
fn undeclared() -> serde_json::Value {
    let mut c = claim("e1", "312,40");
    c.as_object_mut().unwrap().remove("declaration");
    c
}

/// The hidden fields of the check page, as its form posts them, with `extra` pairs.
fn carried(html: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = html
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest.split_once("value=\"").unwrap().1.split_once('"').unwrap().0;
            (name.to_string(), value.replace("&#x2F;", "/").replace("&amp;", "&"))
        })
        .collect();
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    pairs
}

fn post(pairs: &[(String, String)]) -> http::Request<Bytes> {
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form_post(CLAIMS, &refs)
}

async fn nothing_kept(app: &ccg_functions::http::App<SqliteStore>) {
    let now = jiff::Timestamp::now().as_second();
    assert!(app.forms.store.latest_pending(Form::TravelClaims.pending_kind(), ANA, now).await.unwrap().is_none(), "nothing is kept before the declaration");
    assert!(mails_to(app, ANA).iter().all(|m| !m.subject.contains("claim")), "and nothing is emailed");
}

#[tokio::test]
async fn a_claim_is_checked_then_sent_with_its_declaration() {
    let app = ready("check-flow").await;
    let r = handle(&app, form_from_json(CLAIMS, &undeclared())).await;
    let html = body_text(&r);
    assert_eq!(r.status(), 200, "{html}");
    assert!(html.contains(&format!("<title>{HEADING} | City Coordinators Group</title>")) && html.contains(&format!("<h1>{HEADING}</h1>")), "{html}");
    for (label, value) in [
        ("Email address", ANA),
        ("Meeting", "Test e1, 16 March 2027, Porto, Portugal"),
        ("Day you leave", "15 March 2027"),
        ("Day you come back", "17 March 2027"),
        ("Transport", "312.40 EUR"),
        ("Accommodation", "0 EUR"),
    ] {
        assert!(html.contains(&format!("<dt>{label}</dt>\n<dd>{value}</dd>")), "{label}: {html}");
    }
    for field in ["email", "event", "travel_start", "travel_end", "transport_eur", "accommodation_eur", "consent"] {
        assert!(html.contains(&format!("name=\"change\" value=\"{field}\"")), "a Change button for {field}");
    }
    // The wording is the setting's (content/data/travel-support.yaml).
    let declaration = app.forms.catalogue().rules.claim_form.declaration.clone();
    assert_eq!(declaration, "I declare that the costs are real and not paid by anyone else");
    assert!(html.contains(&format!("<label for=\"declaration\">{declaration}</label>")), "{html}");
    assert!(html.contains("<button type=\"submit\">Send my claim</button>"));
    nothing_kept(&app).await;

    // Sent from the check page without the tick: that page again, naming the declaration.
    let again = handle(&app, post(&carried(&html, &[]))).await;
    let again_html = body_text(&again);
    assert_eq!(again.status(), 422, "{again_html}");
    assert!(again_html.contains(&format!("<title>Error: {HEADING} | ")), "{again_html}");
    assert!(again_html.contains("<li><a href=\"#declaration\">Tick the declaration to send your claim"), "{again_html}");
    assert!(again_html.contains("aria-invalid=\"true\" aria-describedby=\"declaration-error\""));
    nothing_kept(&app).await;

    // "Change": the form again, filled in, on that field, without an error.
    let change = handle(&app, post(&carried(&html, &[("change", "travel_start")]))).await;
    let form = body_text(&change);
    assert_eq!(change.status(), 200, "{form}");
    assert!(form.contains("<title>Travel claim form | ") && !form.contains("error-summary"), "{form}");
    assert!(form.contains("id=\"travel_start\" name=\"travel_start\" type=\"date\" required value=\"2027-03-15\""), "{form}");
    assert_eq!(form.matches(" autofocus").count(), 1, "one field takes the focus");
    assert!(form.split("id=\"travel_start\"").nth(1).unwrap().split('>').next().unwrap().contains("autofocus"), "{form}");
    assert!(
        form.contains("value=\"312,40\"") && form.contains("value=\"e1\" required data-travel-from=\"2027-03-13\" data-travel-until=\"2027-03-20\" checked")
    );
    assert!(form.contains("id=\"consent\" name=\"consent\" type=\"checkbox\" value=\"yes\" checked"), "{form}");
    nothing_kept(&app).await;

    // Ticked: the claim is kept and emailed, and the person is led to "check your inbox".
    let sent = handle(&app, post(&carried(&html, &[("declaration", "yes")]))).await;
    assert_eq!(sent.status(), 303, "{}", body_text(&sent));
    assert!(sent.headers()["location"].to_str().unwrap().ends_with("/financial-support/thanks/"), "{:?}", sent.headers());
    let now = jiff::Timestamp::now().as_second();
    let kept = app.forms.store.latest_pending(Form::TravelClaims.pending_kind(), ANA, now).await.unwrap();
    assert!(kept.is_some(), "kept once declared");
    assert!(last_token(&app, ANA).is_some(), "and emailed");
}

#[tokio::test]
async fn mistakes_go_back_to_the_form_and_json_must_declare() {
    let app = ready("check-mistakes").await;
    let mut bad = undeclared();
    bad["travel_end"] = "soon".into();
    let r = handle(&app, form_from_json(CLAIMS, &bad)).await;
    let html = body_text(&r);
    assert_eq!(r.status(), 422, "{html}");
    assert!(html.contains("<title>Error: Travel claim form | ") && html.contains("<li><a href=\"#travel_end\">"), "{html}");
    assert!(!html.contains("#declaration") && !html.contains(HEADING), "the form has no declaration to name: {html}");

    // JSON clients have no check page: the declaration is a required field.
    let r = handle(&app, json_post(CLAIMS, undeclared())).await;
    assert_eq!(r.status(), 422);
    let e = body_json(&r)["errors"].clone();
    assert_eq!(e.as_object().unwrap().keys().collect::<Vec<_>>(), ["declaration"], "{e}");
    assert!(e["declaration"].as_str().unwrap().contains("declaration"));
    let mut no = claim("e1", "100");
    no["declaration"] = "no".into();
    assert_eq!(handle(&app, json_post(CLAIMS, no)).await.status(), 422);
    nothing_kept(&app).await;
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "100"))).await.status(), 202);
}

fn get_confirm(token: &str) -> http::Request<Bytes> {
    http::Request::builder().method("GET").uri(format!("/api/travel-claims/confirm?token={token}")).body(Bytes::new()).unwrap()
}

/// The page a claim's link opens judges the meeting as the confirmation does
/// (OpenMeetings): once it takes no claims, the page says so in the words of
/// the `meeting_closed` refusal and has nothing to press.
#[tokio::test]
async fn the_link_of_a_meeting_that_takes_no_claims_offers_nothing_to_press() {
    let app = ready("check-closed").await;
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "450"))).await.status(), 202);
    let token = last_token(&app, ANA).unwrap();
    let open = body_text(&handle(&app, get_confirm(&token)).await);
    assert!(open.contains("<button type=\"submit\">Confirm and send my claim</button>"), "{open}");
    assert!(open.contains("<h1>Confirm your travel claim</h1>"));
    let refusal = ccg_functions::http::refusal_message(ccg_model::Refusal::MeetingClosed, &app.forms.catalogue().rules, None);
    assert!(!open.contains(&refusal));

    app.forms.set_catalogue(catalogue_edited(30, None, false, |id, md| {
        Some(if id == "e1" { md.replace("announced:", "status: cancelled\nannounced:") } else { md })
    }));
    let r = handle(&app, get_confirm(&token)).await;
    let closed = body_text(&r);
    assert_eq!(r.status(), 200, "{closed}");
    assert!(closed.contains("<h1>This meeting no longer takes claims</h1>"), "{closed}");
    assert!(closed.contains(&refusal.replace('\'', "&#x27;")), "the words of the 409: {closed}");
    let main = closed.split("<main").nth(1).unwrap().split("</main>").next().unwrap();
    assert!(!main.contains("<button") && !main.contains("<form"), "nothing to press: {main}");
    // And pressing anyway (an old tab) is the refusal itself.
    let pressed = handle(&app, confirm_post(Form::TravelClaims, &token, true)).await;
    assert_eq!((pressed.status().as_u16(), body_json(&pressed)["message"].as_str().map(str::to_string)), (409, Some(refusal)));
}

const PAYMENT: &str = "\npayment:\n  documents: [Tickets or boarding passes, Hotel invoice]\n  payee: The person who travelled\n  \
    details: Bank details are asked for by email once the claim is approved.\n  time: Within 30 days of approval\n";

const SAID: [&str; 5] =
    ["Tickets or boarding passes", "Hotel invoice", "The person who travelled", "Bank details are asked for by email", "Within 30 days of approval"];

/// What the secretariat needs to pay: on the confirm page, the receipt page and
/// the receipt and approval emails once set; nowhere while not (the shipped file).
#[tokio::test]
async fn what_the_secretariat_needs_to_pay_is_said_only_once_published() {
    let shipped = std::fs::read_to_string(workspace().join("content/data/travel-support.yaml")).unwrap();
    for published in [true, false] {
        let rules = if published { format!("{shipped}{PAYMENT}") } else { shipped.clone() };
        let app = app(sqlite_store("check-payment"), catalogue_with(30, Some(&rules), false));
        representative(&app, ANA, "Valladolid", "ES").await;
        assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "450"))).await.status(), 202);
        let token = last_token(&app, ANA).unwrap();
        let page = body_text(&handle(&app, get_confirm(&token)).await);
        let receipt = body_text(&handle(&app, confirm_post(Form::TravelClaims, &token, false)).await);
        let id = app.forms.store.list_claims().await.unwrap()[0].id.clone();
        app.forms.approve_claim(&id, "test desk").await.unwrap();
        let mails = mails_to(&app, ANA);
        let mail = |start: &str| mails.iter().find(|m| m.subject.starts_with(start)).unwrap_or_else(|| panic!("no email {start}")).text.clone();
        let (receipt_mail, approved_mail) = (mail("Your travel claim CCG-"), mail("Your travel claim is approved"));
        for (what, text) in [("confirm page", &page), ("receipt page", &receipt), ("receipt email", &receipt_mail), ("approval email", &approved_mail)] {
            for s in SAID {
                assert_eq!(text.contains(s), published, "{what}, {s}: {text}");
            }
            assert_eq!(text.contains("needs to pay you"), published, "{what}: {text}");
        }
        if published {
            assert!(receipt_mail.contains("What the Scalable Cities Secretariat needs to pay you:\n- Documents to keep and send: Tickets or boarding passes; Hotel invoice\n- Who is paid: The person who travelled\n"), "{receipt_mail}");
            assert!(
                receipt_mail.contains("- How long payment takes: Within 30 days of approval\n\nCity Coordinators Group"),
                "a paragraph of its own: {receipt_mail}"
            );
        } else {
            assert!(receipt.contains("You can add supporting documents, such as tickets and invoices"), "the form takes them: {receipt}");
            assert!(receipt_mail.contains("withdraw the claim with the same link.\n\nCity Coordinators Group"), "nothing left behind: {receipt_mail}");
        }
    }
}
