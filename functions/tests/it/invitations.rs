//! Invitations to meetings on both stores (`sqlite::…`, `dynamo::…`): a round
//! to 500 members with a crash halfway, then an update and a cancellation,
//! each exactly once per person; the `.ics` carries the feed's UID and
//! SEQUENCE; capacity and the waiting list; the answer and unsubscribe links.
//!
//! The mailer is the preview's outbox (one file per `Email.id`), with a crash
//! injected: "exactly once" is one outbox file per person and round, and at
//! most one re-delivery handed over per crash.

use crate::common::*;
use bytes::Bytes;
use ccg_forms::decide::invitation::{Answer, Standing};
use ccg_functions::mail::outbox::{self, Outbox};
use ccg_functions::mail::{Email, MailError, Mailer, SendFuture};
use ccg_functions::records::{Contact, ContactStatus, Registration};
use ccg_functions::service::{Clock, Forms};
use ccg_functions::store::Store;
use ccg_functions::store::invitations::SENDING_LEASE_SECS;
use ccg_functions::{App, handle};
use ccg_model::{Catalogue, SiteConfig};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The preview's outbox (one file per message id), which fails once, after a
/// given delivery: the message is written but the send reported failed, as a
/// crash between the send and its "sent" mark. Counts every delivery handed over.
struct Recorder {
    outbox: Outbox,
    handed: AtomicUsize,
    crash_after: AtomicUsize,
}

impl Recorder {
    fn new() -> Arc<Recorder> {
        Arc::new(Recorder { outbox: Outbox::new(temp_dir("inv-outbox")), handed: AtomicUsize::new(0), crash_after: AtomicUsize::new(usize::MAX) })
    }
    /// Every file in the outbox.
    fn kept(&self) -> Vec<Email> {
        outbox::read_all(self.outbox.dir()).unwrap_or_default().into_iter().map(|m| m.email).collect()
    }
    fn to(&self, to: &str) -> Vec<Email> {
        self.kept().into_iter().filter(|e| e.to == to).collect()
    }
}

impl Mailer for Recorder {
    fn send<'a>(&'a self, email: &'a Email) -> SendFuture<'a> {
        Box::pin(async move {
            let n = self.handed.fetch_add(1, Ordering::SeqCst);
            self.outbox.send(email).await?;
            if n + 1 == self.crash_after.load(Ordering::SeqCst) {
                return Err(MailError::NotSent("crashed after sending".into()));
            }
            Ok(())
        })
    }
}

fn site() -> SiteConfig {
    let mut s = ccg_functions::embedded::site().unwrap();
    s.invitations.per_second = 100_000;
    s.invitations.batch = 50;
    s
}

fn cat(extra: &str) -> Catalogue {
    catalogue_edited(1, None, false, |id, md| (id == "e1").then(|| md.replace("announced:", &format!("{extra}announced:"))))
}

fn forms<S: Store>(store: S, mailer: Arc<Recorder>, c: Catalogue, at: i64) -> Forms<S> {
    let mut o = options();
    o.clock = Clock::Fixed(jiff::Timestamp::from_second(at).unwrap());
    o.site = Some(Arc::new(site()));
    Forms::new(store, mailer, c, o)
}

fn contact(i: usize, status: ContactStatus) -> Contact {
    let email = format!("member{i}@city{i}.example.eu");
    let now = jiff::Timestamp::from_second(1_790_000_000).unwrap();
    Contact {
        details: Registration {
            email_key: email.clone(),
            name: format!("Member {i}"),
            email,
            city: "Valladolid".into(),
            country: "ES".into(),
            organisation: "City".into(),
            position: "Officer".into(),
            city_status: "lighthouse".into(),
            project: None,
            listed: false,
        },
        status,
        city_key: (status == ContactStatus::Approved).then(|| "ES:valladolid".to_string()),
        created_at: now,
        updated_at: now,
        version: 1,
        expires_at: None,
    }
}

