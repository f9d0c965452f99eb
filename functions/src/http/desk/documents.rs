//! The members' repository on the desk (`/desk/documents/`): the documents
//! shared with members, adding one (a multipart form: its details and its
//! file in one POST), and on a document's page replacing its file or
//! removing it (with a box to tick). Changes need the passkey as every
//! decision does, go through the same service as `desk documents`, write
//! their history line, and answer with a redirect to the page that shows them.

use super::super::App;
use super::super::members::documents::shared_row;
use super::super::signed_in::{Req, fields, see_other, store_failed};
use super::{Query, render};
use crate::files::multipart;
use crate::records::{LANGUAGES, SharedKind};
use crate::service::account::SignedIn;
use crate::service::shared_documents::{SentFile, SharedError};
use crate::store::Store;
use crate::store::lists::SharedQuery;
use bytes::Bytes;
use ccg_forms::decide::shared::{SharedFields, SharedRefusal, size_words};
use http::{Response, StatusCode, header};
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

/// A multipart body's text fields and its file (`file`).
fn form(req: &Req<'_>, body: &Bytes) -> (HashMap<String, String>, SentFile) {
    let ctype = super::super::header_str(&req.parts.headers, header::CONTENT_TYPE).unwrap_or("");
    let Some(parts) = multipart::parse(ctype, body) else {
        // Not multipart: a form without its file (the remove button, a script).
        let f = fields(req, body).unwrap_or_default();
        return (f.iter().map(|(k, v)| (k.clone(), v.clone())).collect(), SentFile::default());
    };
    let mut texts = HashMap::new();
    let mut file = SentFile::default();
    for p in parts {
        match p.file_name {
            Some(name) if p.name == "file" => file = SentFile { name, bytes: p.data },
            None => {
                texts.insert(p.name, String::from_utf8_lossy(&p.data).into_owned());
            }
            Some(_) => {}
        }
    }
    (texts, file)
}

/// The refusals as the template reads them: `{field: code}` (the file's: `missing`, `size`, `type`).
fn errors(wrong: &[SharedRefusal]) -> Value {
    let mut m = Map::new();
    for r in wrong {
        let code = match r {
            SharedRefusal::Missing => "missing",
            SharedRefusal::Size => "size",
            SharedRefusal::WrongType => "type",
            _ => "wrong",
        };
        m.entry(r.field()).or_insert(json!(code));
    }
    Value::Object(m)
}

fn operator(who: &SignedIn) -> String {
    format!("{} (desk)", who.name)
}

/// The add form's choices and the limits it states.
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
    list_with(app, req, who, q, None, StatusCode::OK).await
}

async fn list_with<S: Store>(
    app: &App<S>,
    req: &Req<'_>,
    who: &SignedIn,
    q: &Query,
    sent_back: Option<(Value, HashMap<String, String>)>,
    status: StatusCode,
) -> Response<Bytes> {
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
    if req.json {
        return super::super::answer::json_response(status, &json!({"documents": rows}));
    }
    let next = super::next_link(SECTION, &[], page.next.as_deref());
    let (error, values) = sent_back.unwrap_or_else(|| (json!({}), HashMap::new()));
    let values = json!({
        "title": values.get("title"), "date": values.get("date"), "language": values.get("language").map_or("en", String::as_str),
        "meeting": values.get("meeting"), "kind": values.get("kind"),
    });
    let done = q.get("done").filter(|d| d == "removed");
    let data = json!({"documents": rows, "next": next, "error": error, "values": values, "choices": choices(app), "done": done});
    render(app, who, status, SECTION, "Documents shared with members", "answers/desk-documents.html", data)
}

pub(super) async fn add<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, body: &Bytes) -> Response<Bytes> {
    let (texts, file) = form(req, body);
    let get = |k: &str| texts.get(k).map_or("", String::as_str);
    let sent = SharedFields { title: get("title"), date: get("date"), language: get("language"), meeting: get("meeting"), kind: get("kind") };
    match app.forms.add_shared(&sent, file, &operator(who)).await {
        Ok(d) if req.json => super::super::answer::json_response(StatusCode::CREATED, &json!({"status": "added", "id": d.id})),
        Ok(d) => see_other(&format!("{SECTION}{}/?done=added", d.id)),
        Err(SharedError::Refused(wrong)) if req.json => {
            super::super::answer::json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"errors": errors(&wrong)}))
        }
        Err(SharedError::Refused(wrong)) => {
            list_with(app, req, who, &Query(String::new()), Some((errors(&wrong), texts.clone())), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => failed(app, req, who, e),
    }
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
    let data = json!({"d": row, "done": done, "error": error, "max_size": size_words(app.forms.shared_max_bytes())});
    render(app, who, status, SECTION, &d.title, "answers/desk-document.html", data)
}

pub(super) async fn act<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, id: &str, act: Act, body: &Bytes) -> Response<Bytes> {
    let (texts, file) = form(req, body);
    let Some(version) = texts.get("version").and_then(|v| v.trim().parse::<u64>().ok()) else {
        return failed(app, req, who, SharedError::Conflict);
    };
    match act {
        Act::Replace => match app.forms.replace_shared(id, version, file, &operator(who)).await {
            Ok(_) if req.json => super::super::answer::json_response(StatusCode::OK, &json!({"status": "replaced"})),
            Ok(d) => see_other(&format!("{SECTION}{}/?done=replaced", d.id)),
            Err(SharedError::Refused(wrong)) => page_with(app, req, who, id, None, errors(&wrong), StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(e) => failed(app, req, who, e),
        },
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
