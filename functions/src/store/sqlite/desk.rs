//! The desk's lists, a page at a time: each list's order is a column (`rank`,
//! `lists::*_rank`, written with every row), indexed with what the desk asks
//! by, so a page is one indexed SELECT that stops at the page's end. What
//! SQL cannot say exactly as `lists` does (letter case beyond ASCII, part of
//! an actor's name) is narrowed in SQL and decided by the query's `admits`.

use super::*;
use crate::store::DeskStore;
use crate::store::lists::{AuditQuery, ClaimQuery, ContactQuery, ListPage, Order};
use rusqlite::types::Value;

/// The columns, indexes and filling of issue 20 (run by `schema::migrate`).
pub(super) const SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS claims_by_rank ON claims (rank);
CREATE INDEX IF NOT EXISTS claims_by_status ON claims (status, rank);
CREATE INDEX IF NOT EXISTS claims_by_city ON claims (city_key, rank);
CREATE INDEX IF NOT EXISTS contacts_by_rank ON contacts (rank);
CREATE INDEX IF NOT EXISTS contacts_by_status ON contacts (status, rank);
CREATE INDEX IF NOT EXISTS audit_by_rank ON audit (rank);
CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, rank);
CREATE INDEX IF NOT EXISTS year_usage_by_year ON year_usage (year, city_key);
";

/// The columns issue 20 added: (table, column).
pub(super) const COLUMNS: [(&str, &str); 4] = [("claims", "rank"), ("contacts", "rank"), ("contacts", "search"), ("audit", "rank")];

