//! Contacts: a registration confirmed by its link, and the secretariat's changes.

use super::*;

pub(super) const CONTACT_COLUMNS: &str = "email_key, name, email, city, country, organisation, position, city_status, project, status, city_key, created_at, updated_at, version, expires_at, rank, search, listed";

pub(super) fn row_to_contact(r: &rusqlite::Row<'_>) -> rusqlite::Result<Contact> {
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
            listed: r.get::<_, Option<bool>>(17)?.unwrap_or(false),
        },
        status: ContactStatus::parse(&status)
            .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, format!("unknown contact status {status}").into()))?,
        city_key: r.get(10)?,
        created_at: timestamp(r, 11)?,
        updated_at: timestamp(r, 12)?,
        version: r.get::<_, i64>(13)? as u64,
        expires_at: r.get(14)?,
    })
}

pub(super) fn contact(conn: &Connection, email_key: &str) -> rusqlite::Result<Option<Contact>> {
    conn.prepare_cached(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE email_key = ?1"))?.query_row(params![email_key], row_to_contact).optional()
}

pub(super) fn write_contact(conn: &Connection, c: &Contact) -> rusqlite::Result<()> {
    let d = &c.details;
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO contacts ({CONTACT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
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
        c.created_at.to_string(),
        c.updated_at.to_string(),
        c.version as i64,
        c.expires_at,
        lists::contact_rank(c),
        lists::contact_search_text(c),
        d.listed,
    ])?;
    Ok(())
}

/// `contact`, with a record that does not parse told as corrupt (named by a hash of its address).
pub(super) fn read_contact(conn: &Connection, email_key: &str) -> Result<Option<Contact>, StoreError> {
    contact(conn, email_key).map_err(read_err(|| format!("contact {}", super::super::person_key(email_key))))
}

impl ContactStore for SqliteStore {
    async fn confirm_registration(&self, id: &str, token_hash: &str, now: jiff::Timestamp, now_secs: i64) -> Result<ContactOutcome, ConfirmFailed> {
        let (id, hash, now) = (id.to_string(), token_hash.to_string(), now);
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let p = read_pending(&tx, &id, now_secs)?;
            let old = match decide::registration_link(p.as_ref(), &hash, now_secs) {
                Ok(details) => read_contact(&tx, &details.email_key)?,
                Err(e) => return Ok(Err(e.into())),
            };
            let done = match decide::confirm_registration(p.as_ref(), &hash, old.as_ref(), now, now_secs) {
                Ok(done) => done,
                Err(e) => return Ok(Err(e.into())),
            };
            write_contact(&tx, &done.contact).map_err(map_err)?;
            mark_used(&tx, &id).map_err(map_err)?;
            write_audit(&tx, &audit_entry(now, "applicant", done.action(), &done.contact.details.email_key, format!("link {id}"))).map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(Ok(done))
        })
        .await?
    }

    async fn get_contact(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        let email_key = email_key.to_string();
        self.run(move |conn| read_contact(conn, &email_key)).await
    }

    async fn list_contacts(&self) -> Result<Vec<Contact>, StoreError> {
        self.run(|conn| all(conn, &format!("SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY email_key"), [], row_to_contact)).await
    }

    async fn update_contact(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> Result<(), UpdateError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let current = read_contact(&tx, &new.details.email_key)?;
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
}
