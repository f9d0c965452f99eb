//! How many emails the forms may send to one address: at most `per_hour` in
//! a clock hour and `per_day` in a day (UTC), whatever form asked for them.
//! A form sent beyond the limits is answered as if the email went; nothing
//! is sent and nothing kept, so the limits cannot be used to flood a mailbox
//! and the answer still tells nothing.

use sha2::{Digest, Sha256};

/// The limits (`forms.emails_per_address` in `content/config.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailLimits {
    pub per_hour: u32,
    pub per_day: u32,
}

impl Default for MailLimits {
    fn default() -> Self {
        MailLimits { per_hour: 5, per_day: 10 }
    }
}

/// The two windows a send at `now_secs` counts in, and when each ends (Unix
/// seconds): a store keeps a window's count until then, not longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// The hour, counted from the Unix epoch.
    pub hour: i64,
    pub hour_ends: i64,
    /// The day, counted from the Unix epoch.
    pub day: i64,
    pub day_ends: i64,
}

pub fn windows(now_secs: i64) -> Windows {
    let hour = now_secs.div_euclid(3600);
    let day = now_secs.div_euclid(86_400);
    Windows { hour, hour_ends: (hour + 1) * 3600, day, day_ends: (day + 1) * 86_400 }
}

/// Whether one more email may go, given what went in this hour and this day.
pub fn may_send(sent_this_hour: u32, sent_today: u32, limits: MailLimits) -> bool {
    sent_this_hour < limits.per_hour && sent_today < limits.per_day
}

/// Under which key the counts of an address are kept: a hash of the address,
/// so the counters hold no address (they go when their window ends anyway).
pub fn quota_key(email_key: &str) -> String {
    let digest = Sha256::digest(format!("ccg-mail-quota\0{email_key}").as_bytes());
    format!("mq_{}", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_limits_hold_and_either_stops_the_email() {
        let l = MailLimits { per_hour: 2, per_day: 3 };
        assert!(may_send(0, 0, l) && may_send(1, 2, l));
        assert!(!may_send(2, 2, l), "the hour is full");
        assert!(!may_send(0, 3, l), "the day is full, though the hour is new");
        assert!(!may_send(0, 0, MailLimits { per_hour: 0, per_day: 9 }), "a zero limit sends nothing");
    }

    #[test]
    fn windows_are_clock_hours_and_utc_days() {
        // 2027-03-16T10:59:59Z and a second later.
        let t = 1_805_194_799;
        let (a, b) = (windows(t), windows(t + 1));
        assert_eq!(b.hour, a.hour + 1);
        assert_eq!(a.hour_ends, t + 1);
        assert_eq!(a.day, b.day);
        assert_eq!(a.day_ends % 86_400, 0);
        assert!(a.day_ends > t && a.day_ends - t <= 86_400);
    }

    #[test]
    fn the_key_names_no_address_and_is_the_same_for_the_same_address() {
        let k = quota_key("ana@valladolid.es");
        assert!(k.starts_with("mq_") && k.len() == 35 && !k.contains("ana"));
        assert_eq!(k, quota_key("ana@valladolid.es"));
        assert_ne!(k, quota_key("ana@valladolid.eu"));
    }
}
