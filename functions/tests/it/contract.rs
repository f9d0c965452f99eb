//! The store contract, run identically on both stores through the real
//! handler: the embedded SQLite store, and DynamoDB through AWS's DynamoDB
//! Local (started here on a free port, stopped at the end). Nothing is taken
//! on anyone's word: registrations and claims wait for their emailed link;
//! claims count only from approved representatives, at confirmation time.

use crate::common;
mod truth;
use truth::*;

use crate::common::*;
use ccg_functions::Options;
use ccg_functions::records::{ClaimStatus, ContactStatus, Pending, PendingItem};
use ccg_functions::service::desk::ClaimDeskError;
use ccg_functions::store::roles::*;
use ccg_functions::{App, Form, Store, handle};
use ccg_model::Cents;
use ccg_model::rules::YearUsage;
use std::future::Future;
use std::sync::Arc;

mod account;
mod directory;
mod documents;
mod suppression;
use account::*;
use directory::the_directory_lists_only_the_opted_in_members;
use documents::documents_go_with_their_claim;
use suppression::suppressed_addresses_get_no_email;

const REG: &str = "/api/register";
const CLAIMS: &str = "/api/travel-claims";

/// One test per case and store, `sqlite::<case>` and `dynamo::<case>`, so
/// they run in parallel and can be filtered (`cargo test -p ccg-functions --test it contract::
/// dynamo::`). Every case gets a fresh, empty store. A case given `(EMBEDDED)`
/// also learns whether the store deletes expired records when swept (SQLite)
/// rather than by itself later (DynamoDB's TTL, which DynamoDB Local does not run).
macro_rules! contract_cases {
    ($($case:ident $(($arg:ident))?),* $(,)?) => {
        mod sqlite {
            use super::*;
            const EMBEDDED: bool = true;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    // Boxed: a case's future can be too large for the test thread's stack.
                    Box::pin(super::$case(sqlite_store(stringify!($case)) $(, $arg)?)).await;
                }
            )*
        }
        mod dynamo {
            use super::*;
            const EMBEDDED: bool = false;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = DynamoLocal::shared().await.store(concat!("ccg-", stringify!($case))).await;
                    Box::pin(super::$case(store $(, $arg)?)).await;
                }
            )*
        }
    };
}

contract_cases!(
    joining_waits_for_the_link,
    a_known_address_changes_only_through_its_own_link,
    links_expire_and_can_be_sent_again,
    only_representatives_claim_and_only_confirmed_claims_count,
    yearly_limits_at_confirmation,
    the_contribution_is_what_the_year_has_left,
    one_contribution_per_person_and_meeting,
    confirmation_judges_the_meeting_as_it_stands,
    racing_confirmations_respect_the_trips,
    racing_confirmations_respect_the_euros,
    the_desk_decides_and_everything_is_recorded,
    the_life_of_a_claim,
    concurrent_decisions_on_one_claim,
    a_rejection_racing_confirmations,
    erasing_a_person,
    leaving_from_a_link,
    records_end_when_their_retention_does(EMBEDDED),
    documents_go_with_their_claim(EMBEDDED),
    idempotent_retry_sends_once,
    idempotency_marks,
    emails_per_address_are_capped,
    mail_quota_windows,
    one_contribution_survives_leaving,
    claims_get_references_in_order,
    concurrent_confirmations_never_share_a_reference,
    staff_are_added_once_and_removed_with_their_sessions,
    a_sign_in_link_works_once,
    sessions_expire_rotate_and_end,
    passkeys_belong_to_their_person,
    a_ceremony_answers_once,
    erasure_and_leaving_take_sessions_and_passkeys,
    expired_sign_in_records_are_swept(EMBEDDED),
    many_sessions_all_end,
    the_directory_lists_only_the_opted_in_members,
    suppressed_addresses_get_no_email,
);

/// The store side of Idempotency-Key: a mark, an answer, a mark let go after a failure.
async fn idempotency_marks<S: Store>(store: S) {
    use ccg_functions::store::{Kept, StoredAnswer};
    assert_eq!(store.idempotent_start("register", "k", "h1").await.unwrap(), None);
    assert_eq!(store.idempotent_start("register", "k", "h1").await.unwrap(), Some(Kept::Pending { request_hash: "h1".into() }));
    assert_eq!(store.idempotent_start("travel-claims", "k", "h1").await.unwrap(), None, "keys are per endpoint");
    // A 503 lets go of the key, so the retry runs.
    store.idempotent_abandon("register", "k").await.unwrap();
    assert_eq!(store.idempotent_get("register", "k").await.unwrap(), None);
    assert_eq!(store.idempotent_start("register", "k", "h2").await.unwrap(), None);
    let answer = StoredAnswer { request_hash: "h2".into(), status: 303, content_type: String::new(), location: Some("/join/thanks/".into()), body: vec![] };
    store.idempotent_finish("register", "k", answer.clone()).await.unwrap();
    assert_eq!(store.idempotent_start("register", "k", "h2").await.unwrap(), Some(Kept::Done(answer.clone())));
    // Abandon never drops a finished answer.
    store.idempotent_abandon("register", "k").await.unwrap();
    assert_eq!(store.idempotent_get("register", "k").await.unwrap(), Some(Kept::Done(answer)));
}

async fn joining_waits_for_the_link<S: Store>(store: S) {
    let app = app(store, catalogue());
    let sent = handle(&app, json_post(REG, registration("Ana.Lopez@Valladolid.es"))).await;
    assert_eq!(sent.status(), 202, "{}", body_text(&sent));
    assert_eq!(body_json(&sent)["status"], "confirmation_sent");
    assert!(app.forms.store.list_contacts().await.unwrap().is_empty(), "nothing is a contact before the link is opened");
    let mails = mails_to(&app, "ana.lopez@valladolid.es");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("Confirm your registration"), "{}", mails[0].subject);
    assert!(mails[0].html.contains("<a href=\"https://ccg.example.eu/api/register/confirm?token="), "{}", mails[0].html);
    let token = last_token(&app, "ana.lopez@valladolid.es").unwrap();

    // Opening the link (what a mail scanner does too) shows a button and confirms nothing.
    let page = handle(&app, http::Request::get(format!("/api/register/confirm?token={token}")).body(bytes::Bytes::new()).unwrap()).await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(html.contains("<button type=\"submit\">Confirm</button>") && html.contains("Ana López"), "{html}");
    assert!(app.forms.store.list_contacts().await.unwrap().is_empty());

    // A wrong secret, or a claim link used on the join form, confirms nothing either.
    let (id, _) = token.split_once('.').unwrap();
    let wrong = format!("{id}.{}", "A".repeat(43));
    assert_eq!(handle(&app, confirm_post(Form::Register, &wrong, true)).await.status(), 410);
    assert_eq!(handle(&app, confirm_post(Form::TravelClaims, &token, true)).await.status(), 410);
    assert_eq!(handle(&app, confirm_post(Form::Register, "nonsense", false)).await.status(), 410);

    let done = handle(&app, confirm_post(Form::Register, &token, false)).await;
    assert_eq!(done.status(), 200, "{}", body_text(&done));
    assert!(body_text(&done).contains("Registration confirmed"));
    let contacts = app.forms.store.list_contacts().await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].details.email_key, "ana.lopez@valladolid.es");
    assert_eq!(contacts[0].status, ContactStatus::Confirmed);
    assert_eq!(contacts[0].city_key, None, "not a representative until the secretariat says so");
    // A link works once.
    let again = handle(&app, confirm_post(Form::Register, &token, true)).await;
    assert_eq!(again.status(), 410);
    let page = handle(&app, http::Request::get(format!("/api/register/confirm?token={token}")).body(bytes::Bytes::new()).unwrap()).await;
    assert_eq!(page.status(), 410);
}

async fn a_known_address_changes_only_through_its_own_link<S: Store>(store: S) {
    let app = app(store, catalogue());
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let before = app.forms.store.get_contact("ana@valladolid.es").await.unwrap().unwrap();

    // Someone else sends the form with Ana's address, in other letter case.
    let mut other = registration("ANA@valladolid.ES");
    other["name"] = "Mallory".into();
    other["organisation"] = "Elsewhere Ltd".into();
    let known = handle(&app, json_post(REG, other.clone())).await;
    let fresh = handle(&app, json_post(REG, registration("new@valladolid.es"))).await;
    assert_eq!((known.status(), known.body()), (fresh.status(), fresh.body()), "the answer does not tell a known address from a new one");
    let form_known = handle(&app, form_from_json(REG, &other)).await;
    let form_fresh = handle(&app, form_from_json(REG, &registration("new2@valladolid.es"))).await;
    assert_eq!((form_known.status(), form_known.headers()["location"].clone()), (form_fresh.status(), form_fresh.headers()["location"].clone()));
    let mut bot = registration("bot@example.eu");
    bot["website"] = "http://spam.example".into();
    let bot = handle(&app, json_post(REG, bot)).await;
    assert_eq!((bot.status(), bot.body()), (fresh.status(), fresh.body()), "a bot cannot tell it was spotted");
    assert!(mails_to(&app, "bot@example.eu").is_empty());

    assert_eq!(app.forms.store.get_contact("ana@valladolid.es").await.unwrap().unwrap(), before, "a bare form changes nothing");
    let mail = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    assert!(mail.subject.contains("Confirm the change"), "{}", mail.subject);
    assert!(mail.text.contains("Mallory"));

    // Ana moves to Cologne and confirms: her details change, and her approval for Valladolid ends.
    let mut moved = registration("ana@valladolid.es");
    moved["city"] = "Köln".into();
    moved["country"] = "DE".into();
    assert_eq!(handle(&app, json_post(REG, moved)).await.status(), 202);
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(Form::Register, &token, true)).await.status(), 200);
    let after = app.forms.store.get_contact("ana@valladolid.es").await.unwrap().unwrap();
    assert_eq!(after.details.city, "Köln");
    assert_eq!((after.status, after.city_key.as_deref()), (ContactStatus::Confirmed, None));
    assert_eq!(after.created_at, before.created_at);
    assert!(after.version > before.version);
}

