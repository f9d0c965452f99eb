//! The embedded store: one SQLite file (WAL), for `serve` and single-machine
//! use. One connection behind a mutex, used from `spawn_blocking`; every claim
//! is a `BEGIN IMMEDIATE` transaction that re-reads the counters, so another
//! process on the same file (an export, a second server) cannot race it either.

use super::{ClaimError, ClaimOutcome, IDEMPOTENCY_TTL_SECS, Kept, PENDING_TTL_SECS, Store, StoreError, StoredAnswer};
use crate::claims::{Claim, Registration};
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longer than this waiting for the file (another writer) or our own queue is "unavailable".
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    max_wait: Duration,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS registrations (
    email_key TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    organisation TEXT NOT NULL,
    position TEXT NOT NULL,
    city_status TEXT NOT NULL,
    project TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    id TEXT PRIMARY KEY,
    city_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    travel_start TEXT NOT NULL,
    travel_end TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    transport_cents INTEGER NOT NULL,
    accommodation_cents INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (city_key, event_id)
);
CREATE TABLE IF NOT EXISTS year_usage (
    city_key TEXT NOT NULL,
    year INTEGER NOT NULL,
    trips INTEGER NOT NULL,
    cents INTEGER NOT NULL,
    PRIMARY KEY (city_key, year)
);
CREATE TABLE IF NOT EXISTS idempotency (
    endpoint TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    location TEXT,
    body BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (endpoint, key)
);
";

fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Unavailable("the database is busy".into()),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::DiskFull | ErrorCode::SystemIoFailure) => {
            StoreError::Unavailable(format!("the database cannot be written: {e}"))
        }
        _ => StoreError::Failed(e.to_string()),
    }
}

fn now_epoch() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its tables.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, DEFAULT_MAX_WAIT)
    }

    pub fn open_with(path: &Path, max_wait: Duration) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(max_wait).map_err(map_err)?;
        // WAL: readers (the export) never block the server; NORMAL sync is
        // durable across a crash of the process, the risk that matters here.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(map_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(map_err)?;
        conn.execute_batch(SCHEMA).map_err(map_err)?;
        // Checkpoints (which fsync) run on a connection of their own, off the request path.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(map_err)?;
        let conn = Arc::new(Mutex::new(conn));
        spawn_checkpointer(path, Arc::downgrade(&conn));
        Ok(SqliteStore { conn, max_wait })
    }

    /// Runs `f` on the connection in the blocking pool. Work that waited too
    /// long for its turn is dropped undone, so an answer of "unavailable"
    /// never hides a write that happens later.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        let max_wait = self.max_wait;
        let queued = Instant::now();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            let waited = queued.elapsed();
            if waited >= max_wait {
                return Err(StoreError::Unavailable("too many requests are waiting for the database".into()));
            }
            conn.busy_timeout(max_wait - waited).map_err(map_err)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Failed(format!("database task failed: {e}")))?
    }
}

/// Copies the WAL back into the database every second while the store lives.
/// PASSIVE never blocks the writer; a failed checkpoint is retried on the next tick.
fn spawn_checkpointer(path: &Path, store: std::sync::Weak<Mutex<Connection>>) {
    let Ok(conn) = Connection::open(path) else { return };
    let _ = conn.busy_timeout(Duration::from_millis(100));
    let _ = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        while store.strong_count() > 0 {
            std::thread::sleep(Duration::from_secs(1));
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    });
}

