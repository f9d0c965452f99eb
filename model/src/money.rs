//! Money as integer euro cents: never floating point.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("enter an amount in euros, like 312,40 or 1 200")]
    Malformed,
    #[error("use at most two decimals (cents)")]
    TooPrecise,
    /// One `.` or `,` followed by exactly three digits (`1.234`, `1,234`):
    /// thousands in one notation, decimals in the other. Refused, not guessed.
    #[error("write the amount without a separator between the thousands (1234) or with two decimals (1,23)")]
    Ambiguous,
    #[error("the amount is too large")]
    TooLarge,
}

/// The characters that may group thousands besides `.` and `,`: a space, a
/// no-break space, a narrow no-break space and a thin space.
const SPACES: [char; 4] = [' ', '\u{00A0}', '\u{202F}', '\u{2009}'];

impl Cents {
    pub fn from_euros(euros: i64) -> Cents {
        Cents(euros * 100)
    }

    /// Parses an amount of euros typed by a person, in European or English
    /// notation. The rule, in this order:
    /// - the currency may be written once, before or after: `€`, `EUR` (any case);
    /// - with both `.` and `,`, the last one is the decimal mark and the other
    ///   groups thousands: `1.200,50` and `1,200.50` are both 1200.50;
    /// - a mark used more than once groups thousands: `1.200.000`;
    /// - a single mark followed by one or two digits is the decimal mark:
    ///   `312,40`, `412.5`;
    /// - a single mark followed by exactly three digits, after one to three
    ///   digits (`1.234`, `1,234`), is thousands in one notation and decimals
    ///   in the other: refused as [`MoneyError::Ambiguous`], never guessed;
    /// - spaces may group thousands: `1 200`, `1 200,50`;
    /// - groups of thousands are exactly three digits, after a first group of
    ///   one to three; at most two decimals; no sign, no exponent.
    pub fn parse_eur(input: &str) -> Result<Cents, MoneyError> {
        let s = strip_currency(input.trim());
        let marks: Vec<(usize, char)> = s.char_indices().filter(|&(_, c)| c == '.' || c == ',').collect();
        // The decimal mark's place, if there is one.
        let decimal = match marks.as_slice() {
            [] => None,
            [(i, _)] => {
                let (whole, frac) = (&s[..*i], &s[i + 1..]);
                let could_group = (1..=3).contains(&whole.len()) && digits(whole) && !whole.starts_with('0');
                if frac.len() == 3 && digits(frac) && could_group {
                    return Err(MoneyError::Ambiguous);
                }
                Some(*i)
            }
            [rest @ .., (i, last)] => {
                if rest.iter().all(|m| m.1 == *last) {
                    None // One mark, many times: it groups thousands.
                } else if rest.iter().all(|m| m.1 != *last) {
                    Some(*i) // The last mark differs from all before it: the decimal mark.
                } else {
                    return Err(MoneyError::Malformed);
                }
            }
        };
        let (whole, frac) = match decimal {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, ""),
        };
        if decimal.is_some() && (frac.is_empty() || !digits(frac)) {
            return Err(MoneyError::Malformed);
        }
        let whole = ungroup(whole).ok_or(MoneyError::Malformed)?;
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        if whole.len() > 12 {
            return Err(MoneyError::TooLarge);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Malformed)?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| MoneyError::Malformed)? };
        Ok(Cents(whole * 100 + frac))
    }

    /// `412.50`: the canonical decimal form used in JSON and CSV.
    pub fn to_decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", a / 100, a % 100)
    }
}

fn digits(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
}

/// The amount without its currency (`€`, `EUR`, in any case, before or after, once).
fn strip_currency(s: &str) -> &str {
    let upper = s.to_ascii_uppercase();
    let cut = if let Some(r) = s.strip_prefix('€') {
        r
    } else if let Some(r) = s.strip_suffix('€') {
        r
    } else if upper.starts_with("EUR") {
        &s[3..]
    } else if upper.ends_with("EUR") {
        &s[..s.len() - 3]
    } else {
        s
    };
    cut.trim_matches(|c: char| c.is_whitespace())
}

/// The digits of a whole number of euros, its thousands grouped (by `.`, `,`
/// or a space, one kind) or not: a first group of one to three digits, then
/// groups of exactly three. `None` when it is not such a number.
fn ungroup(whole: &str) -> Option<String> {
    let sep = whole.chars().find(|c| !c.is_ascii_digit());
    let Some(sep) = sep else { return digits(whole).then(|| whole.to_string()) };
    if !(sep == '.' || sep == ',' || SPACES.contains(&sep)) {
        return None;
    }
    let groups: Vec<&str> = whole.split(sep).collect();
    let first_ok = (1..=3).contains(&groups[0].len()) && digits(groups[0]);
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3 && digits(g));
    (first_ok && rest_ok).then(|| groups.concat())
}