async fn links_expire_and_can_be_sent_again<S: Store>(store: S) {
    let app = app(store, catalogue());
    assert_eq!(handle(&app, json_post(REG, registration("ana@valladolid.es"))).await.status(), 202);
    let first = last_token(&app, "ana@valladolid.es").unwrap();
    // "Send me the link again": a second link; both work until one is used.
    let resend = handle(&app, form_post("/api/register/resend", &[("email", "ANA@valladolid.es")])).await;
    assert_eq!((resend.status(), resend.headers()["location"].to_str().unwrap()), (http::StatusCode::SEE_OTHER, "https://ccg.example.eu/join/thanks/"));
    let second = last_token(&app, "ana@valladolid.es").unwrap();
    assert_ne!(first, second);
    assert_eq!(mails_to(&app, "ana@valladolid.es").len(), 2);
    // The same answer for an address with nothing waiting, and no email.
    let nobody = handle(&app, form_post("/api/register/resend", &[("email", "nobody@example.eu")])).await;
    assert_eq!((nobody.status(), nobody.headers()["location"].clone()), (resend.status(), resend.headers()["location"].clone()));
    assert!(mails_to(&app, "nobody@example.eu").is_empty());
    // At most MAX_LINKS links for one submission.
    for _ in 0..10 {
        handle(&app, json_post("/api/register/resend", serde_json::json!({"email": "ana@valladolid.es"}))).await;
    }
    assert_eq!(mails_to(&app, "ana@valladolid.es").len(), ccg_functions::records::MAX_LINKS);
    assert_eq!(handle(&app, confirm_post(Form::Register, &second, true)).await.status(), 200);
    assert_eq!(handle(&app, confirm_post(Form::Register, &first, true)).await.status(), 410, "one confirmation per submission");

    // An expired submission is gone for everyone, even before the store deletes it.
    let now = jiff::Timestamp::now().as_second();
    let secret = ccg_functions::token::new_secret();
    let id = ccg_functions::token::new_id("pnd");
    let details = ccg_functions::claims::registration(ccg_functions::validate::RegistrationInput {
        name: "Old".into(),
        email: "old@example.eu".into(),
        city: "Valladolid".into(),
        country: "ES".into(),
        organisation: "O".into(),
        position: "P".into(),
        city_status: ccg_functions::validate::CityStatus::Other,
        project: None,
        listed: false,
    });
    let old = Pending {
        id: id.clone(),
        item: PendingItem::Registration(details),
        token_hashes: vec![ccg_functions::token::hash_secret(&secret)],
        created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        expires_at: now - 1,
        used: false,
    };
    app.forms.store.put_pending(old).await.unwrap();
    assert_eq!(app.forms.store.get_pending(&id, now).await.unwrap(), None);
    assert_eq!(app.forms.store.latest_pending("registration", "old@example.eu", now).await.unwrap(), None);
    assert!(app.forms.store.list_pending(now).await.unwrap().iter().all(|p| p.id != id));
    let token = ccg_functions::token::token(&id, &secret);
    assert_eq!(handle(&app, confirm_post(Form::Register, &token, true)).await.status(), 410);
    assert!(app.forms.store.get_contact("old@example.eu").await.unwrap().is_none());
}

async fn only_representatives_claim_and_only_confirmed_claims_count<S: Store>(store: S) {
    let app = app(store, catalogue());
    // An outsider's claims for Valladolid: the same answer, an email saying to join first, nothing kept or counted.
    let mut outsider = claim("e1", "1");
    outsider["email"] = "outsider@example.eu".into();
    let answer = handle(&app, json_post(CLAIMS, outsider.clone())).await;
    assert_eq!(answer.status(), 202, "{}", body_text(&answer));
    let mail = mails_to(&app, "outsider@example.eu").pop().unwrap();
    assert!(mail.subject.contains("join the group first") && mail.text.contains("https://ccg.example.eu/join/"), "{}", mail.text);
    assert!(token_in(&mail.text).is_none(), "no link to confirm anything");
    let now = jiff::Timestamp::now().as_second();
    assert!(app.forms.store.list_pending(now).await.unwrap().is_empty());

    // A confirmed contact that the desk has not approved is an outsider too.
    assert_eq!(handle(&app, json_post(REG, registration("ana@valladolid.es"))).await.status(), 202);
    let t = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(Form::Register, &t, true)).await.status(), 200);
    let unapproved = handle(&app, json_post(CLAIMS, claim("e1", "450"))).await;
    assert_eq!((unapproved.status(), unapproved.body()), (answer.status(), answer.body()), "membership is not revealed");
    assert!(last_token(&app, "ana@valladolid.es") == Some(t.clone()), "no new link");

    // Approved for Valladolid: a link, and the claim counts only once confirmed.
    app.forms.approve("ana@valladolid.es", "Valladolid", Some("ES"), "test desk").await.unwrap();
    let sent = handle(&app, json_post(CLAIMS, claim("e1", "450"))).await;
    assert_eq!((sent.status(), sent.body()), (answer.status(), answer.body()));
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage::default(), "not counted before confirmation");
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    assert_ne!(token, t);
    // The city is the one she represents, whatever a client sends.
    let mut koln = claim("e2", "100");
    koln["city"] = "Köln".into();
    koln["country"] = "DE".into();
    assert_eq!(handle(&app, json_post(CLAIMS, koln)).await.status(), 202);
    let koln_link = last_token(&app, "ana@valladolid.es").unwrap();
    let page = body_text(&handle(&app, http::Request::get(format!("/api/travel-claims/confirm?token={koln_link}")).body(bytes::Bytes::new()).unwrap()).await);
    assert!(page.contains("Valladolid (ES)") && !page.contains("Cologne"), "{page}");
    let page = handle(&app, http::Request::get(format!("/api/travel-claims/confirm?token={token}")).body(bytes::Bytes::new()).unwrap()).await;
    assert!(body_text(&page).contains("450 EUR"), "{}", body_text(&page));
    let done = handle(&app, confirm_post(Form::TravelClaims, &token, false)).await;
    assert_eq!(done.status(), 200, "{}", body_text(&done));
    let receipt = body_text(&done);
    assert!(receipt.contains("Claim confirmed") && receipt.contains("<dd>CCG-2027-0001</dd>") && receipt.contains("1 trip, 450 EUR"), "{receipt}");
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 1, amount: Cents(45000) });
    let claims = app.forms.store.list_claims().await.unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!((claims[0].email_key.as_str(), claims[0].city.as_str()), ("ana@valladolid.es", "Valladolid"));
    assert!(claims[0].confirmed_at.is_some());

    // Declined afterwards: a claim still waiting for its link no longer counts.
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e3", "100"))).await.status(), 202);
    let waiting = last_token(&app, "ana@valladolid.es").unwrap();
    app.forms.decline("ana@valladolid.es", "test desk", Some("left the city council")).await.unwrap();
    let r = handle(&app, confirm_post(Form::TravelClaims, &waiting, true)).await;
    assert_eq!((r.status().as_u16(), body_json(&r)["reason"].as_str()), (409, Some("not_representative")));
    assert_eq!(app.forms.store.list_claims().await.unwrap().len(), 1);
}

async fn yearly_limits_at_confirmation<S: Store>(store: S) {
    let app = app(store, catalogue());
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let (s, b) = claim_confirmed(&app, claim("e1", "450")).await;
    assert_eq!((s, &b["remaining"]), (200, &serde_json::json!({"trips": 1, "euros": "450.00"})), "{b}");
    let (s, b) = claim_confirmed(&app, claim("e2", "300.50")).await;
    assert_eq!((s, &b["remaining"]), (200, &serde_json::json!({"trips": 0, "euros": "149.50"})), "{b}");
    let (s, b) = claim_confirmed(&app, claim("e3", "10")).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("over_yearly_trips")), "{b}");
    assert!(b["message"].as_str().unwrap().contains("2027"), "{b}");
    // Another year is another budget.
    let (s, b) = claim_confirmed(&app, claim("y2028", "450")).await;
    assert_eq!((s, &b["remaining"]["trips"]), (200, &serde_json::json!(1)), "{b}");
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 2, amount: Cents(75050) });
    assert_eq!(app.forms.store.list_claims().await.unwrap().len(), 3);
}

