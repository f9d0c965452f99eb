//! What leaving (through a link) or an erasure (by the secretariat) does to a
//! person's records: the same decision for both, in both stores.

use crate::records::{Claim, ClaimStatus};

/// What replaces a person's name and address where a record must stay.
pub const ERASED: &str = "[erased]";

/// What `erase` removed or blanked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub contacts: usize,
    pub pending: usize,
    /// Claims deleted whole: rejected or withdrawn ones, and those not decided
    /// yet (withdrawn, their trip and euros back to the city's year).
    pub claims_deleted: usize,
    /// Of those, the ones not decided yet (counted): withdrawn, their trip and euros back.
    pub claims_withdrawn: usize,
    /// Approved and paid claims kept for the payment record (until their
    /// retention ends), with the name and address replaced by `ERASED`.
    pub claims_kept: usize,
    /// Lines of the history whose subject (the address) was replaced by `ERASED`.
    pub history_lines: usize,
}

/// A contact's leave links as a store keeps them: whose they are, and the
/// hashes of the secrets emailed (one id per address, `token::leave_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveLink {
    pub email_key: String,
    pub hashes: Vec<String>,
}

/// Whose data a leave link removes: the link is kept, the secret is one that
/// was emailed, and the person is still a contact (`contact_exists`, read
/// for `link.email_key`). `None` otherwise: one answer for unknown, wrong and
/// gone alike, so guessing learns nothing.
pub fn who_leaves<'a>(link: Option<&'a LeaveLink>, token_hash: &str, contact_exists: bool) -> Option<&'a str> {
    let link = link?;
    (contact_exists && link.hashes.iter().any(|h| h == token_hash)).then_some(link.email_key.as_str())
}

/// What becomes of one of a leaving person's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Kept, without its claimant (`anonymised`).
    Keep(Box<Claim>),
    /// Deleted; `gives_back`: it still counted, so its trip and euros go back to the city's year.
    Delete { gives_back: bool },
}

/// An approved claim is a promise of payment and a paid one a payment's
/// record: kept, anonymised; every other claim is deleted (one that still
/// counts gives its trip back).
pub fn fate(c: &Claim) -> Fate {
    if kept_on_erase(c.status) { Fate::Keep(Box::new(anonymised(c))) } else { Fate::Delete { gives_back: c.status.counts() } }
}

/// One line saying what an erasure removed (no personal data: counts only), as
/// its audit line and the desk say it.
impl std::fmt::Display for Erased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} contact(s), {} pending submission(s), {} claim(s) deleted ({} of them not decided yet, withdrawn), {} approved or paid claim(s) kept without name and address, {} history line(s) blanked",
            self.contacts, self.pending, self.claims_deleted, self.claims_withdrawn, self.claims_kept, self.history_lines
        )
    }
}

impl Erased {
    /// Counts one claim's fate.
    pub fn count(&mut self, fate: &Fate) {
        match fate {
            Fate::Keep(_) => self.claims_kept += 1,
            Fate::Delete { gives_back } => {
                self.claims_deleted += 1;
                self.claims_withdrawn += usize::from(*gives_back);
            }
        }
    }
}

/// Whether an erasure (or a person leaving) keeps a claim, anonymised.
pub fn kept_on_erase(status: ClaimStatus) -> bool {
    matches!(status, ClaimStatus::Approved | ClaimStatus::Paid)
}

/// A kept claim without its claimant: the same in both stores.
pub fn anonymised(c: &Claim) -> Claim {
    Claim { name: ERASED.into(), email: ERASED.into(), email_key: format!("{ERASED} {}", c.id), link_hashes: Vec::new(), ..c.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leave_link_works_with_a_secret_emailed_while_its_contact_is_there() {
        let link = LeaveLink { email_key: "ana@x.eu".into(), hashes: vec!["h1".into(), "h2".into()] };
        assert_eq!(who_leaves(Some(&link), "h2", true), Some("ana@x.eu"));
        assert_eq!(who_leaves(Some(&link), "h3", true), None, "a secret never emailed");
        assert_eq!(who_leaves(Some(&link), "h1", false), None, "left or erased already");
        assert_eq!(who_leaves(None, "h1", true), None);
    }

    #[test]
    fn approved_and_paid_claims_are_kept_anonymised_the_rest_deleted() {
        use crate::records::ClaimStatus::*;
        assert!(kept_on_erase(Approved) && kept_on_erase(Paid));
        assert!(!kept_on_erase(Counted) && !kept_on_erase(Rejected) && !kept_on_erase(Withdrawn));
        let kept = Claim {
            id: "clm_1".into(),
            name: "Ana".into(),
            email: "Ana@x.eu".into(),
            email_key: "ana@x.eu".into(),
            city: "Valladolid".into(),
            city_key: "ES:valladolid".into(),
            country: "ES".into(),
            event_id: "e1".into(),
            year: 2027,
            travel_start: jiff::civil::date(2027, 3, 15),
            travel_end: jiff::civil::date(2027, 3, 17),
            amount: ccg_model::Cents(100),
            transport: ccg_model::Cents(100),
            accommodation: ccg_model::Cents(0),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            confirmed_at: Some(jiff::Timestamp::UNIX_EPOCH),
            status: Approved,
            link_id: "pnd_1".into(),
            link_hashes: vec!["h".into()],
            reason: None,
            paid: None,
            paid_on: None,
            contribution_key: "c0ffee".into(),
            reference: Some("CCG-2027-0001".into()),
        };
        let Fate::Keep(a) = fate(&kept) else { panic!("an approved claim is kept") };
        assert_eq!((a.name.as_str(), a.email.as_str(), a.email_key.as_str()), (ERASED, ERASED, "[erased] clm_1"));
        assert!(a.link_hashes.is_empty());
        // What the one-contribution rule needs, and the name people know it by, stay.
        assert_eq!((a.contribution_key.as_str(), a.reference.as_deref()), ("c0ffee", Some("CCG-2027-0001")));
        assert_eq!(fate(&Claim { status: Counted, ..kept }), Fate::Delete { gives_back: true });
        let mut e = Erased::default();
        e.count(&Fate::Delete { gives_back: true });
        e.count(&Fate::Delete { gives_back: false });
        assert_eq!((e.claims_deleted, e.claims_withdrawn, e.claims_kept), (2, 1, 0));
    }
}
