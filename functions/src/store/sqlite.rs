//! The embedded store: one SQLite file (WAL), for `serve` and single-machine
//! use. One connection behind a mutex, used from `spawn_blocking`; every
//! change is a `BEGIN IMMEDIATE` transaction that re-reads what it depends
//! on, so another process on the same file (the desk, a second server)
//! cannot race it either.

use super::{
    ClaimChange, ClaimOutcome, ConfirmError, ContactOutcome, ERASED, Erased, IDEMPOTENCY_TTL_SECS, Kept, LeaveError, PENDING_TTL_SECS, Store, StoreError, StoredAnswer,
    Swept, TransitionError, UpdateError, anonymised, apply_registration, check_link, erased_summary, kept_on_erase, pending_claim, pending_registration,
};
use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, MAX_LINKS, Pending, PendingItem, Registration};
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
    /// What the sweep on opening deleted (the desk says it).
    opened_sweep: Swept,
}

/// Bumped when the tables change shape; an older file's tables are kept aside, renamed.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS contacts (
    email_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    organisation TEXT NOT NULL,
    position TEXT NOT NULL,
    city_status TEXT NOT NULL,
    project TEXT,
    status TEXT NOT NULL,
    city_key TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    email_key TEXT NOT NULL,
    item TEXT NOT NULL,
    token_hashes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_by_email ON pending (kind, email_key, created_at);
CREATE TABLE IF NOT EXISTS claims (
    id TEXT PRIMARY KEY,
    email_key TEXT NOT NULL,
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
    confirmed_at TEXT NOT NULL,
    status TEXT NOT NULL,
    link_id TEXT NOT NULL,
    link_hashes TEXT NOT NULL,
    reason TEXT,
    paid_cents INTEGER,
    paid_on TEXT
);
CREATE INDEX IF NOT EXISTS claims_by_person ON claims (email_key, event_id);
CREATE INDEX IF NOT EXISTS claims_by_link ON claims (link_id);
CREATE TABLE IF NOT EXISTS year_usage (
    city_key TEXT NOT NULL,
    year INTEGER NOT NULL,
    trips INTEGER NOT NULL,
    cents INTEGER NOT NULL,
    PRIMARY KEY (city_key, year)
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leave_links (
    leave_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    email_key TEXT NOT NULL,
    PRIMARY KEY (leave_id, hash)
);
CREATE INDEX IF NOT EXISTS leave_links_by_email ON leave_links (email_key);
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

/// A file written by the first version (registrations taken on trust, claims
/// without confirmation) keeps those tables under `v1_*`, out of the way.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < SCHEMA_VERSION {
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('registrations', 'claims', 'year_usage')")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for t in tables {
            conn.execute_batch(&format!("ALTER TABLE {t} RENAME TO v1_{t}"))?;
        }
    }
    conn.execute_batch(SCHEMA)?;
    // Retention (issue 7) added an end to claims and contacts: a column, so
    // a file of this schema version keeps its rows.
    for table in ["claims", "contacts"] {
        let has: bool = conn.query_row(&format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = 'expires_at'"), [], |r| r.get(0))?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN expires_at INTEGER"))?;
        }
    }
    conn.execute_batch("CREATE INDEX IF NOT EXISTS claims_by_end ON claims (expires_at) WHERE expires_at IS NOT NULL")?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
}

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
        let mut conn = Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(max_wait).map_err(map_err)?;
        // WAL: readers (the export) never block the server; NORMAL sync is
        // durable across a crash of the process, the risk that matters here.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(map_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(map_err)?;
        migrate(&conn).map_err(map_err)?;
        // What is past its retention goes as soon as anyone opens the store.
        let opened_sweep = sweep(&mut conn, jiff::Timestamp::now().as_second())?;
        // Checkpoints (which fsync) run on a connection of their own, off the request path.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(map_err)?;
        let conn = Arc::new(Mutex::new(conn));
        spawn_checkpointer(path, Arc::downgrade(&conn));
        Ok(SqliteStore { conn, max_wait, opened_sweep })
    }

    /// What the sweep run when this store was opened deleted.
    pub fn opened_sweep(&self) -> &Swept {
        &self.opened_sweep
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

const CLAIM_COLUMNS: &str = "id, email_key, city_key, event_id, year, name, email, city, country, travel_start, travel_end, \
     amount_cents, transport_cents, accommodation_cents, created_at, confirmed_at, status, link_id, link_hashes, reason, paid_cents, paid_on";

/// The states in which a claim takes a trip and euros of its city's year, as SQL.
const COUNTING: &str = "('counted', 'approved', 'paid')";

fn row_to_claim(r: &rusqlite::Row<'_>) -> rusqlite::Result<Claim> {
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
        created_at: r.get(14)?,
        confirmed_at: r.get(15)?,
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

/// Every row a query returns, mapped.
fn all<T, P: rusqlite::Params>(conn: &Connection, sql: &str, params: P, f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> Result<Vec<T>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = st.query_map(params, f).map_err(map_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
}

fn bad(i: usize, e: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
}

fn claim(conn: &Connection, id: &str) -> rusqlite::Result<Option<Claim>> {
    conn.prepare_cached(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE id = ?1"))?.query_row(params![id], row_to_claim).optional()
}

fn write_claim(conn: &Connection, c: &Claim) -> rusqlite::Result<()> {
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
        c.created_at,
        c.confirmed_at,
        c.status.as_str(),
        c.link_id,
        serde_json::to_string(&c.link_hashes).unwrap_or_else(|_| "[]".into()),
        c.reason,
        c.paid.map(|p| p.0),
        c.paid_on.map(|d| d.to_string()),
    ])?;
    Ok(())
}

const CONTACT_COLUMNS: &str =
    "email_key, name, email, city, country, organisation, position, city_status, project, status, city_key, created_at, updated_at, version, expires_at";

fn row_to_contact(r: &rusqlite::Row<'_>) -> rusqlite::Result<Contact> {
    let status: String = r.get(9)?;
    Ok(Contact {
        details: Registration {
            email_key: r.get(0)?,
            name: r.get(1)?,
            email: r.get(2)?,
            city: r.get(3)?,
            country: r.get(4)?,
            organisation: r.get(5)?,
            position: r.get(6)?,
            city_status: r.get(7)?,
            project: r.get(8)?,
        },
        status: ContactStatus::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, format!("unknown contact status {status}").into())
        })?,
        city_key: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        version: r.get::<_, i64>(13)? as u64,
        expires_at: r.get(14)?,
    })
}

