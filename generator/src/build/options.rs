//! What a build is asked to do, what it reports, and how it fails.

use crate::write::WriteStats;
use ccg_model::{ContentErrors, SiteConfig};
use jiff::Timestamp;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Options {
    /// Folder holding content/ and templates/.
    pub root: PathBuf,
    pub out: PathBuf,
    /// Include draft pages and events (shown with a "Draft" label).
    pub drafts: bool,
    /// Splits upcoming from past events, picks the meetings open for claims
    /// (on its date, UTC) and dates the eligibility of cities.
    pub now: Timestamp,
    /// Replaces `base_url` of the config (the local preview, a publishing build).
    pub base_url: Option<String>,
    /// Replaces `contact.email` of the config (a publishing build).
    pub contact_email: Option<String>,
    /// `false`: validate and render everything, write nothing (`check`).
    pub write: bool,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub pages: usize,
    pub events: usize,
    pub stats: WriteStats,
    pub elapsed: Duration,
    pub config: SiteConfig,
    /// The main menu and the templates, for the pages the forms answer with.
    pub nav: Vec<ccg_model::page::NavItem>,
    pub templates: Vec<(String, String)>,
    /// Outputs rendered from their templates by this build (the others were
    /// kept from the previous one), sorted.
    pub rendered: Vec<String>,
    /// Source files read (not taken from memory) by this build's load.
    pub read: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Content(ContentErrors),
    #[error("cannot write the site: {0}")]
    Io(#[from] std::io::Error),
}
