//! The secretariat's staff: the people who may sign in to the desk's pages.
//! Records, never configuration (no staff address is in the public content);
//! added, removed and listed from the desk's command line, each change with
//! its audit line (actor: the operator; subject: the address key).

use super::Forms;
use crate::claims::email_key;
use crate::records::{AuditEntry, Staff};
use crate::store::{Store, StoreError};
use ccg_forms::text;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("`{0}` is not an email address like name@city.eu")]
    Email(String),
    #[error("the name is empty: give --name NAME")]
    NoName,
    #[error("the name is longer than {} characters or more than one line", text::MAX_TEXT)]
    Name,
    #[error("the operator's name is empty: give --operator NAME or set CCG_OPERATOR")]
    NoOperator,
    #[error("{0} is staff already")]
    Already(String),
    #[error("{0} is not staff")]
    NotStaff(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The operator's name, trimmed; an empty one is refused (every change names who made it).
fn operator(operator: &str) -> Result<&str, StaffError> {
    Some(operator.trim()).filter(|o| !o.is_empty()).ok_or(StaffError::NoOperator)
}

/// An address as the forms take it: one line, the forms' email check.
fn address(email: &str) -> Result<&str, StaffError> {
    let e = text::visible(email).unwrap_or_default();
    if e.is_empty() || !text::is_single_line(e) || !text::is_email(e) {
        return Err(StaffError::Email(email.trim().to_string()));
    }
    Ok(e)
}

impl<S: Store> Forms<S> {
    /// Makes `email` staff, named `name`; refused when it is staff already.
    pub async fn add_staff(&self, email: &str, name: &str, operator_name: &str) -> Result<Staff, StaffError> {
        let operator = operator(operator_name)?;
        let email = address(email)?;
        let name = text::visible(name).ok_or(StaffError::NoName)?;
        if name.chars().count() > text::MAX_TEXT || !text::is_single_line(name) {
            return Err(StaffError::Name);
        }
        let (now, _) = self.now();
        let key = email_key(email);
        let staff = Staff { email_key: key.clone(), email: email.to_string(), name: name.to_string(), added_at: now, added_by: operator.to_string() };
        let audit = AuditEntry { at: now, actor: operator.into(), action: "staff.added".into(), subject: key.clone(), detail: String::new() };
        if self.timed(self.store.add_staff(staff.clone(), audit)).await? { Ok(staff) } else { Err(StaffError::Already(key)) }
    }

    /// Removes `email` from the staff and ends every session of theirs.
    pub async fn remove_staff(&self, email: &str, operator_name: &str) -> Result<(), StaffError> {
        let operator = operator(operator_name)?;
        let key = email_key(email);
        let (now, _) = self.now();
        let audit = AuditEntry { at: now, actor: operator.into(), action: "staff.removed".into(), subject: key.clone(), detail: String::new() };
        // Not timed: with many sessions it takes several writes, and stopping halfway helps nobody.
        if self.store.remove_staff(&key, audit).await? { Ok(()) } else { Err(StaffError::NotStaff(key)) }
    }

    /// Every staff record, by address.
    pub async fn staff(&self) -> Result<Vec<Staff>, StaffError> {
        Ok(self.timed(self.store.list_staff()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_as_the_forms_do() {
        assert_eq!(address("  Eva@Ccg.eu "), Ok("Eva@Ccg.eu"));
        for bad in ["", "eva", "eva@", "eva@ccg", "eva@ccg.eu\nx@y.eu", "a b@ccg.eu"] {
            assert!(matches!(address(bad), Err(StaffError::Email(_))), "{bad:?}");
        }
        assert_eq!(operator("  "), Err(StaffError::NoOperator));
    }
}
