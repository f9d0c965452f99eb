//! Passkeys: the WebAuthn relying party, pure (no I/O), over `webauthn_rp`.
//! The rest of the code never sees the library's types: it keeps
//! [`Ceremony`] records between a ceremony's options and its answer (on
//! Lambda two requests, two processes, so the library's server state is
//! encoded into the record) and [`Passkey`] records, whose `credential` is
//! this module's encoding of the library's credential.
//!
//! Both ceremonies ask for passkeys as the library defines them:
//! discoverable credentials (no address to type), user verification
//! required (the device's PIN, fingerprint or face: a passkey alone is then
//! two factors), algorithms EdDSA, ES256, ES384 and RS256, attestation
//! "none" (the site does not care which maker's device it is).
//!
//! What the library checks on an answer (`verify`): the clientDataJSON's
//! type, challenge (the ceremony's), origin (one of ours, not cross-origin,
//! no top origin), the authenticator data's RP ID hash, the flags (user
//! present, user verified, backup flags consistent), the attested key's
//! algorithm (one offered) and COSE form, the extensions against those asked
//! for (credProtect, asked for but not enforced: see `start_registration`), the assertion's signature
//! over authenticatorData and the clientDataJSON's hash, the signature
//! counter (a counter that does not grow, once above 0, is a cloned key:
//! refused), the user handle and credential id against the stored passkey,
//! and the ceremony's timeout against the system clock (`SystemTime`, the
//! price of a serialisable state). This module checks besides: the
//! ceremony's kind, its expiry at `now_secs` (the caller's clock, which the
//! stores' TTLs use too), that its state is the one its id names, and for a
//! step up that the passkey is the signed-in person's.