async fn one_contribution_per_person_and_meeting<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    // Two claims for one meeting, both sent before either is confirmed.
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "450"))).await.status(), 202);
    let first = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "450"))).await.status(), 202);
    let second = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(Form::TravelClaims, &first, true)).await.status(), 200);
    let r = handle(&app, confirm_post(Form::TravelClaims, &second, true)).await;
    assert_eq!((r.status().as_u16(), body_json(&r)["reason"].as_str()), (409, Some("already_claimed")));
    // Approved for another city now: still one contribution per meeting for this person.
    app.forms.approve("ana@valladolid.es", "Köln", Some("DE"), "test desk").await.unwrap();
    let mut koln = claim("e1", "450");
    koln["email"] = "Ana@Valladolid.es".into();
    let (s, b) = claim_confirmed(&app, koln).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("already_claimed")), "{b}");
    // Another person of the same city may claim for the same meeting.
    representative(&app, "bob@valladolid.es", "Valladolid", "ES").await;
    let mut bob = claim("e1", "400");
    bob["email"] = "bob@valladolid.es".into();
    assert_eq!(claim_confirmed(&app, bob).await.0, 200);
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 2, amount: Cents(85000) });
    assert_eq!(app.forms.store.year_usage("DE:cologne", 2027).await.unwrap(), YearUsage::default());
}

/// A claim sent for a meeting that takes claims, whose meeting then no longer
/// does (cancelled, no longer announced, no longer published, its claim
/// window closed): its confirmation is refused (409, `meeting_closed`), nothing
/// is counted, and the link stays usable for when the meeting takes claims again.
async fn confirmation_judges_the_meeting_as_it_stands<S: Store>(store: S) {
    let app = app(store, catalogue());
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e1", "450"))).await.status(), 202);
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    let e1 = |change: fn(String) -> Option<String>| catalogue_edited(30, None, false, move |id, md| if id == "e1" { change(md) } else { Some(md) });
    let closed = [
        ("cancelled", e1(|md| Some(md.replace("announced:", "status: cancelled\nannounced:")))),
        ("no longer announced", e1(|md| Some(md.replace("announced: 2020-01-01\n", "")))),
        ("no longer published", e1(|_| None)),
        // Moved to October 2026: its claim window (60 days after) closed before the tests' day, 10 January 2027.
        ("claim window closed", e1(|md| Some(md.replace("2027-03-16", "2026-10-01").replace("2027-03-17", "2026-10-02")))),
    ];
    for (what, cat) in closed {
        app.forms.set_catalogue(cat);
        let r = handle(&app, confirm_post(Form::TravelClaims, &token, true)).await;
        let b = body_json(&r);
        assert_eq!((r.status().as_u16(), b["reason"].as_str()), (409, Some("meeting_closed")), "{what}: {b}");
        assert!(b["message"].as_str().unwrap().starts_with("This meeting no longer takes travel claims, so the claim was not counted"), "{what}: {b}");
        let page = handle(&app, confirm_post(Form::TravelClaims, &token, false)).await;
        assert_eq!(page.status(), 409, "{what}");
        assert!(body_text(&page).contains("This meeting no longer takes travel claims"), "{what}: {}", body_text(&page));
        assert_eq!(usage(&app).await, YearUsage::default(), "{what}: nothing counted");
        assert!(app.forms.store.list_claims().await.unwrap().is_empty(), "{what}: no claim kept");
    }
    // The meeting takes claims again: the same link counts the claim.
    app.forms.set_catalogue(catalogue());
    let done = handle(&app, confirm_post(Form::TravelClaims, &token, true)).await;
    assert_eq!(done.status(), 200, "{}", body_text(&done));
    assert_eq!(usage(&app).await, YearUsage { trips: 1, amount: Cents(45000) });
}

/// `n` approved representatives of Valladolid each send a claim of `euros` for
/// their own meeting; then all confirm at the same instant.
async fn race<S: Store>(app: Arc<App<S>>, n: usize, euros: &str) -> Vec<(u16, String)> {
    let mut tokens = Vec::new();
    for i in 1..=n {
        let email = format!("rep{i}@valladolid.es");
        representative(&app, &email, "Valladolid", "ES").await;
        let mut c = claim(&format!("e{i}"), euros);
        c["email"] = email.clone().into();
        assert_eq!(handle(&app, json_post(CLAIMS, c)).await.status(), 202);
        tokens.push(last_token(&app, &email).unwrap());
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let (app, barrier) = (app.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let r = handle(&app, confirm_post(Form::TravelClaims, &t, true)).await;
                let b = body_json(&r);
                (r.status().as_u16(), b["reason"].as_str().or(b["error"].as_str()).unwrap_or("").to_string())
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn check_race<S: Store>(app: Arc<App<S>>, results: Vec<(u16, String)>, counted: usize, refusal: &str, used: YearUsage) {
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), counted, "{results:?}");
    assert!(results.iter().all(|(s, r)| *s == 200 || (*s == 409 && r == refusal)), "{results:?}");
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap(), used);
    let claims = app.forms.store.list_claims().await.unwrap();
    assert_eq!(claims.len(), counted);
    assert_eq!(claims.iter().map(|c| c.amount.0).sum::<i64>(), used.amount.0, "the counter is the sum of the counted claims");
    eprintln!("race: {} confirmations, {counted} counted, {} refused ({refusal})", results.len(), results.len() - counted);
}

async fn racing_confirmations_respect_the_trips<S: Store>(store: S) {
    let app = Arc::new(app(store, catalogue()));
    let results = race(app.clone(), 20, "300").await;
    check_race(app, results, 2, "over_yearly_trips", YearUsage { trips: 2, amount: Cents(60000) }).await;
}

async fn racing_confirmations_respect_the_euros<S: Store>(store: S) {
    let app = Arc::new(app(store, catalogue_with(30, Some(EURO_RULES), false)));
    let results = race(app.clone(), 20, "200").await;
    // Four whole claims, and a fifth for the 100 EUR left: never over the 900 EUR of the year.
    check_race(app, results, 5, "over_yearly_amount", YearUsage { trips: 5, amount: Cents(90000) }).await;
}

async fn the_contribution_is_what_the_year_has_left<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    // Real costs over the per-trip limit: the claim asks for the limit.
    let (s, b) = claim_confirmed(&app, claim("e1", "600")).await;
    assert_eq!((s, &b["remaining"]), (200, &serde_json::json!({"trips": 9, "euros": "450.00"})), "{b}");
    assert_eq!(claim_confirmed(&app, claim("e2", "400")).await.0, 200);
    // 50 EUR left: a claim of 200 counts for 50, and the pages say so before and after.
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e3", "200"))).await.status(), 202);
    let t = last_token(&app, "ana@valladolid.es").unwrap();
    let page = body_text(&handle(&app, http::Request::get(format!("/api/travel-claims/confirm?token={t}")).body(bytes::Bytes::new()).unwrap()).await);
    assert!(page.contains("Your city has 50 EUR left for 2027, less than you ask for: if you confirm now, your contribution is 50 EUR."), "{page}");
    let done = handle(&app, confirm_post(Form::TravelClaims, &t, false)).await;
    let receipt = body_text(&done);
    assert_eq!(done.status(), 200, "{receipt}");
    assert!(receipt.contains("<dd>50 EUR (what your city had left for the year)</dd>") && receipt.contains("<dd>200 EUR</dd>"), "{receipt}");
    let claims = app.forms.store.list_claims().await.unwrap();
    let third = claims.iter().find(|c| c.event_id == "e3").unwrap();
    assert_eq!((third.amount, third.transport), (Cents(5000), Cents(20000)), "the costs are kept as told");
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap(), YearUsage { trips: 3, amount: Cents(90000) });
    // Nothing left: refused, and nothing counted.
    let (s, b) = claim_confirmed(&app, claim("e4", "10")).await;
    assert_eq!((s, b["reason"].as_str()), (409, Some("over_yearly_amount")), "{b}");
    assert_eq!(app.forms.store.list_claims().await.unwrap().len(), 3);
}

