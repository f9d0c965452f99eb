//! Money as integer euro cents: never floating point.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("enter an amount in euros, like 412.50")]
    Malformed,
    #[error("use at most two decimals (cents)")]
    TooPrecise,
    #[error("the amount is too large")]
    TooLarge,
}

impl Cents {
    pub fn from_euros(euros: i64) -> Cents {
        Cents(euros * 100)
    }

    /// Parses a decimal euro amount typed by a person: `412`, `412.5`, `412.50`,
    /// `412,50`, optionally with a leading `€`/trailing `EUR`. No sign, no
    /// thousands separators (a `.` or `,` is always the decimal mark).
    pub fn parse_eur(input: &str) -> Result<Cents, MoneyError> {
        let s = input.trim();
        let s = s.strip_prefix('€').unwrap_or(s);
        let s = s.strip_suffix("EUR").or_else(|| s.strip_suffix("eur")).unwrap_or(s).trim();
        let (whole, frac) = match s.find(['.', ',']) {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || (s.len() > whole.len() && frac.is_empty()) {
            return Err(MoneyError::Malformed);
        }
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
        for bad in ["", "abc", "-5", "1e3", "1.2.3", "12.", ".5", "1 000", "NaN", "4.5.0"] {
            assert_eq!(Cents::parse_eur(bad), Err(MoneyError::Malformed), "{bad}");
        }
        assert_eq!(Cents::parse_eur("1.234"), Err(MoneyError::TooPrecise));
        assert_eq!(Cents::parse_eur("9999999999999"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn formats() {
        assert_eq!(Cents(45000).to_string(), "450 EUR");
        assert_eq!(Cents(41250).to_string(), "412.50 EUR");
        assert_eq!(Cents(5).to_decimal(), "0.05");
    }
}
