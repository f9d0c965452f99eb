//! How the site writes dates and spans of days, in pages, answers and emails alike.

use jiff::civil::Date;

/// "16 March 2027".
pub fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// "1 day", "3 days".
pub fn days(n: u32) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

/// "3 days before the meeting starts", "the day it ends".
pub fn relative(n: u32, side: &str, moment: &str) -> String {
    if n == 0 { format!("the day {moment}") } else { format!("{} {side} {moment}", days(n)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans_read_as_the_site_writes_them() {
        assert_eq!(long_date(Date::constant(2027, 3, 6)), "6 March 2027");
        assert_eq!(days(1), "1 day");
        assert_eq!(days(3), "3 days");
        assert_eq!(relative(0, "before", "it ends"), "the day it ends");
        assert_eq!(relative(2, "before", "the meeting starts"), "2 days before the meeting starts");
    }
}