fn row_to_claim(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claim> {
    let date = |i: usize| -> rusqlite::Result<jiff::civil::Date> {
        let s: String = r.get(i)?;
        s.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    };
    Ok(Claim {
        id: r.get(0)?,
        city_key: r.get(1)?,
        event_id: r.get(2)?,
        year: r.get(3)?,
        name: r.get(4)?,
        email: r.get(5)?,
        city: r.get(6)?,
        country: r.get(7)?,
        travel_start: date(8)?,
        travel_end: date(9)?,
        amount: Cents(r.get(10)?),
        transport: Cents(r.get(11)?),
        accommodation: Cents(r.get(12)?),
        created_at: r.get(13)?,
    })
}

fn usage(conn: &Connection, city_key: &str, year: i16) -> rusqlite::Result<YearUsage> {
    let mut st = conn.prepare_cached("SELECT trips, cents FROM year_usage WHERE city_key = ?1 AND year = ?2")?;
    st.query_row(params![city_key, year], |r| Ok(YearUsage { trips: r.get(0)?, amount: Cents(r.get(1)?) }))
        .optional()
        .map(Option::unwrap_or_default)
}

impl Store for SqliteStore {
    async fn register(&self, r: Registration) -> Result<String, StoreError> {
        self.run(move |conn| {
            conn.prepare_cached(
                "INSERT INTO registrations (email_key, id, name, email, city, country, organisation, position, city_status, project, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (email_key) DO UPDATE SET name = excluded.name, email = excluded.email, city = excluded.city,
                   country = excluded.country, organisation = excluded.organisation, position = excluded.position,
                   city_status = excluded.city_status, project = excluded.project, updated_at = excluded.updated_at",
            )
            .and_then(|mut st| st.execute(params![
                    r.email_key, r.id, r.name, r.email, r.city, r.country, r.organisation, r.position, r.city_status, r.project,
                    r.created_at, r.updated_at
                ]))
            .map_err(map_err)?;
            Ok(r.id)
        })
        .await
    }

    async fn claim(&self, c: Claim, rules: &TravelRules) -> Result<ClaimOutcome, ClaimError> {
        let rules = rules.clone();
        let result = self
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
                let exists: bool = tx
                    .prepare_cached("SELECT 1 FROM claims WHERE city_key = ?1 AND event_id = ?2")
                    .and_then(|mut st| st.query_row(params![c.city_key, c.event_id], |_| Ok(())).optional())
                    .map_err(map_err)?
                    .is_some();
                if exists {
                    return Ok(Err(Refusal::AlreadyClaimed));
                }
                let used = usage(&tx, &c.city_key, c.year).map_err(map_err)?;
                let after = match rules.check_year(used, c.amount) {
                    Ok(after) => after,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                tx.prepare_cached(
                    "INSERT INTO claims (id, city_key, event_id, year, name, email, city, country, travel_start, travel_end,
                       amount_cents, transport_cents, accommodation_cents, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .and_then(|mut st| st.execute(params![
                        c.id,
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
                        c.created_at
                    ]))
                .map_err(map_err)?;
                tx.prepare_cached(
                    "INSERT INTO year_usage (city_key, year, trips, cents) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (city_key, year) DO UPDATE SET trips = excluded.trips, cents = excluded.cents",
                )
                .and_then(|mut st| st.execute(params![c.city_key, c.year, after.trips, after.amount.0]))
                .map_err(map_err)?;
                tx.commit().map_err(map_err)?;
                Ok(Ok(ClaimOutcome { id: c.id, used: after }))
            })
            .await?;
        result.map_err(ClaimError::Refused)
    }

    async fn idempotent_start(&self, endpoint: &str, key: &str, request_hash: &str) -> Result<Option<Kept>, StoreError> {
        let (endpoint, key, hash) = (endpoint.to_string(), key.to_string(), request_hash.to_string());
        self.run(move |conn| {
            let now = now_epoch();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", params![now]).map_err(map_err)?;
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO idempotency (endpoint, key, request_hash, status, content_type, location, body, expires_at)
                     VALUES (?1, ?2, ?3, 0, '', NULL, x'', ?4)",
                    params![endpoint, key, hash, now + PENDING_TTL_SECS],
                )
                .map_err(map_err)?;
            let kept = if inserted == 0 { get_kept(&tx, &endpoint, &key).map_err(map_err)? } else { None };
            tx.commit().map_err(map_err)?;
            Ok(kept)
        })
        .await
    }

    async fn idempotent_get(&self, endpoint: &str, key: &str) -> Result<Option<Kept>, StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| get_kept(conn, &endpoint, &key).map_err(map_err)).await
    }

    async fn idempotent_finish(&self, endpoint: &str, key: &str, a: StoredAnswer) -> Result<(), StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO idempotency (endpoint, key, request_hash, status, content_type, location, body, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![endpoint, key, a.request_hash, a.status, a.content_type, a.location, a.body, now_epoch() + IDEMPOTENCY_TTL_SECS],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn idempotent_abandon(&self, endpoint: &str, key: &str) -> Result<(), StoreError> {
        let (endpoint, key) = (endpoint.to_string(), key.to_string());
        self.run(move |conn| {
            conn.execute("DELETE FROM idempotency WHERE endpoint = ?1 AND key = ?2 AND status = 0", params![endpoint, key]).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn year_usage(&self, city_key: &str, year: i16) -> Result<YearUsage, StoreError> {
        let city_key = city_key.to_string();
        self.run(move |conn| usage(conn, &city_key, year).map_err(map_err)).await
    }

    async fn list_registrations(&self) -> Result<Vec<Registration>, StoreError> {
        self.run(|conn| {
            let mut st = conn
                .prepare(
                    "SELECT id, email_key, name, email, city, country, organisation, position, city_status, project, created_at, updated_at
                     FROM registrations ORDER BY email_key",
                )
                .map_err(map_err)?;
            let rows = st
                .query_map([], |r| {
                    Ok(Registration {
                        id: r.get(0)?,
                        email_key: r.get(1)?,
                        name: r.get(2)?,
                        email: r.get(3)?,
                        city: r.get(4)?,
                        country: r.get(5)?,
                        organisation: r.get(6)?,
                        position: r.get(7)?,
                        city_status: r.get(8)?,
                        project: r.get(9)?,
                        created_at: r.get(10)?,
                        updated_at: r.get(11)?,
                    })
                })
                .map_err(map_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
        })
        .await
    }

    async fn list_claims(&self) -> Result<Vec<Claim>, StoreError> {
        self.run(|conn| {
            let mut st = conn
                .prepare(
                    "SELECT id, city_key, event_id, year, name, email, city, country, travel_start, travel_end,
                       amount_cents, transport_cents, accommodation_cents, created_at
                     FROM claims ORDER BY year, city_key, event_id",
                )
                .map_err(map_err)?;
            let rows = st.query_map([], row_to_claim).map_err(map_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
        })
        .await
    }
}

fn get_kept(conn: &Connection, endpoint: &str, key: &str) -> rusqlite::Result<Option<Kept>> {
    conn.query_row(
        "SELECT request_hash, status, content_type, location, body FROM idempotency
         WHERE endpoint = ?1 AND key = ?2 AND expires_at >= ?3",
        params![endpoint, key, now_epoch()],
        |r| {
            let (request_hash, status): (String, u16) = (r.get(0)?, r.get(1)?);
            Ok(if status == 0 {
                Kept::Pending { request_hash }
            } else {
                Kept::Done(StoredAnswer { request_hash, status, content_type: r.get(2)?, location: r.get(3)?, body: r.get(4)? })
            })
        },
    )
    .optional()
}
