//! S3's browser upload by HTML form (POST Object) with a Signature Version 4
//! policy: the policy (a JSON document, base64) says which bucket, which key
//! prefix, how large, where to go after, and until when; its signature is
//! HMAC-SHA256 with the SigV4 signing key of the date, region and `s3`. The
//! same code signs for the AWS bucket and signs and checks for the preview's
//! own bucket (`files::local`), so both refuse the same forms.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Who signs: an access key (with a session token for a Lambda's role) of a region.
#[derive(Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
}

impl std::fmt::Debug for Signer {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("access_key_id", &self.access_key_id).field("region", &self.region).finish_non_exhaustive()
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4's signing key: HMAC chained over the date (`YYYYMMDD`), region, service, `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// The signature of a base64 policy: hex of HMAC-SHA256 with the signing key.
pub fn sign_policy(policy_b64: &str, secret: &str, date: &str, region: &str) -> String {
    hex(&hmac(&signing_key(secret, date, region, "s3"), policy_b64.as_bytes()))
}

/// What an upload form may send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload<'a> {
    pub bucket: &'a str,
    /// The key must start with this; the browser's file name completes it (`${filename}`).
    pub key_prefix: &'a str,
    /// Where the bucket sends the browser after a good upload (303).
    pub redirect: &'a str,
    pub max_bytes: u64,
    pub expires: Timestamp,
}

/// The hidden fields of the form, in the order S3 wants them (the file comes last).
pub fn form_fields(u: &Upload<'_>, signer: &Signer, now: Timestamp) -> Vec<(String, String)> {
    let utc = jiff::tz::TimeZone::UTC.to_datetime(now);
    let date = utc.strftime("%Y%m%d").to_string();
    let amz_date = utc.strftime("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!("{}/{date}/{}/s3/aws4_request", signer.access_key_id, signer.region);
    let mut conditions = vec![
        json!({"bucket": u.bucket}),
        json!(["starts-with", "$key", u.key_prefix]),
        json!({"success_action_redirect": u.redirect}),
        json!(["content-length-range", 1, u.max_bytes]),
        json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}),
        json!({"x-amz-credential": credential}),
        json!({"x-amz-date": amz_date}),
    ];
    if let Some(t) = &signer.session_token {
        conditions.push(json!({"x-amz-security-token": t}));
    }
    let policy = json!({"expiration": u.expires.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(), "conditions": conditions});
    let policy_b64 = B64.encode(policy.to_string());
    let signature = sign_policy(&policy_b64, &signer.secret_access_key, &date, &signer.region);
    let mut fields = vec![
        ("key".to_string(), format!("{}${{filename}}", u.key_prefix)),
        ("success_action_redirect".into(), u.redirect.to_string()),
        ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("x-amz-credential".into(), credential),
        ("x-amz-date".into(), amz_date),
    ];
    if let Some(t) = &signer.session_token {
        fields.push(("x-amz-security-token".into(), t.clone()));
    }
    fields.push(("policy".into(), policy_b64));
    fields.push(("x-amz-signature".into(), signature));
    fields
}

/// Why the preview's bucket refused a form, as S3 would (403 or 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the form has no valid policy or signature")]
    Signature,
    #[error("the policy has expired")]
    Expired,
    #[error("the form does not meet its policy's condition on {0}")]
    Condition(String),
    #[error("the file is not within the size the policy allows")]
    Size,
}

/// Checks a sent form (its fields, the file's name and size) against its
/// policy, signed with `signer`'s key for `bucket`: the signature, the
/// expiry, every condition, and that every field is one the policy names.
/// Gives the key the file is stored under (`${filename}` replaced) and where to redirect.
pub fn check(fields: &[(String, String)], file_name: &str, size: u64, bucket: &str, signer: &Signer, now: Timestamp) -> Result<(String, String), PolicyError> {
    let get = |name: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let policy_b64 = get("policy").ok_or(PolicyError::Signature)?;
    let credential = get("x-amz-credential").ok_or(PolicyError::Signature)?;
    let date = credential.split('/').nth(1).ok_or(PolicyError::Signature)?;
    let expected = sign_policy(policy_b64, &signer.secret_access_key, date, &signer.region);
    let given = get("x-amz-signature").ok_or(PolicyError::Signature)?;
    if !constant_eq(expected.as_bytes(), given.as_bytes()) || !credential.starts_with(&format!("{}/", signer.access_key_id)) {
        return Err(PolicyError::Signature);
    }
    let policy: Value = B64.decode(policy_b64).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or(PolicyError::Signature)?;
    let expiration: Timestamp = policy["expiration"].as_str().and_then(|e| e.parse().ok()).ok_or(PolicyError::Signature)?;
    if now >= expiration {
        return Err(PolicyError::Expired);
    }
    let key = get("key").ok_or_else(|| PolicyError::Condition("key".into()))?.replace("${filename}", file_name);
    let value_of = |name: &str| -> Option<String> {
        match name {
            "bucket" => Some(bucket.to_string()),
            "key" => Some(key.clone()),
            _ => get(name).map(str::to_string),
        }
    };
    let mut named = vec!["policy".to_string(), "x-amz-signature".into(), "file".into(), "bucket".into()];
    for c in policy["conditions"].as_array().ok_or(PolicyError::Signature)? {
        let (name, ok) = match c {
            Value::Object(m) => {
                let (k, v) = m.iter().next().ok_or(PolicyError::Signature)?;
                (k.clone(), value_of(k).as_deref() == v.as_str())
            }
            Value::Array(a) if a.first().and_then(Value::as_str) == Some("content-length-range") => {
                let (lo, hi) = (a.get(1).and_then(Value::as_u64).unwrap_or(0), a.get(2).and_then(Value::as_u64).unwrap_or(0));
                if size < lo || size > hi {
                    return Err(PolicyError::Size);
                }
                continue;
            }
            Value::Array(a) => {
                let field = a.get(1).and_then(Value::as_str).and_then(|f| f.strip_prefix('$')).ok_or(PolicyError::Signature)?.to_ascii_lowercase();
                let value = a.get(2).and_then(Value::as_str).ok_or(PolicyError::Signature)?;
                let ok = match a.first().and_then(Value::as_str) {
                    Some("starts-with") => value_of(&field).is_some_and(|v| v.starts_with(value)),
                    Some("eq") => value_of(&field).as_deref() == Some(value),
                    _ => false,
                };
                (field, ok)
            }
            _ => return Err(PolicyError::Signature),
        };
        if !ok {
            return Err(PolicyError::Condition(name));
        }
        named.push(name.to_ascii_lowercase());
    }
    // As S3: a field the policy does not name is refused (x-ignore-* aside).
    if let Some((k, _)) = fields.iter().find(|(k, _)| !named.contains(&k.to_ascii_lowercase()) && !k.to_ascii_lowercase().starts_with("x-ignore-")) {
        return Err(PolicyError::Condition(k.clone()));
    }
    let redirect = get("success_action_redirect").ok_or_else(|| PolicyError::Condition("success_action_redirect".into()))?;
    Ok((key, redirect.to_string()))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