/// Gives the rows that have none their place in the lists: rows of an earlier
/// version, and history lines whose subject was just blanked (their rank
/// names the subject). A row that does not parse is left out, as it is of
/// the lists; reading it says what is wrong.
pub(super) fn fill_ranks(conn: &Connection) -> rusqlite::Result<()> {
    let claims: Vec<Option<(String, String)>> = conn
        .prepare(&format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE rank IS NULL"))?
        .query_map([], |r| Ok(row_to_claim(r).ok().map(|c| (lists::claim_rank(&c), c.id))))?
        .collect::<rusqlite::Result<_>>()?;
    for (rank, id) in claims.into_iter().flatten() {
        conn.execute("UPDATE claims SET rank = ?1 WHERE id = ?2", params![rank, id])?;
    }
    let contacts: Vec<Option<(String, String, String)>> = conn
        .prepare(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE rank IS NULL OR search IS NULL"))?
        .query_map([], |r| Ok(row_to_contact(r).ok().map(|c| (lists::contact_rank(&c), lists::contact_search_text(&c), c.details.email_key))))?
        .collect::<rusqlite::Result<_>>()?;
    for (rank, search, key) in contacts.into_iter().flatten() {
        conn.execute("UPDATE contacts SET rank = ?1, search = ?2 WHERE email_key = ?3", params![rank, search, key])?;
    }
    let lines: Vec<Option<(String, i64)>> = conn
        .prepare("SELECT seq, at, actor, action, subject, detail FROM audit WHERE rank IS NULL")?
        .query_map([], |r| Ok(row_to_audit(r, 1).and_then(|a| Ok((lists::audit_rank(&a), r.get(0)?))).ok()))?
        .collect::<rusqlite::Result<_>>()?;
    for (rank, seq) in lines.into_iter().flatten() {
        conn.execute("UPDATE audit SET rank = ?1 WHERE seq = ?2", params![rank, seq])?;
    }
    Ok(())
}

/// A history line from its columns `at, actor, action, subject, detail`, starting at column `i`.
pub(super) fn row_to_audit(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry { at: timestamp(r, i)?, actor: r.get(i + 1)?, action: r.get(i + 2)?, subject: r.get(i + 3)?, detail: r.get(i + 4)? })
}

/// A WHERE clause and its parameters, built condition by condition.
#[derive(Default)]
struct Where {
    conditions: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    /// `condition` with its `?`s numbered in order, taking `values`.
    fn and(&mut self, condition: &str, values: impl IntoIterator<Item = Value>) {
        let mut numbered = String::new();
        let mut values = values.into_iter();
        for (i, part) in condition.split('?').enumerate() {
            if i > 0 {
                self.params.push(values.next().expect("a value for every ?"));
                numbered.push_str(&format!("?{}", self.params.len()));
            }
            numbered.push_str(part);
        }
        self.conditions.push(numbered);
    }

    fn text(&mut self, condition: &str, value: &str) {
        self.and(condition, [Value::Text(value.to_string())]);
    }

    /// The rows after `cursor` in `order`, in the column `rank`.
    fn after(&mut self, cursor: Option<&str>, order: Order) -> Result<(), StoreError> {
        match cursor {
            Some(c) if !lists::is_cursor(c) => Err(StoreError::Failed("not a cursor of the desk's lists".into())),
            Some(c) => {
                self.text(if order == Order::Oldest { "rank > ?" } else { "rank < ?" }, c);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn sql(&self) -> String {
        if self.conditions.is_empty() { String::new() } else { format!("WHERE {}", self.conditions.join(" AND ")) }
    }
}

fn direction(order: Order) -> &'static str {
    if order == Order::Oldest { "ASC" } else { "DESC" }
}

/// The first page of what `sql` selects (the row mapped by `row`, its rank in
/// column `rank_at`) that `admits` takes: it reads on until one more than a page.
fn page<T>(
    conn: &Connection,
    sql: &str,
    w: &Where,
    (row, rank_at): (fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>, usize),
    admits: impl Fn(&T) -> bool,
    limit: usize,
) -> Result<ListPage<T>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = st.query_map(rusqlite::params_from_iter(&w.params), |r| Ok((r.get::<_, String>(rank_at)?, row(r)?))).map_err(map_err)?;
    let mut ranked = Vec::new();
    for r in rows {
        let (rank, t) = r.map_err(read_err(|| "a row of a desk list".into()))?;
        if admits(&t) {
            ranked.push((rank, t));
            if ranked.len() > limit.max(1) {
                break;
            }
        }
    }
    Ok(lists::page_from(ranked, limit))
}

fn claims_page(conn: &Connection, q: &ClaimQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Claim>, StoreError> {
    let mut w = Where::default();
    if let Some(s) = q.status {
        w.text("status = ?", s.as_str());
    }
    if let Some(c) = &q.city_key {
        w.text("city_key = ?", c);
    }
    if let Some(y) = q.year {
        w.and("year = ?", [Value::Integer(y.into())]);
    }
    if let Some(e) = &q.event_id {
        w.text("event_id = ?", e);
    }
    w.after(cursor, q.order)?;
    let sql = format!("SELECT {CLAIM_COLUMNS} FROM claims {} ORDER BY rank {}", w.sql(), direction(q.order));
    page(conn, &sql, &w, (row_to_claim, 24), |c| q.admits(c), limit)
}

fn contacts_page(conn: &Connection, q: &ContactQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Contact>, StoreError> {
    let mut w = Where::default();
    if let Some(s) = q.status {
        w.text("status = ?", s.as_str());
    }
    if let Some(city) = &q.city {
        // The city as typed is in the search text (lower-cased as `fold` does, which SQL's lower() does not).
        let city = lists::fold(city);
        w.and("(instr(search, ?) > 0 OR city_key = ?)", [Value::Text(city.clone()), Value::Text(city)]);
    }
    if let Some(c) = &q.country {
        // upper() is ASCII's, as `eq_ignore_ascii_case`.
        w.text("upper(country) = upper(?)", c);
    }
    if let Some(t) = &q.text {
        w.text("instr(search, ?) > 0", &lists::fold(t));
    }
    if q.directory {
        // As the partial index `contacts_listed` is written, so SQLite can use it.
        w.and("listed = 1 AND status IN ('confirmed', 'approved')", std::iter::empty());
    }
    w.after(cursor, q.order)?;
    let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts {} ORDER BY rank {}", w.sql(), direction(q.order));
    page(conn, &sql, &w, (row_to_contact, 15), |c| q.admits(c), limit)
}

fn audit_page(conn: &Connection, q: &AuditQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<AuditEntry>, StoreError> {
    let mut w = Where::default();
    if let Some(s) = &q.subject {
        w.text("subject = ?", s);
    }
    if let Some(a) = &q.action {
        w.text("instr(action, ?) = 1", a);
    }
    let (from, before) = q.rank_bounds();
    if let Some(from) = from {
        w.text("rank >= ?", &from);
    }
    if let Some(before) = before {
        w.text("rank < ?", &before);
    }
    w.after(cursor, q.order)?;
    // Lines of one rank in the order they were written, as `list_audit` gives them to `page_of`.
    let dir = direction(q.order);
    let sql = format!("SELECT at, actor, action, subject, detail, rank FROM audit {} ORDER BY rank {dir}, seq {dir}", w.sql());
    page(conn, &sql, &w, (|r| row_to_audit(r, 0), 5), |e| q.admits(e), limit)
}

impl SqliteStore {
    /// Writes the claims, contacts, history lines and yearly counters as they
    /// are, in one transaction: nothing is decided or checked. Not for the
    /// forms: for filling a store to measure (`examples/bench_desk.rs`).
    pub async fn put_records(
        &self,
        claims: Vec<Claim>,
        contacts: Vec<Contact>,
        lines: Vec<AuditEntry>,
        usage: Vec<(String, i16, YearUsage)>,
    ) -> Result<(), StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            for c in &claims {
                write_claim(&tx, c).map_err(map_err)?;
            }
            for c in &contacts {
                write_contact(&tx, c).map_err(map_err)?;
            }
            for a in &lines {
                write_audit(&tx, a).map_err(map_err)?;
            }
            for (city_key, year, u) in &usage {
                tx.execute(
                    "INSERT OR REPLACE INTO year_usage (city_key, year, trips, cents) VALUES (?1, ?2, ?3, ?4)",
                    params![city_key, year, u.trips, u.amount.0],
                )
                .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }
}

impl DeskStore for SqliteStore {
    /// The person key is a hash: the addresses' keys (the primary key's index alone) are hashed until one matches.
    async fn contact_by_person(&self, person_key: &str) -> Result<Option<Contact>, StoreError> {
        let wanted = person_key.to_string();
        let key = self
            .run(move |conn| {
                let keys = all(conn, "SELECT email_key FROM contacts", [], |r| r.get::<_, String>(0))?;
                Ok(keys.into_iter().find(|k| crate::store::person_key(k) == wanted))
            })
            .await?;
        match key {
            Some(k) => self.get_contact(&k).await,
            None => Ok(None),
        }
    }

    async fn record_audit(&self, audit: AuditEntry) -> Result<(), StoreError> {
        self.run(move |conn| write_audit(conn, &audit).map_err(map_err)).await
    }

    async fn claims_page(&self, q: &ClaimQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Claim>, StoreError> {
        let (q, cursor) = (q.clone(), cursor.map(str::to_string));
        self.run(move |conn| claims_page(conn, &q, cursor.as_deref(), limit)).await
    }

    async fn contacts_page(&self, q: &ContactQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<Contact>, StoreError> {
        let (q, cursor) = (q.clone(), cursor.map(str::to_string));
        self.run(move |conn| contacts_page(conn, &q, cursor.as_deref(), limit)).await
    }

    async fn audit_page(&self, q: &AuditQuery, cursor: Option<&str>, limit: usize) -> Result<ListPage<AuditEntry>, StoreError> {
        let (q, cursor) = (q.clone(), cursor.map(str::to_string));
        self.run(move |conn| audit_page(conn, &q, cursor.as_deref(), limit)).await
    }

    async fn claims_of_person(&self, email_key: &str) -> Result<Vec<Claim>, StoreError> {
        let key = email_key.to_string();
        self.run(move |conn| all(conn, &format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE email_key = ?1 ORDER BY rank"), params![key], row_to_claim)).await
    }

    async fn usage_of_year(&self, year: i16) -> Result<Vec<(String, YearUsage)>, StoreError> {
        self.run(move |conn| {
            all(conn, "SELECT city_key, trips, cents FROM year_usage WHERE year = ?1 ORDER BY city_key", params![year], |r| {
                Ok((r.get(0)?, YearUsage { trips: r.get(1)?, amount: Cents(r.get(2)?) }))
            })
        })
        .await
    }
}
