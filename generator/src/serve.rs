//! Local preview: builds the site with drafts into target/ccg-serve, serves it
//! on 127.0.0.1, rebuilds when content/ or templates/ change, and hands
//! every /api/ request to the forms back end (`crate::api::Api`). The emails
//! the forms would send are files in the data folder's outbox, shown at
//! /_outbox/ (preview only: `build` never writes that page).

use crate::api::Api;
use crate::build::{self, BuildError, Options};
use ccg_functions::http::escape as escape_html;
use bytes::Bytes;
use ccg_functions::mail::outbox::{self, OutboxMessage};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Largest request body the forms accept (they are a few hundred bytes).
pub const BODY_LIMIT: usize = 64 * 1024;
const POLL: Duration = Duration::from_millis(500);
/// The outbox folder inside the data folder: the preview's mailer writes there.
pub use crate::api::OUTBOX as OUTBOX_DIR;
/// Where the preview shows the outbox; outside anything `build` writes.
const OUTBOX_URL: &str = "/_outbox/";

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

fn redirect(location: &'static str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, location)
        .body(Full::new(Bytes::new()))
        .expect("valid response")
}


/// Escapes `text` and turns each http(s) URL into a link. A URL runs to the
/// next space (or a character that cannot be in one); a `.`, `,` or unmatched
/// `)` at its end is the sentence's, not the URL's.
fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = [rest.find("http://"), rest.find("https://")].into_iter().flatten().min() {
        out.push_str(&escape_html(&rest[..start]));
        let candidate = &rest[start..];
        let end = candidate.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(candidate.len());
        let mut url = &candidate[..end];
        loop {
            let unmatched_paren = url.ends_with(')') && url.matches(')').count() > url.matches('(').count();
            if url.ends_with(['.', ',']) || unmatched_paren {
                url = &url[..url.len() - 1];
            } else {
                break;
            }
        }
        let shown = escape_html(url);
        if url == "http://" || url == "https://" {
            out.push_str(&shown);
        } else {
            let _ = write!(out, "<a href=\"{shown}\">{shown}</a>");
        }
        rest = &candidate[url.len()..];
    }
    out.push_str(&escape_html(rest));
    out
}

/// `sent_at` for people: the stored RFC 3339 text if it does not parse.
fn sent_label(sent_at: &str) -> String {
    match sent_at.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => sent_at.to_string(),
    }
}

fn outbox_page(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title} | local preview</title>\n\
         <link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n\
         <main id=\"main\" class=\"wrap\">\n{main}</main>\n</body>\n</html>\n",
        title = escape_html(title)
    )
}

const OUTBOX_NOTE: &str =
    "<p>This is the local preview\u{2019}s outbox: in the deployed site these emails are sent, here they are only kept as files.</p>\n";

fn outbox_list(messages: &[OutboxMessage]) -> String {
    let mut main = format!("<h1>Outbox</h1>\n{OUTBOX_NOTE}");
    if messages.is_empty() {
        main.push_str("<p>The outbox is empty: no email has been sent yet.</p>\n");
    } else {
        main.push_str("<table>\n<thead><tr><th scope=\"col\">Sent</th><th scope=\"col\">To</th><th scope=\"col\">Subject</th></tr></thead>\n<tbody>\n");
        for m in messages.iter().rev() {
            let name = m.file.strip_suffix(".json").unwrap_or(&m.file);
            let _ = writeln!(
                main,
                "<tr><td><time datetime=\"{}\">{}</time></td><td>{}</td><td><a href=\"{OUTBOX_URL}{}\">{}</a></td></tr>",
                escape_html(&m.sent_at),
                escape_html(&sent_label(&m.sent_at)),
                escape_html(&m.email.to),
                escape_html(name),
                escape_html(&m.email.subject),
            );
        }
        main.push_str("</tbody>\n</table>\n");
    }
    outbox_page("Outbox", &main)
}

fn outbox_message(name: &str, m: &OutboxMessage) -> String {
    let mut main = format!("<p><a href=\"{OUTBOX_URL}\">All messages in the outbox</a></p>\n<h1>{}</h1>\n", escape_html(&m.email.subject));
    let _ = write!(
        main,
        "<dl>\n<dt>To</dt><dd>{}</dd>\n<dt>Subject</dt><dd>{}</dd>\n<dt>Sent</dt><dd><time datetime=\"{}\">{}</time></dd>\n</dl>\n\
         <h2>Text part</h2>\n<pre class=\"mail-text\">{}</pre>\n\
         <p><a href=\"{OUTBOX_URL}{}.html\">The HTML part</a> (opened with scripts disabled).</p>\n",
        escape_html(&m.email.to),
        escape_html(&m.email.subject),
        escape_html(&m.sent_at),
        escape_html(&sent_label(&m.sent_at)),
        linkify(&m.email.text),
        escape_html(name),
    );
    outbox_page(&format!("{} (outbox)", m.email.subject), &main)
}

