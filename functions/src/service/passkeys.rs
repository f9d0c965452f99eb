//! Passkeys, free of HTTP: adding one to a signed-in person, signing in (or
//! stepping up) with one, removing one. The WebAuthn checks are
//! `crate::passkey`'s; this module keeps the ceremonies and the credentials
//! in the store and turns a verified passkey into a session.

use super::Forms;
use super::account::SignedIn;
use crate::passkey::{PasskeyError, RelyingParty};
use crate::records::{AuditEntry, CeremonyKind, Passkey, Session, SignedInBy};
use crate::store::{Store, StoreError};
use ccg_forms::decide::MailLimits;
use ccg_forms::decide::session;

/// Why a passkey was not taken. One refusal for every failure a stranger
/// could cause, so an answer tells nothing of which accounts or passkeys exist.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyFlowError {
    /// The passkey did not prove anything (unknown, not this person's, a
    /// wrong signature or origin, a challenge used or expired, too many attempts).
    #[error("the passkey was refused")]
    Refused,
    /// The site's own settings cannot make a relying party (the address is an IP address).
    #[error("passkeys cannot work at this address: {0}")]
    Unusable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PasskeyError> for PasskeyFlowError {
    fn from(_: PasskeyError) -> Self {
        // The detail stays out of the answer (and out of the log: it may quote the request).
        PasskeyFlowError::Refused
    }
}

impl<S: Store> Forms<S> {
    /// The relying party of the address people sign in at.
    fn relying_party(&self) -> Result<RelyingParty, PasskeyFlowError> {
        let base = self.sign_in_base();
        let host = base.split_once("://").map_or("", |(_, rest)| rest.split(['/', ':']).next().unwrap_or(""));
        RelyingParty::new(host, vec![base.to_string()]).map_err(|e| PasskeyFlowError::Unusable(e.to_string()))
    }

    /// The browser's options to add a passkey to this person (its ceremony kept).
    pub async fn passkey_add_options(&self, who: &SignedIn) -> Result<String, PasskeyFlowError> {
        let rp = self.relying_party()?;
        let key = &who.session.email_key;
        let existing = self.timed(self.store.list_passkeys(key)).await?;
        let handle = existing.first().map(|p| p.user_handle.as_str());
        let (_, now_secs) = self.now();
        let (ceremony, options, _) = rp.start_registration(key, &who.name, handle, &existing, now_secs)?;
        self.timed(self.store.put_ceremony(ceremony)).await?;
        Ok(options)
    }

    /// Adds the passkey the browser made (its answer to `passkey_add_options`).
    pub async fn add_passkey(&self, who: &SignedIn, answer: &[u8], user_agent: &str) -> Result<Passkey, PasskeyFlowError> {
        let rp = self.relying_party()?;
        let key = &who.session.email_key;
        let (now, now_secs) = self.now();
        let challenge = RelyingParty::challenge_of(answer)?;
        let ceremony = self.timed(self.store.take_ceremony(&challenge, now_secs)).await?.ok_or(PasskeyFlowError::Refused)?;
        if ceremony.kind != CeremonyKind::Register || ceremony.email_key.as_deref() != Some(key.as_str()) {
            return Err(PasskeyFlowError::Refused);
        }
        let made = rp.finish_registration(&ceremony, answer, now_secs)?;
        let passkey = Passkey {
            id: made.id,
            email_key: key.clone(),
            user_handle: made.user_handle,
            credential: made.credential,
            created_at: now_secs,
            last_used_at: None,
            device: session::device(user_agent),
        };
        let audit = AuditEntry { at: now, actor: key.clone(), action: "passkey.added".into(), subject: key.clone(), detail: passkey.device.clone() };
        self.timed(self.store.add_passkey(passkey.clone(), audit)).await?;
        self.tell_passkey_changed(who, Some(&passkey.device)).await;
        Ok(passkey)
    }

