//! Invitations to meetings: what a person is owed for a meeting given what
//! was last sent to them, and how an answer falls against the meeting's
//! capacity and its waiting list. One send per (person, meeting, sequence):
//! the stores key it so; these functions say which one is due.

use serde::{Deserialize, Serialize};

/// What one email about a meeting was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendKind {
    Invitation,
    Update,
    Cancellation,
}

impl SendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SendKind::Invitation => "invitation",
            SendKind::Update => "update",
            SendKind::Cancellation => "cancellation",
        }
    }

    pub fn parse(s: &str) -> Option<SendKind> {
        [SendKind::Invitation, SendKind::Update, SendKind::Cancellation].into_iter().find(|k| k.as_str() == s)
    }
}

/// What an email told about the meeting, in words: kept with the send so an
/// update says what changed since what that person was told.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub when: String,
    pub place: String,
    pub cancelled: bool,
}

/// The last email a person was sent about a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSent {
    pub sequence: u32,
    pub kind: SendKind,
}

/// What a person is owed for a meeting at `sequence` (cancelled or not),
/// given the last email they were sent about it: nothing, an invitation, an
/// update (the sequence went up), or a cancellation. Someone never invited is
/// not told of a cancellation; someone told of a cancellation is told again
/// only if the meeting is back (an update).
pub fn owed(last: Option<&LastSent>, sequence: u32, cancelled: bool) -> Option<SendKind> {
    match last {
        None if cancelled => None,
        None => Some(SendKind::Invitation),
        Some(l) if l.sequence >= sequence => None,
        Some(l) if cancelled => (l.kind != SendKind::Cancellation).then_some(SendKind::Cancellation),
        Some(_) => Some(SendKind::Update),
    }
}

/// One thing an update says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    When,
    Place,
    Status,
}

/// What changed between what a person was told and what they are told now.
pub fn changes(before: &Said, now: &Said) -> Vec<Change> {
    let mut v = Vec::new();
    if before.when != now.when {
        v.push(Change::When);
    }
    if before.place != now.place {
        v.push(Change::Place);
    }
    if before.cancelled != now.cancelled {
        v.push(Change::Status);
    }
    v
}

/// A person's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Attend,
    Decline,
}

impl Answer {
    pub fn parse(s: &str) -> Option<Answer> {
        match s {
            "attend" => Some(Answer::Attend),
            "decline" => Some(Answer::Decline),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Attend => "attend",
            Answer::Decline => "decline",
        }
    }
}

/// Where a person stands for a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Going,
    Waiting,
    Declined,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Going => "going",
            Standing::Waiting => "waiting",
            Standing::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Standing> {
        [Standing::Going, Standing::Waiting, Standing::Declined].into_iter().find(|k| k.as_str() == s)
    }
}

/// A meeting's places: how many are going, who waits (first first), and how
/// many declined. The stores keep it in one record per meeting, changed with
/// each answer in one atomic step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub going: u32,
    pub waiting: Vec<String>,
    pub declined: u32,
}

impl Tally {
    /// 1 for the first waiting; `None` when not waiting.
    pub fn position(&self, person: &str) -> Option<u32> {
        self.waiting.iter().position(|p| p == person).and_then(|i| u32::try_from(i + 1).ok())
    }
}

/// What an answer decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub tally: Tally,
    /// The person's standing now.
    pub standing: Standing,
    /// The first waiting, moved up to going by a withdrawal: to be told.
    pub promoted: Option<String>,
    /// False when the answer changes nothing (given twice).
    pub changed: bool,
}

/// `person` (standing `current`, if they answered before) answers `answer`
/// to a meeting of `capacity` places (None: no limit). "Attend": going if
/// a place is left, else the last on the waiting list; "decline": declined,
/// and a going person's place goes to the first waiting.
pub fn answer(capacity: Option<u32>, tally: &Tally, person: &str, current: Option<Standing>, answer: Answer) -> Decided {
    let mut t = tally.clone();
    let same = |standing| Decided { tally: tally.clone(), standing, promoted: None, changed: false };
    let room = |t: &Tally| capacity.is_none_or(|c| t.going < c);
    match (answer, current) {
        (Answer::Attend, Some(s @ (Standing::Going | Standing::Waiting))) => same(s),
        (Answer::Decline, Some(Standing::Declined)) => same(Standing::Declined),
        (Answer::Attend, current) => {
            if current == Some(Standing::Declined) {
                t.declined = t.declined.saturating_sub(1);
            }
            let standing = if room(&t) {
                t.going += 1;
                Standing::Going
            } else {
                t.waiting.push(person.to_string());
                Standing::Waiting
            };
            Decided { tally: t, standing, promoted: None, changed: true }
        }
        (Answer::Decline, current) => {
            let mut promoted = None;
            match current {
                Some(Standing::Going) => {
                    t.going = t.going.saturating_sub(1);
                    if room(&t) && !t.waiting.is_empty() {
                        promoted = Some(t.waiting.remove(0));
                        t.going += 1;
                    }
                }
                Some(Standing::Waiting) => t.waiting.retain(|p| p != person),
                _ => {}
            }
            t.declined += 1;
            Decided { tally: t, standing: Standing::Declined, promoted, changed: true }
        }
    }
}

