//! The members' repository on the desk (`/desk/documents/`): the documents
//! shared with members; adding one and replacing a document's file, whose
//! file goes from the browser straight to the bucket (`upload`); removing one
//! (with a box to tick). Changes need the passkey as every decision does, go
//! through the same service as `desk documents`, write their history line,
//! and answer with a redirect to the page that shows them.

mod upload;

pub(super) use upload::{add, arrived, replacement};

use super::super::App;
use super::super::members::documents::shared_row;
use super::super::signed_in::{Req, fields, see_other, store_failed};
use super::{Query, render};
use crate::records::{LANGUAGES, SharedKind};
use crate::service::account::SignedIn;
use crate::service::shared_documents::SharedError;
use crate::store::Store;
use crate::store::lists::SharedQuery;
use bytes::Bytes;
use ccg_forms::decide::shared::{SharedRefusal, size_words};
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const SECTION: &str = "/desk/documents/";

/// What a document's page takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::http) enum Act {
    Replace,
    Remove,
}

impl Act {
    pub fn parse(s: &str) -> Option<Act> {
        match s {
            "replace" => Some(Act::Replace),
            "remove" => Some(Act::Remove),
            _ => None,
        }
    }
}

/// A form's fields (url-encoded or JSON); none when the body is neither.
fn texts(req: &Req<'_>, body: &Bytes) -> HashMap<String, String> {
    fields(req, body).unwrap_or_default().into_iter().collect()
}

/// The refusals as the templates read them: `{field: code}` (the file's: `missing`, `size`, `type`).
fn errors(wrong: &[SharedRefusal]) -> Value {
    let mut m = Map::new();
    for r in wrong {
        m.entry(r.field()).or_insert(json!(code(*r)));
    }
    Value::Object(m)
}

fn code(r: SharedRefusal) -> &'static str {
    match r {
        SharedRefusal::Missing => "missing",
        SharedRefusal::Size => "size",
        SharedRefusal::WrongType => "type",
        _ => "wrong",
    }
}

fn operator(who: &SignedIn) -> String {
    format!("{} (desk)", who.name)
}

/// The details form's choices and the limits it states.
fn choices<S: Store>(app: &App<S>) -> Value {
    let cat = app.forms.catalogue();
    let mut events: Vec<_> = cat.events.iter().collect();
    events.sort_by(|a, b| b.id.cmp(&a.id));
    json!({
        "languages": LANGUAGES.iter().map(|(c, n)| json!({"code": c, "name": n})).collect::<Vec<_>>(),
        "kinds": SharedKind::ALL.iter().map(|k| json!({"value": k.as_str(), "label": k.label()})).collect::<Vec<_>>(),
        "meetings": events.iter().map(|e| json!({"id": e.id, "title": e.title})).collect::<Vec<_>>(),
        "max_size": size_words(app.forms.shared_max_bytes()),
    })
}

pub(super) async fn list<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let page = match app.forms.shared_page(&SharedQuery::default(), q.get("after").as_deref(), crate::store::lists::PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let rows: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let mut r = shared_row(app, d);
            r["desk_url"] = json!(format!("{SECTION}{}/", d.id));
            r
        })
        .collect();
    let form = upload::form(app, upload::NEW_PATH).await;
    if req.json {
        return super::super::answer::json_response(StatusCode::OK, &json!({"documents": rows, "upload": form}));
    }
    let next = super::next_link(SECTION, &[], page.next.as_deref());
    let done = q.get("done").filter(|d| d == "removed");
    let data = json!({"documents": rows, "next": next, "upload": form, "max_size": size_words(app.forms.shared_max_bytes()), "done": done});
    render(app, who, StatusCode::OK, SECTION, "Documents shared with members", "answers/desk-documents.html", data)
}

fn failed<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, e: SharedError) -> Response<Bytes> {
    match e {
        SharedError::Store(e) => store_failed(app, req.json, e),
        SharedError::NotFound => super::not_found(app, who, SECTION, "There is no such document: it may have been removed."),
        SharedError::Conflict => render(
            app,
            who,
            StatusCode::CONFLICT,
            SECTION,
            "Changed in the meantime",
            "answers/desk-message.html",
            json!({"message": "This document was changed by someone else since you opened it: nothing was changed. Open it again to see it as it is now."}),
        ),
        e => {
            tracing::error!(detail = %e, "desk: shared document not changed");
            render(
                app,
                who,
                StatusCode::SERVICE_UNAVAILABLE,
                SECTION,
                "Not done",
                "answers/desk-message.html",
                json!({"message": "The file could not be stored or read, so nothing was changed. Please try again in a few minutes."}),
            )
        }
    }
}

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, q: &Query) -> Response<Bytes> {
    page_with(app, req, who, id, q.get("done"), json!({}), StatusCode::OK).await
}

async fn page_with<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, done: Option<String>, error: Value, status: StatusCode) -> Response<Bytes> {
    let d = match app.forms.shared_document(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return super::not_found(app, who, SECTION, "There is no such document: it may have been removed."),
        Err(e) => return store_failed(app, req.json, e),
    };
    let mut row = shared_row(app, &d);
    if req.json {
        return super::super::answer::json_response(status, &row);
    }
    row["added"] = json!(super::day(d.added_at));
    row["added_by"] = json!(d.added_by);
    row["replaced"] = json!(d.replaced_at.map(super::day));
    row["replaced_by"] = json!(d.replaced_by);
    let done = done.filter(|d| d == "added" || d == "replaced");
    let upload = upload::form(app, &upload::replacement_path(&d.id)).await;
    let data = json!({"d": row, "done": done, "error": error, "upload": upload, "max_size": size_words(app.forms.shared_max_bytes())});
    render(app, who, status, SECTION, &d.title, "answers/desk-document.html", data)
}

pub(super) async fn act<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, act: Act, body: &Bytes) -> Response<Bytes> {
    let texts = texts(req, body);
    let Some(version) = texts.get("version").and_then(|v| v.trim().parse::<u64>().ok()) else {
        return failed(app, req, who, SharedError::Conflict);
    };
    match act {
        Act::Replace => upload::replace(app, req, who, id, version, &texts).await,
        Act::Remove => {
            if texts.get("confirm").map(String::as_str) != Some("yes") {
                return page_with(app, req, who, id, None, json!({"confirm": "missing"}), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            match app.forms.remove_shared(id, version, &operator(who)).await {
                Ok(_) if req.json => super::super::answer::json_response(StatusCode::OK, &json!({"status": "removed"})),
                Ok(_) => see_other(&format!("{SECTION}?done=removed")),
                Err(e) => failed(app, req, who, e),
            }
        }
    }
}
