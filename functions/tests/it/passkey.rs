//! The passkey relying party (`ccg_functions::passkey`) against a software
//! authenticator that answers as a browser does: a registration and sign-ins
//! that work, and each way an answer can be wrong, refused with its error.

pub(crate) mod authenticator;

use authenticator::{Authenticator, How};
use ccg_functions::passkey::{CEREMONY_SECONDS, NewPasskey, PasskeyError, RelyingParty};
use ccg_functions::records::{Ceremony, CeremonyKind, Passkey};
use serde_json::Value;

const EMAIL: &str = "ada@example.org";

fn rp() -> RelyingParty {
    RelyingParty::new("example.org", vec!["https://example.org".into()]).expect("valid settings")
}

/// The library checks its own timeout against the system clock: the tests' "now" is the real one.
fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn record(new: &NewPasskey, email_key: &str) -> Passkey {
    Passkey {
        id: new.id.clone(),
        email_key: email_key.into(),
        user_handle: new.user_handle.clone(),
        credential: new.credential.clone(),
        created_at: now(),
        last_used_at: None,
        device: "Tests on Linux".into(),
    }
}

/// A registered passkey of `email_key`, and its authenticator.
fn registered(rp: &RelyingParty, seed: u8, email_key: &str) -> (Authenticator, Passkey) {
    let mut device = Authenticator::new(seed);
    let (ceremony, options, _) = rp.start_registration(email_key, "Ada", None, &[], now()).unwrap();
    let answer = device.create(&options, &How::default());
    let new = rp.finish_registration(&ceremony, answer.as_bytes(), now()).expect("registered");
    (device, record(&new, email_key))
}

/// A sign-in answer (`how`) to a new ceremony, verified against `passkey`.
fn sign_in(rp: &RelyingParty, device: &mut Authenticator, passkey: &Passkey, how: &How) -> Result<String, PasskeyError> {
    let (ceremony, options) = rp.start_authentication(None, now()).unwrap();
    let answer = device.get(&options, how);
    rp.finish_authentication(&ceremony, answer.as_bytes(), passkey, now())
}

