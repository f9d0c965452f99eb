//! What the stores keep: contacts, claims, submissions waiting for their
//! emailed link, and the audit trail. Plain data: no rules, no I/O.

use ccg_model::Cents;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

mod account;
mod shared;
mod stored;

pub use account::{Ceremony, CeremonyKind, Passkey, Role, Session, SignInLink, SignedInBy, Staff};
pub use shared::{FileType, LANGUAGES, SHARED_PREFIX, SharedDocument, SharedKind, language_name, shared_key};

/// A person's details as they sent them through the join form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The lower-cased email: one contact per address.
    pub email_key: String,
    pub name: String,
    pub email: String,
    pub city: String,
    pub country: String,
    pub organisation: String,
    pub position: String,
    pub city_status: String,
    pub project: Option<String>,
    /// Listed in the members' directory (`/members/directory/`): an opt-in,
    /// off unless asked for at joining or on the member's page; records
    /// written before the directory read as not listed, and one not listed
    /// is written as before (without the field).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub listed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactStatus {
    /// The address confirmed its registration; the secretariat has not decided yet.
    Confirmed,
    /// The secretariat admitted the person as a representative of `Contact::city_key`.
    Approved,
    /// The secretariat declined (or withdrew) the person as a representative.
    Declined,
}

impl ContactStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Confirmed => "confirmed",
            ContactStatus::Approved => "approved",
            ContactStatus::Declined => "declined",
        }
    }
    pub fn parse(s: &str) -> Option<ContactStatus> {
        match s {
            "confirmed" => Some(ContactStatus::Confirmed),
            "approved" => Some(ContactStatus::Approved),
            "declined" => Some(ContactStatus::Declined),
            _ => None,
        }
    }
}

/// A confirmed contact of the CCG. Its serde form is the stored contact: the
/// registration's fields and the contact's own side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(flatten)]
    pub details: Registration,
    pub status: ContactStatus,
    /// Set while `Approved`: the city (directory key, `ES:valladolid`) this person represents.
    pub city_key: Option<String>,
    /// Stored as RFC 3339 text.
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Bumped by every change; a write that read an older version is refused and retried.
    pub version: u64,
    /// Set when the secretariat declines the contact: the Unix second from
    /// which it is deleted (`RetentionConfig::declined_contact_until`).
    pub expires_at: Option<i64>,
}

impl Contact {
    /// True when this contact may claim for `city_key`.
    pub fn represents(&self, city_key: &str) -> bool {
        self.status == ContactStatus::Approved && self.city_key.as_deref() == Some(city_key)
    }
}

/// Where a counted claim stands. `Counted` is the state a confirmation leaves;
/// only the secretariat moves it on, except that its claimant may withdraw it
/// until it is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimStatus {
    /// Confirmed by its claimant and counted against the city's year; waiting for the secretariat.
    Counted,
    Approved,
    /// Paid (at most the amount asked for).
    Paid,
    /// Refused by the secretariat: its trip and euros went back to the city's year.
    Rejected,
    /// Taken back by its claimant before approval: its trip and euros went back too.
    Withdrawn,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 5] = [ClaimStatus::Counted, ClaimStatus::Approved, ClaimStatus::Paid, ClaimStatus::Rejected, ClaimStatus::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Counted => "counted",
            ClaimStatus::Approved => "approved",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Rejected => "rejected",
            ClaimStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        ClaimStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Whether the claim still takes a trip and euros of its city's year.
    pub fn counts(self) -> bool {
        matches!(self, ClaimStatus::Counted | ClaimStatus::Approved | ClaimStatus::Paid)
    }
    /// What a person reads on their claim's page.
    pub fn describe(self) -> &'static str {
        match self {
            ClaimStatus::Counted => "confirmed and counted; the Scalable Cities Secretariat has not decided on it yet",
            ClaimStatus::Approved => "approved by the Scalable Cities Secretariat; payment follows",
            ClaimStatus::Paid => "paid",
            ClaimStatus::Rejected => "rejected by the Scalable Cities Secretariat",
            ClaimStatus::Withdrawn => "withdrawn by you",
        }
    }
}