fn outbox_error(e: &std::io::Error) -> Response<Full<Bytes>> {
    eprintln!("cannot read the outbox: {e}");
    response(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", format!("cannot read the outbox: {e}\n"))
}

impl State {
    fn not_found(&self) -> Response<Full<Bytes>> {
        let page = std::fs::read(self.out.join("404.html")).unwrap_or_else(|_| b"not found\n".to_vec());
        response(StatusCode::NOT_FOUND, "text/html; charset=utf-8", page)
    }

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
        // One builder for the process: a rebuild renders only what the saved files change.
        static BUILDER: std::sync::Mutex<Option<build::Builder>> = std::sync::Mutex::new(None);
        let mut builder = BUILDER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match builder.get_or_insert_with(build::Builder::new).build(&self.options()) {
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
                if let Some(Ok(api)) = self.api.get()
                    && let Err(e) = api.reframe(&r.templates, &r.config, &self.base_url, &r.nav)
                {
                    eprintln!("the forms keep answering with their previous templates: {e:#}");
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
        let not_found = || self.not_found();
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

    /// `/_outbox/` (the list), `/_outbox/<name>` (one message, text part)
    /// and `/_outbox/<name>.html` (its HTML part). HEAD bodies are dropped by hyper.
    fn outbox(&self, method: &Method, path: &str) -> Response<Full<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            let mut res = response(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "method not allowed\n");
            res.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
            return res;
        }
        let dir = self.data_dir.join(OUTBOX_DIR);
        let Some(rest) = path.strip_prefix(OUTBOX_URL) else {
            return redirect(OUTBOX_URL);
        };
        if rest.is_empty() {
            return match outbox::read_all(&dir) {
                Ok(messages) => response(StatusCode::OK, "text/html; charset=utf-8", outbox_list(&messages)),
                Err(e) => outbox_error(&e),
            };
        }
        let (name, html_part) = match rest.strip_suffix(".html") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        // read_one accepts only the outbox's own file names: no path can escape the folder.
        match outbox::read_one(&dir, name) {
            Ok(Some(m)) if html_part => {
                let mut res = response(StatusCode::OK, "text/html; charset=utf-8", m.email.html);
                // The part is shown as a mail client would, but it must not run scripts on the preview's origin.
                res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static("sandbox"));
                res
            }
            Ok(Some(m)) => response(StatusCode::OK, "text/html; charset=utf-8", outbox_message(name, &m)),
            Ok(None) => self.not_found(),
            Err(e) => outbox_error(&e),
        }
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
        let path = req.uri().path();
        if path == "/api" || path.starts_with("/api/") {
            return Ok(self.api(req).await);
        }
        if path == OUTBOX_URL.trim_end_matches('/') || path.starts_with(OUTBOX_URL) {
            return Ok(self.outbox(req.method(), path));
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

    #[test]
    fn links_urls_in_escaped_text() {
        assert_eq!(
            linkify("Confirm: https://ccg.example.eu/c?a=1&b=<2>. Thanks"),
            "Confirm: <a href=\"https://ccg.example.eu/c?a=1&amp;b=\">https://ccg.example.eu/c?a=1&amp;b=</a>&lt;2&gt;. Thanks"
        );
        assert_eq!(linkify("(see http://a.eu/x), or"), "(see <a href=\"http://a.eu/x\">http://a.eu/x</a>), or");
        assert_eq!(
            linkify("https://en.wikipedia.org/wiki/Bar_(law)."),
            "<a href=\"https://en.wikipedia.org/wiki/Bar_(law)\">https://en.wikipedia.org/wiki/Bar_(law)</a>."
        );
        assert_eq!(linkify("https:// nothing"), "https:// nothing");
        assert_eq!(linkify("<script>\"x\"</script>"), "&lt;script&gt;&quot;x&quot;&lt;/script&gt;");
        assert_eq!(linkify("a\nhttps://x.eu\nb"), "a\n<a href=\"https://x.eu\">https://x.eu</a>\nb");
        assert_eq!(linkify("x\"https://x.eu/\"onmouseover=1"), "x&quot;<a href=\"https://x.eu/\">https://x.eu/</a>&quot;onmouseover=1");
    }
}
