//! The built files: `/x/` is x/index.html, a folder without its slash is
//! redirected, anything else is the site's 404 page. HTML answers carry the
//! live-reload script (added here, never written to the files).

use super::http::{Res, content_type, local_redirect, method_not_allowed, percent_decode, response};
use super::live::inject;
use bytes::Bytes;
use http::{Method, StatusCode};
use std::path::Path;

pub fn not_found(out: &Path, build: &str) -> Res {
    let body = match std::fs::read(out.join("404.html")) {
        Ok(page) => inject(&page, build),
        Err(_) => b"not found\n".to_vec(),
    };
    response(StatusCode::NOT_FOUND, "text/html; charset=utf-8", body)
}

/// `raw` is the request's path as sent (still percent-encoded).
pub fn answer(out: &Path, build: &str, method: &Method, raw: &str) -> Res {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed("GET, HEAD");
    }
    let not_found = || not_found(out, build);
    // `//join` is `/join` with an empty segment: send the browser to the one
    // spelling, never to `//join/`, which it would read as the host `join`.
    if raw.contains("//") {
        let mut single = String::with_capacity(raw.len());
        for c in raw.chars() {
            if !(c == '/' && single.ends_with('/')) {
                single.push(c);
            }
        }
        // One hop: straight to `/join/` when that is a folder.
        let direct = answer(out, build, method, &single);
        return if direct.status() == StatusCode::MOVED_PERMANENTLY { direct } else { local_redirect(&single).unwrap_or_else(not_found) };
    }
    let Some(path) = percent_decode(raw) else { return not_found() };
    if !path.starts_with('/') || path.contains("//") || path.split('/').any(|s| s == ".." || s.starts_with('.')) || path.contains('\\') || path.contains('\0') {
        return not_found();
    }
    let mut file = out.join(path.trim_start_matches('/'));
    if path.ends_with('/') {
        file.push("index.html");
    } else if file.is_dir() {
        return local_redirect(&format!("{raw}/")).unwrap_or_else(not_found);
    }
    match std::fs::read(&file) {
        Ok(bytes) => {
            let ctype = content_type(&file);
            let body = if method == Method::HEAD {
                Bytes::new()
            } else if ctype.starts_with("text/html") {
                Bytes::from(inject(&bytes, build))
            } else {
                Bytes::from(bytes)
            };
            response(StatusCode::OK, ctype, body)
        }
        Err(_) => not_found(),
    }
}
