//! Signing in, through the real handler, on both stores (`sqlite::…`,
//! `dynamo::…`): the emailed link (equal answers for known and unknown
//! addresses, once only, forged or used refused), the session cookie and its
//! attributes, expiry (idle and absolute) on an injected clock, rotation on
//! every sign-in, signing out (everywhere), removal ending sessions, and a
//! decision refused to a session started by link alone.

use crate::common::*;
use bytes::Bytes;
use ccg_functions::records::{AuditEntry, Role, Staff};
use ccg_functions::service::Clock;
use ccg_functions::{App, Form, Store, handle};
use http::Request;

/// Runs a case on a thread and runtime with room: a flow through the
/// handler on DynamoDB nests deep futures, more than a test thread's 2 MiB
/// holds in a debug build.
pub(crate) fn run_roomy<F: std::future::Future<Output = ()> + Send + 'static>(case: F) {
    const STACK: usize = 16 << 20;
    let thread = std::thread::Builder::new().stack_size(STACK).spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_stack_size(STACK).enable_all().build().unwrap();
        rt.block_on(Box::pin(case));
    });
    if let Err(panic) = thread.unwrap().join() {
        std::panic::resume_unwind(panic);
    }
}

/// Each case as a test on SQLite and on DynamoDB Local (table
/// `ccg-PREFIX-CASE`), run by `run_roomy`: the handler's flows need the room.
#[macro_export]
macro_rules! roomy_cases {
    ($prefix:literal; $($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $case() {
                    $crate::signin::run_roomy(async { super::$case($crate::common::sqlite_store(stringify!($case))).await });
                }
            )*
        }
        mod dynamo {
            $(
                #[test]
                fn $case() {
                    $crate::signin::run_roomy(async {
                        let store = $crate::common::DynamoLocal::shared().await.store(concat!("ccg-", $prefix, "-", stringify!($case))).await;
                        super::$case(store).await
                    });
                }
            )*
        }
    };
}

crate::roomy_cases!(
    "signin";
    a_link_signs_in_once_with_a_host_cookie,
    known_and_unknown_addresses_get_the_same_answer,
    sessions_end_when_idle_and_at_their_absolute_end,
    every_sign_in_is_a_new_session,
    signing_out_everywhere_and_removal_end_sessions,
    deciding_needs_a_passkey,
    sign_in_emails_share_the_forms_budget,
    a_passkey_step_up_is_a_new_session_that_may_decide,
    passkey_attempts_per_account_are_limited,
    the_desk_adds_and_removes_staff_with_a_passkey,
);

const T0: i64 = 1_800_000_000;

fn at(secs: i64) -> Clock {
    Clock::Fixed(jiff::Timestamp::from_second(secs).unwrap())
}

pub(crate) fn get(path: &str, cookie: Option<&str>) -> Request<Bytes> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header("cookie", format!("theme=dark; __Host-ccg_session={c}"));
    }
    b.body(Bytes::new()).unwrap()
}

pub(crate) fn post(path: &str, pairs: &[(&str, &str)], cookie: Option<&str>) -> Request<Bytes> {
    let mut r = form_post(path, pairs);
    r.headers_mut().insert("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36".parse().unwrap());
    if let Some(c) = cookie {
        r.headers_mut().insert("cookie", format!("__Host-ccg_session={c}").parse().unwrap());
    }
    r
}

/// The token of the newest sign-in link emailed to `to`.
pub(crate) fn sign_in_token<S>(app: &App<S>, to: &str) -> Option<String> {
    mails_to(app, to).iter().rev().find_map(|m| {
        let i = m.text.find("/sign-in/link?token=")?;
        Some(m.text[i + "/sign-in/link?token=".len()..].split_whitespace().next()?.to_string())
    })
}

/// A confirmed member (a contact) with this address.
pub(crate) async fn member<S: Store>(app: &App<S>, email: &str) {
    let sent = handle(app, json_post("/api/register", registration(email))).await;
    assert_eq!(sent.status(), 202, "{}", body_text(&sent));
    let done = handle(app, confirm_post(Form::Register, &last_token(app, email).unwrap(), true)).await;
    assert_eq!(done.status(), 200);
}

