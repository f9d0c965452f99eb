//! Issue 22: addresses that bounced for good or complained get no more
//! email, on both stores: kept under a keyed hash with one history line,
//! read before every send, listed newest first for the desk.

use crate::common::*;
use ccg_forms::decide::suppression::{Event, Reason};
use ccg_functions::Store;
use ccg_functions::handle;
use ccg_functions::mail::events::SesEvent;
use ccg_functions::metrics::{Metric, Metrics, Suppressed};
use ccg_functions::service::mail::{Recorded, record_event};

const REG: &str = "/api/register";

fn event(kind: Event, to: &str, at: &str, detail: &str) -> SesEvent {
    SesEvent { kind, recipients: vec![to.to_string()], at: at.parse().unwrap(), detail: detail.into() }
}

pub(super) async fn suppressed_addresses_get_no_email<S: Store>(store: S) {
    let app = app(store, catalogue());
    let metrics = Metrics::default();
    let joined = handle(&app, json_post(REG, registration("ana.lopez@valladolid.es"))).await;
    assert_eq!(joined.status(), 202, "{}", body_text(&joined));
    let confirmed = handle(&app, confirm_post(ccg_functions::Form::Register, &last_token(&app, "ana.lopez@valladolid.es").unwrap(), true)).await;
    assert_eq!(confirmed.status(), 200, "a contact now");
    let mails = mails_to(&app, "ana.lopez@valladolid.es").len();

    // A hard bounce suppresses the address (as SES spelled it), once, with one history line naming no address.
    let bounce = event(Event::Bounce { permanent: true }, "Ana.Lopez@Valladolid.es", "2027-01-10T10:00:01Z", "Permanent/General");
    assert_eq!(record_event(&app.forms.store, &metrics, &bounce).await.unwrap(), Recorded { suppressed: 1, already: 0 });
    let again = event(Event::Bounce { permanent: true }, "ana.lopez@valladolid.es", "2027-01-11T10:00:00Z", "Permanent/General");
    assert_eq!(record_event(&app.forms.store, &metrics, &again).await.unwrap(), Recorded { suppressed: 0, already: 1 });
    let kept = app.forms.store.suppression("ana.lopez@valladolid.es").await.unwrap().expect("suppressed");
    assert_eq!((kept.reason, kept.at.to_string().as_str()), (Reason::Bounce, "2027-01-10T10:00:01Z"), "the first stays");
    assert_eq!(kept.person.as_deref(), Some(ccg_functions::store::person_key("ana.lopez@valladolid.es").as_str()), "a contact's: the desk links to her");
    let lines: Vec<_> = app.forms.store.list_audit().await.unwrap().into_iter().filter(|a| a.action.starts_with("email.suppressed")).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].action.as_str(), lines[0].actor.as_str(), lines[0].detail.as_str()), ("email.suppressed.bounce", "ses", "Permanent/General"));
    assert_eq!(lines[0].subject, "ana.lopez@valladolid.es", "in her history, as every line about her");

    // Joining again answers the same, and no email goes.
    let rejoined = handle(&app, json_post(REG, registration("ana.lopez@valladolid.es"))).await;
    assert_eq!((rejoined.status(), body_text(&rejoined)), (joined.status(), body_text(&joined)));
    assert_eq!(mails_to(&app, "ana.lopez@valladolid.es").len(), mails);
    assert_eq!(app.forms.metrics.get(Metric::MailSuppressed(Suppressed::Bounce)), 1);

    // A soft bounce suppresses nothing; a complaint does.
    let soft = event(Event::Bounce { permanent: false }, "bob@example.org", "2027-01-10T11:00:00Z", "Transient/MailboxFull");
    assert_eq!(record_event(&app.forms.store, &metrics, &soft).await.unwrap(), Recorded::default());
    assert_eq!(app.forms.store.suppression("bob@example.org").await.unwrap(), None);
    assert_eq!(handle(&app, json_post(REG, registration("bob@example.org"))).await.status(), 202);
    assert_eq!(mails_to(&app, "bob@example.org").len(), 1);
    let complaint = event(Event::Complaint, "eva@example.org", "2027-01-12T09:30:00Z", "abuse");
    assert_eq!(record_event(&app.forms.store, &metrics, &complaint).await.unwrap().suppressed, 1);
    let eva = app.forms.store.suppression("eva@example.org").await.unwrap().unwrap();
    assert_eq!((eva.reason, eva.person), (Reason::Complaint, None), "no contact's: no unkeyed hash of the address is kept");
    let line = app.forms.store.list_audit().await.unwrap().into_iter().find(|a| a.action == "email.suppressed.complaint").unwrap();
    assert_eq!(line.subject, ccg_functions::service::mail::STRANGER);
    assert_eq!(metrics.get(Metric::MailEvent(ccg_functions::metrics::MailEvent::HardBounce)), 2);
    assert_eq!(metrics.get(Metric::MailEvent(ccg_functions::metrics::MailEvent::SoftBounce)), 1);

    // Through the function's edge, as SNS delivers it: a complaint and a message that does not read.
    let complaint = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"dan@example.org"}],"timestamp":"2027-01-12T10:00:00.000Z","complaintFeedbackType":"abuse"},"mail":{"timestamp":"2027-01-12T09:00:00.000Z","source":"ccg@example.eu","destination":["dan@example.org"]}}"#;
    let sns = serde_json::json!({"Records": [
        {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "TopicArn": "arn:aws:sns:eu-central-1:123456789012:ccg-mail-events", "Message": complaint}},
        {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": "{}"}},
    ]});
    let h = ccg_functions::mail_events::handle(&app.forms.store, &metrics, &sns).await.unwrap();
    assert_eq!((h.events, h.suppressed, h.already, h.unreadable), (1, 1, 0, 1));
    assert_eq!(metrics.get(Metric::UnexpectedError(ccg_functions::metrics::Unexpected::BadEvent)), 1);
    assert_eq!(app.forms.store.suppression("dan@example.org").await.unwrap().map(|s| s.reason), Some(Reason::Complaint));

    // The desk's newest first.
    let recent = app.forms.store.recent_suppressions(10).await.unwrap();
    assert_eq!(recent.iter().map(|s| s.reason).collect::<Vec<_>>(), [Reason::Complaint, Reason::Complaint, Reason::Bounce]);
    assert_eq!(recent[2].person, kept.person);
    assert_eq!(app.forms.store.recent_suppressions(1).await.unwrap().len(), 1);

    // Erased at the desk: still suppressed (the address still bounces), no longer hers.
    app.forms.erase("ana.lopez@valladolid.es", "desk@sec.eu").await.unwrap();
    let after = app.forms.store.suppression("ana.lopez@valladolid.es").await.unwrap().expect("still suppressed");
    assert_eq!((after.reason, after.person), (Reason::Bounce, None));

    // Lifted at its owner's request: emails go again, once; a second lift changes nothing.
    assert!(matches!(app.forms.lift_suppression("eva@example.org", " ").await, Err(ccg_functions::service::desk::DeskError::NoOperator)));
    assert!(app.forms.lift_suppression("Eva@Example.org", "desk@sec.eu").await.unwrap());
    assert_eq!(app.forms.store.suppression("eva@example.org").await.unwrap(), None);
    assert!(!app.forms.lift_suppression("eva@example.org", "desk@sec.eu").await.unwrap());
    let lifted: Vec<_> = app.forms.store.list_audit().await.unwrap().into_iter().filter(|a| a.action == "email.suppression.lifted").collect();
    assert_eq!(lifted.len(), 1);
    assert_eq!((lifted[0].subject.as_str(), lifted[0].actor.as_str()), (ccg_functions::service::mail::STRANGER, "desk@sec.eu"));
    assert_eq!(handle(&app, json_post(REG, registration("eva@example.org"))).await.status(), 202);
    assert_eq!(mails_to(&app, "eva@example.org").len(), 1);
    assert_eq!(app.forms.store.recent_suppressions(10).await.unwrap().len(), 2);
}
