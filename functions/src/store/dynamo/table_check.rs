//! Whether a table holds together (`desk check-table`): run after a restore,
//! on the restored table, and by the restore drill on both tables. A pure
//! function over the items: how many of each kind (the partition key's
//! prefix), and whether each city's yearly counter (`YEAR#`) equals what its
//! claims add up to. It names keys and counts, never a person.

use super::Item;
use super::items::item_claim;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::BTreeMap;

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCheck {
    /// Items per kind: the partition key up to its first `#` (`CLAIM`, `YEAR`, ...).
    pub kinds: BTreeMap<String, usize>,
    /// Claims read (`CLAIM#<id>` items of this version).
    pub claims: usize,
    /// Yearly counters compared exactly with their claims.
    pub counters_exact: usize,
    /// Yearly counters of years whose paid claims may have ended since (then
    /// only "not fewer than their claims" holds): `paid_claim_years` ago and before.
    pub counters_older: usize,
    /// What does not hold, one sentence each.
    pub problems: Vec<String>,
}

impl TableCheck {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report: a line per kind, then the counters, then each problem, then OK or FAILED.
    /// Two tables with the same items print the same `kind` lines.
    pub fn report(&self) -> String {
        let mut out = format!("items {}\n", self.kinds.values().sum::<usize>());
        for (k, n) in &self.kinds {
            out.push_str(&format!("kind {k} {n}\n"));
        }
        out.push_str(&format!(
            "claims {}; yearly counters {} equal to their claims, {} of earlier years not fewer than theirs\n",
            self.claims, self.counters_exact, self.counters_older
        ));
        for p in &self.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        out.push_str(if self.ok() { "OK\n" } else { "FAILED\n" });
        out
    }
}

/// A partition key's kind: up to its first `#`, or the whole key.
pub fn kind_of(pk: &str) -> &str {
    pk.split_once('#').map_or(pk, |(k, _)| k)
}

