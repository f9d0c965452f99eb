//! The answer to a request that ran out of time as a whole (the Lambda edge's
//! deadline, `lambda::REQUEST_DEADLINE`): the same 503 with `Retry-After` that
//! a store found unavailable gets, in the part of the site that was asked.

use super::App;
use super::account::Page;
use super::answer::{Answer, render};
use super::signed_in::store_failed;
use crate::routes::{Form, Route};
use crate::store::{Store, StoreError};
use bytes::Bytes;
use http::{HeaderMap, Response};

/// The designed "unavailable, try again" answer for `path`, as HTML or JSON
/// as the request asked (`wants_json`). Nothing is promised about what the
/// request may have written: each write is atomic, and a retry is safe.
pub fn out_of_time<S: Store>(app: &App<S>, path: &str, headers: &HeaderMap, detail: String) -> Response<Bytes> {
    let json = super::wants_json(headers);
    if Page::owns(path) {
        return store_failed(app, json, StoreError::Unavailable(detail));
    }
    let form = Route::parse(path).map_or(Form::Register, Route::form);
    render(app, json, form, Answer::Unavailable(detail))
}
