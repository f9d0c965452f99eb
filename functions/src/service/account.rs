//! Signing in, free of HTTP: the emailed link, sessions (their checks, their
//! rotation, signing out), and the person a session is. Passkeys are in
//! `service::passkeys`. Every answer that could tell whether an address
//! belongs to someone is the same for everyone: the sign-in form always
//! "sends" a link, and only a member's or the secretariat's address gets one.

use super::Forms;
use crate::claims::email_key;
use crate::records::{AuditEntry, ContactStatus, Role, Session, SignInLink, SignedInBy, Staff};
use crate::store::{Store, StoreError};
use crate::token;
use ccg_forms::decide::session::{self, MayDecide, SessionLimits};

/// The name of the session cookie. `__Host-`: set only over HTTPS, for this
/// host alone and the whole site, so no subdomain or path can set or read it.
pub const COOKIE: &str = "__Host-ccg_session";

/// How the account page names a session to end: a short piece of its id
/// hash (the hash of its secret, never the secret), shown only to its owner.
pub fn session_handle(s: &Session) -> &str {
    &s.id_hash[..16.min(s.id_hash.len())]
}

/// A signed-in person, as a request sees them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    /// What pages call them: their name as the secretariat or the contact list knows it.
    pub name: String,
    /// Their address as they gave it.
    pub email: String,
}

impl SignedIn {
    pub fn is_staff(&self) -> bool {
        self.session.role == Role::Staff
    }
}

/// Why a sign-in form was not taken: only a malformed address is told
/// (anything else would say whether the address belongs to someone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who an address is to the site, if anyone: the secretariat first, then a
/// confirmed or approved contact. (A declined contact is on its way out.)
pub(super) struct Person {
    pub role: Role,
    pub name: String,
    pub email: String,
}

impl<S: Store> Forms<S> {
    pub(super) async fn person(&self, key: &str) -> Result<Option<Person>, StoreError> {
        if let Some(Staff { name, email, .. }) = self.timed(self.store.get_staff(key)).await? {
            return Ok(Some(Person { role: Role::Staff, name, email }));
        }
        Ok(self.timed(self.store.get_contact(key)).await?.filter(|c| matches!(c.status, ContactStatus::Confirmed | ContactStatus::Approved)).map(|c| Person {
            role: Role::Member,
            name: c.details.name,
            email: c.details.email,
        }))
    }

    fn limits(&self, role: Role) -> SessionLimits {
        SessionLimits::for_role(&self.options.sign_in, role)
    }

    /// The sign-in form: emails a link to a member's or the secretariat's
    /// address (within the forms' email budget per address); does nothing
    /// for any other. The answer is the same either way.
    pub async fn request_sign_in(&self, raw: &str) -> Result<(), SignInError> {
        let address = raw.trim();
        if !crate::text::is_email(address) || !crate::text::is_single_line(raw) {
            return Err(SignInError::Invalid("Enter an email address like name@city.eu.".into()));
        }
        let key = email_key(address);
        if !self.may_email(&key).await? {
            return Ok(());
        }
        let Some(person) = self.person(&key).await? else { return Ok(()) };
        let (now, now_secs) = self.now();
        let id = token::new_id("sgn");
        let secret = token::new_secret();
        let expires_at = now_secs + i64::from(self.options.sign_in.link_minutes) * 60;
        let link = SignInLink { id: id.clone(), token_hash: token::hash_secret(&secret), email_key: key, created_at: now, expires_at, used: false };
        self.timed(self.store.put_sign_in_link(link)).await?;
        let url = format!("{}/sign-in/link?token={}", self.sign_in_base(), token::token(&id, &secret));
        let mail = super::messages::sign_in(self, &person.email, &person.name, person.role == Role::Staff, &url);
        // A failed email is not told apart from a sent one: that would tell who is a member.
        if self.send_mail(&mail).await.is_err() {
            tracing::error!(link = %id, "sign-in email not sent");
        }
        Ok(())
    }

    /// Where sign-in links and passkeys live: the site, or in the preview its
    /// `localhost` name (WebAuthn refuses an IP address).
    pub fn sign_in_base(&self) -> &str {
        self.options.sign_in_url.as_deref().unwrap_or(&self.options.public_url)
    }

    /// Whether a sign-in link would work now (the page it opens); changes nothing.
    pub async fn sign_in_link_works(&self, tok: &str) -> Result<bool, StoreError> {
        let Some((id, hash)) = token::parse_sign_in_token(tok) else { return Ok(false) };
        let (_, now_secs) = self.now();
        Ok(self.timed(self.store.peek_sign_in_link(&id, &hash, now_secs)).await?.is_some())
    }