async fn the_desk_decides_and_everything_is_recorded<S: Store>(store: S) {
    let app = app(store, catalogue());
    let err = app.forms.approve("nobody@example.eu", "Valladolid", Some("ES"), "Eva").await.unwrap_err();
    assert!(err.to_string().contains("no confirmed contact"), "{err}");
    assert_eq!(handle(&app, json_post(REG, registration("ana@valladolid.es"))).await.status(), 202);
    // Pending registrations are not contacts: the desk cannot approve them yet.
    assert!(app.forms.approve("ana@valladolid.es", "Valladolid", Some("ES"), "Eva").await.is_err());
    let t = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(Form::Register, &t, true)).await.status(), 200);
    assert!(app.forms.approve("ana@valladolid.es", "Atlantis", None, "Eva").await.unwrap_err().to_string().contains("not a city"));
    assert!(app.forms.approve("ana@valladolid.es", "Valladolid", Some("ES"), "  ").await.is_err(), "an operator name is required");
    let d = app.forms.approve("ANA@valladolid.es", "valladolid", None, "Eva").await.unwrap();
    let c = d.contact;
    assert_eq!((c.status, c.city_key.as_deref(), d.emailed), (ContactStatus::Approved, Some("ES:valladolid"), Ok(())));
    // The person hears of each decision, with the way to leave.
    let told = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    assert_eq!(told.subject, "You are approved as the representative of Valladolid");
    assert!(
        told.text.contains("approved you as the representative of Valladolid") && told.text.contains("\nhttps://ccg.example.eu/financial-support/\n"),
        "{}",
        told.text
    );
    assert!(leave_token_in(&told.text).is_some(), "{}", told.text);
    let d = app.forms.decline("ana@valladolid.es", "Luc", Some("not a city official")).await.unwrap();
    let c = d.contact;
    assert_eq!((c.status, c.city_key, d.emailed), (ContactStatus::Declined, None, Ok(())));
    let told = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    assert_eq!(told.subject, "You are no longer a representative in the City Coordinators Group");
    assert!(
        told.text.contains("withdrew your approval as a representative of a city in the City Coordinators Group, for this reason: not a city official."),
        "{}",
        told.text
    );
    assert!(told.text.contains("We keep your contact details for 6 months after this decision, then delete them."), "{}", told.text);
    assert!(leave_token_in(&told.text).is_some(), "a declined contact can still leave: {}", told.text);

    let trail = app.forms.store.list_audit().await.unwrap();
    let lines: Vec<(String, String, String)> = trail.iter().map(|e| (e.actor.clone(), e.action.clone(), e.subject.clone())).collect();
    assert_eq!(
        lines,
        [
            ("applicant".to_string(), "contact.confirmed".to_string(), "ana@valladolid.es".to_string()),
            ("Eva".to_string(), "contact.approved".to_string(), "ana@valladolid.es".to_string()),
            ("Luc".to_string(), "contact.declined".to_string(), "ana@valladolid.es".to_string()),
        ]
    );
    assert!(trail[2].detail.contains("not a city official"));
    assert!(trail.windows(2).all(|w| w[0].at <= w[1].at));

    // Two desks deciding at once: both decisions land, one after the other, both recorded.
    let app = Arc::new(app);
    let (a, b) = tokio::join!(app.forms.approve("ana@valladolid.es", "Valladolid", Some("ES"), "Eva"), app.forms.decline("ana@valladolid.es", "Luc", None));
    assert!(a.is_ok() && b.is_ok());
    let last = app.forms.store.get_contact("ana@valladolid.es").await.unwrap().unwrap();
    assert_eq!(last.version, 5, "confirmed (1), approved, declined, then two more changes");
    assert_eq!(app.forms.store.list_audit().await.unwrap().len(), 5);
}

fn get(path: &str) -> http::Request<bytes::Bytes> {
    http::Request::get(path).body(bytes::Bytes::new()).unwrap()
}

async fn usage<S: Store>(app: &App<S>) -> YearUsage {
    app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap()
}

/// `handle`, boxed in a plain function: a case that sends many requests keeps
/// a pointer per call in its frame, not a whole handler future (debug builds
/// give each call site its own stack slot).
fn call<'a, S: Store>(app: &'a App<S>, req: http::Request<bytes::Bytes>) -> std::pin::Pin<Box<dyn Future<Output = http::Response<bytes::Bytes>> + Send + 'a>> {
    Box::pin(handle(app, req))
}

/// Sends and confirms a claim of Ana's; returns its id and the token of its link (boxed, as `call`).
fn counted<'a, S: Store>(app: &'a App<S>, event: &'a str, euros: &'a str) -> std::pin::Pin<Box<dyn Future<Output = (String, String)> + Send + 'a>> {
    Box::pin(counted_inner(app, event, euros))
}

async fn counted_inner<S: Store>(app: &App<S>, event: &str, euros: &str) -> (String, String) {
    assert_eq!(handle(app, json_post(CLAIMS, claim(event, euros))).await.status(), 202);
    let token = last_token(app, "ana@valladolid.es").unwrap();
    let r = handle(app, confirm_post(Form::TravelClaims, &token, true)).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    (body_json(&r)["id"].as_str().unwrap().to_string(), token)
}

async fn the_life_of_a_claim<S: Store>(store: S) {
    let app = app_with(store, catalogue_with(10, Some(EURO_RULES), false), Options { secretariat_email: Some("desk@ccg.example".into()), ..options() });
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let hello = mails_to(&app, "desk@ccg.example");
    assert!(
        hello.iter().any(|m| m.subject.contains("New confirmed registration") && m.text.contains("/desk/people/lv_") && !m.text.contains("desk --operator")),
        "{hello:?}"
    );

    let approved = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    assert_eq!(approved.subject, "You are approved as the representative of Valladolid", "the applicant hears of the approval");

    // Counted: the secretariat hears of it; the link now shows the claim and offers to withdraw it.
    let (id, token) = counted(&app, "e1", "450").await;
    let told = mails_to(&app, "desk@ccg.example").pop().unwrap();
    assert!(
        told.subject.contains("Travel claim to decide")
            && told.text.contains("/desk/claims/CCG-2027-0001/\n")
            && told.text.contains(&format!("Reference: CCG-2027-0001 ({id})\n")),
        "{}",
        told.text
    );
    // The claimant's receipt: the reference, the contribution counted, what the city has left, what happens next.
    let receipt = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    // Deliberately changed (issue 18): the reference a person reads out, not the internal id.
    assert_eq!(receipt.subject, "Your travel claim CCG-2027-0001 is confirmed");
    for line in ["Reference: CCG-2027-0001\n", "Contribution counted: 450 EUR\n", "Your city has left for 2027: 9 trips, 450 EUR.", "What happens next:\n1. "] {
        assert!(receipt.text.contains(line), "{line:?} in {}", receipt.text);
    }
    assert!(
        token_in(&receipt.text).is_none() && leave_token_in(&receipt.text).is_some(),
        "no second copy of the claim's link; the way to leave: {}",
        receipt.text
    );
    let page = body_text(&handle(&app, get(&format!("/api/travel-claims/confirm?token={token}"))).await);
    assert!(page.contains("has not decided on it yet") && page.contains("Withdraw this claim"), "{page}");
    // A warning-styled secondary button, with the consequence it names.
    assert!(page.contains("<button type=\"submit\" class=\"button-warning\" aria-describedby=\"withdraw-consequence\">Withdraw this claim</button>"), "{page}");

    // Approved: the applicant hears; it can no longer be withdrawn.
    assert_eq!(app.forms.approve_claim(&id, "Eva").await.unwrap().claim.status, ClaimStatus::Approved);
    assert!(mails_to(&app, "ana@valladolid.es").last().unwrap().subject.contains("approved"));
    let page = body_text(&handle(&app, get(&format!("/api/travel-claims/confirm?token={token}"))).await);
    assert!(page.contains("approved by the Scalable Cities Secretariat") && !page.contains("Withdraw this claim"), "{page}");
    let r = handle(&app, json_post("/api/travel-claims/withdraw", serde_json::json!({"token": token}))).await;
    assert_eq!((r.status().as_u16(), body_json(&r)["reason"].as_str()), (409, Some("not_withdrawable")));

    // Paid: never above the approved amount; below it only with its reason, the full amount without one; once only.
    let on = jiff::civil::Date::constant(2027, 4, 2);
    assert!(matches!(app.forms.record_payment(&id, "Eva", Cents(45001), on, None).await, Err(ClaimDeskError::OverApproved(..))));
    assert_eq!(app.forms.record_payment(&id, "Eva", Cents(41250), on, None).await.unwrap_err(), ClaimDeskError::ReasonNeeded(Cents(41250), Cents(45000)));
    assert_eq!(app.forms.record_payment(&id, "Eva", Cents(41250), on, Some("  ")).await.unwrap_err(), ClaimDeskError::ReasonNeeded(Cents(41250), Cents(45000)));
    assert_eq!(app.forms.record_payment(&id, "Eva", Cents(45000), on, Some("why")).await.unwrap_err(), ClaimDeskError::ReasonNotNeeded(Cents(45000)));
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ClaimStatus::Approved, "a refused payment records nothing");
    let paid = app.forms.record_payment(&id, "Eva", Cents(41250), on, Some(" The hotel invoice was 37.50 EUR lower. ")).await.unwrap().claim;
    assert_eq!((paid.status, paid.paid, paid.paid_on), (ClaimStatus::Paid, Some(Cents(41250)), Some(on)));
    assert_eq!(paid.reason.as_deref(), Some("The hotel invoice was 37.50 EUR lower."), "kept as the paid claim's reason");
    let stored = app.forms.store.get_claim(&id).await.unwrap().unwrap();
    assert_eq!(stored.reason, paid.reason, "written by the store");
    let mail = mails_to(&app, "ana@valladolid.es").pop().unwrap();
    assert!(mail.text.contains("412.50 EUR"));
    assert!(mail.text.contains("That is less than the 450 EUR asked for, for this reason: The hotel invoice was 37.50 EUR lower.\n"), "{}", mail.text);
    let page = body_text(&handle(&app, get(&format!("/api/travel-claims/confirm?token={token}"))).await);
    assert!(page.contains("Less than the contribution asked for, for this reason: The hotel invoice was 37.50 EUR lower."), "{page}");
    assert!(!page.contains("The secretariat&#39;s reason"), "not a rejection's reason: {page}");
    let trail = app.forms.store.list_audit().await.unwrap();
    assert!(
        trail.iter().any(|e| e.subject == id && e.action == "claim.paid" && e.detail.ends_with("reason: The hotel invoice was 37.50 EUR lower.")),
        "{trail:?}"
    );
    assert_eq!(app.forms.approve_claim(&id, "Luc").await.unwrap_err(), ClaimDeskError::Conflict(ClaimStatus::Paid));
    assert_eq!(
        app.forms.record_payment(&id, "Luc", Cents(100), on, None).await.unwrap_err(),
        ClaimDeskError::Conflict(ClaimStatus::Paid),
        "a paid claim is refused for its state, before its amount"
    );
    assert_eq!(usage(&app).await, YearUsage { trips: 1, amount: Cents(45000) }, "a paid claim still counts as asked");

    // Rejected: the reason reaches the applicant, the trip and euros come back, and the meeting may be claimed again.
    let (id2, _) = counted(&app, "e2", "300").await;
    assert_eq!(usage(&app).await, YearUsage { trips: 2, amount: Cents(75000) });
    assert_eq!(app.forms.reject_claim(&id2, "Eva", "  ").await.unwrap_err(), ClaimDeskError::NoReason);
    app.forms.reject_claim(&id2, "Eva", "No tickets were sent").await.unwrap();
    assert!(mails_to(&app, "ana@valladolid.es").last().unwrap().text.contains("No tickets were sent"));
    assert_eq!(usage(&app).await, YearUsage { trips: 1, amount: Cents(45000) });
    let (again, _) = counted(&app, "e2", "200").await;
    assert_ne!(again, id2);

    // Withdrawn by its claimant, from the link: given back too.
    let (id3, token3) = counted(&app, "e3", "100").await;
    let r = handle(&app, form_post("/api/travel-claims/withdraw", &[("token", &token3)])).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert!(body_text(&r).contains("Claim withdrawn"));
    assert_eq!(app.forms.store.get_claim(&id3).await.unwrap().unwrap().status, ClaimStatus::Withdrawn);
    assert_eq!(usage(&app).await, YearUsage { trips: 2, amount: Cents(65000) });
    // Someone else's token withdraws nothing.
    let r = handle(&app, form_post("/api/travel-claims/withdraw", &[("token", &format!("{}.{}", token3.split_once('.').unwrap().0, "A".repeat(43)))])).await;
    assert_eq!(r.status(), 410);

    // The history of each claim, with who and why.
    let trail: Vec<(String, String)> =
        app.forms.store.list_audit().await.unwrap().into_iter().filter(|e| e.subject == id2).map(|e| (e.actor, e.action)).collect();
    assert_eq!(trail, [("applicant".to_string(), "claim.confirmed".to_string()), ("Eva".to_string(), "claim.rejected".to_string())]);
    let all = app.forms.store.list_claims().await.unwrap();
    let counting: i64 = all.iter().filter(|c| c.status.counts() && c.year == 2027 && c.city_key == "ES:valladolid").map(|c| c.amount.0).sum();
    assert_eq!(counting, usage(&app).await.amount.0, "the counter is the sum of the claims that count");
}

