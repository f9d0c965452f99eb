use super::*;

/// AWS's published example of a browser upload with a SigV4 POST policy
/// (docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html, the
/// 2013 revision of the page): its base64 policy, the example secret, date
/// and region, and the signature the page gives.
#[test]
fn signs_aws_published_example() {
    let policy = concat!(
        "eyAiZXhwaXJhdGlvbiI6ICIyMDEzLTA4LTA3VDEyOjAwOjAwLjAwMFoiLA0KI",
        "CAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJleGFtcGxlYnVja2V0In0sD",
        "QogICAgWyJzdGFydHMtd2l0aCIsICIka2V5IiwgInVzZXIvdXNlcjEvIl0sDQogICAge",
        "yJhY2wiOiAicHVibGljLXJlYWQifSwNCiAgICB7InN1Y2Nlc3NfYWN0aW9uX3JlZGlyZ",
        "WN0IjogImh0dHA6Ly9leGFtcGxlYnVja2V0LnMzLmFtYXpvbmF3cy5jb20vc3VjY2Vzc",
        "2Z1bF91cGxvYWQuaHRtbCJ9LA0KICAgIFsic3RhcnRzLXdpdGgiLCAiJENvbnRlbnQtV",
        "HlwZSIsICJpbWFnZS8iXSwNCiAgICB7IngtYW16LW1ldGEtdXVpZCI6ICIxNDM2NTEyM",
        "zY1MTI3NCJ9LA0KICAgIFsic3RhcnRzLXdpdGgiLCAiJHgtYW16LW1ldGEtdGFnIiwgI",
        "iJdLA0KDQogICAgeyJ4LWFtei1jcmVkZW50aWFsIjogIkFLSUFJT1NGT0ROTjdFWEFNU",
        "ExFLzIwMTMwODA2L3VzLWVhc3QtMS9zMy9hd3M0X3JlcXVlc3QifSwNCiAgICB7IngtY",
        "W16LWFsZ29yaXRobSI6ICJBV1M0LUhNQUMtU0hBMjU2In0sDQogICAgeyJ4LWFtei1kY",
        "XRlIjogIjIwMTMwODA2VDAwMDAwMFoiIH0NCiAgXQ0KfQ==",
    );
    let decoded = String::from_utf8(B64.decode(policy).unwrap()).unwrap();
    assert!(decoded.contains("\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20130806/us-east-1/s3/aws4_request\""), "{decoded}");
    let sig = sign_policy(policy, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130806", "us-east-1");
    assert_eq!(sig, "21496b44de44ccb73d545f1a995c68214c9cb0d41c45a17a5daeec0b1a6db047");
}

/// The algorithm step by step (SigV4: "AWS4" + secret, then HMAC over date,
/// region, service and "aws4_request"), each step with the standard HMAC.
#[test]
fn the_signing_key_is_the_documented_chain() {
    let step = |k: &[u8], d: &str| hmac(k, d.as_bytes());
    let k = step(b"AWS4secret", "20260101");
    let k = step(&k, "eu-central-1");
    let k = step(&k, "s3");
    let k = step(&k, "aws4_request");
    assert_eq!(signing_key("secret", "20260101", "eu-central-1", "s3"), k);
    // RFC 4231 test case 2: HMAC-SHA256 itself.
    assert_eq!(hex(&hmac(b"Jefe", b"what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

fn signer() -> Signer {
    Signer { access_key_id: "local".into(), secret_access_key: "s3cr3t".into(), session_token: None, region: "local".into() }
}

fn form(now: Timestamp, max: u64) -> Vec<(String, String)> {
    let u =
        Upload { bucket: "b", key_prefix: "claims/c1/d1/", redirect: "https://h/api/x?doc=d1", max_bytes: max, expires: now + jiff::Span::new().minutes(10) };
    form_fields(&u, &signer(), now)
}

#[test]
fn a_signed_form_is_checked_as_s3_checks_it() {
    let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
    let f = form(now, 100);
    assert_eq!(check(&f, "ticket.pdf", 100, "b", &signer(), now), Ok(("claims/c1/d1/ticket.pdf".into(), "https://h/api/x?doc=d1".into())));
    assert_eq!(check(&f, "ticket.pdf", 101, "b", &signer(), now), Err(PolicyError::Size));
    assert_eq!(check(&f, "ticket.pdf", 0, "b", &signer(), now), Err(PolicyError::Size));
    assert_eq!(check(&f, "t.pdf", 10, "b", &signer(), now + jiff::Span::new().minutes(10)), Err(PolicyError::Expired));
    assert_eq!(check(&f, "t.pdf", 10, "other", &signer(), now), Err(PolicyError::Condition("bucket".into())));
    let other_key = Signer { secret_access_key: "other".into(), ..signer() };
    assert_eq!(check(&f, "t.pdf", 10, "b", &other_key, now), Err(PolicyError::Signature));
    let with = |name: &str, value: &str| {
        let mut f = f.clone();
        match f.iter_mut().find(|(k, _)| k == name) {
            Some(kv) => kv.1 = value.into(),
            None => f.push((name.into(), value.into())),
        }
        f
    };
    assert_eq!(check(&with("key", "claims/c2/${filename}"), "t.pdf", 10, "b", &signer(), now), Err(PolicyError::Condition("key".into())));
    assert_eq!(
        check(&with("success_action_redirect", "https://evil.example/"), "t.pdf", 10, "b", &signer(), now),
        Err(PolicyError::Condition("success_action_redirect".into()))
    );
    assert_eq!(check(&with("acl", "public-read"), "t.pdf", 10, "b", &signer(), now), Err(PolicyError::Condition("acl".into())));
    assert_eq!(check(&with("x-amz-signature", "00"), "t.pdf", 10, "b", &signer(), now), Err(PolicyError::Signature));
    let session = Signer { session_token: Some("tok".into()), ..signer() };
    let u = Upload { bucket: "b", key_prefix: "p/", redirect: "r", max_bytes: 5, expires: now + jiff::Span::new().minutes(1) };
    let f = form_fields(&u, &session, now);
    assert!(f.iter().any(|(k, v)| k == "x-amz-security-token" && v == "tok"));
    assert_eq!(check(&f, "a", 5, "b", &session, now), Ok(("p/a".into(), "r".into())));
}
