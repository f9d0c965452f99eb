//! A claim's supporting documents on both stores: recorded once, within the
//! limits, only while the claim is on its way to payment, kept through the
//! secretariat's decisions, and gone with their claim.

use super::counted;
use crate::common::*;
use ccg_forms::decide::documents::{Admit, DocumentRefusal};
use ccg_functions::records::{AuditEntry, ClaimStatus, Document, DocumentKind};
use ccg_functions::store::DocumentError;
use ccg_functions::{App, Store};
use ccg_model::{Cents, DocumentLimits};

const LIMITS: Option<DocumentLimits> = Some(DocumentLimits { max_files: 2, max_bytes: 100 });

fn doc(claim_id: &str, id: &str, kind: DocumentKind) -> Document {
    let at: jiff::Timestamp = "2027-03-20T10:00:00Z".parse().unwrap();
    Document { claim_id: claim_id.into(), id: id.into(), file_name: format!("ticket {id}.pdf"), kind, size: 42, uploaded_at: at }
}

fn audit(claim_id: &str) -> AuditEntry {
    AuditEntry { at: jiff::Timestamp::now(), actor: "applicant".into(), action: "claim.document".into(), subject: claim_id.into(), detail: String::new() }
}

async fn add<S: Store>(app: &App<S>, d: Document, limits: Option<DocumentLimits>) -> Result<Admit, DocumentError> {
    let a = audit(&d.claim_id);
    app.forms.store.add_document(d, limits, a).await
}

pub(super) async fn documents_go_with_their_claim<S: Store>(store: S, embedded: bool) {
    let app = app(store, catalogue_with(10, Some(EURO_RULES), false));
    representative(&app, "ana@valladolid.es", "Valladolid", "ES").await;
    let store = &app.forms.store;
    let (paid, _) = counted(&app, "e1", "400").await;

    assert_eq!(add(&app, doc(&paid, "d1", DocumentKind::Pdf), LIMITS).await, Ok(Admit::New));
    assert_eq!(add(&app, doc(&paid, "d1", DocumentKind::Pdf), LIMITS).await, Ok(Admit::Already), "the same document twice is recorded once");
    assert_eq!(add(&app, doc(&paid, "d2", DocumentKind::Png), LIMITS).await, Ok(Admit::New));
    assert_eq!(add(&app, doc(&paid, "d3", DocumentKind::Jpeg), LIMITS).await, Err(DocumentError::Denied(DocumentRefusal::TooMany)));
    assert_eq!(add(&app, doc(&paid, "d3", DocumentKind::Jpeg), None).await, Err(DocumentError::Denied(DocumentRefusal::NotTaken)));
    assert_eq!(add(&app, doc("clm_none", "d1", DocumentKind::Pdf), LIMITS).await, Err(DocumentError::NotFound));
    let listed = store.list_documents(&paid).await.unwrap();
    assert_eq!(listed, vec![doc(&paid, "d1", DocumentKind::Pdf), doc(&paid, "d2", DocumentKind::Png)]);
    let lines = store.list_audit().await.unwrap().into_iter().filter(|a| a.action == "claim.document" && a.subject == paid).count();
    assert_eq!(lines, 2, "one history line per document recorded");

    // The secretariat's decisions keep them; a paid claim takes no more.
    app.forms.approve_claim(&paid, "Eva").await.unwrap();
    app.forms.record_payment(&paid, "Eva", Cents(40000), jiff::civil::Date::constant(2027, 4, 2), None).await.unwrap();
    assert_eq!(store.list_documents(&paid).await.unwrap().len(), 2, "kept through approval and payment");
    let big = Some(DocumentLimits { max_files: 10, max_bytes: 100 });
    assert_eq!(add(&app, doc(&paid, "d4", DocumentKind::Pdf), big).await, Err(DocumentError::Denied(DocumentRefusal::ClaimState(ClaimStatus::Paid))));

    // Concurrent uploads to one claim never pass its limit.
    let (racing, _) = counted(&app, "e2", "100").await;
    let (a, b, c, d) = tokio::join!(
        add(&app, doc(&racing, "r1", DocumentKind::Pdf), LIMITS),
        add(&app, doc(&racing, "r2", DocumentKind::Pdf), LIMITS),
        add(&app, doc(&racing, "r3", DocumentKind::Pdf), LIMITS),
        add(&app, doc(&racing, "r4", DocumentKind::Pdf), LIMITS),
    );
    let added = [a, b, c, d].into_iter().filter(|r| *r == Ok(Admit::New)).count();
    assert_eq!(added, 2);
    assert_eq!(store.list_documents(&racing).await.unwrap().len(), 2);
    app.forms.reject_claim(&racing, "Eva", "no receipts").await.unwrap();
    assert_eq!(store.list_documents(&racing).await.unwrap().len(), 2, "a rejected claim keeps its documents until its end");

    // Erasure: the paid claim is kept (blanked) with its documents; the rejected one goes with them.
    app.forms.erase("ana@valladolid.es", "Eva").await.unwrap();
    assert_eq!(store.list_documents(&paid).await.unwrap().len(), 2);
    assert!(store.list_documents(&racing).await.unwrap().is_empty());

    if embedded {
        // The paid claim's end (years after payment): its documents go with it.
        let end = store.claim_expires_at(&paid).await.unwrap().expect("a paid claim has an end");
        store.sweep(end).await.unwrap();
        assert!(store.get_claim(&paid).await.unwrap().is_none());
        assert!(store.list_documents(&paid).await.unwrap().is_empty());
    }
}
