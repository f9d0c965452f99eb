//! What the secretariat's desk lists, a page at a time (`DeskStore`): the
//! questions it asks and the pages it gets back. A list is ordered by a
//! rank (`claim_rank`, `contact_rank`, `audit_rank`): a text that sorts as
//! the records do, ending with the record's id so no two are equal. A page's
//! cursor is the rank of its last record: the next page starts after it, in
//! both stores, so a cursor never names a store's internals.

use crate::records::{AuditEntry, Claim, ClaimStatus, Contact, ContactStatus};

/// Records per page of a desk list, when the caller does not say.
pub const PAGE: usize = 50;

/// Which way a list runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// Oldest first: what waits longest comes first.
    #[default]
    Oldest,
    Newest,
}

/// One page of a list, and the cursor of the next (`None`: this is the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Which claims: `None` takes every value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimQuery {
    pub status: Option<ClaimStatus>,
    pub city_key: Option<String>,
    pub year: Option<i16>,
    pub event_id: Option<String>,
    pub order: Order,
}

impl ClaimQuery {
    pub fn admits(&self, c: &Claim) -> bool {
        self.status.is_none_or(|s| s == c.status)
            && self.city_key.as_deref().is_none_or(|k| k == c.city_key)
            && self.year.is_none_or(|y| y == c.year)
            && self.event_id.as_deref().is_none_or(|e| e == c.event_id)
    }
}

/// Which contacts: `None` takes every value; `text` is matched, ignoring
/// letter case, against the name, address, organisation and city.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactQuery {
    pub status: Option<ContactStatus>,
    /// The city as the person typed it (any case) or the key of the city they represent.
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2, any case.
    pub country: Option<String>,
    pub text: Option<String>,
    /// Only the members' directory: contacts who opted in to be listed
    /// (`Registration::listed`), confirmed or approved (never the declined).
    pub directory: bool,
    pub order: Order,
}

impl ContactQuery {
    pub fn admits(&self, c: &Contact) -> bool {
        let d = &c.details;
        (!self.directory || (d.listed && c.status != ContactStatus::Declined))
            && self.status.is_none_or(|s| s == c.status)
            && self.city.as_deref().map(fold).is_none_or(|w| fold(&d.city) == w || c.city_key.as_deref() == Some(w.as_str()))
            && self.country.as_deref().is_none_or(|w| w.eq_ignore_ascii_case(&d.country))
            && self.text.as_deref().map(fold).is_none_or(|t| contact_search_text(c).contains(&t))
    }
}

/// What a text search of contacts looks in: lower-cased name, address, organisation and city.
pub fn contact_search_text(c: &Contact) -> String {
    let d = &c.details;
    fold(&format!("{} {} {} {}", d.name, d.email, d.organisation, d.city))
}

/// Which history lines: `None` takes every value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Part of the actor's name, any case.
    pub actor: Option<String>,
    /// The action, or its start (`claim.` takes every decision on claims).
    pub action: Option<String>,
    /// The record: an address key or a claim id, exactly.
    pub subject: Option<String>,
    /// Only lines at or after / before these instants.
    pub since: Option<jiff::Timestamp>,
    pub until: Option<jiff::Timestamp>,
    pub order: Order,
}

impl AuditQuery {
    pub fn admits(&self, e: &AuditEntry) -> bool {
        self.actor.as_deref().map(fold).is_none_or(|a| fold(&e.actor).contains(&a))
            && self.action.as_deref().is_none_or(|a| e.action.starts_with(a))
            && self.subject.as_deref().is_none_or(|s| s == e.subject)
            && self.since.is_none_or(|t| e.at >= t)
            && self.until.is_none_or(|t| e.at < t)
    }
}

impl AuditQuery {
    /// The ranks its lines can have, for a store to ask an index with: at or
    /// after the first, before the second. A line inside them may still be
    /// outside `since`/`until` by less than a microsecond (a rank's time is
    /// cut there): `admits` decides.
    pub fn rank_bounds(&self) -> (Option<String>, Option<String>) {
        // `$` sorts right after the `#` that ends a rank's time.
        (self.since.map(rank_time), self.until.map(|t| format!("{}$", rank_time(t))))
    }
}

