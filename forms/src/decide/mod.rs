//! Every decision on the stored records, each written once as a pure function
//! of what a store read: whether a link may be used (`link`), whether a claim's
//! confirmation counts (`claim`), what a confirmed registration leaves
//! (`registration`), what leaving or an erasure deletes and keeps (`leave`),
//! whether an uploaded file becomes a claim's document (`documents`),
//! whether a payment is recorded and with which reason (`payment`), whether
//! one more email may go to an address (`quota`), a claim's reference
//! (`reference`), when a record's time is up (`retention`), and whether an
//! address gets email at all (`suppression`: it bounced for good or complained). Both stores read, call the
//! decision, then write conditionally on what they read; neither decides.

pub mod claim;
pub mod documents;
pub mod invitation;
pub mod leave;
pub mod link;
pub mod payment;
pub mod quota;
pub mod reference;
pub mod registration;
pub mod retention;
pub mod session;
pub mod shared;
pub mod suppression;

pub use claim::{ClaimChange, ClaimFacts, ClaimOutcome, OpenMeetings, claim_link, confirm_claim, transition};
pub use leave::{ERASED, Erased, Fate, LeaveLink, anonymised, fate, kept_on_erase, who_leaves};
pub use link::{ConfirmError, check_link};
pub use quota::{MailLimits, may_send, quota_key};
pub use reference::{numbered, parse_reference, reference};
pub use registration::{ContactOutcome, apply_registration, confirm_registration, registration_link};
