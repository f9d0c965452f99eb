//! The secretariat's decisions: admit a confirmed contact as the
//! representative of a city, or decline; approve, reject or pay a claim. Each
//! change is written with its audit entry (who, when, what, why) in one store
//! operation; the applicant hears of each decision on a claim by email.

use super::{Forms, messages};
use crate::claims::email_key;
use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, PendingItem, Registration};
use crate::store::lists::fold;
use crate::store::{ClaimChange, ERASED, Erased, Store, StoreError, Swept, TransitionError, UpdateError};
use ccg_forms::decide::payment::{self, PaymentRefusal};
use ccg_forms::decide::retention;
use ccg_model::Cents;
use ccg_model::rules::YearUsage;
use jiff::civil::Date;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error("no confirmed contact has the address {0}")]
    NoContact(String),
    #[error("{0}")]
    City(String),
    #[error("the operator's name is empty: give --operator NAME or set CCG_OPERATOR")]
    NoOperator,
    #[error("the contact kept changing while this decision was written; try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A decision on a contact recorded, and whether its email reached them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDecided {
    pub contact: Contact,
    pub emailed: Result<(), String>,
}

impl<S: Store> Forms<S> {
    /// Admits `email` as the representative of the SCC city `city` (in `country`, if given).
    /// The contact hears of it by email.
    pub async fn approve(&self, email: &str, city: &str, country: Option<&str>, operator: &str) -> Result<ContactDecided, DeskError> {
        let cat = self.catalogue();
        let found = cat.directory.find(city, country);
        let mut keys: Vec<(String, String)> = found.iter().map(|m| (m.key(), m.city.name.clone())).collect();
        keys.sort();
        keys.dedup();
        let (city_key, city_name) = match keys.len() {
            0 => return Err(DeskError::City(format!("`{city}` is not a city of the SCC projects (content/data/scc-projects.yaml){}", in_country(country)))),
            1 => keys.remove(0),
            _ => {
                let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
                return Err(DeskError::City(format!("`{city}` matches several cities ({}): add --country", names.join(", "))));
            }
        };
        self.admit(email, &city_key, &city_name, operator).await
    }

    /// Admits `email` as the representative of the SCC city with this key (`ES:valladolid`).
    pub async fn approve_key(&self, email: &str, city_key: &str, operator: &str) -> Result<ContactDecided, DeskError> {
        let cat = self.catalogue();
        let Some(m) = cat.directory.by_key(city_key).into_iter().next() else {
            return Err(DeskError::City(format!("`{city_key}` is not a city of the SCC projects (content/data/scc-projects.yaml)")));
        };
        let name = m.city.name.clone();
        self.admit(email, city_key, &name, operator).await
    }

    /// Admits `email` as the representative of the city their registration names, which is
    /// not one of the SCC projects' (so the claim form takes no claim from them).
    pub async fn approve_other_city(&self, email: &str, operator: &str) -> Result<ContactDecided, DeskError> {
        let key = email_key(email);
        let Some(c) = self.timed(self.store.get_contact(&key)).await? else { return Err(DeskError::NoContact(key)) };
        let city_key = ccg_model::cities::city_key(&c.details.city, &c.details.country);
        self.admit(email, &city_key, &c.details.city, operator).await
    }

    async fn admit(&self, email: &str, city_key: &str, city_name: &str, operator: &str) -> Result<ContactDecided, DeskError> {
        let (_, contact) = self
            .decide(email, operator, "contact.approved", &format!("representative of {city_name} ({city_key})"), |c| {
                c.status = ContactStatus::Approved;
                c.city_key = Some(city_key.to_string());
                c.expires_at = None;
            })
            .await?;
        // The decision stands whether or not its email goes out; the desk says which.
        let emailed = self.tell_contact(messages::representative(self, &contact, Some(city_name), false, None), &contact).await;
        Ok(ContactDecided { contact, emailed })
    }

