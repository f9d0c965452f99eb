//! A form is sent: checked, kept as pending, and answered by email. The
//! answer to the sender is the same whatever the store knew about them: only
//! the email, which reaches the owner of the address, says more. No address
//! gets more emails from the forms than `forms.emails_per_address` allows.

use super::{Form, Forms, messages};
use crate::claims::{self, email_key};
use crate::decode::Fields;
use crate::mail::Email;
use crate::metrics::Metric;
use crate::records::{ContactStatus, Pending, PendingItem};
use crate::store::{Store, StoreError};
use crate::token;
use crate::validate::{self, FieldErrors, Submission};
use ccg_forms::decide;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitError {
    /// Fields to correct (422).
    Invalid(FieldErrors),
    /// The store is down or slow (503); nothing was kept.
    Unavailable(String),
    /// A stored record does not parse (named by its key): not an outage.
    Corrupt(String),
    /// The submission is kept, but its email could not be sent (503): the
    /// person can ask for the link again with this address.
    MailNotSent { email: String },
}

impl From<StoreError> for SubmitError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(key) => SubmitError::Corrupt(key),
            e => SubmitError::Unavailable(e.to_string()),
        }
    }
}

impl<S: Store> Forms<S> {
    /// The join form. Ok means "check your inbox", for a new address, a known
    /// one (whose owner is asked to confirm the change) and a bot alike.
    /// `once`: the pending id of this submission when it came with an
    /// Idempotency-Key (`token::keyed_id`), so that a retry after a crash
    /// finds what the first attempt stored instead of storing it twice.
    pub async fn submit_registration(&self, fields: &Fields, once: Option<&str>) -> Result<(), SubmitError> {
        let cat = self.catalogue();
        let input = match validate::registration(fields, &cat.directory).map_err(SubmitError::Invalid)? {
            Submission::Valid(i) => i,
            Submission::Honeypot => return Ok(()),
        };
        let details = claims::registration(input);
        if !self.may_email(&details.email_key).await? {
            return Ok(());
        }
        let known = self.timed(self.store.get_contact(&details.email_key)).await?.is_some();
        let to = details.email.clone();
        let Some((id, secret)) = Box::pin(self.keep(PendingItem::Registration(details.clone()), once)).await? else { return Ok(()) };
        let mut mail = messages::registration(self, &details, known, &self.link(Form::Register, &token::token(&id, &secret)));
        if known {
            mail = self.with_leave_link(mail, &details.email_key).await;
        }
        self.deliver(&mail, &to).await
    }

    /// The claim form. Mistakes, and meetings that take no claims, answer at
    /// once; who may claim for which city is told only by email, to the
    /// address's owner. Ok means "check your inbox".
    pub async fn submit_claim(&self, fields: &Fields, once: Option<&str>) -> Result<(), SubmitError> {
        let cat = self.catalogue();
        let input = match validate::claim(fields, &cat, self.options.accept_drafts, self.today()).map_err(SubmitError::Invalid)? {
            Submission::Valid(i) => i,
            Submission::Honeypot => return Ok(()),
        };
        let to = input.email.trim().to_string();
        let key = email_key(&to);
        if !self.may_email(&key).await? {
            return Ok(());
        }
        let contact = self.timed(self.store.get_contact(&key)).await?;
        let event = cat.event(&input.event).map(|e| e.title.clone()).unwrap_or_default();
        // Nothing is kept for an address that may not claim: its owner learns why by
        // email (with a way to leave, when the address is a contact).
        let contact = match contact {
            Some(c) if c.status == ContactStatus::Approved => c,
            Some(_) => return self.deliver(&self.with_leave_link(messages::claim_join_first(self, &to, &event), &key).await, &to).await,
            None => return self.deliver(&messages::claim_join_first(self, &to, &event), &to).await,
        };
        let (now, _) = self.now();
        let claim = match claims::claim(&cat, input, &contact, now) {
            Ok(c) => c,
            Err(_) => {
                let city = contact.city_key.as_deref().and_then(|k| cat.directory.by_key(k).first().map(|m| m.city.name.clone()));
                let city = city.unwrap_or_else(|| contact.details.city.clone());
                let mail = messages::claim_city_not_eligible(self, &to, &contact.details.name, &city, &event);
                return self.deliver(&self.with_leave_link(mail, &key).await, &to).await;
            }
        };
        let Some((id, secret)) = Box::pin(self.keep(PendingItem::Claim(claim.clone()), once)).await? else { return Ok(()) };
        let mail = messages::claim(self, &claim, &event, &self.link(Form::TravelClaims, &token::token(&id, &secret)));
        let mail = self.with_leave_link(mail, &claim.email_key).await;
        self.deliver(&mail, &to).await
    }

