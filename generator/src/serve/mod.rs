//! Local preview: builds the site with drafts into target/ccg-serve, serves it
//! on 127.0.0.1, rebuilds when content/ or templates/ change (and tells open
//! pages to reload, or shows them the errors), and hands every /api/ request
//! to the forms back end (`crate::api::Api`). The emails the forms would send
//! are shown at /_outbox/.
//!
//! Treated as a server: headers and bodies must arrive in time, connections
//! are limited, a failing accept() backs off, and every redirect stays on
//! this origin.

mod files;
mod http;
mod live;
mod outbox;

pub use self::http::BODY_LIMIT;
pub use outbox::OUTBOX_DIR;

use self::http::{Res, error, from_full, read_body, read_body_within, wants_json};
use crate::api::Api;
use crate::build::{BuildError, Options, Report};
use ::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use live::Live;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Largest upload the preview's bucket reads; each form's policy says the real limit.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;
const POLL: Duration = Duration::from_millis(500);
/// A connection must send a request's headers within this long (also when idle between requests).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Open connections at once; more wait in the listen queue. Each open page holds one for its reload events.
pub const MAX_CONNECTIONS: usize = 256;
/// Longest pause between two accept() attempts that keep failing (e.g. out of file handles).
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub data_dir: PathBuf,
    /// Where the preview is written (default: target/ccg-serve under the root).
    pub out: Option<PathBuf>,
    /// The secretariat decides when signed in by link alone (`serve --staff-link-decides`).
    pub staff_link_decides: bool,
}

struct State {
    root: PathBuf,
    out: PathBuf,
    base_url: String,
    data_dir: PathBuf,
    staff_link_decides: bool,
    api: OnceLock<Result<Arc<Api>, String>>,
    live: Live,
    /// Kept between saves: a rebuild renders only what the saved files change.
    builder: std::sync::Mutex<crate::builder::Builder>,
}

/// A fingerprint of every file's name, size and mtime under the watched
/// folders; `None` when a folder could not be read (e.g. out of file
/// handles), so a passing failure does not look like an edit.
fn fingerprint(root: &Path) -> Option<u64> {
    let mut h = DefaultHasher::new();
    for dir in [crate::paths::CONTENT, crate::paths::TEMPLATES] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.ok()?;
            entry.path().hash(&mut h);
            let m = entry.metadata().ok()?;
            m.len().hash(&mut h);
            m.modified().ok().hash(&mut h);
        }
    }
    Some(h.finish())
}

impl State {
    /// The one call into the build.
    fn run_build(&self) -> Result<Report, BuildError> {
        let mut builder = self.builder.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        builder.build(&Options {
            root: self.root.clone(),
            out: self.out.clone(),
            drafts: true,
            now: jiff::Timestamp::now(),
            base_url: Some(self.base_url.clone()),
            contact_email: None,
            write: true,
        })
    }