fn contact(conn: &Connection, email_key: &str) -> rusqlite::Result<Option<Contact>> {
    conn.prepare_cached(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE email_key = ?1"))?
        .query_row(params![email_key], row_to_contact)
        .optional()
}

fn write_contact(conn: &Connection, c: &Contact) -> rusqlite::Result<()> {
    let d = &c.details;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO contacts ({CONTACT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?
    .execute(params![
        d.email_key,
        d.name,
        d.email,
        d.city,
        d.country,
        d.organisation,
        d.position,
        d.city_status,
        d.project,
        c.status.as_str(),
        c.city_key,
        c.created_at,
        c.updated_at,
        c.version as i64,
        c.expires_at
    ])?;
    Ok(())
}

fn write_audit(conn: &Connection, a: &AuditEntry) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![a.at, a.actor, a.action, a.subject, a.detail])?;
    Ok(())
}

fn row_to_pending(r: &rusqlite::Row<'_>) -> rusqlite::Result<Pending> {
    let bad = |i: usize, e: String| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into());
    let item: String = r.get(1)?;
    let hashes: String = r.get(2)?;
    Ok(Pending {
        id: r.get(0)?,
        item: PendingItem::from_json(&item).map_err(|e| bad(1, e))?,
        token_hashes: serde_json::from_str(&hashes).map_err(|e| bad(2, e.to_string()))?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        used: r.get(5)?,
    })
}

/// The pending record, unless expired at `now_secs` (used ones are returned).
fn pending(conn: &Connection, id: &str, now_secs: i64) -> rusqlite::Result<Option<Pending>> {
    conn.prepare_cached("SELECT id, item, token_hashes, created_at, expires_at, used FROM pending WHERE id = ?1 AND expires_at > ?2")?
        .query_row(params![id, now_secs], row_to_pending)
        .optional()
}

/// A claim no longer counts: its trip and euros go back to its city's year.
fn give_back(conn: &Connection, c: &Claim) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE year_usage SET trips = trips - 1, cents = cents - ?1 WHERE city_key = ?2 AND year = ?3",
        params![c.amount.0, c.city_key, c.year],
    )?;
    Ok(())
}

/// The pending record behind a link, if the link may be used now (`check_link`).
fn usable_link(conn: &Connection, id: &str, hash: &str, now_secs: i64) -> Result<Result<Pending, ConfirmError>, StoreError> {
    let p = pending(conn, id, now_secs).map_err(map_err)?;
    Ok(check_link(p.as_ref(), hash, now_secs).map(|()| p.expect("check_link refuses a missing record")))
}

