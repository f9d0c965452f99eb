//! Which instance answers which path: in AWS each function is one `Serves`,
//! and a path it does not serve is a 404 there (the HTTP API never sends it
//! one; this is what holds if it did). The desk's pages are the desk
//! function's alone, so the account function, which every member reaches,
//! holds none of the desk's rights.

use crate::common::*;
use crate::signin::{get, post, sign_in, staff};
use ccg_functions::{Serves, handle};

#[tokio::test]
async fn the_desk_function_answers_the_desk_alone_and_the_account_function_everything_else_signed_in() {
    let mut app = app(sqlite_store("serves"), catalogue());
    staff(&app, "desk@sec.eu").await;
    let cookie = sign_in(&app, "desk@sec.eu", None).await;
    let status = |r: http::Response<bytes::Bytes>| (r.status().as_u16(), body_text(&r));

    app.settings.serves = Serves::Desk;
    let (s, page) = status(handle(&app, get("/desk/", Some(&cookie))).await);
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("<title>Today at the desk |"), "{page}");
    assert_eq!(handle(&app, get("/desk/staff/", Some(&cookie))).await.status(), 200);
    // Without a session, to the sign-in page, which is the account function's.
    let r = handle(&app, get("/desk/", None)).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/sign-in/"));
    // A decision is the desk's: refused here for want of a passkey, not for the path.
    assert_eq!(handle(&app, post("/desk/claims/decide", &[("claim", "x"), ("action", "approve")], Some(&cookie))).await.status(), 403);
    for path in ["/sign-in/", "/sign-in/link?token=x.y", "/account/", "/members/", "/deskx/", "/desk-help/", "/api/leave?token=x.y", "/api/register/confirm"] {
        assert_eq!(handle(&app, get(path, Some(&cookie))).await.status(), 404, "the desk function answers {path}");
    }
    for (path, body) in [("/sign-in/", registration("a@b.eu")), ("/api/register", registration("a@b.eu")), ("/api/travel-claims", claim("e1", "10"))] {
        assert_eq!(handle(&app, json_post(path, body)).await.status(), 404, "the desk function takes a post to {path}");
    }

    app.settings.serves = Serves::Account;
    for path in ["/desk", "/desk/", "/desk/staff/", "/desk/claims/decide"] {
        assert_eq!(handle(&app, get(path, Some(&cookie))).await.status(), 404, "the account function answers {path}");
    }
    assert_eq!(handle(&app, post("/desk/claims/decide", &[("claim", "x"), ("action", "approve")], Some(&cookie))).await.status(), 404);
    assert_eq!(handle(&app, get("/account/", Some(&cookie))).await.status(), 200);
    assert_eq!(handle(&app, get("/sign-in/", None)).await.status(), 200);

    // The preview and the tests: everything.
    app.settings.serves = Serves::Everything;
    for path in ["/desk/", "/desk/staff/", "/account/", "/sign-in/"] {
        assert_eq!(handle(&app, get(path, Some(&cookie))).await.status(), 200, "{path}");
    }
}
