//! The members' repository, `/members/documents/`: the documents the
//! secretariat shares, newest first, filtered by meeting and year (a GET
//! form, no script), a page at a time; and `/members/documents/<id>`, a
//! document's file: streamed with `Content-Disposition: attachment` in the
//! preview, a 303 to a presigned GET of `files::DOWNLOAD_SECONDS` in AWS.
//! Only a signed-in member or staff gets here (`http::account` sends
//! anyone else to `/sign-in/` before this runs), and every answer is no-store.

use super::super::App;
use super::super::answer::json_response;
use super::super::signed_in::{Req, message, see_other, store_failed};
use crate::records::{SharedDocument, language_name};
use crate::service::shared_documents::{Download, SharedError};
use crate::store::Store;
use crate::store::lists::SharedQuery;
use bytes::Bytes;
use ccg_forms::decide::shared::size_words;
use ccg_model::words::long_date;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// Documents per page.
pub const PAGE: usize = 20;

/// The repository's list, and where a document's file is.
pub(super) const BASE: &str = "/members/documents";

/// A document as the lists show it (the members' page and the desk's).
pub(in crate::http) fn shared_row<S: Store>(app: &App<S>, d: &SharedDocument) -> Value {
    let cat = app.forms.catalogue();
    let meeting = d.meeting.as_ref().map(|m| {
        let title = cat.event(m).map_or(m.clone(), |e| e.title.clone());
        json!({"id": m, "title": title, "url": format!("/calendar/{m}/")})
    });
    json!({
        "id": d.id, "title": d.title, "date": long_date(d.date), "date_iso": d.date.to_string(),
        "language": language_name(&d.language).unwrap_or(&d.language), "language_code": d.language,
        "meeting": meeting, "kind": d.kind.label(), "type": d.file_type.label(), "size": size_words(d.size),
        "file_name": d.file_name, "sha256": d.sha256, "version": d.version,
        "url": format!("{BASE}/{}", d.id),
    })
}

pub(super) async fn list<S: Store>(app: &App<S>, req: &Req<'_>, q: &super::super::desk::Query) -> Response<Bytes> {
    let f = &app.forms;
    let meeting = q.get("meeting").filter(|m| f.catalogue().event(m).is_some());
    let year = q.get("year").and_then(|y| y.parse::<i16>().ok());
    let ask = SharedQuery { meeting: meeting.clone(), year };
    let page = match f.shared_page(&ask, q.get("after").as_deref(), PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let rows: Vec<Value> = page.items.iter().map(|d| shared_row(app, d)).collect();
    let next = super::super::desk::next_link(&format!("{BASE}/"), &[("meeting", meeting.clone()), ("year", year.map(|y| y.to_string()))], page.next.as_deref());
    if req.json {
        return json_response(StatusCode::OK, &json!({"documents": rows, "next": next}));
    }
    let cat = f.catalogue();
    let mut events: Vec<_> = cat.events.iter().collect();
    events.sort_by(|a, b| b.id.cmp(&a.id));
    let meetings: Vec<Value> = events.iter().map(|e| json!({"id": e.id, "title": e.title, "selected": meeting.as_deref() == Some(e.id.as_str())})).collect();
    let years: Vec<Value> = super::super::desk::years(app).into_iter().map(|y| json!({"year": y, "selected": year == Some(y)})).collect();
    let data = json!({
        "documents": rows, "next": next, "meetings": meetings, "years": years,
        "filtered": meeting.is_some() || year.is_some(), "first": q.get("after").is_none(),
    });
    super::render(app, StatusCode::OK, "/members/documents/", "The members' repository", "answers/members-documents.html", data)
}

pub(super) async fn download<S: Store>(app: &App<S>, req: &Req<'_>, id: &str) -> Response<Bytes> {
    let f = &app.forms;
    let d = match f.shared_document(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return message(app, req.json, StatusCode::NOT_FOUND, "Not found", "There is no such document: it may have been removed."),
        Err(e) => return store_failed(app, req.json, e),
    };
    match f.shared_download(&d).await {
        Ok(Download::Url(url)) => see_other(&url),
        Ok(Download::Bytes(bytes)) => {
            let mut r = Response::new(Bytes::from(bytes));
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(d.file_type.mime()));
            let disposition = crate::files::attachment(&d.file_name);
            h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")));
            h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
            r
        }
        Err(SharedError::Store(e)) => store_failed(app, req.json, e),
        Err(e) => {
            tracing::error!(detail = %e, id = %d.id, "members: a shared file unreadable");
            message(app, req.json, StatusCode::SERVICE_UNAVAILABLE, "Not downloaded", "The file could not be read. Please try again in a few minutes.")
        }
    }
}