async fn concurrent_decisions_on_one_claim<S: Store>(store: S) {
    let app = Arc::new(app(store, catalogue()));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    // Ten desks approve one claim at once, then ten reject another at once:
    // one of each wins, the others are told the claim changed, and the trip
    // goes back exactly once.
    for reject in [false, true] {
        let (id, _) = counted(&app, if reject { "e2" } else { "e1" }, "300").await;
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (app, id) = (app.clone(), id.clone());
                tokio::spawn(async move {
                    if reject {
                        app.forms.reject_claim(&id, "Luc", "duplicate").await.map(|_| ())
                    } else {
                        app.forms.approve_claim(&id, "Eva").await.map(|_| ())
                    }
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(ClaimDeskError::Conflict(s)) => assert_eq!(s, if reject { ClaimStatus::Rejected } else { ClaimStatus::Approved }),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(ok, 1, "exactly one decision wins");
        let decisions = app.forms.store.list_audit().await.unwrap().into_iter().filter(|e| e.subject == id && e.actor != "applicant").count();
        assert_eq!(decisions, 1, "one decision, one line of history");
    }
    assert_eq!(usage(&app).await, YearUsage { trips: 1, amount: Cents(30000) }, "the rejected claim's trip came back once");
}

async fn a_rejection_racing_confirmations<S: Store>(store: S) {
    let app = Arc::new(app(store, catalogue()));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let (first, _) = counted(&app, "e1", "300").await;
    counted(&app, "e2", "300").await;
    // The city's year is full; ten representatives wait to confirm while the secretariat rejects one claim.
    let mut tokens = Vec::new();
    for i in 1..=10 {
        let email = format!("rep{i}@valladolid.es");
        representative(&app, &email, "Valladolid", "ES").await;
        let mut c = claim(&format!("e{}", i + 2), "300");
        c["email"] = email.clone().into();
        assert_eq!(handle(&app, json_post(CLAIMS, c)).await.status(), 202);
        tokens.push(last_token(&app, &email).unwrap());
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(11));
    let mut tasks = Vec::new();
    for t in tokens {
        let (app, barrier) = (app.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            handle(&app, confirm_post(Form::TravelClaims, &t, true)).await.status().as_u16()
        }));
    }
    let (app2, barrier2, first2) = (app.clone(), barrier.clone(), first.clone());
    let reject = tokio::spawn(async move {
        barrier2.wait().await;
        app2.forms.reject_claim(&first2, "Eva", "a test").await.map(|_| ())
    });
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    reject.await.unwrap().unwrap();
    let counted_now = statuses.iter().filter(|s| **s == 200).count();
    assert!(counted_now <= 1, "only the freed trip can be taken: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let u = usage(&app).await;
    assert!(u.trips <= 2, "{u:?}");
    let all = app.forms.store.list_claims().await.unwrap();
    let counting: Vec<_> = all.iter().filter(|c| c.status.counts()).collect();
    assert_eq!(u.trips as usize, counting.len());
    assert_eq!(u.amount.0, counting.iter().map(|c| c.amount.0).sum::<i64>());
    eprintln!("rejection race: {counted_now} of 10 confirmations took the freed trip");
}

async fn erasing_a_person<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    representative(&app, "bob@valladolid.es", "Valladolid", "ES").await;
    let (paid, _) = counted(&app, "e1", "400").await;
    app.forms.approve_claim(&paid, "Eva").await.unwrap();
    app.forms.record_payment(&paid, "Eva", Cents(40000), jiff::civil::Date::constant(2027, 4, 2), None).await.unwrap();
    let (waiting, _) = counted(&app, "e2", "100").await;
    let (rejected, _) = counted(&app, "e3", "50").await;
    app.forms.reject_claim(&rejected, "Eva", "no receipts").await.unwrap();
    assert_eq!(handle(&app, json_post(CLAIMS, claim("e4", "10"))).await.status(), 202, "a claim still waiting for its link");
    let mut bob = claim("e1", "300");
    bob["email"] = "bob@valladolid.es".into();
    assert_eq!(claim_confirmed(&app, bob).await.0, 200);
    assert_eq!(usage(&app).await, YearUsage { trips: 3, amount: Cents(80000) });

    let e = app.forms.erase("ANA@valladolid.es", "Eva").await.unwrap();
    assert_eq!((e.contacts, e.pending, e.claims_deleted, e.claims_kept), (1, 5, 2, 1), "{e:?}");
    assert_eq!(e.history_lines, 2, "confirmed and approved: {e:?}");
    assert!(app.forms.store.get_contact("ana@valladolid.es").await.unwrap().is_none());
    let claims = app.forms.store.list_claims().await.unwrap();
    assert_eq!(claims.len(), 2, "the paid claim (blanked) and Bob's");
    let kept = claims.iter().find(|c| c.id == paid).unwrap();
    assert_eq!((kept.name.as_str(), kept.email.as_str(), kept.status, kept.paid), ("[erased]", "[erased]", ClaimStatus::Paid, Some(Cents(40000))));
    assert!(claims.iter().all(|c| c.id != waiting && c.id != rejected));
    assert_eq!(usage(&app).await, YearUsage { trips: 2, amount: Cents(70000) }, "the unpaid claim gave its trip back");
    let now = jiff::Timestamp::now().as_second();
    assert!(app.forms.store.list_pending(now).await.unwrap().iter().all(|p| p.item.email_key() != "ana@valladolid.es"));
    let audit = app.forms.store.list_audit().await.unwrap();
    assert!(audit.iter().all(|a| !a.subject.contains("ana@") && !a.detail.contains("ana@")), "{audit:?}");
    assert!(audit.last().unwrap().action == "person.erased" && audit.last().unwrap().detail.contains("1 approved or paid claim(s) kept"));
    assert!(app.forms.store.get_contact("bob@valladolid.es").await.unwrap().is_some(), "nobody else is touched");
    // Her leave links stop working with her.
    let link = mails_to(&app, "ana@valladolid.es").iter().rev().find_map(|m| leave_token_in(&m.text)).expect("a leave link");
    assert_eq!(handle(&app, get(&format!("/api/leave?token={link}"))).await.status(), 410);
}

