//! Whether an emailed link may still be used.

use crate::records::Pending;
use ccg_model::Refusal;

/// Why a confirmation link did not confirm anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    /// Unknown, expired, or not the secret that was sent: one answer for all, so guessing learns nothing.
    #[error("the link is not valid or has expired")]
    Invalid,
    /// The link worked once already.
    #[error("the link was already used")]
    Used,
    /// A rule refuses the claim now (the limits, the representative, one per meeting); the link still works.
    #[error("refused: {0}")]
    Refused(Refusal),
}

/// The pending record behind a link, if the link may still be used: known, the
/// secret is one that was sent, not expired at `now` (Unix seconds).
pub fn check_link(p: Option<&Pending>, token_hash: &str, now: i64) -> Result<(), ConfirmError> {
    let Some(p) = p else { return Err(ConfirmError::Invalid) };
    if p.expires_at <= now || !p.token_hashes.iter().any(|h| h == token_hash) {
        return Err(ConfirmError::Invalid);
    }
    if p.used {
        return Err(ConfirmError::Used);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{PendingItem, Registration};

    fn pending(used: bool) -> Pending {
        let r = Registration {
            email_key: "a@x.eu".into(),
            name: "A".into(),
            email: "a@x.eu".into(),
            city: "X".into(),
            country: "BE".into(),
            organisation: "O".into(),
            position: "P".into(),
            city_status: "other".into(),
            project: None,
            listed: false,
        };
        Pending {
            id: "pnd_1".into(),
            item: PendingItem::Registration(r),
            token_hashes: vec!["h1".into()],
            created_at: jiff::Timestamp::UNIX_EPOCH,
            expires_at: 100,
            used,
        }
    }

    #[test]
    fn a_link_works_once_until_it_expires_and_only_with_a_secret_sent() {
        assert_eq!(check_link(Some(&pending(false)), "h1", 99), Ok(()));
        assert_eq!(check_link(Some(&pending(false)), "h1", 100), Err(ConfirmError::Invalid), "expired");
        assert_eq!(check_link(Some(&pending(false)), "h2", 99), Err(ConfirmError::Invalid), "another secret");
        assert_eq!(check_link(None, "h1", 99), Err(ConfirmError::Invalid));
        assert_eq!(check_link(Some(&pending(true)), "h1", 99), Err(ConfirmError::Used));
        assert_eq!(check_link(Some(&pending(true)), "h2", 99), Err(ConfirmError::Invalid), "a wrong secret learns nothing");
    }
}
