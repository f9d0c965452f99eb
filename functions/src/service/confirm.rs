//! An emailed link is opened: first a page that shows what it confirms (a
//! GET, which mail scanners may prefetch, changes nothing), then the
//! confirmation itself, which is when a claim is counted.

use super::{Form, Forms, messages};
use crate::records::{AuditEntry, Claim, ClaimStatus, Pending, PendingItem};
use crate::store::{ConfirmError, ConfirmFailed, ContactOutcome, OpenMeetings, Store, StoreError, TransitionError};
use crate::token;
use ccg_forms::decide::{check_link, retention};
use ccg_model::Refusal;
use ccg_model::rules::YearUsage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// Unknown, wrong, expired, or for the other form: one answer for all.
    Invalid,
    /// Already used once.
    Used,
    /// A rule refuses the claim now; `year` is the city's usage when the refusal is about the year.
    Refused {
        refusal: Refusal,
        year: Option<(i16, YearUsage)>,
    },
    /// The claim can no longer be withdrawn: it is in this state.
    NotWithdrawable(ClaimStatus),
    Unavailable(String),
    /// A stored record does not parse (named by its key): not an outage.
    Corrupt(String),
}

/// What a link opens: a submission still waiting for it, or (a claim's link,
/// once used) the claim it confirmed, as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkView {
    /// With, for a claim, what its city has used of that year so far.
    Pending(Pending, Option<YearUsage>),
    Claim(Claim),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(key) => LinkError::Corrupt(key),
            e => LinkError::Unavailable(e.to_string()),
        }
    }
}

/// A counted claim, and what its city has left in that year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub claim: Claim,
    pub event_title: String,
    pub remaining: YearUsage,
}

