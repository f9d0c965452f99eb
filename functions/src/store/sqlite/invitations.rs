//! Invitations to meetings: a row per send (person, meeting, sequence: the
//! key, so queueing twice writes once), per answer, per meeting's tally
//! (changed with its answer in one transaction), per link and per
//! unsubscribed address. A person's erasure deletes theirs (`erase`).

use super::*;
use crate::store::InvitationStore;
use crate::store::invitations::{Answered, InvitationAnswer, InvitationLink, InvitationSend, SendState, takeable};
use ccg_forms::decide::invitation::{self, Answer, Standing, Tally};

/// Added by issue 21; a file of this schema version gets it on opening.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS invitation_sends (
    event_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    email_key TEXT NOT NULL,
    state TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (event_id, sequence, email_key)
);
CREATE INDEX IF NOT EXISTS invitation_sends_by_person ON invitation_sends (email_key);
CREATE TABLE IF NOT EXISTS invitation_answers (
    event_id TEXT NOT NULL,
    email_key TEXT NOT NULL,
    standing TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (event_id, email_key)
);
CREATE INDEX IF NOT EXISTS invitation_answers_by_person ON invitation_answers (email_key);
CREATE TABLE IF NOT EXISTS invitation_tallies (
    event_id TEXT PRIMARY KEY,
    tally TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invitation_links (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    email_key TEXT NOT NULL,
    event_id TEXT
);
CREATE INDEX IF NOT EXISTS invitation_links_by_person ON invitation_links (email_key);
CREATE TABLE IF NOT EXISTS invitation_unsubscribed (
    email_key TEXT PRIMARY KEY
);
";

fn json_err(key: String) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |_| StoreError::Corrupt(key)
}

fn get_send(conn: &Connection, event_id: &str, sequence: u32, email_key: &str) -> Result<Option<InvitationSend>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT record FROM invitation_sends WHERE event_id = ?1 AND sequence = ?2 AND email_key = ?3")
        .and_then(|mut st| st.query_row(params![event_id, sequence, email_key], |r| r.get(0)).optional())
        .map_err(map_err)?;
    text.map(|t| serde_json::from_str(&t).map_err(json_err(format!("invitation send {event_id}#{sequence}")))).transpose()
}

fn write_send(conn: &Connection, s: &InvitationSend) -> Result<(), StoreError> {
    let record = serde_json::to_string(s).map_err(|e| StoreError::Failed(e.to_string()))?;
    conn.prepare_cached("INSERT OR REPLACE INTO invitation_sends (event_id, sequence, email_key, state, record) VALUES (?1, ?2, ?3, ?4, ?5)")
        .and_then(|mut st| st.execute(params![s.event_id, s.sequence, s.email_key, s.state.as_str(), record]))
        .map_err(map_err)?;
    Ok(())
}

fn tally(conn: &Connection, event_id: &str) -> Result<Tally, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT tally FROM invitation_tallies WHERE event_id = ?1")
        .and_then(|mut st| st.query_row(params![event_id], |r| r.get(0)).optional())
        .map_err(map_err)?;
    text.map_or(Ok(Tally::default()), |t| serde_json::from_str(&t).map_err(json_err(format!("invitation tally {event_id}"))))
}

fn write_tally(conn: &Connection, event_id: &str, t: &Tally) -> Result<(), StoreError> {
    let text = serde_json::to_string(t).map_err(|e| StoreError::Failed(e.to_string()))?;
    conn.execute("INSERT OR REPLACE INTO invitation_tallies (event_id, tally) VALUES (?1, ?2)", params![event_id, text]).map_err(map_err)?;
    Ok(())
}

fn row_to_answer(r: &rusqlite::Row<'_>) -> rusqlite::Result<InvitationAnswer> {
    let standing: String = r.get(2)?;
    Ok(InvitationAnswer {
        event_id: r.get(0)?,
        email_key: r.get(1)?,
        standing: Standing::parse(&standing).ok_or_else(|| bad(2, "not a standing".into()))?,
        at: r.get(3)?,
    })
}

fn get_answer(conn: &Connection, event_id: &str, email_key: &str) -> Result<Option<InvitationAnswer>, StoreError> {
    conn.prepare_cached("SELECT event_id, email_key, standing, at FROM invitation_answers WHERE event_id = ?1 AND email_key = ?2")
        .and_then(|mut st| st.query_row(params![event_id, email_key], row_to_answer).optional())
        .map_err(read_err(|| format!("invitation answer {event_id}")))
}

fn write_answer(conn: &Connection, event_id: &str, email_key: &str, standing: Standing, at: i64) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR REPLACE INTO invitation_answers (event_id, email_key, standing, at) VALUES (?1, ?2, ?3, ?4)")
        .and_then(|mut st| st.execute(params![event_id, email_key, standing.as_str(), at]))
        .map_err(map_err)?;
    Ok(())
}

/// Deletes a person's invitation records inside the caller's transaction;
/// their place in a meeting's tally goes too (`decide::invitation::forget`).
pub(super) fn erase(tx: &Connection, key: &str) -> Result<(), StoreError> {
    let answers = all(tx, "SELECT event_id, email_key, standing, at FROM invitation_answers WHERE email_key = ?1", params![key], row_to_answer)?;
    for a in answers {
        let t = invitation::forget(&tally(tx, &a.event_id)?, key, a.standing);
        write_tally(tx, &a.event_id, &t)?;
    }
    for table in ["invitation_sends", "invitation_answers", "invitation_links", "invitation_unsubscribed"] {
        tx.execute(&format!("DELETE FROM {table} WHERE email_key = ?1"), params![key]).map_err(map_err)?;
    }
    Ok(())
}

