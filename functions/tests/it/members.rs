//! The members' area through the real handler, on both stores: my page
//! (my city's year, my claims, withdrawing one), the directory (only those
//! who opted in, only the configured details, searched by city, country and
//! project), the opt-in at joining and on my page, and nothing for a
//! request without a session.

use crate::common::*;
use crate::signin::{get, post, sign_in, staff};
use ccg_functions::records::{ClaimStatus, ContactStatus};
use ccg_functions::{App, Form, Store, handle};
use ccg_model::Cents;
use ccg_model::site::{DirectoryConfig, DirectoryField};

crate::roomy_cases!(
    "members";
    my_page_shows_my_citys_usage_and_my_claims,
    a_claim_is_withdrawn_from_my_page_after_a_confirmation,
    the_directory_shows_only_the_opted_in_and_only_the_configured_fields,
    a_request_without_a_session_gets_no_data,
    the_opt_in_at_joining_is_stored_after_confirmation_and_off_by_default,
    staff_without_details_are_pointed_to_the_desk,
    a_member_leaves_from_their_page_after_a_confirmation,
);

/// A representative of Valladolid with a counted claim to `event`: its reference.
async fn counted<S: Store>(app: &App<S>, email: &str, event: &str, euros: &str) -> String {
    representative(app, email, "Valladolid", "ES").await;
    let mut c = claim(event, euros);
    c["email"] = email.into();
    let (status, claimed) = claim_confirmed(app, c).await;
    assert_eq!(status, 200, "{claimed}");
    claimed["reference"].as_str().unwrap().to_string()
}

/// Joins as `name` of `city`, `country`, listed in the directory or not, and confirms.
async fn joins<S: Store>(app: &App<S>, email: &str, name: &str, city: &str, country: &str, listed: bool) {
    let mut r = registration(email);
    r["name"] = name.into();
    r["city"] = city.into();
    r["country"] = country.into();
    r["organisation"] = format!("Organisation of {name}").into();
    if listed {
        r["listed"] = "yes".into();
    }
    let sent = handle(app, json_post("/api/register", r)).await;
    assert_eq!(sent.status(), 202, "{}", body_text(&sent));
    let done = handle(app, confirm_post(Form::Register, &last_token(app, email).unwrap(), true)).await;
    assert_eq!(done.status(), 200, "{}", body_text(&done));
}

async fn page<S: Store>(app: &App<S>, path: &str, s: &str) -> String {
    let r = handle(app, get(path, Some(s))).await;
    assert_eq!(r.status(), 200, "{path}: {}", body_text(&r));
    assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    body_text(&r)
}