/// Shown to people: `450 EUR` or `412.50 EUR`.
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 100 == 0 { write!(f, "{} EUR", self.0 / 100) } else { write!(f, "{} EUR", self.to_decimal()) }
    }
}

/// In content YAML an amount is whole euros (`450`) or a decimal string (`"412.50"`).
impl<'de> serde::Deserialize<'de> for Cents {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Cents;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount in euros: whole euros like 450, or text like \"412.50\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Cents, E> {
                i64::try_from(v).ok().and_then(|v| v.checked_mul(100)).map(Cents).ok_or_else(|| E::custom("amount too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Cents, E> {
                if v < 0 { Err(E::custom("amount must not be negative")) } else { self.visit_u64(v as u64) }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Cents, E> {
                Cents::parse_eur(v).map_err(|e| E::custom(format!("`{v}`: {e}")))
            }
        }
        d.deserialize_any(V)
    }
}

impl serde::Serialize for Cents {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_decimal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Cents::parse_eur("412.50"), Ok(Cents(41250)));
        assert_eq!(Cents::parse_eur("412,5"), Ok(Cents(41250)));
        assert_eq!(Cents::parse_eur(" 450 "), Ok(Cents(45000)));
        assert_eq!(Cents::parse_eur("€12.05"), Ok(Cents(1205)));
        assert_eq!(Cents::parse_eur("0.01"), Ok(Cents(1)));
        assert_eq!(Cents::parse_eur("3 EUR"), Ok(Cents(300)));
    }

    #[test]
    fn rejects_the_rest() {
        // "1 000" was refused before issue 18; spaces now group thousands (`european_notation`).
        for bad in [
            "",
            "abc",
            "-5",
            "1e3",
            "1.2.3",
            "12.",
            ".5",
            "NaN",
            "4.5.0",
            "1,200.000.5",
            "1.20.000",
            "12 34",
            "1 2000",
            "€",
            "EUR",
            "€ 5 EUR",
            "5 $",
            "1.2,3",
            "1,2,3",
        ] {
            assert_eq!(Cents::parse_eur(bad), Err(MoneyError::Malformed), "{bad}");
        }
        assert_eq!(Cents::parse_eur("1.2345"), Err(MoneyError::TooPrecise));
        assert_eq!(Cents::parse_eur("0,125"), Err(MoneyError::TooPrecise), "no thousands begin with 0: three decimals");
        assert_eq!(Cents::parse_eur("1234.567"), Err(MoneyError::TooPrecise), "four digits before: three decimals");
        assert_eq!(Cents::parse_eur("1.200,505"), Err(MoneyError::TooPrecise));
        assert_eq!(Cents::parse_eur("9999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(Cents::parse_eur("9.999.999.999.999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn european_notation() {
        for (typed, cents) in [
            ("312,40 €", 31240),
            ("312,40€", 31240),
            ("€ 312,40", 31240),
            ("1.200,50", 120050),
            ("1 200", 120000),
            ("1\u{00A0}200,5", 120050),
            ("1\u{202F}200", 120000),
            ("EUR 450", 45000),
            ("450 EUR", 45000),
            ("450 eur", 45000),
            ("eur450", 45000),
            ("1,200.50", 120050),
            ("1.200.000", 120_000_000),
            ("1,200,000.5", 120_000_050),
            ("1 200 000,05", 120_000_005),
            ("12,5", 1250),
        ] {
            assert_eq!(Cents::parse_eur(typed), Ok(Cents(cents)), "{typed}");
        }
    }

    #[test]
    fn thousands_or_decimals_is_refused_not_guessed() {
        // "1.234" is 1234 euros in European notation and 1.234 in English.
        for typed in ["1.234", "1,234", "12.345 €", "EUR 123,456", "999.000"] {
            assert_eq!(Cents::parse_eur(typed), Err(MoneyError::Ambiguous), "{typed}");
        }
        // Said unambiguously, each reads.
        assert_eq!(Cents::parse_eur("1234"), Ok(Cents(123400)));
        assert_eq!(Cents::parse_eur("1.234,00"), Ok(Cents(123400)));
        assert_eq!(Cents::parse_eur("1,23"), Ok(Cents(123)));
    }

    #[test]
    fn formats() {
        assert_eq!(Cents(45000).to_string(), "450 EUR");
        assert_eq!(Cents(41250).to_string(), "412.50 EUR");
        assert_eq!(Cents(5).to_decimal(), "0.05");
    }
}