use crate::records::{Ceremony, CeremonyKind, Passkey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use webauthn_rp::bin::{Decode, Encode};
use webauthn_rp::request::auth::AuthenticationVerificationOptions;
use webauthn_rp::request::register::{
    CredProtect, Nickname, PublicKeyCredentialUserEntity, RegistrationVerificationOptions, USER_HANDLE_MAX_LEN, UserHandle64, Username,
};
use webauthn_rp::request::{AsciiDomain, DomainOrigin, ExtensionInfo, PublicKeyCredentialDescriptor, RpId, TimedCeremony};
use webauthn_rp::response::auth::error::AuthCeremonyErr;
use webauthn_rp::response::register::error::RegCeremonyErr;
use webauthn_rp::response::register::{CompressedPubKey, DynamicState, StaticState};
use webauthn_rp::response::{AuthTransports, CredentialId, SentChallenge};
use webauthn_rp::{
    AuthenticatedCredential, DiscoverableAuthentication64, DiscoverableAuthenticationServerState, DiscoverableCredentialRequestOptions,
    PublicKeyCredentialCreationOptions, Registration, RegistrationServerState,
};

/// How long a ceremony lasts, in seconds: the library's passkey timeout (five
/// minutes), which its options tell the browser and its state enforces.
pub const CEREMONY_SECONDS: i64 = 300;

/// The first byte of [`Passkey::credential`]'s encoding, so that a later
/// layout can tell the stored ones apart.
const CREDENTIAL_FORMAT: u8 = 1;

/// The stored key, as the library decodes it: Ed25519, P-256, P-384, RSA.
type StoredKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PasskeyError {
    /// The relying party's own settings (RP ID, origins) do not parse: a deployment mistake.
    #[error("passkey settings: {0}")]
    Config(String),
    /// The browser's answer is not a WebAuthn answer of the expected shape.
    #[error("the passkey answer is not well-formed")]
    Malformed,
    /// The ceremony's time is over.
    #[error("the passkey ceremony has expired")]
    Expired,
    /// The answer was made for something else: another challenge, origin, site,
    /// person, credential or kind of ceremony.
    #[error("the passkey answer does not match its {0}")]
    Mismatch(&'static str),
    /// The authenticator did not verify the user (no PIN, fingerprint or face).
    #[error("the authenticator did not verify the user")]
    NotVerified,
    /// The library refused the answer otherwise (a bad signature, a cloned
    /// key's counter, an algorithm not offered…): its message, which names no person.
    #[error("the passkey answer was refused: {0}")]
    Rejected(String),
    /// A stored ceremony or passkey does not decode: a corrupt record.
    #[error("a stored {0} does not decode")]
    Corrupt(&'static str),
}

/// A passkey just registered: what the store keeps (with the person's key,
/// the time and the device, which the caller knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPasskey {
    /// The credential id, base64url: [`Passkey::id`].
    pub id: String,
    /// The person's user handle the passkey holds, base64url: [`Passkey::user_handle`].
    pub user_handle: String,
    /// [`Passkey::credential`].
    pub credential: String,
}

/// The relying party: the site's RP ID and the origins its pages are served from.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    rp_id: RpId,
    origins: Vec<String>,
}

impl RelyingParty {
    /// `rp_id`: the site's host ("localhost" in the preview); `origins`: where
    /// its pages are ("https://host", "http://localhost:PORT"), each on the RP
    /// ID or a subdomain of it (a browser refuses any other).
    pub fn new(rp_id: &str, origins: Vec<String>) -> Result<RelyingParty, PasskeyError> {
        let domain = AsciiDomain::try_from(rp_id.to_owned()).map_err(|e| PasskeyError::Config(format!("RP ID {rp_id:?}: {e}")))?;
        if origins.is_empty() {
            return Err(PasskeyError::Config("no origin".into()));
        }
        for o in &origins {
            let parsed = DomainOrigin::try_from(o.as_str()).map_err(|e| PasskeyError::Config(format!("origin {o:?}: {e}")))?;
            let host = parsed.host;
            if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                return Err(PasskeyError::Config(format!("origin {o:?} is not on {rp_id}")));
            }
        }
        Ok(RelyingParty { rp_id: RpId::Domain(domain), origins })
    }

    /// Options for adding a passkey to a signed-in person: the ceremony to
    /// keep (id = the challenge), the JSON for `navigator.credentials.create`
    /// (PublicKeyCredentialCreationOptionsJSON) and the user handle: the one
    /// given (the person's other passkeys'), or a new random one for a first
    /// passkey. `existing` (the person's passkeys) are excluded, so that a
    /// device holding one already says so rather than replace it.
    pub fn start_registration(
        &self,
        email_key: &str,
        display_name: &str,
        user_handle: Option<&str>,
        existing: &[Passkey],
        now_secs: i64,
    ) -> Result<(Ceremony, String, String), PasskeyError> {
        let handle = match user_handle {
            Some(h) => decode_handle(h).ok_or(PasskeyError::Corrupt("user handle"))?,
            None => UserHandle64::new(),
        };
        let mut exclude = Vec::with_capacity(existing.len());
        for p in existing {
            let id = decode_id(&p.id).ok_or(PasskeyError::Corrupt("passkey id"))?;
            let transports = StoredCredential::parse(&p.credential)?.transports;
            exclude.push(PublicKeyCredentialDescriptor { id, transports });
        }
        let user = PublicKeyCredentialUserEntity {
            // What the device's list of passkeys shows: the address.
            name: Username::try_from(email_key).map_err(|e| PasskeyError::Rejected(format!("user name: {e}")))?,
            id: &handle,
            display_name: Nickname::try_from(display_name).ok(),
        };
        let mut options = PublicKeyCredentialCreationOptions::passkey(&self.rp_id, user, exclude);
        // The library's passkey options ask for credProtect "user verification
        // required" and have the browser enforce it, and a browser then refuses
        // every authenticator without the extension (Chromium does: NotAllowedError).
        // Asked for, not enforced: devices that have it keep the passkey
        // unusable without verification; every ceremony requires it anyway.
        options.extensions.cred_protect = CredProtect::UserVerificationRequired(ExtensionInfo::AllowDontEnforceValue);
        let (server, client) = options.start_ceremony().map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let json = serde_json::to_string(&client).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let state = server.encode().map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let ceremony = Ceremony {
            id: challenge_id(server.sent_challenge()),
            kind: CeremonyKind::Register,
            email_key: Some(email_key.to_owned()),
            state: B64.encode(state),
            expires_at: now_secs + CEREMONY_SECONDS,
        };
        Ok((ceremony, json, B64.encode(handle.as_ref())))
    }

    /// The challenge an answer (registration or authentication, as the
    /// browser sends it) was made for: the id of the ceremony to take.
    pub fn challenge_of(answer_json: &[u8]) -> Result<String, PasskeyError> {
        let challenge = match DiscoverableAuthentication64::from_json_relaxed(answer_json) {
            Ok(a) => a.challenge_relaxed(),
            Err(_) => Registration::from_json_relaxed(answer_json).map_err(|_| PasskeyError::Malformed)?.challenge_relaxed(),
        };
        challenge.map(challenge_id).map_err(|_| PasskeyError::Malformed)
    }

    /// Verifies a registration answer against its ceremony: the new passkey.
    /// The caller must still refuse an id already stored (the store's
    /// conditional write does).
    pub fn finish_registration(&self, ceremony: &Ceremony, answer_json: &[u8], now_secs: i64) -> Result<NewPasskey, PasskeyError> {
        check_ceremony(ceremony, CeremonyKind::Register, now_secs)?;
        let state = B64.decode(&ceremony.state).map_err(|_| PasskeyError::Corrupt("ceremony"))?;
        let server = RegistrationServerState::<USER_HANDLE_MAX_LEN>::decode(state.as_slice()).map_err(|_| PasskeyError::Corrupt("ceremony"))?;
        if challenge_id(server.sent_challenge()) != ceremony.id {
            return Err(PasskeyError::Corrupt("ceremony"));
        }
        let answer = Registration::from_json_relaxed(answer_json).map_err(|_| PasskeyError::Malformed)?;
        let origins = self.allowed_origins();
        let options = RegistrationVerificationOptions::<DomainOrigin<'_, '_>, DomainOrigin<'_, '_>> {
            allowed_origins: &origins,
            // Browsers, password managers and security keys add extension
            // outputs nobody asked for (credProps above all): ignored, not refused.
            error_on_unsolicited_extensions: false,
            ..RegistrationVerificationOptions::default()
        };
        let cred = server.verify(&self.rp_id, &answer, &options).map_err(registration_error)?;
        let (id, transports, user, static_state, dynamic_state, _) = cred.into_parts();
        let stored = StoredCredential {
            transports,
            dynamic: dynamic_state.encode().unwrap_or_else(|e| match e {}),
            static_state: static_state.encode().unwrap_or_else(|e| match e {}),
        };
        Ok(NewPasskey { id: B64.encode(id.as_ref()), user_handle: B64.encode(user.as_ref()), credential: stored.to_text() })
    }

    /// Options for signing in with any passkey of this site (discoverable,
    /// user verification required): the ceremony (its `email_key` as given:
    /// `None` to sign in, the signed-in person's for a step up) and the JSON
    /// for `navigator.credentials.get` (PublicKeyCredentialRequestOptionsJSON).
    pub fn start_authentication(&self, email_key: Option<&str>, now_secs: i64) -> Result<(Ceremony, String), PasskeyError> {
        let (server, client) =
            DiscoverableCredentialRequestOptions::passkey(&self.rp_id).start_ceremony().map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let json = serde_json::to_string(&client).map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let state = server.encode().map_err(|e| PasskeyError::Rejected(e.to_string()))?;
        let ceremony = Ceremony {
            id: challenge_id(server.sent_challenge()),
            kind: CeremonyKind::Authenticate,
            email_key: email_key.map(str::to_owned),
            state: B64.encode(state),
            expires_at: now_secs + CEREMONY_SECONDS,
        };
        Ok((ceremony, json))
    }

    /// Which stored passkey an authentication answer names: (credential id,
    /// user handle), both base64url.
    pub fn credential_of(answer_json: &[u8]) -> Result<(String, String), PasskeyError> {
        let answer = DiscoverableAuthentication64::from_json_relaxed(answer_json).map_err(|_| PasskeyError::Malformed)?;
        Ok((B64.encode(answer.raw_id().as_ref()), B64.encode(answer.response().user_handle().as_ref())))
    }

    /// Verifies an authentication answer against its ceremony and the stored
    /// passkey it names (whose user handle must be the answer's; for a step
    /// up, whose person must be the ceremony's): the passkey's updated
    /// [`Passkey::credential`] (its signature counter, backup state) to store.
    pub fn finish_authentication(&self, ceremony: &Ceremony, answer_json: &[u8], passkey: &Passkey, now_secs: i64) -> Result<String, PasskeyError> {
        check_ceremony(ceremony, CeremonyKind::Authenticate, now_secs)?;
        if ceremony.email_key.as_ref().is_some_and(|k| *k != passkey.email_key) {
            return Err(PasskeyError::Mismatch("person"));
        }
        let state = B64.decode(&ceremony.state).map_err(|_| PasskeyError::Corrupt("ceremony"))?;
        let server = DiscoverableAuthenticationServerState::decode(state.as_slice()).map_err(|_| PasskeyError::Corrupt("ceremony"))?;
        if challenge_id(server.sent_challenge()) != ceremony.id {
            return Err(PasskeyError::Corrupt("ceremony"));
        }
        let answer = DiscoverableAuthentication64::from_json_relaxed(answer_json).map_err(|_| PasskeyError::Malformed)?;
        let id_bytes = B64.decode(&passkey.id).map_err(|_| PasskeyError::Corrupt("passkey id"))?;
        let id = CredentialId::<&[u8]>::decode(id_bytes.as_slice()).map_err(|_| PasskeyError::Corrupt("passkey id"))?;
        let user = decode_handle(&passkey.user_handle).ok_or(PasskeyError::Corrupt("user handle"))?;
        let stored = StoredCredential::parse(&passkey.credential)?;
        let static_state = StaticState::<StoredKey>::decode(stored.static_state.as_slice()).map_err(|_| PasskeyError::Corrupt("passkey credential"))?;
        let dynamic_state = DynamicState::decode(stored.dynamic).map_err(|_| PasskeyError::Corrupt("passkey credential"))?;
        let mut cred = AuthenticatedCredential::new(id, &user, static_state, dynamic_state).map_err(|_| PasskeyError::Corrupt("passkey credential"))?;
        let origins = self.allowed_origins();
        let options = AuthenticationVerificationOptions::<DomainOrigin<'_, '_>, DomainOrigin<'_, '_>> {
            allowed_origins: &origins,
            error_on_unsolicited_extensions: false,
            ..AuthenticationVerificationOptions::default()
        };
        server.verify(&self.rp_id, &answer, &mut cred, &options).map_err(authentication_error)?;
        let updated = StoredCredential { dynamic: cred.dynamic_state().encode().unwrap_or_else(|e| match e {}), ..stored };
        Ok(updated.to_text())
    }

    fn allowed_origins(&self) -> Vec<DomainOrigin<'_, '_>> {
        // Parsed in `new`, so these parse again.
        self.origins.iter().filter_map(|o| DomainOrigin::try_from(o.as_str()).ok()).collect()
    }
}

