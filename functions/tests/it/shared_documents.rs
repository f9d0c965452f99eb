//! The members' repository on both stores, through the service and the real
//! handler: documents added, replaced and removed with their history lines,
//! a replacement or removal refused on a stale version, lists newest first
//! filtered by meeting and year a page at a time, a file judged by its
//! content (a text renamed .pdf is refused); a member lists and downloads,
//! a signed-out request gets the sign-in page and never a byte; staff add
//! and replace from the desk's pages with the file sent to the bucket (the
//! preview's, and S3 on moto's server with DynamoDB Local), never through
//! the desk; uploads never added are swept after a day.

use crate::common::*;
use crate::signin::{get, member, post, sign_in};
use ccg_forms::decide::shared::{SharedFields, SharedRefusal};
use ccg_functions::files::FileStore;
use ccg_functions::records::{FileType, SharedKind};
use ccg_functions::service::shared_documents::{SentFile, SharedError};
use ccg_functions::store::lists::SharedQuery;
use ccg_functions::{Store, handle};

mod uploads;

crate::roomy_cases!("shared"; the_repository_keeps_its_promises_on_both_stores, members_download_and_strangers_get_nothing);

pub(crate) const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn fields<'a>(title: &'a str, date: &'a str, meeting: &'a str) -> SharedFields<'a> {
    SharedFields { title, date, language: "en", meeting, kind: "minutes" }
}

fn pdf(name: &str) -> SentFile {
    SentFile { name: name.into(), bytes: PDF.to_vec() }
}

async fn the_repository_keeps_its_promises_on_both_stores<S: Store>(store: S) {
    let (app, files) = app_with_files(store, catalogue());
    let f = &app.forms;
    let a = f.add_shared(&fields("Minutes of Porto", "2027-03-16", "e1"), pdf("Minutes Porto.pdf"), "Eva").await.unwrap();
    assert_eq!((a.version, a.file_type, a.kind, a.size), (1, FileType::Pdf, SharedKind::Minutes, PDF.len() as u64));
    assert_eq!(a.file_name, "Minutes Porto.pdf");
    assert!(a.key().starts_with("shared/") && files.read(&a.key()).await.unwrap() == PDF, "the file is kept under shared/");
    let b = f.add_shared(&fields("Agenda of Porto", "2027-03-01", "e1"), pdf("agenda.pdf"), "Eva").await.unwrap();
    let c = f.add_shared(&fields("Annual report", "2028-01-10", ""), pdf("report.pdf"), "Eva").await.unwrap();
    let d = f.add_shared(&fields("Slides of e2", "2027-03-17", "e2"), pdf("slides.pdf"), "Eva").await.unwrap();

    // Newest first, by the document's date; filtered by meeting and by year; a page at a time.
    let ids = |p: &ccg_functions::store::lists::ListPage<ccg_functions::records::SharedDocument>| p.items.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    let all = f.shared_page(&SharedQuery::default(), None, 10).await.unwrap();
    assert_eq!(ids(&all), vec![c.id.clone(), d.id.clone(), a.id.clone(), b.id.clone()]);
    assert_eq!(all.next, None);
    let q = SharedQuery { meeting: Some("e1".into()), year: None };
    assert_eq!(ids(&f.shared_page(&q, None, 10).await.unwrap()), vec![a.id.clone(), b.id.clone()]);
    let q = SharedQuery { meeting: None, year: Some(2027) };
    assert_eq!(ids(&f.shared_page(&q, None, 10).await.unwrap()), vec![d.id.clone(), a.id.clone(), b.id.clone()]);
    let q = SharedQuery { meeting: Some("e1".into()), year: Some(2028) };
    assert!(f.shared_page(&q, None, 10).await.unwrap().items.is_empty());
    let first = f.shared_page(&SharedQuery::default(), None, 3).await.unwrap();
    assert_eq!(ids(&first), vec![c.id.clone(), d.id.clone(), a.id.clone()]);
    let rest = f.shared_page(&SharedQuery::default(), first.next.as_deref(), 3).await.unwrap();
    assert_eq!((ids(&rest), rest.next), (vec![b.id.clone()], None));

    // Judged by content: a text file named .pdf is refused with the details' mistakes, and nothing is kept.
    let text = SentFile { name: "minutes.pdf".into(), bytes: b"These are not minutes, just text.".to_vec() };
    let e = f.add_shared(&SharedFields { title: "", ..fields("x", "2027-03-16", "nowhere") }, text.clone(), "Eva").await.unwrap_err();
    assert_eq!(e, SharedError::Refused(vec![SharedRefusal::Title, SharedRefusal::Meeting, SharedRefusal::WrongType]));
    let e = f.add_shared(&fields("Text", "2027-03-16", ""), text.clone(), "Eva").await.unwrap_err();
    assert_eq!(e, SharedError::Refused(vec![SharedRefusal::WrongType]));
    assert_eq!(f.shared_page(&SharedQuery::default(), None, 10).await.unwrap().items.len(), 4);
    assert_eq!(files.list("shared/").await.unwrap().len(), 4, "no file of a refused document stays");

    // Replacing: only from the version shown; the old file goes, the new one is served.
    assert_eq!(f.replace_shared(&a.id, 1, text, "Eva").await.unwrap_err(), SharedError::Refused(vec![SharedRefusal::WrongType]));
    let mut second = PDF.to_vec();
    second.extend(b"% second edition\n");
    let r = f.replace_shared(&a.id, 1, SentFile { name: "Minutes v2.pdf".into(), bytes: second.clone() }, "Ola").await.unwrap();
    assert_eq!((r.version, r.replaced_by.as_deref(), r.file_name.as_str()), (2, Some("Ola"), "Minutes v2.pdf"));
    assert_eq!(files.read(&r.key()).await.unwrap(), second);
    assert_eq!(files.head(&a.key()).await.unwrap(), None, "the replaced file is deleted");
    assert_eq!(f.replace_shared(&a.id, 1, pdf("again.pdf"), "Eva").await.unwrap_err(), SharedError::Conflict, "a stale version is refused");
    assert_eq!(f.shared_document(&a.id).await.unwrap().unwrap().version, 2);

    // Removing: a stale version is refused; then the record and its file go.
    assert_eq!(f.remove_shared(&a.id, 1, "Eva").await.unwrap_err(), SharedError::Conflict);
    f.remove_shared(&a.id, 2, "Eva").await.unwrap();
    assert_eq!(f.shared_document(&a.id).await.unwrap(), None);
    assert_eq!(files.head(&r.key()).await.unwrap(), None);
    assert_eq!(f.remove_shared(&a.id, 2, "Eva").await.unwrap_err(), SharedError::NotFound);
    let q = SharedQuery { meeting: Some("e1".into()), year: None };
    assert_eq!(ids(&f.shared_page(&q, None, 10).await.unwrap()), vec![b.id.clone()]);

    // Every change wrote its history line, in the same step.
    let lines: Vec<(String, String)> =
        app.forms.store.list_audit().await.unwrap().into_iter().filter(|l| l.subject == a.id).map(|l| (l.action, l.actor)).collect();
    let want = [("shared.added", "Eva"), ("shared.replaced", "Ola"), ("shared.removed", "Eva")];
    assert_eq!(lines, want.map(|(x, y)| (x.to_string(), y.to_string())).to_vec());
}