/// A travel claim. It exists in the store once its claimant confirmed it, and
/// from then on it counts against its city's year (unless rejected or withdrawn).
/// Its serde form is the stored claim (money as `*_cents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub id: String,
    pub name: String,
    pub email: String,
    /// The lower-cased email: one contribution per person and meeting.
    pub email_key: String,
    /// The city as the directory spells it (not as typed).
    pub city: String,
    /// `ES:valladolid`: the same city whatever the spelling or project.
    pub city_key: String,
    pub country: String,
    pub event_id: String,
    /// The calendar year of the event: the year the claim counts in.
    pub year: i16,
    pub travel_start: Date,
    pub travel_end: Date,
    #[serde(rename = "amount_cents", with = "stored::cents")]
    pub amount: Cents,
    #[serde(rename = "transport_cents", with = "stored::cents")]
    pub transport: Cents,
    #[serde(rename = "accommodation_cents", with = "stored::cents")]
    pub accommodation: Cents,
    /// When it was sent; `confirmed_at` is set when it was counted. Stored as RFC 3339 text.
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    /// Set from confirmation on. A claim stored before claims had states (none
    /// in production) reads as counted, with no link.
    #[serde(default = "counted")]
    pub status: ClaimStatus,
    /// The pending record it was confirmed from, and the hashes of that link's
    /// secrets: the same link then shows the claim's state and offers to withdraw it.
    #[serde(default)]
    pub link_id: String,
    #[serde(default)]
    pub link_hashes: Vec<String>,
    /// The secretariat's decision: why a claim was rejected, or why a payment is below the
    /// amount asked for (a paid claim's reason); what was paid and when.
    pub reason: Option<String>,
    #[serde(rename = "paid_cents", default, with = "stored::cents::option")]
    pub paid: Option<Cents>,
    pub paid_on: Option<Date>,
    /// What the one contribution per person and meeting is held by
    /// (`token::PersonKey::contribution_key`): a keyed hash of the address with
    /// the meeting, kept with the claim when its claimant leaves. Empty on a
    /// claim counted before it existed: those are held by `email_key` alone.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contribution_key: String,
    /// `CCG-2027-0042`, given when the claim is counted (`decide::reference`):
    /// what a person reads out. `None` on a claim counted before references,
    /// which goes by its id (`Claim::reference_or_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Claim {
    /// How the claim is named to people: its reference, or its id when it has none.
    pub fn reference_or_id(&self) -> &str {
        self.reference.as_deref().unwrap_or(&self.id)
    }
}

fn counted() -> ClaimStatus {
    ClaimStatus::Counted
}

/// A claim as sent, waiting for its emailed link: not counted, so without a
/// state or a confirmation time. Its confirmation (`decide::confirm_claim`)
/// turns it into a counted `Claim`. Its serde form is the pending item's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftClaim {
    pub id: String,
    pub name: String,
    pub email: String,
    /// The lower-cased email: one contribution per person and meeting.
    pub email_key: String,
    /// The city as the directory spells it (not as typed).
    pub city: String,
    pub city_key: String,
    pub country: String,
    pub event_id: String,
    /// The calendar year of the event: the year the claim counts in.
    pub year: i16,
    pub travel_start: Date,
    pub travel_end: Date,
    /// The contribution asked for: the costs, up to the per-trip limit.
    #[serde(rename = "amount_cents", with = "stored::cents")]
    pub amount: Cents,
    #[serde(rename = "transport_cents", with = "stored::cents")]
    pub transport: Cents,
    #[serde(rename = "accommodation_cents", with = "stored::cents")]
    pub accommodation: Cents,
    /// When it was sent.
    pub created_at: Timestamp,
}

impl Claim {
    /// The claim as its claimant sent it (with the contribution counted, which may be less than asked).
    pub fn draft(&self) -> DraftClaim {
        DraftClaim {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            email_key: self.email_key.clone(),
            city: self.city.clone(),
            city_key: self.city_key.clone(),
            country: self.country.clone(),
            event_id: self.event_id.clone(),
            year: self.year,
            travel_start: self.travel_start,
            travel_end: self.travel_end,
            amount: self.amount,
            transport: self.transport,
            accommodation: self.accommodation,
            created_at: self.created_at,
        }
    }
}

/// What waits for its emailed link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingItem {
    /// A registration, or a change of an existing contact.
    Registration(Registration),
    /// A claim from an approved representative, not counted yet.
    Claim(DraftClaim),
}

impl PendingItem {
    pub fn email_key(&self) -> &str {
        match self {
            PendingItem::Registration(r) => &r.email_key,
            PendingItem::Claim(c) => &c.email_key,
        }
    }
    /// `registration` or `claim`.
    pub fn kind(&self) -> &'static str {
        match self {
            PendingItem::Registration(_) => "registration",
            PendingItem::Claim(_) => "claim",
        }
    }
}

/// A submission waiting for its emailed link. The link carries `id` and a
/// secret; only the SHA-256 of each secret sent is kept (`token_hashes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// `pnd_` + 32 hex digits, random.
    pub id: String,
    pub item: PendingItem,
    /// One per email sent for it (the first, then each "send the link again").
    pub token_hashes: Vec<String>,
    pub created_at: Timestamp,
    /// Unix seconds: after this the link no longer works and the record is deleted.
    pub expires_at: i64,
    /// Set when the link was used: a link works once.
    pub used: bool,
}

