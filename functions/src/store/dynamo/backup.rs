//! The table as a file and back (the restore drill, `scripts/restore-drill.sh`):
//! every item in DynamoDB JSON, one `{"Item": {...}}` a line, the shape of
//! DynamoDB's export to S3, which its import from S3 also reads. In AWS a
//! restore is AWS Backup's or point-in-time recovery's; here, without an
//! account, the drill exports DynamoDB Local's table and imports it into a
//! new one, then `table_check` compares them.

use super::*;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// One attribute value in DynamoDB JSON (`{"S": "..."}`, numbers as strings, binaries in base64).
pub fn to_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": STANDARD.encode(b.as_ref()) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::M(m) => json!({ "M": item_to_json(m) }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(to_json).collect::<Vec<_>>() }),
        AttributeValue::Ss(ss) => json!({ "SS": ss }),
        AttributeValue::Ns(ns) => json!({ "NS": ns }),
        AttributeValue::Bs(bs) => json!({ "BS": bs.iter().map(|b| STANDARD.encode(b.as_ref())).collect::<Vec<_>>() }),
        // A type newer than this SDK: kept visible rather than dropped.
        _ => json!({ "UNKNOWN": true }),
    }
}

fn item_to_json(item: &Item) -> Map<String, Value> {
    // Sorted, so that two exports of the same items are the same bytes.
    let sorted: std::collections::BTreeMap<&String, &AttributeValue> = item.iter().collect();
    sorted.into_iter().map(|(k, v)| (k.clone(), to_json(v))).collect()
}

/// One export line: `{"Item": {...}}`.
pub fn export_line(item: &Item) -> String {
    json!({ "Item": item_to_json(item) }).to_string()
}

/// An attribute value from DynamoDB JSON.
pub fn from_json(v: &Value) -> Result<AttributeValue, String> {
    let obj = v.as_object().filter(|o| o.len() == 1).ok_or("an attribute value is an object with one type key")?;
    let (kind, inner) = obj.iter().next().ok_or("an empty attribute value")?;
    let text = |v: &Value| v.as_str().map(str::to_string).ok_or_else(|| format!("{kind}: not a string"));
    let texts = |v: &Value| v.as_array().ok_or_else(|| format!("{kind}: not a list")).and_then(|a| a.iter().map(text).collect::<Result<Vec<_>, _>>());
    let blob = |s: String| STANDARD.decode(s).map(Blob::new).map_err(|e| format!("{kind}: {e}"));
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text(inner)?),
        "N" => AttributeValue::N(text(inner)?),
        "B" => AttributeValue::B(blob(text(inner)?)?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or("BOOL: not a boolean")?),
        "NULL" => AttributeValue::Null(true),
        "M" => AttributeValue::M(item_from_map(inner.as_object().ok_or("M: not an object")?)?),
        "L" => AttributeValue::L(inner.as_array().ok_or("L: not a list")?.iter().map(from_json).collect::<Result<_, _>>()?),
        "SS" => AttributeValue::Ss(texts(inner)?),
        "NS" => AttributeValue::Ns(texts(inner)?),
        "BS" => AttributeValue::Bs(texts(inner)?.into_iter().map(blob).collect::<Result<_, _>>()?),
        other => return Err(format!("unknown attribute type {other}")),
    })
}

fn item_from_map(m: &Map<String, Value>) -> Result<Item, String> {
    m.iter().map(|(k, v)| Ok((k.clone(), from_json(v)?))).collect()
}

/// An item from one export line.
pub fn import_line(line: &str) -> Result<Item, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let item = v.get("Item").and_then(Value::as_object).ok_or("a line is {\"Item\": {...}}")?;
    let item = item_from_map(item)?;
    if !matches!(item.get("pk"), Some(AttributeValue::S(_))) {
        return Err("an item without its key pk".into());
    }
    Ok(item)
}

impl DynamoStore {
    /// Every item of the table (a consistent Scan, page after page).
    pub async fn all_items(&self) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self.client.scan().table_name(&self.table).consistent_read(true).set_exclusive_start_key(start.take()).send().await.map_err(sdk_err)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Writes `items` as they are (BatchWriteItem, unprocessed ones again): an import, or the tests' loads.
    pub async fn put_items(&self, items: Vec<Item>) -> Result<(), StoreError> {
        for chunk in items.chunks(25) {
            let mut writes: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| PutRequest::builder().set_item(Some(i.clone())).build().map(|p| WriteRequest::builder().put_request(p).build()))
                .collect::<Result<_, _>>()
                .map_err(build_err)?;
            let mut attempts = Attempts(0);
            loop {
                let out = self.client.batch_write_item().request_items(&self.table, writes).send().await.map_err(sdk_err)?;
                match out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).filter(|w| !w.is_empty()) {
                    Some(left) => {
                        writes = left;
                        attempts.again("the written items").await?;
                    }
                    None => break,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_goes_out_and_comes_back_the_same() {
        let mut inner = Item::new();
        inner.insert("b".into(), AttributeValue::Bool(true));
        let item: Item = [
            ("pk", AttributeValue::S("CLAIM#clm_1".into())),
            ("n", AttributeValue::N("-12.5".into())),
            ("bin", AttributeValue::B(Blob::new(vec![0, 255, 7]))),
            ("none", AttributeValue::Null(true)),
            ("m", AttributeValue::M(inner)),
            ("l", AttributeValue::L(vec![AttributeValue::S("é".into()), AttributeValue::N("1".into())])),
            ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("ns", AttributeValue::Ns(vec!["1".into()])),
            ("bs", AttributeValue::Bs(vec![Blob::new(b"x".to_vec())])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let line = export_line(&item);
        assert!(line.starts_with(r#"{"Item":{"bin":{"B":"AP8H"}"#), "{line}");
        assert_eq!(import_line(&line).unwrap(), item);
        // The same items, the same bytes.
        assert_eq!(export_line(&import_line(&line).unwrap()), line);
    }

    #[test]
    fn a_line_that_is_not_an_item_is_refused() {
        assert!(import_line(r#"{"pk": {"S": "x"}}"#).is_err());
        assert!(import_line(r#"{"Item": {"other": {"S": "x"}}}"#).is_err());
        assert!(import_line(r#"{"Item": {"pk": {"Q": "x"}}}"#).is_err());
        assert!(import_line(r#"{"Item": {"pk": {"S": "x", "N": "1"}}}"#).is_err());
    }
}
