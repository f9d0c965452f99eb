//! Which site a request comes from: posts from other sites are refused, and
//! CORS lets only the site's own pages read the answers.

use super::{App, header_str};
use http::HeaderMap;
use http::header::{self, HeaderValue};

/// The request's `Origin` when it is the configured one (or, in the preview, the request's own host).
pub(super) fn origin_allowed<'a, S>(app: &App<S>, h: &'a HeaderMap) -> Option<&'a str> {
    let origin = header_str(h, header::ORIGIN)?;
    same_site(app, h, origin).then_some(origin)
}

fn same_site<S>(app: &App<S>, h: &HeaderMap, origin: &str) -> bool {
    if app.settings.allowed_origin.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(origin)) {
        return true;
    }
    if app.settings.allow_same_origin
        && let Some(host) = header_str(h, header::HOST)
        && let Some(bare) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))
    {
        return bare.eq_ignore_ascii_case(host);
    }
    false
}

/// A post a browser sent from another site's page: its `Origin` (or, without
/// one, `Sec-Fetch-Site`, then `Referer`) is not the site's own. A program
/// that sends none of these (curl, the tests) is not a browser on another site.
pub(super) fn foreign_post<S>(app: &App<S>, h: &HeaderMap) -> bool {
    let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(origin) = h.get(header::ORIGIN) {
        // A browser sends `Origin: null` for a page of our own under a strict
        // referrer policy; its `Sec-Fetch-Site` (which no page can set) still tells.
        if origin.as_bytes() == b"null" && fetch_site == Some("same-origin") {
            return false;
        }
        return !origin.to_str().is_ok_and(|o| same_site(app, h, o));
    }
    if let Some(site) = h.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    if let Some(referer) = h.get(header::REFERER) {
        let Ok(r) = referer.to_str() else { return true };
        let after_scheme = r.find("://").map_or(0, |i| i + 3);
        let origin = match r[after_scheme..].find('/') {
            Some(i) => &r[..after_scheme + i],
            None => r,
        };
        return !same_site(app, h, origin);
    }
    false
}

pub(super) fn cors<S>(app: &App<S>, req: &HeaderMap, resp: &mut HeaderMap) {
    if app.settings.allowed_origin.is_some() || app.settings.allow_same_origin {
        resp.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(o) = origin_allowed(app, req).and_then(|o| HeaderValue::from_str(o).ok()) {
        resp.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        resp.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Idempotency-Replayed"));
    }
}
