//! How the records are kept: the pending item's JSON text, and money as a
//! bare number of cents. The same in both stores.

use super::{DraftClaim, PendingItem, Registration};
use serde::{Deserialize, Serialize};

/// The pending item as one JSON text:
/// `{"kind": "registration", ...}` or `{"kind": "claim", ...}`.
impl PendingItem {
    pub fn to_json(&self) -> String {
        let json = match self {
            PendingItem::Registration(r) => ItemJson::Registration(r.clone()),
            PendingItem::Claim(c) => ItemJson::Claim(c.clone()),
        };
        // Through a `Value`, whose keys sort: the text is byte for byte what
        // the stores have always kept. Texts, numbers and dates always make JSON.
        serde_json::to_value(json).expect("a pending item always makes JSON").to_string()
    }

    pub fn from_json(text: &str) -> Result<PendingItem, String> {
        // Where, not serde's message: that may quote a stored value, and logs carry no personal data.
        let read = serde_json::from_str(text).map_err(|e| format!("pending item does not read ({:?} error at column {})", e.classify(), e.column()))?;
        match read {
            ItemJson::Registration(r) => Ok(PendingItem::Registration(r)),
            ItemJson::Claim(c) => Ok(PendingItem::Claim(c)),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum ItemJson {
    Registration(Registration),
    Claim(DraftClaim),
}

/// Money in the records is the bare number of cents (`Cents`' own serde form,
/// for the content files, is euros).
pub(super) mod cents {
    use ccg_model::Cents;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &Cents, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(c.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cents, D::Error> {
        i64::deserialize(d).map(Cents)
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(c: &Option<Cents>, s: S) -> Result<S::Ok, S::Error> {
            match c {
                Some(c) => s.serialize_some(&c.0),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cents>, D::Error> {
            Option::<i64>::deserialize(d).map(|c| c.map(Cents))
        }
    }
}
