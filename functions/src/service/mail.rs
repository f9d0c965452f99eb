//! Where every email the flows and the desk send goes out (`Forms::send_mail`):
//! never to an address that bounced for good or complained
//! (`decide::suppression::may_email` on what the store keeps), which is
//! counted instead (`Metric::MailSuppressed`). And what the mail-events
//! function does with SES's events (`record_events`): a hard bounce or a
//! complaint suppresses the address with its history line.

use super::Forms;
use crate::mail::events::SesEvent;
use crate::mail::{Email, MailError};
use crate::metrics::{self, Metric, Metrics};
use crate::records::AuditEntry;
use crate::store::{ContactStore, Store, StoreError, SuppressionStore};
use ccg_forms::claims::email_key;
use ccg_forms::decide::suppression::{self, Event, Reason, Suppression};

/// The history's actor of what SES told.
pub const ACTOR: &str = "ses";
/// The subject of a history line about an address that is no contact's.
pub const STRANGER: &str = "(an address that is no contact's)";

fn counted(reason: Reason) -> metrics::Suppressed {
    match reason {
        Reason::Bounce => metrics::Suppressed::Bounce,
        Reason::Complaint => metrics::Suppressed::Complaint,
    }
}

impl<S: Store> Forms<S> {
    /// Lets `email` receive emails again, at its owner's request to the
    /// secretariat (`desk unsuppress`): false when it was not suppressed. The
    /// history line is about the contact when the address is one, else about
    /// no one, as the suppression's was. SES's own list for the
    /// configuration set is the operator's to clear (infra/README.md).
    pub async fn lift_suppression(&self, email: &str, operator: &str) -> Result<bool, super::desk::DeskError> {
        let operator = operator.trim();
        if operator.is_empty() {
            return Err(super::desk::DeskError::NoOperator);
        }
        let key = email_key(email);
        let subject = if self.store.get_contact(&key).await?.is_some() { key.clone() } else { STRANGER.to_string() };
        let audit = AuditEntry { at: self.now().0, actor: operator.into(), action: "email.suppression.lifted".into(), subject, detail: String::new() };
        Ok(self.store.lift_suppression(&key, audit).await?)
    }

    /// Sends `mail` unless its address is suppressed: then nothing goes, the
    /// caller is told it went (what it answers must not differ for a
    /// suppressed address), and the desk shows why on the person's page. A
    /// store that cannot say is a mail not sent (the person may ask again).
    pub async fn send_mail(&self, mail: &Email) -> Result<(), MailError> {
        let suppressed = self.timed(self.store.suppression(&email_key(&mail.to))).await.map_err(|e| match e {
            StoreError::Corrupt(key) => MailError::NotSent(format!("the suppression {key} does not read")),
            _ => MailError::NotSent("whether the address is suppressed is not known".into()),
        })?;
        if let Some(s) = suppressed.as_ref().filter(|s| !suppression::may_email(Some(s))) {
            self.metrics.count(Metric::MailSuppressed(counted(s.reason)));
            tracing::info!(reason = s.reason.as_str(), "email not sent: the address is suppressed");
            return Ok(());
        }
        self.mailer.send(mail).await
    }
}

/// What one SES event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    /// Addresses newly suppressed.
    pub suppressed: u32,
    /// Addresses that were suppressed already.
    pub already: u32,
}

fn kind(event: Event) -> metrics::MailEvent {
    match event {
        Event::Send => metrics::MailEvent::Send,
        Event::Delivery => metrics::MailEvent::Delivery,
        Event::Reject => metrics::MailEvent::Reject,
        Event::Bounce { permanent: true } => metrics::MailEvent::HardBounce,
        Event::Bounce { permanent: false } => metrics::MailEvent::SoftBounce,
        Event::Complaint => metrics::MailEvent::Complaint,
        Event::Other => metrics::MailEvent::Other,
    }
}

/// Counts an SES event and, when `decide::suppression::judge` says so,
/// suppresses each address it names, each with its history line: about the
/// contact (their address key, as every line of theirs, so their page shows
/// it and an erasure blanks it) when the address is a contact's, else about
/// the keyed hash alone, so a stranger's address is nowhere in the table.
pub async fn record_event<S: SuppressionStore + ContactStore>(store: &S, metrics: &Metrics, event: &SesEvent) -> Result<Recorded, StoreError> {
    metrics.count(Metric::MailEvent(kind(event.kind)));
    let mut done = Recorded::default();
    let Some(reason) = suppression::judge(event.kind) else { return Ok(done) };
    for address in &event.recipients {
        let key = email_key(address);
        let contact = store.get_contact(&key).await?.is_some();
        let person = contact.then(|| crate::store::person_key(&key));
        let subject = if contact { key.clone() } else { STRANGER.to_string() };
        let audit =
            AuditEntry { at: event.at, actor: ACTOR.into(), action: format!("email.suppressed.{}", reason.as_str()), subject, detail: event.detail.clone() };
        if store.suppress(&key, Suppression { reason, at: event.at, person }, audit).await? {
            done.suppressed += 1;
        } else {
            done.already += 1;
        }
    }
    Ok(done)
}