async fn my_page_shows_my_citys_usage_and_my_claims<S: Store>(store: S) {
    let app = app(store, catalogue());
    let mine = counted(&app, "rep@valladolid.es", "e1", "300").await;
    let theirs = counted(&app, "other@valladolid.es", "e2", "200").await;
    // Signing in lands on my page.
    let r = handle(&app, post("/sign-in/", &[("email", "rep@valladolid.es")], None)).await;
    assert_eq!(r.status(), 303);
    let token = crate::signin::sign_in_token(&app, "rep@valladolid.es").unwrap();
    let r = handle(&app, post("/sign-in/link", &[("token", &token)], None)).await;
    assert_eq!(r.headers()["location"], "/members/");
    let s = crate::signin::cookie_of(&r).unwrap();

    let home = page(&app, "/members/", &s).await;
    // The city's year counts both representatives' claims, in the desk's words.
    let (used, left) = (Cents(50_000).to_string(), Cents(40_000).to_string());
    assert!(home.contains(&format!("2 of 2 trips and {used} of {} used in 2027; 0 trips and {left} left.", Cents(90_000))), "{home}");
    assert!(home.contains("the representative of Valladolid"), "{home}");
    // My claims, not theirs: with the meeting, the state and the way to withdraw it.
    assert!(home.contains(&mine) && !home.contains(&theirs), "{home}");
    assert!(home.contains(&format!(r#"href="/members/claims/{mine}/withdraw""#)), "{home}");
    assert!(home.contains("Confirmed and counted"), "{home}");
    // My details, the way to change them (the join form, filled in), passkeys and sessions, leaving.
    assert!(home.contains("Ayuntamiento de Valladolid") && home.contains("rep@valladolid.es"), "{home}");
    assert!(home.contains(r#"href="/members/details/""#) && home.contains("once you confirm it from the email"), "{home}");
    assert!(home.contains("Passkeys") && home.contains("Where you are signed in") && home.contains(r#"href="/members/leave/""#), "{home}");
    let details = page(&app, "/members/details/", &s).await;
    assert!(details.contains(r#"value="Ayuntamiento de Valladolid""#) && details.contains(r#"name="listed""#), "{details}");
    assert!(details.contains(r#"action="/api/register""#), "{details}");
    // The JSON of my page says the same.
    let r = handle(&app, json_get("/members/", &s)).await;
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!((v["usage"][0]["trips_used"].as_u64(), v["claims"].as_array().map(Vec::len)), (Some(2), Some(1)), "{v}");
    assert_eq!(v["claims"][0]["reference"], mine.as_str());
}

fn json_get(path: &str, s: &str) -> http::Request<bytes::Bytes> {
    let mut r = get(path, Some(s));
    r.headers_mut().insert("accept", "application/json".parse().unwrap());
    r
}

async fn a_claim_is_withdrawn_from_my_page_after_a_confirmation<S: Store>(store: S) {
    let app = app(store, catalogue());
    let mine = counted(&app, "rep@valladolid.es", "e1", "300").await;
    let theirs = counted(&app, "other@valladolid.es", "e2", "200").await;
    let s = sign_in(&app, "rep@valladolid.es", None).await;
    let path = format!("/members/claims/{mine}/withdraw");
    // The confirmation step changes nothing.
    let ask = page(&app, &path, &s).await;
    assert!(ask.contains(&format!(r#"action="{path}""#)) && ask.contains("Withdraw the claim"), "{ask}");
    assert_eq!(app.forms.store.get_claim(&app.forms.claim_id(&mine).await.unwrap()).await.unwrap().unwrap().status, ClaimStatus::Counted);
    // Another site's page cannot withdraw it.
    let mut foreign = post(&path, &[], Some(&s));
    foreign.headers_mut().insert("origin", "https://elsewhere.example".parse().unwrap());
    assert_eq!(handle(&app, foreign).await.status(), 403);
    // Someone else's claim is not mine to withdraw, nor to see.
    let r = handle(&app, post(&format!("/members/claims/{theirs}/withdraw"), &[], Some(&s))).await;
    assert_eq!(r.status(), 404);
    assert_eq!(handle(&app, get(&format!("/members/claims/{theirs}/withdraw"), Some(&s))).await.status(), 404);
    // Withdrawn: the page says so, the city has the trip and euros back, the history says who.
    let r = handle(&app, post(&path, &[], Some(&s))).await;
    let text = body_text(&r);
    assert_eq!(r.status(), 200, "{text}");
    assert!(text.contains(&format!("Your claim {mine} is withdrawn")), "{text}");
    assert!(text.contains(&format!("1 of 2 trips and {} of", Cents(20_000))), "{text}");
    let c = app.forms.store.get_claim(&app.forms.claim_id(&mine).await.unwrap()).await.unwrap().unwrap();
    assert_eq!(c.status, ClaimStatus::Withdrawn);
    let history = app.forms.history_of(&c.id).await.unwrap();
    assert!(history.iter().any(|l| l.action == "claim.withdrawn" && l.actor == "applicant" && l.detail == "from their page"), "{history:?}");
    assert!(!text.contains(&format!(r#"href="{path}""#)), "no withdraw link once withdrawn");
    // Again: refused, nothing changes.
    let r = handle(&app, post(&path, &[], Some(&s))).await;
    assert_eq!(r.status(), 409, "{}", body_text(&r));
    let other = app.forms.store.get_claim(&app.forms.claim_id(&theirs).await.unwrap()).await.unwrap().unwrap();
    assert_eq!(other.status, ClaimStatus::Counted);
}

async fn the_directory_shows_only_the_opted_in_and_only_the_configured_fields<S: Store>(store: S) {
    let mut options = options();
    options.directory = DirectoryConfig { fields: vec![DirectoryField::Name, DirectoryField::City, DirectoryField::Country] };
    let app = app_with(store, catalogue(), options);
    joins(&app, "listed@valladolid.es", "Lena Listed", "Valladolid", "ES", true).await;
    joins(&app, "quiet@valladolid.es", "Quentin Quiet", "Valladolid", "ES", false).await;
    joins(&app, "koln@koeln.de", "Karl Koln", "Köln", "DE", true).await;
    joins(&app, "gone@valladolid.es", "Greta Gone", "Valladolid", "ES", true).await;
    app.forms.decline("gone@valladolid.es", "test desk", None).await.unwrap();
    let s = sign_in(&app, "quiet@valladolid.es", None).await;

    let dir = page(&app, "/members/directory/", &s).await;
    assert!(dir.contains("Lena Listed") && dir.contains("Karl Koln"), "{dir}");
    assert!(!dir.contains("Quentin Quiet") && !dir.contains("Greta Gone"), "only the opted-in, never the declined: {dir}");
    // Only the configured details: no organisation, no address.
    assert!(!dir.contains("Organisation of Lena") && !dir.contains("listed@valladolid.es"), "{dir}");
    assert!(dir.contains("Spain") && dir.contains("Germany"), "{dir}");
    // Searched by country, by city, by project (Valladolid's SCC project, REMOURBAN; Köln's is GrowSmarter).
    let de = page(&app, "/members/directory/?country=de", &s).await;
    assert!(de.contains("Karl Koln") && !de.contains("Lena Listed"), "{de}");
    let city = page(&app, "/members/directory/?city=valladolid", &s).await;
    assert!(city.contains("Lena Listed") && !city.contains("Karl Koln"), "{city}");
    let project = page(&app, "/members/directory/?project=REMOURBAN", &s).await;
    assert!(project.contains("Lena Listed") && !project.contains("Karl Koln"), "{project}");
    // The reader lists themself on their page (an audit line), and is in the directory; then takes themself out.
    let r = handle(&app, post("/members/directory/listing", &[("listed", "yes")], Some(&s))).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert!(body_text(&r).contains("You are listed in the members&#39; directory"), "{}", body_text(&r));
    assert!(page(&app, "/members/directory/", &s).await.contains("Quentin Quiet"));
    let history = app.forms.history_of("quiet@valladolid.es").await.unwrap();
    assert!(history.iter().any(|l| l.action == "contact.listed"), "{history:?}");
    let r = handle(&app, post("/members/directory/listing", &[("listed", "no")], Some(&s))).await;
    assert_eq!(r.status(), 200);
    assert!(!page(&app, "/members/directory/", &s).await.contains("Quentin Quiet"));
    assert!(!app.forms.store.get_contact("quiet@valladolid.es").await.unwrap().unwrap().details.listed);
    // The desk's person page says whether someone is listed.
    staff(&app, "desk@sec.eu").await;
    let d = sign_in(&app, "desk@sec.eu", None).await;
    let person = ccg_functions::store::person_key("listed@valladolid.es");
    let shown = page(&app, &format!("/desk/people/{person}/"), &d).await;
    assert!(shown.contains("Listed: other members see them there"), "{shown}");
}

async fn a_request_without_a_session_gets_no_data<S: Store>(store: S) {
    let app = app(store, catalogue());
    joins(&app, "listed@valladolid.es", "Lena Listed", "Valladolid", "ES", true).await;
    for path in ["/members/", "/members/directory/", "/members/directory/?country=ES", "/members/details/"] {
        let r = handle(&app, get(path, None)).await;
        assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/sign-in/"), "{path}");
        assert!(!body_text(&r).contains("Lena"), "{path}");
        let mut j = get(path, None);
        j.headers_mut().insert("accept", "application/json".parse().unwrap());
        let r = handle(&app, j).await;
        assert_eq!(r.status(), 303, "{path}");
        assert!(!body_text(&r).contains("Lena"), "{path}");
    }
    // A cookie that is no session is nobody; a change without one changes nothing.
    let r = handle(&app, get("/members/directory/", Some(&"B".repeat(43)))).await;
    assert_eq!(r.status(), 303);
    let r = handle(&app, post("/members/directory/listing", &[("listed", "no")], None)).await;
    assert_eq!(r.status(), 401);
    assert!(app.forms.store.get_contact("listed@valladolid.es").await.unwrap().unwrap().details.listed);
}

async fn the_opt_in_at_joining_is_stored_after_confirmation_and_off_by_default<S: Store>(store: S) {
    let app = app(store, catalogue());
    // Ticked: kept with the pending registration, on the contact once confirmed.
    let mut r = registration("yes@valladolid.es");
    r["listed"] = "yes".into();
    assert_eq!(handle(&app, json_post("/api/register", r)).await.status(), 202);
    assert!(app.forms.store.get_contact("yes@valladolid.es").await.unwrap().is_none(), "nothing before the link");
    let done = handle(&app, confirm_post(Form::Register, &last_token(&app, "yes@valladolid.es").unwrap(), true)).await;
    assert_eq!(done.status(), 200);
    let c = app.forms.store.get_contact("yes@valladolid.es").await.unwrap().unwrap();
    assert!(c.details.listed && c.status == ContactStatus::Confirmed);
    // Not ticked (the form's default): not listed.
    joins(&app, "no@valladolid.es", "Nora No", "Valladolid", "ES", false).await;
    assert!(!app.forms.store.get_contact("no@valladolid.es").await.unwrap().unwrap().details.listed);
    // The join form's checkbox is not ticked unless asked.
    let s = sign_in(&app, "no@valladolid.es", None).await;
    let details = page(&app, "/members/details/", &s).await;
    let at = details.find(r#"id="listed""#).unwrap();
    assert!(!details[at..at + 80].contains("checked"), "{}", &details[at..at + 80]);
}

async fn staff_without_details_are_pointed_to_the_desk<S: Store>(store: S) {
    let app = app(store, catalogue());
    staff(&app, "desk@sec.eu").await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    let home = page(&app, "/members/", &s).await;
    assert!(home.contains("no member's details of your own") && home.contains(r#"href="/desk/""#), "{home}");
    assert!(home.contains("Where you are signed in"), "{home}");
}

async fn a_member_leaves_from_their_page_after_a_confirmation<S: Store>(store: S) {
    let app = app(store, catalogue());
    let mine = counted(&app, "rep@valladolid.es", "e1", "300").await;
    let s = sign_in(&app, "rep@valladolid.es", None).await;
    // The confirmation step changes nothing.
    let ask = page(&app, "/members/leave/", &s).await;
    assert!(ask.contains(r#"action="/members/leave""#) && ask.contains("You cannot undo this"), "{ask}");
    assert!(app.forms.store.get_contact("rep@valladolid.es").await.unwrap().is_some());
    let r = handle(&app, post("/members/leave", &[], Some(&s))).await;
    let text = body_text(&r);
    assert_eq!(r.status(), 200, "{text}");
    assert!(text.contains("Your contact details are deleted, and you are signed out everywhere."), "{text}");
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "the cookie is cleared");
    // Gone: the contact, the claim not decided yet (its trip back to the city), and every session.
    assert!(app.forms.store.get_contact("rep@valladolid.es").await.unwrap().is_none());
    let id = app.forms.claim_id(&mine).await.unwrap();
    assert!(app.forms.store.get_claim(&id).await.unwrap().is_none_or(|c| c.status == ClaimStatus::Withdrawn), "the counted claim is withdrawn");
    assert_eq!(app.forms.store.year_usage("ES:valladolid", 2027).await.unwrap().trips, 0);
    let (_, now) = app.forms.now();
    assert!(app.forms.store.list_sessions("rep@valladolid.es", now).await.unwrap().is_empty());
    let r = handle(&app, get("/members/", Some(&s))).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/sign-in/"));
}
