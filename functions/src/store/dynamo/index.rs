//! The desk's indexes (which items each holds, under which keys: the table
//! in mod.rs): their one definition, `INDEXES`, which `create_table` makes
//! and infra/template.yaml repeats (a test compares them); the attributes
//! that place an item in them, which every write of a CLAIM#, CONTACT#,
//! AUDIT# or YEAR# item carries; and `reindex`, for items written before.
//! `search` (no key) holds what the text filters look in, lower-cased
//! (`lists::fold`): a contact's `lists::contact_search_text`, a line's actor.

use super::*;
use crate::records::ClaimStatus;
use crate::store::lists;

/// One global secondary index: its name and its key attributes (both strings). It projects every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub hash: &'static str,
    pub range: &'static str,
}

pub const LISTS: Index = Index { name: "lists", hash: "list", range: "rank" };
pub const ABOUT: Index = Index { name: "about", hash: "about", range: "rank" };
/// The table's indexes, as `create_table` makes them and infra/template.yaml declares them.
pub const INDEXES: [Index; 2] = [LISTS, ABOUT];

/// The lower-cased text the desk's text filters look in.
pub(super) const SEARCH: &str = "search";

pub(super) fn claim_list(status: ClaimStatus) -> String {
    format!("CLAIM#{}", status.as_str())
}

pub(super) fn contact_list(status: ContactStatus) -> String {
    format!("CONTACT#{}", status.as_str())
}

pub(super) const AUDIT_LIST: &str = "AUDIT";

pub(super) fn usage_list(year: i16) -> String {
    format!("USAGE#{year}")
}

pub(super) fn subject_about(subject: &str) -> String {
    format!("AUDIT#{subject}")
}

pub(super) fn city_about(city_key: &str) -> String {
    format!("CITY#{city_key}")
}

pub(super) fn person_about(person_key: &str) -> String {
    format!("PERSON#{person_key}")
}

type Attrs = Vec<(&'static str, AttributeValue)>;

pub(super) fn claim_keys(c: &Claim) -> Attrs {
    vec![(LISTS.hash, s(claim_list(c.status))), (LISTS.range, s(lists::claim_rank(c))), (ABOUT.hash, s(city_about(&c.city_key)))]
}

pub(super) fn contact_keys(c: &Contact) -> Attrs {
    vec![
        (LISTS.hash, s(contact_list(c.status))),
        (LISTS.range, s(lists::contact_rank(c))),
        (ABOUT.hash, s(person_about(&crate::store::person_key(&c.details.email_key)))),
        (SEARCH, s(lists::contact_search_text(c))),
    ]
}

pub(super) fn audit_keys(a: &AuditEntry) -> Attrs {
    vec![(LISTS.hash, s(AUDIT_LIST)), (LISTS.range, s(lists::audit_rank(a))), (ABOUT.hash, s(subject_about(&a.subject))), (SEARCH, s(lists::fold(&a.actor)))]
}

pub(super) fn usage_keys(city_key: &str, year: i16) -> Attrs {
    vec![(LISTS.hash, s(usage_list(year))), (LISTS.range, s(city_key))]
}

/// `SET` of these attributes, as an UpdateItem's expression with its names and values.
pub(super) fn set_clause(attrs: Attrs) -> (String, HashMap<String, String>, Item) {
    let (mut set, mut nms, mut vals) = (Vec::new(), HashMap::new(), HashMap::new());
    for (i, (k, v)) in attrs.into_iter().enumerate() {
        set.push(format!("#k{i} = :k{i}"));
        nms.insert(format!("#k{i}"), k.to_string());
        vals.insert(format!(":k{i}"), v);
    }
    (format!("SET {}", set.join(", ")), nms, vals)
}

/// `item` with the attributes that place it in the indexes.
pub(super) fn with_keys(mut item: Item, keys: Attrs) -> Item {
    item.extend(keys.into_iter().map(|(k, v)| (k.to_string(), v)));
    item
}

/// The index attributes an item of any kind should carry, and the
/// attributes they are made from (which `reindex` holds as read); `None`
/// for an item in no index (and a first-version claim, listed nowhere).
pub(super) fn keys_of(item: &Item) -> Result<Option<(Attrs, &'static [&'static str])>, StoreError> {
    let pk = get_s(item, "pk")?;
    let corrupt = || StoreError::Corrupt(pk.split('#').next().unwrap_or_default().to_string());
    Ok(Some(if let Some(id) = pk.strip_prefix("CLAIM#") {
        if id.contains('#') {
            return Ok(None);
        }
        (claim_keys(&item_claim(item).map_err(|_| corrupt())?), &["status", "city_key", "created_at", "confirmed_at"])
    } else if pk.starts_with("CONTACT#") {
        (contact_keys(&item_contact(item).map_err(|_| corrupt())?), &["status", "created_at", "email_key", "name", "email", "organisation", "city"])
    } else if pk.starts_with("AUDIT#") {
        (audit_keys(&item_audit(item).map_err(|_| corrupt())?), &["at", "action", "subject", "actor"])
    } else if let Some(rest) = pk.strip_prefix("YEAR#") {
        let (city_key, year) = rest.rsplit_once('#').ok_or_else(corrupt)?;
        (usage_keys(city_key, year.parse().map_err(|_| corrupt())?), &[])
    } else {
        return Ok(None);
    }))
}