    /// Uses a sign-in link: a new session (a new secret, whatever the browser
    /// had before: `replaces` is its session's id hash, ended in the same step).
    /// `None` when the link does not work, or its address no longer belongs to anyone.
    /// The link is spent in the same atomic write as the session is made:
    /// a store failing in between must not leave a used link without one.
    pub async fn sign_in_by_link(&self, tok: &str, user_agent: &str, replaces: Option<&str>) -> Result<Option<(String, Session)>, StoreError> {
        let Some((id, hash)) = token::parse_sign_in_token(tok) else { return Ok(None) };
        let (now, now_secs) = self.now();
        let Some(key) = self.timed(self.store.peek_sign_in_link(&id, &hash, now_secs)).await? else { return Ok(None) };
        let Some(person) = self.person(&key).await? else { return Ok(None) };
        let audit =
            AuditEntry { at: now, actor: key.clone(), action: "signin.link".into(), subject: key.clone(), detail: format!("as {}", person.role.as_str()) };
        let (secret, s) = self.new_session(&key, person.role, SignedInBy::Link, user_agent);
        let used = self.timed(self.store.use_sign_in_link(&id, &hash, now_secs, s.clone(), replaces, audit)).await?;
        Ok(used.then_some((secret, s)))
    }

    /// A new session's secret and record (not yet stored).
    fn new_session(&self, key: &str, role: Role, by: SignedInBy, user_agent: &str) -> (String, Session) {
        let (_, now_secs) = self.now();
        let secret = token::new_secret();
        let s = session::new_session(token::hash_secret(&secret), key, role, by, session::device(user_agent), self.limits(role), now_secs);
        (secret, s)
    }

    /// Writes a new session and returns the cookie's secret.
    pub(super) async fn start_session(
        &self,
        key: &str,
        role: Role,
        by: SignedInBy,
        user_agent: &str,
        replaces: Option<&str>,
        audit: AuditEntry,
    ) -> Result<(String, Session), StoreError> {
        let (secret, s) = self.new_session(key, role, by, user_agent);
        self.timed(self.store.start_session(s.clone(), replaces, Some(audit))).await?;
        Ok((secret, s))
    }

    /// The person a session cookie's secret signs in, if it still does: the
    /// session unexpired (idle and absolute), and its person still a member
    /// or on the staff with the same role (a removed person's session ends
    /// here even if its deletion failed). A use is recorded at most once a minute.
    pub async fn signed_in(&self, secret: Option<&str>) -> Result<Option<SignedIn>, StoreError> {
        let Some(secret) = secret.filter(|s| token::is_secret(s)) else { return Ok(None) };
        let hash = token::hash_secret(secret);
        let (_, now_secs) = self.now();
        let Some(mut s) = self.timed(self.store.get_session(&hash, now_secs)).await? else { return Ok(None) };
        if !session::is_live(&s, self.limits(s.role), now_secs) {
            self.timed(self.store.end_session(&hash)).await?;
            return Ok(None);
        }
        let person = self.person(&s.email_key).await?;
        let Some(person) = person.filter(|p| p.role == s.role) else {
            self.timed(self.store.end_session(&hash)).await?;
            return Ok(None);
        };
        if let Some((used, expires)) = session::touch(&s, self.limits(s.role), now_secs) {
            self.timed(self.store.touch_session(&hash, used, expires)).await?;
            s.last_used_at = used;
            s.expires_at = expires;
        }
        Ok(Some(SignedIn { session: s, name: person.name, email: person.email }))
    }

    /// Whether this session may decide now (staff, with a recent passkey).
    pub fn may_decide(&self, who: &SignedIn) -> MayDecide {
        session::may_decide(&who.session, &self.options.sign_in, self.options.staff_link_may_decide, self.now().1)
    }

    pub async fn sign_out(&self, who: &SignedIn) -> Result<(), StoreError> {
        self.timed(self.store.end_session(&who.session.id_hash)).await
    }

    /// Ends every session of this person, this one included.
    pub async fn sign_out_everywhere(&self, who: &SignedIn) -> Result<u32, StoreError> {
        let (now, _) = self.now();
        let key = &who.session.email_key;
        let audit = AuditEntry { at: now, actor: key.clone(), action: "sessions.ended".into(), subject: key.clone(), detail: "signed out everywhere".into() };
        self.timed(self.store.end_sessions(key, None, Some(audit))).await
    }

    /// Ends one of this person's other sessions, named by its handle
    /// (`session_handle`); false when no session of theirs has it.
    pub async fn end_other_session(&self, who: &SignedIn, handle: &str) -> Result<bool, StoreError> {
        let sessions = self.sessions(who).await?;
        let Some(s) = sessions.iter().find(|s| session_handle(s) == handle && s.id_hash != who.session.id_hash) else { return Ok(false) };
        // Like signing out (of that device): no history line, as for this one.
        self.timed(self.store.end_session(&s.id_hash)).await?;
        Ok(true)
    }

    /// This person's sessions, most recently used first.
    pub async fn sessions(&self, who: &SignedIn) -> Result<Vec<Session>, StoreError> {
        let (_, now_secs) = self.now();
        self.timed(self.store.list_sessions(&who.session.email_key, now_secs)).await
    }
}
