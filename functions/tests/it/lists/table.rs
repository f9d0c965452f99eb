//! The table's indexes are defined once in code (`dynamo::index::INDEXES`,
//! which `create_table` makes for the tests): infra/template.yaml must declare
//! the same, and DynamoDB Local must have made them so.

use crate::common::*;
use ccg_functions::store::dynamo::index::INDEXES;
use std::collections::BTreeSet;
use yaml_serde::Value;

/// (name, hash, range, projection) of every index, sorted.
type Shape = BTreeSet<(String, String, String, String)>;

fn code() -> Shape {
    INDEXES.iter().map(|i| (i.name.into(), i.hash.into(), i.range.into(), "ALL".into())).collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}")).to_string()
}

#[test]
fn the_template_declares_the_codes_indexes() {
    let source = std::fs::read_to_string(workspace().join("infra/template.yaml")).unwrap();
    let template: Value = yaml_serde::from_str(&source).unwrap();
    let props = &template["Resources"]["Table"]["Properties"];
    let key = |schema: &Value, kind: &str| text(&schema.as_sequence().unwrap().iter().find(|k| k["KeyType"] == kind).unwrap()["AttributeName"]);
    let declared: Shape = props["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("the table declares its indexes")
        .iter()
        .map(|i| (text(&i["IndexName"]), key(&i["KeySchema"], "HASH"), key(&i["KeySchema"], "RANGE"), text(&i["Projection"]["ProjectionType"])))
        .collect();
    assert_eq!(declared, code());
    let attributes: BTreeSet<(String, String)> =
        props["AttributeDefinitions"].as_sequence().unwrap().iter().map(|a| (text(&a["AttributeName"]), text(&a["AttributeType"]))).collect();
    let keys: BTreeSet<(String, String)> = INDEXES.iter().flat_map(|i| [i.hash, i.range]).chain(["pk"]).map(|a| (a.to_string(), "S".to_string())).collect();
    assert_eq!(attributes, keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_table_makes_the_indexes() {
    let local = DynamoLocal::shared().await;
    let _ = local.store("lists-table").await;
    let table = local.client().describe_table().table_name("lists-table").send().await.unwrap().table.unwrap();
    let made: Shape = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let key = |kind: &str| i.key_schema().iter().find(|k| k.key_type().as_str() == kind).unwrap().attribute_name().to_string();
            let projection = i.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_string()).unwrap_or_default();
            (i.index_name().unwrap_or_default().to_string(), key("HASH"), key("RANGE"), projection)
        })
        .collect();
    assert_eq!(made, code());
}
