//! Supporting documents through the handler and the preview's bucket, as a
//! browser does it: the claim's page gives a signed upload form, the bucket
//! takes the file and sends the browser back, the button there records it
//! (or deletes it and says why).

use crate::common::*;
use bytes::Bytes;
use ccg_functions::files::FileStore;
use ccg_functions::files::local::LocalFiles;
use ccg_functions::files::multipart;
use ccg_functions::store::DocumentStore;
use ccg_functions::{App, SqliteStore, handle};

/// Small limits, so the tests reach them: 2 files of at most 2 KiB.
fn rules() -> String {
    format!("{EURO_RULES}documents: {{max_files: 2, max_bytes: 2048}}\n")
}

fn get(path: &str) -> http::Request<Bytes> {
    http::Request::get(path).body(Bytes::new()).unwrap()
}

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The hidden fields of the page's form whose action is `action_part`, and that action.
pub(crate) fn form_in(html: &str, action_part: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = html.find("<form")?;
    let rest = &html[start..];
    let mut at = 0;
    while let Some(i) = rest[at..].find("<form") {
        let form = &rest[at + i..];
        let end = form.find("</form>")?;
        let form = &form[..end];
        let action = unescape(form.split("action=\"").nth(1)?.split('"').next()?);
        if action.contains(action_part) {
            let fields = form
                .split("<input type=\"hidden\" ")
                .skip(1)
                .filter_map(|f| {
                    let name = f.split("name=\"").nth(1)?.split('"').next()?;
                    let value = f.split("value=\"").nth(1)?.split('"').next()?;
                    Some((unescape(name), unescape(value)))
                })
                .collect();
            return Some((action, fields));
        }
        at += i + end;
    }
    None
}

struct Claimant {
    app: App<SqliteStore>,
    files: std::sync::Arc<LocalFiles>,
    token: String,
}

