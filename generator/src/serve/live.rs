//! Live reload and the build-error overlay. Every HTML page the preview sends
//! gets one external script (/_serve/reload.js, allowed by the site's
//! `script-src 'self'`); it listens to /_serve/events (server-sent events) and
//! reloads the page after each good build, or shows the errors of a failed
//! one over the last good page. Nothing of this is ever written by `build`:
//! the tag is added to the answer, not to the file.

use super::http::{Body, Res, method_not_allowed, response};
use bytes::Bytes;
use ccg_model::ContentErrors;
use http::{Method, Response, StatusCode, header};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub const PREFIX: &str = "/_serve/";
const SCRIPT: &str = include_str!("reload.js");
const STYLE: &str = include_str!("overlay.css");
/// A comment line this often: a closed tab is noticed and its connection freed.
const KEEPALIVE: Duration = Duration::from_secs(10);

/// One problem of a failed build, as the overlay lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Relative to the site's root; empty when the problem is not in a file.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Status {
    /// Changes with every good build and every start of the server, so a page
    /// knows whether it shows the newest build.
    build: String,
    /// The errors of the newest build when it failed; the last good build is still served.
    problems: Option<Vec<Problem>>,
}

pub struct Live {
    instance: String,
    good_builds: std::sync::atomic::AtomicU64,
    tx: watch::Sender<Status>,
}

impl Live {
    pub fn new() -> Live {
        // Differs between two runs of the server, so pages reload after a restart.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let instance = format!("{:x}{:x}", std::process::id(), nanos & 0xffff_ffff_ffff);
        let (tx, _) = watch::channel(Status { build: format!("{instance}-0"), problems: None });
        Live { instance, good_builds: 0.into(), tx }
    }

    pub fn build_id(&self) -> String {
        self.tx.borrow().build.clone()
    }

    pub fn succeeded(&self) {
        let n = self.good_builds.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let build = format!("{}-{n}", self.instance);
        self.tx.send_replace(Status { build, problems: None });
    }

    pub fn failed(&self, problems: Vec<Problem>) {
        self.tx.send_modify(|s| s.problems = Some(problems));
    }

    /// `/_serve/reload.js`, `/_serve/overlay.css` and `/_serve/events`.
    pub fn answer(&self, method: &Method, path: &str, not_found: impl FnOnce() -> Res) -> Res {
        if method != Method::GET && method != Method::HEAD {
            return method_not_allowed("GET, HEAD");
        }
        match &path[PREFIX.len()..] {
            "reload.js" => response(StatusCode::OK, "text/javascript; charset=utf-8", SCRIPT),
            "overlay.css" => response(StatusCode::OK, "text/css; charset=utf-8", STYLE),
            "events" => self.events(),
            _ => not_found(),
        }
    }

    /// `hello` with the current state on connecting, then `reload` after each
    /// good build and `build-error` after each failed one. Each event's data is
    /// `{"build": id, "problems": [..] | null}`.
    fn events(&self) -> Res {
        let mut rx = self.tx.subscribe();
        let (tx, body) = mpsc::channel::<Bytes>(8);
        let first = event("hello", &rx.borrow_and_update());
        tokio::spawn(async move {
            // A reconnecting page waits a second, not the browser's default three.
            if tx.send(Bytes::from(format!("retry: 1000\n\n{first}"))).await.is_err() {
                return;
            }
            loop {
                let next = match tokio::time::timeout(KEEPALIVE, rx.changed()).await {
                    Ok(Ok(())) => {
                        let s = rx.borrow_and_update().clone();
                        event(if s.problems.is_some() { "build-error" } else { "reload" }, &s)
                    }
                    Ok(Err(_)) => return,
                    Err(_) => ": keepalive\n\n".to_string(),
                };
                if tx.send(Bytes::from(next)).await.is_err() {
                    return;
                }
            }
        });
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/event-stream")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::Stream(body))
            .expect("valid response")
    }
}

fn event(name: &str, s: &Status) -> String {
    format!("event: {name}\ndata: {}\n\n", serde_json::to_string(s).expect("plain data"))
}

/// The problems of a failed build, with paths relative to the site's root.
pub fn problems(root: &Path, e: &crate::build::BuildError) -> Vec<Problem> {
    match e {
        crate::build::BuildError::Content(ContentErrors(errors)) => errors
            .iter()
            .map(|e| Problem {
                file: e.file.strip_prefix(root).unwrap_or(&e.file).display().to_string(),
                line: e.line,
                column: e.column,
                message: e.message.clone(),
            })
            .collect(),
        other => vec![Problem { file: String::new(), line: 0, column: 0, message: other.to_string() }],
    }
}

/// `html` with the live-reload script added at the end of its head.
pub fn inject(html: &[u8], build: &str) -> Vec<u8> {
    let tag = format!("<script src=\"{PREFIX}reload.js\" data-build=\"{build}\" defer></script>");
    let at = html.windows(7).position(|w| w.eq_ignore_ascii_case(b"</head>")).unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_one_external_script_into_the_head() {
        let page = b"<!doctype html><html><head><title>x</title></HEAD><body>x</body></html>";
        let out = String::from_utf8(inject(page, "a-1")).unwrap();
        assert_eq!(
            out,
            "<!doctype html><html><head><title>x</title><script src=\"/_serve/reload.js\" data-build=\"a-1\" defer></script></HEAD><body>x</body></html>"
        );
        assert!(String::from_utf8(inject(b"<p>no head", "a-1")).unwrap().starts_with("<p>no head<script"));
    }

    #[test]
    fn a_good_build_clears_the_problems_and_changes_the_id() {
        let live = Live::new();
        let first = live.build_id();
        live.failed(vec![Problem { file: "content/x.md".into(), line: 3, column: 1, message: "bad".into() }]);
        assert_eq!(live.build_id(), first, "a failed build keeps the last good one");
        assert!(event("build-error", &live.tx.borrow()).contains(r#""problems":[{"file":"content/x.md","line":3,"column":1,"message":"bad"}]"#));
        live.succeeded();
        assert_ne!(live.build_id(), first);
        assert!(event("reload", &live.tx.borrow()).contains(r#""problems":null"#));
    }
}
