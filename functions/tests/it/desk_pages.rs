//! The secretariat's desk in the browser, through the real handler, on both
//! stores: the day's work from the first page to the payment, each change a
//! POST answered with a redirect to the record's page, which says what
//! changed and shows its history line; refusals that name their field and
//! change nothing; two staff deciding one claim at once (one wins, the other
//! is told); exports that are recorded; erasure that must be typed.

use crate::common::*;
use crate::signin::{get, member, post, sign_in};
use bytes::Bytes;
use ccg_functions::records::{AuditEntry, ClaimStatus, ContactStatus, Staff};
use ccg_functions::{App, Store, handle};

crate::roomy_cases!("desk"; the_secretariats_day_on_the_desk_pages, two_staff_deciding_one_claim_at_once, the_desk_refuses_what_it_must, invitations_from_the_meeting_page, a_suppressed_address_at_the_desk);

async fn add_staff<S: Store>(app: &App<S>, email: &str, name: &str) {
    let (now, _) = app.forms.now();
    let s = Staff { email_key: email.to_lowercase(), email: email.into(), name: name.into(), added_at: now, added_by: "test".into() };
    let audit = AuditEntry { at: now, actor: "test".into(), action: "staff.added".into(), subject: s.email_key.clone(), detail: String::new() };
    assert!(app.forms.store.add_staff(s, audit).await.unwrap());
}

/// A desk with `desk@sec.eu` signed in (the preview's relaxation lets a link session decide).
async fn desk<S: Store>(store: S) -> (App<S>, String) {
    let mut app = app(store, catalogue());
    app.forms.options.staff_link_may_decide = true;
    add_staff(&app, "desk@sec.eu", "Sam Staff").await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    (app, s)
}

/// A representative's counted claim for meeting `event`: its reference.
async fn counted<S: Store>(app: &App<S>, email: &str, event: &str) -> String {
    representative(app, email, "Valladolid", "ES").await;
    let mut c = claim(event, "300");
    c["email"] = email.into();
    let (status, claimed) = claim_confirmed(app, c).await;
    assert_eq!(status, 200, "{claimed}");
    claimed["reference"].as_str().unwrap().to_string()
}

fn location(r: &http::Response<Bytes>) -> String {
    r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_else(|| panic!("no redirect: {} {}", r.status(), body_text(r)))
}

async fn page<S: Store>(app: &App<S>, path: &str, s: &str) -> String {
    let r = handle(app, get(path, Some(s))).await;
    assert_eq!(r.status(), 200, "{path}: {}", body_text(&r));
    assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    body_text(&r)
}

