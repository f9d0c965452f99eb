//! Many records of a plausible shape, the same on every run (a fixed
//! pseudo-random sequence): for the query-cost test and `examples/bench_desk.rs`.

use ccg_functions::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, Registration};
use ccg_model::Cents;
use ccg_model::rules::YearUsage;
use std::collections::BTreeMap;

/// Cities that have representatives and claims.
pub const CITIES: usize = 40;
pub const YEARS: [i16; 3] = [2026, 2027, 2028];

pub fn city_key(i: usize) -> String {
    format!("C{:02}:city-{i}", i % 100)
}

/// What a store holds after some years of use.
pub struct Records {
    pub claims: Vec<Claim>,
    pub contacts: Vec<Contact>,
    pub lines: Vec<AuditEntry>,
    pub usage: Vec<(String, i16, YearUsage)>,
}

/// A fixed sequence of numbers (a linear congruential generator).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn at(second: u64) -> jiff::Timestamp {
    // From 2026-01-01, with microseconds, so no two records share an instant.
    jiff::Timestamp::from_microsecond(1_767_225_600_000_000 + i64::try_from(second).unwrap() * 1_000_003).unwrap()
}

/// `claims` claims and `contacts` contacts (a third of them approved representatives, who made the claims),
/// with a history line for each confirmation and decision, and each city's usage per year.
pub fn records(claims: usize, contacts: usize) -> Records {
    let mut dice = Dice(20);
    let mut r = Records { claims: Vec::new(), contacts: Vec::new(), lines: Vec::new(), usage: Vec::new() };
    let words = ["Ayuntamiento", "Stadt", "Council", "Gemeente", "Comune", "Kommune", "Mairie", "Urząd"];
    for i in 0..contacts {
        let approved = i % 3 == 0;
        let status = if approved {
            ContactStatus::Approved
        } else if dice.roll(5) == 0 {
            ContactStatus::Declined
        } else {
            ContactStatus::Confirmed
        };
        let city = i % CITIES;
        let email_key = format!("person{i}@city-{city}.example.eu");
        let created_at = at(i as u64 * 3_000 + dice.roll(3_000) as u64);
        r.contacts.push(Contact {
            details: Registration {
                email_key: email_key.clone(),
                name: format!("Person {i} {}", ["López", "Müller", "Smith", "Rossi"][dice.roll(4)]),
                email: email_key.clone(),
                city: format!("City {city}"),
                country: ["ES", "DE", "IT", "NL"][city % 4].into(),
                organisation: format!("{} {city}", words[dice.roll(words.len())]),
                position: "Officer".into(),
                city_status: "lighthouse".into(),
                project: None,
                // Every other one opted in to the directory (declined ones too: the directory leaves them out).
                listed: i % 2 == 1,
            },
            status,
            city_key: approved.then(|| city_key(city)),
            created_at,
            updated_at: created_at,
            version: 1,
            expires_at: None,
        });
        r.lines.push(AuditEntry {
            at: created_at,
            actor: "applicant".into(),
            action: "contact.confirmed".into(),
            subject: email_key.clone(),
            detail: String::new(),
        });
        if status != ContactStatus::Confirmed {
            let action = if approved { "contact.approved" } else { "contact.declined" };
            r.lines.push(AuditEntry {
                at: at(i as u64 * 3_000 + 2_999),
                actor: "Desk Operator".into(),
                action: action.into(),
                subject: email_key,
                detail: String::new(),
            });
        }
    }
    let representatives: Vec<&Contact> = r.contacts.iter().filter(|c| c.status == ContactStatus::Approved).collect();
    let mut used: BTreeMap<(String, i16), YearUsage> = BTreeMap::new();
    for i in 0..claims {
        let who = representatives[dice.roll(representatives.len())];
        let year = YEARS[dice.roll(YEARS.len())];
        let status = [
            ClaimStatus::Counted,
            ClaimStatus::Counted,
            ClaimStatus::Approved,
            ClaimStatus::Paid,
            ClaimStatus::Paid,
            ClaimStatus::Paid,
            ClaimStatus::Rejected,
            ClaimStatus::Withdrawn,
        ][dice.roll(8)];
        let created_at = at(i as u64 * 1_500 + dice.roll(1_000) as u64);
        let confirmed_at = at(i as u64 * 1_500 + 1_000 + dice.roll(400) as u64);
        let amount = Cents(10_000 + dice.roll(35_000) as i64);
        let id = format!("clm_{i:032x}");
        let city_key = who.city_key.clone().unwrap_or_default();
        let claim = Claim {
            id: id.clone(),
            name: who.details.name.clone(),
            email: who.details.email.clone(),
            email_key: who.details.email_key.clone(),
            city: who.details.city.clone(),
            city_key: city_key.clone(),
            country: who.details.country.clone(),
            event_id: format!("ev{year}-{}", dice.roll(10)),
            year,
            travel_start: jiff::civil::date(year, 3, 15),
            travel_end: jiff::civil::date(year, 3, 17),
            amount,
            transport: amount,
            accommodation: Cents(0),
            created_at,
            confirmed_at: Some(confirmed_at),
            status,
            link_id: format!("pnd_{i:032x}"),
            link_hashes: vec![format!("{i:064x}")],
            reason: (status == ClaimStatus::Rejected).then(|| "not a meeting of the group".into()),
            paid: (status == ClaimStatus::Paid).then_some(amount),
            paid_on: (status == ClaimStatus::Paid).then(|| jiff::civil::date(year, 5, 1)),
            contribution_key: format!("{i:064x}"),
            reference: Some(format!("CCG-{year}-{i:04}")),
        };
        r.lines.push(AuditEntry { at: confirmed_at, actor: "applicant".into(), action: "claim.confirmed".into(), subject: id.clone(), detail: String::new() });
        if status != ClaimStatus::Counted {
            let actor = if status == ClaimStatus::Withdrawn { "applicant" } else { "Desk Operator" };
            let line = AuditEntry {
                at: at(i as u64 * 1_500 + 1_450),
                actor: actor.into(),
                action: format!("claim.{}", status.as_str()),
                subject: id,
                detail: String::new(),
            };
            r.lines.push(line);
        }
        if status.counts() {
            let u = used.entry((city_key, year)).or_default();
            u.trips += 1;
            u.amount = Cents(u.amount.0 + amount.0);
        }
        r.claims.push(claim);
    }
    r.usage = used.into_iter().map(|((k, y), u)| (k, y, u)).collect();
    r
}
