//! An emailed link is opened: first a page that shows what it confirms (a
//! GET, which mail scanners may prefetch, changes nothing), then the
//! confirmation itself, which is when a claim is counted.

use super::{Form, Forms, now};
use crate::records::{Claim, Pending, PendingItem};
use crate::store::{ConfirmError, ContactOutcome, Store, StoreError, check_link};
use crate::token;
use ccg_model::Refusal;
use ccg_model::rules::YearUsage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// Unknown, wrong, expired, or for the other form: one answer for all.
    Invalid,
    /// Already used once.
    Used,
    /// A rule refuses the claim now; `year` is the city's usage when the refusal is about the year.
    Refused { refusal: Refusal, year: Option<(i16, YearUsage)> },
    Unavailable(String),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        LinkError::Unavailable(e.to_string())
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
    /// What the link in `token` would confirm, if it still can.
    pub async fn open_link(&self, form: Form, token: &str) -> Result<Pending, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let (_, now_secs) = now();
        let p = self.timed(self.store.get_pending(&id, now_secs)).await?;
        check_link(p.as_ref(), &hash, now_secs).map_err(|e| match e {
            ConfirmError::Used => LinkError::Used,
            _ => LinkError::Invalid,
        })?;
        let p = p.expect("checked");
        if p.item.kind() != form.pending_kind() {
            return Err(LinkError::Invalid);
        }
        Ok(p)
    }

    pub async fn confirm_registration(&self, token: &str) -> Result<ContactOutcome, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let (now_text, now_secs) = now();
        match self.timed_confirm(self.store.confirm_registration(&id, &hash, &now_text, now_secs)).await {
            Ok(done) => Ok(done),
            Err(e) => Err(self.link_error(e, None).await),
        }
    }

    pub async fn confirm_claim(&self, token: &str) -> Result<Receipt, LinkError> {
        let (id, hash) = token::parse_token(token).ok_or(LinkError::Invalid)?;
        let (now_text, now_secs) = now();
        let cat = self.catalogue();
        match self.timed_confirm(self.store.confirm_claim(&id, &hash, &cat.rules, &now_text, now_secs)).await {
            Ok(done) => {
                let event_title = cat.event(&done.claim.event_id).map(|e| e.title.clone()).unwrap_or_else(|| done.claim.event_id.clone());
                Ok(Receipt { remaining: cat.rules.remaining(done.used), event_title, claim: done.claim })
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

    async fn timed_confirm<T>(&self, f: impl std::future::Future<Output = Result<T, ConfirmError>>) -> Result<T, ConfirmError> {
        let limit = self.options.store_timeout;
        match tokio::time::timeout(limit, f).await {
            Ok(r) => r,
            Err(_) => Err(ConfirmError::Store(StoreError::Unavailable(format!("the store did not answer within {} ms", limit.as_millis())))),
        }
    }

    async fn link_error(&self, e: ConfirmError, city_year: Option<(String, i16)>) -> LinkError {
        match e {
            ConfirmError::Invalid => LinkError::Invalid,
            ConfirmError::Used => LinkError::Used,
            ConfirmError::Store(s) => LinkError::Unavailable(s.to_string()),
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
