//! The members' directory on both stores: only contacts who opted in,
//! confirmed or approved (never the declined), a page at a time in the order
//! they joined, narrowed by city and country as the desk's lists are; the
//! opt-in follows the details a confirmed change sends, and a member's own
//! change of it is one conditional write with its history line.

use crate::common::*;
use ccg_functions::records::{Contact, ContactStatus};
use ccg_functions::store::lists::{self, ContactQuery};
use ccg_functions::{App, Form, Store, handle};

async fn joins<S: Store>(app: &App<S>, email: &str, city: &str, country: &str, listed: bool) {
    let mut r = registration(email);
    r["city"] = city.into();
    r["country"] = country.into();
    r["listed"] = if listed { "yes" } else { "" }.into();
    assert_eq!(handle(app, json_post("/api/register", r)).await.status(), 202);
    let done = handle(app, confirm_post(Form::Register, &last_token(app, email).unwrap(), true)).await;
    assert_eq!(done.status(), 200);
}

async fn every<S: Store>(app: &App<S>) -> Vec<Contact> {
    app.forms.store.list_contacts().await.unwrap()
}

pub(super) async fn the_directory_lists_only_the_opted_in_members<S: Store>(store: S) {
    let app = app(store, catalogue());
    for i in 0..7 {
        let (city, country) = if i % 2 == 0 { ("Valladolid", "ES") } else { ("Köln", "DE") };
        joins(&app, &format!("m{i}@city.eu"), city, country, i != 3).await;
    }
    app.forms.decline("m5@city.eu", "test desk", None).await.unwrap();
    app.forms.approve("m6@city.eu", "Valladolid", Some("ES"), "test desk").await.unwrap();
    // Every page, two at a time, is what `page_of` answers over every record.
    for q in [
        ContactQuery { directory: true, ..ContactQuery::default() },
        ContactQuery { directory: true, country: Some("de".into()), ..ContactQuery::default() },
        ContactQuery { directory: true, city: Some("valladolid".into()), ..ContactQuery::default() },
        ContactQuery { directory: true, city: Some("ES:valladolid".into()), ..ContactQuery::default() },
    ] {
        let mut cursor: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let page = app.forms.store.contacts_page(&q, cursor.as_deref(), 2).await.unwrap();
            let expected = lists::page_of(every(&app).await, |c| q.admits(c), lists::contact_rank, q.order, cursor.as_deref(), 2);
            assert_eq!(page, expected, "{q:?} after {cursor:?}");
            seen.extend(page.items.into_iter().map(|c| c.details.email_key));
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        assert!(!seen.contains(&"m3@city.eu".to_string()) && !seen.contains(&"m5@city.eu".to_string()), "{q:?}: {seen:?}");
        if q.country.is_none() && q.city.is_none() {
            assert_eq!(seen, ["m0@city.eu", "m1@city.eu", "m2@city.eu", "m4@city.eu", "m6@city.eu"]);
        }
    }
    let declined = app.forms.store.get_contact("m5@city.eu").await.unwrap().unwrap();
    assert!(declined.details.listed && declined.status == ContactStatus::Declined, "listed, declined, and out of the directory");

    // A confirmed change of details carries the opt-in as sent: unticked, out of the directory.
    joins(&app, "m0@city.eu", "Valladolid", "ES", false).await;
    let c = app.forms.store.get_contact("m0@city.eu").await.unwrap().unwrap();
    assert_eq!((c.details.listed, c.version), (false, 2));
    // From their page: one write, its line in the history; the same again changes nothing.
    let listed = app.forms.set_listed("m0@city.eu", true).await.unwrap().unwrap();
    assert_eq!((listed.details.listed, listed.version), (true, 3));
    assert_eq!(app.forms.set_listed("m0@city.eu", true).await.unwrap().unwrap().version, 3);
    let stored = app.forms.store.get_contact("m0@city.eu").await.unwrap().unwrap();
    assert_eq!(stored, listed);
    let lines = app.forms.history_of("m0@city.eu").await.unwrap();
    assert_eq!(lines.iter().filter(|l| l.action == "contact.listed").count(), 1, "{lines:?}");
    assert!(app.forms.set_listed("nobody@city.eu", true).await.unwrap().is_none());
    let q = ContactQuery { directory: true, ..ContactQuery::default() };
    let page = app.forms.store.contacts_page(&q, None, 50).await.unwrap();
    assert_eq!(page.items.first().map(|c| c.details.email_key.as_str()), Some("m0@city.eu"));
}
