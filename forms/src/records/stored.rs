//! How the records are kept: the pending item's JSON text, and money as a
//! bare number of cents. The same in both stores.

use super::{Claim, ClaimStatus, PendingItem, Registration};
use ccg_model::Cents;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The pending item as one JSON text:
/// `{"kind": "registration", ...}` or `{"kind": "claim", ...}`.
impl PendingItem {
    pub fn to_json(&self) -> String {
        let json = match self {
            PendingItem::Registration(r) => ItemJson::Registration(r.clone()),
            PendingItem::Claim(c) => ItemJson::Claim(SentClaim::from(c)),
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
            ItemJson::Claim(c) => Ok(PendingItem::Claim(c.into())),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum ItemJson {
    Registration(Registration),
    Claim(SentClaim),
}

/// A claim as it waits for its link: what its claimant sent, nothing of its confirmation.
#[derive(Serialize, Deserialize)]
struct SentClaim {
    id: String,
    name: String,
    email: String,
    email_key: String,
    city: String,
    city_key: String,
    country: String,
    event_id: String,
    year: i16,
    travel_start: Date,
    travel_end: Date,
    amount_cents: i64,
    transport_cents: i64,
    accommodation_cents: i64,
    created_at: Timestamp,
}

impl From<&Claim> for SentClaim {
    fn from(c: &Claim) -> SentClaim {
        SentClaim {
            id: c.id.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            email_key: c.email_key.clone(),
            city: c.city.clone(),
            city_key: c.city_key.clone(),
            country: c.country.clone(),
            event_id: c.event_id.clone(),
            year: c.year,
            travel_start: c.travel_start,
            travel_end: c.travel_end,
            amount_cents: c.amount.0,
            transport_cents: c.transport.0,
            accommodation_cents: c.accommodation.0,
            created_at: c.created_at,
        }
    }
}

impl From<SentClaim> for Claim {
    fn from(c: SentClaim) -> Claim {
        Claim {
            id: c.id,
            name: c.name,
            email: c.email,
            email_key: c.email_key,
            city: c.city,
            city_key: c.city_key,
            country: c.country,
            event_id: c.event_id,
            year: c.year,
            travel_start: c.travel_start,
            travel_end: c.travel_end,
            amount: Cents(c.amount_cents),
            transport: Cents(c.transport_cents),
            accommodation: Cents(c.accommodation_cents),
            created_at: c.created_at,
            confirmed_at: None,
            status: ClaimStatus::Counted,
            link_id: String::new(),
            link_hashes: Vec::new(),
            reason: None,
            paid: None,
            paid_on: None,
        }
    }
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