    /// Builds; on success (re)loads the forms back end and tells open pages to
    /// reload. Errors are printed and shown on the open pages; the last good site stays.
    fn rebuild(&self) {
        let r = match self.run_build() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}\nstill serving the last good build");
                self.live.failed(live::problems(&self.root, &e));
                return;
            }
        };
        tracing::info!(
            "built {} pages in {} ms: {} written, {} unchanged, {} removed",
            r.pages,
            r.elapsed.as_millis(),
            r.stats.written,
            r.stats.unchanged,
            r.stats.removed
        );
        let content = self.root.join(crate::paths::CONTENT);
        match self.api.get() {
            None => {
                let api = Api::open(&content, &self.data_dir, &r.config, &self.base_url)
                    .map(|a| a.staff_link_decides(self.staff_link_decides))
                    .map(Arc::new)
                    .map_err(|e| format!("{e:#}"));
                if let Err(e) = &api {
                    tracing::error!("the forms back end did not start: {e}");
                }
                let _ = self.api.set(api);
            }
            Some(Ok(api)) => {
                if let Err(e) = api.reload(&content) {
                    tracing::warn!("the forms back end kept its previous content: {e:#}");
                }
            }
            Some(Err(_)) => {}
        }
        if let Some(Ok(api)) = self.api.get()
            && let Err(e) = api.reframe(&r.templates, &r.config, &self.base_url, &r.nav)
        {
            tracing::warn!("the forms keep answering with their previous templates: {e:#}");
        }
        self.live.succeeded();
    }

    async fn api(&self, req: Request<Incoming>) -> Res {
        let json = wants_json(req.headers());
        let Some(Ok(api)) = self.api.get() else {
            return error(StatusCode::SERVICE_UNAVAILABLE, json, "The forms back end is not running: see the terminal.");
        };
        let (parts, body) = req.into_parts();
        // Files go to the preview's bucket (`upload`), never in a page's body: as CloudFront's 1 MB in AWS.
        let body = match read_body(body, json).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        from_full(api.handle(Request::from_parts(parts, body)).await)
    }

    /// The preview's bucket: an upload form's POST, checked as S3 checks it.
    async fn upload(&self, req: Request<Incoming>) -> Res {
        if req.method() != ::http::Method::POST {
            return self::http::method_not_allowed("POST");
        }
        let Some(Ok(api)) = self.api.get() else {
            return error(StatusCode::SERVICE_UNAVAILABLE, false, "The forms back end is not running: see the terminal.");
        };
        let ctype = req.headers().get(::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = match read_body_within(req.into_body(), false, UPLOAD_LIMIT).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        match api.upload(&ctype, &body) {
            Ok(location) => self::http::see_other(&location),
            Err((status, msg)) => error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), false, &msg),
        }
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Result<Res, std::convert::Infallible> {
        let path = req.uri().path();
        let not_found = || files::not_found(&self.out, &self.live.build_id());
        if path == "/api" || path.starts_with("/api/") || ccg_functions::http::is_account_path(path) {
            return Ok(self.api(req).await);
        }
        if path == ccg_functions::files::local::UPLOAD_PATH {
            return Ok(self.upload(req).await);
        }
        if path == outbox::OUTBOX_URL.trim_end_matches('/') || path.starts_with(outbox::OUTBOX_URL) {
            return Ok(outbox::answer(&self.data_dir, req.method(), path, not_found));
        }
        if path.starts_with(live::PREFIX) {
            return Ok(self.live.answer(req.method(), path, not_found));
        }
        Ok(files::answer(&self.out, &self.live.build_id(), req.method(), path))
    }
}

/// Accepts connections for ever, at most MAX_CONNECTIONS at once. When
/// accept() fails (out of file handles, ...) it waits longer each time
/// instead of spinning, and says so once per run of failures.
async fn accept_loop(listener: tokio::net::TcpListener, state: Arc<State>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut failures: u32 = 0;
    loop {
        let slot = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                if failures == 0 {
                    tracing::warn!("cannot accept connections: {e}; retrying with a growing pause (said once until it works again)");
                }
                failures = failures.saturating_add(1);
                let pause = Duration::from_millis(10).saturating_mul(1 << failures.min(7)).min(MAX_BACKOFF);
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        if failures > 0 {
            tracing::info!("accepting connections again after {failures} failed attempts");
            failures = 0;
        }
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| state.clone().handle(req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                // A client may close its sending side and still read the answer (e.g. a 400 for a short body).
                .half_close(true)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await
                && !e.is_incomplete_message()
                && !e.is_timeout()
            {
                tracing::warn!("connection error: {e}");
            }
            drop(slot);
        });
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
        staff_link_decides: opts.staff_link_decides,
        api: OnceLock::new(),
        live: Live::new(),
        builder: std::sync::Mutex::new(crate::builder::Builder::new()),
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let first = state.clone();
        let mut seen = fingerprint(&state.root);
        tokio::task::spawn_blocking(move || first.rebuild()).await?;
        eprintln!("serving {} on {} (drafts shown, pages reload after each edit; Ctrl-C to stop)", state.out.display(), state.base_url);
        // WebAuthn refuses an IP address as its relying party: sign-in links lead to localhost.
        eprintln!("sign in at {}/sign-in/ (passkeys work at this localhost address, not at 127.0.0.1)", crate::api::sign_in_url(&state.base_url));

        let watcher = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let root = watcher.root.clone();
                let Ok(Some(now)) = tokio::task::spawn_blocking(move || fingerprint(&root)).await else { continue };
                if seen != Some(now) {
                    seen = Some(now);
                    tracing::info!("change detected, rebuilding");
                    let s = watcher.clone();
                    let _ = tokio::task::spawn_blocking(move || s.rebuild()).await;
                }
            }
        });
        accept_loop(listener, state).await;
        Ok(())
    })
}