/// Each case on a fresh SQLite file and on a fresh DynamoDB Local table, with `contacts` written first.
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = crate::common::sqlite_store(stringify!($case));
                    let people = super::$case::people();
                    store.put_records(Vec::new(), people, Vec::new(), Vec::new()).await.unwrap();
                    Box::pin(super::$case::run(store)).await;
                }
            )*
        }
        #[cfg(feature = "dynamodb")]
        mod dynamo {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = crate::common::DynamoLocal::shared().await.store(concat!("ccg-inv-", stringify!($case))).await;
                    store.put_records(&[], &super::$case::people(), &[], &[]).await.unwrap();
                    Box::pin(super::$case::run(store)).await;
                }
            )*
        }
    };
}

cases!(a_round_of_500_with_a_crash, capacity_and_links);

const T0: i64 = 1_800_000_000;

/// Per recipient, the kept messages whose subject starts with `prefix`.
fn per_person(r: &Recorder, prefix: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for e in r.kept().into_iter().filter(|e| e.subject.starts_with(prefix)) {
        *m.entry(e.to).or_default() += 1;
    }
    m
}

fn ics(e: &Email) -> String {
    let a = e.attachments.iter().find(|a| a.filename == "invite.ics").expect("an invite.ics");
    String::from_utf8(a.body.clone()).unwrap()
}

mod a_round_of_500_with_a_crash {
    use super::*;

    pub fn people() -> Vec<Contact> {
        (0..500).map(|i| contact(i, ContactStatus::Approved)).collect()
    }

    pub async fn run<S: Store + Clone>(store: S) {
        let site = site();
        let rec = Recorder::new();
        rec.crash_after.store(250, Ordering::SeqCst);
        let f = forms(store.clone(), rec.clone(), cat(""), T0);
        let crashed = f.invite_all(&site, "e1", |_| {}).await;
        assert!(crashed.is_err(), "the mailer failed after its 250th delivery");
        let before = rec.kept().len();
        assert!((250..500).contains(&before), "{before} delivered before the crash (the rest of its group goes on)");

        // A fresh service resumes once the lease of the crashed send is over.
        rec.crash_after.store(usize::MAX, Ordering::SeqCst);
        let f = forms(store.clone(), rec.clone(), cat(""), T0 + SENDING_LEASE_SECS + 1);
        let mut steps = 0;
        let done = f.invite_all(&site, "e1", |_| steps += 1).await.unwrap();
        assert_eq!((done.progress.sent, done.progress.total, done.progress.left()), (500, 500, 0));
        assert!(steps >= 5, "batches of 50: {steps} steps");
        let inv = per_person(&rec, "Invitation:");
        assert_eq!(inv.len(), 500);
        assert!(inv.values().all(|n| *n == 1), "one invitation each");
        assert!(rec.handed.load(Ordering::SeqCst) <= 501, "at most the crashed one handed over twice");
        // Nothing more is owed: running again sends nothing.
        assert_eq!(f.invite_all(&site, "e1", |_| {}).await.unwrap().sent_now, 0);
        let first = rec.to("member7@city7.example.eu").remove(0);
        let cal = ics(&first);
        assert!(cal.contains("METHOD:REQUEST") && cal.contains("UID:e1@ccg.scalable-cities.eu") && cal.contains("SEQUENCE:0"), "{cal}");
        assert!(first.headers.iter().any(|(k, v)| k == "List-Unsubscribe" && v.contains("/api/invitations/unsubscribe?token=inv_")));
        assert!(first.headers.iter().any(|(k, v)| k == "List-Unsubscribe-Post" && v == "List-Unsubscribe=One-Click"));
        assert!(first.text.contains("an approved representative of Valladolid"), "{}", first.text);
        assert!(first.text.contains("/calendar/e1/"));

        // Moved: an update each, saying what changed.
        let moved = cat("sequence: 1\n");
        let moved = {
            let _ = moved;
            catalogue_edited(1, None, false, |id, md| {
                (id == "e1")
                    .then(|| md.replace("2027-03-16", "2027-03-18").replace("2027-03-17", "2027-03-19").replace("announced:", "sequence: 1\nannounced:"))
            })
        };
        let f = forms(store.clone(), rec.clone(), moved, T0 + 1000);
        f.invite_all(&site, "e1", |_| {}).await.unwrap();
        let upd = per_person(&rec, "Changed:");
        assert_eq!((upd.len(), upd.values().all(|n| *n == 1)), (500, true));
        let u = rec.to("member7@city7.example.eu").into_iter().find(|e| e.subject.starts_with("Changed:")).unwrap();
        assert!(u.text.contains("The date is now") && u.text.contains("(it was"), "{}", u.text);
        assert!(ics(&u).contains("SEQUENCE:1"));

        // Cancelled: a cancellation each.
        let cancelled = catalogue_edited(1, None, false, |id, md| {
            (id == "e1").then(|| {
                md.replace("2027-03-16", "2027-03-18").replace("2027-03-17", "2027-03-19").replace("announced:", "sequence: 2\nstatus: cancelled\nannounced:")
            })
        });
        let f = forms(store.clone(), rec.clone(), cancelled, T0 + 2000);
        f.invite_all(&site, "e1", |_| {}).await.unwrap();
        let can = per_person(&rec, "Cancelled:");
        assert_eq!((can.len(), can.values().all(|n| *n == 1)), (500, true));
        let c = rec.to("member7@city7.example.eu").into_iter().find(|e| e.subject.starts_with("Cancelled:")).unwrap();
        let cal = ics(&c);
        assert!(cal.contains("METHOD:CANCEL") && cal.contains("STATUS:CANCELLED") && cal.contains("SEQUENCE:2") && cal.contains("UID:e1@"), "{cal}");
        assert_eq!(rec.kept().len(), 1500);
    }
}