#[test]
fn creation_options_ask_for_a_verified_discoverable_passkey() {
    let t = now();
    let (ceremony, options, handle) = rp().start_registration(EMAIL, "Ada Lovelace", None, &[], t).unwrap();
    assert_eq!(ceremony.kind, CeremonyKind::Register);
    assert_eq!(ceremony.email_key.as_deref(), Some(EMAIL));
    assert_eq!(ceremony.expires_at, t + CEREMONY_SECONDS);
    let o: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(o["challenge"], ceremony.id.as_str(), "the ceremony's id is its challenge");
    assert_eq!(o["rp"]["id"], "example.org");
    assert_eq!(o["user"]["id"], handle.as_str());
    assert_eq!(handle.len(), 86, "64 random bytes, base64url");
    assert_eq!(o["user"]["name"], EMAIL);
    assert_eq!(o["user"]["displayName"], "Ada Lovelace");
    assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(o["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(o["attestation"], "none");
    assert_eq!(o["timeout"], CEREMONY_SECONDS * 1000);
    let algs: Vec<i64> = o["pubKeyCredParams"].as_array().unwrap().iter().map(|p| p["alg"].as_i64().unwrap()).collect();
    for alg in [-8, -7, -257] {
        assert!(algs.contains(&alg), "algorithm {alg} offered: {algs:?}");
    }
    assert_eq!(o["excludeCredentials"], serde_json::json!([]));
    // Asked for, never enforced by the browser: Chromium refuses every
    // authenticator without credProtect when it is (seen with its virtual one).
    assert_eq!(o["extensions"]["credentialProtectionPolicy"], "userVerificationRequired");
    assert_eq!(o["extensions"]["enforceCredentialProtectionPolicy"], false);
}

#[test]
fn request_options_ask_for_any_verified_passkey_of_the_site() {
    let t = now();
    let (ceremony, options) = rp().start_authentication(None, t).unwrap();
    assert_eq!(ceremony.kind, CeremonyKind::Authenticate);
    assert_eq!(ceremony.email_key, None);
    assert_eq!(ceremony.expires_at, t + CEREMONY_SECONDS);
    let o: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(o["challenge"], ceremony.id.as_str());
    assert_eq!(o["rpId"], "example.org");
    assert_eq!(o["userVerification"], "required");
    assert_eq!(o["allowCredentials"], serde_json::json!([]), "discoverable: the device offers its passkeys");
    let (step_up, _) = rp().start_authentication(Some(EMAIL), t).unwrap();
    assert_eq!(step_up.email_key.as_deref(), Some(EMAIL));
    assert_ne!(step_up.id, ceremony.id, "a new challenge each time");
}

#[test]
fn a_registered_passkey_signs_in_and_its_counter_is_kept() {
    let rp = rp();
    let mut device = Authenticator::new(7);
    let (ceremony, options, handle) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let answer = device.create(&options, &How::default());
    assert_eq!(RelyingParty::challenge_of(answer.as_bytes()), Ok(ceremony.id.clone()));
    let new = rp.finish_registration(&ceremony, answer.as_bytes(), now()).expect("registered");
    assert_eq!(new.id, "BwcHBwcHBwcHBwcHBwcHBw", "the credential id, base64url");
    assert_eq!(new.user_handle, handle);
    let mut passkey = record(&new, EMAIL);

    let (ceremony, options) = rp.start_authentication(None, now()).unwrap();
    let answer = device.get(&options, &How::default());
    assert_eq!(RelyingParty::challenge_of(answer.as_bytes()), Ok(ceremony.id.clone()));
    assert_eq!(RelyingParty::credential_of(answer.as_bytes()), Ok((new.id.clone(), handle.clone())));
    let updated = rp.finish_authentication(&ceremony, answer.as_bytes(), &passkey, now()).expect("signed in");
    assert_ne!(updated, passkey.credential, "the counter moved");
    passkey.credential = updated;

    // The next sign-in counts on from the stored counter…
    let updated = sign_in(&rp, &mut device, &passkey, &How::default()).expect("signed in again");
    // …and an authenticator whose counter went back is a copy of the key.
    device.counter -= 1;
    let refused = sign_in(&rp, &mut device, &Passkey { credential: updated, ..passkey.clone() }, &How::default());
    assert!(matches!(refused, Err(PasskeyError::Rejected(_))), "{refused:?}");
}

#[test]
fn a_step_up_takes_only_the_signed_in_persons_passkey() {
    let rp = rp();
    let (mut device, passkey) = registered(&rp, 3, EMAIL);
    let (ceremony, options) = rp.start_authentication(Some(EMAIL), now()).unwrap();
    let answer = device.get(&options, &How::default());
    assert!(rp.finish_authentication(&ceremony, answer.as_bytes(), &passkey, now()).is_ok());
    let (ceremony, options) = rp.start_authentication(Some("grace@example.org"), now()).unwrap();
    let answer = device.get(&options, &How::default());
    assert_eq!(rp.finish_authentication(&ceremony, answer.as_bytes(), &passkey, now()), Err(PasskeyError::Mismatch("person")));
}

#[test]
fn a_second_passkey_keeps_the_persons_handle_and_excludes_the_first() {
    let rp = rp();
    let (_, first) = registered(&rp, 1, EMAIL);
    let (ceremony, options, handle) = rp.start_registration(EMAIL, "Ada", Some(&first.user_handle), std::slice::from_ref(&first), now()).unwrap();
    assert_eq!(handle, first.user_handle);
    let o: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(o["user"]["id"], first.user_handle.as_str());
    let excluded = &o["excludeCredentials"];
    assert_eq!(excluded.as_array().map(Vec::len), Some(1), "{excluded}");
    assert_eq!(excluded[0]["id"], first.id.as_str());
    assert_eq!(excluded[0]["transports"], serde_json::json!(["hybrid", "internal"]), "the transports the first one gave");
    let new = rp.finish_registration(&ceremony, Authenticator::new(2).create(&options, &How::default()).as_bytes(), now()).unwrap();
    assert_eq!(new.user_handle, first.user_handle);
    assert_ne!(new.id, first.id);
}

#[test]
fn an_answer_from_another_origin_is_refused() {
    let rp = rp();
    let evil = How { origin: "https://example.org.evil.test".into(), ..How::default() };
    let (ceremony, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let answer = Authenticator::new(1).create(&options, &evil);
    assert_eq!(rp.finish_registration(&ceremony, answer.as_bytes(), now()), Err(PasskeyError::Mismatch("origin")));
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    assert_eq!(sign_in(&rp, &mut device, &passkey, &evil), Err(PasskeyError::Mismatch("origin")));
    let http = How { origin: "http://example.org".into(), ..How::default() };
    assert_eq!(sign_in(&rp, &mut device, &passkey, &http), Err(PasskeyError::Mismatch("origin")));
}

#[test]
fn an_answer_for_another_site_is_refused() {
    let rp = rp();
    let other = How { rp_id: Some("evil.test".into()), ..How::default() };
    let (ceremony, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let answer = Authenticator::new(1).create(&options, &other);
    assert_eq!(rp.finish_registration(&ceremony, answer.as_bytes(), now()), Err(PasskeyError::Mismatch("site")));
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    assert_eq!(sign_in(&rp, &mut device, &passkey, &other), Err(PasskeyError::Mismatch("site")));
}

#[test]
fn an_answer_to_another_challenge_is_refused() {
    let rp = rp();
    // Registration: an answer to the first options, given with the second ceremony.
    let (first, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let (second, _, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let answer = Authenticator::new(1).create(&options, &How::default());
    assert_eq!(RelyingParty::challenge_of(answer.as_bytes()), Ok(first.id.clone()), "the store would take the first");
    assert_eq!(rp.finish_registration(&second, answer.as_bytes(), now()), Err(PasskeyError::Mismatch("challenge")));
    // Sign-in: an answer replayed against a later ceremony (the first one was taken).
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    let (used, options) = rp.start_authentication(None, now()).unwrap();
    let answer = device.get(&options, &How::default());
    assert!(rp.finish_authentication(&used, answer.as_bytes(), &passkey, now()).is_ok());
    let (later, _) = rp.start_authentication(None, now()).unwrap();
    assert_eq!(rp.finish_authentication(&later, answer.as_bytes(), &passkey, now()), Err(PasskeyError::Mismatch("challenge")));
    // A challenge the server never made.
    let made_up = How { challenge: Some("AAAAAAAAAAAAAAAAAAAAAA".into()), ..How::default() };
    assert_eq!(sign_in(&rp, &mut device, &passkey, &made_up), Err(PasskeyError::Mismatch("challenge")));
}

#[test]
fn a_tampered_signature_is_refused() {
    let rp = rp();
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    let refused = sign_in(&rp, &mut device, &passkey, &How { tamper: true, ..How::default() });
    assert!(matches!(&refused, Err(PasskeyError::Rejected(m)) if m.contains("signature")), "{refused:?}");
    // Another key under the same credential id and handle.
    let (_, other) = registered(&rp, 2, EMAIL);
    let forged = Passkey { id: passkey.id.clone(), user_handle: passkey.user_handle.clone(), ..other };
    let refused = sign_in(&rp, &mut device, &forged, &How::default());
    assert!(matches!(&refused, Err(PasskeyError::Rejected(m)) if m.contains("signature")), "{refused:?}");
}

#[test]
fn a_user_handle_or_credential_not_the_passkeys_is_refused() {
    let rp = rp();
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    let stranger = How { user_handle: Some(vec![9; 64]), ..How::default() };
    assert_eq!(sign_in(&rp, &mut device, &passkey, &stranger), Err(PasskeyError::Mismatch("user handle")));
    // The stored passkey the caller found is not the one that answered.
    let (_, other) = registered(&rp, 2, EMAIL);
    let wrong = Passkey { user_handle: passkey.user_handle.clone(), ..other };
    assert_eq!(sign_in(&rp, &mut device, &wrong, &How::default()), Err(PasskeyError::Mismatch("credential")));
}

#[test]
fn an_answer_without_user_verification_is_refused() {
    let rp = rp();
    let unverified = How { uv: false, ..How::default() };
    let (ceremony, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let answer = Authenticator::new(1).create(&options, &unverified);
    assert_eq!(rp.finish_registration(&ceremony, answer.as_bytes(), now()), Err(PasskeyError::NotVerified));
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    assert_eq!(sign_in(&rp, &mut device, &passkey, &unverified), Err(PasskeyError::NotVerified));
}

#[test]
fn an_expired_or_misused_ceremony_is_refused() {
    let rp = rp();
    let (ceremony, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let answer = Authenticator::new(1).create(&options, &How::default());
    let late = ceremony.expires_at + 1;
    assert_eq!(rp.finish_registration(&ceremony, answer.as_bytes(), late), Err(PasskeyError::Expired));
    let as_sign_in = Ceremony { kind: CeremonyKind::Authenticate, ..ceremony.clone() };
    assert_eq!(rp.finish_registration(&as_sign_in, answer.as_bytes(), now()), Err(PasskeyError::Mismatch("kind of ceremony")));
    // A state that is not the one the id names.
    let (other, _, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let swapped = Ceremony { state: other.state, ..ceremony.clone() };
    assert_eq!(rp.finish_registration(&swapped, answer.as_bytes(), now()), Err(PasskeyError::Corrupt("ceremony")));
    let garbled = Ceremony { state: "AAAA".into(), ..ceremony };
    assert_eq!(rp.finish_registration(&garbled, answer.as_bytes(), now()), Err(PasskeyError::Corrupt("ceremony")));

    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    let (ceremony, options) = rp.start_authentication(None, now()).unwrap();
    let answer = device.get(&options, &How::default());
    assert_eq!(rp.finish_authentication(&ceremony, answer.as_bytes(), &passkey, ceremony.expires_at + 1), Err(PasskeyError::Expired));
    let corrupt = Passkey { credential: "AQ".into(), ..passkey };
    assert_eq!(rp.finish_authentication(&ceremony, answer.as_bytes(), &corrupt, now()), Err(PasskeyError::Corrupt("passkey credential")));
}

#[test]
fn answers_that_are_not_webauthn_are_malformed() {
    for junk in [&b""[..], b"{}", b"null", b"[1,2]", b"{\"response\":{}}", b"\xff\xfe"] {
        assert_eq!(RelyingParty::challenge_of(junk), Err(PasskeyError::Malformed));
        assert_eq!(RelyingParty::credential_of(junk), Err(PasskeyError::Malformed));
    }
    let rp = rp();
    let (ceremony, _, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    assert_eq!(rp.finish_registration(&ceremony, b"{}", now()), Err(PasskeyError::Malformed));
    // A registration answer is not a sign-in answer.
    let (mut device, passkey) = registered(&rp, 1, EMAIL);
    let (_, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let registration = device.create(&options, &How::default());
    assert_eq!(RelyingParty::credential_of(registration.as_bytes()), Err(PasskeyError::Malformed));
    let (ceremony, _) = rp.start_authentication(None, now()).unwrap();
    assert_eq!(rp.finish_authentication(&ceremony, registration.as_bytes(), &passkey, now()), Err(PasskeyError::Malformed));
}

#[test]
fn the_preview_signs_in_on_localhost() {
    let rp = RelyingParty::new("localhost", vec!["http://localhost:8080".into()]).unwrap();
    let here = How { origin: "http://localhost:8080".into(), ..How::default() };
    let mut device = Authenticator::new(5);
    let (ceremony, options, _) = rp.start_registration(EMAIL, "Ada", None, &[], now()).unwrap();
    let new = rp.finish_registration(&ceremony, device.create(&options, &here).as_bytes(), now()).unwrap();
    assert!(sign_in(&rp, &mut device, &record(&new, EMAIL), &here).is_ok());
    let other_port = How { origin: "http://localhost:8081".into(), ..How::default() };
    assert_eq!(sign_in(&rp, &mut device, &record(&new, EMAIL), &other_port), Err(PasskeyError::Mismatch("origin")));
}

#[test]
fn settings_that_cannot_work_are_refused() {
    assert!(RelyingParty::new("example.org", vec!["https://www.example.org".into(), "https://example.org".into()]).is_ok());
    for (rp_id, origin) in [("example.org", "https://evil.test"), ("example.org", "https://notexample.org"), ("", "https://example.org")] {
        assert!(matches!(RelyingParty::new(rp_id, vec![origin.into()]), Err(PasskeyError::Config(_))), "{rp_id} {origin}");
    }
    assert!(matches!(RelyingParty::new("example.org", vec![]), Err(PasskeyError::Config(_))));
}

/// Writes the fuzz target's seeds (fuzz/corpus/passkey_answer/): a
/// registration and a sign-in answer of the passkey the target keeps
/// (`ccg_fuzz::passkey_answer`), and prints that passkey. Run when the
/// answers' shape changes: `cargo test -p ccg-functions --test it passkey::fuzz_seeds -- --ignored --nocapture`.
#[test]
#[ignore]
fn fuzz_seeds() {
    use base64::Engine as _;
    let rp = rp();
    let handle = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0x11; 64]);
    let mut device = Authenticator::new(9);
    let (ceremony, options, _) = rp.start_registration(EMAIL, "Ada", Some(&handle), &[], now()).unwrap();
    let registration = device.create(&options, &How::default());
    let new = rp.finish_registration(&ceremony, registration.as_bytes(), now()).unwrap();
    let (ceremony, options) = rp.start_authentication(None, now()).unwrap();
    let authentication = device.get(&options, &How::default());
    rp.finish_authentication(&ceremony, authentication.as_bytes(), &record(&new, EMAIL), now()).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/passkey_answer");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("registration.json"), &registration).unwrap();
    std::fs::write(dir.join("authentication.json"), &authentication).unwrap();
    println!("{new:#?}");
}