impl<S: Store> Forms<S> {
    /// What the link in `token` opens: what it would confirm, or the claim it confirmed.
    pub async fn open_link(&self, form: Form, token: &str) -> Result<LinkView, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let (_, now_secs) = self.now();
        let p = self.timed(self.store.get_pending(&id, now_secs)).await?;
        let checked = check_link(p.as_ref(), &hash, now_secs);
        if let (Ok(()), Some(p)) = (&checked, p) {
            if p.item.kind() != form.pending_kind() {
                return Err(LinkError::Invalid);
            }
            let used = match &p.item {
                PendingItem::Claim(c) => Some(self.timed(self.store.year_usage(&c.city_key, c.year)).await?),
                PendingItem::Registration(_) => None,
            };
            return Ok(LinkView::Pending(p, used));
        }
        // Used (or expired since): a claim's link goes on showing its claim.
        if form == Form::TravelClaims
            && let Some(c) = self.claim_of_link(&id, &hash).await?
        {
            return Ok(LinkView::Claim(c));
        }
        Err(match checked {
            Err(ConfirmError::Used) => LinkError::Used,
            _ => LinkError::Invalid,
        })
    }

    /// The claim confirmed through link `id`, if `hash` is one of that link's secrets.
    async fn claim_of_link(&self, id: &str, hash: &str) -> Result<Option<Claim>, LinkError> {
        let c = self.timed(self.store.claim_by_link(id)).await?;
        Ok(c.filter(|c| c.link_hashes.iter().any(|h| h == hash)))
    }

    /// The claimant takes back a claim the secretariat has not approved yet:
    /// its trip and euros go back to the city's year.
    pub async fn withdraw(&self, token: &str) -> Result<Claim, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let c = self.claim_of_link(&id, &hash).await?.ok_or(LinkError::Invalid)?;
        let (now, now_secs) = self.now();
        let change = ccg_forms::decide::claim::withdrawal(retention::claim_end(&self.options.retention, ClaimStatus::Withdrawn, None, now_secs));
        let audit = AuditEntry { at: now, actor: "applicant".into(), action: "claim.withdrawn".into(), subject: c.id.clone(), detail: String::new() };
        match self.store.transition_claim(&c.id, change, audit).await {
            Ok(c) => Ok(c),
            Err(TransitionError::Conflict(s)) => Err(LinkError::NotWithdrawable(s)),
            Err(TransitionError::NotFound) => Err(LinkError::Invalid),
            Err(TransitionError::Store(e)) => Err(e.into()),
        }
    }

    pub async fn confirm_registration(&self, token: &str) -> Result<ContactOutcome, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let (now, now_secs) = self.now();
        match self.timed_confirm(self.store.confirm_registration(&id, &hash, now, now_secs)).await {
            Ok(done) => {
                if let Some(to) = &self.options.secretariat_email {
                    self.tell_secretariat(messages::new_contact(to, self.sign_in_base(), &done.contact.details, !done.created)).await;
                }
                // The new contact's receipt, with the way to leave; the confirmation stands if it cannot be sent.
                let d = &done.contact.details;
                let mail = self.with_leave_link(messages::registered(self, d, !done.created), &d.email_key).await;
                if let Err(e) = self.send_mail(&mail).await {
                    tracing::warn!(error = %e, "forms: a new contact was not emailed");
                }
                Ok(done)
            }
            Err(e) => Err(self.link_error(e, None).await),
        }
    }

    pub async fn confirm_claim(&self, token: &str) -> Result<Receipt, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let (now, now_secs) = self.now();
        let cat = self.catalogue();
        // The meetings as they stand now: a claim counts only while its meeting still takes claims.
        let open = OpenMeetings::on(&cat, self.options.accept_drafts, self.today());
        match self.timed_confirm(self.store.confirm_claim(&id, &hash, &cat.rules, &open, now, now_secs)).await {
            Ok(done) => {
                let event_title = cat.event(&done.claim.event_id).map(|e| e.title.clone()).unwrap_or_else(|| done.claim.event_id.clone());
                let receipt = Receipt { remaining: cat.rules.remaining(done.used), event_title, claim: done.claim };
                if let Some(to) = &self.options.secretariat_email {
                    self.tell_secretariat(messages::new_claim(to, self.sign_in_base(), &receipt.claim, &receipt.event_title, &receipt.remaining)).await;
                }
                // The claimant's receipt; the confirmation stands if it cannot be sent.
                let mail = messages::receipt(self, &receipt.claim, &receipt.event_title, &receipt.remaining);
                let mail = self.with_leave_link(mail, &receipt.claim.email_key).await;
                if let Err(e) = self.send_mail(&mail).await {
                    tracing::warn!(error = %e, "forms: a confirmed claim's receipt was not emailed");
                }
                Ok(receipt)
            }
            Err(e) => {
                // Say what is left when the refusal is about the year (best effort: a read).
                let pending = self.timed(self.store.get_pending(&id, now_secs)).await.ok().flatten();
                let year = match pending.map(|p| p.item) {
                    Some(PendingItem::Claim(c)) => Some((c.city_key, c.year)),
                    _ => None,
                };
                Err(self.link_error(e, year).await)
            }
        }
    }

    /// The secretariat's copy: the confirmation stands even if it cannot be sent.
    async fn tell_secretariat(&self, mail: crate::mail::Email) {
        if let Err(e) = self.send_mail(&mail).await {
            tracing::warn!(error = %e, "forms: the secretariat was not emailed");
        }
    }

    async fn timed_confirm<T>(&self, f: impl std::future::Future<Output = Result<T, ConfirmFailed>>) -> Result<T, ConfirmFailed> {
        let limit = self.options.store_timeout;
        match tokio::time::timeout(limit, f).await {
            Ok(r) => r,
            Err(_) => Err(ConfirmFailed::Store(StoreError::Unavailable(format!("the store did not answer within {} ms", limit.as_millis())))),
        }
    }

    async fn link_error(&self, e: ConfirmFailed, city_year: Option<(String, i16)>) -> LinkError {
        let e = match e {
            ConfirmFailed::Denied(e) => e,
            ConfirmFailed::Store(s) => return s.into(),
        };
        match e {
            ConfirmError::Invalid => LinkError::Invalid,
            ConfirmError::Used => LinkError::Used,
            ConfirmError::Refused(refusal) => {
                let year = match (refusal, city_year) {
                    (Refusal::OverYearlyTrips | Refusal::OverYearlyAmount, Some((city, year))) => {
                        self.timed(self.store.year_usage(&city, year)).await.ok().map(|u| (year, u))
                    }
                    _ => None,
                };
                LinkError::Refused { refusal, year }
            }
        }
    }
}