fn check_ceremony(ceremony: &Ceremony, kind: CeremonyKind, now_secs: i64) -> Result<(), PasskeyError> {
    if ceremony.kind != kind {
        return Err(PasskeyError::Mismatch("kind of ceremony"));
    }
    if now_secs > ceremony.expires_at {
        return Err(PasskeyError::Expired);
    }
    Ok(())
}

/// A challenge as the browser writes it in clientDataJSON: its 16 bytes
/// (little-endian, as the library sends them), base64url.
fn challenge_id(c: SentChallenge) -> String {
    B64.encode(c.0.to_le_bytes())
}

fn decode_handle(text: &str) -> Option<UserHandle64> {
    let bytes: [u8; USER_HANDLE_MAX_LEN] = B64.decode(text).ok()?.try_into().ok()?;
    UserHandle64::decode(bytes).ok()
}

fn decode_id(text: &str) -> Option<CredentialId<Vec<u8>>> {
    CredentialId::decode(B64.decode(text).ok()?).ok()
}

/// [`Passkey::credential`], base64url of: the format byte, the transports
/// (for excludeCredentials), the dynamic state (7 bytes: user verified,
/// backup, signature counter, attachment) and the static state (the public
/// key and the extensions that bind it), each the library's own encoding.
#[derive(Debug)]
struct StoredCredential {
    transports: AuthTransports,
    dynamic: [u8; 7],
    static_state: Vec<u8>,
}

