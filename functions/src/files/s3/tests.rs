//! The presigned GET a member is sent to: its signature (recomputed here with
//! SigV4's rules) covers the bucket, the key, the answer's disposition and
//! type, and an expiry of `DOWNLOAD_SECONDS` from the moment it was made; a
//! key outside `shared/` is never signed. No network: presigning is local.

use super::*;
use crate::files::policy::{hex, signing_key};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

fn files() -> S3Files {
    let creds = aws_sdk_s3::config::Credentials::new("AKIDTESTING", "testing-secret", Some("testing-session-token".into()), None, "tests");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("eu-west-1"))
        .credentials_provider(creds.clone())
        .build();
    S3Files::new(Client::from_conf(conf), "ccg-documents", "eu-west-1", SharedCredentialsProvider::new(creds))
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|p| p.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
}

/// Whether `url`'s X-Amz-Signature is SigV4's signature of the rest of it, by `secret`.
fn signature_holds(url: &str, secret: &str) -> bool {
    let (rest, query) = url.split_once('?').unwrap();
    let (host, path) = rest.strip_prefix("https://").unwrap().split_once('/').unwrap();
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.starts_with("X-Amz-Signature=")).collect();
    pairs.sort();
    let canonical = format!("GET\n/{path}\n{}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD", pairs.join("&"));
    let date = param(query, "X-Amz-Date").unwrap();
    let scope = param(query, "X-Amz-Credential").unwrap().replace("%2F", "/");
    let scope = scope.split_once('/').unwrap().1;
    let to_sign = format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let key = signing_key(secret, &date[..8], "eu-west-1", "s3");
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(&key).unwrap();
    m.update(to_sign.as_bytes());
    hex(&m.finalize().into_bytes()) == param(query, "X-Amz-Signature").unwrap()
}

#[tokio::test]
async fn a_download_address_is_signed_for_one_shared_file_for_sixty_seconds() {
    let f = files();
    let now: jiff::Timestamp = "2027-03-16T10:00:00Z".parse().unwrap();
    let url = f.download_url("shared/shd_1/2.pdf", "Minutes Porto.pdf", "application/pdf", now).await.unwrap().unwrap();
    let (base, query) = url.split_once('?').unwrap();
    assert_eq!(base, "https://ccg-documents.s3.eu-west-1.amazonaws.com/shared/shd_1/2.pdf");
    assert_eq!(param(query, "X-Amz-Expires"), Some("60"));
    assert_eq!(param(query, "X-Amz-Date"), Some("20270316T100000Z"));
    assert_eq!(param(query, "X-Amz-Credential"), Some("AKIDTESTING%2F20270316%2Feu-west-1%2Fs3%2Faws4_request"));
    assert_eq!(param(query, "X-Amz-SignedHeaders"), Some("host"));
    assert_eq!(param(query, "X-Amz-Security-Token"), Some("testing-session-token"));
    let disposition = param(query, "response-content-disposition").unwrap();
    assert!(disposition.starts_with("attachment%3B%20filename%3D%22Minutes%20Porto.pdf%22"), "{disposition}");
    assert_eq!(param(query, "response-content-type"), Some("application%2Fpdf"));
    assert!(signature_holds(&url, "testing-secret"), "{url}");
    assert!(!signature_holds(&url, "another-secret"));
    // The signature covers the key, the expiry and the disposition: any change breaks it.
    for (from, to) in [("shd_1/2.pdf", "shd_2/2.pdf"), ("X-Amz-Expires=60", "X-Amz-Expires=6000"), ("attachment", "inline")] {
        assert!(!signature_holds(&url.replacen(from, to, 1), "testing-secret"), "{from} -> {to}");
    }
}

#[tokio::test]
async fn a_key_outside_shared_is_never_signed() {
    let f = files();
    let now = jiff::Timestamp::now();
    for key in [
        "claims/clm_1/doc_1/ticket.pdf",
        "shared/../claims/x.pdf",
        "shared/shd_1/../../claims/a",
        "shared/",
        "sharedx/a/1.pdf",
        "shared/a/b/c.pdf",
        ".signing-key",
    ] {
        assert!(f.download_url(key, "x.pdf", "application/pdf", now).await.is_err(), "{key}");
    }
}