impl InvitationStore for SqliteStore {
    async fn list_sends(&self, event_id: &str) -> Result<Vec<InvitationSend>, StoreError> {
        let id = event_id.to_string();
        self.run(move |conn| {
            let texts =
                all(conn, "SELECT record FROM invitation_sends WHERE event_id = ?1 ORDER BY sequence, email_key", params![id], |r| r.get::<_, String>(0))?;
            texts.iter().map(|t| serde_json::from_str(t).map_err(json_err(format!("invitation send {id}")))).collect()
        })
        .await
    }

    async fn get_send(&self, event_id: &str, sequence: u32, email_key: &str) -> Result<Option<InvitationSend>, StoreError> {
        let (id, key) = (event_id.to_string(), email_key.to_string());
        self.run(move |conn| get_send(conn, &id, sequence, &key)).await
    }

    async fn queue_sends(&self, sends: Vec<InvitationSend>) -> Result<u32, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let mut new = 0;
            for s in &sends {
                let record = serde_json::to_string(s).map_err(|e| StoreError::Failed(e.to_string()))?;
                new += tx
                    .prepare_cached("INSERT OR IGNORE INTO invitation_sends (event_id, sequence, email_key, state, record) VALUES (?1, ?2, ?3, ?4, ?5)")
                    .and_then(|mut st| st.execute(params![s.event_id, s.sequence, s.email_key, s.state.as_str(), record]))
                    .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)?;
            Ok(u32::try_from(new).unwrap_or(u32::MAX))
        })
        .await
    }

    async fn mark_sending(&self, event_id: &str, sequence: u32, email_key: &str, now_secs: i64) -> Result<bool, StoreError> {
        let (id, key) = (event_id.to_string(), email_key.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(mut s) = get_send(&tx, &id, sequence, &key)? else { return Ok(false) };
            if !takeable(&s, now_secs) {
                return Ok(false);
            }
            s.state = SendState::Sending;
            s.sending_at = Some(now_secs);
            write_send(&tx, &s)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn mark_sent(&self, event_id: &str, sequence: u32, email_key: &str, now_secs: i64) -> Result<bool, StoreError> {
        let (id, key) = (event_id.to_string(), email_key.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let Some(mut s) = get_send(&tx, &id, sequence, &key)? else { return Ok(false) };
            if s.state != SendState::Sending {
                return Ok(false);
            }
            s.state = SendState::Sent;
            s.sent_at = Some(now_secs);
            write_send(&tx, &s)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn answer_invitation(&self, event_id: &str, email_key: &str, capacity: Option<u32>, answer: Answer, now_secs: i64) -> Result<Answered, StoreError> {
        let (id, key) = (event_id.to_string(), email_key.to_string());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let current = get_answer(&tx, &id, &key)?.map(|a| a.standing);
            let d = invitation::answer(capacity, &tally(&tx, &id)?, &key, current, answer);
            if d.changed {
                write_answer(&tx, &id, &key, d.standing, now_secs)?;
                if let Some(p) = &d.promoted {
                    write_answer(&tx, &id, p, Standing::Going, now_secs)?;
                }
                write_tally(&tx, &id, &d.tally)?;
                tx.commit().map_err(map_err)?;
            }
            Ok(Answered { standing: d.standing, position: d.tally.position(&key), promoted: d.promoted, changed: d.changed, tally: d.tally })
        })
        .await
    }

    async fn list_answers(&self, event_id: &str) -> Result<(Vec<InvitationAnswer>, Tally), StoreError> {
        let id = event_id.to_string();
        self.run(move |conn| {
            let answers = all(
                conn,
                "SELECT event_id, email_key, standing, at FROM invitation_answers WHERE event_id = ?1 ORDER BY email_key",
                params![id],
                row_to_answer,
            )?;
            Ok((answers, tally(conn, &id)?))
        })
        .await
    }

    async fn get_answer(&self, event_id: &str, email_key: &str) -> Result<Option<InvitationAnswer>, StoreError> {
        let (id, key) = (event_id.to_string(), email_key.to_string());
        self.run(move |conn| get_answer(conn, &id, &key)).await
    }

    async fn put_invitation_link(&self, link: InvitationLink) -> Result<(), StoreError> {
        self.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO invitation_links (id, hash, email_key, event_id) VALUES (?1, ?2, ?3, ?4)",
                params![link.id, link.hash, link.email_key, link.event_id],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_invitation_link(&self, id: &str) -> Result<Option<InvitationLink>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            conn.prepare_cached("SELECT id, hash, email_key, event_id FROM invitation_links WHERE id = ?1")
                .and_then(|mut st| {
                    st.query_row(params![id], |r| Ok(InvitationLink { id: r.get(0)?, hash: r.get(1)?, email_key: r.get(2)?, event_id: r.get(3)? })).optional()
                })
                .map_err(map_err)
        })
        .await
    }

    async fn set_unsubscribed(&self, email_key: &str, unsubscribed: bool) -> Result<(), StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| {
            let sql = if unsubscribed {
                "INSERT OR IGNORE INTO invitation_unsubscribed (email_key) VALUES (?1)"
            } else {
                "DELETE FROM invitation_unsubscribed WHERE email_key = ?1"
            };
            conn.execute(sql, params![key]).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn list_unsubscribed(&self) -> Result<Vec<String>, StoreError> {
        self.run(|conn| all(conn, "SELECT email_key FROM invitation_unsubscribed ORDER BY email_key", [], |r| r.get(0))).await
    }
}
