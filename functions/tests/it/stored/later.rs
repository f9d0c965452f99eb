//! What later versions write more than the first did, checked and then taken
//! out, so that the rest of a fresh store's dump still equals the fixtures:
//! issue 18's contribution keys (PERSON# keyed by the hash instead of the
//! address), and the claims' references with their counters.

use super::{claim_id, event_of};
use crate::common::person_key;
use serde_json::Value;

fn contribution(n: u32) -> String {
    person_key().contribution_key("ana@x.eu", &format!("e{n}"))
}

fn reference(n: u32) -> String {
    format!("CCG-2027-{n:04}")
}

/// The fresh SQLite file, its claims' new columns checked (claims 1-5 counted
/// in order: references 1-5) and then blanked, as the fixtures read them.
pub fn sqlite(conn: &rusqlite::Connection) {
    let rows: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT id, contribution_key, reference FROM claims ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<(String, String, Option<String>)> = (1..=5).map(|n| (claim_id(n), contribution(n), Some(reference(n)))).collect();
    assert_eq!(rows, expected);
    let last: i64 = conn.query_row("SELECT last FROM claim_numbers WHERE year = 2027", [], |r| r.get(0)).unwrap();
    assert_eq!(last, 5);
    conn.execute_batch("UPDATE claims SET contribution_key = '', reference = NULL; DELETE FROM claim_numbers;").unwrap();
}

/// The fresh table's items (DynamoDB JSON, as `dump_dynamo` writes them),
/// checked and brought to the first version's shape: no REF# items, no
/// `contribution_key` and `reference` on CLAIM#, PERSON# keyed by address and meeting.
pub fn dynamo(text: &str) -> String {
    let mut items: Vec<Value> = serde_json::from_str(text).unwrap();
    let pk = |v: &Value| v["pk"]["S"].as_str().unwrap().to_string();
    let refs: Vec<(String, Value)> = items.iter().filter(|i| pk(i).starts_with("REF#")).map(|i| (pk(i), i.clone())).collect();
    assert_eq!(refs.len(), 6, "the year's counter and five references: {refs:?}");
    assert_eq!(refs.iter().find(|(k, _)| k == "REF#2027").unwrap().1["last"]["N"], "5");
    for n in 1..=5 {
        let marker = &refs.iter().find(|(k, _)| *k == format!("REF#{}", reference(n))).unwrap().1;
        assert_eq!(marker["claim_id"]["S"], claim_id(n));
    }
    items.retain(|i| !pk(i).starts_with("REF#"));
    for item in &mut items {
        let key = pk(item);
        if let Some(id) = key.strip_prefix("CLAIM#") {
            let n = event_of(id);
            let o = item.as_object_mut().unwrap();
            assert_eq!(o.remove("contribution_key").unwrap()["S"], contribution(n), "{key}");
            assert_eq!(o.remove("reference").unwrap()["S"], reference(n), "{key}");
        } else if let Some(hash) = key.strip_prefix("PERSON#") {
            let n = (1..=5).find(|&n| contribution(n) == hash).unwrap_or_else(|| panic!("a PERSON# item by address: {key}"));
            item["pk"]["S"] = format!("PERSON#ana@x.eu#e{n}").into();
        }
    }
    items.sort_by_key(|i| pk(i));
    serde_json::to_string_pretty(&items).unwrap() + "\n"
}