fn mark_used(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE pending SET used = 1 WHERE id = ?1")?.execute(params![id])?;
    Ok(())
}

fn usage(conn: &Connection, city_key: &str, year: i16) -> rusqlite::Result<YearUsage> {
    let mut st = conn.prepare_cached("SELECT trips, cents FROM year_usage WHERE city_key = ?1 AND year = ?2")?;
    st.query_row(params![city_key, year], |r| Ok(YearUsage { trips: r.get(0)?, amount: Cents(r.get(1)?) }))
        .optional()
        .map(Option::unwrap_or_default)
}

fn audit_entry(now: &str, actor: &str, action: &str, subject: &str, detail: String) -> AuditEntry {
    AuditEntry { at: now.to_string(), actor: actor.into(), action: action.into(), subject: subject.into(), detail }
}

impl Store for SqliteStore {
    async fn put_pending(&self, p: Pending) -> Result<(), StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            // What nobody confirmed in time is deleted, as the privacy notice says.
            tx.execute("DELETE FROM pending WHERE expires_at <= ?1", params![jiff::Timestamp::now().as_second()]).map_err(map_err)?;
            tx.execute(
                "INSERT INTO pending (id, kind, email_key, item, token_hashes, created_at, expires_at, used) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    p.id,
                    p.item.kind(),
                    p.item.email_key(),
                    p.item.to_json(),
                    serde_json::to_string(&p.token_hashes).unwrap_or_else(|_| "[]".into()),
                    p.created_at,
                    p.expires_at,
                    p.used
                ],
            )
            .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn get_pending(&self, id: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| pending(conn, &id, now_secs).map_err(map_err)).await
    }

    async fn latest_pending(&self, kind: &str, email_key: &str, now_secs: i64) -> Result<Option<Pending>, StoreError> {
        let (kind, email_key) = (kind.to_string(), email_key.to_string());
        self.run(move |conn| {
            conn.prepare_cached(
                "SELECT id, item, token_hashes, created_at, expires_at, used FROM pending
                 WHERE kind = ?1 AND email_key = ?2 AND used = 0 AND expires_at > ?3 ORDER BY created_at DESC, id LIMIT 1",
            )
            .and_then(|mut st| st.query_row(params![kind, email_key, now_secs], row_to_pending).optional())
            .map_err(map_err)
        })
        .await
    }

    async fn list_pending(&self, now_secs: i64) -> Result<Vec<Pending>, StoreError> {
        const SQL: &str = "SELECT id, item, token_hashes, created_at, expires_at, used FROM pending WHERE used = 0 AND expires_at > ?1 ORDER BY created_at, id";
        self.run(move |conn| all(conn, SQL, params![now_secs], row_to_pending)).await
    }

    async fn add_link(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<bool, StoreError> {
        let (id, hash) = (id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(mut p) = pending(&tx, &id, now_secs).map_err(map_err)? else { return Ok(false) };
            if p.used || p.token_hashes.len() >= MAX_LINKS {
                return Ok(false);
            }
            p.token_hashes.push(hash);
            let hashes = serde_json::to_string(&p.token_hashes).map_err(|e| StoreError::Failed(e.to_string()))?;
            tx.execute("UPDATE pending SET token_hashes = ?1 WHERE id = ?2", params![hashes, id]).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn confirm_registration(&self, id: &str, token_hash: &str, now: &str, now_secs: i64) -> Result<ContactOutcome, ConfirmError> {
        let (id, hash, now) = (id.to_string(), token_hash.to_string(), now.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = match usable_link(&tx, &id, &hash, now_secs)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let details = match pending_registration(&p) {
                Ok(r) => r.clone(),
                Err(e) => return Ok(Err(e)),
            };
            let old = contact(&tx, &details.email_key).map_err(map_err)?;
            let new = apply_registration(old.as_ref(), details, &now);
            write_contact(&tx, &new).map_err(map_err)?;
            mark_used(&tx, &id).map_err(map_err)?;
            let action = if old.is_some() { "contact.changed" } else { "contact.confirmed" };
            write_audit(&tx, &audit_entry(&now, "applicant", action, &new.details.email_key, format!("link {id}"))).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(ContactOutcome { contact: new, created: old.is_none() }))
        })
        .await?
    }

    async fn confirm_claim(&self, id: &str, token_hash: &str, rules: &TravelRules, now: &str, now_secs: i64) -> Result<ClaimOutcome, ConfirmError> {
        let (id, hash, now, rules) = (id.to_string(), token_hash.to_string(), now.to_string(), rules.clone());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = match usable_link(&tx, &id, &hash, now_secs)? {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let mut c = match pending_claim(&p) {
                Ok(c) => c.clone(),
                Err(e) => return Ok(Err(e)),
            };
            let represents = contact(&tx, &c.email_key).map_err(map_err)?.is_some_and(|k| k.represents(&c.city_key));
            if !represents {
                return Ok(Err(ConfirmError::Refused(Refusal::NotRepresentative)));
            }
            let already: bool = tx
                .prepare_cached(&format!("SELECT 1 FROM claims WHERE email_key = ?1 AND event_id = ?2 AND status IN {COUNTING}"))
                .and_then(|mut st| st.query_row(params![c.email_key, c.event_id], |_| Ok(())).optional())
                .map_err(map_err)?
                .is_some();
            if already {
                return Ok(Err(ConfirmError::Refused(Refusal::AlreadyClaimed)));
            }
            let used = usage(&tx, &c.city_key, c.year).map_err(map_err)?;
            let after = match rules.check_year(used, c.amount) {
                Ok(after) => after,
                Err(refusal) => return Ok(Err(ConfirmError::Refused(refusal))),
            };
            c.confirmed_at = now.clone();
            c.status = ClaimStatus::Counted;
            c.link_id = p.id.clone();
            c.link_hashes = p.token_hashes.clone();
            write_claim(&tx, &c).map_err(map_err)?;
            tx.prepare_cached(
                "INSERT INTO year_usage (city_key, year, trips, cents) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (city_key, year) DO UPDATE SET trips = excluded.trips, cents = excluded.cents",
            )
            .and_then(|mut st| st.execute(params![c.city_key, c.year, after.trips, after.amount.0]))
            .map_err(map_err)?;
            mark_used(&tx, &id).map_err(map_err)?;
            let detail = format!("{} {} {} {}", c.city_key, c.event_id, c.year, c.amount.to_decimal());
            write_audit(&tx, &audit_entry(&now, "applicant", "claim.confirmed", &c.id, detail)).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(ClaimOutcome { claim: c, used: after }))
        })
        .await?
    }

    async fn get_contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        let email_key = email_key.to_string();
        self.run(move |conn| contact(conn, &email_key).map_err(map_err)).await
    }

    async fn list_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        self.run(|conn| all(conn, &format!("SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY email_key"), [], row_to_contact)).await
    }

    async fn update_contact(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> Result<(), UpdateError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let current = contact(&tx, &new.details.email_key).map_err(map_err)?;
            if current.map(|c| c.version) != Some(expected_version) || new.version != expected_version + 1 {
                return Ok(Err(UpdateError::Conflict));
            }
            write_contact(&tx, &new).map_err(map_err)?;
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(()))
        })
        .await?
    }

    async fn list_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(|conn| {
            all(conn, "SELECT at, actor, action, subject, detail FROM audit ORDER BY seq", [], |r| {
                Ok(AuditEntry { at: r.get(0)?, actor: r.get(1)?, action: r.get(2)?, subject: r.get(3)?, detail: r.get(4)? })
            })
        })
        .await
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

    async fn list_claims(&self) -> Result<Vec<Claim>, StoreError> {
        self.run(|conn| all(conn, &format!("SELECT {CLAIM_COLUMNS} FROM claims ORDER BY year, city_key, event_id, id"), [], row_to_claim)).await
    }

    async fn get_claim(&self, id: &str) -> Result<Option<Claim>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| claim(conn, &id).map_err(map_err)).await
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

    async fn erase(&self, email_key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(done)
        })
        .await
    }

    async fn list_usage(&self) -> Result<Vec<(String, i16, YearUsage)>, StoreError> {
        self.run(|conn| {
            all(conn, "SELECT city_key, year, trips, cents FROM year_usage ORDER BY year, city_key", [], |r| {
                Ok((r.get(0)?, r.get(1)?, YearUsage { trips: r.get(2)?, amount: Cents(r.get(3)?) }))
            })
        })
        .await
    }

    async fn add_leave_link(&self, email_key: &str, token_hash: &str) -> Result<bool, StoreError> {
        let (key, hash) = (email_key.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            if contact(&tx, &key).map_err(map_err)?.is_none() {
                return Ok(false);
            }
            tx.execute("INSERT OR IGNORE INTO leave_links (leave_id, hash, email_key) VALUES (?1, ?2, ?3)", params![crate::token::leave_id(&key), hash, key])
                .map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn leave_link_works(&self, leave_id: &str, token_hash: &str) -> Result<bool, StoreError> {
        let (id, hash) = (leave_id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            conn.query_row(
                "SELECT 1 FROM leave_links l JOIN contacts c ON c.email_key = l.email_key WHERE l.leave_id = ?1 AND l.hash = ?2",
                params![id, hash],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(map_err)
        })
        .await
    }

    async fn leave(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> Result<Erased, LeaveError> {
        let (id, hash) = (leave_id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let key: Option<String> = tx
                .query_row("SELECT email_key FROM leave_links WHERE leave_id = ?1 AND hash = ?2", params![id, hash], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            let Some(key) = key else { return Ok(Err(LeaveError::Gone)) };
            if contact(&tx, &key).map_err(map_err)?.is_none() {
                return Ok(Err(LeaveError::Gone));
            }
            let done = erase_person(&tx, &key, audit)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(done))
        })
        .await?
    }

    async fn claim_expires_at(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let end: Option<Option<i64>> =
                conn.query_row("SELECT expires_at FROM claims WHERE id = ?1", params![id], |r| r.get(0)).optional().map_err(map_err)?;
            Ok(end.flatten())
        })
        .await
    }

    async fn sweep(&self, now_secs: i64) -> Result<Option<Swept>, StoreError> {
        self.run(move |conn| sweep(conn, now_secs).map(Some)).await
    }
}

