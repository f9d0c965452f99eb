//! RFC 5545 on the wire: TEXT escaping, parameter values, and lines folded
//! at 75 octets on character boundaries.
//!
//! The `icalendar` crate builds the calendar, but left alone it escapes only
//! the properties it knows as TEXT (not NAME nor CATEGORIES, and never a bare
//! CR) and folds with a character/byte mix-up. So values are normalised and
//! escaped here where the crate does not, and its output is unfolded and
//! folded again.

use icalendar::Calendar;

/// TEXT escaping of RFC 5545 section 3.3.11, for properties the crate passes through.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in normalize_newlines(s).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The crate turns `\n` into `\\n` but would leave a CR in the value.
pub(crate) fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// A parameter value (RFC 5545 section 3.1) from any text: a DQUOTE cannot
/// appear in one, quoted or not, so it becomes an apostrophe; control
/// characters (a line break would end the content line) become spaces. The
/// crate then puts the value in DQUOTEs when it holds a ":", ";" or ",".
pub fn param_value(s: &str) -> String {
    let v: String = s
        .chars()
        .map(|c| {
            if c == '"' {
                '\''
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    // A value the crate sees starting and ending in a DQUOTE is passed as is; none is left here.
    v.trim().to_string()
}

/// Splits a content line into physical lines of at most 75 octets without
/// cutting a UTF-8 character; continuation lines start with one space.
pub fn fold(line: &str, out: &mut String) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
}

/// Logical lines of a calendar (its folding undone).
pub fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split("\r\n") {
        if let Some(cont) = physical.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.push_str(cont);
            continue;
        }
        if !physical.is_empty() {
            lines.push(physical.to_string());
        }
    }
    lines
}

/// The calendar's text, folded here rather than by the crate.
pub(crate) fn finish(cal: &Calendar) -> String {
    let mut out = String::with_capacity(4096);
    for line in unfold(&cal.to_string()) {
        fold(&line, &mut out);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every line ends in CRLF, no physical line is over 75 octets, and none
    /// splits a UTF-8 character (each is valid UTF-8 on its own).
    pub fn assert_wire_format(bytes: &[u8]) {
        assert!(bytes.ends_with(b"\r\n"));
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                assert_eq!(bytes[i - 1], b'\r', "bare LF at {i}");
            }
            if *b == b'\r' {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
        }
        let body = &bytes[..bytes.len() - 2];
        for line in body.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= 75, "line of {} octets: {:?}", line.len(), String::from_utf8_lossy(line));
            assert!(std::str::from_utf8(line).is_ok(), "a character was split: {line:?}");
        }
    }

    #[test]
    fn folds_at_75_octets() {
        let mut out = String::new();
        fold(&"a".repeat(75), &mut out);
        assert_eq!(out, format!("{}\r\n", "a".repeat(75)));
        out.clear();
        fold(&"a".repeat(76), &mut out);
        assert_eq!(out, format!("{}\r\n a\r\n", "a".repeat(75)));
        out.clear();
        fold(&"a".repeat(75 + 74 + 1), &mut out);
        assert_eq!(out, format!("{}\r\n {}\r\n a\r\n", "a".repeat(75), "a".repeat(74)));
        assert_eq!(unfold(&out), ["a".repeat(150)]);
    }

    #[test]
    fn parameter_values_hold_no_dquote_nor_line_break() {
        assert_eq!(param_value("Ana \"Nina\" Silva"), "Ana 'Nina' Silva");
        assert_eq!(param_value("a\r\nb\tc"), "a  b c");
        assert_eq!(param_value("\"quoted\""), "'quoted'");
    }
}
