use super::*;
use std::collections::HashSet;
use std::sync::Arc;

/// A fresh folder per test, so tests running in parallel never share an outbox.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ccg-outbox-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn email(n: usize) -> Email {
    Email {
        to: format!("person{n}@example.eu"),
        subject: format!("Message {n}"),
        text: format!("Hello {n},\nhttps://example.eu/confirm?n={n}\n"),
        html: format!("<p>Hello {n}</p>"),
        ..Email::default()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sends_and_reads_back_in_order() {
    let dir = temp_dir("order");
    let outbox = Outbox::new(dir.join("nested"));
    outbox.send(&email(1)).await.unwrap();
    outbox.send(&email(2)).await.unwrap();

    let messages = read_all(&dir.join("nested")).unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].email, email(1));
    assert_eq!(messages[1].email, email(2));
    assert!(messages[0].file < messages[1].file);
    for m in &messages {
        assert!(m.file.ends_with(".json"));
        m.sent_at.parse::<jiff::Timestamp>().expect("sent_at is RFC 3339");
    }
    let raw: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("nested").join(&messages[0].file)).unwrap()).unwrap();
    let keys: HashSet<&str> = raw.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["to", "subject", "text", "html", "sent_at"]));
    let stem = messages[1].file.strip_suffix(".json").unwrap();
    assert!(is_message_name(stem), "{stem}");
    assert_eq!(read_one(&dir.join("nested"), stem).unwrap().as_ref(), Some(&messages[1]));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn only_names_the_outbox_writes_are_read() {
    for good in ["01767225600000000000-4242-0", "00000000000000000000-1-18446744073709551615"] {
        assert!(is_message_name(good), "{good}");
    }
    for bad in [
        "",
        "../x",
        "01767225600000000000-4242",
        "01767225600000000000-4242-0.json",
        "01767225600000000000-4242-0-1",
        "1767225600000000000-4242-0",
        "01767225600000000000--0",
        "01767225600000000000-4242-0/..",
        "01767225600000000000-+42-0",
    ] {
        assert!(!is_message_name(bad), "{bad}");
    }
    let dir = temp_dir("read-one");
    assert_eq!(read_one(&dir, "01767225600000000000-4242-0").unwrap(), None, "missing folder");
    assert_eq!(read_one(&dir, "../etc/passwd").unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_get_distinct_files() {
    let dir = temp_dir("concurrent");
    let outbox = Arc::new(Outbox::new(&dir));
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.send(&email(n)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let messages = read_all(&dir).unwrap();
    assert_eq!(messages.len(), 50);
    let files: HashSet<&str> = messages.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(files.len(), 50);
    let subjects: HashSet<&str> = messages.iter().map(|m| m.email.subject.as_str()).collect();
    assert_eq!(subjects.len(), 50, "no message overwrote another");
    assert!(fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
    fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn the_fail_switch_sends_nothing() {
    let dir = temp_dir("fail");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(FAIL_SWITCH), "").unwrap();
    let outbox = Outbox::new(&dir);
    let err = outbox.send(&email(1)).await.unwrap_err();
    assert!(matches!(err, MailError::NotSent(_)));
    assert!(!err.to_string().contains("person1"), "no address in the error");
    assert!(read_all(&dir).unwrap().is_empty());
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "only the switch itself");

    fs::remove_file(dir.join(FAIL_SWITCH)).unwrap();
    outbox.send(&email(2)).await.unwrap();
    assert_eq!(read_all(&dir).unwrap().len(), 1);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_folder_is_empty_and_stray_files_are_ignored() {
    let dir = temp_dir("missing");
    assert!(read_all(&dir).unwrap().is_empty());

    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(FAIL_SWITCH), "").unwrap();
    fs::write(dir.join("00000000000000000001-1-0.json.tmp"), "{\"half").unwrap();
    assert!(read_all(&dir).unwrap().is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

fn invitation(n: usize, id: &str) -> Email {
    Email {
        attachments: vec![super::super::Attachment {
            filename: "invite.ics".into(),
            content_type: "text/calendar; charset=UTF-8; method=REQUEST".into(),
            body: format!("BEGIN:VCALENDAR\r\nX-N:{n}\r\nEND:VCALENDAR\r\n").into_bytes(),
        }],
        headers: vec![
            ("List-Unsubscribe".into(), "<https://example.eu/leave?t=1>".into()),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
        ],
        id: Some(id.into()),
        ..email(n)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn attachments_headers_and_id_read_back() {
    let dir = temp_dir("attachments");
    let outbox = Outbox::new(&dir);
    outbox.send(&email(1)).await.unwrap();
    let mut sent = invitation(2, "invitation/ev-1/0/pk_1");
    sent.attachments[0].body.extend([0u8, 0xff, 0xfe]);
    outbox.send(&sent).await.unwrap();
    outbox.send(&email(3)).await.unwrap();

    let messages = read_all(&dir).unwrap();
    let subjects: Vec<&str> = messages.iter().map(|m| m.email.subject.as_str()).collect();
    assert_eq!(subjects, ["Message 1", "Message 2", "Message 3"], "an id's file sorts by when it was sent");
    assert_eq!(messages[1].email, sent);
    let stem = messages[1].file.strip_suffix(".json").unwrap();
    assert_eq!(stem, format!("id-{}", crate::files::policy::hex(&Sha256::digest(b"invitation/ev-1/0/pk_1"))));
    assert!(is_message_name(stem));
    assert_eq!(read_one(&dir, stem).unwrap().map(|m| m.email), Some(sent));
    fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn the_same_id_is_delivered_once() {
    let dir = temp_dir("once");
    let outbox = Outbox::new(&dir);
    outbox.send(&invitation(1, "invitation/ev-1/0/pk_1")).await.unwrap();
    // Sent again (a resumed round), even with other words: the first stays, nothing is added.
    outbox.send(&invitation(2, "invitation/ev-1/0/pk_1")).await.unwrap();
    outbox.send(&invitation(3, "invitation/ev-1/1/pk_1")).await.unwrap();
    let messages = read_all(&dir).unwrap();
    let subjects: Vec<&str> = messages.iter().map(|m| m.email.subject.as_str()).collect();
    assert_eq!(subjects, ["Message 1", "Message 3"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_of_one_id_leave_one_file() {
    let dir = temp_dir("once-concurrent");
    let outbox = Arc::new(Outbox::new(&dir));
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let outbox = outbox.clone();
            tokio::spawn(async move { outbox.send(&invitation(n, "invitation/ev-2/0/pk_9")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("every send of the id answers Ok");
    }
    let messages = read_all(&dir).unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn id_names_are_message_names() {
    assert!(is_message_name(&format!("id-{}", "0a".repeat(32))));
    for bad in [&format!("id-{}", "0A".repeat(32)), &format!("id-{}", "0a".repeat(31)), "id-", &format!("id-{}/..", "0a".repeat(32))] {
        assert!(!is_message_name(bad), "{bad}");
    }
}