pub(crate) async fn staff<S: Store>(app: &App<S>, email: &str) {
    let (now, _) = app.forms.now();
    let s = Staff { email_key: email.to_lowercase(), email: email.into(), name: "Sam Staff".into(), added_at: now, added_by: "test".into() };
    let audit = AuditEntry { at: now, actor: "test".into(), action: "staff.added".into(), subject: s.email_key.clone(), detail: String::new() };
    assert!(app.forms.store.add_staff(s, audit).await.unwrap());
}

/// Asks for a link for `email` and uses it: the cookie's secret.
pub(crate) async fn sign_in<S: Store>(app: &App<S>, email: &str, cookie: Option<&str>) -> String {
    let r = handle(app, post("/sign-in/", &[("email", email)], None)).await;
    assert_eq!(r.status(), 303);
    let token = sign_in_token(app, email).expect("a sign-in email");
    let r = handle(app, post("/sign-in/link", &[("token", &token)], cookie)).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    cookie_of(&r).expect("a session cookie")
}

pub(crate) fn cookie_of(r: &http::Response<Bytes>) -> Option<String> {
    let v = r.headers().get("set-cookie")?.to_str().ok()?;
    let secret = v.strip_prefix("__Host-ccg_session=")?.split(';').next()?;
    (!secret.is_empty()).then(|| secret.to_string())
}

/// Whether the cookie opens the account page (not a redirect to sign in).
pub(crate) async fn signed_in<S: Store>(app: &App<S>, cookie: &str) -> bool {
    let r = handle(app, get("/account/", Some(cookie))).await;
    match r.status().as_u16() {
        200 => true,
        303 => {
            assert_eq!(r.headers()["location"], "/sign-in/");
            false
        }
        s => panic!("/account/ answered {s}: {}", body_text(&r)),
    }
}

