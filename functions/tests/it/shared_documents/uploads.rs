//! The desk adds and replaces repository documents as a browser does it:
//! the desk's page gives a form whose action is the bucket, the bucket takes
//! the file and sends the browser back to the desk, which shows what arrived
//! (judged by its content) and adds it with its details. On both stores with
//! the preview's bucket, and on DynamoDB Local with S3 on moto's server. A
//! refused file is deleted and the page names the field; the desk function
//! never takes a file in its body; uploads never added are swept after a day.

use super::PDF;
use crate::common::*;
use crate::documents::form_in;
use crate::signin::{get, member, post, sign_in, staff};
use ccg_functions::files::local::LocalFiles;
use ccg_functions::files::{FileStore, multipart};
use ccg_functions::records::SharedKind;
use ccg_functions::service::shared_uploads::{INCOMING_PREFIX, sweep_incoming};
use ccg_functions::{App, Store, handle};

crate::roomy_cases!("upload"; staff_add_and_replace_through_the_bucket);

const DETAILS: [(&str, &str); 5] = [("title", "Slides of Porto"), ("date", "2027-03-16"), ("language", "fr"), ("meeting", "e1"), ("kind", "slides")];

/// The page at `path`, signed in as `cookie`: its status and HTML.
async fn page<S: Store>(app: &App<S>, path: &str, cookie: &str) -> (u16, String) {
    let r = handle(app, get(path, Some(cookie))).await;
    (r.status().as_u16(), body_text(&r))
}

/// Sends `data` as `name` with the upload form of `html` to the preview's
/// bucket, as a browser does, and follows the bucket's redirect back to the
/// desk: the page there (status, HTML), or the bucket's refusal.
async fn upload<S: Store>(app: &App<S>, files: &LocalFiles, html: &str, name: &str, data: &[u8], cookie: &str) -> Result<(u16, String), (u16, String)> {
    let (action, fields) = form_in(html, "/files/upload").expect("an upload form to the bucket");
    assert_eq!(action, format!("{ORIGIN}/files/upload"));
    assert!(fields.iter().all(|(k, _)| k != "file" && k != "title"), "only the policy's fields: {fields:?}");
    let (ct, body) = multipart::write(&fields, "file", name, data);
    let location = files.accept(&ct, &body, jiff::Timestamp::now())?;
    let path = location.strip_prefix(ORIGIN).expect("back to the desk's origin");
    Ok(page(app, path, cookie).await)
}

/// The hidden `key` of the landing page's form whose action is `action_part`.
fn key_in(html: &str, action_part: &str) -> String {
    let (_, fields) = form_in(html, action_part).unwrap_or_else(|| panic!("no form to {action_part}: {html}"));
    fields.into_iter().find(|(k, _)| k == "key").map(|(_, v)| v).expect("the incoming key")
}

fn with_key<'a>(key: &'a str, details: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![("key", key)];
    v.extend_from_slice(details);
    v
}

