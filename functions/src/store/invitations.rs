//! What the invitations' store role keeps: one send per (person, meeting,
//! sequence), a person's answer to a meeting, a meeting's tally, the answer
//! and unsubscribe links (hashes of their secrets only), the unsubscribed.

use ccg_forms::decide::invitation::{Said, SendKind, Standing, Tally};
use serde::{Deserialize, Serialize};

/// How long a send marked "sending" is left to the runner that marked it
/// before another resumes it (a crash between the mark and the send).
pub const SENDING_LEASE_SECS: i64 = 120;

/// Where one send stands: queued, being sent (since `sending_at`), sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendState {
    Queued,
    Sending,
    Sent,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Queued => "queued",
            SendState::Sending => "sending",
            SendState::Sent => "sent",
        }
    }

    pub fn parse(s: &str) -> Option<SendState> {
        [SendState::Queued, SendState::Sending, SendState::Sent].into_iter().find(|k| k.as_str() == s)
    }
}

/// One email owed to one person about one meeting at one sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationSend {
    pub event_id: String,
    pub sequence: u32,
    pub email_key: String,
    pub kind: SendKind,
    pub state: SendState,
    /// Why they receive it: `representative` or `contact`.
    pub why: String,
    /// What this email tells of the meeting.
    pub said: Said,
    /// What the person's previous email about it told (an update says what changed).
    #[serde(default)]
    pub before: Option<Said>,
    pub queued_at: i64,
    #[serde(default)]
    pub sending_at: Option<i64>,
    #[serde(default)]
    pub sent_at: Option<i64>,
}

/// A person's standing for a meeting, as they last answered (or were moved up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationAnswer {
    pub event_id: String,
    pub email_key: String,
    pub standing: Standing,
    pub at: i64,
}

/// What an answer did, as the store wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub standing: Standing,
    /// 1 for the first waiting.
    pub position: Option<u32>,
    /// The address key of the first waiting, moved up to going: to be told.
    pub promoted: Option<String>,
    pub changed: bool,
    pub tally: Tally,
}

/// A link emailed with an invitation: its id, the hash of its secret, whose
/// it is, and for which meeting (none: the unsubscribe link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationLink {
    pub id: String,
    pub hash: String,
    pub email_key: String,
    #[serde(default)]
    pub event_id: Option<String>,
}

/// A round's progress: the sends of one meeting at one sequence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub queued: u32,
    pub sending: u32,
    pub sent: u32,
    pub total: u32,
}

impl Progress {
    pub fn of<'a>(sends: impl IntoIterator<Item = &'a InvitationSend>, sequence: u32) -> Progress {
        let mut p = Progress::default();
        for s in sends.into_iter().filter(|s| s.sequence == sequence) {
            match s.state {
                SendState::Queued => p.queued += 1,
                SendState::Sending => p.sending += 1,
                SendState::Sent => p.sent += 1,
            }
            p.total += 1;
        }
        p
    }

    /// Sends not yet done.
    pub fn left(&self) -> u32 {
        self.queued + self.sending
    }
}

/// Whether a send may be taken to be sent now: queued, or marked "sending"
/// longer than the lease ago (its runner crashed).
pub fn takeable(s: &InvitationSend, now_secs: i64) -> bool {
    match s.state {
        SendState::Queued => true,
        SendState::Sending => s.sending_at.is_none_or(|t| t <= now_secs - SENDING_LEASE_SECS),
        SendState::Sent => false,
    }
}