/// A contact leaves from the link at the end of any email they got as a
/// contact: their data goes through the erasure's path, the undecided claim is
/// withdrawn (its trip back), approved and paid claims stay without name and
/// address, and every link of theirs then answers 410.
async fn leaving_from_a_link<S: Store>(store: S) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    // Not a contact yet: the email asking to confirm a registration has no leave link.
    assert_eq!(call(&app, json_post(REG, registration("zoe@valladolid.es"))).await.status(), 202);
    assert!(mails_to(&app, "zoe@valladolid.es").iter().all(|m| leave_token_in(&m.text).is_none()));
    // Nor the "join first" email to an address that is no contact.
    let mut stranger = claim("e1", "10");
    stranger["email"] = "max@valladolid.es".into();
    assert_eq!(call(&app, json_post(CLAIMS, stranger)).await.status(), 202);
    let join_first = mails_to(&app, "max@valladolid.es");
    assert!(join_first.len() == 1 && leave_token_in(&join_first[0].text).is_none() && !join_first[0].html.contains("/leave?token="));

    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    representative(&app, "bob@valladolid.es", "Valladolid", "ES").await;
    // The welcome, then the approval (`representative` approves her).
    let mut mails = mails_to(&app, "ana@valladolid.es");
    assert_eq!(mails.pop().unwrap().subject, "You are approved as the representative of Valladolid");
    let welcome = mails.pop().unwrap();
    assert!(welcome.subject.contains("You are registered"), "{}", welcome.subject);
    let first_link = leave_token_in(&welcome.text).expect("the new contact's email ends with a leave link");
    assert!(welcome.html.contains(&format!("/leave?token={first_link}")));
    let (paid, _) = counted(&app, "e1", "400").await;
    app.forms.approve_claim(&paid, "Eva").await.unwrap();
    app.forms.record_payment(&paid, "Eva", Cents(40000), jiff::civil::Date::constant(2027, 4, 2), None).await.unwrap();
    let (approved, _) = counted(&app, "e2", "100").await;
    app.forms.approve_claim(&approved, "Eva").await.unwrap();
    let (rejected, _) = counted(&app, "e3", "50").await;
    app.forms.reject_claim(&rejected, "Eva", "no receipts").await.unwrap();
    let (waiting, _) = counted(&app, "e4", "30").await;
    assert_eq!(usage(&app).await, YearUsage { trips: 3, amount: Cents(53000) });
    // Every email to her as a contact ends with its own link, and each works.
    let mails = mails_to(&app, "ana@valladolid.es");
    let links: Vec<String> = mails.iter().filter_map(|m| leave_token_in(&m.text)).collect();
    assert!(
        mails.iter().filter(|m| m.subject != "Confirm your registration with the City Coordinators Group").all(|m| leave_token_in(&m.text).is_some()),
        "{mails:#?}"
    );
    assert!(links.len() >= 13, "welcome, approved as representative, 4 claim links, 4 receipts, approved x2, paid, rejected: {}", links.len());
    let mut unique = links.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), links.len(), "a fresh secret in each email");

    // GET shows what leaving does and changes nothing (mail scanners open links).
    let page = call(&app, get(&format!("/api/leave?token={first_link}"))).await;
    assert_eq!(page.status(), 200);
    let html = body_text(&page);
    assert!(html.contains("<html lang=\"en\">") && html.contains("<h1>Leave the City Coordinators Group</h1>"), "{html}");
    // Deliberately changed: the button that cannot be undone is a warning-styled secondary one, with its consequence.
    assert!(
        html.contains("<button type=\"submit\" class=\"button-warning\" aria-describedby=\"leave-consequence\">Leave the group</button>")
            && html.contains("id=\"leave-consequence\"><strong>You cannot undo this:</strong>")
            && html.contains("for 5 years after the payment"),
        "{html}"
    );
    // Its own title, and no page of the menu (not "Home") marked as the current one.
    assert!(html.contains("<title>Leave the City Coordinators Group | City Coordinators Group</title>") && !html.contains("aria-current"), "{html}");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(app.forms.store.get_contact("ana@valladolid.es").await.unwrap().is_some());
    // A guessed secret, or a confirmation token, is 410 (never 404).
    let guessed = format!("{}.{}", first_link.split_once('.').unwrap().0, "A".repeat(43));
    assert_eq!(call(&app, get(&format!("/api/leave?token={guessed}"))).await.status(), 410);
    assert_eq!(call(&app, form_post("/api/leave", &[("token", &guessed)])).await.status(), 410);
    assert_eq!(call(&app, get("/api/leave")).await.status(), 410);
    assert!(app.forms.store.get_contact("ana@valladolid.es").await.unwrap().is_some());

    // POST leaves, from the newest email's link.
    let last_link = links.last().unwrap();
    let left = call(&app, form_post("/api/leave", &[("token", last_link)])).await;
    assert_eq!(left.status(), 200, "{}", body_text(&left));
    let html = body_text(&left);
    assert!(html.contains("<h1>You have left the group</h1>") && html.contains("1 claim(s) not decided yet were withdrawn"), "{html}");
    assert!(html.contains("2 approved or paid claim(s) are kept"), "{html}");
    assert!(app.forms.store.get_contact("ana@valladolid.es").await.unwrap().is_none());
    let claims = app.forms.store.list_claims().await.unwrap();
    assert!(claims.iter().all(|c| c.id != waiting && c.id != rejected), "undecided and rejected claims are deleted");
    for id in [&paid, &approved] {
        let c = claims.iter().find(|c| &c.id == id).unwrap();
        assert_eq!((c.name.as_str(), c.email.as_str()), ("[erased]", "[erased]"), "{c:?}");
    }
    assert_eq!(usage(&app).await, YearUsage { trips: 2, amount: Cents(50000) }, "the undecided claim gave its trip back");
    let entry = app.forms.store.list_audit().await.unwrap().into_iter().rfind(|a| a.action == "contact.left").expect("recorded");
    assert_eq!((entry.actor.as_str(), entry.subject.as_str()), ("applicant", "[erased]"));
    assert!(entry.detail.contains("2 claim(s) deleted (1 of them not decided yet, withdrawn)") && !entry.detail.contains("ana@"), "{}", entry.detail);
    // DynamoDB's leave may not Scan: the desk's sweep blanks the lines that named her.
    Box::pin(app.forms.store.sweep(jiff::Timestamp::now().as_second())).await.unwrap();
    let audit = app.forms.store.list_audit().await.unwrap();
    assert!(audit.iter().all(|a| !a.subject.contains("ana@") && !a.detail.contains("ana@")), "{audit:?}");

    // Every link of hers is gone now: 410 on GET and POST.
    for link in [&first_link, last_link] {
        assert_eq!(call(&app, get(&format!("/api/leave?token={link}"))).await.status(), 410);
        assert_eq!(call(&app, form_post("/api/leave", &[("token", link)])).await.status(), 410);
    }
    assert!(app.forms.store.get_contact("bob@valladolid.es").await.unwrap().is_some(), "nobody else is touched");
    // Joining again works, with new links.
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let fresh = leave_token_in(&mails_to(&app, "ana@valladolid.es").pop().unwrap().text).unwrap();
    assert_eq!(call(&app, get(&format!("/api/leave?token={fresh}"))).await.status(), 200);
    assert_eq!(call(&app, get(&format!("/api/leave?token={first_link}"))).await.status(), 410, "old links stay dead");
}