/// What `reindex` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reindexed {
    /// Items read.
    pub items: usize,
    /// Items whose index attributes were written.
    pub written: usize,
    /// Items changed between the read and the write (the change wrote their attributes itself): run again to be sure.
    pub changed: usize,
    /// Items that do not read (named by their kind only); left as they are.
    pub unreadable: usize,
}

impl DynamoStore {
    /// Gives every item written before the indexes (or by a hand) the index
    /// attributes it should carry, from what it holds; an item that has them
    /// already is left alone, so a second run writes nothing. Each write holds
    /// the attributes they were made from as read and the item's existence, so
    /// a change or a deletion in between wins. One Scan of the table: the
    /// desk's command (`desk reindex`), never a request of the functions.
    pub async fn reindex(&self) -> Result<Reindexed, StoreError> {
        let mut done = Reindexed::default();
        let mut start: Option<Item> = None;
        loop {
            let out = self.client.scan().table_name(&self.table).consistent_read(true).set_exclusive_start_key(start.take()).send().await.map_err(sdk_err)?;
            for item in out.items.unwrap_or_default() {
                done.items += 1;
                let (keys, from) = match keys_of(&item) {
                    Ok(Some(k)) => k,
                    Ok(None) => continue,
                    Err(_) => {
                        done.unreadable += 1;
                        continue;
                    }
                };
                if keys.iter().all(|(k, v)| item.get(*k) == Some(v)) {
                    continue;
                }
                match self.write_keys(&item, keys, from).await? {
                    true => done.written += 1,
                    false => done.changed += 1,
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(done),
            }
        }
    }

    /// Sets `keys` on the item read as `read` while it exists and `from` are as read; false when they are not.
    async fn write_keys(&self, read: &Item, keys: Attrs, from: &[&str]) -> Result<bool, StoreError> {
        let mut condition = vec!["attribute_exists(pk)".to_string()];
        let mut nms = Vec::new();
        let mut vals = Vec::new();
        for (i, attr) in from.iter().enumerate() {
            nms.push((format!("#f{i}"), attr.to_string()));
            match read.get(*attr) {
                Some(v) => {
                    condition.push(format!("#f{i} = :f{i}"));
                    vals.push((format!(":f{i}"), v.clone()));
                }
                None => condition.push(format!("attribute_not_exists(#f{i})")),
            }
        }
        let (set, set_names, set_values) = set_clause(keys);
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(get_s(read, "pk")?))
            .update_expression(set)
            .condition_expression(condition.join(" AND "))
            .set_expression_attribute_names(Some(nms.into_iter().chain(set_names).collect()))
            .set_expression_attribute_values(Some(vals.into_iter().chain(set_values).collect()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => Ok(false),
            Err(e) => Err(sdk_err(e)),
        }
    }
}
