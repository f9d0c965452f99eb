//! Signing in: the secretariat's staff records, emailed sign-in links,
//! sessions, passkeys and passkey ceremonies. A table each; what expires
//! (links, sessions, ceremonies) is gone on read at `expires_at <= now` and
//! deleted by the sweep (`retention.rs`).

use super::*;
use crate::records::{Ceremony, CeremonyKind, Passkey, Role, Session, SignInLink, SignedInBy, Staff};
use crate::store::{AccountStore, person_key};

/// Added by issue 19; a file of this schema version gets them on opening.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS staff (
    email_key TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    email_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_links_by_email ON sign_in_links (email_key);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    email_key TEXT NOT NULL,
    role TEXT NOT NULL,
    signed_in_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    passkey_at INTEGER,
    device TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_email ON sessions (email_key);
CREATE TABLE IF NOT EXISTS passkeys (
    id TEXT PRIMARY KEY,
    email_key TEXT NOT NULL,
    user_handle TEXT NOT NULL,
    credential TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    device TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passkeys_by_email ON passkeys (email_key);
CREATE TABLE IF NOT EXISTS ceremonies (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    email_key TEXT,
    state TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
";

/// A new session (the one it replaces deleted) with its audit line, inside the caller's transaction.
fn write_session(tx: &rusqlite::Transaction<'_>, s: &Session, replaces: Option<&str>, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
    if let Some(old) = replaces {
        tx.execute("DELETE FROM sessions WHERE id_hash = ?1", params![old]).map_err(map_err)?;
    }
    tx.execute(
        &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![s.id_hash, s.email_key, s.role.as_str(), s.by.as_str(), s.created_at, s.last_used_at, s.passkey_at, s.device, s.expires_at],
    )
    .map_err(map_err)?;
    if let Some(a) = audit {
        write_audit(tx, a).map_err(map_err)?;
    }
    Ok(())
}

const STAFF_COLUMNS: &str = "email_key, email, name, added_at, added_by";
const SESSION_COLUMNS: &str = "id_hash, email_key, role, signed_in_by, created_at, last_used_at, passkey_at, device, expires_at";
const PASSKEY_COLUMNS: &str = "id, email_key, user_handle, credential, created_at, last_used_at, device";

fn row_to_staff(r: &rusqlite::Row<'_>) -> rusqlite::Result<Staff> {
    Ok(Staff { email_key: r.get(0)?, email: r.get(1)?, name: r.get(2)?, added_at: timestamp(r, 3)?, added_by: r.get(4)? })
}

fn row_to_session(r: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    let role: String = r.get(2)?;
    let by: String = r.get(3)?;
    Ok(Session {
        id_hash: r.get(0)?,
        email_key: r.get(1)?,
        role: Role::parse(&role).ok_or_else(|| bad(2, format!("unknown role {role}")))?,
        by: SignedInBy::parse(&by).ok_or_else(|| bad(3, format!("unknown way of signing in {by}")))?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        passkey_at: r.get(6)?,
        device: r.get(7)?,
        expires_at: r.get(8)?,
    })
}

fn row_to_passkey(r: &rusqlite::Row<'_>) -> rusqlite::Result<Passkey> {
    Ok(Passkey {
        id: r.get(0)?,
        email_key: r.get(1)?,
        user_handle: r.get(2)?,
        credential: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        device: r.get(6)?,
    })
}

fn row_to_ceremony(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ceremony> {
    let kind: String = r.get(1)?;
    Ok(Ceremony {
        id: r.get(0)?,
        kind: CeremonyKind::parse(&kind).ok_or_else(|| bad(1, format!("unknown ceremony {kind}")))?,
        email_key: r.get(2)?,
        state: r.get(3)?,
        expires_at: r.get(4)?,
    })
}

/// Every row a query returns, a row that does not parse told as corrupt under `key`.
fn rows<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    key: impl Fn() -> String,
) -> Result<Vec<T>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = st.query_map(params, f).map_err(map_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(read_err(key))
}

/// Deletes every session of a person but `except`: how many of them had not expired (at the clock's now).
fn delete_sessions(tx: &Connection, email_key: &str, except: Option<&str>) -> Result<u32, StoreError> {
    let live = tx
        .execute("DELETE FROM sessions WHERE email_key = ?1 AND id_hash IS NOT ?2 AND expires_at > ?3", params![email_key, except, now_epoch()])
        .map_err(map_err)?;
    // Expired ones too: nothing of theirs stays behind for the sweep.
    tx.execute("DELETE FROM sessions WHERE email_key = ?1 AND id_hash IS NOT ?2", params![email_key, except]).map_err(map_err)?;
    Ok(u32::try_from(live).unwrap_or(u32::MAX))
}

/// A person's sessions and passkeys, deleted with their erasure or leaving (inside its transaction);
/// their sign-in links too, which would otherwise name them until they expire. Staff records stay:
/// only `remove_staff` removes those.
pub(super) fn erase_account(tx: &Connection, email_key: &str) -> Result<(), StoreError> {
    for sql in ["DELETE FROM sessions WHERE email_key = ?1", "DELETE FROM passkeys WHERE email_key = ?1", "DELETE FROM sign_in_links WHERE email_key = ?1"] {
        tx.execute(sql, params![email_key]).map_err(map_err)?;
    }
    Ok(())
}

/// Deletes the sessions, links and ceremonies expired at `now_secs`: how many.
pub(super) fn sweep_account(tx: &Connection, now_secs: i64) -> Result<usize, StoreError> {
    let mut n = 0;
    for table in ["sessions", "sign_in_links", "ceremonies"] {
        n += tx.execute(&format!("DELETE FROM {table} WHERE expires_at <= ?1"), params![now_secs]).map_err(map_err)?;
    }
    Ok(n)
}

impl AccountStore for SqliteStore {
    async fn add_staff(&self, staff: Staff, audit: AuditEntry) -> Result<bool, StoreError> {
        self.run(move |conn| {
            changed_with_audit(conn, &audit, |tx| {
                tx.execute(
                    &format!("INSERT OR IGNORE INTO staff ({STAFF_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                    params![staff.email_key, staff.email, staff.name, staff.added_at.to_string(), staff.added_by],
                )
            })
        })
        .await
    }

    async fn remove_staff(&self, email_key: &str, audit: AuditEntry) -> Result<bool, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            if tx.execute("DELETE FROM staff WHERE email_key = ?1", params![key]).map_err(map_err)? == 0 {
                return Ok(false);
            }
            // Every session of the address, a member's too: whoever removed them wants them out now.
            delete_sessions(&tx, &key, None)?;
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn get_staff(&self, email_key: &str) -> Result<Option<Staff>, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            conn.prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM staff WHERE email_key = ?1"))
                .and_then(|mut st| st.query_row(params![key], row_to_staff).optional())
                .map_err(read_err(|| format!("staff {}", person_key(&key))))
        })
        .await
    }

    async fn list_staff(&self) -> Result<Vec<Staff>, StoreError> {
        self.run(|conn| rows(conn, &format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY email_key"), [], row_to_staff, || "staff".into())).await
    }

    async fn put_sign_in_link(&self, link: SignInLink) -> Result<(), StoreError> {
        self.run(move |conn| {
            conn.prepare_cached("INSERT INTO sign_in_links (id, token_hash, email_key, created_at, expires_at, used) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .and_then(|mut st| st.execute(params![link.id, link.token_hash, link.email_key, link.created_at.to_string(), link.expires_at, link.used]))
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn peek_sign_in_link(&self, id: &str, token_hash: &str, now_secs: i64) -> Result<Option<String>, StoreError> {
        let (id, hash) = (id.to_string(), token_hash.to_string());
        self.run(move |conn| {
            conn.prepare_cached("SELECT email_key FROM sign_in_links WHERE id = ?1 AND token_hash = ?2 AND used = 0 AND expires_at > ?3")
                .and_then(|mut st| st.query_row(params![id, hash, now_secs], |r| r.get(0)).optional())
                .map_err(read_err(|| format!("sign-in link {id}")))
        })
        .await
    }

    async fn use_sign_in_link(
        &self,
        id: &str,
        token_hash: &str,
        now_secs: i64,
        session: Session,
        replaces: Option<&str>,
        audit: AuditEntry,
    ) -> Result<bool, StoreError> {
        let (id, hash, replaces) = (id.to_string(), token_hash.to_string(), replaces.map(str::to_string));
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let used = tx
                .execute(
                    "UPDATE sign_in_links SET used = 1 WHERE id = ?1 AND token_hash = ?2 AND email_key = ?3 AND used = 0 AND expires_at > ?4",
                    params![id, hash, session.email_key, now_secs],
                )
                .map_err(map_err)?;
            if used == 0 {
                return Ok(false);
            }
            write_session(&tx, &session, replaces.as_deref(), Some(&audit))?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn start_session(&self, session: Session, replaces: Option<&str>, audit: Option<AuditEntry>) -> Result<(), StoreError> {
        let replaces = replaces.map(str::to_string);
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            write_session(&tx, &session, replaces.as_deref(), audit.as_ref())?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn get_session(&self, id_hash: &str, now_secs: i64) -> Result<Option<Session>, StoreError> {
        let id = id_hash.to_string();
        self.run(move |conn| {
            conn.prepare_cached(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?1 AND expires_at > ?2"))
                .and_then(|mut st| st.query_row(params![id, now_secs], row_to_session).optional())
                .map_err(read_err(|| format!("session {id}")))
        })
        .await
    }

    async fn touch_session(&self, id_hash: &str, last_used_at: i64, expires_at: i64) -> Result<(), StoreError> {
        let id = id_hash.to_string();
        self.run(move |conn| {
            // One that expired before this use stays gone: its end is not pushed back.
            conn.prepare_cached("UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE id_hash = ?1 AND expires_at > ?2")
                .and_then(|mut st| st.execute(params![id, last_used_at, expires_at]))
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let id = id_hash.to_string();
        self.run(move |conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1").and_then(|mut st| st.execute(params![id])).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn list_sessions(&self, email_key: &str, now_secs: i64) -> Result<Vec<Session>, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE email_key = ?1 AND expires_at > ?2 ORDER BY last_used_at DESC, id_hash");
            rows(conn, &sql, params![key, now_secs], row_to_session, || format!("sessions of {}", person_key(&key)))
        })
        .await
    }

    async fn end_sessions(&self, email_key: &str, except: Option<&str>, audit: Option<AuditEntry>) -> Result<u32, StoreError> {
        let (key, except) = (email_key.to_string(), except.map(str::to_string));
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let ended = delete_sessions(&tx, &key, except.as_deref())?;
            if let Some(a) = &audit {
                write_audit(&tx, a).map_err(map_err)?;
            }
            tx.commit().map_err(map_err)?;
            Ok(ended)
        })
        .await
    }

    async fn add_passkey(&self, passkey: Passkey, audit: AuditEntry) -> Result<(), StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = &passkey;
            tx.execute(
                &format!("INSERT INTO passkeys ({PASSKEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![p.id, p.email_key, p.user_handle, p.credential, p.created_at, p.last_used_at, p.device],
            )
            .map_err(map_err)?;
            write_audit(&tx, &audit).map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn get_passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            conn.prepare_cached(&format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE id = ?1"))
                .and_then(|mut st| st.query_row(params![id], row_to_passkey).optional())
                .map_err(read_err(|| format!("passkey {id}")))
        })
        .await
    }

    async fn list_passkeys(&self, email_key: &str) -> Result<Vec<Passkey>, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE email_key = ?1 ORDER BY created_at, id");
            rows(conn, &sql, params![key], row_to_passkey, || format!("passkeys of {}", person_key(&key)))
        })
        .await
    }

    async fn passkey_used(&self, id: &str, credential: &str, at: i64) -> Result<(), StoreError> {
        let (id, credential) = (id.to_string(), credential.to_string());
        self.run(move |conn| {
            conn.prepare_cached("UPDATE passkeys SET credential = ?2, last_used_at = ?3 WHERE id = ?1")
                .and_then(|mut st| st.execute(params![id, credential, at]))
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn remove_passkey(&self, email_key: &str, id: &str, audit: AuditEntry) -> Result<bool, StoreError> {
        let (key, id) = (email_key.to_string(), id.to_string());
        self.run(move |conn| changed_with_audit(conn, &audit, |tx| tx.execute("DELETE FROM passkeys WHERE id = ?1 AND email_key = ?2", params![id, key]))).await
    }

    async fn put_ceremony(&self, ceremony: Ceremony) -> Result<(), StoreError> {
        self.run(move |conn| {
            let c = &ceremony;
            conn.prepare_cached("INSERT INTO ceremonies (id, kind, email_key, state, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)")
                .and_then(|mut st| st.execute(params![c.id, c.kind.as_str(), c.email_key, c.state, c.expires_at]))
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn take_ceremony(&self, id: &str, now_secs: i64) -> Result<Option<Ceremony>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let found = tx
                .prepare_cached("SELECT id, kind, email_key, state, expires_at FROM ceremonies WHERE id = ?1")
                .and_then(|mut st| st.query_row(params![id], row_to_ceremony).optional())
                .map_err(read_err(|| format!("ceremony {id}")))?;
            // Taken whether or not it expired: an expired one answers nothing, now or later.
            tx.execute("DELETE FROM ceremonies WHERE id = ?1", params![id]).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(found.filter(|c| !decide::retention::due(Some(c.expires_at), now_secs)))
        })
        .await
    }
}
