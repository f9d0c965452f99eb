//! Whether a payment may be recorded on an approved claim, and with which
//! reason: never above the amount asked for; below it only with the reason
//! (kept as the paid claim's reason and told to the applicant); the full
//! amount with none.

use ccg_model::Cents;
use std::cmp::Ordering;

/// Why a payment is not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentRefusal {
    /// Nothing, or less than nothing, paid.
    NothingPaid,
    /// More than the amount asked for.
    OverAsked,
    /// Less than the amount asked for, and no reason given.
    ReasonNeeded,
    /// The full amount, with a reason: there is nothing to explain.
    ReasonNotNeeded,
}

/// The reason a payment of `paid` on a claim that asked for `asked` is
/// recorded with (`reason` trimmed; a blank one is none), or why it is refused.
pub fn payment(paid: Cents, asked: Cents, reason: Option<&str>) -> Result<Option<String>, PaymentRefusal> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if paid.0 <= 0 {
        return Err(PaymentRefusal::NothingPaid);
    }
    match (paid.cmp(&asked), reason) {
        (Ordering::Greater, _) => Err(PaymentRefusal::OverAsked),
        (Ordering::Less, None) => Err(PaymentRefusal::ReasonNeeded),
        (Ordering::Equal, Some(_)) => Err(PaymentRefusal::ReasonNotNeeded),
        (_, r) => Ok(r.map(String::from)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_the_amount_asked_only_with_a_reason_and_the_full_amount_without() {
        let asked = Cents(45000);
        assert_eq!(payment(Cents(45000), asked, None), Ok(None));
        assert_eq!(payment(Cents(40000), asked, Some("  Train ticket only ")), Ok(Some("Train ticket only".into())));
        assert_eq!(payment(Cents(40000), asked, None), Err(PaymentRefusal::ReasonNeeded));
        assert_eq!(payment(Cents(40000), asked, Some("   ")), Err(PaymentRefusal::ReasonNeeded), "a blank reason is none");
        assert_eq!(payment(Cents(45000), asked, Some("why")), Err(PaymentRefusal::ReasonNotNeeded));
        assert_eq!(payment(Cents(45000), asked, Some(" ")), Ok(None));
        assert_eq!(payment(Cents(45001), asked, Some("why")), Err(PaymentRefusal::OverAsked));
        assert_eq!(payment(Cents(0), asked, Some("why")), Err(PaymentRefusal::NothingPaid));
        assert_eq!(payment(Cents(-1), asked, None), Err(PaymentRefusal::NothingPaid));
    }
}
