//! Every rule of a signed-in session, as pure functions of the session
//! record, the settings and the time: when it ends, when its use is worth
//! writing down, and whether it may decide (the passkey's freshness).

use crate::records::{Role, Session, SignedInBy};
use ccg_model::site::{SessionLimitsConfig, SignInConfig};

/// How long a session lasts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_secs: i64,
    pub absolute_secs: i64,
}

impl SessionLimits {
    pub fn of(c: SessionLimitsConfig) -> SessionLimits {
        SessionLimits { idle_secs: i64::from(c.idle_minutes) * 60, absolute_secs: i64::from(c.absolute_minutes) * 60 }
    }
    /// The limits of a role under the `sign_in` settings.
    pub fn for_role(config: &SignInConfig, role: Role) -> SessionLimits {
        match role {
            Role::Member => SessionLimits::of(config.member),
            Role::Staff => SessionLimits::of(config.staff),
        }
    }
}

/// When a session used last at `last_used_at` ends: the earlier of its idle
/// end and its absolute end (from `created_at`). Unix seconds.
pub fn expires_at(created_at: i64, last_used_at: i64, limits: SessionLimits) -> i64 {
    (last_used_at.saturating_add(limits.idle_secs)).min(created_at.saturating_add(limits.absolute_secs))
}

/// Whether the session still works at `now` under `limits` (the settings may
/// have shortened them since it was written: the shorter one holds).
pub fn is_live(s: &Session, limits: SessionLimits, now: i64) -> bool {
    now < s.expires_at.min(expires_at(s.created_at, s.last_used_at, limits))
}

/// Writing every request's time would cost a write per page: a use is
/// recorded when the last one written is this much older (a minute of idle
/// time at most is lost).
pub const TOUCH_EVERY_SECS: i64 = 60;

/// The new `(last_used_at, expires_at)` to write for a use at `now`, or
/// `None` when the stored ones are recent enough.
pub fn touch(s: &Session, limits: SessionLimits, now: i64) -> Option<(i64, i64)> {
    (now - s.last_used_at >= TOUCH_EVERY_SECS).then(|| (now, expires_at(s.created_at, now, limits)))
}

/// What a session may do with a page that decides or pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MayDecide {
    Yes,
    /// Not the secretariat.
    NotStaff,
    /// Signed in by link, and no passkey used in this session: add or use one first.
    NeedsPasskey,
    /// A passkey was used, longer ago than `decide_within`: use it again.
    PasskeyAgain,
}

/// Whether `s` may decide at `now`. `link_may_decide` is the preview's
/// relaxation (never set in AWS): a session started by link decides too.
pub fn may_decide(s: &Session, config: &SignInConfig, link_may_decide: bool, now: i64) -> MayDecide {
    if s.role != Role::Staff {
        return MayDecide::NotStaff;
    }
    if link_may_decide {
        return MayDecide::Yes;
    }
    match s.passkey_at {
        None => MayDecide::NeedsPasskey,
        Some(at) if now - at <= i64::from(config.decide_within_minutes) * 60 => MayDecide::Yes,
        Some(_) => MayDecide::PasskeyAgain,
    }
}

/// A new session of `role` for `email_key`, signed in `by` at `now`.
pub fn new_session(id_hash: String, email_key: &str, role: Role, by: SignedInBy, device: String, limits: SessionLimits, now: i64) -> Session {
    Session {
        id_hash,
        email_key: email_key.to_string(),
        role,
        by,
        created_at: now,
        last_used_at: now,
        passkey_at: (by == SignedInBy::Passkey).then_some(now),
        device,
        expires_at: expires_at(now, now, limits),
    }
}

/// What the list of sessions shows of a browser: its family and its
/// platform, from the `User-Agent` header ("Firefox on Linux"). The header
/// itself is never kept.
pub fn device(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "A browser"
    };
    let platform = if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "an unknown system"
    };
    format!("{browser} on {platform}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAFF: SessionLimits = SessionLimits { idle_secs: 30 * 60, absolute_secs: 8 * 3600 };

    fn session(role: Role, by: SignedInBy, now: i64) -> Session {
        new_session("h".into(), "a@x.eu", role, by, "Chrome on Linux".into(), STAFF, now)
    }

    #[test]
    fn a_session_ends_when_idle_or_at_its_absolute_end() {
        let mut s = session(Role::Staff, SignedInBy::Link, 1_000);
        assert_eq!(s.expires_at, 1_000 + 1_800);
        assert!(is_live(&s, STAFF, 2_799));
        assert!(!is_live(&s, STAFF, 2_800), "idle for 30 minutes");
        // Used every 20 minutes, it still ends 8 hours after it began.
        let mut now = 1_000;
        while now < 1_000 + 8 * 3600 {
            now += 1_200;
            if let Some((used, exp)) = touch(&s, STAFF, now) {
                s.last_used_at = used;
                s.expires_at = exp;
            }
        }
        assert_eq!(s.expires_at, 1_000 + 8 * 3600);
        assert!(!is_live(&s, STAFF, 1_000 + 8 * 3600));
        // Limits shortened since the session was written: the shorter holds.
        let s = session(Role::Staff, SignedInBy::Link, 1_000);
        assert!(!is_live(&s, SessionLimits { idle_secs: 60, absolute_secs: 60 }, 1_061));
    }

    #[test]
    fn a_use_is_written_once_a_minute_at_most() {
        let s = session(Role::Member, SignedInBy::Link, 1_000);
        assert_eq!(touch(&s, STAFF, 1_059), None);
        assert_eq!(touch(&s, STAFF, 1_060), Some((1_060, 1_060 + 1_800)));
    }

    #[test]
    fn deciding_needs_staff_and_a_recent_passkey() {
        let c = SignInConfig::default();
        assert_eq!(may_decide(&session(Role::Member, SignedInBy::Passkey, 0), &c, true, 0), MayDecide::NotStaff);
        assert_eq!(may_decide(&session(Role::Staff, SignedInBy::Link, 0), &c, false, 0), MayDecide::NeedsPasskey);
        assert_eq!(may_decide(&session(Role::Staff, SignedInBy::Link, 0), &c, true, 0), MayDecide::Yes, "the preview's relaxation");
        let s = session(Role::Staff, SignedInBy::Passkey, 0);
        assert_eq!(may_decide(&s, &c, false, 600), MayDecide::Yes);
        assert_eq!(may_decide(&s, &c, false, 601), MayDecide::PasskeyAgain);
    }

    #[test]
    fn devices_are_named_by_family_and_platform_only() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        assert_eq!(device(chrome), "Chrome on Linux");
        assert_eq!(
            device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"),
            "Safari on iOS"
        );
        assert_eq!(device("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"), "Firefox on Windows");
        assert_eq!(device("curl/8.0"), "A browser on an unknown system");
    }
}