async fn the_secretariats_day_on_the_desk_pages<S: Store>(store: S) {
    let (app, s) = desk(store).await;
    member(&app, "nina@valladolid.es").await;
    let first = counted(&app, "rep@valladolid.es", "e1").await;
    let second = counted(&app, "other@valladolid.es", "e2").await;

    // Today: the contact to approve (one SCC city: a button for it), the claims to decide, oldest first.
    let today = page(&app, "/desk/", &s).await;
    assert!(today.contains("Contacts to approve") && today.contains("Ana López"), "{today}");
    assert!(today.find(&first).unwrap() < today.find(&second).unwrap(), "oldest first");
    let person = ccg_functions::store::person_key("nina@valladolid.es");
    let approve = format!("/desk/people/{person}/approve");
    assert!(today.contains(&format!(r#"action="{approve}""#)), "{today}");
    assert!(!today.contains("nina@valladolid.es/"), "no address in the desk's addresses");

    // Approving from Today: a redirect to the person's page, which says so and shows the history line; the applicant is emailed.
    let r = handle(&app, post(&approve, &[("city", "ES:valladolid")], Some(&s))).await;
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert_eq!(back, format!("/desk/people/{person}/?done=approved"));
    let shown = page(&app, &back, &s).await;
    assert!(shown.contains("Approved: they are the representative"), "{shown}");
    assert!(shown.contains("contact.approved by Sam Staff (desk): representative of Valladolid (ES:valladolid)"), "{shown}");
    assert!(mails_to(&app, "nina@valladolid.es").iter().any(|m| m.subject == "You are approved as the representative of Valladolid"));
    let c = app.forms.store.get_contact("nina@valladolid.es").await.unwrap().unwrap();
    assert_eq!((c.status, c.city_key.as_deref()), (ContactStatus::Approved, Some("ES:valladolid")));

    // A claim: approve, then a payment below the amount asked needs its reason (the field is named, nothing changes).
    let r = handle(&app, post(&format!("/desk/claims/{first}/approve"), &[], Some(&s))).await;
    assert_eq!(location(&r), format!("/desk/claims/{first}/?done=approved"));
    let claim_page = page(&app, &location(&r), &s).await;
    assert!(claim_page.contains("Approved. The claimant was told by email") && claim_page.contains("claim.approved by Sam Staff (desk)"), "{claim_page}");
    let pay = format!("/desk/claims/{first}/pay");
    let r = handle(&app, post(&pay, &[("amount", "250.00"), ("on", "2027-01-05"), ("pay_reason", "")], Some(&s))).await;
    assert_eq!(r.status(), 422);
    let refused = body_text(&r);
    assert!(refused.contains(r#"id="pay-reason-error""#) && refused.contains("is less than the amount asked for (300 EUR): say why"), "{refused}");
    assert!(refused.contains(r#"value="250.00""#), "what was typed is kept");
    let id = app.forms.claim_id(&first).await.unwrap();
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ClaimStatus::Approved);
    let r = handle(&app, post(&pay, &[("amount", "250.00"), ("on", "2027-01-05"), ("pay_reason", "the train was cheaper")], Some(&s))).await;
    assert_eq!(location(&r), format!("/desk/claims/{first}/?done=paid"));
    let paid = app.forms.store.get_claim(&id).await.unwrap().unwrap();
    assert_eq!((paid.status, paid.paid.map(|c| c.0), paid.reason.as_deref()), (ClaimStatus::Paid, Some(25_000), Some("the train was cheaper")));
    let shown = page(&app, &location(&r), &s).await;
    assert!(shown.contains("claim.paid by Sam Staff (desk): 250.00 on 2027-01-05; reason: the train was cheaper"), "{shown}");

    // Reject the other, with its reason; without one it is refused.
    let reject = format!("/desk/claims/{second}/reject");
    assert_eq!(handle(&app, post(&reject, &[("reason", " "), ("seen", "counted")], Some(&s))).await.status(), 422);
    let r = handle(&app, post(&reject, &[("reason", "no meeting attended"), ("seen", "counted")], Some(&s))).await;
    assert_eq!(location(&r), format!("/desk/claims/{second}/?done=rejected"));
    assert!(mails_to(&app, "other@valladolid.es").iter().any(|m| m.text.contains("no meeting attended")));

    // Lists with filters: by status, and the city's usage with its chart.
    let rejected = page(&app, "/desk/claims/?status=rejected", &s).await;
    assert!(rejected.contains(&second) && !rejected.contains(&first), "{rejected}");
    let usage = page(&app, "/desk/usage/?year=2027", &s).await;
    assert!(usage.contains("<svg class=\"usage-chart\"") && usage.contains("Valladolid"), "{usage}");
    assert!(usage.contains("300 EUR"), "the paid claim still counts what it asked for: {usage}");
    let city = page(&app, "/desk/usage/ES:valladolid/?year=2027", &s).await;
    assert!(city.contains(&first) && city.contains(&second));

    // An export: the CSV, and its history line.
    let r = handle(&app, post("/desk/exports/claims.csv", &[], Some(&s))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"claims-"));
    let csv = body_text(&r);
    assert!(csv.starts_with("id,year,event,") && csv.contains("the train was cheaper"), "{csv}");
    let history = page(&app, "/desk/history/?what=export", &s).await;
    assert!(history.contains("export</strong> by Sam Staff (desk)") && !history.contains("claim.paid"), "{history}");

    // Erasing must be typed: a wrong address erases nothing; the right one does.
    let erase = format!("/desk/people/{person}/erase");
    let r = handle(&app, post(&erase, &[("confirm", "nina@valladolid.e")], Some(&s))).await;
    assert_eq!(r.status(), 422);
    assert!(app.forms.store.get_contact("nina@valladolid.es").await.unwrap().is_some());
    let r = handle(&app, post(&erase, &[("confirm", " Nina@Valladolid.es ")], Some(&s))).await;
    assert_eq!(location(&r), format!("/desk/people/{person}/?done=erased"));
    assert!(app.forms.store.get_contact("nina@valladolid.es").await.unwrap().is_none());
    assert!(page(&app, &location(&r), &s).await.contains("The person is erased"));
}

async fn two_staff_deciding_one_claim_at_once<S: Store>(store: S) {
    let (app, s) = desk(store).await;
    add_staff(&app, "bea@sec.eu", "Bea Staff").await;
    let b = sign_in(&app, "bea@sec.eu", None).await;
    let reference = counted(&app, "rep@valladolid.es", "e1").await;
    let id = app.forms.claim_id(&reference).await.unwrap();
    // Both saw it counted; one approves, the other rejects, at once.
    let approve = handle(&app, post(&format!("/desk/claims/{reference}/approve"), &[], Some(&s)));
    let reject = handle(&app, post(&format!("/desk/claims/{reference}/reject"), &[("reason", "duplicate"), ("seen", "counted")], Some(&b)));
    let (a, r) = tokio::join!(approve, reject);
    let statuses = [a.status().as_u16(), r.status().as_u16()];
    assert!(statuses == [303, 409] || statuses == [409, 303], "one wins, the other is told: {statuses:?}");
    let (loser, now) = if a.status() == 303 { (&r, ClaimStatus::Approved) } else { (&a, ClaimStatus::Rejected) };
    assert!(
        body_text(loser).contains(&format!("This claim changed meanwhile: it is {} now, so your decision was not applied", now.as_str())),
        "{}",
        body_text(loser)
    );
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, now);
    let decisions = app.forms.history_of(&id).await.unwrap().into_iter().filter(|e| e.action == "claim.approved" || e.action == "claim.rejected").count();
    assert_eq!(decisions, 1, "nothing is applied twice");
    // The same decision sent again (a double click) changes nothing either.
    let again = handle(&app, post(&format!("/desk/claims/{reference}/approve"), &[], Some(&s))).await;
    assert_eq!(again.status(), 409);
}

async fn the_desk_refuses_what_it_must<S: Store>(store: S) {
    let (app, s) = desk(store).await;
    let reference = counted(&app, "rep@valladolid.es", "e1").await;
    // Members and strangers: no desk.
    member(&app, "ana@city.eu").await;
    let m = sign_in(&app, "ana@city.eu", None).await;
    for path in ["/desk/", "/desk/people/", "/desk/claims/", "/desk/history/", &format!("/desk/claims/{reference}/")] {
        assert_eq!(handle(&app, get(path, Some(&m))).await.status(), 403, "{path}");
        assert_eq!(handle(&app, get(path, None)).await.status(), 303, "{path}: to the sign-in page");
    }
    // Changes are POSTs only, and pages are not.
    assert_eq!(handle(&app, get(&format!("/desk/claims/{reference}/approve"), Some(&s))).await.status(), 405);
    assert_eq!(handle(&app, get("/desk/exports/claims.csv", Some(&s))).await.status(), 405);
    assert_eq!(handle(&app, post("/desk/claims/", &[], Some(&s))).await.status(), 405);
    // From another site: refused, nothing changed.
    let mut foreign = post(&format!("/desk/claims/{reference}/approve"), &[], Some(&s));
    foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(handle(&app, foreign).await.status(), 403);
    let id = app.forms.claim_id(&reference).await.unwrap();
    assert_eq!(app.forms.store.get_claim(&id).await.unwrap().unwrap().status, ClaimStatus::Counted);
    // Unknown records and addresses.
    assert_eq!(handle(&app, get("/desk/claims/CCG-1999-0001/", Some(&s))).await.status(), 404);
    assert_eq!(handle(&app, get("/desk/people/lv_0000/", Some(&s))).await.status(), 404);
    assert_eq!(handle(&app, get("/desk/nowhere/", Some(&s))).await.status(), 404);
    // A payment of a claim not approved yet is refused for its state.
    let r = handle(&app, post(&format!("/desk/claims/{reference}/pay"), &[("amount", "10"), ("on", "2027-01-05")], Some(&s))).await;
    assert_eq!(r.status(), 409, "{}", body_text(&r));
}

/// A meeting's invitations from its desk page: the button sends a batch and
/// comes back with the progress; the list, the counts, the CSV, the history.
async fn invitations_from_the_meeting_page<S: Store>(store: S) {
    let (app, s) = desk(store).await;
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let before = page(&app, "/desk/meetings/e1/", &s).await;
    assert!(before.contains("Send invitations</button>") && before.contains("0 sent, 0 queued, of 0"), "{before}");
    assert_eq!(handle(&app, get("/desk/meetings/e1/invite", Some(&s))).await.status(), 405);
    let mut foreign = post("/desk/meetings/e1/invite", &[], Some(&s));
    foreign.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(handle(&app, foreign).await.status(), 403);
    assert!(mails_to(&app, "ana@valladolid.es").iter().all(|m| !m.subject.starts_with("Invitation:")), "a refused POST sends nothing");

    let r = handle(&app, post("/desk/meetings/e1/invite", &[], Some(&s))).await;
    assert_eq!(location(&r), "/desk/meetings/e1/?done=invited");
    let after = page(&app, "/desk/meetings/e1/?done=invited", &s).await;
    assert!(after.contains("Sent. 1 of 1 sent") && after.contains("1 sent, 0 queued, of 1") && after.contains("none yet"), "{after}");
    assert_eq!(mails_to(&app, "ana@valladolid.es").iter().filter(|m| m.subject.starts_with("Invitation:")).count(), 1);
    // Pressed again: nothing more is owed, nothing more sent.
    handle(&app, post("/desk/meetings/e1/invite", &[], Some(&s))).await;
    assert_eq!(mails_to(&app, "ana@valladolid.es").iter().filter(|m| m.subject.starts_with("Invitation:")).count(), 1);

    let r = handle(&app, post("/desk/meetings/e1/invitations.csv", &[], Some(&s))).await;
    assert_eq!(r.status(), 200);
    let csv = body_text(&r);
    assert!(csv.starts_with("name,email,city,") && csv.contains("ana@valladolid.es"), "{csv}");
    let history = page(&app, "/desk/history/", &s).await;
    assert!(history.contains("1 invitation sent (sequence 0)"), "{history}");
}

/// An address that bounced for good: Today lists it, the person's page says
/// so, and the desk's own emails (an approval's notice) skip it.
async fn a_suppressed_address_at_the_desk<S: Store>(store: S) {
    use ccg_forms::decide::suppression::Event;
    use ccg_functions::mail::events::SesEvent;
    let (app, s) = desk(store).await;
    member(&app, "nina@valladolid.es").await;
    let person = ccg_functions::store::person_key("nina@valladolid.es");
    let today = page(&app, "/desk/", &s).await;
    assert!(!today.contains("Emails that bounced"), "{today}");
    let bounce = SesEvent {
        kind: Event::Bounce { permanent: true },
        recipients: vec!["Nina@Valladolid.es".into()],
        at: app.forms.now().0,
        detail: "Permanent/General".into(),
    };
    let metrics = ccg_functions::metrics::Metrics::default();
    assert_eq!(ccg_functions::service::mail::record_event(&app.forms.store, &metrics, &bounce).await.unwrap().suppressed, 1);

    let today = page(&app, "/desk/", &s).await;
    assert!(today.contains("Emails that bounced or were reported"), "{today}");
    assert!(today.contains(&format!(r#"href="/desk/people/{person}/""#)), "{today}");
    let listed = &today[today.find("Emails that bounced").unwrap()..today.find("Contacts to approve").unwrap()];
    assert!(listed.contains("bounced on") && !listed.to_lowercase().contains("nina"), "no address in the list: {listed}");
    let page_of = page(&app, &format!("/desk/people/{person}/"), &s).await;
    assert!(page_of.contains("Emails to this address bounced on") && page_of.contains("none are sent to it any more"), "{page_of}");

    let sent = mails_to(&app, "nina@valladolid.es").len();
    let r = handle(&app, post(&format!("/desk/people/{person}/approve"), &[("city", "ES:valladolid")], Some(&s))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    assert_eq!(mails_to(&app, "nina@valladolid.es").len(), sent, "the approval's notice is not sent");
    let skipped = ccg_functions::metrics::Metric::MailSuppressed(ccg_functions::metrics::Suppressed::Bounce);
    assert_eq!(app.forms.metrics.get(skipped), 1);
}