/// Trimmed and lower-cased, to compare what someone typed with what is stored.
pub fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A claim's place in the lists: when it was confirmed (counted), then its id.
pub fn claim_rank(c: &Claim) -> String {
    format!("{}#{}", rank_time(c.confirmed_at.unwrap_or(c.created_at)), c.id)
}

/// A contact's place: when it was first confirmed, then its address key.
pub fn contact_rank(c: &Contact) -> String {
    format!("{}#{}", rank_time(c.created_at), c.details.email_key)
}

/// A history line's place: when, then what (lines of one instant in a fixed order).
pub fn audit_rank(e: &AuditEntry) -> String {
    format!("{}#{}#{}#{}", rank_time(e.at), e.action, e.subject, e.actor)
}

/// An instant as a text that sorts as time does: UTC, to the microsecond, fixed width.
pub fn rank_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Whether `cursor` can be a rank (an instant as `rank_time` writes it, then `#`):
/// what the stores take as a page's cursor before they ask anything with it.
pub fn is_cursor(cursor: &str) -> bool {
    cursor.get(..27).is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()) && cursor.as_bytes().get(27) == Some(&b'#')
}

/// Whether a record of rank `rank` comes after `cursor` in a list that runs in `order`.
pub fn after(cursor: Option<&str>, order: Order, rank: &str) -> bool {
    match (cursor, order) {
        (None, _) => true,
        (Some(c), Order::Oldest) => rank > c,
        (Some(c), Order::Newest) => rank < c,
    }
}

/// A page from the first records of a list after its cursor, in order, each
/// with its rank: at most `limit` of them, and the next cursor when there
/// were more (a store reads one more than a page to know).
pub fn page_from<T>(mut ranked: Vec<(String, T)>, limit: usize) -> ListPage<T> {
    let next = if ranked.len() > limit.max(1) {
        ranked.truncate(limit.max(1));
        ranked.last().map(|(r, _)| r.clone())
    } else {
        None
    };
    ListPage { items: ranked.into_iter().map(|(_, t)| t).collect(), next }
}

/// The page of `all` (in any order) that `admits` takes, ordered by `rank`, after `cursor`.
/// The stores that cannot ask better use it; its answer is what every store must answer.
pub fn page_of<T>(mut all: Vec<T>, admits: impl Fn(&T) -> bool, rank: impl Fn(&T) -> String, order: Order, cursor: Option<&str>, limit: usize) -> ListPage<T> {
    all.retain(|t| admits(t));
    let mut ranked: Vec<(String, T)> = all.into_iter().map(|t| (rank(&t), t)).collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    if order == Order::Newest {
        ranked.reverse();
    }
    page_from(ranked.into_iter().filter(|(r, _)| after(cursor, order, r)).take(limit.max(1) + 1).collect(), limit)
}

/// Which documents of the members' repository: `None` takes every value. Always newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedQuery {
    /// The event id of a meeting.
    pub meeting: Option<String>,
    /// The year of the document's date.
    pub year: Option<i16>,
}

impl SharedQuery {
    pub fn admits(&self, d: &crate::records::SharedDocument) -> bool {
        self.meeting.as_ref().is_none_or(|m| d.meeting.as_ref() == Some(m)) && self.year.is_none_or(|y| d.date.year() == y)
    }

    /// The ranks a page may hold, `[low, high)`: a year's dates, else all; below `cursor` when given.
    pub fn rank_range(&self, cursor: Option<&str>) -> (String, String) {
        let (low, high) = match self.year {
            Some(y) => (format!("{y:04}"), format!("{y:04}~")),
            None => ("0".to_string(), "~".to_string()),
        };
        let high = match cursor {
            Some(c) if c < high.as_str() => c.to_string(),
            _ => high,
        };
        (low, high)
    }
}