mod capacity_and_links {
    use super::*;

    pub fn people() -> Vec<Contact> {
        let mut v: Vec<Contact> = (0..23).map(|i| contact(i, ContactStatus::Approved)).collect();
        v.push(contact(99, ContactStatus::Confirmed));
        v
    }

    fn get(path: &str) -> http::Request<Bytes> {
        http::Request::get(path).body(Bytes::new()).unwrap()
    }

    fn link_in(text: &str, what: &str) -> String {
        let at = text.find(what).unwrap();
        let rest = &text[at..];
        rest[rest.find("https://").unwrap()..].lines().next().unwrap().to_string()
    }

    pub async fn run<S: Store + Clone>(store: S) {
        let site = site();
        let rec = Recorder::new();
        let f = forms(store.clone(), rec.clone(), cat("capacity: 20\n"), T0);
        // One unsubscribes before the round (through the one-click link of an earlier email is below; here directly).
        f.store.set_unsubscribed("member22@city22.example.eu", true).await.unwrap();
        f.invite_all(&site, "e1", |_| {}).await.unwrap();
        assert_eq!(rec.kept().len(), 22, "approved representatives only, minus the unsubscribed");
        assert!(rec.to("member99@city99.example.eu").is_empty(), "a confirmed contact is not invited by default");

        for i in 0..20 {
            let a = f.answer_invitation(&site, "e1", &format!("member{i}@city{i}.example.eu"), Answer::Attend).await.unwrap();
            assert_eq!(a.standing, Standing::Going);
        }
        let again = f.answer_invitation(&site, "e1", "member3@city3.example.eu", Answer::Attend).await.unwrap();
        assert!(!again.changed, "the same answer twice changes nothing");
        let app = App::new(f, settings());

        // The 21st answers through the link in their email, without signing in.
        let mail = rec.to("member20@city20.example.eu").remove(0);
        let attend = link_in(&mail.text, "I will attend:");
        let path = attend.strip_prefix(ORIGIN).unwrap();
        let page = handle(&app, get(path)).await;
        assert_eq!(page.status(), 200);
        assert!(body_text(&page).contains("I will attend</button>"));
        let (_, answers) = app.forms.store.list_answers("e1").await.unwrap();
        assert_eq!(answers.going, 20, "opening the link changes nothing");
        let token = path.split("token=").nth(1).unwrap().split('&').next().unwrap().to_string();
        let posted = handle(&app, form_post("/api/invitations/answer", &[("token", &token), ("answer", "attend")])).await;
        assert_eq!(posted.status(), 200);
        assert!(body_text(&posted).contains("number 1 on its waiting list"), "{}", body_text(&posted));
        let forged = format!("{}x", &token[..token.len() - 1]);
        let bad = handle(&app, form_post("/api/invitations/answer", &[("token", &forged), ("answer", "attend")])).await;
        assert_eq!(bad.status(), 410);

        // A going person withdraws: the first waiting moves up and is told.
        let w = app.forms.answer_invitation(&site, "e1", "member5@city5.example.eu", Answer::Decline).await.unwrap();
        assert_eq!(w.promoted.as_deref(), Some("member20@city20.example.eu"));
        assert!(rec.to("member20@city20.example.eu").iter().any(|e| e.subject.starts_with("You have a place")));
        assert_eq!(app.forms.store.get_answer("e1", "member20@city20.example.eu").await.unwrap().unwrap().standing, Standing::Going);

        // One-click unsubscribe: the mail provider's POST (no Origin) works; another site's does not.
        let mail = rec.to("member21@city21.example.eu").remove(0);
        let unsub = mail.headers.iter().find(|(k, _)| k == "List-Unsubscribe").unwrap().1.trim_matches(['<', '>']).to_string();
        let path = unsub.strip_prefix(ORIGIN).unwrap().to_string();
        let one_click = || http::Request::post(path.as_str()).header("content-type", "application/x-www-form-urlencoded");
        let foreign = handle(&app, one_click().header("origin", "https://evil.example").body(Bytes::from_static(b"List-Unsubscribe=One-Click")).unwrap()).await;
        assert_eq!(foreign.status(), 403);
        let ok = handle(&app, one_click().body(Bytes::from_static(b"List-Unsubscribe=One-Click")).unwrap()).await;
        assert_eq!(ok.status(), 200);
        assert!(app.forms.store.list_unsubscribed().await.unwrap().contains(&"member21@city21.example.eu".to_string()));

        // The meeting moves: the unsubscribed get no update.
        app.forms.set_catalogue(cat("capacity: 20\nsequence: 1\nsummary: Moved\n"));
        app.forms.invite_all(&site, "e1", |_| {}).await.unwrap();
        assert_eq!(per_person(&rec, "Changed:").len(), 21);
        assert!(rec.to("member21@city21.example.eu").iter().all(|e| !e.subject.starts_with("Changed:")));

        // The members' area sees its invitations and answers.
        let mine = ccg_functions::http::invitations::member_invitations(&app.forms, "member20@city20.example.eu").await.unwrap();
        assert_eq!((mine.len(), mine[0].standing), (1, Some("going")));

        // Erasure takes a person's invitations, answer and place with them.
        let going = app.forms.store.list_answers("e1").await.unwrap().1.going;
        let audit = ccg_functions::records::AuditEntry {
            at: jiff::Timestamp::from_second(T0).unwrap(),
            actor: "test".into(),
            action: "erase".into(),
            subject: "someone".into(),
            detail: String::new(),
        };
        app.forms.store.erase("member20@city20.example.eu", audit).await.unwrap();
        assert!(app.forms.store.get_answer("e1", "member20@city20.example.eu").await.unwrap().is_none());
        assert!(app.forms.store.list_sends("e1").await.unwrap().iter().all(|s| s.email_key != "member20@city20.example.eu"));
        assert_eq!(app.forms.store.list_answers("e1").await.unwrap().1.going, going - 1);
    }
}
