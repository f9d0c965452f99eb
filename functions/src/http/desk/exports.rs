//! Exports on the desk: the CSVs `desk export` writes (claims, contacts,
//! usage of a year), as downloads. Each is a POST, because it is recorded in
//! the history: who took which data, when.

use super::super::App;
use super::super::signed_in::{Req, fields, store_failed};
use super::render;
use crate::service::account::SignedIn;
use crate::service::desk_read::Export;
use crate::store::Store;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde_json::json;

pub(super) async fn page<S: Store>(app: &App<S>, _req: &Req<'_>, who: &SignedIn) -> Response<Bytes> {
    let f = &app.forms;
    let years = super::years(app);
    render(app, who, StatusCode::OK, "/desk/exports/", "Exports", "answers/desk-exports.html", json!({"years": years, "year": f.today().year()}))
}

pub(super) async fn download<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, what: &str, body: &Bytes) -> Response<Bytes> {
    let f = &app.forms;
    let Some(export) = Export::parse(what) else { return super::not_found(app, who, "/desk/exports/", "There is no such export.") };
    let fields = fields(req, body).unwrap_or_default();
    let year = fields.get("year").and_then(|y| y.trim().parse().ok()).unwrap_or_else(|| f.today().year());
    match f.export(export, year, &format!("{} (desk)", who.name)).await {
        Ok(text) => {
            let name = match export {
                Export::Usage => format!("usage-{year}.csv"),
                e => format!("{}-{}.csv", e.name(), f.today()),
            };
            csv_response(&name, text)
        }
        Err(e) => store_failed(app, req.json, e),
    }
}

/// A CSV as a download.
pub(super) fn csv_response(name: &str, text: String) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(text));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let disposition = format!("attachment; filename=\"{}\"", name.replace(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)), "_"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}
