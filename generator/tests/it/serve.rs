//! `generator serve` on a private copy of the site: files, 404, drafts, the
//! /api/ routing, the rebuild after an edit and the live-reload events; and
//! the server's own robustness (issue 12): timeouts, the connection limit,
//! accept() backoff, statuses of malformed requests, same-origin redirects.

mod outbox;

use crate::common::copy_dir;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (status, headers, body) of a plain HTTP/1.1 request.
fn request(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_ascii_lowercase(), body.to_string()))
}

fn get(port: u16, path: &str) -> (u16, String, String) {
    request(port, "GET", path, "").expect("the server answers")
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

fn start(root: &Path, tmp: &Path) -> Server {
    start_with(root, tmp, None)
}

/// `serve` with its stderr in tmp/serve.log, and at most `fd_limit` open files when given.
fn start_with(root: &Path, tmp: &Path, fd_limit: Option<u32>) -> Server {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = match fd_limit {
        Some(n) => {
            let mut c = Command::new("sh");
            c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), env!("CARGO_BIN_EXE_generator")]);
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_generator")),
    };
    let child = cmd
        .args(["serve", "--port", &port.to_string(), "--root"])
        .arg(root)
        .arg("--data")
        .arg(tmp.join("data"))
        .arg("--out")
        .arg(tmp.join("serve-out"))
        .stdout(Stdio::null())
        .stderr(fs::File::create(tmp.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    wait_for("the server", || request(port, "GET", "/", "").is_some_and(|r| r.0 == 200));
    server
}

/// `serve` on a fresh copy of the workspace's content and templates under `tmp`; returns the copy's root.
fn start_on_a_copy(tmp: &Path) -> (PathBuf, Server) {
    let root = copy_site(tmp);
    let server = start(&root, tmp);
    (root, server)
}

fn copy_site(tmp: &Path) -> PathBuf {
    let _ = fs::remove_dir_all(tmp);
    let root = tmp.join("site");
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_dir(&ws.join("content"), &root.join("content"));
    copy_dir(&ws.join("templates"), &root.join("templates"));
    fs::create_dir_all(tmp.join("data")).unwrap();
    root
}

#[test]
fn serves_previews_routes_the_api_and_rebuilds() {
    let tmp = std::env::temp_dir().join(format!("ccg-serve-{}", std::process::id()));
    let (root, server) = start_on_a_copy(&tmp);
    let port = server.port;

    let (status, head, body) = get(port, "/");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html; charset=utf-8"));
    assert!(body.contains(&format!("href=\"http://127.0.0.1:{port}/\"")), "links use the preview's address");

    let (status, head, _) = get(port, "/style.css");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/css"));
    let (status, head, body) = get(port, "/calendar.ics");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/calendar"));
    assert!(body.contains("example-2027-03-co-creation@"), "drafts are in the preview");

    let (status, _, body) = get(port, "/calendar/example-2027-03-co-creation/");
    assert_eq!(status, 200);
    assert!(body.contains("<strong>Draft</strong>"));

    let (status, _, body) = get(port, "/no/such/page/");
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"), "the site's 404 page");
    assert_eq!(get(port, "/../../etc/passwd").0, 404);
    let (status, head, _) = get(port, "/calendar");
    assert_eq!(status, 301);
    assert!(head.contains("location: /calendar/"));

    // Every /api/ request reaches the forms back end, never the files.
    let (status, _, _) = request(port, "POST", "/api/register", "name=x").unwrap();
    assert!(status != 404 && status != 405, "status {status}");
    let big = "x".repeat(70 * 1024);
    let (status, _, _) = request(port, "POST", "/api/register", &big).unwrap();
    assert_eq!(status, 413);

    // An edit is picked up; a broken edit keeps the last good site.
    let page = root.join("content/pages/how-it-works.md");
    let text = fs::read_to_string(&page).unwrap();
    fs::write(&page, text.replace("title: How the group works", "title: How the group really works")).unwrap();
    wait_for("the rebuild", || get(port, "/how-it-works/").2.contains("<h1>How the group really works</h1>"));
    fs::write(&page, text.replace("title: How the group works", "title: [broken")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(get(port, "/how-it-works/").2.contains("<h1>How the group really works</h1>"));
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}

/// A raw connection to /_serve/events, read as server-sent events.
struct Events {
    stream: TcpStream,
    text: String,
}

impl Events {
    fn open(port: u16) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        write!(stream, "GET /_serve/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n").unwrap();
        let mut events = Events { stream, text: String::new() };
        let head = events.until("\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: text/event-stream"), "{head}");
        events
    }

    /// Everything up to and including `end`, waiting up to 60 s for it.
    fn until(&mut self, end: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(i) = self.text.find(end) {
                let rest = self.text.split_off(i + end.len());
                return std::mem::replace(&mut self.text, rest);
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no {end:?} in the events; got {:?}", self.text);
            let mut buf = [0u8; 4096];
            match self.stream.read(&mut buf) {
                Ok(0) => panic!("the event stream ended; got {:?}", self.text),
                Ok(n) => self.text.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("reading the events: {e}"),
            }
        }
    }

    /// The data of the next event called `name` (earlier events of other names are skipped).
    fn next(&mut self, name: &str) -> serde_json::Value {
        self.until(&format!("event: {name}\n"));
        let data = self.until("\n\n");
        let json = data.strip_prefix("data: ").unwrap_or_else(|| panic!("no data line in {data:?}")).trim_end();
        serde_json::from_str(json).unwrap()
    }
}

