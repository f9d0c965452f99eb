//! Local preview: builds the site with drafts into target/ccg-serve, serves it
//! on 127.0.0.1, rebuilds when content/ or templates/ change, and hands
//! every /api/ request to the forms back end (`crate::api::Api`).

use crate::api::Api;
use crate::build::{self, BuildError, Options};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Largest request body the forms accept (they are a few hundred bytes).
pub const BODY_LIMIT: usize = 64 * 1024;
const POLL: Duration = Duration::from_millis(500);

pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub data_dir: PathBuf,
    /// Where the preview is written (default: target/ccg-serve under the root).
    pub out: Option<PathBuf>,
}

struct State {
    root: PathBuf,
    out: PathBuf,
    base_url: String,
    data_dir: PathBuf,
    api: OnceLock<Result<Arc<Api>, String>>,
}

fn content_type(path: &Path) -> &'static str {
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

/// A fingerprint of every file's name, size and mtime under the watched folders.
fn fingerprint(root: &Path) -> u64 {
    let mut h = DefaultHasher::new();
    for dir in [crate::load::CONTENT, crate::load::TEMPLATES] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name().into_iter().filter_map(Result::ok) {
            entry.path().hash(&mut h);
            if let Ok(m) = entry.metadata() {
                m.len().hash(&mut h);
                m.modified().ok().hash(&mut h);
            }
        }
    }
    h.finish()
}

fn percent_decode(s: &str) -> Option<String> {
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

fn response(status: StatusCode, ctype: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Full::new(body.into()))
        .expect("valid response")
}

impl State {
    fn options(&self) -> Options {
        Options {
            root: self.root.clone(),
            out: self.out.clone(),
            drafts: true,
            now: jiff::Timestamp::now(),
            base_url: Some(self.base_url.clone()),
            write: true,
        }
    }

    /// Builds; on success (re)loads the forms back end. Errors are printed, the last good site stays.
    fn rebuild(&self) {
        match build::build(&self.options()) {
            Ok(r) => {
                eprintln!(
                    "built {} pages in {} ms: {} written, {} unchanged, {} removed",
                    r.pages,
                    r.elapsed.as_millis(),
                    r.stats.written,
                    r.stats.unchanged,
                    r.stats.removed
                );
                let content = self.root.join(crate::load::CONTENT);
                match self.api.get() {
                    None => {
                        let api = Api::open(&content, &self.data_dir, &r.config, &self.base_url).map(Arc::new).map_err(|e| format!("{e:#}"));
                        if let Err(e) = &api {
                            eprintln!("the forms back end did not start: {e}");
                        }
                        let _ = self.api.set(api);
                    }
                    Some(Ok(api)) => {
                        if let Err(e) = api.reload(&content) {
                            eprintln!("the forms back end kept its previous content: {e:#}");
                        }
                    }
                    Some(Err(_)) => {}
                }
            }
            Err(BuildError::Content(errors)) => {
                eprintln!("{errors}\nstill serving the last good build");
            }
            Err(e) => eprintln!("{e}\nstill serving the last good build"),
        }
    }

    async fn api(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let Some(Ok(api)) = self.api.get() else {
            return response(
                StatusCode::SERVICE_UNAVAILABLE,
                "application/json",
                r#"{"error":"the forms back end is not running: see the terminal"}"#,
            );
        };
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, BODY_LIMIT).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return response(StatusCode::PAYLOAD_TOO_LARGE, "application/json", r#"{"error":"the request is too large"}"#);
            }
        };
        let res = api.handle(Request::from_parts(parts, body)).await;
        let (parts, body) = res.into_parts();
        Response::from_parts(parts, Full::new(body))
    }

    fn file(&self, req: &Request<Incoming>) -> Response<Full<Bytes>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return response(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "method not allowed\n");
        }
        let not_found = || {
            let page = std::fs::read(self.out.join("404.html")).unwrap_or_else(|_| b"not found\n".to_vec());
            response(StatusCode::NOT_FOUND, "text/html; charset=utf-8", page)
        };
        let Some(path) = percent_decode(req.uri().path()) else { return not_found() };
        if path.split('/').any(|s| s == ".." || s.starts_with('.')) || path.contains('\\') || path.contains('\0') {
            return not_found();
        }
        let mut file = self.out.join(path.trim_start_matches('/'));
        if path.ends_with('/') {
            file.push("index.html");
        } else if file.is_dir() {
            let location = format!("{path}/");
            return Response::builder()
                .status(StatusCode::MOVED_PERMANENTLY)
                .header(header::LOCATION, location)
                .body(Full::new(Bytes::new()))
                .expect("valid response");
        }
        match std::fs::read(&file) {
            Ok(bytes) => {
                let body = if req.method() == Method::HEAD { Bytes::new() } else { Bytes::from(bytes) };
                response(StatusCode::OK, content_type(&file), body)
            }
            Err(_) => not_found(),
        }
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
        let path = req.uri().path();
        if path == "/api" || path.starts_with("/api/") {
            return Ok(self.api(req).await);
        }
        Ok(self.file(&req))
    }
}

/// Runs until interrupted.
pub fn serve(opts: ServeOptions) -> anyhow::Result<()> {
    let out = opts.out.clone().unwrap_or_else(|| opts.root.join("target").join("ccg-serve"));
    std::fs::create_dir_all(&out)?;
    let addr = SocketAddr::from(([127, 0, 0, 1], opts.port));
    let state = Arc::new(State {
        root: opts.root.clone(),
        out,
        base_url: format!("http://{addr}"),
        data_dir: opts.data_dir.clone(),
        api: OnceLock::new(),
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let first = state.clone();
        let mut seen = fingerprint(&state.root);
        tokio::task::spawn_blocking(move || first.rebuild()).await?;
        eprintln!("serving {} on {} (drafts shown; Ctrl-C to stop)", state.out.display(), state.base_url);

        let watcher = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let root = watcher.root.clone();
                let Ok(now) = tokio::task::spawn_blocking(move || fingerprint(&root)).await else { continue };
                if now != seen {
                    seen = now;
                    eprintln!("change detected, rebuilding");
                    let s = watcher.clone();
                    let _ = tokio::task::spawn_blocking(move || s.rebuild()).await;
                }
            }
        });

        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| state.clone().handle(req));
                if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await
                    && !e.is_incomplete_message()
                {
                    eprintln!("connection error: {e}");
                }
            });
        }
    })
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
}
