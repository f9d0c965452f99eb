//! Random ids and the secrets of emailed links. A link carries
//! `<pending id>.<secret>`; the store keeps only the SHA-256 of the secret,
//! so a copy of the table cannot confirm anything.

use sha2::{Digest, Sha256};

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Without the OS's randomness no link can be safe: better to stop than to guess.
    getrandom::fill(&mut b).expect("the operating system gave no random bytes");
    b
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `prefix_` + 32 random hex digits: ids that reveal nothing and never collide in practice.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", hex(&random_bytes::<16>()))
}

/// The pending id of a submission sent with an Idempotency-Key: derived from
/// the endpoint, the key and the request, so every attempt of one request
/// stores under one id (at most one record, whatever crashed when). No secret:
/// a link works only with a secret whose hash the store kept.
pub fn keyed_id(endpoint: &str, key: &str, request_hash: &str) -> String {
    let digest = Sha256::digest(format!("ccg-idem\0{endpoint}\0{key}\0{request_hash}").as_bytes());
    format!("pnd_{}", &hex(&digest)[..32])
}

/// A new link secret: 32 random bytes, base64url without padding (43 characters).
pub fn new_secret() -> String {
    base64url(&random_bytes::<32>())
}

/// What the store keeps of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The token in a link: `<id>.<secret>`.
pub fn token(id: &str, secret: &str) -> String {
    format!("{id}.{secret}")
}

/// Splits a token from a link into (pending id, secret hash); `None` when it cannot be one of ours.
pub fn parse_token(token: &str) -> Option<(String, String)> {
    let (id, secret) = token.trim().split_once('.')?;
    let id_ok = id.len() == 36 && id.starts_with("pnd_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let secret_ok = secret.len() == 43 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then(|| (id.to_string(), hash_secret(secret)))
}

/// The id in a contact's leave links: `lv_` + 32 hex digits of the SHA-256
/// of the address. Derived rather than stored so that every store finds a
/// person's leave item from the address alone (the claim confirmation and the
/// erasure know no more); it is no secret: the link works only with a secret
/// whose hash the store kept.
pub fn leave_id(email_key: &str) -> String {
    let digest = Sha256::digest(format!("ccg-leave\0{email_key}").as_bytes());
    format!("lv_{}", &hex(&digest)[..32])
}

/// Splits a leave link's token into (leave id, secret hash); `None` when it cannot be one of ours.
pub fn parse_leave_token(token: &str) -> Option<(String, String)> {
    let (id, secret) = token.trim().split_once('.')?;
    let id_ok = id.len() == 35 && id.starts_with("lv_") && id[3..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let secret_ok = secret.len() == 43 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && secret_ok).then(|| (id.to_string(), hash_secret(secret)))
}

fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_anything_else() {
        let id = new_id("pnd");
        let secret = new_secret();
        assert_eq!(secret.len(), 43);
        let t = token(&id, &secret);
        assert_eq!(parse_token(&t), Some((id.clone(), hash_secret(&secret))));
        assert_ne!(new_secret(), secret);
        for bad in ["", ".", "pnd_x.y", &format!("{id}."), &format!("{id}.{}", &secret[1..]), &format!("{}.{secret}", id.to_uppercase())] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn leave_tokens_round_trip() {
        let id = leave_id("ana@x.eu");
        assert_eq!(id, leave_id("ana@x.eu"));
        assert_ne!(id, leave_id("bob@x.eu"));
        let secret = new_secret();
        assert_eq!(parse_leave_token(&token(&id, &secret)), Some((id.clone(), hash_secret(&secret))));
        assert_eq!(parse_leave_token(&token(&new_id("pnd"), &secret)), None, "a confirmation link is no leave link");
        assert_eq!(parse_token(&token(&id, &secret)), None, "and the other way round");
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
