//! A claim's reference, the name a person reads out on the phone or writes in
//! an email: `CCG-2027-0042`. The prefix, the claim's year (the year it
//! counts in) and its number in that year, zero-padded to four digits and
//! longer past 9999. The stores hand out the numbers: each once, in order,
//! so a reference is never given twice; a number taken by a confirmation
//! that then failed is a gap, never reused.

use crate::records::Claim;

const PREFIX: &str = "CCG";

/// The reference of the `number`-th claim counted in `year`.
pub fn reference(year: i16, number: u64) -> String {
    format!("{PREFIX}-{year}-{number:04}")
}

/// The claim counted with the reference of `number` in its year.
pub fn numbered(mut claim: Claim, number: u64) -> Claim {
    claim.reference = Some(reference(claim.year, number));
    claim
}

/// The year and number of a reference as a person may type it (any letter
/// case, blanks around it); `None` when it is not one.
pub fn parse_reference(text: &str) -> Option<(i16, u64)> {
    let text = text.trim().to_ascii_uppercase();
    let mut parts = text.split('-');
    let (prefix, year, number) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if prefix != PREFIX || parts.next().is_some() || year.len() != 4 || !digits(year) || number.len() < 4 || !digits(number) {
        return None;
    }
    let (year, number): (i16, u64) = (year.parse().ok()?, number.parse().ok()?);
    // One text per reference: `0042`, never `00042`.
    (number > 0 && reference(year, number) == text).then_some((year, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_four_digits_and_grow_past_them() {
        assert_eq!(reference(2027, 1), "CCG-2027-0001");
        assert_eq!(reference(2027, 42), "CCG-2027-0042");
        assert_eq!(reference(2027, 9999), "CCG-2027-9999");
        assert_eq!(reference(2027, 10000), "CCG-2027-10000");
    }

    #[test]
    fn a_typed_reference_reads_back() {
        for n in [1, 42, 9999, 10000, 123_456] {
            assert_eq!(parse_reference(&reference(2027, n)), Some((2027, n)));
        }
        assert_eq!(parse_reference(" ccg-2027-0042 "), Some((2027, 42)));
        for bad in
            ["", "CCG-2027", "CCG-2027-42", "CCG-2027-00042", "CCG-2027-0000", "XYZ-2027-0042", "CCG-27-0042", "CCG-2027-0042-1", "clm_0042", "CCG-2027-+042"]
        {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
    }
}
