//! What the Scalable Cities Secretariat needs to pay a contribution, as the
//! group publishes it (`payment:` in `content/data/travel-support.yaml`).
//! Every part is optional: a part left out is said nowhere (the pages and
//! emails render only what is set), so nothing is said in the group's name
//! before it is published.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// What to keep and send: "Tickets or boarding passes", "Hotel invoice".
    #[serde(default)]
    pub documents: Vec<String>,
    /// Who is paid: the person, or their city.
    #[serde(default)]
    pub payee: Option<String>,
    /// How payment details (a bank account) are given.
    #[serde(default)]
    pub details: Option<String>,
    /// How long payment takes once the claim is approved.
    #[serde(default)]
    pub time: Option<String>,
}

impl Payment {
    /// The parts that are set, blank ones dropped: what the pages and emails say.
    pub fn published(&self) -> Payment {
        let part = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Payment {
            documents: self.documents.iter().map(|d| d.trim()).filter(|d| !d.is_empty()).map(str::to_string).collect(),
            payee: part(&self.payee),
            details: part(&self.details),
            time: part(&self.time),
        }
    }

    /// Nothing is published: every page and email leaves the part out.
    pub fn is_empty(&self) -> bool {
        let p = self.published();
        p.documents.is_empty() && p.payee.is_none() && p.details.is_none() && p.time.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_parts_are_not_published() {
        let p = Payment { documents: vec![" ".into(), "Tickets".into()], payee: Some("  ".into()), details: None, time: Some("30 days".into()) };
        let shown = p.published();
        assert_eq!(shown.documents, ["Tickets"]);
        assert_eq!((shown.payee, shown.time.as_deref()), (None, Some("30 days")));
        assert!(!p.is_empty());
        assert!(Payment { documents: vec![String::new()], payee: Some(String::new()), ..Payment::default() }.is_empty());
    }
}