/// Each record gets its end with the change that ends it (paid: payment day +
/// N years; rejected, withdrawn: decision + M years; declined contact: + K
/// months); the embedded store's sweep deletes exactly what has ended.
async fn records_end_when_their_retention_does<S: Store>(store: S, embedded: bool) {
    // The flows' clock stands still, so each end is exactly the one its decision's time gives.
    let now = jiff::Timestamp::now();
    let app = app_with(store, catalogue_with(10, Some(EURO_RULES), false), Options { clock: ccg_functions::service::Clock::Fixed(now), ..options() });
    let retention = app.forms.options.retention;
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    representative(&app, "bob@valladolid.es", "Valladolid", "ES").await;
    let store = &app.forms.store;
    let on = jiff::civil::Date::constant(2027, 4, 2);
    let (paid, _) = counted(&app, "e1", "400").await;
    app.forms.approve_claim(&paid, "Eva").await.unwrap();
    assert_eq!(store.claim_expires_at(&paid).await.unwrap(), None, "an approved claim has no end yet");
    app.forms.record_payment(&paid, "Eva", Cents(40000), on, None).await.unwrap();
    assert_eq!(store.claim_expires_at(&paid).await.unwrap(), Some(retention.paid_claim_until(on)));

    let (rejected, _) = counted(&app, "e2", "100").await;
    app.forms.reject_claim(&rejected, "Eva", "no receipts").await.unwrap();
    let (withdrawn, token) = counted(&app, "e3", "50").await;
    assert_eq!(call(&app, form_post("/api/travel-claims/withdraw", &[("token", &token)])).await.status(), 200);
    let (waiting, _) = counted(&app, "e4", "30").await;
    app.forms.decline("bob@valladolid.es", "Eva", None).await.unwrap();
    let closed_end = store.claim_expires_at(&rejected).await.unwrap();
    assert_eq!(closed_end, Some(retention.closed_claim_until(now.as_second())));
    assert_eq!(store.claim_expires_at(&withdrawn).await.unwrap(), Some(retention.closed_claim_until(now.as_second())));
    assert_eq!(store.claim_expires_at(&waiting).await.unwrap(), None, "an undecided claim has no end");
    let bob = store.get_contact("bob@valladolid.es").await.unwrap().unwrap();
    assert_eq!(bob.expires_at, Some(retention.declined_contact_until(now.as_second())), "{bob:?}");
    assert_eq!(store.get_contact("ana@valladolid.es").await.unwrap().unwrap().expires_at, None, "a contact has no end until they leave");
    // Approved again: the planned deletion is off.
    app.forms.approve("bob@valladolid.es", "Valladolid", Some("ES"), "Eva").await.unwrap();
    assert_eq!(store.get_contact("bob@valladolid.es").await.unwrap().unwrap().expires_at, None);
    app.forms.decline("bob@valladolid.es", "Eva", None).await.unwrap();
    let bob_end = store.get_contact("bob@valladolid.es").await.unwrap().unwrap().expires_at.unwrap();

    if !embedded {
        // DynamoDB deletes by itself (TTL): the values above are what it goes by; nothing is swept here.
        return;
    }
    let claims_now = |v: Vec<ccg_functions::records::Claim>| {
        let mut ids: Vec<String> = v.into_iter().map(|c| c.id).collect();
        ids.sort();
        ids
    };
    let all = claims_now(store.list_claims().await.unwrap());
    // A second before the first end: nothing goes.
    let first_end = closed_end.unwrap().min(bob_end);
    let swept = store.sweep(first_end - 1).await.unwrap().unwrap();
    assert_eq!((swept.claims, swept.contacts), (0, 0), "{swept:?}");
    assert_eq!(claims_now(store.list_claims().await.unwrap()), all);
    // Once the rejected and withdrawn claims and the declined contact have ended: exactly those go, with their history.
    let later = store.claim_expires_at(&withdrawn).await.unwrap().unwrap().max(bob_end);
    let swept = store.sweep(later).await.unwrap().unwrap();
    assert_eq!((swept.claims, swept.contacts), (2, 1), "{swept:?}");
    let mut left = vec![paid.clone(), waiting.clone()];
    left.sort();
    assert_eq!(claims_now(store.list_claims().await.unwrap()), left);
    assert!(store.get_contact("bob@valladolid.es").await.unwrap().is_none());
    assert!(store.get_contact("ana@valladolid.es").await.unwrap().is_some());
    let audit = store.list_audit().await.unwrap();
    assert!(audit.iter().all(|a| a.subject != rejected && a.subject != withdrawn && a.subject != "bob@valladolid.es"), "{audit:?}");
    assert!(audit.iter().any(|a| a.subject == paid), "the paid claim keeps its history");
    // At the paid claim's end, it goes too; the undecided claim stays.
    let swept = store.sweep(retention.paid_claim_until(on)).await.unwrap().unwrap();
    assert_eq!(swept.claims, 1, "{swept:?}");
    assert_eq!(claims_now(store.list_claims().await.unwrap()), vec![waiting.clone()]);
    assert_eq!(usage(&app).await, YearUsage { trips: 2, amount: Cents(43000) }, "a city's counters stay: they name no one");
}

async fn idempotent_retry_sends_once<S: Store>(store: S) {
    let app = app(store, catalogue());
    let with_key = |mut r: http::Request<bytes::Bytes>, key: &str| {
        r.headers_mut().insert("idempotency-key", key.parse().unwrap());
        r
    };
    let first = handle(&app, with_key(json_post(REG, registration("ana@valladolid.es")), "k-1")).await;
    assert_eq!(first.status(), 202);
    let retry = handle(&app, with_key(json_post(REG, registration("ana@valladolid.es")), "k-1")).await;
    assert_eq!(retry.status(), 202);
    assert_eq!(retry.body(), first.body());
    assert_eq!(retry.headers()["idempotency-replayed"], "true");
    assert_eq!(mails_to(&app, "ana@valladolid.es").len(), 1, "one email for one submission");
    let other = handle(&app, with_key(json_post(REG, registration("bob@valladolid.es")), "k-1")).await;
    assert_eq!((other.status().as_u16(), body_json(&other)["reason"].as_str()), (422, Some("idempotency_key_reused")));

    // Concurrent retries with one key: one email, and every answer is the first one.
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { handle(&app, with_key(form_from_json(REG, &registration("cleo@valladolid.es")), "k-2")).await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status(), 303, "{}", body_text(&r));
    }
    assert_eq!(mails_to(&app, "cleo@valladolid.es").len(), 1);
}

