//! The sign-in pages' bodies, through the real handler (`ccg_functions::handle`)
//! on an embedded store that holds one member of the secretariat: the
//! address form (`POST /sign-in/`) and the link's button (`POST /sign-in/link`),
//! each as a form and as JSON, answered as a page or as JSON.

use bytes::Bytes;
use ccg_functions::mail::{Email, Mailer, SendFuture};
use ccg_functions::records::{AuditEntry, Staff};
use ccg_functions::store::roles::AccountStore;
use ccg_functions::{App, Forms, Options, Serves, Settings, SqliteStore, handle};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The secretariat's address in the store: the seeds ask for its link.
pub const STAFF: &str = "desk@example.org";

/// Sends nothing: the fuzz run is about the answers, and writes no files per case.
struct NoMail;

impl Mailer for NoMail {
    fn send<'a>(&'a self, _: &'a Email) -> SendFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

struct Server {
    rt: tokio::runtime::Runtime,
    app: App<SqliteStore>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let dir = std::env::temp_dir().join(format!("ccg-fuzz-sign-in-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let store = SqliteStore::open(&dir.join("forms.sqlite3")).expect("the embedded store");
        // A slow machine is no outage: only an input that breaks a store call may give a 503 here.
        let options = Options { store_timeout: Duration::from_secs(120), ..Options::default() };
        let forms = Forms::new(store, Arc::new(NoMail), super::catalogue().clone(), options);
        let settings = Settings { allowed_origin: Some("https://example.org".into()), allow_same_origin: false, serves: Serves::Everything, log: false };
        let app = App::new(forms, settings);
        let now = jiff::Timestamp::now();
        let staff = Staff { email_key: STAFF.into(), email: STAFF.into(), name: "Desk".into(), added_at: now, added_by: "fuzz".into() };
        let audit = AuditEntry { at: now, actor: "fuzz".into(), action: "staff.added".into(), subject: STAFF.into(), detail: String::new() };
        rt.block_on(app.forms.store.add_staff(staff, audit)).expect("the staff record");
        Server { rt, app }
    })
}

/// A sign-in body: whatever it holds, the answer is one the pages give on
/// purpose (never a 500, never a panic, never a 503 from a store that is
/// there), and it signs nobody in (no random token is a link's), so it sets
/// no cookie.
pub fn sign_in_body(data: &[u8]) {
    let s = server();
    for path in ["/sign-in/", "/sign-in/link"] {
        for (kind, accept) in [("application/x-www-form-urlencoded", "text/html"), ("application/json", "application/json"), ("text/plain", "text/html")] {
            let req = http::Request::post(path)
                .header(http::header::CONTENT_TYPE, kind)
                .header(http::header::ACCEPT, accept)
                .body(Bytes::copy_from_slice(data))
                .expect("a request");
            let r = s.rt.block_on(handle(&s.app, req));
            let status = r.status().as_u16();
            let expected: &[u16] = match path {
                // Sent (a page's redirect, or JSON's 202), not decodable, too large, not an address.
                "/sign-in/" => &[202, 303, 400, 413, 415, 422],
                // No link of ours (410), or too large.
                _ => &[410, 413],
            };
            assert!(expected.contains(&status), "{path} as {kind}: {status}: {}", String::from_utf8_lossy(r.body()));
            assert!(r.headers().get(http::header::SET_COOKIE).is_none(), "{path} as {kind}: a cookie set for a random body");
            assert_eq!(r.headers()[http::header::CACHE_CONTROL], "no-store", "{path}: a signed-in answer kept by a cache");
        }
    }
}
