//! What counts as text in a form, defined once: visible text, a single line,
//! an email address and their lengths. The validators use these; the form
//! templates' `maxlength` and openapi.yaml's `maxLength`/`pattern` are
//! compared with them by tests (functions/tests/it/openapi.rs).

/// Longest free-text field (a name, a city, an organisation, a position), in characters.
pub const MAX_TEXT: usize = 200;
/// Longest email address, in octets: RFC 5321's 256-octet path less its angle brackets.
pub const MAX_EMAIL: usize = 254;
/// Longest local part (before the `@`), in octets (RFC 5321, 4.5.3.1.1).
pub const MAX_EMAIL_LOCAL: usize = 64;
/// Longest domain, in octets (RFC 5321, 4.5.3.1.2); `MAX_EMAIL` bounds it first.
pub const MAX_EMAIL_DOMAIN: usize = 255;
/// Longest label of a domain, in octets (RFC 1035).
pub const MAX_EMAIL_LABEL: usize = 63;
/// Characters allowed in a local part besides letters and digits (RFC 5322 atext, and `.`).
pub const EMAIL_LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";

/// Control characters (Unicode Cc): never part of a line of text.
const CONTROL: &[(char, char)] = &[('\u{0000}', '\u{001F}'), ('\u{007F}', '\u{009F}')];

/// Whitespace besides the controls (Unicode White_Space, as `char::is_whitespace`).
const SPACES: &[(char, char)] = &[
    (' ', ' '),
    ('\u{00A0}', '\u{00A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// What shows nothing by itself besides spaces and controls: format
/// characters (zero-width space, joiners, word joiner, BOM, bidi marks and
/// controls, soft hyphen, invisible operators), variation selectors, and the
/// blank-looking fillers (Hangul fillers, braille blank). In the Basic
/// Multilingual Plane, so that openapi.yaml's pattern can say the same.
const BLANKS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFFB}'),
];

/// The same outside the BMP: shorthand format controls, musical formatting, tags.
const ASTRAL_BLANKS: &[(char, char)] = &[('\u{1BCA0}', '\u{1BCA3}'), ('\u{1D173}', '\u{1D17A}'), ('\u{E0000}', '\u{E0FFF}')];

/// Besides the controls, what breaks a line or reorders the text around it:
/// the line and paragraph separators and the bidi embeddings, overrides and isolates.
const BREAKS: &[(char, char)] = &[('\u{2028}', '\u{2029}'), ('\u{202A}', '\u{202E}'), ('\u{2066}', '\u{2069}')];

fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// A character that shows nothing by itself: whitespace, controls, format
/// characters and fillers (see `BLANKS`).
pub fn is_invisible(c: char) -> bool {
    in_ranges(c, CONTROL) || in_ranges(c, SPACES) || in_ranges(c, BLANKS) || in_ranges(c, ASTRAL_BLANKS)
}

/// A character that breaks a line or steers the text around it: refused in a
/// single-line field. Control characters (CR, LF, NEL, tab...), the line and
/// paragraph separators (U+2028, U+2029), and the bidi embeddings, overrides
/// and isolates, which can reorder what is shown next to the value. The
/// marks (U+200E, U+200F) and the joiners stay: names in some scripts need them.
pub fn breaks_line(c: char) -> bool {
    in_ranges(c, CONTROL) || in_ranges(c, BREAKS)
}

fn class(ranges: &[&[(char, char)]]) -> String {
    let mut out = String::new();
    for &(lo, hi) in ranges.iter().flat_map(|r| r.iter()) {
        out.push_str(&format!("\\u{:04X}", lo as u32));
        if hi != lo {
            out.push_str(&format!("-\\u{:04X}", hi as u32));
        }
    }
    out
}

/// openapi.yaml's `pattern` for a line of visible text (ECMA-262): no line
/// break anywhere, and at least one character that is not invisible. Only
/// `ASTRAL_BLANKS` are left out (a pattern without the `u` flag cannot name them);
/// a value of only those is refused all the same.
pub fn single_line_pattern() -> String {
    let breaks = class(&[CONTROL, BREAKS]);
    let invisible = class(&[CONTROL, BREAKS, SPACES, BLANKS]);
    format!("^[^{breaks}]*[^{invisible}][^{breaks}]*$")
}

