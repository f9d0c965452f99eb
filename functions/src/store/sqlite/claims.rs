//! Claims and the cities' yearly counters: reading them, and a claim's change of state (with its end, and its trip given back) in one transaction.

use super::*;

pub(super) const CLAIM_COLUMNS: &str = "id, email_key, city_key, event_id, year, name, email, city, country, travel_start, travel_end, \
     amount_cents, transport_cents, accommodation_cents, created_at, confirmed_at, status, link_id, link_hashes, reason, paid_cents, paid_on";

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
    })
}

pub(super) fn claim(conn: &Connection, id: &str) -> rusqlite::Result<Option<Claim>> {
    conn.prepare_cached(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE id = ?1"))?.query_row(params![id], row_to_claim).optional()
}

pub(super) fn write_claim(conn: &Connection, c: &Claim) -> rusqlite::Result<()> {
    // An upsert, not a replace: the claim's end (`expires_at`) is set apart and stays.
    let update: Vec<String> = CLAIM_COLUMNS.split(", ").skip(1).map(|c| format!("{c} = excluded.{c}")).collect();
    conn.prepare_cached(&format!(
        "INSERT INTO claims ({CLAIM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) \
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

impl SqliteStore {
    pub(super) async fn year_usage_in(&self, city_key: &str, year: i16) -> Result<YearUsage, StoreError> {
        let city_key = city_key.to_string();
        self.run(move |conn| usage(conn, &city_key, year).map_err(map_err)).await
    }

    pub(super) async fn list_claims_in(&self) -> Result<Vec<Claim>, StoreError> {
        self.run(|conn| all(conn, &format!("SELECT {CLAIM_COLUMNS} FROM claims ORDER BY year, city_key, event_id, id"), [], row_to_claim)).await
    }

    pub(super) async fn get_claim_in(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| claim(conn, &id).map_err(map_err)).await
    }

    pub(super) async fn claim_by_link_in(&self, link_id: &str) -> Result<Option<Claim>, StoreError> {
        let link_id = link_id.to_string();
        self.run(move |conn| {
            conn.prepare_cached(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE link_id = ?1"))
                .and_then(|mut st| st.query_row(params![link_id], row_to_claim).optional())
                .map_err(map_err)
        })
        .await
    }

    pub(super) async fn transition_claim_in(&self, id: &str, change: ClaimChange, audit: AuditEntry) -> Result<Claim, TransitionError> {
        let id = id.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(old) = claim(&tx, &id).map_err(map_err)? else { return Ok(Err(TransitionError::NotFound)) };
            if !change.from.contains(&old.status) {
                return Ok(Err(TransitionError::Conflict(old.status)));
            }
            let new = change.apply(&old);
            write_claim(&tx, &new).map_err(map_err)?;
            if let Some(end) = change.expires_at {
                tx.execute("UPDATE claims SET expires_at = ?1 WHERE id = ?2", params![end, id]).map_err(map_err)?;
            }
            if change.gives_back(old.status) {
                give_back(&tx, &old).map_err(map_err)?;
            }
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(new))
        })
        .await?
    }

    pub(super) async fn list_usage_in(&self) -> Result<Vec<(String, i16, YearUsage)>, StoreError> {
        self.run(|conn| {
            all(conn, "SELECT city_key, year, trips, cents FROM year_usage ORDER BY year, city_key", [], |r| {
                Ok((r.get(0)?, r.get(1)?, YearUsage { trips: r.get(2)?, amount: Cents(r.get(3)?) }))
            })
        })
        .await
    }

    pub(super) async fn claim_expires_at_in(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let end: Option<Option<i64>> =
                conn.query_row("SELECT expires_at FROM claims WHERE id = ?1", params![id], |r| r.get(0)).optional().map_err(map_err)?;
            Ok(end.flatten())
        })
        .await
    }
}
