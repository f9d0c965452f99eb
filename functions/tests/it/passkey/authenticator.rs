//! A software authenticator and browser, for the tests only: it reads the
//! options JSON the server sends and answers with the JSON a browser's
//! `PublicKeyCredential.toJSON()` gives, signed with a P-256 key (ES256),
//! attestation "none". Every part a test may spoil is a field of [`How`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// Authenticator data flags.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// How the browser and the authenticator answer; the default is a good answer.
#[derive(Debug, Clone)]
pub struct How {
    pub origin: String,
    /// The RP ID whose hash the authenticator signs; `None`: the options' own.
    pub rp_id: Option<String>,
    /// The challenge written into clientDataJSON; `None`: the options' own.
    pub challenge: Option<String>,
    /// Whether the user was verified (PIN, biometrics).
    pub uv: bool,
    /// The user handle an assertion returns; `None`: the one registered.
    pub user_handle: Option<Vec<u8>>,
    /// Spoils the assertion's signature (a bit of its last byte).
    pub tamper: bool,
}

impl Default for How {
    fn default() -> How {
        How { origin: "https://example.org".into(), rp_id: None, challenge: None, uv: true, user_handle: None, tamper: false }
    }
}

/// One discoverable credential.
pub struct Authenticator {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub counter: u32,
}

impl Authenticator {
    /// A credential whose key and id follow from `seed` (tests are repeatable).
    pub fn new(seed: u8) -> Authenticator {
        let secret = [seed.max(1); 32];
        let key = SigningKey::from_bytes(&secret.into()).expect("a valid P-256 scalar");
        Authenticator { key, credential_id: vec![seed; 16], user_handle: Vec::new(), counter: 0 }
    }

    /// `navigator.credentials.create({publicKey: parseCreationOptionsFromJSON(options)})`, then `toJSON()`.
    pub fn create(&mut self, options_json: &str, how: &How) -> String {
        let options: Value = serde_json::from_str(options_json).expect("options are JSON");
        let rp_id = how.rp_id.clone().unwrap_or_else(|| options["rp"]["id"].as_str().expect("rp.id").to_owned());
        let challenge = how.challenge.clone().unwrap_or_else(|| options["challenge"].as_str().expect("challenge").to_owned());
        self.user_handle = B64.decode(options["user"]["id"].as_str().expect("user.id")).expect("user.id is base64url");
        let client_data = client_data("webauthn.create", &challenge, &how.origin);

        let point = self.key.verifying_key().to_encoded_point(false);
        let (x, y) = (point.x().expect("x"), point.y().expect("y"));
        // COSE_Key, EC2 on P-256, ES256; CTAP2 canonical CBOR (keys 1, 3, -1, -2, -3).
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut cose, x);
        cose.push(0x22);
        cbor_bytes(&mut cose, y);

        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(UP | AT | if how.uv { UV } else { 0 });
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]); // AAGUID: none given with attestation "none"
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&cose);

        // {"fmt": "none", "attStmt": {}, "authData": …}, canonical order.
        let mut att = vec![0xa3];
        cbor_text(&mut att, "fmt");
        cbor_text(&mut att, "none");
        cbor_text(&mut att, "attStmt");
        att.push(0xa0);
        cbor_text(&mut att, "authData");
        cbor_bytes(&mut att, &auth_data);

        // SubjectPublicKeyInfo of an uncompressed P-256 key, as toJSON()'s getPublicKey() gives.
        let mut spki = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
        spki.extend_from_slice(point.as_bytes());
        let id = B64.encode(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": B64.encode(client_data),
                "attestationObject": B64.encode(att),
                "authenticatorData": B64.encode(&auth_data),
                "publicKey": B64.encode(spki),
                "publicKeyAlgorithm": -7,
                "transports": ["hybrid", "internal"],
            },
        })
        .to_string()
    }

    /// `navigator.credentials.get({publicKey: parseRequestOptionsFromJSON(options)})`, then `toJSON()`.
    /// Each call counts one more signature.
    pub fn get(&mut self, options_json: &str, how: &How) -> String {
        let options: Value = serde_json::from_str(options_json).expect("options are JSON");
        let rp_id = how.rp_id.clone().unwrap_or_else(|| options["rpId"].as_str().expect("rpId").to_owned());
        let challenge = how.challenge.clone().unwrap_or_else(|| options["challenge"].as_str().expect("challenge").to_owned());
        let client_data = client_data("webauthn.get", &challenge, &how.origin);
        self.counter += 1;
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(UP | if how.uv { UV } else { 0 });
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature: Signature = self.key.sign(&signed);
        let mut der = signature.to_der().as_bytes().to_vec();
        if how.tamper {
            *der.last_mut().expect("a signature") ^= 0x01;
        }
        let id = B64.encode(&self.credential_id);
        let user_handle = how.user_handle.as_ref().unwrap_or(&self.user_handle);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": B64.encode(client_data),
                "authenticatorData": B64.encode(auth_data),
                "signature": B64.encode(der),
                "userHandle": B64.encode(user_handle),
            },
        })
        .to_string()
    }
}

/// clientDataJSON as a browser serialises it (the spec's order of members).
fn client_data(kind: &str, challenge: &str, origin: &str) -> String {
    format!(r#"{{"type":"{kind}","challenge":"{challenge}","origin":"{origin}","crossOrigin":false}}"#)
}

fn cbor_header(out: &mut Vec<u8>, major: u8, len: usize) {
    let m = major << 5;
    match len {
        0..=23 => out.push(m | len as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, len as u8]),
        _ => {
            out.push(m | 25);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    cbor_header(out, 2, b.len());
    out.extend_from_slice(b);
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    cbor_header(out, 3, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}
