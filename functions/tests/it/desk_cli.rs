//! The `desk` binary as the secretariat runs it: the site address its emails
//! link to (refused on an example domain outside the preview), the emails of
//! its decisions in the preview's outbox, and a payment below the amount asked
//! for with its reason.

use crate::common::*;
use ccg_functions::mail::outbox;
use ccg_functions::{Form, SqliteStore, handle};
use std::path::Path;
use std::process::Command;

/// Runs desk in `dir` (no content/ there: the content built in) without
/// `CCG_BASE_URL` unless `env` sets it: exit code, stdout, stderr.
fn desk(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desk"));
    cmd.current_dir(dir).args(args).env_remove("CCG_BASE_URL").env("CCG_OPERATOR", "Eva");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn outside_the_preview_the_example_address_is_refused() {
    let dir = temp_dir("desk-dynamo");
    // Refused before any store is reached: the config built in has the example base_url.
    let (code, out, err) = desk(&dir, &["--dynamodb", "ccg-forms", "claims"], &[]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("base_url `https://ccg.scalable-cities.example` of content/config.yaml is on a reserved example domain"), "{err}");
    assert!(err.contains("--base-url URL or CCG_BASE_URL"), "{err}");
    for (args, env) in [
        (vec!["--dynamodb", "t", "--base-url", "https://ccg.scalable-cities.example", "claims"], vec![]),
        (vec!["--dynamodb", "t", "claims"], vec![("CCG_BASE_URL", "https://www.example.org/")]),
        (vec!["--base-url", "https://site.test", "--dynamodb", "t", "approve", "a@b.eu", "--city", "Porto"], vec![]),
    ] {
        let (code, _, err) = desk(&dir, &args, &env);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("is on a reserved example domain"), "{args:?}: {err}");
    }
    let (code, _, err) = desk(&dir, &["--dynamodb", "t", "--base-url", "ccg.eu", "claims"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("--base-url `ccg.eu` is not a site address"), "{err}");
}

/// A contact confirmed in the preview's store at `dir/data/forms.sqlite3`, and
/// (with `claim`) her claim for `e1` counted and approved: its id.
async fn preview_store(dir: &Path, claim_euros: Option<&str>) -> Option<String> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let app = app(SqliteStore::open(&data.join("forms.sqlite3")).unwrap().with_person_key(person_key()), catalogue());
    let sent = handle(&app, json_post("/api/register", registration("ana@valladolid.es"))).await;
    assert_eq!(sent.status(), 202);
    let token = last_token(&app, "ana@valladolid.es").unwrap();
    assert_eq!(handle(&app, confirm_post(Form::Register, &token, true)).await.status(), 200);
    let euros = claim_euros?;
    app.forms.approve("ana@valladolid.es", "Valladolid", Some("ES"), "Eva").await.unwrap();
    let (status, done) = claim_confirmed(&app, claim("e1", euros)).await;
    assert_eq!(status, 200, "{done}");
    let id = done["id"].as_str().unwrap().to_string();
    app.forms.approve_claim(&id, "Eva").await.unwrap();
    Some(id)
}

fn outbox_to(dir: &Path, to: &str) -> Vec<ccg_functions::mail::Email> {
    outbox::read_all(&dir.join("data/outbox")).unwrap().into_iter().map(|m| m.email).filter(|e| e.to == to).collect()
}