async fn claimant() -> Claimant {
    let (app, files) = app_with_files(sqlite_store("documents"), catalogue_with(3, Some(&rules()), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let (status, body) = claim_confirmed(&app, claim("e1", "300")).await;
    assert_eq!(status, 200, "{body}");
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    Claimant { app, files, token }
}

impl Claimant {
    async fn claim_page(&self) -> String {
        let r = handle(&self.app, get(&format!("/api/travel-claims/confirm?token={}", self.token))).await;
        assert_eq!(r.status(), 200);
        body_text(&r)
    }

    /// Uploads through the page's form: the bucket's answer (a redirect, or S3's status and message).
    async fn upload(&self, name: &str, data: &[u8]) -> Result<String, (u16, String)> {
        let page = self.claim_page().await;
        let (action, fields) = form_in(&page, "/files/upload").expect("an upload form");
        assert_eq!(action, format!("{ORIGIN}/files/upload"));
        let (ct, body) = multipart::write(&fields, "file", name, data);
        self.files.accept(&ct, &body, jiff::Timestamp::now())
    }

    /// Follows the bucket's redirect, then presses the button there.
    async fn finish(&self, location: &str) -> http::Response<Bytes> {
        let path = location.strip_prefix(ORIGIN).expect("back to the site");
        let r = handle(&self.app, get(path)).await;
        assert_eq!(r.status(), 200, "{}", body_text(&r));
        let (action, fields) = form_in(&body_text(&r), "/documents").expect("the button's form");
        let path = action.strip_prefix(ORIGIN).unwrap().to_string();
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        handle(&self.app, form_post(&path, &pairs)).await
    }

    async fn documents(&self) -> Vec<ccg_functions::records::Document> {
        let c = self.app.forms.claim_of_token(&self.token).await.unwrap();
        self.app.forms.store.list_documents(&c.id).await.unwrap()
    }
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_uploaded_through_the_policy_form_is_recorded() {
    let c = claimant().await;
    let page = c.claim_page().await;
    assert!(page.contains("Supporting documents") && page.contains("No documents yet."), "{page}");
    let location = c.upload("ticket.pdf", PDF).await.unwrap();
    assert!(location.contains("&bucket=local&key=claims%2F") || location.contains("&bucket=local&key=claims/"), "{location}");
    let r = c.finish(&location).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    let html = body_text(&r);
    let item = format!("<li>ticket.pdf (PDF, {} bytes)</li>", PDF.len());
    assert!(html.contains("ticket.pdf was added to your claim.") && html.contains(&item), "{html}");
    let docs = c.documents().await;
    assert_eq!(docs.len(), 1);
    assert_eq!((docs[0].file_name.as_str(), docs[0].kind.as_str(), docs[0].size), ("ticket.pdf", "pdf", PDF.len() as u64));
    assert_eq!(c.files.read(&docs[0].key()).await.unwrap(), PDF);
    // Pressing the button again records nothing more.
    let again = c.finish(&location).await;
    assert_eq!(again.status(), 200);
    assert_eq!(c.documents().await.len(), 1);
    // The claim's page lists it.
    assert!(c.claim_page().await.contains(&item));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_type_is_judged_by_content_not_name() {
    let c = claimant().await;
    let r = c.finish(&c.upload("scan.pdf", PNG).await.unwrap()).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    assert_eq!(c.documents().await[0].kind.as_str(), "png", "a PNG named .pdf is a PNG");

    let location = c.upload("notes.pdf", b"just some text, not a PDF at all").await.unwrap();
    let r = c.finish(&location).await;
    assert_eq!(r.status(), 422);
    let html = body_text(&r);
    assert!(html.contains("File: The file notes.pdf is not a PDF, JPEG or PNG file"), "{html}");
    assert_eq!(c.documents().await.len(), 1, "nothing recorded");
    let key = c.files.list("claims/").await.unwrap().into_iter().find(|k| k.ends_with("notes.pdf"));
    assert_eq!(key, None, "the refused file is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_and_the_count_limit_uploads() {
    let c = claimant().await;
    let (status, msg) = c.upload("big.pdf", &[PDF, &[b' '; 2048]].concat()).await.unwrap_err();
    assert_eq!(status, 400, "{msg}");
    assert!(c.files.list("claims/").await.unwrap().is_empty(), "an upload over the policy's size is not kept");

    let first = c.upload("a.pdf", PDF).await.unwrap();
    let second = c.upload("b.pdf", PDF).await.unwrap();
    // A third form, taken while the claim had room, is refused once two are recorded.
    let third = c.upload("c.pdf", PDF).await.unwrap();
    assert_eq!(c.finish(&first).await.status(), 200);
    assert_eq!(c.finish(&second).await.status(), 200);
    let r = c.finish(&third).await;
    assert_eq!(r.status(), 409, "{}", body_text(&r));
    assert!(body_text(&r).contains("already has 2 documents"));
    assert_eq!(c.documents().await.len(), 2);
    assert!(!c.files.list("claims/").await.unwrap().iter().any(|k| k.ends_with("c.pdf")), "the file over the count is deleted");
    assert!(form_in(&c.claim_page().await, "/files/upload").is_none(), "a full claim offers no more uploads");

    // A redirect for another claim's key, or a tampered form, records nothing.
    let forged = first.replace("a.pdf", "../x.pdf");
    let path = forged.strip_prefix(ORIGIN).unwrap();
    assert_eq!(handle(&c.app, get(path)).await.status(), 410);
    let mut wrong_token = form_post("/api/travel-claims/documents", &[("token", "nope.nope"), ("doc", "doc_x"), ("key", "claims/x/doc_x/a.pdf")]);
    wrong_token.headers_mut().insert("accept", "application/json".parse().unwrap());
    assert_eq!(handle(&c.app, wrong_token).await.status(), 410);
}

/// The same flow on what AWS runs: DynamoDB Local and the S3 file store on moto's server.
#[cfg(feature = "dynamodb")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dynamodb_and_s3_a_pdf_is_recorded_and_a_text_file_deleted() {
    let moto = MotoS3::start().await;
    let files = std::sync::Arc::new(moto.files("ccg-documents-handler").await);
    let local = DynamoLocal::shared().await;
    let store = local.store("documents-on-s3").await;
    let app = app_with_file_store(store, catalogue_with(3, Some(&rules()), false), files.clone());
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let (status, body) = claim_confirmed(&app, claim("e1", "300")).await;
    assert_eq!(status, 200, "{body}");
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    let page = |token: String| {
        let app = &app;
        async move { body_text(&handle(app, get(&format!("/api/travel-claims/confirm?token={token}"))).await) }
    };
    let bucket_url = format!("{}/ccg-documents-handler", moto.endpoint);
    // Uploads through the page's form to the bucket, then follows it back and presses the button.
    let send = |data: &'static [u8]| {
        let (app, page, bucket_url, token) = (&app, &page, bucket_url.clone(), token.clone());
        async move {
            let (action, fields) = form_in(&page(token).await, &bucket_url).expect("an upload form to the bucket");
            let (ct, body) = multipart::write(&fields, "file", "ticket.pdf", data);
            let (status, location) = tokio::task::spawn_blocking(move || crate::s3_files::post_form(&action, &ct, &body)).await.unwrap();
            assert_eq!(status, 303);
            let location = location.expect("a Location");
            let r = handle(app, get(location.strip_prefix(ORIGIN).expect("back to the site"))).await;
            assert_eq!(r.status(), 200, "{}", body_text(&r));
            let (action, fields) = form_in(&body_text(&r), "/documents").expect("the button's form");
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            handle(app, form_post(action.strip_prefix(ORIGIN).unwrap(), &pairs)).await
        }
    };
    let r = send(PDF).await;
    assert_eq!(r.status(), 200, "{}", body_text(&r));
    let c = app.forms.claim_of_token(&token).await.unwrap();
    let docs = app.forms.store.list_documents(&c.id).await.unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!((docs[0].kind.as_str(), docs[0].size), ("pdf", PDF.len() as u64));
    assert_eq!(app.forms.document_file(&docs[0]).await.unwrap(), PDF);

    let r = send(b"just some text, not a PDF at all").await;
    assert_eq!(r.status(), 422, "{}", body_text(&r));
    assert_eq!(app.forms.store.list_documents(&c.id).await.unwrap().len(), 1, "nothing recorded");
    assert_eq!(files.list(&format!("claims/{}/", c.id)).await.unwrap(), vec![docs[0].key()], "the refused file is deleted");

    // The secretariat's desk on the same table and bucket writes the file; without a bucket it says what is missing.
    #[cfg(feature = "desk")]
    {
        let out = temp_dir("desk-files-s3");
        let desk = |args: &[&str], bucket: Option<&str>| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_desk"));
            cmd.args(["--dynamodb", "documents-on-s3", "--base-url", "https://ccg.eurocities.eu"]).args(args);
            cmd.env("AWS_ENDPOINT_URL_DYNAMODB", &local.endpoint).env("AWS_ENDPOINT_URL_S3", &moto.endpoint);
            cmd.env("AWS_REGION", "eu-west-1").env("AWS_ACCESS_KEY_ID", "fake").env("AWS_SECRET_ACCESS_KEY", "fake").env("CCG_OPERATOR", "Eva");
            cmd.env_remove("CCG_DOCUMENTS_BUCKET").env_remove("CCG_MAIL_FROM").env_remove("AWS_PROFILE");
            if let Some(b) = bucket {
                cmd.env("CCG_DOCUMENTS_BUCKET", b);
            }
            let o = cmd.output().unwrap();
            (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
        };
        let dir = out.to_str().unwrap();
        let (code, _, err) = desk(&["files", &c.id, "--out", dir], None);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("give --bucket NAME or set CCG_DOCUMENTS_BUCKET"), "{err}");
        let (code, text, err) = desk(&["files", &c.id, "--out", dir], Some("ccg-documents-handler"));
        assert_eq!(code, Some(0), "{err}");
        assert!(text.contains(&format!("1 document of {} written", c.id)), "{text}");
        let written: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).collect();
        assert_eq!(written.len(), 1, "{written:?}");
        assert_eq!(std::fs::read(&written[0]).unwrap(), PDF);
    }
}
