//! The store's traits, one per role. Implemented with `async fn`; the futures
//! are `Send` so a multi-threaded server can hold them. Times: `now` is the instant
//! for records, `now_secs` Unix seconds for expiry.

use super::DocumentError;
use super::lists::{self, AuditQuery, ClaimQuery, ContactQuery, ListPage, SharedQuery};
use super::{
    ClaimChange, ClaimOutcome, ConfirmFailed, ContactOutcome, Erased, Kept, LeaveError, OpenMeetings, StoreError, StoredAnswer, Swept, TransitionError,
    UpdateError,
};
use crate::records::{AuditEntry, Ceremony, Claim, Contact, Document, Passkey, Pending, Session, SharedDocument, SignInLink, Staff};
use ccg_forms::decide::MailLimits;
use ccg_forms::decide::documents::Admit;
use ccg_model::DocumentLimits;
use ccg_model::TravelRules;
use ccg_model::rules::YearUsage;
use std::future::Future;

use super::invitations::{Answered, InvitationAnswer, InvitationLink, InvitationSend};
use ccg_forms::decide::invitation::{Answer, Tally};
use ccg_forms::decide::suppression::Suppression;

/// Submissions waiting for their emailed link.
pub trait PendingStore: Send + Sync + 'static {
    /// Keeps a submission until its link is used or it expires.
    fn put_pending(&self, p: Pending) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The pending record `id`, used or not; `None` when unknown or expired at `now_secs`.
    fn get_pending(&self, id: &str, now_secs: i64) -> impl Future<Output = Result<Option<Pending>, StoreError>> + Send;

    /// The newest unused, unexpired pending record of this kind (`registration`/`claim`) for this address.
    fn latest_pending(&self, kind: &str, email_key: &str, now_secs: i64) -> impl Future<Output = Result<Option<Pending>, StoreError>> + Send;

    /// Every unused, unexpired pending record, oldest first (for the secretariat's desk).
    fn list_pending(&self, now_secs: i64) -> impl Future<Output = Result<Vec<Pending>, StoreError>> + Send;

    /// Adds the hash of a newly sent secret to a pending record. False (nothing
    /// written) when it is gone, used, expired, or has `MAX_LINKS` already.
    fn add_link(&self, id: &str, token_hash: &str, now_secs: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Contacts: a registration confirmed by its link, and the secretariat's changes.
pub trait ContactStore: Send + Sync + 'static {
    /// Uses a registration's link: the contact is created or changed
    /// (`apply_registration`), the link marked used, the audit written, atomically.
    fn confirm_registration(
        &self,
        id: &str,
        token_hash: &str,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> impl Future<Output = Result<ContactOutcome, ConfirmFailed>> + Send;

    fn get_contact(&self, email_key: &str) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send;

    /// Every contact, by email key.
    fn list_contacts(&self) -> impl Future<Output = Result<Vec<Contact>, StoreError>> + Send;

    /// Writes `new` (whose `version` is `expected_version + 1`) and its audit
    /// entry atomically, if the stored contact still has `expected_version`.
    fn update_contact(&self, expected_version: u64, new: Contact, audit: AuditEntry) -> impl Future<Output = Result<(), UpdateError>> + Send;
}

/// Claims: a claim confirmed by its link (counted), its changes of state, and the cities' yearly counters.
pub trait ClaimStore: Send + Sync + 'static {
    /// Uses a claim's link: in one atomic step checks the claim's meeting is
    /// one of `open` (it still takes claims), the claimant still
    /// represents the city, has no contribution for the meeting, and the
    /// year's limits (`rules.count`: the contribution is what the year has
    /// left, if less than asked); then stores the claim (with
    /// `confirmed_at = now`, that contribution, the claimant's contribution key
    /// and the year's next reference), counts it, marks the link used and writes the audit.
    /// A refusal writes nothing and leaves the link usable.
    fn confirm_claim(
        &self,
        id: &str,
        token_hash: &str,
        rules: &TravelRules,
        open: &OpenMeetings,
        now: jiff::Timestamp,
        now_secs: i64,
    ) -> impl Future<Output = Result<ClaimOutcome, ConfirmFailed>> + Send;

    /// What a city has used in a year.
    fn year_usage(&self, city_key: &str, year: i16) -> impl Future<Output = Result<YearUsage, StoreError>> + Send;

    /// Every city's usage per year: (city key, year, usage), by year then city.
    fn list_usage(&self) -> impl Future<Output = Result<Vec<(String, i16, YearUsage)>, StoreError>> + Send;

    /// Every claim (whatever its state), for the secretariat: by year, city, event.
    fn list_claims(&self) -> impl Future<Output = Result<Vec<Claim>, StoreError>> + Send;

    fn get_claim(&self, id: &str) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// The claim counted with `reference` (`CCG-2027-0042`, as `decide::reference` writes it), if any.
    fn claim_by_reference(&self, reference: &str) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// The claim confirmed through the link of pending record `link_id`, if any.
    fn claim_by_link(&self, link_id: &str) -> impl Future<Output = Result<Option<Claim>, StoreError>> + Send;

    /// Changes a claim's state if it is in one of `change.from`, in one atomic
    /// step with its audit entry; a change out of a counting state into a
    /// non-counting one gives the trip and euros back to the city's year and
    /// frees the person's contribution for that meeting.
    fn transition_claim(&self, id: &str, change: ClaimChange, audit: AuditEntry) -> impl Future<Output = Result<Claim, TransitionError>> + Send;
}