/// What a person's leaving takes out of a meeting's tally (no one moves up:
/// the desk sees the free place).
pub fn forget(tally: &Tally, person: &str, current: Standing) -> Tally {
    let mut t = tally.clone();
    match current {
        Standing::Going => t.going = t.going.saturating_sub(1),
        Standing::Waiting => t.waiting.retain(|p| p != person),
        Standing::Declined => t.declined = t.declined.saturating_sub(1),
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_owed() {
        let last = |sequence, kind| LastSent { sequence, kind };
        assert_eq!(owed(None, 0, false), Some(SendKind::Invitation));
        assert_eq!(owed(None, 3, true), None);
        assert_eq!(owed(Some(&last(0, SendKind::Invitation)), 0, false), None);
        assert_eq!(owed(Some(&last(0, SendKind::Invitation)), 1, false), Some(SendKind::Update));
        assert_eq!(owed(Some(&last(1, SendKind::Update)), 2, true), Some(SendKind::Cancellation));
        assert_eq!(owed(Some(&last(2, SendKind::Cancellation)), 2, true), None);
        assert_eq!(owed(Some(&last(2, SendKind::Cancellation)), 3, true), None);
        assert_eq!(owed(Some(&last(2, SendKind::Cancellation)), 3, false), Some(SendKind::Update));
    }

    #[test]
    fn what_changed() {
        let a = Said { when: "1 May".into(), place: "Brussels".into(), cancelled: false };
        let b = Said { when: "2 May".into(), ..a.clone() };
        assert_eq!(changes(&a, &b), vec![Change::When]);
        assert_eq!(changes(&a, &Said { cancelled: true, ..a.clone() }), vec![Change::Status]);
        assert!(changes(&a, &a).is_empty());
    }

    #[test]
    fn the_21st_of_20_waits_and_a_withdrawal_moves_the_first_up() {
        let mut t = Tally::default();
        for i in 0..20 {
            let d = answer(Some(20), &t, &format!("p{i}"), None, Answer::Attend);
            assert_eq!(d.standing, Standing::Going);
            t = d.tally;
        }
        let d = answer(Some(20), &t, "p20", None, Answer::Attend);
        assert_eq!((d.standing, d.tally.position("p20")), (Standing::Waiting, Some(1)));
        t = d.tally;
        let d = answer(Some(20), &t, "p21", None, Answer::Attend);
        assert_eq!(d.tally.position("p21"), Some(2));
        t = d.tally;
        let d = answer(Some(20), &t, "p3", Some(Standing::Going), Answer::Decline);
        assert_eq!(d.promoted.as_deref(), Some("p20"));
        assert_eq!((d.tally.going, d.tally.waiting.clone(), d.tally.declined), (20, vec!["p21".to_string()], 1));
    }

    /// Whatever the answers (random sequences from a fixed seed), the tally is what the
    /// standings say, never over capacity, someone waits only when it is full, and the
    /// same answer twice changes nothing.
    #[test]
    fn the_tally_holds() {
        let mut seed: u64 = 0x5eed;
        let mut next = move |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for _ in 0..300 {
            let cap = u32::try_from(next(5) + 1).unwrap();
            let mut t = Tally::default();
            let mut standing: std::collections::HashMap<String, Standing> = Default::default();
            for _ in 0..next(60) {
                let p = format!("p{}", next(12));
                let a = if next(2) == 0 { Answer::Attend } else { Answer::Decline };
                let d = answer(Some(cap), &t, &p, standing.get(&p).copied(), a);
                let again = answer(Some(cap), &d.tally, &p, Some(d.standing), a);
                assert!(!again.changed);
                assert_eq!(again.tally, d.tally);
                standing.insert(p, d.standing);
                if let Some(q) = &d.promoted {
                    assert_eq!(standing.get(q), Some(&Standing::Waiting));
                    standing.insert(q.clone(), Standing::Going);
                }
                t = d.tally;
                let count = |s| u32::try_from(standing.values().filter(|v| **v == s).count()).unwrap();
                assert_eq!((t.going, t.declined), (count(Standing::Going), count(Standing::Declined)));
                assert_eq!(u32::try_from(t.waiting.len()).unwrap(), count(Standing::Waiting));
                assert!(t.going <= cap);
                assert!(t.waiting.is_empty() || t.going == cap);
            }
        }
    }
}
