//! The preview's own HTTP answers: the body type (whole or a stream of
//! events), plain and redirect responses, and reading a request body within
//! its size and time limits.

use crate::page_settings::escape_html;
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// Largest request body the forms accept (they are a few hundred bytes).
pub const BODY_LIMIT: usize = 64 * 1024;
/// How long a request body may take to arrive once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// A whole answer, or the server-sent events of the live reload.
pub enum Body {
    Full(Full<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(f) => Pin::new(f).poll_frame(cx),
            Body::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(f) => f.is_end_stream(),
            Body::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(f) => f.size_hint(),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}

pub type Res = Response<Body>;

pub fn response(status: StatusCode, ctype: &str, body: impl Into<Bytes>) -> Res {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::Full(Full::new(body.into())))
        .expect("valid response")
}

pub fn from_full(res: Response<Bytes>) -> Res {
    let (parts, body) = res.into_parts();
    Response::from_parts(parts, Body::Full(Full::new(body)))
}

/// A 301 to a path on this same server. Only a path-absolute location (one
/// leading `/`, no `//` or `/\` that a browser would read as another host)
/// is ever sent; anything else is answered as not found by the caller.
pub fn local_redirect(location: &str) -> Option<Res> {
    let same_origin = location.starts_with('/') && !location.starts_with("//") && !location.starts_with("/\\");
    let valid = header::HeaderValue::from_str(location).ok()?;
    same_origin.then(|| {
        Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, valid)
            .body(Body::Full(Full::new(Bytes::new())))
            .expect("valid response")
    })
}

/// A 303 to where a form's policy says (the preview's bucket, as S3 does after an upload).
pub fn see_other(location: &str) -> Res {
    match header::HeaderValue::from_str(location) {
        Ok(v) => {
            Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, v).body(Body::Full(Full::new(Bytes::new()))).expect("valid response")
        }
        Err(_) => error(StatusCode::BAD_REQUEST, false, "The redirect address is not valid."),
    }
}

pub fn method_not_allowed(allow: &'static str) -> Res {
    let mut res = response(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "method not allowed\n");
    res.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static(allow));
    res
}

/// The same rule as the forms' handler: JSON for a JSON body or a client that asks for it.
pub fn wants_json(headers: &HeaderMap) -> bool {
    let has = |name, what: &str| headers.get(name).and_then(|v| v.to_str().ok()).is_some_and(|v| v.to_ascii_lowercase().contains(what));
    has(header::CONTENT_TYPE, "json") || has(header::ACCEPT, "application/json")
}

/// A small page of the preview's own (outbox, errors), with the site's stylesheet.
pub fn page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title} | local preview</title>\n\
         <link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n\
         <main id=\"main\" class=\"wrap\">\n{main}</main>\n</body>\n</html>\n",
        title = escape_html(title)
    )
}

/// An error the preview answers itself, as JSON or as a page as the client expects.
/// The connection is closed after it: what is left of the request is unknown.
pub fn error(status: StatusCode, json: bool, message: &str) -> Res {
    let mut res = if json {
        response(status, "application/json", serde_json::json!({ "error": message }).to_string())
    } else {
        let title = status.canonical_reason().unwrap_or("Error");
        let main = format!("<h1>{}</h1>\n<p>{}</p>\n", escape_html(title), escape_html(message));
        response(status, "text/html; charset=utf-8", page(title, &main))
    };
    res.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    res
}

/// The whole body, or the answer to give instead: 413 over the limit, 400 when
/// it is malformed or ends early (bad chunking, shorter than its
/// Content-Length), 408 when it does not arrive in time.
pub async fn read_body(body: Incoming, json: bool) -> Result<Bytes, Res> {
    read_body_within(body, json, BODY_LIMIT).await
}

/// `read_body` with its own size limit (an upload to the preview's bucket), and time for it.
pub async fn read_body_within(body: Incoming, json: bool, limit: usize) -> Result<Bytes, Res> {
    let time = if limit > BODY_LIMIT { BODY_TIMEOUT * 12 } else { BODY_TIMEOUT };
    match tokio::time::timeout(time, Limited::new(body, limit).collect()).await {
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(error(StatusCode::PAYLOAD_TOO_LARGE, json, "The request is too large.")),
        Ok(Err(_)) => Err(error(StatusCode::BAD_REQUEST, json, "The request body is malformed or incomplete.")),
        Err(_) => Err(error(StatusCode::REQUEST_TIMEOUT, json, "The request body did not arrive in time.")),
    }
}

pub fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "ics" => "text/calendar; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_paths() {
        assert_eq!(percent_decode("/a%20b/").as_deref(), Some("/a b/"));
        assert_eq!(percent_decode("/%2e%2e/"), Some("/../".into()));
        assert_eq!(percent_decode("/%zz"), None);
    }

    #[test]
    fn redirects_only_within_the_site() {
        assert!(local_redirect("/join/").is_some());
        for bad in ["//join/", "/\\evil.example/", "https://evil.example/", "join/", "/a\nb"] {
            assert!(local_redirect(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn answers_json_only_to_json_clients() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        assert!(!wants_json(&h));
        h.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(wants_json(&h));
        h.remove(header::ACCEPT);
        h.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(wants_json(&h));
    }
}
