//! Request body -> field map. Knows nothing of the forms: only the two body
//! formats, their limits, and what makes a body unreadable.

use std::collections::BTreeMap;

/// Bodies above this are refused before they are read as fields.
pub const MAX_BODY: usize = 16 * 1024;

/// Field name -> value, as sent (trimmed later, by validation).
pub type Fields = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/x-www-form-urlencoded`: a plain HTML form; answered with HTML.
    Form,
    /// `application/json`: the enhanced form or an API client; answered with JSON.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the request body is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("send the form as application/x-www-form-urlencoded or application/json")]
    UnsupportedType,
    #[error("the request body is not valid UTF-8 text")]
    BadUtf8,
    #[error("the request body is not valid JSON: {0}")]
    BadJson(String),
    #[error("the JSON body must be an object of fields")]
    NotAnObject,
    #[error("field `{0}` must be text, a number or true/false")]
    BadJsonValue(String),
    #[error("the form body is malformed: {0}")]
    BadForm(String),
    /// Refused alike in both formats, rather than one silently winning.
    #[error("field `{0}` is sent more than once: send each field once")]
    Duplicate(String),
}

impl DecodeError {
    /// The HTTP status that tells the client what to fix.
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::TooLarge => 413,
            DecodeError::UnsupportedType => 415,
            _ => 400,
        }
    }
}

/// Reads the media type of a `Content-Type` header; parameters other than a
/// UTF-8 charset make it unsupported, as the forms only ever send UTF-8.
pub fn body_kind(content_type: Option<&str>) -> Result<BodyKind, DecodeError> {
    let ct = content_type.ok_or(DecodeError::UnsupportedType)?;
    let mut parts = ct.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for param in parts {
        let (k, v) = param.split_once('=').unwrap_or((param, ""));
        if k.trim().eq_ignore_ascii_case("charset") && !v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8") {
            return Err(DecodeError::UnsupportedType);
        }
    }
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(BodyKind::Form),
        "application/json" => Ok(BodyKind::Json),
        _ => Err(DecodeError::UnsupportedType),
    }
}

/// Decodes a whole body of the given kind.
pub fn decode(kind: BodyKind, body: &[u8]) -> Result<Fields, DecodeError> {
    if body.len() > MAX_BODY {
        return Err(DecodeError::TooLarge);
    }
    match kind {
        BodyKind::Form => decode_form(body),
        BodyKind::Json => decode_json(body),
    }
}

fn decode_form(body: &[u8]) -> Result<Fields, DecodeError> {
    std::str::from_utf8(body).map_err(|_| DecodeError::BadUtf8)?;
    let mut fields = Fields::new();
    for pair in body.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let k = percent_decode(k)?;
        let v = percent_decode(v)?;
        insert_once(&mut fields, k, v)?;
    }
    Ok(fields)
}

/// The forms never repeat a name, so a repeat is a client's mistake or an
/// attempt to make two readers see two values: refused in both formats.
fn insert_once(fields: &mut Fields, k: String, v: String) -> Result<(), DecodeError> {
    match fields.entry(k) {
        std::collections::btree_map::Entry::Occupied(e) => Err(DecodeError::Duplicate(e.key().clone())),
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(v);
            Ok(())
        }
    }
}

fn percent_decode(s: &[u8]) -> Result<String, DecodeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (s.get(i + 1).copied().and_then(hex), s.get(i + 2).copied().and_then(hex)) {
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ => return Err(DecodeError::BadForm("a `%` is not followed by two hex digits".into())),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| DecodeError::BadUtf8)
}

fn decode_json(body: &[u8]) -> Result<Fields, DecodeError> {
    let text = std::str::from_utf8(body).map_err(|_| DecodeError::BadUtf8)?;
    let top: TopLevel = serde_json::from_str(text).map_err(|e| DecodeError::BadJson(e.to_string()))?;
    let TopLevel::Object(entries) = top else { return Err(DecodeError::NotAnObject) };
    let mut fields = Fields::new();
    let mut nulls = std::collections::BTreeSet::new();
    for (k, v) in entries {
        let v = match v {
            serde_json::Value::Null => {
                if fields.contains_key(&k) || !nulls.insert(k.clone()) {
                    return Err(DecodeError::Duplicate(k));
                }
                continue;
            }
            serde_json::Value::String(s) => s,
            // Numbers keep the digits as sent (412.5 -> "412.5"); validation parses them as money.
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(true) => "yes".into(),
            serde_json::Value::Bool(false) => String::new(),
            _ => return Err(DecodeError::BadJsonValue(k)),
        };
        // A null is no value, but a repeated name is refused whatever its values.
        if fields.contains_key(&k) || nulls.contains(&k) {
            return Err(DecodeError::Duplicate(k));
        }
        insert_once(&mut fields, k, v)?;
    }
    Ok(fields)
}

/// A JSON document's top level with an object's members in order and
/// repeats kept (serde_json's own map keeps only the last of a repeated name).
enum TopLevel {
    Object(Vec<(String, serde_json::Value)>),
    Other,
}

impl<'de> serde::Deserialize<'de> for TopLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<TopLevel, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = m.next_entry::<String, serde_json::Value>()? {
                    entries.push(entry);
                }
                Ok(TopLevel::Object(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<TopLevel, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevel::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_unit<E>(self) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(body_kind(Some("application/x-www-form-urlencoded")), Ok(BodyKind::Form));
        assert_eq!(body_kind(Some("Application/JSON; charset=UTF-8")), Ok(BodyKind::Json));
        assert_eq!(body_kind(Some("application/json; charset=latin1")), Err(DecodeError::UnsupportedType));
        assert_eq!(body_kind(Some("multipart/form-data; boundary=x")), Err(DecodeError::UnsupportedType));
        assert_eq!(body_kind(Some("text/plain")), Err(DecodeError::UnsupportedType));
        assert_eq!(body_kind(None), Err(DecodeError::UnsupportedType));
    }

    #[test]
    fn form_bodies() {
        let f = decode(BodyKind::Form, b"name=Ana+L%C3%B3pez&city=K%C3%B6ln&empty=&flag").unwrap();
        assert_eq!(f["name"], "Ana López");
        assert_eq!(f["city"], "Köln");
        assert_eq!(f["empty"], "");
        assert_eq!(f["flag"], "");
        assert!(matches!(decode(BodyKind::Form, b"a=%zz"), Err(DecodeError::BadForm(_))));
        assert_eq!(decode(BodyKind::Form, b"a=%ff%fe"), Err(DecodeError::BadUtf8));
        assert_eq!(decode(BodyKind::Form, b"a=\xff"), Err(DecodeError::BadUtf8));
    }

    #[test]
    fn json_bodies() {
        let f = decode(BodyKind::Json, br#"{"name":"Ana","amount_eur":412.5,"consent":true,"project":null,"website":""}"#).unwrap();
        assert_eq!(f["amount_eur"], "412.5");
        assert_eq!(f["consent"], "yes");
        assert!(!f.contains_key("project"));
        assert_eq!(decode(BodyKind::Json, b"[1]"), Err(DecodeError::NotAnObject));
        assert_eq!(decode(BodyKind::Json, br#"{"a":{"b":1}}"#), Err(DecodeError::BadJsonValue("a".into())));
        assert!(matches!(decode(BodyKind::Json, b"{"), Err(DecodeError::BadJson(_))));
        assert_eq!(decode(BodyKind::Json, b"{\"a\":\"\xff\"}"), Err(DecodeError::BadUtf8));
    }

    #[test]
    fn a_repeated_field_is_refused_alike_in_both_formats() {
        // Regression (issue 12): a form kept the first value, JSON the last.
        let dup = DecodeError::Duplicate("name".into());
        assert_eq!(decode(BodyKind::Form, b"name=Ana&city=X&name=Eve"), Err(dup.clone()));
        assert_eq!(decode(BodyKind::Form, b"na%6De=Ana&name=Eve"), Err(dup.clone()), "the same name once decoded");
        assert_eq!(decode(BodyKind::Json, br#"{"name":"Ana","city":"X","name":"Eve"}"#), Err(dup.clone()));
        assert_eq!(decode(BodyKind::Json, br#"{"name":null,"name":"Eve"}"#), Err(dup.clone()));
        assert_eq!(decode(BodyKind::Json, br#"{"name":"Eve","name":null}"#), Err(dup.clone()));
        assert_eq!(decode(BodyKind::Json, br#"{"n\u0061me":"Ana","name":"Eve"}"#), Err(dup.clone()));
        assert_eq!(dup.status(), 400);
        assert_eq!(dup.to_string(), "field `name` is sent more than once: send each field once");
        // Nested repeats are a bad value anyway; an array or scalar is not an object.
        assert_eq!(decode(BodyKind::Json, br#"{"a":{"b":1,"b":2}}"#), Err(DecodeError::BadJsonValue("a".into())));
        for top in [&b"[1,{\"a\":1}]"[..], b"1", b"-1", b"1.5", b"\"x\"", b"true", b"null"] {
            assert_eq!(decode(BodyKind::Json, top), Err(DecodeError::NotAnObject), "{}", String::from_utf8_lossy(top));
        }
    }

    #[test]
    fn size_limit() {
        let big = vec![b'a'; MAX_BODY + 1];
        assert_eq!(decode(BodyKind::Form, &big), Err(DecodeError::TooLarge));
        assert_eq!(DecodeError::TooLarge.status(), 413);
        assert!(decode(BodyKind::Form, &big[..MAX_BODY]).is_ok());
    }
}