#[tokio::test]
async fn the_preview_mails_the_given_address_and_accepts_the_example_one() {
    let dir = temp_dir("desk-preview");
    preview_store(&dir, None).await;
    // --base-url: the approval's links lead to the real site, its leave link included.
    let (code, out, err) =
        desk(&dir, &["--base-url", "https://ccg.scalable-cities.eu/", "approve", "ana@valladolid.es", "--city", "Valladolid", "--country", "ES"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is now an approved representative of ES:valladolid, recorded by Eva.\nana@valladolid.es was emailed.\n"), "{out}");
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert_eq!(mail.subject, "You are approved as the representative of Valladolid");
    assert!(mail.text.contains("\nhttps://ccg.scalable-cities.eu/financial-support/\n"), "{}", mail.text);
    assert!(mail.text.contains("\nhttps://ccg.scalable-cities.eu/api/leave?token="), "{}", mail.text);
    assert!(!mail.text.contains(".example"), "{}", mail.text);
    // CCG_BASE_URL, when --base-url is not given.
    let env = [("CCG_BASE_URL", "https://ccg.eu")];
    let (code, out, err) = desk(&dir, &["decline", "ana@valladolid.es", "--reason", "not a city official"], &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ana@valladolid.es was emailed."), "{out}");
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert!(mail.text.contains("for this reason: not a city official.") && mail.text.contains("\nhttps://ccg.eu/api/leave?token="), "{}", mail.text);
    // Neither: on the preview's store, the config's example address is accepted.
    let (code, _, err) = desk(&dir, &["approve", "ana@valladolid.es", "--city", "Valladolid", "--country", "ES"], &[]);
    assert_eq!(code, 0, "{err}");
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert!(mail.text.contains("\nhttps://ccg.scalable-cities.example/api/leave?token="), "{}", mail.text);
}

#[tokio::test]
async fn a_payment_below_the_amount_asked_for_gives_its_reason() {
    let dir = temp_dir("desk-paid");
    let id = preview_store(&dir, Some("450")).await.unwrap();
    let base = ["--base-url", "https://ccg.eu"];
    let paid = |more: &[&'static str]| [&base[..], &["paid", id.as_str(), "--on", "2027-04-02"], more].concat();
    let (code, out, err) = desk(&dir, &paid(&["--amount", "412.50"]), &[]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("the payment (412.50 EUR) is less than the amount asked for (450 EUR): say why with --reason"), "{err}");
    let (code, _, err) = desk(&dir, &paid(&["--amount", "450", "--reason", "because"]), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("the payment is the full amount asked for (450 EUR): it needs no reason; leave out --reason"), "{err}");
    let (code, out, err) = desk(&dir, &paid(&["--amount", "412.50", "--reason", "The hotel invoice was lower"]), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("is paid: 412.50 EUR on 2027-04-02 (less than the 450 EUR asked for: The hotel invoice was lower).\nana@valladolid.es was emailed.\n"),
        "{out}"
    );
    let mail = outbox_to(&dir, "ana@valladolid.es").pop().unwrap();
    assert_eq!(mail.subject, "Your travel claim is paid");
    assert!(mail.text.contains("That is less than the 450 EUR asked for, for this reason: The hotel invoice was lower.\n"), "{}", mail.text);
    let (code, out, err) = desk(&dir, &[&base[..], &["claim", id.as_str()]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Reason of payment (less than asked for): The hotel invoice was lower\nPaid: 412.50 EUR on 2027-04-02\n"), "{out}");
}

/// A claim's documents in the preview's bucket (`data/files`): `desk claim` lists them,
/// `desk files --out` writes them; a file whose claim is gone is deleted when desk opens the store.
#[tokio::test]
async fn the_desk_lists_and_writes_a_claims_documents() {
    use ccg_functions::files::FileStore;
    use ccg_functions::files::local::LocalFiles;
    use ccg_functions::records::{AuditEntry, Document, DocumentKind};
    use ccg_functions::store::DocumentStore;
    let dir = temp_dir("desk-files");
    let id = preview_store(&dir, Some("300")).await.unwrap();
    let files = LocalFiles::open(&dir.join("data/files"), "http://127.0.0.1:1").unwrap();
    let store = SqliteStore::open(&dir.join("data/forms.sqlite3")).unwrap();
    let at: jiff::Timestamp = "2027-03-20T10:00:00Z".parse().unwrap();
    let pdf = b"%PDF-1.4 the ticket".to_vec();
    for (doc, name) in [("doc_1", "ticket.pdf"), ("doc_2", "../hotel invoice.pdf")] {
        let d = Document { claim_id: id.clone(), id: doc.into(), file_name: name.into(), kind: DocumentKind::Pdf, size: pdf.len() as u64, uploaded_at: at };
        // The bucket's own write (an upload), then the record; a name with a folder in it is no key, so no file.
        let key = d.key();
        if !name.contains('/') {
            std::fs::create_dir_all(dir.join("data/files").join(ccg_functions::records::document_prefix(&id, doc))).unwrap();
            std::fs::write(dir.join("data/files").join(&key), &pdf).unwrap();
            assert_eq!(files.head(&key).await.unwrap(), Some(pdf.len() as u64));
        }
        let audit = AuditEntry { at, actor: "applicant".into(), action: "claim.document".into(), subject: id.clone(), detail: String::new() };
        store.add_document(d, Some(ccg_model::DocumentLimits { max_files: 5, max_bytes: 100 }), audit).await.unwrap();
    }
    let orphan = dir.join("data/files/claims/clm_gone/doc_x/old.pdf");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, &pdf).unwrap();
    drop(store);

    let (code, out, err) = desk(&dir, &["claim", &id], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Deleted 1 document file(s) whose claim is gone."), "{out}");
    assert!(!orphan.exists());
    assert!(out.contains("Documents (2; desk files") && out.contains("doc_1  PDF  19 bytes  2027-03-20 10:00 UTC  ticket.pdf"), "{out}");

    // The second record's file never arrived: desk says which, after writing the first.
    let (code, out, err) = desk(&dir, &["files", &id, "--out", "dl"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("cannot read the file of doc_2"), "{err}");
    assert_eq!(std::fs::read(dir.join("dl/doc_1-ticket.pdf")).unwrap(), pdf);
    let (code, _, err) = desk(&dir, &["files", "clm_none", "--out", "dl"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no claim clm_none"), "{err}");
}

#[tokio::test]
async fn the_desk_names_claims_by_their_reference_and_takes_it_for_an_id() {
    let dir = temp_dir("desk-reference");
    let id = preview_store(&dir, Some("300")).await.unwrap();
    let base = ["--base-url", "https://ccg.eu"];
    let (code, out, err) = desk(&dir, &[&base[..], &["claims"]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("REFERENCE     ID "), "{out}");
    assert!(lines.next().unwrap().starts_with(&format!("CCG-2027-0001 {id} approved")), "{out}");
    // `desk claim` takes the reference (any letter case), and shows it next to the id.
    let (code, out, err) = desk(&dir, &[&base[..], &["claim", "ccg-2027-0001"]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("CCG-2027-0001  {id}  approved\n")), "{out}");
    // So do the decisions; an unknown reference is no claim.
    let (code, out, err) = desk(&dir, &[&base[..], &["paid", "CCG-2027-0001", "--amount", "300", "--on", "2027-04-02"]].concat(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("CCG-2027-0001 (Ana López, Valladolid 2027) is paid: 300 EUR on 2027-04-02.\n"), "{out}");
    let (code, _, err) = desk(&dir, &[&base[..], &["approve-claim", "CCG-2027-0002"]].concat(), &[]);
    assert_eq!(code, 1);
    assert!(err.contains("there is no claim CCG-2027-0002"), "{err}");
    // The export has the reference as its last column.
    let csv = dir.join("claims.csv");
    let (code, _, err) = desk(&dir, &["export", "claims", "-o", csv.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.lines().next().unwrap().ends_with(",reason,reference") && text.lines().nth(1).unwrap().ends_with(",CCG-2027-0001"), "{text}");
}

/// The staff are added, listed and removed from the desk, each change in the
/// history; removing one ends their sessions at once.
#[tokio::test]
async fn the_desk_adds_lists_and_removes_staff() {
    use ccg_functions::records::{Role, Session, SignedInBy};
    use ccg_functions::store::AccountStore;
    let dir = temp_dir("desk-staff");
    preview_store(&dir, None).await;
    let (code, out, err) = desk(&dir, &["staff", "list"], &[]);
    assert_eq!((code, out.as_str()), (0, "no staff\n"), "{err}");

    let (code, out, err) = desk(&dir, &["staff", "add", "Eva.Ortiz@CCG.eu", "--name", "Eva Ortiz"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Eva Ortiz (Eva.Ortiz@CCG.eu) is now staff, recorded by Eva.\n");
    let (code, out, err) = desk(&dir, &["staff", "add", "eva.ortiz@ccg.eu", "--name", "Eva"], &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("eva.ortiz@ccg.eu is staff already"), "{err}");
    let (code, _, err) = desk(&dir, &["staff", "add", "eva@", "--name", "Eva"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("`eva@` is not an email address"), "{err}");
    let (code, _, err) = desk(&dir, &["staff", "add", "max@ccg.eu", "--name", "  "], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("the name is empty"), "{err}");
    let (code, _, err) = desk(&dir, &["staff", "add", "max@ccg.eu"], &[]);
    assert_eq!(code, 2, "--name is required: {err}");

    let (code, out, err) = desk(&dir, &["staff", "list"], &[]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[0].starts_with("EMAIL") && rows[1].starts_with("Eva.Ortiz@CCG.eu Eva Ortiz added ") && rows[1].ends_with(" by Eva"), "{out}");

    // A session of hers ends when she is removed.
    let store = SqliteStore::open(&dir.join("data/forms.sqlite3")).unwrap();
    let now = jiff::Timestamp::now().as_second();
    let session = Session {
        id_hash: "h".repeat(64),
        email_key: "eva.ortiz@ccg.eu".into(),
        role: Role::Staff,
        by: SignedInBy::Link,
        created_at: now,
        last_used_at: now,
        passkey_at: None,
        device: "Firefox on Linux".into(),
        expires_at: now + 3600,
    };
    store.start_session(session, None, None).await.unwrap();
    drop(store);
    let (code, out, err) = desk(&dir, &["staff", "remove", "EVA.ORTIZ@ccg.eu"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "EVA.ORTIZ@ccg.eu is no longer staff and signed out everywhere, recorded by Eva.\n");
    let store = SqliteStore::open(&dir.join("data/forms.sqlite3")).unwrap();
    assert!(store.list_sessions("eva.ortiz@ccg.eu", now).await.unwrap().is_empty());
    drop(store);
    let (code, _, err) = desk(&dir, &["staff", "remove", "eva.ortiz@ccg.eu"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("eva.ortiz@ccg.eu is not staff"), "{err}");
    assert_eq!(desk(&dir, &["staff", "list"], &[]).1, "no staff\n");

    // The history, whole or of her address.
    let (code, out, err) = desk(&dir, &["history", "eva.ortiz@ccg.eu"], &[]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("Eva") && lines[0].contains("staff.added") && lines[0].ends_with("eva.ortiz@ccg.eu"), "{out}");
    assert!(lines[1].contains("staff.removed") && lines[1].ends_with("eva.ortiz@ccg.eu"), "{out}");
    let (_, all, _) = desk(&dir, &["history"], &[]);
    assert!(all.contains("staff.added") && all.contains("staff.removed") && all.contains("contact.confirmed"), "{all}");
}

/// `desk reindex` gives an item written without the index attributes (by an
/// earlier version) its place in the desk's lists, once; the preview's store needs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_gives_old_items_their_place() {
    use ccg_functions::records::{Contact, ContactStatus, Registration};
    use ccg_functions::store::DeskStore;
    use ccg_functions::store::lists::ContactQuery;
    let local = DynamoLocal::shared().await;
    let store = local.store("desk-reindex").await;
    let at: jiff::Timestamp = "2027-01-10T10:00:00Z".parse().unwrap();
    let details = Registration {
        email_key: "ana@x.eu".into(),
        name: "Ana".into(),
        email: "ana@x.eu".into(),
        city: "Valladolid".into(),
        country: "ES".into(),
        organisation: "O".into(),
        position: "P".into(),
        city_status: "lighthouse".into(),
        project: None,
        listed: false,
    };
    let ana = Contact { details, status: ContactStatus::Confirmed, city_key: None, created_at: at, updated_at: at, version: 1, expires_at: None };
    store.put_records(&[], std::slice::from_ref(&ana), &[], &[]).await.unwrap();
    // As an earlier version wrote it.
    let key = std::collections::HashMap::from([("pk".to_string(), aws_sdk_dynamodb::types::AttributeValue::S("CONTACT#ana@x.eu".into()))]);
    local
        .client()
        .update_item()
        .table_name("desk-reindex")
        .set_key(Some(key))
        .update_expression("REMOVE #l, #r, #s")
        .expression_attribute_names("#l", "list")
        .expression_attribute_names("#r", "rank")
        .expression_attribute_names("#s", "search")
        .send()
        .await
        .unwrap();
    let confirmed = ContactQuery { status: Some(ContactStatus::Confirmed), ..ContactQuery::default() };
    assert_eq!(store.contacts_page(&confirmed, None, 10).await.unwrap().items, []);

    let dir = temp_dir("desk-reindex");
    let aws =
        [("AWS_ENDPOINT_URL_DYNAMODB", local.endpoint.as_str()), ("AWS_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "fake"), ("AWS_SECRET_ACCESS_KEY", "fake")];
    let (code, out, err) = desk(&dir, &["--dynamodb", "desk-reindex", "reindex"], &aws);
    assert_eq!((code, out.as_str()), (0, "Items read: 1; given their places in the desk's lists: 1.\n"), "{err}");
    assert_eq!(store.contacts_page(&confirmed, None, 10).await.unwrap().items, [ana]);
    let (code, out, err) = desk(&dir, &["--dynamodb", "desk-reindex", "reindex"], &aws);
    assert_eq!((code, out.as_str()), (0, "Items read: 1; given their places in the desk's lists: 0.\n"), "{err}");

    preview_store(&dir, None).await;
    let (code, out, err) = desk(&dir, &["reindex"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("The embedded store gives its records their places in the desk's lists when it is opened: nothing to do.\n"), "{out}");
}