/// How many links one pending submission may have sent (the first and the resends).
pub const MAX_LINKS: usize = 5;

/// One line of the audit trail: who changed what, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// To the nanosecond, so entries sort in order; stored as RFC 3339 text.
    pub at: Timestamp,
    /// The secretariat's operator name, or `applicant` for a confirmation by its link.
    pub actor: String,
    /// `contact.confirmed`, `contact.changed`, `contact.approved`, `contact.declined`, `claim.confirmed`, ...
    pub action: String,
    /// The email key or claim id the action is about.
    pub subject: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_items_survive_their_json() {
        let r = PendingItem::Registration(Registration {
            email_key: "ana@x.eu".into(),
            name: "Ana \"A\" López".into(),
            email: "Ana@X.eu".into(),
            city: "Valladolid".into(),
            country: "ES".into(),
            organisation: "O".into(),
            position: "P".into(),
            city_status: "fellow".into(),
            project: None,
            listed: false,
        });
        assert_eq!(PendingItem::from_json(&r.to_json()).unwrap(), r);
        let c = PendingItem::Claim(DraftClaim {
            id: "clm_1".into(),
            name: "Ana".into(),
            email: "ana@x.eu".into(),
            email_key: "ana@x.eu".into(),
            city: "Valladolid".into(),
            city_key: "ES:valladolid".into(),
            country: "ES".into(),
            event_id: "e1".into(),
            year: 2027,
            travel_start: Date::constant(2027, 3, 15),
            travel_end: Date::constant(2027, 3, 17),
            amount: Cents(41250),
            transport: Cents(30000),
            accommodation: Cents(11250),
            created_at: "2026-11-02T09:15:00.5Z".parse().unwrap(),
        });
        assert_eq!(PendingItem::from_json(&c.to_json()).unwrap(), c);
        assert!(PendingItem::from_json("{\"kind\":\"other\"}").is_err());
        // The text the stores have kept since the first version (its keys sorted, `project` null when none).
        let PendingItem::Registration(mut r) = r else { unreachable!() };
        r.name = "Ana".into();
        let text = r#"{"city":"Valladolid","city_status":"fellow","country":"ES","email":"Ana@X.eu","email_key":"ana@x.eu","kind":"registration","name":"Ana","organisation":"O","position":"P","project":null}"#;
        assert_eq!(PendingItem::Registration(r).to_json(), text);
        let text = r#"{"accommodation_cents":11250,"amount_cents":41250,"city":"Valladolid","city_key":"ES:valladolid","country":"ES","created_at":"2026-11-02T09:15:00.5Z","email":"ana@x.eu","email_key":"ana@x.eu","event_id":"e1","id":"clm_1","kind":"claim","name":"Ana","transport_cents":30000,"travel_end":"2027-03-17","travel_start":"2027-03-15","year":2027}"#;
        assert_eq!(c.to_json(), text);
    }
}

/// A supporting document of a claim (a ticket, an invoice), as recorded once
/// its file was uploaded and checked. The file itself is in the file store
/// under `key`; this is what the secretariat sees of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub claim_id: String,
    /// Random, chosen when the upload form was made: part of the file's key.
    pub id: String,
    /// The file's name as the claimant's browser gave it.
    pub file_name: String,
    /// `pdf`, `jpeg` or `png`: what its first bytes say, not its name.
    pub kind: DocumentKind,
    pub size: u64,
    pub uploaded_at: Timestamp,
}

impl Document {
    /// Where its file is kept: `claims/<claim id>/<doc id>/<file name>`.
    pub fn key(&self) -> String {
        document_key(&self.claim_id, &self.id, &self.file_name)
    }
}

/// The key of a document's file; the file store sees only keys under `claims/`.
pub fn document_key(claim_id: &str, doc_id: &str, file_name: &str) -> String {
    format!("{}{file_name}", document_prefix(claim_id, doc_id))
}

/// The key's start an upload form allows (the browser adds the file name).
pub fn document_prefix(claim_id: &str, doc_id: &str) -> String {
    format!("claims/{claim_id}/{doc_id}/")
}

/// The types a supporting document may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Pdf,
    Jpeg,
    Png,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [DocumentKind::Pdf, DocumentKind::Jpeg, DocumentKind::Png];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Jpeg => "jpeg",
            DocumentKind::Png => "png",
        }
    }
    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn mime(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Png => "image/png",
        }
    }
    /// What a person reads: "PDF".
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "PDF",
            DocumentKind::Jpeg => "JPEG",
            DocumentKind::Png => "PNG",
        }
    }
}
