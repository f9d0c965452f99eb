//! The tables, and how a file of an earlier version is brought up to date.

use super::*;

/// Bumped when the tables change shape; an older file's tables are kept aside, renamed.
pub(super) const SCHEMA_VERSION: i64 = 2;

pub(super) const SCHEMA: &str = "
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
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    claim_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (claim_id, doc_id)
);
";

/// A file written by the first version (registrations taken on trust, claims
/// without confirmation) keeps those tables under `v1_*`, out of the way.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
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
    // Issue 12: a "being processed" mark names the server process that set it,
    // so a restarted server can take over the marks of one that crashed.
    let has_owner: bool = conn.query_row("SELECT COUNT(*) FROM pragma_table_info('idempotency') WHERE name = 'owner'", [], |r| r.get(0))?;
    if !has_owner {
        conn.execute_batch("ALTER TABLE idempotency ADD COLUMN owner TEXT")?;
    }
    conn.execute_batch(super::quota::SCHEMA)?;
    conn.execute_batch("CREATE INDEX IF NOT EXISTS claims_by_end ON claims (expires_at) WHERE expires_at IS NOT NULL")?;
    // Issue 18: what the one-contribution rule is held by, and the reference
    // people read out (numbered per year in `claim_numbers`). Columns, so a
    // file of this schema version keeps its rows: an old claim has no key
    // (it is held by its address) and no reference. Made after everything
    // earlier, so a new file and an old one end up with the same schema.
    for (column, decl) in [("contribution_key", "TEXT NOT NULL DEFAULT ''"), ("reference", "TEXT")] {
        let has: bool = conn.query_row(&format!("SELECT COUNT(*) FROM pragma_table_info('claims') WHERE name = '{column}'"), [], |r| r.get(0))?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE claims ADD COLUMN {column} {decl}"))?;
        }
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS claim_numbers (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS claims_by_contribution ON claims (contribution_key) WHERE contribution_key != '';
         CREATE UNIQUE INDEX IF NOT EXISTS claims_by_reference ON claims (reference) WHERE reference IS NOT NULL;",
    )?;
    // Issue 19: signing in. After everything earlier, so a new file and an old one end up with the same schema.
    conn.execute_batch(super::account::SCHEMA)?;
    // Issue 20: the desk's lists a page at a time: each list's order as a
    // column, indexed with what the desk asks by, and a contact's text for
    // its search. Columns, so a file of this schema version keeps its rows,
    // which are given theirs here. Last, for the same schema as a new file.
    for (table, column) in super::desk::COLUMNS {
        let has: bool = conn.query_row(&format!("SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'"), [], |r| r.get(0))?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} TEXT"))?;
        }
    }
    conn.execute_batch(super::desk::SCHEMA)?;
    // Issue 21: the members' directory, an opt-in kept as a column (rows
    // written before read as not listed), indexed for the directory's page.
    // Before the ranks are filled: that reads every contact column.
    let has_listed: bool = conn.query_row("SELECT COUNT(*) FROM pragma_table_info('contacts') WHERE name = 'listed'", [], |r| r.get(0))?;
    if !has_listed {
        conn.execute_batch("ALTER TABLE contacts ADD COLUMN listed INTEGER NOT NULL DEFAULT 0")?;
    }
    super::desk::fill_ranks(conn)?;
    // Issue 21: the members' repository.
    conn.execute_batch(super::shared::SCHEMA)?;
    conn.execute_batch("CREATE INDEX IF NOT EXISTS contacts_listed ON contacts (rank) WHERE listed = 1 AND status IN ('confirmed', 'approved')")?;
    // Issue 21: invitations to meetings, tables of their own.
    conn.execute_batch(super::invitations::SCHEMA)?;
    // Issue 22: addresses that bounced for good or complained.
    conn.execute_batch(super::suppression::SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
}
