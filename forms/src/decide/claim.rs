//! A claim's confirmation (is it counted, and with what contribution) and its
//! later changes of state.

use super::link::{ConfirmError, check_link};
use crate::records::{Claim, ClaimStatus, Contact, DraftClaim, Pending, PendingItem};
use ccg_model::rules::YearUsage;
use ccg_model::{Catalogue, Cents, Refusal, TravelRules};
use jiff::civil::Date;
use std::collections::BTreeSet;

/// What a claim's confirmation depends on, as the store read it (inside its
/// transaction, or to be held by its write's conditions).
#[derive(Debug, Clone, Copy)]
pub struct ClaimFacts<'a> {
    /// The pending record behind the link; `None` when unknown or expired.
    pub pending: Option<&'a Pending>,
    /// Whether the claim's meeting, as it stands now, still takes claims
    /// (`OpenMeetings::takes_claims`, on the catalogue the service holds).
    pub meeting_open: bool,
    /// The hash of the link's secret.
    pub token_hash: &'a str,
    /// The claimant's contact as stored.
    pub contact: Option<&'a Contact>,
    /// Whether the claimant already has a counting claim for the meeting.
    pub already_claimed: bool,
    /// What the claim's city has used of the claim's year.
    pub used: YearUsage,
    /// The claimant's `contribution_key` for the meeting, which the counted claim keeps.
    pub contribution_key: &'a str,
}

/// The meetings that take claims at a confirmation's moment, by id: judged
/// on the catalogue the service holds now by `Catalogue::meeting_for_claims`,
/// the judgement the claim form made when the claim was sent. A meeting
/// cancelled, no longer announced or published, or whose claim window has
/// closed since is not in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenMeetings(BTreeSet<String>);

impl OpenMeetings {
    /// The meetings of `cat` that take claims on `today` (drafts too with `drafts`: the preview).
    pub fn on(cat: &Catalogue, drafts: bool, today: Date) -> OpenMeetings {
        OpenMeetings(cat.events.iter().filter(|e| cat.meeting_for_claims(&e.id, drafts, today).is_ok()).map(|e| e.id.clone()).collect())
    }
    /// These meetings, by id (tests of the stores, which have no catalogue).
    pub fn of<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> OpenMeetings {
        OpenMeetings(ids.into_iter().map(Into::into).collect())
    }
    pub fn takes_claims(&self, event_id: &str) -> bool {
        self.0.contains(event_id)
    }
}

/// A claim counted by its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimOutcome {
    pub claim: Claim,
    /// The city's usage of the claim's year once this claim is counted.
    pub used: YearUsage,
}

/// The pending record and the claim it holds, if its link may be used now;
/// `Invalid` also for a registration's link used on the claim page. The
/// stores call it first, to know what else to read.
pub fn claim_link<'a>(p: Option<&'a Pending>, token_hash: &str, now_secs: i64) -> Result<(&'a Pending, &'a DraftClaim), ConfirmError> {
    check_link(p, token_hash, now_secs)?;
    match p {
        Some(p @ Pending { item: PendingItem::Claim(c), .. }) => Ok((p, c)),
        _ => Err(ConfirmError::Invalid),
    }
}

/// Whether the confirmation counts, in the order a person is told: the link,
/// the meeting still takes claims (else `MeetingClosed`: nothing is counted
/// and the link stays usable), still a representative of the claim's city, one contribution per person and
/// meeting, then the year's limits (`TravelRules::count`: the contribution is
/// what the year has left, if less than asked). The counted claim keeps the
/// link's id and secrets' hashes, so the same link shows it later.
pub fn confirm_claim(f: &ClaimFacts<'_>, rules: &TravelRules, now: jiff::Timestamp, now_secs: i64) -> Result<ClaimOutcome, ConfirmError> {
    let (p, c) = claim_link(f.pending, f.token_hash, now_secs)?;
    if !f.meeting_open {
        return Err(ConfirmError::Refused(Refusal::MeetingClosed));
    }
    if !f.contact.is_some_and(|k| k.represents(&c.city_key)) {
        return Err(ConfirmError::Refused(Refusal::NotRepresentative));
    }
    if f.already_claimed {
        return Err(ConfirmError::Refused(Refusal::AlreadyClaimed));
    }
    let (amount, used) = rules.count(f.used, c.amount).map_err(ConfirmError::Refused)?;
    let mut claim = counted(c, amount, now, p);
    claim.contribution_key = f.contribution_key.to_string();
    Ok(ClaimOutcome { claim, used })
}

/// The draft `d` counted at `now` with the contribution `amount`, through the link of `p`.
fn counted(d: &DraftClaim, amount: Cents, now: jiff::Timestamp, p: &Pending) -> Claim {
    Claim {
        id: d.id.clone(),
        name: d.name.clone(),
        email: d.email.clone(),
        email_key: d.email_key.clone(),
        city: d.city.clone(),
        city_key: d.city_key.clone(),
        country: d.country.clone(),
        event_id: d.event_id.clone(),
        year: d.year,
        travel_start: d.travel_start,
        travel_end: d.travel_end,
        amount,
        transport: d.transport,
        accommodation: d.accommodation,
        created_at: d.created_at,
        confirmed_at: Some(now),
        status: ClaimStatus::Counted,
        link_id: p.id.clone(),
        link_hashes: p.token_hashes.clone(),
        reason: None,
        paid: None,
        paid_on: None,
        contribution_key: String::new(),
        reference: None,
    }
}

/// A change of a claim's state, by the secretariat or its claimant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimChange {
    /// The states it may be changed from; any other is a conflict.
    pub from: Vec<ClaimStatus>,
    pub to: ClaimStatus,
    pub reason: Option<String>,
    pub paid: Option<(Cents, Date)>,
    /// When the claim reaches its end with this change (paid, rejected,
    /// withdrawn): the Unix second from which its records may be deleted, set
    /// on all of them in the same atomic step (`retention::claim_end`).
    pub expires_at: Option<i64>,
}

impl ClaimChange {
    /// The claim after the change (`transition` checks `from`).
    pub fn apply(&self, c: &Claim) -> Claim {
        let mut new = c.clone();
        new.status = self.to;
        if self.reason.is_some() {
            new.reason = self.reason.clone();
        }
        if let Some((amount, on)) = self.paid {
            new.paid = Some(amount);
            new.paid_on = Some(on);
        }
        new
    }
    /// Whether the change hands the claim's trip and euros back to its city's year.
    pub fn gives_back(&self, from: ClaimStatus) -> bool {
        from.counts() && !self.to.counts()
    }
}

/// The claim after `change`, and whether it gives its trip and euros back;
/// or, when the claim is in a state the change does not start from, that state.
/// Whether its claimant may still withdraw a claim in this state: until the secretariat decides it.
pub fn withdrawable(status: ClaimStatus) -> bool {
    status == ClaimStatus::Counted
}

/// Its claimant withdraws a claim (by its emailed link or from their page):
/// its trip and euros go back to the city; `expires_at` is its end (`retention::claim_end`).
pub fn withdrawal(expires_at: Option<i64>) -> ClaimChange {
    ClaimChange { from: vec![ClaimStatus::Counted], to: ClaimStatus::Withdrawn, reason: None, paid: None, expires_at }
}

pub fn transition(change: &ClaimChange, old: &Claim) -> Result<(Claim, bool), ClaimStatus> {
    if !change.from.contains(&old.status) {
        return Err(old.status);
    }
    Ok((change.apply(old), change.gives_back(old.status)))
}