/// The first answers of idempotent requests.
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `key` for a new request, unless something is kept under it: then returns that.
    fn idempotent_start(&self, endpoint: &str, key: &str, request_hash: &str) -> impl Future<Output = Result<Option<Kept>, StoreError>> + Send;

    /// What is kept under `key`, if anything (expired marks and answers are nothing).
    fn idempotent_get(&self, endpoint: &str, key: &str) -> impl Future<Output = Result<Option<Kept>, StoreError>> + Send;

    /// Replaces the mark of a started request with its answer.
    fn idempotent_finish(&self, endpoint: &str, key: &str, answer: StoredAnswer) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Drops the mark of a started request that got no final answer (a 503), so a retry can run.
    fn idempotent_abandon(&self, endpoint: &str, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A person's data going: leaving through a link, an erasure by the secretariat; and the history they are blanked in.
pub trait ErasureStore: Send + Sync + 'static {
    /// Keeps the hash of a newly emailed leave-link secret for the contact
    /// `email_key` (under `token::leave_id`). False (nothing written) when the
    /// address is not a contact: the email then goes without the link.
    fn add_leave_link(&self, email_key: &str, token_hash: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Whether a leave link would work now (its secret kept, its contact there); changes nothing.
    fn leave_link_works(&self, leave_id: &str, token_hash: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A contact leaves through the link `leave_id` with a secret of hash
    /// `token_hash`: if the link is one the store kept and the contact still
    /// exists, their data goes as in `erase` (the same path), with `audit`
    /// (naming nobody) recorded. Otherwise `Gone`.
    fn leave(&self, leave_id: &str, token_hash: &str, audit: AuditEntry) -> impl Future<Output = Result<Erased, LeaveError>> + Send;

    /// Removes a person's data everywhere, in one atomic step where the store
    /// allows it: the contact, anything pending, their claims (a claim that
    /// still counted gives its trip and euros back), keeping only paid claims,
    /// with the name and address replaced by `ERASED`; their address in the
    /// history is replaced too. `audit` (which names nobody) records the erasure.
    fn erase(&self, email_key: &str, audit: AuditEntry) -> impl Future<Output = Result<Erased, StoreError>> + Send;

    /// The whole audit trail, oldest first.
    fn list_audit(&self) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;
}

/// What is past its retention.
pub trait RetentionStore: Send + Sync + 'static {
    /// When a claim's records may be deleted (its retention's end, Unix
    /// seconds); `None` while it has no end yet (counted, approved).
    fn claim_expires_at(&self, id: &str) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// Deletes every record whose time is up at `now_secs`, with what
    /// describes it (its history, its leave link), and says what went.
    /// DynamoDB deletes by itself (TTL): there it only blanks the history
    /// lines of addresses that left.
    fn sweep(&self, now_secs: i64) -> impl Future<Output = Result<Option<Swept>, StoreError>> + Send;
}

/// A claim's supporting documents (what is known of each file; the files are in the file store).
/// They go with their claim: deleted when it is (retention, leaving, erasure), kept when it is kept.
pub trait DocumentStore: Send + Sync + 'static {
    /// Records `doc` on its claim with `audit`, in one atomic step, if the
    /// claim takes it now (`decide::documents::admit` on the claim's state and
    /// the documents it has, within `limits`). The same document recorded
    /// twice is `Admit::Already`, written once.
    fn add_document(&self, doc: Document, limits: Option<DocumentLimits>, audit: AuditEntry) -> impl Future<Output = Result<Admit, DocumentError>> + Send;

    /// A claim's documents, in the order they were recorded.
    fn list_documents(&self, claim_id: &str) -> impl Future<Output = Result<Vec<Document>, StoreError>> + Send;
}

