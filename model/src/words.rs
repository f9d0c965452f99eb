//! How the site writes dates and spans of days, in pages, answers and emails alike.

use jiff::civil::Date;

/// "16 March 2027".
pub fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// The days of a meeting: "16 March 2027", "16–17 March 2027", "30 March – 1 April 2027".
pub fn day_span(first: Date, last: Date) -> String {
    if first >= last {
        long_date(first)
    } else if (first.year(), first.month()) == (last.year(), last.month()) {
        format!("{}–{}", first.day(), long_date(last))
    } else if first.year() == last.year() {
        format!("{} – {}", first.strftime("%-d %B"), long_date(last))
    } else {
        format!("{} – {}", long_date(first), long_date(last))
    }
}

/// "1 day", "3 days".
pub fn days(n: u32) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

/// A number of minutes in the largest whole unit: "15 minutes", "8 hours", "60 days".
pub fn minutes(m: u32) -> String {
    let count = |n: u32, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    match m {
        m if m >= 1440 && m % 1440 == 0 => count(m / 1440, "day"),
        m if m >= 60 && m % 60 == 0 => count(m / 60, "hour"),
        m => count(m, "minute"),
    }
}

/// "3 days before the meeting starts", "the day it ends".
pub fn relative(n: u32, side: &str, moment: &str) -> String {
    if n == 0 { format!("the day {moment}") } else { format!("{} {side} {moment}", days(n)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_told_in_their_largest_whole_unit() {
        let w = minutes;
        assert_eq!([w(1), w(15), w(60), w(90), w(480), w(1440), w(86400)], ["1 minute", "15 minutes", "1 hour", "90 minutes", "8 hours", "1 day", "60 days"]);
    }

    #[test]
    fn dates_and_spans_read_as_the_site_writes_them() {
        assert_eq!(long_date(Date::constant(2027, 3, 6)), "6 March 2027");
        assert_eq!(day_span(Date::constant(2027, 3, 16), Date::constant(2027, 3, 16)), "16 March 2027");
        assert_eq!(day_span(Date::constant(2027, 3, 16), Date::constant(2027, 3, 17)), "16–17 March 2027");
        assert_eq!(day_span(Date::constant(2027, 3, 30), Date::constant(2027, 4, 1)), "30 March – 1 April 2027");
        assert_eq!(day_span(Date::constant(2027, 12, 31), Date::constant(2028, 1, 1)), "31 December 2027 – 1 January 2028");
        assert_eq!(days(1), "1 day");
        assert_eq!(days(3), "3 days");
        assert_eq!(relative(0, "before", "it ends"), "the day it ends");
        assert_eq!(relative(2, "before", "the meeting starts"), "2 days before the meeting starts");
    }
}

/// A file's size as people read it: "77 bytes", "12 KB", "3.4 MB", "10 MB".
pub fn file_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KB", b.div_ceil(1024)),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)).replace(".0 MB", " MB"),
    }
}

#[cfg(test)]
mod file_size_tests {
    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(super::file_size(77), "77 bytes");
        assert_eq!(super::file_size(2048), "2 KB");
        assert_eq!(super::file_size(2049), "3 KB");
        assert_eq!(super::file_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(super::file_size(3_565_158), "3.4 MB");
    }
}
