//! `generator serve` on a private copy of the site: files, 404, drafts, the
//! /api/ routing and the rebuild after an edit.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
mod common;
use common::copy_dir;


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
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["serve", "--port", &port.to_string(), "--root"])
        .arg(root)
        .arg("--data")
        .arg(tmp.join("data"))
        .arg("--out")
        .arg(tmp.join("serve-out"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    wait_for("the server", || request(port, "GET", "/", "").is_some_and(|r| r.0 == 200));
    server
}

/// `serve` on a fresh copy of the workspace's content and templates under `tmp`; returns the copy's root.
fn start_on_a_copy(tmp: &Path) -> (PathBuf, Server) {
    let _ = fs::remove_dir_all(tmp);
    let root = tmp.join("site");
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    copy_dir(&ws.join("content"), &root.join("content"));
    copy_dir(&ws.join("templates"), &root.join("templates"));
    let server = start(&root, tmp);
    (root, server)
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

#[test]
fn shows_the_outbox() {
    use ccg_functions::mail::outbox::Outbox;
    use ccg_functions::mail::{Email, Mailer};

    let tmp = std::env::temp_dir().join(format!("ccg-serve-outbox-{}", std::process::id()));
    let (_, server) = start_on_a_copy(&tmp);
    let port = server.port;

    let (status, _, body) = get(port, "/_outbox/");
    assert_eq!(status, 200);
    assert!(body.contains("The outbox is empty"), "{body}");

    let outbox = Outbox::new(tmp.join("data").join(generator::serve::OUTBOX_DIR));
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let first = Email {
        to: "ana@example.eu".into(),
        subject: "Confirm your email".into(),
        text: "Hello Ana,\nplease confirm: https://ccg.example.eu/confirm?t=a1&x=2.\n".into(),
        html: "<p>Hello Ana</p><script>alert(1)</script>".into(),
    };
    let second = Email {
        to: "bo@example.eu".into(),
        subject: "Your claim <script>alert(1)</script>".into(),
        text: "Hello Bo".into(),
        html: "<p>Hello Bo</p>".into(),
    };
    rt.block_on(outbox.send(&first)).unwrap();
    rt.block_on(outbox.send(&second)).unwrap();

    let (status, head, list) = get(port, "/_outbox/");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html; charset=utf-8"));
    for part in ["<html lang=\"en\">", "<meta name=\"viewport\"", "<meta name=\"robots\" content=\"noindex\">", "<title>", "<main", "href=\"/style.css\""] {
        assert!(list.contains(part), "{part} in {list}");
    }
    assert_eq!(list.matches("<h1>").count(), 1);
    assert!(list.contains("Your claim &lt;script&gt;alert(1)&lt;/script&gt;"), "the subject is escaped");
    assert!(!list.contains("<script>"));
    let newest = list.find("Your claim").unwrap();
    let oldest = list.find("Confirm your email").unwrap();
    assert!(newest < oldest, "newest first");

    // The first message, by the link the list gives it.
    let start_of_link = list[..oldest].rfind("href=\"/_outbox/").unwrap() + "href=\"".len();
    let link = &list[start_of_link..start_of_link + list[start_of_link..].find('"').unwrap()];
    let (status, _, page) = get(port, link);
    assert_eq!(status, 200);
    assert!(page.contains("ana@example.eu"));
    assert!(
        page.contains("<a href=\"https://ccg.example.eu/confirm?t=a1&amp;x=2\">https://ccg.example.eu/confirm?t=a1&amp;x=2</a>."),
        "{page}"
    );

    let (status, head, html) = get(port, &format!("{link}.html"));
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"));
    assert!(head.contains("content-security-policy: sandbox"));
    assert_eq!(html, first.html);

    let (status, head, body) = request(port, "HEAD", link, "").unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"));
    assert!(body.is_empty());
    let (status, head, _) = request(port, "POST", "/_outbox/", "").unwrap();
    assert_eq!(status, 405);
    assert!(head.contains("allow: get, head"));

    for bad in ["/_outbox/../x", "/_outbox/..%2Fx", "/_outbox/x", "/_outbox/00000000000000000000-1-0", &format!("{link}/"), &format!("{link}.json")] {
        let (status, _, body) = get(port, bad);
        assert_eq!(status, 404, "{bad}");
        assert!(body.contains("Page not found"), "the site's 404 page for {bad}");
    }
    assert_eq!(get(port, "/_outbox").0, 301);
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}
