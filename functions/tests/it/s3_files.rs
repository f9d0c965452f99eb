//! The S3 file store (`files::s3`) against moto's S3 server on loopback:
//! the signed browser form, then every operation of the port. What only
//! AWS proves (S3 checking the policy and its session token, `${filename}`)
//! is on infra/README.md's list: moto checks neither.

use crate::common::*;
use ccg_functions::files::{FileStore, multipart};
use std::io::{Read, Write};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Posts a multipart form as a browser would; the status and the `Location` header.
pub fn post_form(action: &str, content_type: &str, body: &[u8]) -> (u16, Option<String>) {
    let rest = action.strip_prefix("http://").expect("a loopback address");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let location = text.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")).map(|(_, v)| v.trim().to_string()));
    (status, location)
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|p| {
        p.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.replace("%2F", "/").replace("%24", "$").replace("%7B", "{").replace("%7D", "}"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_with_the_signed_form_is_read_listed_and_deleted() {
    let moto = MotoS3::start().await;
    let files = moto.files("ccg-documents-test").await;
    assert_eq!(files.form_origin(), moto.endpoint);

    let prefix = "claims/clm_s3test/doc_one/";
    let redirect = "https://ccg.example.eu/api/travel-claims/documents?token=t0k&doc=doc_one";
    let now = jiff::Timestamp::now();
    let form = files.upload_form(prefix, 5 * 1024 * 1024, redirect, now).await.unwrap();
    assert_eq!(form.action, format!("{}/ccg-documents-test", moto.endpoint));
    let field = |n: &str| form.fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    // The role's session token travels in the form and is a condition of its policy.
    assert_eq!(field("x-amz-security-token").as_deref(), Some("testing-session-token"));
    assert!(field("x-amz-credential").unwrap().starts_with("AKIDTESTING/") && field("x-amz-credential").unwrap().ends_with("/eu-west-1/s3/aws4_request"));
    let policy = String::from_utf8(base64_decode(&field("policy").unwrap())).unwrap();
    assert!(policy.contains(r#"{"x-amz-security-token":"testing-session-token"}"#) && policy.contains(r#""bucket":"ccg-documents-test""#), "{policy}");

    let (ct, body) = multipart::write(&form.fields, "file", "ticket.pdf", PDF);
    let (status, location) = tokio::task::spawn_blocking(move || post_form(&form.action, &ct, &body)).await.unwrap();
    assert_eq!(status, 303, "the bucket did not send the browser back");
    let location = location.expect("a Location");
    assert!(location.starts_with("https://ccg.example.eu/api/travel-claims/documents?"), "{location}");
    assert_eq!(query_value(&location, "bucket").as_deref(), Some("ccg-documents-test"));
    let key = query_value(&location, "key").expect("the key in the redirect");
    assert!(key.starts_with(prefix), "{key}");

    assert_eq!(files.head(&key).await.unwrap(), Some(PDF.len() as u64));
    assert_eq!(files.read_start(&key, 8).await.unwrap(), &PDF[..8]);
    assert_eq!(files.read_start(&key, 10_000).await.unwrap(), PDF);
    assert_eq!(files.read(&key).await.unwrap(), PDF);

    // Another claim's file and one outside claims/: a listing keeps to its prefix.
    let client = moto.client();
    client.put_object().bucket("ccg-documents-test").key("claims/clm_other/doc_two/a.png").body(b"\x89PNG".to_vec().into()).send().await.unwrap();
    client.put_object().bucket("ccg-documents-test").key("elsewhere/x").body(b"x".to_vec().into()).send().await.unwrap();
    assert_eq!(files.list("claims/").await.unwrap(), vec!["claims/clm_other/doc_two/a.png".to_string(), key.clone()]);
    assert_eq!(files.list("claims/clm_s3test/").await.unwrap(), vec![key.clone()]);

    files.delete(&key).await.unwrap();
    assert_eq!(files.head(&key).await.unwrap(), None);
    // Deleting what is not there is fine.
    files.delete(&key).await.unwrap();
    assert_eq!(files.list("claims/clm_s3test/").await.unwrap(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_heads_to_none_and_a_long_listing_is_read_to_its_end() {
    let moto = MotoS3::start().await;
    let files = moto.files("ccg-documents-many").await;
    assert_eq!(files.head("claims/clm_none/doc_none/nothing.pdf").await.unwrap(), None);
    assert!(files.read("claims/clm_none/doc_none/nothing.pdf").await.is_err());
    // More keys than one page of ListObjectsV2 (1000).
    let client = moto.client();
    for i in 0..1005 {
        client.put_object().bucket("ccg-documents-many").key(format!("claims/clm_many/doc_{i:04}/f.pdf")).body(b"%PDF".to_vec().into()).send().await.unwrap();
    }
    let keys = files.list("claims/").await.unwrap();
    assert_eq!(keys.len(), 1005);
    assert_eq!(keys.last().map(String::as_str), Some("claims/clm_many/doc_1004/f.pdf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_that_does_not_answer_is_unavailable() {
    let port = free_port();
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new("a", "b", None, None, "tests"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .force_path_style(true)
        .build();
    let creds = aws_sdk_s3::config::SharedCredentialsProvider::new(aws_sdk_s3::config::Credentials::new("a", "b", None, None, "tests"));
    let files = ccg_functions::files::s3::S3Files::new(aws_sdk_s3::Client::from_conf(conf), "closed", "eu-west-1", creds);
    let e = files.head("claims/clm_x/doc_y/secret-name.pdf").await.unwrap_err();
    assert!(matches!(e, ccg_functions::files::FileError::Unavailable(_)), "{e:?}");
    // The error names the operation, never the key (it holds the claimant's file name).
    assert!(!e.to_string().contains("secret-name"), "{e}");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// A GET as a browser following the redirect would send it: the status, the headers' text and the body.
fn http_get(url: &str) -> (u16, String, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("a loopback address");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head, answer[split + 4..].to_vec())
}

/// The members' repository in AWS's code path: a signed-in member's
/// address for a shared file works, with our file name; a key outside `shared/` is never signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_file_is_downloaded_by_its_presigned_address() {
    let moto = MotoS3::start().await;
    let files = moto.files("ccg-shared-test").await;
    let key = "shared/shd_moto/1.pdf";
    files.put(key, PDF.to_vec(), "application/pdf").await.unwrap();
    assert_eq!(files.head(key).await.unwrap(), Some(PDF.len() as u64));

    let now = jiff::Timestamp::now();
    let url = files.download_url(key, "Minutes Porto.pdf", "application/pdf", now).await.unwrap().expect("an address in AWS's code path");
    assert!(url.starts_with(&format!("{}/ccg-shared-test/{key}?", moto.endpoint)), "{url}");
    let (status, head, body) = tokio::task::spawn_blocking(move || http_get(&url)).await.unwrap();
    assert_eq!(status, 200, "{head}");
    assert_eq!(body, PDF);
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-disposition: attachment; filename=\"minutes porto.pdf\""), "{head}");

    // moto does not check an address's expiry (it answers an expired one): that it expires after
    // DOWNLOAD_SECONDS, and that the signature covers the expiry, is files::s3's unit test.

    files.put("claims/clm_x/doc_y/ticket.pdf", PDF.to_vec(), "application/pdf").await.unwrap();
    assert!(files.download_url("claims/clm_x/doc_y/ticket.pdf", "t.pdf", "application/pdf", now).await.is_err());
}
