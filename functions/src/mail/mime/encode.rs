//! The three encodings a message needs: quoted-printable (RFC 2045 section
//! 6.7), base64 in lines (section 6.8) and encoded-words (RFC 2047).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// Encoded lines of at most 76 characters, a soft break (`=`) included.
const LINE: usize = 76;

/// Text as quoted-printable with CRLF line breaks: any line break of the
/// text (LF, CRLF or CR) is a hard break, every other byte outside printable
/// ASCII is `=XX`, and so is a space or tab that would end a line.
pub fn quoted_printable(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() * 11 / 10 + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut width = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let literal = matches!(b, 33..=60 | 62..=126) || (matches!(b, b' ' | b'\t') && !last);
            let token = if literal { (b as char).to_string() } else { format!("={b:02X}") };
            // Room for the token, and for a soft break after it unless the line ends here.
            let room = if last { LINE } else { LINE - 1 };
            if width + token.len() > room {
                out.push_str("=\r\n");
                width = 0;
            }
            out.push_str(&token);
            width += token.len();
        }
    }
    out
}

/// Base64 in lines of 76 characters, CRLF between them.
pub fn base64_lines(bytes: &[u8]) -> String {
    let encoded = B64.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE * 2 + 2);
    for (i, chunk) in encoded.as_bytes().chunks(LINE).enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
    }
    out
}

/// RFC 2047 `B` encoded-words, folded onto lines of their own: each word
/// holds whole UTF-8 characters (45 bytes at most, 72 characters encoded).
pub fn encoded_words(text: &str) -> String {
    const MAX_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(MAX_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        words.push(format!("=?UTF-8?B?{}?=", B64.encode(&rest.as_bytes()[..cut])));
        rest = &rest[cut..];
    }
    words.join("\r\n ")
}