async fn staff_add_and_replace_through_the_bucket<S: Store>(store: S) {
    let (mut app, files) = app_with_files(store, catalogue());
    app.forms.options.staff_link_may_decide = true;
    staff(&app, "desk@sec.eu").await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    let (status, list) = page(&app, "/desk/documents/", &s).await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("No document is shared yet.") && list.contains(r#"enctype="multipart/form-data""#), "{list}");
    let (_, fields) = form_in(&list, "/files/upload").unwrap();
    let field = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default();
    assert!(field("key").starts_with(INCOMING_PREFIX) && field("key").ends_with("/${filename}"), "{fields:?}");
    assert_eq!(field("success_action_redirect"), format!("{ORIGIN}/desk/documents/new"));

    // A text renamed .pdf: the page the bucket sends back says why, naming the field, and the file is gone.
    let (status, refused) = upload(&app, &files, &list, "slides.pdf", b"just text", &s).await.unwrap();
    assert_eq!(status, 200, "{refused}");
    assert!(refused.contains(r##"<a href="#doc-file">File</a>"##) && refused.contains(r#"id="doc-file-error""#), "{refused}");
    assert!(refused.contains("not a PDF or an OpenDocument file") && refused.contains("so it was deleted"), "{refused}");
    assert!(files.list("incoming/").await.unwrap().is_empty(), "the refused file is deleted");
    assert!(form_in(&refused, "/desk/documents/add").is_none(), "no details for a refused file");

    // The page's new form takes a PDF: the page shows it, judged by content, and asks for the details.
    let (status, arrived) = upload(&app, &files, &refused, "Slides Porto.pdf", PDF, &s).await.unwrap();
    assert_eq!(status, 200, "{arrived}");
    let size = format!("{} bytes", PDF.len());
    for want in ["Slides Porto.pdf", "PDF (judged by its content)", &size, "Add the document"] {
        assert!(arrived.contains(want), "{want}: {arrived}");
    }
    let key = key_in(&arrived, "/desk/documents/add");
    assert_eq!(files.list(INCOMING_PREFIX).await.unwrap(), vec![key.clone()]);

    // Details wrong: said field by field, what was typed kept, the file kept for the next try.
    let wrong = [("title", ""), ("date", "16/03/2027"), ("language", "fr"), ("meeting", "nowhere"), ("kind", "slides")];
    let r = handle(&app, post("/desk/documents/add", &with_key(&key, &wrong), Some(&s))).await;
    assert_eq!(r.status(), 422);
    let again = body_text(&r);
    for want in [r#"id="doc-title-error""#, r#"id="doc-date-error""#, r#"id="doc-meeting-error""#, r#"value="16/03/2027""#, "The file is kept"] {
        assert!(again.contains(want), "{want}: {again}");
    }
    assert!(!again.contains(r#"id="doc-file-error""#));
    assert_eq!(key_in(&again, "/desk/documents/add"), key);
    assert_eq!(files.list(INCOMING_PREFIX).await.unwrap(), vec![key.clone()]);

    // Added: the file moves under shared/, the incoming one goes, the history says who.
    let r = handle(&app, post("/desk/documents/add", &with_key(&key, &DETAILS), Some(&s))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    let back = r.headers()["location"].to_str().unwrap().to_string();
    let id = back.trim_start_matches("/desk/documents/").split('/').next().unwrap().to_string();
    let (_, shown) = page(&app, &back, &s).await;
    assert!(shown.contains("The document is added") && shown.contains("French") && shown.contains("Sam Staff (desk)"), "{shown}");
    let d = app.forms.shared_document(&id).await.unwrap().unwrap();
    assert_eq!((d.kind, d.language.as_str(), d.meeting.as_deref(), d.file_name.as_str()), (SharedKind::Slides, "fr", Some("e1"), "Slides Porto.pdf"));
    assert_eq!(files.read(&d.key()).await.unwrap(), PDF);
    assert!(files.list("incoming/").await.unwrap().is_empty(), "the incoming file is deleted once added");
    assert!(app.forms.store.list_audit().await.unwrap().iter().any(|l| l.subject == id && l.action == "shared.added" && l.actor == "Sam Staff (desk)"));
    // Sent again (a second press): the upload is used up, nothing more is added.
    let r = handle(&app, post("/desk/documents/add", &with_key(&key, &DETAILS), Some(&s))).await;
    assert_eq!(r.status(), 422);
    assert!(body_text(&r).contains("No file arrived, or it is no longer here"));
    assert_eq!(app.forms.shared_page(&Default::default(), None, 10).await.unwrap().items.len(), 1);
    // A key that is not an upload's (the document's own file) is never taken, nor deleted.
    let r = handle(&app, post("/desk/documents/add", &with_key(&d.key(), &DETAILS), Some(&s))).await;
    assert_eq!(r.status(), 422);
    assert_eq!(files.read(&d.key()).await.unwrap(), PDF);

    // Replacing: the document's page uploads to the bucket; back on the desk, the new file and the button.
    let (_, doc_page) = page(&app, &format!("/desk/documents/{id}/"), &s).await;
    let (_, fields) = form_in(&doc_page, "/files/upload").unwrap();
    assert!(fields.contains(&("success_action_redirect".to_string(), format!("{ORIGIN}/desk/documents/{id}/replacement"))), "{fields:?}");
    let (status, refused) = upload(&app, &files, &doc_page, "v2.pdf", b"PK\x03\x04 not an OpenDocument", &s).await.unwrap();
    assert_eq!(status, 200);
    assert!(refused.contains("The file was not replaced") && refused.contains("not a PDF or an OpenDocument file"), "{refused}");
    assert!(files.list("incoming/").await.unwrap().is_empty());
    let mut second = PDF.to_vec();
    second.extend(b"% second edition\n");
    let (status, arrived) = upload(&app, &files, &doc_page, "Slides v2.pdf", &second, &s).await.unwrap();
    assert_eq!(status, 200, "{arrived}");
    assert!(arrived.contains("Slides Porto.pdf") && arrived.contains("Slides v2.pdf"), "the file now and the new one: {arrived}");
    let (action, fields) = form_in(&arrived, "/replace").expect("the button's form");
    assert_eq!(action, format!("/desk/documents/{id}/replace"));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(pairs.contains(&("version", "1")), "{pairs:?}");
    let r = handle(&app, post(&action, &pairs, Some(&s))).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, format!("/desk/documents/{id}/?done=replaced").as_str()));
    let r2 = app.forms.shared_document(&id).await.unwrap().unwrap();
    assert_eq!((r2.version, r2.file_name.as_str(), r2.replaced_by.as_deref()), (2, "Slides v2.pdf", Some("Sam Staff (desk)")));
    assert_eq!(files.read(&r2.key()).await.unwrap(), second);
    assert_eq!(files.head(&d.key()).await.unwrap(), None, "the replaced file is deleted");
    assert!(files.list("incoming/").await.unwrap().is_empty());
    // The same button again: the upload is used up, nothing changes.
    let r = handle(&app, post(&action, &pairs, Some(&s))).await;
    assert_eq!(r.status(), 422);
    assert!(body_text(&r).contains("No file arrived, or it is no longer here"));
    // A new file against the version shown before: refused as stale, nothing changes.
    let (_, arrived) = upload(&app, &files, &doc_page, "Slides v3.pdf", PDF, &s).await.unwrap();
    let stale = [("version", "1"), ("key", &key_in(&arrived, "/replace"))].map(|(k, v)| (k, v.to_string()));
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = handle(&app, post(&action, &stale, Some(&s))).await;
    assert_eq!(r.status(), 409, "{}", body_text(&r));
    assert_eq!(app.forms.shared_document(&id).await.unwrap().unwrap().version, 2);
    assert_eq!(files.list(INCOMING_PREFIX).await.unwrap().len(), 1, "the unused upload waits for the sweep");

    // Over the repository's size: the bucket's policy refuses it, nothing is kept.
    app.forms.options.shared_max_bytes = 64;
    let (_, list) = page(&app, "/desk/documents/", &s).await;
    assert!(list.contains("at most 64 bytes"), "{list}");
    let (status, msg) = upload(&app, &files, &list, "big.pdf", PDF, &s).await.unwrap_err();
    assert_eq!(status, 400, "{msg}");
    assert_eq!(files.list(INCOMING_PREFIX).await.unwrap().len(), 1, "nothing more is kept");
    app.forms.options.shared_max_bytes = 20_000_000;

    // No file through the desk: a page's body is a form's fields, never a file.
    let big = "x".repeat(64 * 1024);
    let r = handle(&app, post("/desk/documents/add", &[("title", big.as_str())], Some(&s))).await;
    assert_eq!(r.status(), 413);

    // A member may neither add nor see the desk's upload pages.
    member(&app, "ana@city.eu").await;
    let m = sign_in(&app, "ana@city.eu", None).await;
    let r = handle(&app, post("/desk/documents/add", &with_key(&key, &DETAILS), Some(&m))).await;
    assert_eq!(r.status(), 403);
    assert_eq!(page(&app, "/desk/documents/new?key=x", &m).await.0, 403);
    // Adding is a POST; the landing pages are GETs that add nothing.
    let r = handle(&app, get("/desk/documents/add", Some(&s))).await;
    assert_eq!(r.status(), 405);
}

/// Uploads never added are deleted by the sweep once their form is a day old; newer ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_never_added_are_swept_after_a_day() {
    let (app, files) = app_with_files(sqlite_store("upload-sweep"), catalogue());
    let now = jiff::Timestamp::now();
    let form = app.forms.shared_upload_form("/desk/documents/new").await.unwrap();
    let (ct, body) = multipart::write(&form.fields, "file", "a.pdf", PDF);
    files.accept(&ct, &body, now).unwrap();
    files.put("incoming/shared/stray", b"?".to_vec(), "application/octet-stream").await.unwrap();
    let kept = files.list(INCOMING_PREFIX).await.unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    // What is not an upload's goes at once; an upload of today stays.
    assert_eq!(sweep_incoming(files.as_ref(), now.as_second() + 23 * 3600).await.unwrap(), 1);
    assert_eq!(files.list(INCOMING_PREFIX).await.unwrap().len(), 1);
    assert_eq!(app.forms.sweep_incoming_shared().await.unwrap(), 0, "a minute old: kept");
    assert_eq!(sweep_incoming(files.as_ref(), now.as_second() + 25 * 3600).await.unwrap(), 1);
    assert!(files.list("incoming/").await.unwrap().is_empty());
    // The repository's own files are never the sweep's.
    files.put("shared/shd_x/1.pdf", PDF.to_vec(), "application/pdf").await.unwrap();
    assert_eq!(sweep_incoming(files.as_ref(), now.as_second() + 100 * 3600).await.unwrap(), 0);
    assert_eq!(files.read("shared/shd_x/1.pdf").await.unwrap(), PDF);
}

/// The same on what AWS runs: DynamoDB Local, and the bucket is S3 on moto's
/// server: the form posts there, S3 sends the browser back, the desk moves the file.
#[cfg(feature = "dynamodb")]
#[test]
fn on_dynamodb_and_s3_the_desk_adds_and_replaces_through_the_bucket() {
    crate::signin::run_roomy(on_dynamodb_and_s3());
}

#[cfg(feature = "dynamodb")]
async fn on_dynamodb_and_s3() {
    let moto = MotoS3::start().await;
    let files = std::sync::Arc::new(moto.files("ccg-shared-upload").await);
    let store = DynamoLocal::shared().await.store("ccg-upload-s3").await;
    let mut app = app_with_file_store(store, catalogue(), files.clone());
    app.forms.options.staff_link_may_decide = true;
    staff(&app, "desk@sec.eu").await;
    let s = sign_in(&app, "desk@sec.eu", None).await;
    let bucket_url = format!("{}/ccg-shared-upload", moto.endpoint);
    assert_eq!(files.form_origin(), moto.endpoint, "what the page's CSP form-action must allow");
    // Posts the page's form to the bucket, follows it back: the desk's page.
    let send = |html: String, data: &'static [u8]| {
        let (app, s, bucket_url) = (&app, s.clone(), bucket_url.clone());
        async move {
            let (action, fields) = form_in(&html, &bucket_url).expect("an upload form to the bucket");
            let (ct, body) = multipart::write(&fields, "file", "minutes.pdf", data);
            let (status, location) = tokio::task::spawn_blocking(move || crate::s3_files::post_form(&action, &ct, &body)).await.unwrap();
            assert_eq!(status, 303, "S3 did not send the browser back");
            let location = location.expect("a Location");
            page(app, location.strip_prefix(ORIGIN).expect("back to the desk"), &s).await
        }
    };
    let (_, list) = page(&app, "/desk/documents/", &s).await;
    let (status, refused) = send(list.clone(), b"just some text").await;
    assert_eq!(status, 200, "{refused}");
    assert!(refused.contains(r#"id="doc-file-error""#), "{refused}");
    assert!(files.list("incoming/").await.unwrap().is_empty(), "the refused file is deleted from the bucket");

    let (status, arrived) = send(list, PDF).await;
    assert_eq!(status, 200, "{arrived}");
    let key = key_in(&arrived, "/desk/documents/add");
    assert!(key.starts_with(INCOMING_PREFIX), "{key}");
    let r = handle(&app, post("/desk/documents/add", &with_key(&key, &DETAILS), Some(&s))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    let id = r.headers()["location"].to_str().unwrap().trim_start_matches("/desk/documents/").split('/').next().unwrap().to_string();
    let d = app.forms.shared_document(&id).await.unwrap().unwrap();
    assert_eq!(files.read(&d.key()).await.unwrap(), PDF);
    assert_eq!(files.list("").await.unwrap(), vec![d.key()], "only the document's file stays in the bucket");

    let (_, doc_page) = page(&app, &format!("/desk/documents/{id}/"), &s).await;
    let (status, arrived) = send(doc_page, b"%PDF-1.7\n% the second edition\n%%EOF\n").await;
    assert_eq!(status, 200, "{arrived}");
    let (action, fields) = form_in(&arrived, "/replace").expect("the button's form");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = handle(&app, post(&action, &pairs, Some(&s))).await;
    assert_eq!(r.status(), 303, "{}", body_text(&r));
    let d2 = app.forms.shared_document(&id).await.unwrap().unwrap();
    assert_eq!(d2.version, 2);
    assert_eq!(files.read(&d2.key()).await.unwrap(), b"%PDF-1.7\n% the second edition\n%%EOF\n");
    assert_eq!(files.list("").await.unwrap(), vec![d2.key()], "the old file and the incoming one are gone");
}
