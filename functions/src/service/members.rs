//! The members' area, free of HTTP: what a signed-in member's page reads
//! (their contact, their city's year, their claims with their documents),
//! what they change there (withdraw a claim, be listed in the directory or
//! not, leave the group), and the directory of those who opted in. Every
//! change goes through the decisions and store writes the links and the
//! desk use, with its audit line.

use super::Forms;
use super::desk::CityYear;
use super::leave::LeaveLinkError;
use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, Document};
use crate::store::lists::{self, ContactQuery, ListPage};
use crate::store::{Erased, Store, StoreError, TransitionError, UpdateError};
use crate::token;
use ccg_forms::decide::{claim, retention};

/// One claim of a member, with its documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyClaim {
    pub claim: Claim,
    pub documents: Vec<Document>,
}

/// What a member's page shows of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyPage {
    /// `None`: signed in, but no contact holds the address (staff).
    pub contact: Option<Contact>,
    /// The city they represent (when approved for one): its year, and the
    /// next one once a claim counts for it (a meeting early next year).
    pub usage: Vec<CityYear>,
    /// Newest first.
    pub claims: Vec<MyClaim>,
}

/// Why a member's withdrawal did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawError {
    /// No claim of theirs by that reference (another person's is not told apart).
    #[error("no such claim")]
    NotFound,
    #[error("the claim can no longer be withdrawn: it is {0:?}")]
    NotWithdrawable(ClaimStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a directory search asks: a city (as typed or its key), a country, an SCC project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySearch {
    pub city: Option<String>,
    pub country: Option<String>,
    /// An SCC project's acronym, any case.
    pub project: Option<String>,
}

/// Conflicting writes to one contact are read and decided again this many times.
const ATTEMPTS: usize = 3;

impl<S: Store> Forms<S> {
    /// The member's page: their contact, their city's year, their claims with their documents.
    pub async fn my_page(&self, email_key: &str) -> Result<MyPage, StoreError> {
        let (contact, mut claims) = tokio::try_join!(self.timed(self.store.get_contact(email_key)), self.timed(self.store.claims_of_person(email_key)))?;
        let year = self.today().year();
        let mut usage = Vec::new();
        if let Some(city_key) = contact.as_ref().filter(|c| c.status == crate::records::ContactStatus::Approved).and_then(|c| c.city_key.clone()) {
            let (this, next) = tokio::try_join!(self.timed(self.store.year_usage(&city_key, year)), self.timed(self.store.year_usage(&city_key, year + 1)))?;
            let rules = &self.catalogue().rules;
            usage.push(CityYear { left: rules.remaining(this), city_key: city_key.clone(), year, used: this });
            if next.trips > 0 {
                usage.push(CityYear { left: rules.remaining(next), city_key, year: year + 1, used: next });
            }
        }
        claims.sort_by_key(|c| std::cmp::Reverse(lists::claim_rank(c)));
        let mut mine = Vec::with_capacity(claims.len());
        for c in claims {
            let documents = self.timed(self.store.list_documents(&c.id)).await?;
            mine.push(MyClaim { claim: c, documents });
        }
        Ok(MyPage { contact, usage, claims: mine })
    }

    /// The member's contact, if one holds the address.
    pub async fn my_contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        self.timed(self.store.get_contact(email_key)).await
    }

    /// One of the member's claims (by reference or id), or `None` when it is not theirs.
    pub async fn my_claim(&self, email_key: &str, id_or_reference: &str) -> Result<Option<Claim>, StoreError> {
        let id = self.claim_id(id_or_reference).await?;
        Ok(self.timed(self.store.get_claim(&id)).await?.filter(|c| c.email_key == email_key))
    }

    /// The member withdraws one of their claims from their page: the same
    /// decision and write as the emailed link's withdrawal.
    pub async fn withdraw_my_claim(&self, email_key: &str, id_or_reference: &str) -> Result<Claim, WithdrawError> {
        let c = self.my_claim(email_key, id_or_reference).await?.ok_or(WithdrawError::NotFound)?;
        if !claim::withdrawable(c.status) {
            return Err(WithdrawError::NotWithdrawable(c.status));
        }
        let (now, now_secs) = self.now();
        let change = claim::withdrawal(retention::claim_end(&self.options.retention, ClaimStatus::Withdrawn, None, now_secs));
        let audit =
            AuditEntry { at: now, actor: "applicant".into(), action: "claim.withdrawn".into(), subject: c.id.clone(), detail: "from their page".into() };
        match self.store.transition_claim(&c.id, change, audit).await {
            Ok(c) => Ok(c),
            Err(TransitionError::Conflict(s)) => Err(WithdrawError::NotWithdrawable(s)),
            Err(TransitionError::NotFound) => Err(WithdrawError::NotFound),
            Err(TransitionError::Store(e)) => Err(e.into()),
        }
    }

    /// Lists the member in the directory, or takes them out of it, with an
    /// audit line; `None` when no contact holds the address.
    pub async fn set_listed(&self, email_key: &str, listed: bool) -> Result<Option<Contact>, StoreError> {
        for _ in 0..ATTEMPTS {
            let Some(old) = self.timed(self.store.get_contact(email_key)).await? else { return Ok(None) };
            if old.details.listed == listed {
                return Ok(Some(old));
            }
            let (now, _) = self.now();
            let mut new = old.clone();
            new.details.listed = listed;
            new.version = old.version + 1;
            new.updated_at = now;
            let action = if listed { "contact.listed" } else { "contact.unlisted" };
            let audit = AuditEntry { at: now, actor: "applicant".into(), action: action.into(), subject: email_key.into(), detail: String::new() };
            match self.store.update_contact(old.version, new.clone(), audit).await {
                Ok(()) => return Ok(Some(new)),
                Err(UpdateError::Conflict) => continue,
                Err(UpdateError::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Unavailable("the contact kept changing".into()))
    }

    /// The member leaves the group from their page: the same path as the
    /// emailed leave link (a fresh one, used at once), then every session of
    /// theirs ends.
    pub async fn leave_signed_in(&self, email_key: &str) -> Result<Erased, LeaveLinkError> {
        let secret = token::new_secret();
        if !self.timed(self.store.add_leave_link(email_key, &token::hash_secret(&secret))).await? {
            return Err(LeaveLinkError::Gone);
        }
        let erased = self.leave(&token::token(&token::leave_id(email_key), &secret)).await?;
        self.timed(self.store.end_sessions(email_key, None, None)).await?;
        Ok(erased)
    }

    /// A page of the members' directory: those who opted in, confirmed or
    /// approved, in the order they joined. A project is the SCC project of
    /// the city they represent (or, before approval, of the city they named),
    /// as the directory of cities knows it.
    pub async fn directory_page(&self, search: &DirectorySearch, cursor: Option<&str>, limit: usize) -> Result<ListPage<Contact>, StoreError> {
        let q = ContactQuery { directory: true, city: search.city.clone(), country: search.country.clone(), ..ContactQuery::default() };
        let Some(project) = search.project.as_deref() else { return self.timed(self.store.contacts_page(&q, cursor, limit)).await };
        // The project is not a stored fact of a contact: read the (few) listed ones, indexed, and keep the project's.
        let mut all = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self.timed(self.store.contacts_page(&q, next.as_deref(), 500)).await?;
            all.extend(page.items);
            match page.next {
                Some(n) => next = Some(n),
                None => break,
            }
        }
        Ok(lists::page_of(all, |c| self.projects_of(c).iter().any(|p| p.eq_ignore_ascii_case(project)), lists::contact_rank, q.order, cursor, limit))
    }

    /// The SCC projects of a contact's city: the one they represent, else the city they named.
    pub fn projects_of(&self, c: &Contact) -> Vec<String> {
        let cat = self.catalogue();
        let by_key = c.city_key.as_deref().map(|k| cat.directory.by_key(k)).unwrap_or_default();
        let mut projects: Vec<String> = if by_key.is_empty() {
            self.city_choices(&c.details.city, &c.details.country).into_iter().map(|m| m.project).collect()
        } else {
            by_key.iter().map(|m| m.project.acronym.clone()).collect()
        };
        projects.sort();
        projects.dedup();
        projects
    }
}
