//! Contacts, the secretariat's changes to them, and the hashes of their leave links.

use super::*;

pub(super) const CONTACT_COLUMNS: &str =
    "email_key, name, email, city, country, organisation, position, city_status, project, status, city_key, created_at, updated_at, version, expires_at";

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
        c.created_at.to_string(),
        c.updated_at.to_string(),
        c.version as i64,
        c.expires_at
    ])?;
    Ok(())
}

impl SqliteStore {
    pub(super) async fn get_contact_in(&self, email_key: &str) -> Result<Option<Contact>, StoreError> {
        let email_key = email_key.to_string();
        self.run(move |conn| contact(conn, &email_key).map_err(map_err)).await
    }

    pub(super) async fn list_contacts_in(&self) -> Result<Vec<Contact>, StoreError> {
        self.run(|conn| all(conn, &format!("SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY email_key"), [], row_to_contact)).await
    }

    pub(super) async fn update_contact_in(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> Result<(), UpdateError> {
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

    pub(super) async fn add_leave_link_in(&self, email_key: &str, token_hash: &str) -> Result<bool, StoreError> {
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

    pub(super) async fn leave_link_works_in(&self, leave_id: &str, token_hash: &str) -> Result<bool, StoreError> {
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
}