async fn a_link_signs_in_once_with_a_host_cookie<S: Store>(store: S) {
    let app = app(store, catalogue());
    member(&app, "ana@city.eu").await;
    let r = handle(&app, post("/sign-in/", &[("email", "Ana@City.eu")], None)).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/sign-in/sent/"));
    let mail = mails_to(&app, "ana@city.eu").pop().unwrap();
    assert_eq!(mail.subject, "Sign in to the City Coordinators Group's website");
    let token = sign_in_token(&app, "ana@city.eu").unwrap();
    // Opening the link changes nothing (mail scanners open links): its page has a button.
    let page = handle(&app, get(&format!("/sign-in/link?token={token}"), None)).await;
    assert_eq!(page.status(), 200);
    assert!(body_text(&page).contains(r#"<button type="submit">Sign in</button>"#));
    assert!(page.headers().get("set-cookie").is_none());
    // A forged secret for the same link does not work, and does not use it up.
    let (id, _) = token.split_once('.').unwrap();
    let forged = format!("{id}.{}", "A".repeat(43));
    assert_eq!(handle(&app, post("/sign-in/link", &[("token", &forged)], None)).await.status(), 410);
    let r = handle(&app, post("/sign-in/link", &[("token", &token)], None)).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/members/"));
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let secret = cookie_of(&r).unwrap();
    assert_eq!(secret.len(), 43, "256 random bits, base64url");
    let member_days_60 = 60 * 24 * 3600;
    assert_eq!(set, format!("__Host-ccg_session={secret}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={member_days_60}"));
    // Only the hash of the secret is stored.
    let hash = ccg_functions::token::hash_secret(&secret);
    let (_, now) = app.forms.now();
    let s = app.forms.store.get_session(&hash, now).await.unwrap().expect("the session under the secret's hash");
    assert_eq!((s.role, s.device.as_str()), (Role::Member, "Chrome on Linux"));
    assert!(app.forms.store.get_session(&secret, now).await.unwrap().is_none());
    // The link worked once.
    assert_eq!(handle(&app, post("/sign-in/link", &[("token", &token)], None)).await.status(), 410);
    assert_eq!(handle(&app, get(&format!("/sign-in/link?token={token}"), None)).await.status(), 410);
    let account = handle(&app, get("/account/", Some(&secret))).await;
    assert_eq!(account.status(), 200);
    assert_eq!(account.headers()["cache-control"], "no-store");
    assert!(account.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Cookie")));
    assert!(body_text(&account).contains("ana@city.eu"));
    // A cookie that is not a secret of ours is nobody.
    assert!(!signed_in(&app, "not-a-secret").await);
    assert!(!signed_in(&app, &"B".repeat(43)).await);
}

async fn known_and_unknown_addresses_get_the_same_answer<S: Store>(store: S) {
    let app = app(store, catalogue());
    member(&app, "ana@city.eu").await;
    staff(&app, "desk@sec.eu").await;
    let mut answers = Vec::new();
    for email in ["ana@city.eu", "nobody@city.eu", "desk@sec.eu"] {
        for json in [false, true] {
            let mut req = post("/sign-in/", &[("email", email)], None);
            if json {
                req = json_post("/sign-in/", serde_json::json!({ "email": email }));
            }
            let r = handle(&app, req).await;
            let mut headers: Vec<_> = r.headers().iter().map(|(k, v)| format!("{k}: {}", v.to_str().unwrap())).collect();
            headers.sort();
            answers.push((json, r.status().as_u16(), headers, body_text(&r)));
        }
    }
    for a in &answers[2..] {
        let same = &answers[usize::from(a.0)];
        assert_eq!(a, same, "an answer tells who is known");
    }
    assert_eq!(mails_to(&app, "ana@city.eu").iter().filter(|m| m.subject.starts_with("Sign in")).count(), 2);
    assert_eq!(mails_to(&app, "desk@sec.eu").len(), 2);
    assert!(mails_to(&app, "nobody@city.eu").is_empty());
    // A malformed address is named, for everyone alike.
    let r = handle(&app, post("/sign-in/", &[("email", "not an address")], None)).await;
    assert_eq!(r.status(), 422);
    assert!(body_text(&r).contains("Enter an email address like name@city.eu."));
}

async fn sessions_end_when_idle_and_at_their_absolute_end<S: Store>(store: S) {
    let mut app = app(store, catalogue());
    member(&app, "ana@city.eu").await;
    staff(&app, "desk@sec.eu").await;
    let day = 24 * 3600;
    app.forms.options.clock = at(T0);
    let m = sign_in(&app, "ana@city.eu", None).await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    // Staff: 30 minutes idle.
    app.forms.options.clock = at(T0 + 29 * 60);
    assert!(signed_in(&app, &s).await);
    app.forms.options.clock = at(T0 + 29 * 60 + 30 * 60);
    assert!(!signed_in(&app, &s).await, "idle for 30 minutes");
    // Members: 14 days idle, 60 days at most however often used.
    for d in [13, 26, 39, 52, 59] {
        app.forms.options.clock = at(T0 + d * day);
        assert!(signed_in(&app, &m).await, "used every 13 days: day {d}");
    }
    app.forms.options.clock = at(T0 + 60 * day);
    assert!(!signed_in(&app, &m).await, "past its absolute end");
    // A session left alone ends after 14 days.
    let m2 = sign_in(&app, "ana@city.eu", None).await;
    app.forms.options.clock = at(T0 + 74 * day);
    assert!(!signed_in(&app, &m2).await);
    // Staff: 8 hours at most.
    app.forms.options.clock = at(T0);
    let s2 = sign_in(&app, "desk@sec.eu", None).await;
    for minutes in (20..480).step_by(20) {
        app.forms.options.clock = at(T0 + minutes * 60);
        assert!(signed_in(&app, &s2).await, "minute {minutes}");
    }
    app.forms.options.clock = at(T0 + 480 * 60);
    assert!(!signed_in(&app, &s2).await, "8 hours after signing in");
}

async fn every_sign_in_is_a_new_session<S: Store>(store: S) {
    let app = app(store, catalogue());
    member(&app, "ana@city.eu").await;
    let first = sign_in(&app, "ana@city.eu", None).await;
    // Signing in again in the same browser: a new secret, and the old one ends.
    let second = sign_in(&app, "ana@city.eu", Some(&first)).await;
    assert_ne!(first, second);
    assert!(!signed_in(&app, &first).await);
    assert!(signed_in(&app, &second).await);
    // Another browser's session is untouched.
    let other = sign_in(&app, "ana@city.eu", None).await;
    assert!(signed_in(&app, &second).await && signed_in(&app, &other).await);
    let (_, now) = app.forms.now();
    assert_eq!(app.forms.store.list_sessions("ana@city.eu", now).await.unwrap().len(), 2);
}

async fn signing_out_everywhere_and_removal_end_sessions<S: Store>(store: S) {
    let app = app(store, catalogue());
    member(&app, "ana@city.eu").await;
    let a = sign_in(&app, "ana@city.eu", None).await;
    let b = sign_in(&app, "ana@city.eu", None).await;
    let out = handle(&app, post("/account/sign-out", &[], Some(&a))).await;
    assert_eq!(out.status(), 200);
    assert!(out.headers()["set-cookie"].to_str().unwrap().starts_with("__Host-ccg_session=; "));
    assert!(!signed_in(&app, &a).await && signed_in(&app, &b).await);
    // One other session ended from this one, by its handle on the account page.
    let x = sign_in(&app, "ana@city.eu", None).await;
    let page = body_text(&handle(&app, get("/account/", Some(&b))).await);
    let handle_x = &ccg_functions::token::hash_secret(&x)[..16];
    assert!(page.contains(&format!(r#"name="session" value="{handle_x}""#)), "{page}");
    assert!(!page.contains(&format!(r#"value="{}""#, &ccg_functions::token::hash_secret(&b)[..16])), "this device has no button to end itself");
    let r = handle(&app, post("/account/sessions/end", &[("session", handle_x)], Some(&b))).await;
    assert!(body_text(&r).contains("That session is ended"), "{}", body_text(&r));
    assert!(!signed_in(&app, &x).await && signed_in(&app, &b).await);
    // Someone else's handle ends nothing.
    member(&app, "bo@city.eu").await;
    let other = sign_in(&app, "bo@city.eu", None).await;
    let r = handle(&app, post("/account/sessions/end", &[("session", &ccg_functions::token::hash_secret(&other)[..16])], Some(&b))).await;
    assert!(body_text(&r).contains("had ended already"));
    assert!(signed_in(&app, &other).await);
    let c = sign_in(&app, "ana@city.eu", None).await;
    let r = handle(&app, post("/account/sign-out-everywhere", &[], Some(&c))).await;
    assert!(body_text(&r).contains("2 sessions ended"), "{}", body_text(&r));
    assert!(!signed_in(&app, &b).await && !signed_in(&app, &c).await);
    // A change without the site's own origin changes nothing.
    let d = sign_in(&app, "ana@city.eu", None).await;
    let mut foreign = post("/account/sign-out-everywhere", &[], Some(&d));
    foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(handle(&app, foreign).await.status(), 403);
    assert!(signed_in(&app, &d).await);
    // An erased member's sessions end at once.
    app.forms.erase("ana@city.eu", "test desk").await.unwrap();
    assert!(!signed_in(&app, &d).await);
    // A removed staff member's too.
    staff(&app, "desk@sec.eu").await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    assert!(signed_in(&app, &s).await);
    let (now, _) = app.forms.now();
    let audit = AuditEntry { at: now, actor: "test".into(), action: "staff.removed".into(), subject: "desk@sec.eu".into(), detail: String::new() };
    assert!(app.forms.store.remove_staff("desk@sec.eu", audit).await.unwrap());
    assert!(!signed_in(&app, &s).await);
    let history = app.forms.store.list_audit().await.unwrap();
    for action in ["signin.link", "sessions.ended"] {
        assert!(history.iter().any(|e| e.action == action), "no {action} in the history");
    }
    assert!(history.iter().all(|e| !e.detail.contains(&d) && !e.detail.contains(&ccg_functions::token::hash_secret(&d))), "a secret in the history");
}

async fn deciding_needs_a_passkey<S: Store>(store: S) {
    let mut app = app(store, catalogue());
    let (id, reference) = staff_and_a_counted_claim(&app).await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    let desk = handle(&app, get("/desk/", Some(&s))).await;
    assert_eq!(desk.status(), 200);
    assert!(body_text(&desk).contains(&reference));
    // Signed in by link: reading yes, deciding no (and nothing changes).
    let r = handle(&app, post("/desk/claims/decide", &[("claim", &id), ("action", "approve")], Some(&s))).await;
    assert_eq!(r.status(), 403);
    assert!(body_text(&r).contains("add a passkey on your account page"), "{}", body_text(&r));
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ccg_functions::records::ClaimStatus::Counted);
    // A member is no secretariat.
    member(&app, "ana@city.eu").await;
    let m = sign_in(&app, "ana@city.eu", None).await;
    assert_eq!(handle(&app, get("/desk/", Some(&m))).await.status(), 403);
    // The preview's relaxation lets a link session decide.
    app.forms.options.staff_link_may_decide = true;
    let r = handle(&app, post("/desk/claims/decide", &[("claim", &id), ("action", "approve")], Some(&s))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ccg_functions::records::ClaimStatus::Approved);
    // Deciding twice applies nothing twice: the page says where the claim stands.
    let r = handle(&app, post("/desk/claims/decide", &[("claim", &id), ("action", "approve")], Some(&s))).await;
    assert_eq!(r.status(), 409);
    assert!(body_text(&r).contains("it is approved now"));
}

/// `desk@sec.eu` on the staff, and a claim of an approved representative counted and waiting: its id and reference.
async fn staff_and_a_counted_claim<S: Store>(app: &App<S>) -> (String, String) {
    staff(app, "desk@sec.eu").await;
    representative(app, "rep@valladolid.es", "Valladolid", "ES").await;
    let (status, claimed) = claim_confirmed(app, claim_for("rep@valladolid.es")).await;
    assert_eq!(status, 200, "{claimed}");
    (claimed["id"].as_str().unwrap().to_string(), claimed["reference"].as_str().unwrap().to_string())
}

fn claim_for(email: &str) -> serde_json::Value {
    let mut c = claim("e1", "100");
    c["email"] = email.into();
    c
}

async fn sign_in_emails_share_the_forms_budget<S: Store>(store: S) {
    let mut app = app(store, catalogue());
    member(&app, "ana@city.eu").await; // one email of the budget: the registration's link
    app.forms.options.mail_limits = ccg_forms::decide::MailLimits { per_hour: 3, per_day: 3 };
    let mut answers = Vec::new();
    for _ in 0..4 {
        let r = handle(&app, post("/sign-in/", &[("email", "ana@city.eu")], None)).await;
        answers.push((r.status().as_u16(), r.headers()["location"].to_str().unwrap().to_string()));
    }
    // The same answer every time; emails only while the hour's budget lasts.
    assert!(answers.iter().all(|a| *a == (303, "/sign-in/sent/".to_string())), "{answers:?}");
    let sign_ins = mails_to(&app, "ana@city.eu").iter().filter(|m| m.subject.starts_with("Sign in")).count();
    assert_eq!(sign_ins, 2, "3 emails an hour, one of them the registration's");
}

/// A JSON post as passkey.js sends it, with the session cookie when given.
fn json_with_cookie(path: &str, body: &str, cookie: Option<&str>) -> Request<Bytes> {
    let mut r =
        http::Request::post(path).header("content-type", "application/json").header("user-agent", "Mozilla/5.0 (Macintosh; Mac OS X 14_0) Safari/605.1.15");
    if let Some(c) = cookie {
        r = r.header("cookie", format!("__Host-ccg_session={c}"));
    }
    r.body(Bytes::from(body.to_string())).unwrap()
}

/// Adds a passkey made by `key` to the person signed in with `cookie`, as the account page does.
async fn add_passkey<S: Store>(app: &App<S>, key: &mut crate::passkey::authenticator::Authenticator, cookie: &str) {
    let how = crate::passkey::authenticator::How { origin: ORIGIN.into(), ..Default::default() };
    let options = body_text(&handle(app, json_with_cookie("/account/passkeys/options", "{}", Some(cookie))).await);
    let made = handle(app, json_with_cookie("/account/passkeys", &key.create(&options, &how), Some(cookie))).await;
    assert_eq!(made.status(), 201, "{}", body_text(&made));
}

async fn a_passkey_step_up_is_a_new_session_that_may_decide<S: Store>(store: S) {
    use crate::passkey::authenticator::{Authenticator, How};
    let mut app = app(store, catalogue());
    let (id, _) = staff_and_a_counted_claim(&app).await;
    let how = How { origin: ORIGIN.into(), ..How::default() };
    let by_link = sign_in(&app, "desk@sec.eu", None).await;
    let mut key = Authenticator::new(7);
    add_passkey(&app, &mut key, &by_link).await;
    assert!(mails_to(&app, "desk@sec.eu").iter().any(|m| m.subject == "A passkey was added to your account"), "the owner is told");
    // A passkey added is not a passkey used: the link session still may not decide.
    let r = handle(&app, post("/desk/claims/decide", &[("claim", &id), ("action", "approve")], Some(&by_link))).await;
    assert_eq!(r.status(), 403);

    // The step up: a new secret, the link's session gone, the new one by passkey.
    let options = body_text(&handle(&app, json_with_cookie("/sign-in/passkey/options", "{}", Some(&by_link))).await);
    let answer = key.get(&options, &how);
    let r = handle(&app, json_with_cookie("/sign-in/passkey", &answer, Some(&by_link))).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert_eq!(body_json(&r)["location"], "/desk/");
    let stepped = cookie_of(&r).expect("a new cookie");
    assert_ne!(stepped, by_link);
    assert!(!signed_in(&app, &by_link).await, "the link's session ended with the step up");
    let (_, now) = app.forms.now();
    let s = app.forms.store.get_session(&ccg_functions::token::hash_secret(&stepped), now).await.unwrap().unwrap();
    assert_eq!((s.by, s.passkey_at.is_some(), s.device.as_str()), (ccg_functions::records::SignedInBy::Passkey, true, "Safari on macOS"));
    // The same answer again proves nothing (its challenge was taken).
    assert_eq!(handle(&app, json_with_cookie("/sign-in/passkey", &answer, None)).await.status(), 403);
    let r = handle(&app, post("/desk/claims/decide", &[("claim", &id), ("action", "approve")], Some(&stepped))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ccg_functions::records::ClaimStatus::Approved);

    // A step up with someone else's passkey is refused, and changes nothing.
    member(&app, "ana@city.eu").await;
    let ana = sign_in(&app, "ana@city.eu", None).await;
    let mut anas = Authenticator::new(9);
    add_passkey(&app, &mut anas, &ana).await;
    let options = body_text(&handle(&app, json_with_cookie("/sign-in/passkey/options", "{}", Some(&stepped))).await);
    let r = handle(&app, json_with_cookie("/sign-in/passkey", &anas.get(&options, &how), Some(&stepped))).await;
    assert_eq!(r.status(), 403, "{}", body_text(&r));
    assert!(r.headers().get("set-cookie").is_none());
    assert!(signed_in(&app, &stepped).await);

    // Ten minutes after the passkey, a decision asks for it again.
    let later = jiff::Timestamp::now().as_second() + 11 * 60;
    app.forms.options.clock = at(later);
    let r = handle(&app, post("/desk/claims/decide", &[("claim", &id), ("action", "reject"), ("reason", "late")], Some(&stepped))).await;
    assert_eq!(r.status(), 403);
    assert!(body_text(&r).contains("Use it again"), "{}", body_text(&r));
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ccg_functions::records::ClaimStatus::Approved);
    // Without a session, the changes are refused too.
    for path in ["/desk/claims/decide", "/account/sign-out-everywhere", "/account/passkeys/remove"] {
        assert_eq!(handle(&app, post(path, &[], None)).await.status(), 401, "{path}");
    }
}

async fn passkey_attempts_per_account_are_limited<S: Store>(store: S) {
    use crate::passkey::authenticator::Authenticator;
    let mut app = app(store, catalogue());
    member(&app, "ana@city.eu").await;
    member(&app, "bo@city.eu").await;
    let (mut ana, mut bo) = (Authenticator::new(11), Authenticator::new(12));
    add_passkey(&app, &mut ana, &sign_in(&app, "ana@city.eu", None).await).await;
    add_passkey(&app, &mut bo, &sign_in(&app, "bo@city.eu", None).await).await;
    app.forms.options.sign_in.passkey_attempts_per_hour = 2;
    // A wrong signature counts; the second, good one is within the hour's two; the third is refused, good as it is.
    assert_eq!(passkey_attempt(&app, &mut ana, true).await, 403);
    assert_eq!(passkey_attempt(&app, &mut ana, false).await, 200);
    assert_eq!(passkey_attempt(&app, &mut ana, false).await, 403, "over the hour's attempts: the same refusal as a wrong signature");
    // Another account is not held back.
    assert_eq!(passkey_attempt(&app, &mut bo, false).await, 200);
}

/// A passkey sign-in with `key` (its signature spoiled when `spoil`): the answer's status.
async fn passkey_attempt<S: Store>(app: &App<S>, key: &mut crate::passkey::authenticator::Authenticator, spoil: bool) -> u16 {
    let how = crate::passkey::authenticator::How { origin: ORIGIN.into(), tamper: spoil, ..Default::default() };
    let options = body_text(&handle(app, json_with_cookie("/sign-in/passkey/options", "{}", None)).await);
    handle(app, json_with_cookie("/sign-in/passkey", &key.get(&options, &how), None)).await.status().as_u16()
}

/// A staff member signed in by link, who adds a passkey made by `key` and steps up with it: the stepped-up cookie.
async fn staff_with_passkey<S: Store>(app: &App<S>, email: &str, key: &mut crate::passkey::authenticator::Authenticator) -> String {
    let how = crate::passkey::authenticator::How { origin: ORIGIN.into(), ..Default::default() };
    let by_link = sign_in(app, email, None).await;
    add_passkey(app, key, &by_link).await;
    let options = body_text(&handle(app, json_with_cookie("/sign-in/passkey/options", "{}", Some(&by_link))).await);
    let r = handle(app, json_with_cookie("/sign-in/passkey", &key.get(&options, &how), Some(&by_link))).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    cookie_of(&r).unwrap()
}

async fn the_desk_adds_and_removes_staff_with_a_passkey<S: Store>(store: S) {
    let app = app(store, catalogue());
    staff(&app, "sam@sec.eu").await;
    let by_link = sign_in(&app, "sam@sec.eu", None).await;
    let list = handle(&app, get("/desk/staff/", Some(&by_link))).await;
    assert_eq!(list.status(), 200);
    let text = body_text(&list);
    assert!(text.contains("Sam Staff, sam@sec.eu (you)"), "{text}");
    assert!(!text.contains(r#"value="sam@sec.eu""#), "no button to remove oneself");
    // Signed in by link: reading yes, changing no.
    let r = handle(&app, post("/desk/staff/add", &[("email", "bea@sec.eu"), ("name", "Bea")], Some(&by_link))).await;
    assert_eq!(r.status(), 403);
    assert!(app.forms.store.get_staff("bea@sec.eu").await.unwrap().is_none());

    let sam = staff_with_passkey(&app, "sam@sec.eu", &mut crate::passkey::authenticator::Authenticator::new(21)).await;
    let r = handle(&app, post("/desk/staff/add", &[("email", "not an address"), ("name", "Bea")], Some(&sam))).await;
    assert_eq!(r.status(), 422);
    assert!(body_text(&r).contains("Enter an email address like name@city.eu."));
    let r = handle(&app, post("/desk/staff/add", &[("email", "Bea@Sec.eu"), ("name", "Bea Ortiz")], Some(&sam))).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert!(body_text(&r).contains("Bea Ortiz can now sign in to the desk."));
    assert_eq!(app.forms.store.get_staff("bea@sec.eu").await.unwrap().unwrap().added_by, "Sam Staff (desk)");
    let r = handle(&app, post("/desk/staff/add", &[("email", "bea@sec.eu"), ("name", "Bea")], Some(&sam))).await;
    assert_eq!(r.status(), 422);
    assert!(body_text(&r).contains("This address is staff already."));
    // Bea signs in to the desk; removed, her session ends at once.
    let bea = sign_in(&app, "bea@sec.eu", None).await;
    assert_eq!(handle(&app, get("/desk/", Some(&bea))).await.status(), 200);
    let r = handle(&app, post("/desk/staff/remove", &[("email", "bea@sec.eu")], Some(&sam))).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert!(!signed_in(&app, &bea).await);
    assert_eq!(handle(&app, post("/desk/staff/remove", &[("email", "bea@sec.eu")], Some(&sam))).await.status(), 409);
    let history = app.forms.store.list_audit().await.unwrap();
    for action in ["staff.added", "staff.removed"] {
        assert!(history.iter().any(|e| e.action == action && e.subject == "bea@sec.eu" && e.actor == "Sam Staff (desk)"), "no {action} by the desk");
    }
}