async fn members_download_and_strangers_get_nothing<S: Store>(store: S) {
    let (app, _files) = app_with_files(store, catalogue());
    let d = app.forms.add_shared(&fields("Minutes of Porto", "2027-03-16", "e1"), pdf("Minutes Porto.pdf"), "Eva").await.unwrap();
    member(&app, "ana@city.eu").await;
    let cookie = sign_in(&app, "ana@city.eu", None).await;

    let r = handle(&app, get("/members/documents/", Some(&cookie))).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = body_text(&r);
    let size = format!("PDF, {} bytes", PDF.len());
    for want in ["Minutes of Porto", "16 March 2027", "English", "Minutes", &size, &format!(r#"href="/members/documents/{}""#, d.id), r#"href="/calendar/e1/""#]
    {
        assert!(page.contains(want), "{want}: {page}");
    }
    let r = handle(&app, get("/members/documents/?meeting=e2", Some(&cookie))).await;
    assert!(body_text(&r).contains("No document matches these filters."));
    let r = handle(&app, get("/members/documents/?year=2027&meeting=e1", Some(&cookie))).await;
    assert!(body_text(&r).contains("Minutes of Porto"));

    let url = format!("/members/documents/{}", d.id);
    let r = handle(&app, get(&url, Some(&cookie))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.body().as_ref(), PDF, "the same bytes");
    let h = r.headers();
    assert_eq!(h["content-type"], "application/pdf");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"Minutes Porto.pdf\""));
    assert_eq!((h["x-content-type-options"].to_str().unwrap(), h["cache-control"].to_str().unwrap()), ("nosniff", "no-store"));

    // Not signed in (no cookie, or a made-up one): the sign-in page, never a byte of the file.
    for cookie in [None, Some("not-a-session")] {
        for path in [url.as_str(), "/members/documents/", "/members/documents"] {
            let r = handle(&app, get(path, cookie)).await;
            assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/sign-in/"), "{path}");
            assert!(r.body().is_empty());
        }
    }
    // Signed out: the same.
    let r = handle(&app, post("/account/sign-out", &[], Some(&cookie))).await;
    assert_eq!(r.status(), 200);
    let r = handle(&app, get(&url, Some(&cookie))).await;
    assert_eq!(r.status(), 303);
    assert!(!r.body().windows(5).any(|w| w == b"%PDF-"));
    // Nobody changes the repository from the members' pages.
    let r = handle(&app, post(&url, &[], None)).await;
    assert_eq!(r.status(), 405);
}
