//! The stores' contents as text: a SQLite file as SQL, DynamoDB items as
//! DynamoDB JSON (`{"S": ...}`, `{"N": ...}`, ...), written here by hand so
//! the fixtures do not depend on the codec they check.

use super::FAR;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The file as SQL: its version, its tables and indexes, and every row.
pub fn dump_sqlite(conn: &rusqlite::Connection) -> String {
    use rusqlite::types::ValueRef;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    let mut out = format!("-- Written by tests/it/stored.rs (write_fixtures) with the first version's SqliteStore.\nPRAGMA user_version = {version};\n");
    let schema: Vec<(String, String, String)> = conn
        // Tables in the order they were made, indexes by name: a store upgraded
        // in steps makes the same indexes as a fresh one, not in the same order.
        .prepare(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' \
             ORDER BY type DESC, CASE type WHEN 'table' THEN rowid ELSE 0 END, name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (_, _, sql) in &schema {
        out += &format!("{sql};\n");
    }
    for (_, table, _) in schema.iter().filter(|(kind, ..)| kind == "table") {
        let mut st = conn.prepare(&format!("SELECT * FROM {table} ORDER BY rowid")).unwrap();
        let cols: Vec<String> = st.column_names().map(str::to_string).collect();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let values: Vec<String> = (0..cols.len())
                .map(|i| match r.get_ref(i).unwrap() {
                    ValueRef::Null => "NULL".to_string(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(f) => f.to_string(),
                    ValueRef::Text(t) => format!("'{}'", String::from_utf8(t.to_vec()).unwrap().replace('\'', "''")),
                    ValueRef::Blob(b) => format!("X'{}'", b.iter().map(|x| format!("{x:02X}")).collect::<String>()),
                })
                .collect();
            out += &format!("INSERT INTO {table} ({}) VALUES ({});\n", cols.join(", "), values.join(", "));
        }
    }
    out
}

fn item_to_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), value_to_json(v))).collect())
}

fn value_to_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::B(b) => json!({ "B": base64(b.as_ref()) }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(value_to_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_to_json(m) }),
        AttributeValue::Ss(l) => json!({ "SS": l }),
        AttributeValue::Ns(l) => json!({ "NS": l }),
        other => panic!("no JSON form for {other:?}"),
    }
}

pub fn item_from_json(v: &Value) -> HashMap<String, AttributeValue> {
    v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), value_from_json(v))).collect()
}

fn value_from_json(v: &Value) -> AttributeValue {
    let (tag, x) = v.as_object().and_then(|o| o.iter().next()).unwrap();
    let texts = |x: &Value| x.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    match tag.as_str() {
        "S" => AttributeValue::S(x.as_str().unwrap().into()),
        "N" => AttributeValue::N(x.as_str().unwrap().into()),
        "BOOL" => AttributeValue::Bool(x.as_bool().unwrap()),
        "NULL" => AttributeValue::Null(true),
        "B" => AttributeValue::B(Blob::new(unbase64(x.as_str().unwrap()))),
        "L" => AttributeValue::L(x.as_array().unwrap().iter().map(value_from_json).collect()),
        "M" => AttributeValue::M(item_from_json(x)),
        "SS" => AttributeValue::Ss(texts(x)),
        "NS" => AttributeValue::Ns(texts(x)),
        other => panic!("unknown attribute type {other}"),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { B64[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

fn unbase64(text: &str) -> Vec<u8> {
    let digits: Vec<u32> = text.bytes().filter(|&b| b != b'=').map(|b| B64.iter().position(|&c| c == b).unwrap() as u32).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
        out.extend((0..chunk.len() - 1).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    out
}

#[test]
fn base64_goes_both_ways() {
    for bytes in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", b"{\"status\":\"sent\"}\n\x00\xff"] {
        assert_eq!(unbase64(&base64(bytes)), bytes);
    }
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fo"), "Zm8=");
}

/// Every item of `table`, in DynamoDB JSON, by key; the kept answers' expiry (set from the clock) at `FAR`.
pub async fn dump_dynamo(client: &aws_sdk_dynamodb::Client, table: &str) -> String {
    let scan = client.scan().table_name(table).send().await.unwrap();
    assert!(scan.last_evaluated_key().is_none(), "one page holds them all");
    let mut items: Vec<Value> = scan
        .items()
        .iter()
        .map(|i| {
            let mut v = item_to_json(i);
            if v["pk"]["S"].as_str().unwrap().starts_with("IDEM#") {
                v["expires_at"] = json!({ "N": FAR.to_string() });
            }
            v
        })
        .collect();
    items.sort_by(|a, b| a["pk"]["S"].as_str().cmp(&b["pk"]["S"].as_str()));
    serde_json::to_string_pretty(&items).unwrap() + "\n"
}

/// The random part of audit lines' keys (`AUDIT#<at>#aud_<32 hex>`) blanked, wherever it is quoted.
pub fn without_audit_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#aud_") {
        out += &rest[..i + 5];
        rest = &rest[i + 5..];
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        out += "*";
        rest = &rest[hex..];
    }
    out + rest
}