    /// Declines `email` as a representative (or withdraws an earlier approval); the reason, when
    /// given, is recorded in the history and told to the person.
    pub async fn decline(&self, email: &str, operator: &str, reason: Option<&str>) -> Result<ContactDecided, DeskError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let detail = reason.map(|r| format!("reason: {r}")).unwrap_or_default();
        // A declined contact is kept for the retention period, then deleted.
        let until = self.options.retention.declined_contact_until(self.now().1);
        let (old, contact) = self
            .decide(email, operator, "contact.declined", &detail, |c| {
                c.status = ContactStatus::Declined;
                c.city_key = None;
                c.expires_at = Some(until);
            })
            .await?;
        let withdrawn = old.status == ContactStatus::Approved;
        let emailed = self.tell_contact(messages::representative(self, &contact, None, withdrawn, reason), &contact).await;
        Ok(ContactDecided { contact, emailed })
    }

    /// Sends `mail` to a contact, with the way to leave at its end.
    async fn tell_contact(&self, mail: crate::mail::Email, contact: &Contact) -> Result<(), String> {
        let mail = self.with_leave_link(mail, &contact.details.email_key).await;
        self.send_mail(&mail).await.map_err(|e| e.to_string())
    }

    /// Reads, changes and writes the contact `email` (again if it changed in between): the contact before and after.
    async fn decide(&self, email: &str, operator: &str, action: &str, detail: &str, change: impl Fn(&mut Contact)) -> Result<(Contact, Contact), DeskError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(DeskError::NoOperator);
        }
        let key = email_key(email);
        // Optimistic: read, decide, write if nobody changed it in between; else read again.
        for _ in 0..5 {
            let Some(old) = self.timed(self.store.get_contact(&key)).await? else { return Err(DeskError::NoContact(key)) };
            let (now, _) = self.now();
            let mut new = old.clone();
            change(&mut new);
            new.version = old.version + 1;
            new.updated_at = now;
            let audit = AuditEntry { at: now, actor: operator.to_string(), action: action.into(), subject: key.clone(), detail: detail.into() };
            match self.store.update_contact(old.version, new.clone(), audit).await {
                Ok(()) => return Ok((old, new)),
                Err(UpdateError::Conflict) => continue,
                Err(UpdateError::Store(e)) => return Err(e.into()),
            }
        }
        Err(DeskError::Conflict)
    }
}

fn in_country(country: Option<&str>) -> String {
    country.map(|c| format!(" in {}", c.to_uppercase())).unwrap_or_default()
}

/// Why a decision on a claim was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimDeskError {
    #[error("there is no claim {0}")]
    NoClaim(String),
    #[error("the claim is {}: {}", .0.as_str(), match .0 { ClaimStatus::Counted => "it has not been approved yet", _ => "this decision does not apply to it" })]
    Conflict(ClaimStatus),
    #[error("the payment ({0}) is more than the approved amount ({1})")]
    OverApproved(Cents, Cents),
    #[error("a payment must be above zero")]
    NothingPaid,
    #[error("the payment ({0}) is less than the amount asked for ({1}): say why with --reason \"...\" (the applicant is told)")]
    ReasonNeeded(Cents, Cents),
    #[error("the payment is the full amount asked for ({0}): it needs no reason; leave out --reason")]
    ReasonNotNeeded(Cents),
    #[error("a rejection needs a reason (--reason \"...\")")]
    NoReason,
    #[error("the operator's name is empty: give --operator NAME or set CCG_OPERATOR")]
    NoOperator,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TransitionError> for ClaimDeskError {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::NotFound => ClaimDeskError::NoClaim(String::new()),
            TransitionError::Conflict(s) => ClaimDeskError::Conflict(s),
            TransitionError::Store(s) => ClaimDeskError::Store(s),
        }
    }
}

/// A decision recorded, and whether its email reached the applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub claim: Claim,
    pub emailed: Result<(), String>,
}

impl<S: Store> Forms<S> {
    /// The id of the claim a person named: by its id, or by its reference
    /// (`CCG-2027-0042`, any letter case). A name that is neither stays as it
    /// is, and is then no claim.
    pub async fn claim_id(&self, id_or_reference: &str) -> Result<String, StoreError> {
        let Some((year, number)) = ccg_forms::decide::parse_reference(id_or_reference) else { return Ok(id_or_reference.trim().to_string()) };
        let found = self.timed(self.store.claim_by_reference(&ccg_forms::decide::reference(year, number))).await?;
        Ok(found.map_or_else(|| id_or_reference.trim().to_string(), |c| c.id))
    }

    pub async fn approve_claim(&self, id: &str, operator: &str) -> Result<Decided, ClaimDeskError> {
        let change = ClaimChange { from: vec![ClaimStatus::Counted], to: ClaimStatus::Approved, reason: None, paid: None, expires_at: None };
        self.decide_claim(id, operator, change, "claim.approved", String::new()).await
    }

    /// Rejects a claim that is counted or approved; its trip and euros go back to the city's year.
    pub async fn reject_claim(&self, id: &str, operator: &str, reason: &str) -> Result<Decided, ClaimDeskError> {
        self.reject_claim_seen(id, operator, reason, None).await
    }

