//! The Idempotency-Key promise on the two submit endpoints: a retry with the
//! same key gets the first answer, a key reused for another request is refused,
//! and concurrent retries wait for the first answer.

use super::answer::{Answer, json_response, plain, render, submit_answer};
use super::{App, header_str};
use crate::decode::Fields;
use crate::service::Form;
use crate::store::{Kept, Store, StoredAnswer};
use bytes::Bytes;
use http::header;
use http::{Response, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// A submission, with the Idempotency-Key promise: a retry gets the first answer.
pub(super) async fn submit_idempotently<S: Store>(
    app: &App<S>,
    form: Form,
    parts: &http::request::Parts,
    body: &Bytes,
    fields: &Fields,
    json: bool,
) -> Response<Bytes> {
    let idem_key = match parts.headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())) {
            Some(k) => Some(k.to_string()),
            None => {
                let msg = "The Idempotency-Key header must be 1 to 200 visible ASCII characters.";
                return plain(app, json, form, StatusCode::BAD_REQUEST, msg);
            }
        },
    };
    let store = &app.forms.store;
    let hash = idem_key.as_ref().map(|_| {
        let mut h = Sha256::new();
        h.update(form.name().as_bytes());
        h.update([0, json as u8, 0]);
        h.update(body);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
    });
    if let (Some(key), Some(hash)) = (&idem_key, &hash) {
        match app.forms.timed(store.idempotent_start(form.name(), key, hash)).await {
            Ok(None) => {}
            Ok(Some(Kept::Done(kept))) => return replay(app, json, form, &kept, hash),
            Ok(Some(Kept::Pending { request_hash })) if request_hash != *hash => return key_reused(app, json, form),
            // The same request is being processed right now: wait for its answer.
            Ok(Some(Kept::Pending { .. })) => return wait_for_answer(app, json, form, key, hash).await,
            Err(e) => return render(app, json, form, Answer::from(e)),
        }
    }
    let once = idem_key.as_deref().zip(hash.as_deref()).map(|(k, h)| crate::token::keyed_id(form.name(), k, h));
    let result = match form {
        Form::Register => app.forms.submit_registration(fields, once.as_deref()).await,
        Form::TravelClaims => app.forms.submit_claim(fields, once.as_deref()).await,
    };
    let resp = render(app, json, form, submit_answer(result, fields));
    if let (Some(key), Some(hash)) = (idem_key, hash) {
        let kept = if resp.status().is_server_error() {
            app.forms.timed(store.idempotent_abandon(form.name(), &key)).await
        } else {
            let answer = StoredAnswer {
                request_hash: hash,
                status: resp.status().as_u16(),
                content_type: header_str(resp.headers(), header::CONTENT_TYPE).unwrap_or("").to_string(),
                location: header_str(resp.headers(), header::LOCATION).map(str::to_string),
                body: resp.body().to_vec(),
            };
            app.forms.timed(store.idempotent_finish(form.name(), &key, answer)).await
        };
        // The answer stands: only the copy for retries is missing (the mark expires by itself).
        if let Err(e) = kept
            && app.settings.log
        {
            tracing::warn!(form = form.name(), error = %e, "forms idempotency record not updated");
        }
    }
    resp
}

/// Gives back a kept answer, or refuses a key reused for a different request.
fn replay<S: Store>(app: &App<S>, json: bool, form: Form, kept: &StoredAnswer, hash: &str) -> Response<Bytes> {
    if kept.request_hash != hash {
        return key_reused(app, json, form);
    }
    let mut r = Response::builder()
        .status(StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK))
        .header("idempotency-replayed", "true")
        .header(header::CACHE_CONTROL, "no-store");
    if !kept.content_type.is_empty() {
        r = r.header(header::CONTENT_TYPE, &kept.content_type);
    }
    if let Some(l) = &kept.location {
        r = r.header(header::LOCATION, l);
    }
    r.body(Bytes::from(kept.body.clone())).unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn key_reused<S: Store>(app: &App<S>, json: bool, form: Form) -> Response<Bytes> {
    let msg = "This Idempotency-Key was already used for a different request. Use a new key for a new submission.";
    if json {
        json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({"reason": "idempotency_key_reused", "message": msg}))
    } else {
        plain(app, false, form, StatusCode::UNPROCESSABLE_ENTITY, msg)
    }
}

/// Polls for the answer of the identical request in flight, up to the store timeout.
async fn wait_for_answer<S: Store>(app: &App<S>, json: bool, form: Form, key: &str, hash: &str) -> Response<Bytes> {
    let deadline = Instant::now() + app.forms.options.store_timeout;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        match app.forms.timed(app.forms.store.idempotent_get(form.name(), key)).await {
            Ok(Some(Kept::Done(kept))) => return replay(app, json, form, &kept, hash),
            Ok(Some(Kept::Pending { .. })) => {}
            // The first request failed and let go of the key: this one may try again.
            Ok(None) => break,
            Err(e) => return render(app, json, form, Answer::from(e)),
        }
    }
    let msg = "The same submission is still being processed. Please try again in a moment.";
    if json {
        json_response(StatusCode::CONFLICT, &json!({"reason": "idempotency_request_in_progress", "message": msg}))
    } else {
        plain(app, false, form, StatusCode::CONFLICT, msg)
    }
}