    /// The claim form's fields judged as `submit_claim` judges them, without
    /// storing or sending anything: the check-answers page shows only a claim
    /// that would be taken.
    pub fn check_claim(&self, fields: &Fields) -> Result<Submission<validate::ClaimInput>, FieldErrors> {
        validate::claim(fields, &self.catalogue(), self.options.accept_drafts, self.today())
    }

    /// "Send me the link again": a new link for the newest unconfirmed
    /// submission of this address on this form. Ok whether or not there was one.
    pub async fn resend(&self, form: Form, fields: &Fields) -> Result<(), SubmitError> {
        let raw = fields.get("email").map(|e| e.as_str()).unwrap_or("");
        let email = raw.trim();
        if email.is_empty() {
            return Err(SubmitError::Invalid(one_error("email", "Enter the email address you sent the form with.")));
        }
        // Judged as sent, like every other field: trim() would read "a@b.eu" + U+2028 as the bare address.
        if !validate::is_email(email) || !crate::text::is_single_line(raw) {
            return Err(SubmitError::Invalid(one_error("email", "Enter an email address like name@city.eu.")));
        }
        if !self.may_email(&email_key(email)).await? {
            return Ok(());
        }
        let (_, now_secs) = self.now();
        let Some(p) = self.timed(self.store.latest_pending(form.pending_kind(), &email_key(email), now_secs)).await? else {
            return Ok(());
        };
        let secret = token::new_secret();
        if !self.timed(self.store.add_link(&p.id, &token::hash_secret(&secret), now_secs)).await? {
            // Used meanwhile, or enough links sent already: nothing more to send.
            return Ok(());
        }
        let link = self.link(form, &token::token(&p.id, &secret));
        let cat = self.catalogue();
        let (mail, to) = match &p.item {
            // Every email to a contact ends with a way to leave (a new registration's does not: not a contact yet).
            PendingItem::Registration(r) => {
                let known = self.timed(self.store.get_contact(&r.email_key)).await?.is_some();
                let mail = messages::registration(self, r, known, &link);
                (if known { self.with_leave_link(mail, &r.email_key).await } else { mail }, r.email.clone())
            }
            PendingItem::Claim(c) => {
                let event = cat.event(&c.event_id).map(|e| e.title.clone()).unwrap_or_default();
                (self.with_leave_link(messages::claim(self, c, &event, &link), &c.email_key).await, c.email.clone())
            }
        };
        self.deliver(&mail, &to).await
    }

    /// Keeps a submission with a first link secret; returns (id, secret) for the email.
    /// With a fixed id already stored (a retry of a request that died after
    /// storing it), adds a new link secret to it instead; `None` when that
    /// record needs no email any more (used, or enough links sent).
    async fn keep(&self, item: PendingItem, once: Option<&str>) -> Result<Option<(String, String)>, SubmitError> {
        let (now, now_secs) = self.now();
        let secret = token::new_secret();
        if let Some(id) = once
            && let Some(p) = self.timed(self.store.get_pending(id, now_secs)).await?
        {
            let sent = !p.used && self.timed(self.store.add_link(id, &token::hash_secret(&secret), now_secs)).await?;
            return Ok(sent.then(|| (id.to_string(), secret)));
        }
        let id = once.map(str::to_string).unwrap_or_else(|| token::new_id("pnd"));
        let pending = Pending {
            id: id.clone(),
            item,
            token_hashes: vec![token::hash_secret(&secret)],
            created_at: now,
            expires_at: now_secs + i64::from(self.options.link_hours) * 3600,
            used: false,
        };
        self.timed(self.store.put_pending(pending)).await?;
        Ok(Some((id, secret)))
    }

    /// Whether one more email may go to this address (`forms.emails_per_address`,
    /// shared by the forms and the sign-in links), counted as sent if so.
    /// Asked first on every path of a form, before anything about the
    /// address is read or kept: beyond the limits the form is answered as if
    /// the email went, and nothing is stored.
    pub(super) async fn may_email(&self, email_key: &str) -> Result<bool, StoreError> {
        let (_, now_secs) = self.now();
        let ok = self.timed(self.store.take_mail(&decide::quota_key(email_key), self.options.mail_limits, now_secs)).await?;
        if !ok {
            self.metrics.count(Metric::MailCapped);
        }
        Ok(ok)
    }

    async fn deliver(&self, mail: &Email, to: &str) -> Result<(), SubmitError> {
        match self.send_mail(mail).await {
            Ok(()) => Ok(()),
            Err(_) => Err(SubmitError::MailNotSent { email: to.to_string() }),
        }
    }
}

fn one_error(field: &'static str, msg: &str) -> FieldErrors {
    let mut e = FieldErrors::default();
    e.add(field, msg);
    e
}
