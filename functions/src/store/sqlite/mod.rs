//! The embedded store: one SQLite file (WAL), for `serve` and single-machine
//! use. One connection behind a mutex, used from `spawn_blocking`; every
//! change is a `BEGIN IMMEDIATE` transaction that re-reads what it depends
//! on, so another process on the same file (the desk, a second server)
//! cannot race it either.
//!
//! One file per role of the store (`pending`, `contacts`, `claims`,
//! `idempotency`, `erase` with the audit trail, `retention`, `quota`, `documents`,
//! `account` for signing in, `desk` for the desk's lists), each with its
//! role's trait impl. Every change reads what its decision (`ccg_forms::decide`)
//! needs inside the transaction, calls it, and writes what it decided.

use super::lists;
use super::{
    ClaimChange, ClaimOutcome, ClaimStore, ConfirmFailed, ContactOutcome, ContactStore, ERASED, Erased, ErasureStore, IDEMPOTENCY_TTL_SECS, IdempotencyStore,
    Kept, LeaveError, OpenMeetings, PENDING_TTL_SECS, PendingStore, RetentionStore, StoreError, StoredAnswer, Swept, TransitionError, UpdateError,
};
use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus, MAX_LINKS, Pending, PendingItem, Registration};
use crate::token::PersonKey;
use ccg_forms::decide;
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, TravelRules};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod account;
mod claims;
mod contacts;
mod desk;
mod documents;
mod erase;
mod idempotency;
mod invitations;
mod pending;
mod quota;
mod retention;
mod schema;
mod shared;
mod suppression;

use claims::*;
use contacts::*;
use pending::*;
use retention::*;
use schema::*;

/// Longer than this waiting for the file (another writer) or our own queue is "unavailable".
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    max_wait: Duration,
    /// What the sweep on opening deleted (the desk says it).
    opened_sweep: Swept,
    /// `<pid>:<random>`, written on the "being processed" marks of Idempotency-Keys:
    /// a mark of an opening whose process is gone was left by a crash (`idempotency.rs`).
    owner: Arc<str>,
    /// What the one-contribution rule is held by (`with_person_key`); without
    /// it no claim can be confirmed (the desk needs none).
    person_key: Option<PersonKey>,
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

/// A failed read of the record named `key`: one that does not parse is
/// corrupt, not an outage.
fn read_err(key: impl FnOnce() -> String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e {
        rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::IntegralValueOutOfRange(..) => {
            StoreError::Corrupt(key())
        }
        e => map_err(e),
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
        let owner = format!("{}:{}", std::process::id(), crate::token::new_id("open")).into();
        Ok(SqliteStore { conn, max_wait, opened_sweep, owner, person_key: None })
    }

    /// The store, confirming claims with `key` (`token::PersonKey::contribution_key`).
    pub fn with_person_key(mut self, key: PersonKey) -> SqliteStore {
        self.person_key = Some(key);
        self
    }

    /// The key claims are confirmed with; a store opened without one refuses to confirm.
    fn person_key(&self) -> Result<PersonKey, StoreError> {
        self.person_key.clone().ok_or_else(|| StoreError::Failed("no person key is set: claims cannot be confirmed".into()))
    }

    /// What the sweep run when this store was opened deleted.
    pub fn opened_sweep(&self) -> &Swept {
        &self.opened_sweep
    }

    /// Runs `f` on the connection in the blocking pool. Work that waited too
    /// long for its turn is dropped undone, so an answer of "unavailable"
    /// never hides a write that happens later.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static) -> Result<T, StoreError> {
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

/// Every row a query returns, mapped.
fn all<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = st.query_map(params, f).map_err(map_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
}

/// A time kept as RFC 3339 text.
fn timestamp(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<jiff::Timestamp> {
    let text: String = r.get(i)?;
    text.parse().map_err(|_| bad(i, "not a time".into()))
}

fn bad(i: usize, e: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
}

fn write_audit(conn: &Connection, a: &AuditEntry) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO audit (at, actor, action, subject, detail, rank) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?.execute(params![
        a.at.to_string(),
        a.actor,
        a.action,
        a.subject,
        a.detail,
        lists::audit_rank(a)
    ])?;
    Ok(())
}

/// One change and its history line in one write transaction: the line is
/// written, and both committed, only when `change` changed a row; false
/// (nothing written) when it changed none.
fn changed_with_audit(conn: &mut Connection, audit: &AuditEntry, change: impl FnOnce(&Connection) -> rusqlite::Result<usize>) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    if change(&tx).map_err(map_err)? == 0 {
        return Ok(false);
    }
    write_audit(&tx, audit).map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(true)
}

fn audit_entry(now: jiff::Timestamp, actor: &str, action: &str, subject: &str, detail: String) -> AuditEntry {
    AuditEntry { at: now, actor: actor.into(), action: action.into(), subject: subject.into(), detail }
}