/// The members' repository: what is known of each shared document (its file
/// is in the file store under `shared/`). Every change goes with its audit
/// line in one atomic step; a replacement or removal only while the document
/// is still the version the desk showed.
pub trait SharedDocumentStore: Send + Sync + 'static {
    /// Adds a document (`version` 1) with its audit line; false (nothing written) when its id is taken.
    fn add_shared(&self, doc: SharedDocument, audit: AuditEntry) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Writes `new` (a new file, `version` = `expected_version + 1`) with its
    /// audit line if the stored document still has `expected_version`; `Conflict` otherwise (or gone).
    fn replace_shared(&self, expected_version: u64, new: SharedDocument, audit: AuditEntry) -> impl Future<Output = Result<(), UpdateError>> + Send;

    /// Removes the document with its audit line if it still has `expected_version`; `Conflict` otherwise (or gone).
    fn remove_shared(&self, id: &str, expected_version: u64, audit: AuditEntry) -> impl Future<Output = Result<(), UpdateError>> + Send;

    fn get_shared(&self, id: &str) -> impl Future<Output = Result<Option<SharedDocument>, StoreError>> + Send;

    /// The documents `q` asks for, newest first (`SharedDocument::rank`), at
    /// most `limit`, after `cursor` (the rank of a page's last document).
    fn shared_page(&self, q: &SharedQuery, cursor: Option<&str>, limit: usize) -> impl Future<Output = Result<ListPage<SharedDocument>, StoreError>> + Send;
}

