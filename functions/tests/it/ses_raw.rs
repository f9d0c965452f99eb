//! The SES mailer through the SDK, against the SES stand-in on loopback: a
//! message with attachments and headers leaves as SES v2 `Content.Raw`, whose
//! MIME reads back (with `mail-parser`) as the message that was sent; one
//! without stays `Content.Simple`.

use crate::lambda_binaries::SesStub;
use aws_sdk_sesv2::config::{BehaviorVersion, Credentials, Region};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ccg_functions::mail::ses::SesMailer;
use ccg_functions::mail::{Attachment, Email, Mailer};
use mail_parser::{MessageParser, MimeHeaders};

const FROM: &str = "City Coordinators Group <hello@ccg.example.eu>";
const ICS: &str = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:ev-1@ccg.example.eu\r\nSEQUENCE:2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn mailer(stub: &SesStub) -> SesMailer {
    let conf = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("a", "b", None, None, "tests"))
        .endpoint_url(&stub.url)
        .build();
    SesMailer::new(aws_sdk_sesv2::Client::from_conf(conf), FROM, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_sent_raw_and_a_plain_email_simple() {
    let stub = SesStub::start();
    let ses = mailer(&stub);
    let plain = Email { to: "ana@example.eu".into(), subject: "Confirm".into(), text: "Hello".into(), html: "<p>Hello</p>".into(), ..Email::default() };
    let invitation = Email {
        subject: "Convite: Atelier à Lisboa".into(),
        attachments: vec![Attachment { filename: "invite.ics".into(), content_type: "text/calendar; charset=UTF-8; method=REQUEST".into(), body: ICS.into() }],
        headers: vec![
            ("List-Unsubscribe".into(), "<https://ccg.example.eu/leave/?t=abc>".into()),
            ("List-Unsubscribe-Post".into(), "List-Unsubscribe=One-Click".into()),
        ],
        id: Some("invitation/ev-1/2/pk_a".into()),
        ..plain.clone()
    };
    ses.send(&plain).await.unwrap();
    ses.send(&invitation).await.unwrap();

    let sent = stub.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0]["Content"]["Simple"]["Subject"]["Data"], "Confirm");
    assert!(sent[0]["Content"]["Raw"].is_null());
    let request = &sent[1];
    assert!(request["Content"]["Simple"].is_null(), "{request}");
    assert_eq!(request["FromEmailAddress"], FROM);
    assert_eq!(request["Destination"]["ToAddresses"], serde_json::json!(["ana@example.eu"]));
    let raw = B64.decode(request["Content"]["Raw"]["Data"].as_str().expect("raw data")).unwrap();
    let m = MessageParser::default().parse(&raw).expect("MIME");
    assert_eq!(m.subject(), Some("Convite: Atelier à Lisboa"));
    assert_eq!(m.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
    assert_eq!(m.body_text(0).as_deref(), Some("Hello"));
    let attached = m.parts.iter().find(|p| p.attachment_name() == Some("invite.ics")).expect("the attachment");
    assert_eq!(attached.contents(), ICS.as_bytes());
    assert_eq!(attached.content_type().and_then(|c| c.attribute("method")), Some("REQUEST"));
}
