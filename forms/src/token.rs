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

/// Whether `s` has the shape of a secret `new_secret` makes (a cookie's
/// value is checked before anything is looked up by it).
pub fn is_secret(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
    parse_prefixed(token, "pnd_")
}

/// Splits a sign-in link's token into (link id, secret hash); `None` when it cannot be one of ours.
pub fn parse_sign_in_token(token: &str) -> Option<(String, String)> {
    parse_prefixed(token, "sgn_")
}

/// Splits an invitation's answer or unsubscribe link token into (link id, secret hash).
pub fn parse_invitation_token(token: &str) -> Option<(String, String)> {
    parse_prefixed(token, "inv_")
}

/// `<prefix><32 lowercase hex>.<secret>` into (id, secret hash).
fn parse_prefixed(token: &str, prefix: &str) -> Option<(String, String)> {
    let (id, secret) = token.trim().split_once('.')?;
    let hex_part = id.strip_prefix(prefix)?;
    let id_ok = hex_part.len() == 32 && hex_part.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
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

/// The server secret behind `contribution_key` (the setting `CCG_PERSON_KEY`;
/// the preview keeps one in its data folder). Its bytes never reach a log.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonKey(Vec<u8>);

impl std::fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonKey(..)")
    }
}

/// The name of the setting that holds the person key.
pub const PERSON_KEY_VAR: &str = "CCG_PERSON_KEY";

impl PersonKey {
    /// The key as the setting gives it (surrounding blanks ignored): at least
    /// 32 characters, so that the hashes cannot be recomputed from a list of addresses.
    pub fn from_setting(text: &str) -> Result<PersonKey, String> {
        let text = text.trim();
        if text.len() < 32 {
            return Err(format!("{PERSON_KEY_VAR} must be at least 32 characters long (it has {})", text.len()));
        }
        Ok(PersonKey(text.as_bytes().to_vec()))
    }

    /// A new key, as the text a setting or the preview's key file holds: 64 random hex digits.
    pub fn new_setting() -> String {
        hex(&random_bytes::<32>())
    }

    /// What the one-contribution rule keeps of a person and a meeting: the
    /// HMAC-SHA256 of the normalised address (the email key) with the meeting
    /// id, in hex. It stays with a claim kept after its claimant left, so the
    /// rule holds when they come back, yet without the key it says nothing
    /// about who claimed.
    pub fn contribution_key(&self, email_key: &str, event_id: &str) -> String {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"ccg-contribution\0");
        mac.update(email_key.trim().to_lowercase().as_bytes());
        mac.update(b"\0");
        mac.update(event_id.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

impl PersonKey {
    /// What the store keeps a suppressed address under (`decide::suppression`):
    /// the HMAC-SHA256 of the normalised address, in hex. Without the key it
    /// says nothing of whose address bounced or complained.
    pub fn suppression_key(&self, email_key: &str) -> String {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"ccg-suppression\0");
        mac.update(email_key.trim().to_lowercase().as_bytes());
        hex(&mac.finalize().into_bytes())
    }
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
    fn suppression_keys_are_keyed_and_apart_from_contribution_keys() {
        let key = PersonKey::from_setting(&PersonKey::new_setting()).unwrap();
        let ana = key.suppression_key("ana@x.eu");
        assert_eq!((ana.len(), ana.clone()), (64, key.suppression_key(" Ana@X.eu ")));
        assert_ne!(ana, key.suppression_key("bob@x.eu"));
        assert_ne!(ana, key.contribution_key("ana@x.eu", ""), "its own domain of hashes");
        let other = PersonKey::from_setting(&PersonKey::new_setting()).unwrap();
        assert_ne!(ana, other.suppression_key("ana@x.eu"), "another key, another hash");
    }

    #[test]
    fn contribution_keys_are_keyed_per_person_and_meeting() {
        let key = PersonKey::from_setting(&PersonKey::new_setting()).unwrap();
        let ana = key.contribution_key("ana@x.eu", "e1");
        assert_eq!(ana.len(), 64);
        assert_eq!(ana, key.contribution_key(" Ana@X.eu", "e1"), "the normalised address");
        assert_ne!(ana, key.contribution_key("ana@x.eu", "e2"));
        assert_ne!(ana, key.contribution_key("bob@x.eu", "e1"));
        // The separator keeps address and meeting apart.
        assert_ne!(key.contribution_key("a", "be"), key.contribution_key("ab", "e"));
        let other = PersonKey::from_setting(&PersonKey::new_setting()).unwrap();
        assert_ne!(ana, other.contribution_key("ana@x.eu", "e1"), "another key, another hash");
        assert!(!ana.contains("ana"));
        // RFC 4231 test case 2 ("Jefe"), through the same HMAC: the construction is HMAC-SHA256.
        let mut mac = <hmac::Hmac<Sha256> as hmac::KeyInit>::new_from_slice(b"Jefe").unwrap();
        hmac::Mac::update(&mut mac, b"what do ya want for nothing?");
        assert_eq!(hex(&hmac::Mac::finalize(mac).into_bytes()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(PersonKey::from_setting("short").is_err());
        assert_eq!(format!("{key:?}"), "PersonKey(..)");
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
