//! The preview's outbox at /_outbox/: the list, a message, its parts and attachments.

use super::{get, request, start_on_a_copy};
use std::fs;

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
        ..Email::default()
    };
    let second = Email {
        to: "bo@example.eu".into(),
        subject: "Your claim <script>alert(1)</script>".into(),
        text: "Hello Bo".into(),
        html: "<p>Hello Bo</p>".into(),
        ..Email::default()
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
    assert!(page.contains("<a href=\"https://ccg.example.eu/confirm?t=a1&amp;x=2\">https://ccg.example.eu/confirm?t=a1&amp;x=2</a>."), "{page}");

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

#[test]
fn shows_an_invitations_headers_and_attachment() {
    use ccg_functions::mail::outbox::Outbox;
    use ccg_functions::mail::{Attachment, Email, Mailer};

    let tmp = std::env::temp_dir().join(format!("ccg-serve-outbox-attachment-{}", std::process::id()));
    let (_, server) = start_on_a_copy(&tmp);
    let port = server.port;
    let outbox = Outbox::new(tmp.join("data").join(generator::serve::OUTBOX_DIR));
    let ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
    let invitation = Email {
        to: "ana@example.eu".into(),
        subject: "Invitation: Workshop".into(),
        text: "You are invited.\n".into(),
        html: "<p>You are invited.</p>".into(),
        attachments: vec![
            Attachment { filename: "invite.ics".into(), content_type: "text/calendar; charset=UTF-8; method=REQUEST".into(), body: ics.into() },
            Attachment { filename: "a <b>&c.txt".into(), content_type: "text/html".into(), body: b"<script>alert(1)</script>".to_vec() },
        ],
        headers: vec![
            ("List-Unsubscribe".into(), "<https://ccg.example.eu/leave?t=a1&x=2>".into()),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
        ],
        id: Some("invitation/ev-1/0/pk_a".into()),
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(outbox.send(&invitation)).unwrap();
    rt.block_on(outbox.send(&invitation)).unwrap();

    let (_, _, list) = get(port, "/_outbox/");
    assert_eq!(list.matches("Invitation: Workshop").count(), 1, "one id, one message: {list}");
    let start_of_link = list.find("href=\"/_outbox/id-").unwrap() + "href=\"".len();
    let link = &list[start_of_link..start_of_link + list[start_of_link..].find('"').unwrap()];
    let (status, _, page) = get(port, link);
    assert_eq!(status, 200);
    for part in [
        "<dt>List-Unsubscribe</dt><dd>&lt;<a href=\"https://ccg.example.eu/leave?t=a1&amp;x=2\">https://ccg.example.eu/leave?t=a1&amp;x=2</a>&gt;</dd>",
        "<dt>List-Unsubscribe-Post</dt><dd>List-Unsubscribe=One-Click</dd>",
        "<code>invitation/ev-1/0/pk_a</code>",
        &format!("<a href=\"{link}/invite.ics\" download>invite.ics</a> (text/calendar; charset=UTF-8; method=REQUEST, {} bytes)", ics.len()),
        &format!("<a href=\"{link}/a%20%3Cb%3E%26c.txt\" download>a &lt;b&gt;&amp;c.txt</a>"),
    ] {
        assert!(page.contains(part), "{part} in {page}");
    }

    let (status, head, body) = get(port, &format!("{link}/invite.ics"));
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/calendar; charset=utf-8; method=request"), "{head}");
    assert!(head.contains("content-disposition: attachment; filename=\"invite.ics\""), "{head}");
    assert_eq!(body, ics);
    let (status, head, _) = get(port, &format!("{link}/a%20%3Cb%3E%26c.txt"));
    assert_eq!(status, 200);
    assert!(head.contains("content-security-policy: sandbox") && head.contains("x-content-type-options: nosniff"), "{head}");
    for bad in [format!("{link}/other.ics"), format!("{link}/invite.ics/x"), format!("{link}/"), "/_outbox/id-00/invite.ics".to_string()] {
        assert_eq!(get(port, &bad).0, 404, "{bad}");
    }
    drop(server);
    let _ = fs::remove_dir_all(&tmp);
}