/// On DynamoDB the end of a claim is the TTL attribute on each of its items,
/// set in the transaction that ends it: CLAIM#, LINK#, PERSON#, every AUDIT#
/// line about it. (DynamoDB Local does not delete by TTL: the attributes are checked.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_ends_reach_every_item_of_a_claim() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let local = DynamoLocal::shared().await;
    let client = local.client();
    let app = app(local.store("ccg-ttl").await, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let item = |pk: String| {
        let client = client.clone();
        async move { client.get_item().table_name("ccg-ttl").key("pk", AttributeValue::S(pk)).consistent_read(true).send().await.unwrap().item.unwrap() }
    };
    let ttl = |i: &std::collections::HashMap<String, AttributeValue>| i.get("expires_at").map(|v| v.as_n().unwrap().parse::<i64>().unwrap());
    let on = jiff::civil::Date::constant(2027, 4, 2);
    let (paid, token) = counted(&app, "e1", "400").await;
    app.forms.approve_claim(&paid, "Eva").await.unwrap();
    app.forms.record_payment(&paid, "Eva", Cents(40000), on, None).await.unwrap();
    let end = Some(app.forms.options.retention.paid_claim_until(on));
    let claim = item(format!("CLAIM#{paid}")).await;
    assert_eq!(ttl(&claim), end);
    let audit_keys: Vec<String> = claim["audit_keys"].as_l().unwrap().iter().map(|k| k.as_s().unwrap().clone()).collect();
    assert_eq!(audit_keys.len(), 3, "confirmed, approved, paid");
    for k in audit_keys {
        assert_eq!(ttl(&item(k.clone()).await), end, "{k}");
    }
    let link_id = token.split_once('.').unwrap().0;
    assert_eq!(ttl(&item(format!("LINK#{link_id}")).await), end);
    // The marker of her one contribution for the meeting is keyed by the hash, not the address.
    assert_eq!(ttl(&item(format!("PERSON#{}", person_key().contribution_key("ana@valladolid.es", "e1"))).await), end);
    assert_eq!(ttl(&item("REF#CCG-2027-0001".into()).await), None, "a reference is never given again");
    assert_eq!(ttl(&item("YEAR#ES:valladolid#2027".into()).await), None, "a city's counter names no one and stays");
    assert_eq!(ttl(&item("CONTACT#ana@valladolid.es".into()).await), None);

    // Rejected: the claim, its link and history end; PERSON# went with the rejection.
    let (rejected, token) = counted(&app, "e2", "100").await;
    app.forms.reject_claim(&rejected, "Eva", "no receipts").await.unwrap();
    let claim = item(format!("CLAIM#{rejected}")).await;
    let end = ttl(&claim);
    assert!(end.is_some());
    for k in claim["audit_keys"].as_l().unwrap() {
        assert_eq!(ttl(&item(k.as_s().unwrap().clone()).await), end);
    }
    assert_eq!(ttl(&item(format!("LINK#{}", token.split_once('.').unwrap().0)).await), end);
    // A declined contact ends on CONTACT#.
    app.forms.decline("ana@valladolid.es", "Eva", None).await.unwrap();
    assert!(ttl(&item("CONTACT#ana@valladolid.es".into()).await).is_some());
    // When TTL has deleted it (done by hand here: DynamoDB Local does not), the
    // desk's sweep removes its leave item and blanks the history lines naming it.
    let leave_pk = format!("LEAVE#{}", ccg_functions::token::leave_id("ana@valladolid.es"));
    assert!(item(leave_pk.clone()).await.contains_key("hashes"), "her emails' leave links are kept");
    client.delete_item().table_name("ccg-ttl").key("pk", AttributeValue::S("CONTACT#ana@valladolid.es".into())).send().await.unwrap();
    let swept = Box::pin(app.forms.store.sweep(jiff::Timestamp::now().as_second())).await.unwrap().unwrap();
    assert_eq!(swept.leave_links, 1, "{swept:?}");
    assert!(swept.history_lines >= 3, "confirmed, approved, declined: {swept:?}");
    let gone = client.get_item().table_name("ccg-ttl").key("pk", AttributeValue::S(leave_pk)).consistent_read(true).send().await.unwrap();
    assert!(gone.item.is_none());
    assert!(app.forms.store.list_audit().await.unwrap().iter().all(|a| !a.subject.contains("ana@")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_persists_across_restarts() {
    let path = temp_dir("persist").join("forms.sqlite3");
    {
        let app = app(ccg_functions::SqliteStore::open(&path).unwrap().with_person_key(person_key()), catalogue());
        representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
        assert_eq!(claim_confirmed(&app, claim("e1", "450")).await.0, 200);
        assert_eq!(handle(&app, json_post(CLAIMS, claim("e2", "450"))).await.status(), 202);
    }
    let app = app(ccg_functions::SqliteStore::open(&path).unwrap().with_person_key(person_key()), catalogue());
    assert_eq!(app.forms.store.list_claims().await.unwrap().len(), 1);
    assert_eq!(app.forms.store.list_contacts().await.unwrap().len(), 1);
    assert_eq!(app.forms.store.list_pending(jiff::Timestamp::now().as_second()).await.unwrap().len(), 1, "the waiting claim survived");
}

// ------------------------------------------------------------ errors that say what happened

/// A stored record that does not parse is not an outage: 500 without
/// Retry-After (trying again will not help), as JSON and as a page.
async fn corrupt_link_is_500<S: Store>(app: &App<S>, token: &str) {
    for json in [true, false] {
        let r = handle(app, common::confirm_post(Form::Register, token, json)).await;
        assert_eq!(r.status(), 500, "{}", body_text(&r));
        assert!(r.headers().get(http::header::RETRY_AFTER).is_none(), "no Retry-After for corrupt data");
        assert!(!body_text(&r).contains("try again"), "{}", body_text(&r));
    }
}

/// A registration waiting for its link, then its token.
async fn waiting<S: Store>(app: &App<S>, email: &str) -> String {
    assert_eq!(handle(app, json_post(REG, registration(email))).await.status(), 202);
    last_token(app, email).expect("a confirmation email")
}

#[tokio::test]
async fn a_corrupt_record_is_500_on_sqlite() {
    let path = temp_dir("corrupt").join("forms.sqlite3");
    let app = app(ccg_functions::SqliteStore::open(&path).unwrap().with_person_key(person_key()), catalogue());
    let token = waiting(&app, "ana@valladolid.es").await;
    rusqlite::Connection::open(&path).unwrap().execute("UPDATE pending SET item = 'not json'", []).unwrap();
    corrupt_link_is_500(&app, &token).await;
}

#[tokio::test]
async fn a_corrupt_record_is_500_on_dynamodb() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let local = DynamoLocal::shared().await;
    let app = app(local.store("ccg-corrupt").await, catalogue());
    let token = waiting(&app, "ana@valladolid.es").await;
    let pk = format!("PENDING#{}", token.split_once('.').unwrap().0);
    let client = local.client();
    client
        .update_item()
        .table_name("ccg-corrupt")
        .key("pk", AttributeValue::S(pk))
        .update_expression("SET #item = :bad")
        .expression_attribute_names("#item", "item")
        .expression_attribute_values(":bad", AttributeValue::S("not json".into()))
        .send()
        .await
        .unwrap();
    corrupt_link_is_500(&app, &token).await;
}

/// An unavailable store stays an outage: 503, with Retry-After.
#[tokio::test]
async fn a_locked_store_is_503_with_retry_after() {
    let path = temp_dir("locked-link").join("forms.sqlite3");
    let store = ccg_functions::SqliteStore::open_with(&path, std::time::Duration::from_millis(300)).unwrap();
    let app = app_with(store, catalogue(), Options { store_timeout: std::time::Duration::from_secs(2), ..options() });
    let token = waiting(&app, "ana@valladolid.es").await;
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let r = handle(&app, common::confirm_post(Form::Register, &token, true)).await;
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(r.status(), 503, "{}", body_text(&r));
    assert!(r.headers().get(http::header::RETRY_AFTER).is_some(), "an outage says when to try again");
}

/// The store's counts of emails per address (`decide::quota`): both windows,
/// atomically, under concurrency.
async fn mail_quota_windows<S: Store>(store: S) {
    use ccg_forms::decide::MailLimits;
    let store = Arc::new(store);
    let limits = MailLimits { per_hour: 2, per_day: 3 };
    // 2027-03-16T10:00:00Z, then the next hour, then the next day.
    let (t, next_hour, next_day) = (1_805_191_200, 1_805_191_200 + 3600, 1_805_191_200 + 86_400);
    let take = |key: &'static str, at: i64| {
        let store = store.clone();
        async move { store.take_mail(key, limits, at).await.unwrap() }
    };
    assert!(take("mq_a", t).await && take("mq_a", t + 59).await);
    assert!(!take("mq_a", t + 60).await, "the hour's two are sent");
    assert!(take("mq_b", t).await, "another address has its own count");
    assert!(take("mq_a", next_hour).await, "a new hour");
    assert!(!take("mq_a", next_hour + 1).await, "the day's three are sent, though the hour has room");
    assert!(take("mq_a", next_day).await, "a new day");
    // Twenty at once for a fresh address: exactly the hour's limit goes.
    let racing: Vec<_> = (0..20).map(|_| tokio::spawn(take("mq_c", t))).collect();
    let mut sent = 0;
    for r in racing {
        sent += usize::from(r.await.unwrap());
    }
    assert_eq!(sent, 2, "concurrent sends never pass the limit");
    assert!(!store.take_mail("mq_d", MailLimits { per_hour: 0, per_day: 5 }, t).await.unwrap(), "a zero limit sends nothing");
}

/// No mailbox flooding: the join form sent eight times for one address emails
/// it five times (`forms.emails_per_address`), answers all eight alike, keeps
/// nothing for the three beyond the limit, and counts them.
async fn emails_per_address_are_capped<S: Store>(store: S) {
    use ccg_forms::decide::MailLimits;
    use ccg_functions::metrics::Metric;
    let limits = MailLimits { per_hour: 5, per_day: 10 };
    let app = app_with(store, catalogue(), Options { mail_limits: limits, ..options() });
    let mut answers = Vec::new();
    for _ in 0..8 {
        let sent = handle(&app, json_post(REG, registration("flood@valladolid.es"))).await;
        answers.push((sent.status(), body_text(&sent)));
    }
    assert!(answers.iter().all(|a| *a == answers[0]) && answers[0].0 == 202, "{answers:?}");
    assert_eq!(mails_to(&app, "flood@valladolid.es").len(), 5);
    assert_eq!(app.forms.metrics.get(Metric::MailCapped), 3);
    let (_, now_secs) = app.forms.now();
    let waiting = app.forms.store.list_pending(now_secs).await.unwrap();
    assert_eq!(waiting.len(), 5, "nothing is kept for a form whose email did not go");
    // The claim form and "send the link again" count against the same limit, and answer alike.
    let mut flood_claim = claim("e1", "300");
    flood_claim["email"] = "flood@valladolid.es".into();
    let claim = handle(&app, json_post(CLAIMS, flood_claim)).await;
    assert_eq!(claim.status(), 202, "{}", body_text(&claim));
    let resend = handle(&app, json_post("/api/register/resend", serde_json::json!({ "email": "flood@valladolid.es" }))).await;
    assert_eq!(resend.status(), 202, "{}", body_text(&resend));
    assert_eq!(mails_to(&app, "flood@valladolid.es").len(), 5);
    assert_eq!(app.forms.metrics.get(Metric::MailCapped), 5);
    // Another address is not held back.
    assert_eq!(handle(&app, json_post(REG, registration("other@valladolid.es"))).await.status(), 202);
    assert_eq!(mails_to(&app, "other@valladolid.es").len(), 1);
}
