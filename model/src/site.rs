//! Site-wide settings (`content/config.yaml`).

use crate::error::ContentError;
use crate::yaml;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    /// Public address of the site, without a trailing slash.
    pub base_url: String,
    pub language: String,
    /// Domain part of every iCal UID. Never change it once events are published:
    /// subscribers would see every event twice.
    pub uid_domain: String,
    /// Where the forms post: `{api_base}/register`, `{api_base}/travel-claims`.
    pub api_base: String,
    /// Official page of the CCG, for the roadmap and the secretariat's contact.
    pub official_url: String,
    pub calendar: CalendarConfig,
    pub forms: FormsConfig,
}

/// How the forms handle what people send; the privacy notice quotes these.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormsConfig {
    /// How long an emailed confirmation link works; an unconfirmed submission
    /// is deleted when it stops working.
    pub confirm_link_hours: u32,
    /// Where the secretariat hears of each confirmed registration and claim.
    #[serde(default)]
    pub secretariat_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    pub name: String,
    pub description: String,
    /// How often subscribers should refresh the feed.
    pub refresh_hours: u32,
}

impl SiteConfig {
    pub fn parse(file: &Path, text: &str) -> Result<SiteConfig, ContentError> {
        let c: SiteConfig = yaml::parse(file, text, 1)?;
        if !c.base_url.starts_with("http") || c.base_url.ends_with('/') {
            return Err(ContentError::new(file, yaml::key_line(text, 1, "base_url"), 1, "base_url must be an http(s) address without a trailing slash"));
        }
        Ok(c)
    }

    /// The site's origin (scheme://host[:port]), the only one the forms' CORS allows.
    pub fn origin(&self) -> &str {
        let after_scheme = self.base_url.find("://").map_or(0, |i| i + 3);
        match self.base_url[after_scheme..].find('/') {
            Some(i) => &self.base_url[..after_scheme + i],
            None => &self.base_url,
        }
    }
}