impl StoredCredential {
    fn parse(text: &str) -> Result<StoredCredential, PasskeyError> {
        let corrupt = PasskeyError::Corrupt("passkey credential");
        let bytes = B64.decode(text).map_err(|_| corrupt.clone())?;
        match bytes.as_slice() {
            [CREDENTIAL_FORMAT, transports, rest @ ..] if rest.len() > 7 => Ok(StoredCredential {
                transports: AuthTransports::decode(*transports).map_err(|_| corrupt.clone())?,
                dynamic: rest[..7].try_into().map_err(|_| corrupt.clone())?,
                static_state: rest[7..].to_vec(),
            }),
            _ => Err(corrupt),
        }
    }

    fn to_text(&self) -> String {
        let mut bytes = Vec::with_capacity(2 + 7 + self.static_state.len());
        bytes.push(CREDENTIAL_FORMAT);
        bytes.push(self.transports.encode().unwrap_or_else(|e| match e {}));
        bytes.extend_from_slice(&self.dynamic);
        bytes.extend_from_slice(&self.static_state);
        B64.encode(bytes)
    }
}

fn registration_error(e: RegCeremonyErr) -> PasskeyError {
    match e {
        RegCeremonyErr::Timeout => PasskeyError::Expired,
        RegCeremonyErr::CollectedClientData(_) | RegCeremonyErr::CollectedClientDataRelaxed(_) => PasskeyError::Malformed,
        RegCeremonyErr::ChallengeMismatch => PasskeyError::Mismatch("challenge"),
        RegCeremonyErr::OriginMismatch | RegCeremonyErr::CrossOrigin | RegCeremonyErr::TopOriginMismatch => PasskeyError::Mismatch("origin"),
        RegCeremonyErr::RpIdHashMismatch => PasskeyError::Mismatch("site"),
        RegCeremonyErr::UserNotVerified => PasskeyError::NotVerified,
        other => PasskeyError::Rejected(other.to_string()),
    }
}

fn authentication_error(e: AuthCeremonyErr) -> PasskeyError {
    match e {
        AuthCeremonyErr::Timeout => PasskeyError::Expired,
        AuthCeremonyErr::CollectedClientData(_) | AuthCeremonyErr::CollectedClientDataRelaxed(_) => PasskeyError::Malformed,
        AuthCeremonyErr::ChallengeMismatch => PasskeyError::Mismatch("challenge"),
        AuthCeremonyErr::OriginMismatch | AuthCeremonyErr::CrossOrigin | AuthCeremonyErr::TopOriginMismatch => PasskeyError::Mismatch("origin"),
        AuthCeremonyErr::RpIdHashMismatch => PasskeyError::Mismatch("site"),
        AuthCeremonyErr::UserHandleMismatch => PasskeyError::Mismatch("user handle"),
        AuthCeremonyErr::CredentialIdMismatch => PasskeyError::Mismatch("credential"),
        AuthCeremonyErr::UserNotVerified => PasskeyError::NotVerified,
        other => PasskeyError::Rejected(other.to_string()),
    }
}