/// The value without the invisible characters around it; `None` if nothing visible is left.
pub fn visible(s: &str) -> Option<&str> {
    let t = s.trim_matches(is_invisible);
    (!t.is_empty()).then_some(t)
}

/// Whether `s` is one line of text (see `breaks_line`).
pub fn is_single_line(s: &str) -> bool {
    !s.chars().any(breaks_line)
}

/// A practical syntax check with RFC 5321's lengths: one `@`, a dot-atom
/// before it (letters of any script allowed), a dotted domain after it.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let domain_ok = domain.len() <= MAX_EMAIL_DOMAIN
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_EMAIL_LABEL
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    s.len() <= MAX_EMAIL
        && !local.is_empty()
        && local.len() <= MAX_EMAIL_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || EMAIL_LOCAL_SPECIALS.contains(c))
        && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the attack used, and their neighbours.
    const INVISIBLES: &[char] = &[
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{200E}',
        '\u{200F}',
        '\u{202A}',
        '\u{202B}',
        '\u{202C}',
        '\u{202D}',
        '\u{202E}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
        '\u{00AD}',
        '\u{115F}',
        '\u{1160}',
        '\u{3164}',
        '\u{FFA0}',
        '\u{2800}',
        '\u{034F}',
        '\u{180E}',
        '\u{FE0F}',
        '\u{E0041}',
        '\u{00A0}',
        '\u{3000}',
        '\u{2028}',
        '\u{2029}',
        '\t',
        '\u{0085}',
    ];

    #[test]
    fn only_invisible_characters_are_not_text() {
        for &c in INVISIBLES {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
            let s: String = [c, c, ' ', c].iter().collect();
            assert_eq!(visible(&s), None, "U+{:04X}", c as u32);
        }
        let all: String = INVISIBLES.iter().collect();
        assert_eq!(visible(&all), None);
        assert_eq!(visible("\u{200B} Ana\u{FEFF} "), Some("Ana"));
        // Joiners inside a word are kept: some scripts and emoji need them.
        assert_eq!(visible("\u{200B}می\u{200C}خواهم"), Some("می\u{200C}خواهم"));
        for c in ['a', 'é', 'ß', '日', '٣', '😀', '-'] {
            assert!(!is_invisible(c), "{c}");
        }
    }

    #[test]
    fn line_breaks_and_bidi_controls_are_not_one_line() {
        for c in ['\n', '\r', '\u{0085}', '\u{2028}', '\u{2029}', '\u{000B}', '\u{000C}', '\u{0000}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(!is_single_line(&format!("Ana{c}López")), "U+{:04X}", c as u32);
        }
        for s in ["Ana López", "Ana\u{200D}López", "אנה\u{200F} (Tel Aviv)", "Köln"] {
            assert!(is_single_line(s), "{s}");
        }
    }

    #[test]
    fn emails_with_rfc_5321_lengths() {
        let local = "a".repeat(MAX_EMAIL_LOCAL);
        let label = "b".repeat(MAX_EMAIL_LABEL);
        // 64 + 1 + 63 + 1 + 63 + 1 + 27 + 3 = 223: a long but valid address.
        let long = format!("{local}@{label}.{label}.{}.eu", "c".repeat(27));
        assert!(long.len() > 220 && long.len() <= MAX_EMAIL, "{}", long.len());
        assert!(is_email(&long));
        let exact = format!("{local}@{label}.{label}.{}.eu", "c".repeat(27 + MAX_EMAIL - long.len()));
        assert_eq!(exact.len(), MAX_EMAIL);
        assert!(is_email(&exact));
        assert!(!is_email(&format!("{local}@{label}.{label}.{}.eu", "c".repeat(28 + MAX_EMAIL - long.len()))), "255 octets");
        assert!(!is_email(&format!("a{local}@b.eu")), "a local part of 65 octets");
        assert!(!is_email(&format!("a@{label}b.eu")), "a label of 64 octets");
        for ok in ["a@b.eu", "first.last+ccg@city.gov.example", "josé@ciudad.es", "o'neil@x.ie"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.eu", "a@b..eu", "a b@c.eu", "a@-b.eu", ".a@b.eu", "a@@b.eu", "a@b.eu\n", "a\u{2028}@b.eu", "a\u{200B}@b.eu"] {
            assert!(!is_email(bad), "{bad:?}");
        }
    }
}