const TAG_START: &str = "<script src=\"/_serve/reload.js\" data-build=\"";

/// The build id in the live-reload tag of a served page, and the page without the tag.
fn split_tag(page: &str) -> (String, String) {
    let at = page.find(TAG_START).expect("the live-reload script is in the page");
    let end = at + page[at..].find("</script>").unwrap() + "</script>".len();
    let id = page[at + TAG_START.len()..].split('"').next().unwrap().to_string();
    (id, format!("{}{}", &page[..at], &page[end..]))
}

#[test]
fn open_pages_hear_of_each_build_and_its_errors() {
    let tmp = std::env::temp_dir().join(format!("ccg-serve-live-{}", std::process::id()));
    let (root, server) = start_on_a_copy(&tmp);
    let port = server.port;

    // The tag is added to the answer only: the page on disk is what `build` wrote.
    let (status, _, page) = get(port, "/how-it-works/");
    assert_eq!(status, 200);
    assert_eq!(page.matches("/_serve/reload.js").count(), 1);
    let (first, without) = split_tag(&page);
    assert_eq!(without, fs::read_to_string(tmp.join("serve-out/how-it-works/index.html")).unwrap());
    assert!(split_tag(&get(port, "/no/such/page/").2).0 == first, "the 404 page reloads too");
    for f in walkdir_files(&tmp.join("serve-out")) {
        assert!(!fs::read(&f).unwrap().windows(8).any(|w| w == b"/_serve/"), "{} mentions /_serve/", f.display());
    }
    let (status, head, script) = get(port, "/_serve/reload.js");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/javascript"));
    assert!(script.contains("EventSource('/_serve/events')"));
    assert_eq!(get(port, "/_serve/overlay.css").0, 200);
    assert_eq!(get(port, "/_serve/nothing").0, 404);

    let mut events = Events::open(port);
    let hello = events.next("hello");
    assert_eq!(hello["build"], first.as_str());
    assert!(hello["problems"].is_null());

    // A good edit: a reload event with a new build id, and the new page.
    let file = root.join("content/pages/how-it-works.md");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("title: How the group works", "title: How the group really works")).unwrap();
    let reload = events.next("reload");
    let second = reload["build"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert!(reload["problems"].is_null());
    let page = get(port, "/how-it-works/").2;
    assert!(page.contains("<h1>How the group really works</h1>"));
    assert_eq!(split_tag(&page).0, second);

    // A broken edit: an error event naming the file and line; the last good page stays.
    let line = text.lines().position(|l| l.starts_with("title:")).unwrap() + 1;
    fs::write(&file, text.replace("title: How the group works", "title: [broken")).unwrap();
    let failed = events.next("build-error");
    assert_eq!(failed["build"], second.as_str(), "the last good build is still the one served");
    let problems = failed["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    let p = &problems[0];
    assert_eq!(p["file"], "content/pages/how-it-works.md", "{p}");
    assert!(p["line"].as_u64().unwrap() >= line as u64 && p["line"].as_u64().unwrap() <= line as u64 + 1, "line of {p}, title on {line}");
    assert!(!p["message"].as_str().unwrap().is_empty());
    let page = get(port, "/how-it-works/").2;
    assert!(page.contains("<h1>How the group really works</h1>"));
    assert_eq!(split_tag(&page).0, second);
    // A page opened now learns of the errors when it connects.
    let mut late = Events::open(port);
    assert_eq!(late.next("hello")["problems"][0]["file"], "content/pages/how-it-works.md");

    // Fixed: everyone reloads, the errors are gone.
    fs::write(&file, &text).unwrap();
    for stream in [&mut events, &mut late] {
        let fixed = stream.next("reload");
        assert!(fixed["problems"].is_null());
        assert_ne!(fixed["build"], second.as_str());
    }
    assert!(get(port, "/how-it-works/").2.contains("<h1>How the group works</h1>"));

    // A template error is located the same way.
    let base = root.join("templates/base.html");
    let template = fs::read_to_string(&base).unwrap();
    let main_line = template.lines().position(|l| l.contains("</main>")).expect("base.html closes <main>") + 1;
    fs::write(&base, template.replacen("</main>", "{% if %}</main>", 1)).unwrap();
    let failed = events.next("build-error");
    assert_eq!(failed["problems"][0]["file"], "templates/base.html", "{failed}");
    assert_eq!(failed["problems"][0]["line"], main_line as u64, "{failed}");
    fs::write(&base, &template).unwrap();
    assert!(events.next("reload")["problems"].is_null());
    let log = fs::read_to_string(tmp.join("serve.log")).unwrap();
    assert!(log.contains("content/pages/how-it-works.md"), "the terminal shows the error too:\n{log}");
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}

fn walkdir_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Sends `raw` on a new connection (then closes the sending side when `close_write`)
/// and returns all it gets back and how long the server took to close.
fn exchange(port: u16, raw: &[u8], close_write: bool) -> (String, Duration) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(raw).unwrap();
    if close_write {
        s.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let start = Instant::now();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (String::from_utf8_lossy(&out).into_owned(), start.elapsed())
}

fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status in {answer:?}"))
}