    /// Rejects a claim only while it is still in the state `seen` (the state the page showed,
    /// when it was one a rejection starts from): a claim approved meanwhile by someone else
    /// is then a conflict, not rejected behind their back.
    pub async fn reject_claim_seen(&self, id: &str, operator: &str, reason: &str, seen: Option<ClaimStatus>) -> Result<Decided, ClaimDeskError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ClaimDeskError::NoReason);
        }
        let rejectable = [ClaimStatus::Counted, ClaimStatus::Approved];
        let from = match seen {
            Some(s) if rejectable.contains(&s) => vec![s],
            _ => rejectable.to_vec(),
        };
        let change = ClaimChange {
            from,
            to: ClaimStatus::Rejected,
            reason: Some(reason.into()),
            paid: None,
            expires_at: retention::claim_end(&self.options.retention, ClaimStatus::Rejected, None, self.now().1),
        };
        self.decide_claim(id, operator, change, "claim.rejected", format!("reason: {reason}")).await
    }

    /// Records the payment of an approved claim: never more than the amount approved (the amount asked for);
    /// a payment below it gives its reason (kept as the paid claim's reason, told to the applicant), and only it.
    pub async fn record_payment(&self, id: &str, operator: &str, amount: Cents, on: Date, reason: Option<&str>) -> Result<Decided, ClaimDeskError> {
        if amount.0 <= 0 {
            return Err(ClaimDeskError::NothingPaid);
        }
        let id = &self.claim_id(id).await?;
        let Some(c) = self.timed(self.store.get_claim(id)).await? else { return Err(ClaimDeskError::NoClaim(id.into())) };
        // A claim that is not (or no longer) approved is refused for its state, whatever the amount (the write checks again).
        if c.status != ClaimStatus::Approved {
            return Err(ClaimDeskError::Conflict(c.status));
        }
        let reason = payment::payment(amount, c.amount, reason).map_err(|r| match r {
            PaymentRefusal::NothingPaid => ClaimDeskError::NothingPaid,
            PaymentRefusal::OverAsked => ClaimDeskError::OverApproved(amount, c.amount),
            PaymentRefusal::ReasonNeeded => ClaimDeskError::ReasonNeeded(amount, c.amount),
            PaymentRefusal::ReasonNotNeeded => ClaimDeskError::ReasonNotNeeded(c.amount),
        })?;
        let detail = match &reason {
            Some(r) => format!("{} on {on}; reason: {r}", amount.to_decimal()),
            None => format!("{} on {on}", amount.to_decimal()),
        };
        let change = ClaimChange {
            from: vec![ClaimStatus::Approved],
            to: ClaimStatus::Paid,
            reason,
            paid: Some((amount, on)),
            expires_at: retention::claim_end(&self.options.retention, ClaimStatus::Paid, Some(on), self.now().1),
        };
        self.decide_claim(id, operator, change, "claim.paid", detail).await
    }

    async fn decide_claim(&self, id: &str, operator: &str, change: ClaimChange, action: &str, detail: String) -> Result<Decided, ClaimDeskError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(ClaimDeskError::NoOperator);
        }
        let id = &self.claim_id(id).await?;
        let (now, _) = self.now();
        let audit = AuditEntry { at: now, actor: operator.into(), action: action.into(), subject: id.into(), detail };
        let claim = match self.store.transition_claim(id, change, audit).await {
            Ok(c) => c,
            Err(TransitionError::NotFound) => return Err(ClaimDeskError::NoClaim(id.into())),
            Err(e) => return Err(e.into()),
        };
        // The decision stands whether or not its email goes out; the desk says which.
        let event = self.catalogue().event(&claim.event_id).map(|e| e.title.clone()).unwrap_or_else(|| claim.event_id.clone());
        let leave = self.leave_link(&claim.email_key).await;
        let mail = messages::decision(self, &claim, &event, leave.as_deref());
        let emailed = self.send_mail(&mail).await.map_err(|e| e.to_string());
        Ok(Decided { claim, emailed })
    }
}

impl<S: Store> Forms<S> {
    /// Removes a person's data everywhere (see `Store::erase`), recorded without naming them.
    pub async fn erase(&self, email: &str, operator: &str) -> Result<Erased, DeskError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(DeskError::NoOperator);
        }
        let (now, _) = self.now();
        let audit = AuditEntry { at: now, actor: operator.into(), action: "person.erased".into(), subject: ERASED.into(), detail: String::new() };
        Ok(self.store.erase(&email_key(email), audit).await?)
    }
}

