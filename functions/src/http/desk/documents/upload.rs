//! A repository file from the browser, never through the desk function's
//! body (in AWS, CloudFront's Lambda@Edge sees bodies up to 1 MB): the desk's
//! pages show a form that posts the file straight to the bucket
//! (`Forms::shared_upload_form`; in the preview, the preview's bucket); the
//! bucket sends the browser back to a page here that shows what arrived,
//! judged by its content, and asks for the document's details (a new
//! document) or the confirmation (a replacement); that page's POST, behind
//! the desk's same-origin, session and passkey checks, adds it. A refused
//! file is deleted and the page says why, with a new form to choose another.

use super::super::super::App;
use super::super::super::answer::json_response;
use super::super::super::members::documents::shared_row;
use super::super::super::signed_in::{Req, see_other, store_failed};
use super::super::{Query, not_found, render};
use super::{SECTION, choices, code, errors, failed, operator};
use crate::service::account::SignedIn;
use crate::service::shared_documents::SharedError;
use crate::service::shared_uploads::{Arrived, INCOMING_HOURS};
use crate::store::Store;
use bytes::Bytes;
use ccg_forms::decide::shared::{SharedFields, size_words};
use http::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Where the bucket sends the browser after a new document's file.
pub(super) const NEW_PATH: &str = "/desk/documents/new";

/// Where the bucket sends the browser after a replacement of `id`'s file.
pub(super) fn replacement_path(id: &str) -> String {
    format!("{SECTION}{id}/replacement")
}

/// An upload form as the templates read it (`action`, `fields`), or null
/// when none could be signed now (the page then says so instead).
pub(super) async fn form<S: Store>(app: &App<S>, return_path: &str) -> Value {
    match app.forms.shared_upload_form(return_path).await {
        Ok(f) => json!({
            "action": f.action, "fields": f.fields.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "minutes": crate::files::FORM_MINUTES, "hours": INCOMING_HOURS,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "desk: no upload form");
            Value::Null
        }
    }
}

/// What arrived, as the templates read it; `error.file` gets its refusal, unless the POST already named one.
fn arrived_view(a: &Arrived, error: &mut Value) -> Value {
    if let (Err(r), Value::Object(m)) = (a.judged, &mut *error) {
        m.entry("file").or_insert(json!(code(r)));
    }
    json!({"name": a.name, "size": size_words(a.size), "type": a.judged.ok().map(|t| t.label())})
}

fn file_refused(error: &Value) -> bool {
    error.get("file").is_some()
}

/// The page the bucket sends the browser to after a new document's file: what arrived, and the details to give.
pub(in crate::http) async fn arrived<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    new_page(app, req, who, &q.get("key").unwrap_or_default(), json!({}), &HashMap::new(), StatusCode::OK).await
}

async fn new_page<S: Store>(
    app: &App<S>,
    req: &Req<'_>,
    who: &SignedIn,
    key: &str,
    mut error: Value,
    values: &HashMap<String, String>,
    status: StatusCode,
) -> Response<Bytes> {
    let a = match app.forms.incoming_shared(key).await {
        Ok(a) => a,
        Err(e) => return failed(app, req, who, e),
    };
    let file = arrived_view(&a, &mut error);
    if req.json {
        return json_response(status, &json!({"file": file, "key": a.key, "errors": error}));
    }
    // A refused file is gone: the page offers a new form to choose another.
    let upload = if file_refused(&error) { form(app, NEW_PATH).await } else { Value::Null };
    let values = json!({
        "title": values.get("title"), "date": values.get("date"), "language": values.get("language").map_or("en", String::as_str),
        "meeting": values.get("meeting"), "kind": values.get("kind"),
    });
    let data = json!({"file": file, "key": a.key, "error": error, "values": values, "choices": choices(app), "upload": upload, "max_size": size_words(app.forms.shared_max_bytes()), "hours": INCOMING_HOURS});
    render(app, who, status, SECTION, "Add a document", "answers/desk-document-new.html", data)
}

/// Adds the document: its details from the form, its file from the incoming `key` the page carried.
pub(in crate::http) async fn add<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, body: &Bytes) -> Response<Bytes> {
    let texts = super::texts(req, body);
    let get = |k: &str| texts.get(k).map_or("", String::as_str);
    let sent = SharedFields { title: get("title"), date: get("date"), language: get("language"), meeting: get("meeting"), kind: get("kind") };
    match app.forms.add_shared_upload(&sent, get("key"), &operator(who)).await {
        Ok(d) if req.json => json_response(StatusCode::CREATED, &json!({"status": "added", "id": d.id})),
        Ok(d) => see_other(&format!("{SECTION}{}/?done=added", d.id)),
        Err(SharedError::Refused(wrong)) if req.json => json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": errors(&wrong)})),
        Err(SharedError::Refused(wrong)) => new_page(app, req, who, get("key"), errors(&wrong), &texts, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => failed(app, req, who, e),
    }
}

/// The page the bucket sends the browser to after a replacement file for `id`: the file now and the one that arrived.
pub(in crate::http) async fn replacement<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, q: &Query) -> Response<Bytes> {
    replacement_page(app, req, who, id, &q.get("key").unwrap_or_default(), json!({}), StatusCode::OK).await
}

async fn replacement_page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, key: &str, mut error: Value, status: StatusCode) -> Response<Bytes> {
    let d = match app.forms.shared_document(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(app, who, SECTION, "There is no such document: it may have been removed."),
        Err(e) => return store_failed(app, req.json, e),
    };
    let a = match app.forms.incoming_shared(key).await {
        Ok(a) => a,
        Err(e) => return failed(app, req, who, e),
    };
    let file = arrived_view(&a, &mut error);
    if req.json {
        return json_response(status, &json!({"file": file, "key": a.key, "version": d.version, "errors": error}));
    }
    let upload = if file_refused(&error) { form(app, &replacement_path(id)).await } else { Value::Null };
    let data = json!({"d": shared_row(app, &d), "file": file, "key": a.key, "error": error, "upload": upload, "max_size": size_words(app.forms.shared_max_bytes()), "hours": INCOMING_HOURS});
    render(app, who, status, SECTION, &d.title, "answers/desk-document-replacement.html", data)
}

/// Replaces `id`'s file with the incoming `key`, if the document is still at `version` (the one the page showed).
pub(super) async fn replace<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, version: u64, texts: &HashMap<String, String>) -> Response<Bytes> {
    let key = texts.get("key").map_or("", String::as_str);
    match app.forms.replace_shared_upload(id, version, key, &operator(who)).await {
        Ok(_) if req.json => json_response(StatusCode::OK, &json!({"status": "replaced"})),
        Ok(d) => see_other(&format!("{SECTION}{}/?done=replaced", d.id)),
        Err(SharedError::Refused(wrong)) if req.json => json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": errors(&wrong)})),
        Err(SharedError::Refused(wrong)) => replacement_page(app, req, who, id, key, errors(&wrong), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => failed(app, req, who, e),
    }
}
