//! The group's meetings as iCalendar (RFC 5545): the site's subscription
//! feed and one-event files, and the calendar object an invitation email
//! carries (iMIP, RFC 6047), all from one VEVENT so a calendar app sees the
//! same UID and SEQUENCE whichever way an event reached it.

pub mod feed;
pub mod invite;
pub mod text;
pub mod wire;

pub use feed::{PRODID, feed, single, versioned};
pub use invite::{Method, invitation};
pub use wire::{escape_text, fold};