/// How many emails the forms sent to an address lately (`decide::quota`).
pub trait MailQuotaStore: Send + Sync + 'static {
    /// Counts one more email to the address of `quota_key` (`decide::quota_key`)
    /// in this hour and this day, in one atomic step, if `decide::may_send`
    /// allows it then; false (nothing counted) when a limit is reached.
    fn take_mail(&self, quota_key: &str, limits: MailLimits, now_secs: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Signing in: the secretariat's staff records, emailed sign-in links,
/// sessions, passkeys and passkey ceremonies (`records::account`). A person's
/// erasure or leaving (`ErasureStore`) also deletes their sessions and passkeys.
pub trait AccountStore: Send + Sync + 'static {
    /// Adds a staff record with its audit line, atomically; false (nothing written) when the address is staff already.
    fn add_staff(&self, staff: Staff, audit: AuditEntry) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes a staff record and ends every session of that address, with the
    /// audit line, atomically where the store allows; false (nothing written) when not staff.
    fn remove_staff(&self, email_key: &str, audit: AuditEntry) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn get_staff(&self, email_key: &str) -> impl Future<Output = Result<Option<Staff>, StoreError>> + Send;

    /// Every staff record, by address key.
    fn list_staff(&self) -> impl Future<Output = Result<Vec<Staff>, StoreError>> + Send;

    /// Keeps an emailed sign-in link (its hash) until it is used or expires.
    fn put_sign_in_link(&self, link: SignInLink) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The address key of link `id` if it is kept with `token_hash`, unused and
    /// unexpired at `now_secs`; changes nothing (the page a link opens).
    fn peek_sign_in_link(&self, id: &str, token_hash: &str, now_secs: i64) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Signs in with link `id`: if it is kept with `token_hash` for
    /// `session`'s person, unused and unexpired at `now_secs`, marks it used
    /// and writes `session` as `start_session` does (deleting `replaces`, with
    /// the audit line), all in one atomic step: of two uses at once one wins,
    /// and a failed write spends no link (the person may try it again);
    /// true. Otherwise false, nothing written.
    fn use_sign_in_link(
        &self,
        id: &str,
        token_hash: &str,
        now_secs: i64,
        session: Session,
        replaces: Option<&str>,
        audit: AuditEntry,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Writes a new session; with `replaces` (a rotation: the step up from link
    /// to passkey) deletes that session in the same atomic step; with the audit line when given.
    fn start_session(&self, session: Session, replaces: Option<&str>, audit: Option<AuditEntry>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session kept under `id_hash`; `None` when unknown or `expires_at <= now_secs`.
    fn get_session(&self, id_hash: &str, now_secs: i64) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Records a session's use; a session gone meanwhile stays gone (nothing written).
    fn touch_session(&self, id_hash: &str, last_used_at: i64, expires_at: i64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends one session (signing out); unknown is fine.
    fn end_session(&self, id_hash: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A person's sessions that have not expired at `now_secs`, most recently used first.
    fn list_sessions(&self, email_key: &str, now_secs: i64) -> impl Future<Output = Result<Vec<Session>, StoreError>> + Send;

    /// Ends every session of a person (whatever its role) except `except` (an
    /// id hash), with the audit line when given; how many ended.
    fn end_sessions(&self, email_key: &str, except: Option<&str>, audit: Option<AuditEntry>) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Adds a passkey with its audit line, atomically.
    fn add_passkey(&self, passkey: Passkey, audit: AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The passkey with this credential id.
    fn get_passkey(&self, id: &str) -> impl Future<Output = Result<Option<Passkey>, StoreError>> + Send;

    /// A person's passkeys, oldest first.
    fn list_passkeys(&self, email_key: &str) -> impl Future<Output = Result<Vec<Passkey>, StoreError>> + Send;

    /// Records a passkey's use: its updated encoded credential (the signature counter) and when.
    fn passkey_used(&self, id: &str, credential: &str, at: i64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes a person's passkey with its audit line, atomically; false (nothing written) when it is not theirs or unknown.
    fn remove_passkey(&self, email_key: &str, id: &str, audit: AuditEntry) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Keeps a ceremony until its answer comes or it expires.
    fn put_ceremony(&self, ceremony: Ceremony) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes (deletes) the ceremony with this challenge, so it answers once; `None` when unknown or expired at `now_secs`.
    fn take_ceremony(&self, id: &str, now_secs: i64) -> impl Future<Output = Result<Option<Ceremony>, StoreError>> + Send;
}

/// The secretariat's desk: its lists, a page at a time (`lists`). A page is
/// answered from a few indexed reads, whatever the number of records: the
/// desk never reads a whole table on a request. A cursor is the one a page
/// of the same question gave; one that is no rank is refused as
/// `StoreError::Failed`. A page is what `lists::page_of` makes of the whole
/// list (`functions/tests/it/lists.rs`), except that DynamoDB's indexes are
/// eventually consistent: a page may miss a change made a moment before.
pub trait DeskStore: ContactStore + ClaimStore + ErasureStore {
    /// Writes one history line that goes with no change of a record (an export: who took which data, when).
    fn record_audit(&self, audit: AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The claims `q` asks for, in its order, at most `limit`, after `cursor`.
    fn claims_page(&self, q: &ClaimQuery, cursor: Option<&str>, limit: usize) -> impl Future<Output = Result<ListPage<Claim>, StoreError>> + Send {
        async move { Ok(lists::page_of(self.list_claims().await?, |c| q.admits(c), lists::claim_rank, q.order, cursor, limit)) }
    }

    /// The contacts `q` asks for, in its order, at most `limit`, after `cursor`.
    fn contacts_page(&self, q: &ContactQuery, cursor: Option<&str>, limit: usize) -> impl Future<Output = Result<ListPage<Contact>, StoreError>> + Send {
        async move { Ok(lists::page_of(self.list_contacts().await?, |c| q.admits(c), lists::contact_rank, q.order, cursor, limit)) }
    }

    /// The history lines `q` asks for, in its order, at most `limit`, after `cursor`.
    fn audit_page(&self, q: &AuditQuery, cursor: Option<&str>, limit: usize) -> impl Future<Output = Result<ListPage<AuditEntry>, StoreError>> + Send {
        async move { Ok(lists::page_of(self.list_audit().await?, |e| q.admits(e), lists::audit_rank, q.order, cursor, limit)) }
    }

    /// The contact whose address key has this person key (`store::person_key`): how the desk's
    /// addresses name a person without putting their address in a URL (and so in access logs).
    fn contact_by_person(&self, person_key: &str) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send {
        async move { Ok(self.list_contacts().await?.into_iter().find(|c| super::person_key(&c.details.email_key) == person_key)) }
    }

    /// A person's claims (by their address key), oldest first.
    fn claims_of_person(&self, email_key: &str) -> impl Future<Output = Result<Vec<Claim>, StoreError>> + Send {
        async move {
            let mut v: Vec<Claim> = self.list_claims().await?.into_iter().filter(|c| c.email_key == email_key).collect();
            v.sort_by_key(lists::claim_rank);
            Ok(v)
        }
    }

    /// Every city's usage of `year`: (city key, usage), by city key.
    fn usage_of_year(&self, year: i16) -> impl Future<Output = Result<Vec<(String, YearUsage)>, StoreError>> + Send {
        async move { Ok(self.list_usage().await?.into_iter().filter(|(_, y, _)| *y == year).map(|(k, _, u)| (k, u)).collect()) }
    }
}

/// Invitations to meetings (`store::invitations`): one send per person,
/// meeting and sequence, taken once; answers against a meeting's capacity
/// decided atomically with its tally; links kept as hashes; the unsubscribed.
/// A person's erasure or leaving deletes their sends, answers and links.
pub trait InvitationStore: Send + Sync + 'static {
    /// Every send of a meeting, whatever its sequence and state.
    fn list_sends(&self, event_id: &str) -> impl Future<Output = Result<Vec<InvitationSend>, StoreError>> + Send;

    /// One person's send for a meeting at a sequence.
    fn get_send(&self, event_id: &str, sequence: u32, email_key: &str) -> impl Future<Output = Result<Option<InvitationSend>, StoreError>> + Send;

    /// Queues each send unless one with its (person, meeting, sequence) is
    /// there already (then it is left as it is); how many were new.
    fn queue_sends(&self, sends: Vec<InvitationSend>) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Marks a send "sending" at `now_secs` if it is `invitations::takeable`
    /// (conditionally: of two runners one gets it); false otherwise.
    fn mark_sending(&self, event_id: &str, sequence: u32, email_key: &str, now_secs: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks a send "sent" (from "sending" only); false when it was not sending.
    fn mark_sent(&self, event_id: &str, sequence: u32, email_key: &str, now_secs: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records `answer` of a person to a meeting of `capacity` places, with
    /// the meeting's tally (`decide::invitation::answer`) and the standing of
    /// a person it moves up, in one atomic step.
    fn answer_invitation(
        &self,
        event_id: &str,
        email_key: &str,
        capacity: Option<u32>,
        answer: Answer,
        now_secs: i64,
    ) -> impl Future<Output = Result<Answered, StoreError>> + Send;

    /// A meeting's answers (by address key) and its tally.
    fn list_answers(&self, event_id: &str) -> impl Future<Output = Result<(Vec<InvitationAnswer>, Tally), StoreError>> + Send;

    /// One person's answer to a meeting.
    fn get_answer(&self, event_id: &str, email_key: &str) -> impl Future<Output = Result<Option<InvitationAnswer>, StoreError>> + Send;

    /// Keeps an emailed link (the hash of its secret).
    fn put_invitation_link(&self, link: InvitationLink) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The link kept under `id`.
    fn get_invitation_link(&self, id: &str) -> impl Future<Output = Result<Option<InvitationLink>, StoreError>> + Send;

    /// Sets whether a person is unsubscribed from invitations.
    fn set_unsubscribed(&self, email_key: &str, unsubscribed: bool) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The address keys of everyone unsubscribed.
    fn list_unsubscribed(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}

/// Addresses that get no more email (`decide::suppression`): SES said they
/// bounced for good or their owner complained (the mail-events function).
/// Kept under a keyed hash of the address (`PersonKey::suppression_key`,
/// with the store's person key), never the address itself.
pub trait SuppressionStore: Send + Sync + 'static {
    /// Suppresses the address `email_key` with its history line, in one atomic
    /// step; false (nothing written) when it is suppressed already: the first
    /// reason and date stay. Fails without a person key.
    fn suppress(&self, email_key: &str, suppression: Suppression, audit: AuditEntry) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// What is kept of the address `email_key` if it is suppressed. A store
    /// without a person key (the desk command run without `CCG_PERSON_KEY`)
    /// knows none: `None` (SES's own list for the configuration set still drops them).
    fn suppression(&self, email_key: &str) -> impl Future<Output = Result<Option<Suppression>, StoreError>> + Send;

    /// Lets the address `email_key` receive email again (its owner asked the
    /// secretariat): deletes what `suppress` kept, with its history line, in
    /// one atomic step; false (nothing written) when it was not suppressed.
    fn lift_suppression(&self, email_key: &str, audit: AuditEntry) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The newest suppressions, newest first, at most `limit` (the desk's Today):
    /// from one indexed read, whatever their number.
    fn recent_suppressions(&self, limit: usize) -> impl Future<Output = Result<Vec<Suppression>, StoreError>> + Send;
}

/// Every role: what the flows are written against.
pub trait Store:
    InvitationStore
    + PendingStore
    + ContactStore
    + ClaimStore
    + IdempotencyStore
    + ErasureStore
    + RetentionStore
    + MailQuotaStore
    + DocumentStore
    + AccountStore
    + DeskStore
    + SharedDocumentStore
    + SuppressionStore
{
}

impl<
    S: InvitationStore
        + PendingStore
        + ContactStore
        + ClaimStore
        + IdempotencyStore
        + ErasureStore
        + RetentionStore
        + MailQuotaStore
        + DocumentStore
        + AccountStore
        + DeskStore
        + SharedDocumentStore
        + SuppressionStore,
> Store for S
{
}
