//! Claims and the cities' yearly counters: a claim's confirmation (counted), its change of state (with its end, and its trip given back), each in one transaction; the listings.

use super::*;

pub(super) const CLAIM_COLUMNS: &str = "id, email_key, city_key, event_id, year, name, email, city, country, travel_start, travel_end, \
     amount_cents, transport_cents, accommodation_cents, created_at, confirmed_at, status, link_id, link_hashes, reason, paid_cents, paid_on, \
     contribution_key, reference, rank";

/// The states in which a claim takes a trip and euros of its city's year, as SQL.
pub(super) const COUNTING: &str = "('counted', 'approved', 'paid')";

pub(super) fn row_to_claim(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claim> {
    let date = |i: usize| -> rusqlite::Result<jiff::civil::Date> {
        let s: String = r.get(i)?;
        s.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    };
    Ok(Claim {
        id: r.get(0)?,
        email_key: r.get(1)?,
        city_key: r.get(2)?,
        event_id: r.get(3)?,
        year: r.get(4)?,
        name: r.get(5)?,
        email: r.get(6)?,
        city: r.get(7)?,
        country: r.get(8)?,
        travel_start: date(9)?,
        travel_end: date(10)?,
        amount: Cents(r.get(11)?),
        transport: Cents(r.get(12)?),
        accommodation: Cents(r.get(13)?),
        created_at: timestamp(r, 14)?,
        // Empty while not confirmed (no stored claim is).
        confirmed_at: match r.get::<_, String>(15)?.as_str() {
            "" => None,
            _ => Some(timestamp(r, 15)?),
        },
        status: {
            let st: String = r.get(16)?;
            ClaimStatus::parse(&st).ok_or_else(|| bad(16, format!("unknown claim status {st}")))?
        },
        link_id: r.get(17)?,
        link_hashes: {
            let h: String = r.get(18)?;
            serde_json::from_str(&h).map_err(|e| bad(18, e.to_string()))?
        },
        reason: r.get(19)?,
        paid: r.get::<_, Option<i64>>(20)?.map(Cents),
        paid_on: match r.get::<_, Option<String>>(21)? {
            Some(d) => Some(d.parse().map_err(|_| bad(21, format!("bad date {d}")))?),
            None => None,
        },
        contribution_key: r.get(22)?,
        reference: r.get(23)?,
    })
}

pub(super) fn claim(conn: &Connection, id: &str) -> Result<Option<Claim>, StoreError> {
    conn.prepare_cached(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE id = ?1"))
        .and_then(|mut st| st.query_row(params![id], row_to_claim).optional())
        .map_err(read_err(|| format!("claim {id}")))
}

/// Whether the person has a counting claim for the meeting: one with their
/// contribution key (kept when a claimant leaves), or one counted before
/// claims had that key, found by its address and meeting.
fn has_claim_for(conn: &Connection, contribution_key: &str, email_key: &str, event_id: &str) -> rusqlite::Result<bool> {
    let found = |sql: &str, p: &[&dyn rusqlite::ToSql]| conn.prepare_cached(sql)?.query_row(p, |_| Ok(())).optional().map(|f| f.is_some());
    Ok(found(&format!("SELECT 1 FROM claims WHERE contribution_key = ?1 AND contribution_key != '' AND status IN {COUNTING}"), &[&contribution_key])?
        || found(&format!("SELECT 1 FROM claims WHERE email_key = ?1 AND event_id = ?2 AND status IN {COUNTING}"), &[&email_key, &event_id])?)
}

/// The next number of `year`'s claim references (`decide::reference`): a
/// counter per year, taken in the confirmation's transaction, so a refused
/// or failed confirmation takes none.
fn next_number(conn: &Connection, year: i16) -> rusqlite::Result<u64> {
    conn.prepare_cached("INSERT INTO claim_numbers (year, last) VALUES (?1, 1) ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last")?
        .query_row(params![year], |r| r.get::<_, i64>(0))
        .map(|n| n.unsigned_abs())
}

pub(super) fn write_claim(conn: &Connection, c: &Claim) -> rusqlite::Result<()> {
    // An upsert, not a replace: the claim's end (`expires_at`) is set apart and stays.
    let update: Vec<String> = CLAIM_COLUMNS.split(", ").skip(1).map(|c| format!("{c} = excluded.{c}")).collect();
    conn.prepare_cached(&format!(
        "INSERT INTO claims ({CLAIM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25) \
         ON CONFLICT (id) DO UPDATE SET {}",
        update.join(", ")
    ))?
    .execute(params![
        c.id,
        c.email_key,
        c.city_key,
        c.event_id,
        c.year,
        c.name,
        c.email,
        c.city,
        c.country,
        c.travel_start.to_string(),
        c.travel_end.to_string(),
        c.amount.0,
        c.transport.0,
        c.accommodation.0,
        c.created_at.to_string(),
        c.confirmed_at.map(|t| t.to_string()).unwrap_or_default(),
        c.status.as_str(),
        c.link_id,
        serde_json::to_string(&c.link_hashes).unwrap_or_else(|_| "[]".into()),
        c.reason,
        c.paid.map(|p| p.0),
        c.paid_on.map(|d| d.to_string()),
        c.contribution_key,
        c.reference,
        lists::claim_rank(c),
    ])?;
    Ok(())
}

/// A claim no longer counts: its trip and euros go back to its city's year.
pub(super) fn give_back(conn: &Connection, c: &Claim) -> rusqlite::Result<()> {
    conn.execute("UPDATE year_usage SET trips = trips - 1, cents = cents - ?1 WHERE city_key = ?2 AND year = ?3", params![c.amount.0, c.city_key, c.year])?;
    Ok(())
}

pub(super) fn usage(conn: &Connection, city_key: &str, year: i16) -> rusqlite::Result<YearUsage> {
    let mut st = conn.prepare_cached("SELECT trips, cents FROM year_usage WHERE city_key = ?1 AND year = ?2")?;
    st.query_row(params![city_key, year], |r| Ok(YearUsage { trips: r.get(0)?, amount: Cents(r.get(1)?) })).optional().map(Option::unwrap_or_default)
}

impl ClaimStore for SqliteStore {
    async fn confirm_claim(
        &self,
        id: &str,
        token_hash: &str,
        rules: &TravelRules,
        open: &OpenMeetings,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> Result<ClaimOutcome, ConfirmFailed> {
        let (id, hash, now, rules, open) = (id.to_string(), token_hash.to_string(), now, rules.clone(), open.clone());
        let person_key = self.person_key()?;
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = read_pending(&tx, &id, now_secs)?;
            let c = match decide::claim_link(p.as_ref(), &hash, now_secs) {
                Ok((_, c)) => c,
                Err(e) => return Ok(Err(e.into())),
            };
            let contact = read_contact(&tx, &c.email_key)?;
            let contribution_key = person_key.contribution_key(&c.email_key, &c.event_id);
            let facts = decide::ClaimFacts {
                pending: p.as_ref(),
                meeting_open: open.takes_claims(&c.event_id),
                token_hash: &hash,
                contact: contact.as_ref(),
                already_claimed: has_claim_for(&tx, &contribution_key, &c.email_key, &c.event_id).map_err(map_err)?,
                used: usage(&tx, &c.city_key, c.year).map_err(map_err)?,
                contribution_key: &contribution_key,
            };
            let mut done = match decide::confirm_claim(&facts, &rules, now, now_secs) {
                Ok(done) => done,
                Err(e) => return Ok(Err(e.into())),
            };
            let number = next_number(&tx, done.claim.year).map_err(map_err)?;
            done.claim = decide::numbered(done.claim, number);
            let c = &done.claim;
            write_claim(&tx, c).map_err(map_err)?;
            tx.prepare_cached(
                "INSERT INTO year_usage (city_key, year, trips, cents) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (city_key, year) DO UPDATE SET trips = excluded.trips, cents = excluded.cents",
            )
            .and_then(|mut st| st.execute(params![c.city_key, c.year, done.used.trips, done.used.amount.0]))
            .map_err(map_err)?;
            mark_used(&tx, &id).map_err(map_err)?;
            let detail = format!("{} {} {} {}", c.city_key, c.event_id, c.year, c.amount.to_decimal());
            write_audit(&tx, &audit_entry(now, "applicant", "claim.confirmed", &c.id, detail)).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(done))
        })
        .await?
    }

    async fn year_usage(&self, city_key: &str, year: i16) -> Result<YearUsage, StoreError> {
        let city_key = city_key.to_string();
        self.run(move |conn| usage(conn, &city_key, year).map_err(map_err)).await
    }

    async fn list_claims(&self) -> Result<Vec<Claim>, StoreError> {
        self.run(|conn| all(conn, &format!("SELECT {CLAIM_COLUMNS} FROM claims ORDER BY year, city_key, event_id, id"), [], row_to_claim)).await
    }

    async fn get_claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| claim(conn, &id)).await
    }

    async fn claim_by_reference(&self, reference: &str) -> Result<Option<Claim>, StoreError> {
        let reference = reference.to_string();
        self.run(move |conn| {
            conn.prepare_cached(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE reference = ?1"))
                .and_then(|mut st| st.query_row(params![reference], row_to_claim).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn claim_by_link(&self, link_id: &str) -> Result<Option<Claim>, StoreError> {
        let link_id = link_id.to_string();
        self.run(move |conn| {
            conn.prepare_cached(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE link_id = ?1"))
                .and_then(|mut st| st.query_row(params![link_id], row_to_claim).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn transition_claim(&self, id: &str, change: ClaimChange, audit: AuditEntry) -> Result<Claim, TransitionError> {
        let id = id.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(old) = claim(&tx, &id)? else { return Ok(Err(TransitionError::NotFound)) };
            let (new, gives_back) = match decide::transition(&change, &old) {
                Ok(next) => next,
                Err(now) => return Ok(Err(TransitionError::Conflict(now))),
            };
            write_claim(&tx, &new).map_err(map_err)?;
            if let Some(end) = change.expires_at {
                tx.execute("UPDATE claims SET expires_at = ?1 WHERE id = ?2", params![end, id]).map_err(map_err)?;
            }
            if gives_back {
                give_back(&tx, &old).map_err(map_err)?;
            }
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(new))
        })
        .await?
    }

    async fn list_usage(&self) -> Result<Vec<(String, i16, YearUsage)>, StoreError> {
        self.run(|conn| {
            all(conn, "SELECT city_key, year, trips, cents FROM year_usage ORDER BY year, city_key", [], |r| {
                Ok((r.get(0)?, r.get(1)?, YearUsage { trips: r.get(2)?, amount: Cents(r.get(3)?) }))
            })
        })
        .await
    }
}
