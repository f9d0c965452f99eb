//! When a record's time is up.

use crate::records::ClaimStatus;
use ccg_model::site::RetentionConfig;
use jiff::civil::Date;

/// The Unix second from which a claim moved to `to` at `now_secs` may be
/// deleted with its history: a paid one some years after its payment day, a
/// rejected or withdrawn one after the decision; none while it is open.
pub fn claim_end(retention: &RetentionConfig, to: ClaimStatus, paid_on: Option<Date>, now_secs: i64) -> Option<i64> {
    match to {
        ClaimStatus::Paid => paid_on.map(|on| retention.paid_claim_until(on)),
        ClaimStatus::Rejected | ClaimStatus::Withdrawn => Some(retention.closed_claim_until(now_secs)),
        ClaimStatus::Counted | ClaimStatus::Approved => None,
    }
}

/// Whether a record with this end is due for deletion at `now_secs`.
pub fn due(expires_at: Option<i64>, now_secs: i64) -> bool {
    expires_at.is_some_and(|end| end <= now_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_claims_have_no_end_and_closed_ones_do() {
        let r = RetentionConfig::default();
        assert_eq!(claim_end(&r, ClaimStatus::Counted, None, 0), None);
        assert_eq!(claim_end(&r, ClaimStatus::Approved, None, 0), None);
        assert_eq!(claim_end(&r, ClaimStatus::Withdrawn, None, 1_000), Some(r.closed_claim_until(1_000)));
        let on = Date::constant(2027, 5, 1);
        assert_eq!(claim_end(&r, ClaimStatus::Paid, Some(on), 1_000), Some(r.paid_claim_until(on)));
        assert!(due(Some(5), 5) && !due(Some(6), 5) && !due(None, 5));
    }
}