/// Removes a person's data (`Store::erase`, and a contact leaving), inside the caller's transaction.
fn erase_person(tx: &Connection, key: &str, audit: AuditEntry) -> Result<Erased, StoreError> {
    let mut done = Erased {
        contacts: tx.execute("DELETE FROM contacts WHERE email_key = ?1", params![key]).map_err(map_err)?,
        pending: tx.execute("DELETE FROM pending WHERE email_key = ?1", params![key]).map_err(map_err)?,
        ..Erased::default()
    };
    tx.execute("DELETE FROM leave_links WHERE email_key = ?1", params![key]).map_err(map_err)?;
    let claims = all(tx, &format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE email_key = ?1"), params![key], row_to_claim)?;
    for c in claims {
        if kept_on_erase(c.status) {
            write_claim(tx, &anonymised(&c)).map_err(map_err)?;
            done.claims_kept += 1;
            continue;
        }
        if c.status.counts() {
            give_back(tx, &c).map_err(map_err)?;
            done.claims_withdrawn += 1;
        }
        tx.execute("DELETE FROM claims WHERE id = ?1", params![c.id]).map_err(map_err)?;
        done.claims_deleted += 1;
    }
    done.history_lines = tx.execute("UPDATE audit SET subject = ?1 WHERE subject = ?2", params![ERASED, key]).map_err(map_err)?;
    let detail = format!("{} {}", audit.detail, erased_summary(&done)).trim().to_string();
    write_audit(tx, &AuditEntry { detail, ..audit }).map_err(map_err)?;
    Ok(done)
}

/// Deletes what is past its end at `now_secs`, in one transaction: unconfirmed
/// submissions, kept answers, claims (with their history lines) and declined
/// contacts (with theirs and their leave links).
fn sweep(conn: &mut Connection, now_secs: i64) -> Result<Swept, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let mut done = Swept {
        pending: tx.execute("DELETE FROM pending WHERE expires_at <= ?1", params![now_secs]).map_err(map_err)?,
        idempotency: tx.execute("DELETE FROM idempotency WHERE expires_at < ?1", params![now_secs]).map_err(map_err)?,
        ..Swept::default()
    };
    done.history_lines += tx
        .execute("DELETE FROM audit WHERE subject IN (SELECT id FROM claims WHERE expires_at <= ?1)", params![now_secs])
        .map_err(map_err)?;
    done.claims = tx.execute("DELETE FROM claims WHERE expires_at <= ?1", params![now_secs]).map_err(map_err)?;
    let gone: Vec<String> = all(&tx, "SELECT email_key FROM contacts WHERE expires_at <= ?1", params![now_secs], |r| r.get(0))?;
    for key in &gone {
        done.history_lines += tx.execute("DELETE FROM audit WHERE subject = ?1", params![key]).map_err(map_err)?;
        tx.execute("DELETE FROM leave_links WHERE email_key = ?1", params![key]).map_err(map_err)?;
        done.contacts += tx.execute("DELETE FROM contacts WHERE email_key = ?1", params![key]).map_err(map_err)?;
    }
    tx.commit().map_err(map_err)?;
    Ok(done)
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