    /// The browser's options to sign in with a passkey; `who` when a
    /// signed-in person steps up (the passkey must then be theirs).
    pub async fn passkey_sign_in_options(&self, who: Option<&SignedIn>) -> Result<String, PasskeyFlowError> {
        let rp = self.relying_party()?;
        let (_, now_secs) = self.now();
        let (ceremony, options) = rp.start_authentication(who.map(|w| w.session.email_key.as_str()), now_secs)?;
        self.timed(self.store.put_ceremony(ceremony)).await?;
        Ok(options)
    }

    /// Signs in with a passkey: a new session (with a new secret; the
    /// browser's session before, if any, ends in the same step).
    pub async fn sign_in_by_passkey(&self, answer: &[u8], user_agent: &str, current: Option<&SignedIn>) -> Result<(String, Session), PasskeyFlowError> {
        let rp = self.relying_party()?;
        let (now, now_secs) = self.now();
        let challenge = RelyingParty::challenge_of(answer)?;
        let ceremony = self.timed(self.store.take_ceremony(&challenge, now_secs)).await?.ok_or(PasskeyFlowError::Refused)?;
        if ceremony.kind != CeremonyKind::Authenticate {
            return Err(PasskeyFlowError::Refused);
        }
        let (id, handle) = RelyingParty::credential_of(answer)?;
        let passkey = self.timed(self.store.get_passkey(&id)).await?.ok_or(PasskeyFlowError::Refused)?;
        let key = passkey.email_key.clone();
        if passkey.user_handle != handle || ceremony.email_key.as_ref().is_some_and(|k| *k != key) {
            return Err(PasskeyFlowError::Refused);
        }
        // Attempts per account and hour, counted before the signature is checked.
        let per_hour = self.options.sign_in.passkey_attempts_per_hour;
        let limits = MailLimits { per_hour, per_day: per_hour.saturating_mul(24) };
        let budget = format!("passkey:{}", ccg_forms::decide::quota_key(&key));
        if !self.timed(self.store.take_mail(&budget, limits, now_secs)).await? {
            return Err(PasskeyFlowError::Refused);
        }
        let updated = rp.finish_authentication(&ceremony, answer, &passkey, now_secs)?;
        self.timed(self.store.passkey_used(&id, &updated, now_secs)).await?;
        let person = self.person(&key).await?.ok_or(PasskeyFlowError::Refused)?;
        let audit =
            AuditEntry { at: now, actor: key.clone(), action: "signin.passkey".into(), subject: key.clone(), detail: format!("as {}", person.role.as_str()) };
        let replaces = current.map(|w| w.session.id_hash.as_str());
        Ok(self.start_session(&key, person.role, SignedInBy::Passkey, user_agent, replaces, audit).await?)
    }

    /// This person's passkeys, oldest first.
    pub async fn passkeys(&self, who: &SignedIn) -> Result<Vec<Passkey>, StoreError> {
        self.timed(self.store.list_passkeys(&who.session.email_key)).await
    }

    /// Removes one of this person's passkeys; false when it is not theirs.
    pub async fn remove_passkey(&self, who: &SignedIn, id: &str) -> Result<bool, StoreError> {
        let (now, _) = self.now();
        let key = &who.session.email_key;
        let audit = AuditEntry { at: now, actor: key.clone(), action: "passkey.removed".into(), subject: key.clone(), detail: String::new() };
        let removed = self.timed(self.store.remove_passkey(key, id, audit)).await?;
        if removed {
            self.tell_passkey_changed(who, None).await;
        }
        Ok(removed)
    }

    /// Emails the person that a passkey was added (from `device`) or removed:
    /// whoever reads their mailbox can sign in by link and add one, so the
    /// owner hears of it. The change stands if the email fails (logged, without the address).
    async fn tell_passkey_changed(&self, who: &SignedIn, added: Option<&str>) {
        let (now, _) = self.now();
        let mail = super::messages::passkey_changed(self, &who.email, &who.name, who.is_staff(), added, now);
        if self.send_mail(&mail).await.is_err() {
            tracing::error!(person = %crate::store::person_key(&who.session.email_key), "passkey email not sent");
        }
    }
}