fn number(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

/// Checks `items` (a whole table) in `this_year`. A paid claim is deleted
/// `paid_claim_years` after its payment while its year's counter stays; a
/// claim of year Y is paid on 1 January of Y - 1 at the earliest, so the
/// counters of years from `this_year - paid_claim_years + 2` on still have
/// every claim that counts in them and must equal their sum. Earlier ones
/// must not be below it. A claim counts while counted, approved or paid
/// (`ClaimStatus::counts`); its trip is one and its euros its `amount`.
pub fn check_items<'a>(items: impl IntoIterator<Item = &'a Item>, this_year: i16, paid_claim_years: u32) -> TableCheck {
    let mut check = TableCheck::default();
    let mut counted: BTreeMap<(String, i16), (i64, i64)> = BTreeMap::new();
    let mut stored: BTreeMap<(String, i16), (i64, i64)> = BTreeMap::new();
    for item in items {
        let Some(AttributeValue::S(pk)) = item.get("pk") else {
            check.problems.push("an item without a string key pk".into());
            continue;
        };
        *check.kinds.entry(kind_of(pk).to_string()).or_default() += 1;
        if let Some(id) = pk.strip_prefix("CLAIM#") {
            // `CLAIM#<city>#<event>`: a claim of the first version, which no list reads.
            if id.contains('#') {
                continue;
            }
            match item_claim(item) {
                Ok(c) => {
                    check.claims += 1;
                    if c.status.counts() {
                        let e = counted.entry((c.city_key.clone(), c.year)).or_default();
                        e.0 += 1;
                        e.1 += c.amount.0;
                    }
                }
                Err(_) => check.problems.push(format!("{pk} does not read as a claim")),
            }
        } else if let Some(rest) = pk.strip_prefix("YEAR#") {
            let parsed = rest.rsplit_once('#').and_then(|(city, year)| Some((city.to_string(), year.parse::<i16>().ok()?)));
            match (parsed, number(item, "trips"), number(item, "cents")) {
                (Some(key), Some(trips), Some(cents)) => {
                    stored.insert(key, (trips, cents));
                }
                _ => check.problems.push(format!("{pk} is not a counter YEAR#<city>#<year> with trips and cents")),
            }
        }
    }
    let exact_from = i32::from(this_year) - i32::try_from(paid_claim_years).unwrap_or(i32::MAX) + 2;
    for (key, &(trips, cents)) in &stored {
        let (want_trips, want_cents) = counted.remove(key).unwrap_or((0, 0));
        let pk = format!("YEAR#{}#{}", key.0, key.1);
        if i32::from(key.1) >= exact_from {
            check.counters_exact += 1;
            if (trips, cents) != (want_trips, want_cents) {
                check.problems.push(format!("{pk} holds {trips} trips and {cents} cents; its claims add up to {want_trips} and {want_cents}"));
            }
        } else {
            check.counters_older += 1;
            if trips < want_trips || cents < want_cents {
                check.problems.push(format!("{pk} holds {trips} trips and {cents} cents, fewer than its claims' {want_trips} and {want_cents}"));
            }
        }
    }
    // Claims that count in a year without a counter.
    for ((city, year), (trips, cents)) in counted {
        check.problems.push(format!("YEAR#{city}#{year} is missing; its claims add up to {trips} trips and {cents} cents"));
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Claim, ClaimStatus};
    use ccg_model::Cents;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: i64) -> AttributeValue {
        AttributeValue::N(v.to_string())
    }

    fn counter(city: &str, year: i16, trips: i64, cents: i64) -> Item {
        [("pk", s(&format!("YEAR#{city}#{year}"))), ("trips", n(trips)), ("cents", n(cents))].into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn claim(id: &str, city: &str, year: i16, cents: i64, status: ClaimStatus) -> Item {
        let day = jiff::civil::date(year, 3, 16);
        let c = Claim {
            id: id.into(),
            name: "Ana".into(),
            email: "ana@example.eu".into(),
            email_key: "ana@example.eu".into(),
            city: "City".into(),
            city_key: city.into(),
            country: "ES".into(),
            event_id: "e1".into(),
            year,
            travel_start: day,
            travel_end: day,
            amount: Cents(cents),
            transport: Cents(cents),
            accommodation: Cents(0),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            confirmed_at: None,
            status,
            link_id: String::new(),
            link_hashes: Vec::new(),
            reason: None,
            paid: None,
            paid_on: None,
            contribution_key: String::new(),
            reference: None,
        };
        super::super::items::claim_item(&c)
    }

    #[test]
    fn counters_equal_to_their_claims_pass_and_kinds_are_counted() {
        let items = vec![
            claim("clm_a", "ES:valladolid", 2026, 30_000, ClaimStatus::Paid),
            claim("clm_b", "ES:valladolid", 2026, 12_000, ClaimStatus::Counted),
            // Given back: counts in no counter.
            claim("clm_c", "ES:valladolid", 2026, 99_900, ClaimStatus::Rejected),
            counter("ES:valladolid", 2026, 2, 42_000),
            // A counter whose claims were all given back.
            counter("PT:lisboa", 2026, 0, 0),
            [("pk".to_string(), s("AUDIT#2026#x"))].into_iter().collect(),
        ];
        let c = check_items(&items, 2026, 5);
        assert!(c.ok(), "{}", c.report());
        assert_eq!(c.kinds, BTreeMap::from([("AUDIT".into(), 1), ("CLAIM".into(), 3), ("YEAR".into(), 2)]));
        assert_eq!((c.claims, c.counters_exact, c.counters_older), (3, 2, 0));
        assert!(c.report().ends_with("OK\n"));
    }

    #[test]
    fn a_counter_that_differs_from_its_claims_is_named() {
        let items = vec![claim("clm_a", "ES:valladolid", 2026, 30_000, ClaimStatus::Approved), counter("ES:valladolid", 2026, 2, 30_000)];
        let c = check_items(&items, 2026, 5);
        assert_eq!(c.problems, vec!["YEAR#ES:valladolid#2026 holds 2 trips and 30000 cents; its claims add up to 1 and 30000".to_string()]);
        assert!(c.report().ends_with("FAILED\n"));
    }

    #[test]
    fn a_counting_claim_without_its_counter_is_named() {
        let c = check_items(&[claim("clm_a", "ES:valladolid", 2026, 100, ClaimStatus::Counted)], 2026, 5);
        assert_eq!(c.problems, vec!["YEAR#ES:valladolid#2026 is missing; its claims add up to 1 trips and 100 cents".to_string()]);
    }

    #[test]
    fn years_whose_paid_claims_may_have_ended_need_only_not_be_below_them() {
        // 2026 - 5 + 2 = 2023: 2022's paid claims may be gone (paid in 2021, kept until 2026).
        let items = vec![
            counter("ES:valladolid", 2022, 3, 90_000),
            claim("clm_a", "ES:valladolid", 2022, 30_000, ClaimStatus::Paid),
            counter("ES:valladolid", 2023, 1, 1),
        ];
        let c = check_items(&items, 2026, 5);
        assert_eq!((c.counters_exact, c.counters_older), (1, 1));
        assert_eq!(c.problems, vec!["YEAR#ES:valladolid#2023 holds 1 trips and 1 cents; its claims add up to 0 and 0".to_string()]);
        // Below its claims is wrong in any year.
        let c = check_items(&[counter("ES:valladolid", 2022, 0, 0), claim("clm_a", "ES:valladolid", 2022, 5, ClaimStatus::Paid)], 2026, 5);
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    }

    #[test]
    fn unreadable_items_are_problems_and_first_version_claims_are_left_alone() {
        let items = vec![
            [("pk".to_string(), s("CLAIM#clm_x")), ("status".to_string(), n(1))].into_iter().collect(),
            [("pk".to_string(), s("CLAIM#ES:valladolid#e1"))].into_iter().collect(),
            [("pk".to_string(), s("YEAR#nonsense"))].into_iter().collect::<Item>(),
            [("other".to_string(), s("x"))].into_iter().collect::<Item>(),
        ];
        let c = check_items(&items, 2026, 5);
        assert_eq!(c.claims, 0);
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        assert_eq!(c.kinds.get("CLAIM"), Some(&2));
    }
}
