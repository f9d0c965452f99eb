//! CSV for the secretariat (RFC 4180: CRLF line ends, fields quoted when needed;
//! money as 412.50).

use crate::records::{Claim, Contact};

/// Quotes a field when it holds a comma, a quote, a line break or leading/trailing space.
/// A leading `=`, `+`, `-` or `@` gets an apostrophe, so a spreadsheet never runs it as a formula.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

pub(crate) fn row(out: &mut String, fields: &[&str]) {
    let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

pub fn contacts_csv(rows: &[Contact]) -> String {
    let mut out = String::new();
    row(
        &mut out,
        &["email", "name", "city", "country", "organisation", "position", "city_status", "project", "status", "represents", "created_at", "updated_at"],
    );
    for c in rows {
        let r = &c.details;
        row(
            &mut out,
            &[
                &r.email,
                &r.name,
                &r.city,
                &r.country,
                &r.organisation,
                &r.position,
                &r.city_status,
                r.project.as_deref().unwrap_or(""),
                c.status.as_str(),
                c.city_key.as_deref().unwrap_or(""),
                &c.created_at.to_string(),
                &c.updated_at.to_string(),
            ],
        );
    }
    out
}

pub fn claims_csv(rows: &[Claim]) -> String {
    let mut out = String::new();
    row(
        &mut out,
        &[
            "id",
            "year",
            "event",
            "city",
            "country",
            "city_key",
            "name",
            "email",
            "travel_start",
            "travel_end",
            "amount_eur",
            "transport_eur",
            "accommodation_eur",
            "created_at",
            "confirmed_at",
            "status",
            "paid_eur",
            "paid_on",
            "reason",
            // Last, so the columns of earlier exports keep their places; empty for a claim from before references.
            "reference",
        ],
    );
    for c in rows {
        row(
            &mut out,
            &[
                &c.id,
                &c.year.to_string(),
                &c.event_id,
                &c.city,
                &c.country,
                &c.city_key,
                &c.name,
                &c.email,
                &c.travel_start.to_string(),
                &c.travel_end.to_string(),
                &c.amount.to_decimal(),
                &c.transport.to_decimal(),
                &c.accommodation.to_decimal(),
                &c.created_at.to_string(),
                &c.confirmed_at.map(|t| t.to_string()).unwrap_or_default(),
                c.status.as_str(),
                &c.paid.map(|p| p.to_decimal()).unwrap_or_default(),
                &c.paid_on.map(|d| d.to_string()).unwrap_or_default(),
                c.reason.as_deref().unwrap_or(""),
                c.reference.as_deref().unwrap_or(""),
            ],
        );
    }
    out
}

/// Rows as `desk usage` prints them: year, city, trips used and left, euros used and left.
pub fn usage_csv(rows: &[[String; 6]]) -> String {
    let mut out = String::new();
    row(&mut out, &["year", "city", "trips_used", "trips_left", "eur_used", "eur_left"]);
    for r in rows {
        row(&mut out, &r.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccg_model::Cents;

    #[test]
    fn quoting() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field(" padded"), "\" padded\"");
    }

    #[test]
    fn claims_have_money_in_euros() {
        let c = Claim {
            id: "clm_1".into(),
            name: "López, Ana".into(),
            email: "a@b.eu".into(),
            email_key: "a@b.eu".into(),
            city: "Valladolid".into(),
            city_key: "ES:valladolid".into(),
            country: "ES".into(),
            event_id: "e".into(),
            year: 2027,
            travel_start: jiff::civil::Date::constant(2027, 3, 15),
            travel_end: jiff::civil::Date::constant(2027, 3, 17),
            amount: Cents(41250),
            transport: Cents(30000),
            accommodation: Cents(11250),
            created_at: "2027-01-01T00:00:00Z".parse().unwrap(),
            confirmed_at: Some("2027-01-01T00:05:00Z".parse().unwrap()),
            status: crate::records::ClaimStatus::Paid,
            link_id: "pnd_1".into(),
            link_hashes: vec!["h".into()],
            reason: None,
            paid: Some(Cents(40000)),
            paid_on: Some(jiff::civil::Date::constant(2027, 4, 2)),
            contribution_key: "c0ffee".into(),
            reference: Some("CCG-2027-0042".into()),
        };
        let old = Claim { reference: None, ..c.clone() };
        let csv = claims_csv(&[c, old]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].ends_with(",reason,reference"), "{}", lines[0]);
        assert!(!csv.contains("c0ffee"), "the contribution key is no business of a spreadsheet");
        assert_eq!(
            lines[1],
            "clm_1,2027,e,Valladolid,ES,ES:valladolid,\"López, Ana\",a@b.eu,2027-03-15,2027-03-17,412.50,300.00,112.50,2027-01-01T00:00:00Z,2027-01-01T00:05:00Z,paid,400.00,2027-04-02,,CCG-2027-0042"
        );
        assert!(lines[2].ends_with("paid,400.00,2027-04-02,,"), "a claim from before references has none: {}", lines[2]);
    }
}
