//! `{api_base}/travel-claims/documents?token=…&doc=…&key=…`: where the file
//! store sends the claimant after an upload. `GET` shows what arrived and
//! one button (it changes nothing: the bucket's redirect is a GET, and mail
//! scanners or a reload must not record anything); its `POST` checks the
//! file and records it on the claim, or deletes it and says why, naming the
//! field (`file`).

use super::answer::{Answer, decode_error, framed, json_response, link_answer, plain};
use super::frame::{AnswerPage, Back, Body};
use super::origin::foreign_post;
use super::{App, header_str, query_param};
use crate::decode::{self, BodyKind, DecodeError, MAX_BODY};
use crate::records::Document;
use crate::routes::{Form, Route};
use crate::service::documents::{AddError, file_name_of};
use crate::store::Store;
use bytes::Bytes;
use ccg_forms::decide::documents::DocumentRefusal;
use ccg_model::DocumentLimits;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use serde_json::json;

/// The sentence for a refused document, naming the file.
pub fn refusal_message(r: DocumentRefusal, file_name: &str, limits: Option<DocumentLimits>) -> String {
    let (files, mib) = limits.map_or((0, 0.0), |l| (l.max_files, l.max_bytes as f64 / (1024.0 * 1024.0)));
    match r {
        DocumentRefusal::WrongType => format!(
            "The file {file_name} is not a PDF, JPEG or PNG file (judged by its content, not its name), so it was deleted. Choose a PDF, JPEG or PNG file."
        ),
        DocumentRefusal::Size => format!("The file {file_name} is empty or larger than {mib:.0} MB, so it was deleted. Choose a smaller file."),
        DocumentRefusal::TooMany => format!("This claim already has {files} documents, the most this form takes, so {file_name} was deleted."),
        DocumentRefusal::ClaimState(s) => format!("This claim is {} and takes no more documents, so {file_name} was deleted.", s.describe()),
        DocumentRefusal::Missing => "No file arrived for this upload, or the time to add it has passed. Choose the file again on your claim's page.".into(),
        DocumentRefusal::NotTaken => format!("This form does not take documents, so {file_name} was deleted."),
    }
}

fn document_json(d: &Document) -> serde_json::Value {
    json!({"id": d.id, "file_name": d.file_name, "type": d.kind.as_str(), "size": d.size, "uploaded_at": d.uploaded_at.to_string()})
}

pub(super) async fn answer<S: Store>(app: &App<S>, parts: &http::request::Parts, body: Bytes, wants_json: bool) -> Response<Bytes> {
    let f = &app.forms;
    let form = Form::TravelClaims;
    let query = parts.uri.query().unwrap_or("");
    let from_query = |name: &str| query_param(query, name);
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let (token, doc, key) = (from_query("token").unwrap_or_default(), from_query("doc").unwrap_or_default(), from_query("key").unwrap_or_default());
        let mut r = match f.claim_of_token(&token).await {
            Err(e) => super::answer::render(app, wants_json, form, link_answer(e)),
            Ok(c) => match file_name_of(&key, &c.id, &doc) {
                None => super::answer::render(app, wants_json, form, Answer::LinkInvalid),
                Some(_) if wants_json => json_response(StatusCode::OK, &json!({"status": "uploaded"})),
                Some(name) => {
                    let data = json!({"file_name": name, "action": Route::Documents.url(&f.options.public_url, &f.options.api_base, None),
                                      "token": token, "doc": doc, "key": key, "claim": c.id});
                    let page = AnswerPage {
                        title: "Add the document".into(),
                        heading: "Add the document to your claim".into(),
                        body: Body::new("answers/document-add.html", data),
                        ..AnswerPage::default()
                    };
                    framed(app, StatusCode::OK, form, page)
                }
            },
        };
        if parts.method == Method::HEAD {
            *r.body_mut() = Bytes::new();
        }
        return r;
    }
    if parts.method != Method::POST {
        let mut r = plain(app, wants_json, form, StatusCode::METHOD_NOT_ALLOWED, "Open your claim's page from its link, then add the document there.");
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(Route::Documents.allow()));
        return r;
    }
    if foreign_post(app, &parts.headers) {
        let msg = "This page only accepts the button on the City Coordinators Group's own website. Nothing was changed.";
        return plain(app, wants_json, form, StatusCode::FORBIDDEN, msg);
    }
    if body.len() > MAX_BODY {
        return decode_error(app, wants_json, form, &DecodeError::TooLarge);
    }
    let kind = match decode::body_kind(header_str(&parts.headers, header::CONTENT_TYPE)) {
        Ok(k) => k,
        Err(_) if body.is_empty() => BodyKind::Form,
        Err(e) => return decode_error(app, wants_json, form, &e),
    };
    let fields = match decode::decode(kind, &body) {
        Ok(fields) => fields,
        Err(e) => return decode_error(app, wants_json, form, &e),
    };
    let field = |name: &str| fields.get(name).cloned().or_else(|| from_query(name)).unwrap_or_default();
    let token = field("token");
    let limits = f.catalogue().rules.documents;
    match f.add_document(&token, &field("doc"), &field("key")).await {
        Ok((_, d)) if wants_json => json_response(StatusCode::OK, &json!({"status": "added", "document": document_json(&d)})),
        Ok((c, d)) => {
            let view = f.claim_documents(&c, &token).await.unwrap_or_default();
            let (heading, inner) = super::pages::claim_page(f, &c, &token, &view, Some(&d));
            framed(app, StatusCode::OK, form, claim_answer(heading, inner))
        }
        Err(AddError::Refused { refusal, file_name }) => {
            let msg = refusal_message(refusal, &file_name, limits);
            let status = match refusal {
                DocumentRefusal::TooMany | DocumentRefusal::ClaimState(_) | DocumentRefusal::NotTaken => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            if wants_json {
                return json_response(status, &json!({"errors": {"file": msg}}));
            }
            let back = Route::Confirm(form).url(&f.options.public_url, &f.options.api_base, Some(&token));
            let page = AnswerPage {
                title: "Error: Add the document".into(),
                heading: "The document was not added".into(),
                body: Body::new("answers/document-refused.html", json!({"message": msg})),
                back: Some(Back { url: back, text: "Back to your claim".into() }),
                ..AnswerPage::default()
            };
            framed(app, status, form, page)
        }
        Err(AddError::Link(e)) => super::answer::render(app, wants_json, form, link_answer(e)),
        Err(AddError::Unavailable(d)) => super::answer::render(app, wants_json, form, Answer::Unavailable(d)),
    }
}

/// A claim's page as an answer of its own (after a document was added).
fn claim_answer(heading: String, inner: Body) -> AnswerPage {
    AnswerPage { title: heading.clone(), heading, body: inner, ..AnswerPage::default() }
}
