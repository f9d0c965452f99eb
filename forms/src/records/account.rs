//! What the stores keep for signing in: the secretariat's staff records,
//! emailed sign-in links, sessions, passkeys and the passkey ceremonies in
//! flight. Secrets are kept only as hashes (`token::hash_secret`); times
//! used for expiry are Unix seconds, as the stores' TTLs count them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What a signed-in person is to the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A confirmed contact (an approved representative sees more).
    Member,
    /// The secretariat.
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Staff => "staff",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Member, Role::Staff].into_iter().find(|r| r.as_str() == s)
    }
}

/// How a session's person proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignedInBy {
    /// An emailed link.
    Link,
    /// A passkey (at sign-in, or a later step up).
    Passkey,
}

impl SignedInBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SignedInBy::Link => "link",
            SignedInBy::Passkey => "passkey",
        }
    }
    pub fn parse(s: &str) -> Option<SignedInBy> {
        [SignedInBy::Link, SignedInBy::Passkey].into_iter().find(|r| r.as_str() == s)
    }
}

/// A member of the secretariat: a record, never configuration (no staff
/// address is written in the public content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// The lower-cased address (`text::email_key`).
    pub email_key: String,
    /// The address as given.
    pub email: String,
    pub name: String,
    pub added_at: Timestamp,
    /// Who added them: an operator's name (`desk`) or a staff member's address key.
    pub added_by: String,
}

/// An emailed sign-in link: its id is in the link, with a secret whose hash only is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLink {
    /// `sgn_` + 32 hex digits (`token::new_id`).
    pub id: String,
    pub token_hash: String,
    pub email_key: String,
    pub created_at: Timestamp,
    /// Unix seconds: after this it no longer works, and the store may delete it.
    pub expires_at: i64,
    /// A link works once.
    pub used: bool,
}

/// A signed-in browser. The cookie holds a 256-bit random secret; the store
/// keeps its hash (`id_hash`) and never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the cookie's secret (`token::hash_secret`): the record's key.
    pub id_hash: String,
    pub email_key: String,
    pub role: Role,
    pub by: SignedInBy,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: i64,
    /// When a passkey last proved this session's person (at sign-in or a step up), Unix seconds.
    pub passkey_at: Option<i64>,
    /// What the list of sessions shows: "Chrome on Windows". Never the raw header, never an IP address.
    pub device: String,
    /// Unix seconds: the earlier of its idle and absolute ends (`decide::session::expires_at`); the store's TTL.
    pub expires_at: i64,
}

/// A passkey (a WebAuthn credential) of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passkey {
    /// The credential id, base64url without padding: the record's key.
    pub id: String,
    pub email_key: String,
    /// The person's WebAuthn user handle, base64url: random, one per person, the same on all their passkeys.
    pub user_handle: String,
    /// The relying-party library's encoding of the credential (public key, counters), base64url; opaque to the stores.
    pub credential: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Where it was added ("Chrome on macOS"), to tell one passkey from another.
    pub device: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CeremonyKind {
    /// Adding a passkey to a signed-in person.
    Register,
    /// Signing in (or stepping up) with a passkey.
    Authenticate,
}

impl CeremonyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::Authenticate => "authenticate",
        }
    }
    pub fn parse(s: &str) -> Option<CeremonyKind> {
        [CeremonyKind::Register, CeremonyKind::Authenticate].into_iter().find(|r| r.as_str() == s)
    }
}

/// A passkey ceremony between its options and its answer: the challenge sent
/// and the library's state, taken (deleted) when the answer comes, so a
/// challenge answers once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    /// The challenge, base64url: the record's key.
    pub id: String,
    pub kind: CeremonyKind,
    /// Register: whose passkey it adds. Authenticate: `None` to sign in; a
    /// signed-in person's key for a step up (the passkey must then be theirs).
    pub email_key: Option<String>,
    /// The relying-party library's encoded server state, base64url; opaque to the stores.
    pub state: String,
    /// Unix seconds.
    pub expires_at: i64,
}