fn header_of<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

#[test]
fn slow_and_malformed_requests_get_the_right_answers() {
    let tmp = std::env::temp_dir().join(format!("ccg-serve-robust-{}", std::process::id()));
    let (_, server) = start_on_a_copy(&tmp);
    let port = server.port;
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";

    // Half the headers, then nothing: closed after a few seconds, not held for ever.
    let (answer, took) = exchange(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", false);
    assert!(took < Duration::from_secs(12), "held {took:?}");
    assert!(answer.is_empty() || status_of(&answer) == 408, "{answer}");
    // Headers in, but the body never comes: 408, then closed.
    let req = format!("POST /api/register HTTP/1.1\r\nHost: 127.0.0.1\r\n{form}Content-Length: 100\r\n\r\nname=x");
    let (answer, took) = exchange(port, req.as_bytes(), false);
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(took < Duration::from_secs(12), "held {took:?}");
    // The body ends before its Content-Length: 400, not 413.
    let (answer, _) = exchange(port, req.as_bytes(), true);
    assert_eq!(status_of(&answer), 400, "{answer}");
    // Malformed chunking: 400.
    let chunked = format!("POST /api/register HTTP/1.1\r\nHost: 127.0.0.1\r\n{form}Transfer-Encoding: chunked\r\n\r\nzz\r\nname=x\r\n0\r\n\r\n");
    let (answer, _) = exchange(port, chunked.as_bytes(), false);
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(header_of(&answer, "content-type").unwrap().starts_with("text/html"), "a form gets a page: {answer}");

    // Too large: a page for a form, JSON for a JSON client.
    let big = "x".repeat(70 * 1024);
    let (status, head, body) = request(port, "POST", "/api/register", &big).unwrap();
    assert_eq!(status, 413);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(body.contains("<h1>Payload Too Large</h1>") || body.contains("<h1>"), "{body}");
    let req = format!(
        "POST /api/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
        big.len()
    );
    let (answer, _) = exchange(port, req.as_bytes(), false);
    assert_eq!(status_of(&answer), 413);
    assert_eq!(header_of(&answer, "content-type"), Some("application/json"));
    let req = format!(
        "POST /api/register HTTP/1.1\r\nHost: 127.0.0.1\r\n{form}Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
        big.len()
    );
    assert_eq!(header_of(&exchange(port, req.as_bytes(), false).0, "content-type"), Some("application/json"));

    // 405 says what is allowed, wherever the preview answers it itself.
    for path in ["/", "/how-it-works/", "/_serve/events", "/_outbox/"] {
        let (status, head, _) = request(port, "POST", path, "").unwrap();
        assert_eq!(status, 405, "{path}");
        assert!(head.contains("allow: get, head"), "{path}: {head}");
    }

    // Redirects stay on this origin, path-absolute.
    for (path, to) in [("//join", "/join/"), ("///join/", "/join/"), ("//calendar//", "/calendar/"), ("/calendar", "/calendar/"), ("/_outbox", "/_outbox/")] {
        let (status, head, _) = get(port, path);
        assert_eq!(status, 301, "{path}");
        let location = head.lines().find_map(|l| l.strip_prefix("location: ")).unwrap();
        assert_eq!(location, to, "{path}");
    }
    for path in ["//evil.example/", "//evil.example", "/%2Fevil.example", "/%2F%2Fevil.example/", "/%5Cevil.example"] {
        let (status, head, _) = get(port, path);
        let location = head.lines().find_map(|l| l.strip_prefix("location: ")).unwrap_or("/");
        assert!(status == 404 || (status == 301 && location.starts_with('/') && !location.starts_with("//")), "{path}: {status} {location}");
    }
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}

#[test]
fn connections_are_limited_and_wait_their_turn() {
    let tmp = std::env::temp_dir().join(format!("ccg-serve-limit-{}", std::process::id()));
    let (_, server) = start_on_a_copy(&tmp);
    let port = server.port;
    // As many idle connections as allowed (they are closed after the header timeout, 5 s).
    let held: Vec<TcpStream> = (0..generator::serve::MAX_CONNECTIONS).map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut waiting = TcpStream::connect(("127.0.0.1", port)).unwrap();
    waiting.write_all(b"GET /style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    waiting.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    let mut buf = [0u8; 64];
    let early = waiting.read(&mut buf);
    assert!(early.is_err(), "answered beyond the limit: {early:?}");
    drop(held);
    waiting.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = Vec::new();
    waiting.read_to_end(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[test]
fn out_of_file_handles_the_server_backs_off_and_recovers() {
    let tmp = std::env::temp_dir().join(format!("ccg-serve-emfile-{}", std::process::id()));
    let root = copy_site(&tmp);
    let server = start_with(&root, &tmp, Some(64));
    let port = server.port;
    let held: Vec<TcpStream> = (0..100).map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_seconds(server.child.id());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_seconds(server.child.id()) - before;
    let log = fs::read_to_string(tmp.join("serve.log")).unwrap();
    assert_eq!(log.matches("cannot accept connections").count(), 1, "said once per run of failures:\n{log}");
    assert!(log.contains("Too many open files"), "{log}");
    assert!(used < 0.5, "{used} s of CPU in 2 s while accept() failed: spinning");
    drop(held);
    wait_for("the server to accept again", || request(port, "GET", "/", "").is_some_and(|r| r.0 == 200));
    let log = fs::read_to_string(tmp.join("serve.log")).unwrap();
    assert!(log.contains("accepting connections again"), "{log}");
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}