/// The address desk's emails link to (`Options::public_url`: scheme and host, no path): `given`
/// (`--base-url`, else `CCG_BASE_URL`), else the config's `base_url`. Outside the preview (on
/// DynamoDB, `preview` false) an address on a reserved example domain is refused: the emails
/// would send the person to nowhere.
pub fn site_address(given: Option<&str>, config_base_url: &str, preview: bool) -> Result<String, String> {
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    let (url, from) = match given {
        Some(g) => (g, format!("--base-url `{g}`")),
        None => (config_base_url, format!("base_url `{config_base_url}` of content/config.yaml")),
    };
    let host = ccg_model::site::url_host(url);
    if !(url.starts_with("https://") || url.starts_with("http://")) || host.is_empty() {
        return Err(format!("{from} is not a site address (https://host)"));
    }
    if !preview && ccg_model::site::is_example_domain(host) {
        return Err(format!(
            "{from} is on a reserved example domain ({host}): the emails would link to nowhere; give the site's real address with --base-url URL or CCG_BASE_URL"
        ));
    }
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    Ok(match url[scheme_end..].find(['/', '?', '#']) {
        Some(i) => url[..scheme_end + i].to_string(),
        None => url.to_string(),
    })
}

/// A registration whose link has not been used yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRegistration {
    pub registration: Registration,
    /// Unix seconds: when its link stops working.
    pub expires_at: i64,
}

/// Which claims the desk lists; `None` takes every value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    pub status: Option<ClaimStatus>,
    /// A city as typed (any case): its name or its key.
    pub city: Option<String>,
    pub year: Option<i16>,
    pub event: Option<String>,
}

impl ClaimFilter {
    fn admits(&self, c: &Claim) -> bool {
        let city = self.city.as_deref().map(fold);
        self.status.is_none_or(|s| s == c.status)
            && city.is_none_or(|w| fold(&c.city) == w || c.city_key == w)
            && self.year.is_none_or(|y| y == c.year)
            && self.event.as_deref().is_none_or(|e| e == c.event_id)
    }
}

/// What a city used in a year, and what the rules leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityYear {
    pub city_key: String,
    pub year: i16,
    pub used: YearUsage,
    pub left: YearUsage,
}

/// What the desk reads: the store's records as the secretariat asks for them.
impl<S: Store> Forms<S> {
    /// The registrations waiting for their link, oldest first.
    pub async fn pending_registrations(&self) -> Result<Vec<PendingRegistration>, StoreError> {
        let pending = self.store.list_pending(self.now().1).await?;
        Ok(pending
            .into_iter()
            .filter_map(|p| match p.item {
                PendingItem::Registration(registration) => Some(PendingRegistration { registration, expires_at: p.expires_at }),
                PendingItem::Claim(_) => None,
            })
            .collect())
    }

    /// Every contact, by email key.
    pub async fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        self.store.list_contacts().await
    }

    /// The claims `filter` admits, by year, city and meeting.
    pub async fn claims(&self, filter: &ClaimFilter) -> Result<Vec<Claim>, StoreError> {
        Ok(self.store.list_claims().await?.into_iter().filter(|c| filter.admits(c)).collect())
    }

    /// One claim, and when its records will be deleted (Unix seconds; `None` while it has no end yet).
    pub async fn claim(&self, id: &str) -> Result<Option<(Claim, Option<i64>)>, StoreError> {
        let id = &self.claim_id(id).await?;
        let Some(c) = self.store.get_claim(id).await? else { return Ok(None) };
        Ok(Some((c, self.store.claim_expires_at(id).await?)))
    }

    /// Each city's use of each year (of `year` only, when given), by year then city.
    pub async fn usage(&self, year: Option<i16>) -> Result<Vec<CityYear>, StoreError> {
        let rules = self.catalogue().rules.clone();
        Ok(self
            .store
            .list_usage()
            .await?
            .into_iter()
            .filter(|(_, y, _)| year.is_none_or(|w| w == *y))
            .map(|(city_key, year, used)| CityYear { city_key, year, used, left: rules.remaining(used) })
            .collect())
    }

    /// The audit trail, oldest first; only the part about an address or a claim id when `about` names one.
    pub async fn history(&self, about: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
        let only = about.map(|e| if e.contains('@') { email_key(e) } else { e.to_string() });
        Ok(self.store.list_audit().await?.into_iter().filter(|e| only.as_ref().is_none_or(|o| *o == e.subject)).collect())
    }

    /// Deletes what is past its retention now (see `Store::sweep`).
    pub async fn sweep(&self) -> Result<Option<Swept>, StoreError> {
        self.store.sweep(self.now().1).await
    }
}

/// One line saying what a sweep deleted (counts only).
pub fn swept_summary(s: &Swept) -> String {
    format!(
        "{} unconfirmed submission(s), {} declined contact(s), {} claim(s), {} history line(s) deleted or blanked, {} kept answer(s), {} leave item(s) of former contacts, {} expired sign-in item(s)",
        s.pending, s.contacts, s.claims, s.history_lines, s.idempotency, s.leave_links, s.sign_in
    )
}
