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

/// The site as every template sees it (`site.*`): the settings, and the
/// addresses worked out from them. The generator and the form functions
/// render their pages with the same one.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub base_url: String,
    pub language: String,
    pub api_base: String,
    pub confirm_link_hours: u32,
    /// "48 hours"
    pub confirm_link_for: String,
    pub official_url: String,
    pub calendar_name: String,
    pub calendar_description: String,
    pub feed_url: String,
    pub webcal_url: String,
    pub calendar_url: String,
}

impl SiteView {
    /// `base`: the address pages are built for; `calendar_url`: the calendar page's path.
    pub fn new(c: &SiteConfig, base: &str, calendar_url: &str) -> SiteView {
        let feed_url = format!("{base}/calendar.ics");
        let webcal_url = match feed_url.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => feed_url.clone(),
        };
        let hours = c.forms.confirm_link_hours;
        SiteView {
            title: c.title.clone(),
            description: c.description.clone(),
            base_url: base.to_string(),
            language: c.language.clone(),
            api_base: c.api_base.clone(),
            confirm_link_hours: hours,
            confirm_link_for: if hours == 1 { "1 hour".into() } else { format!("{hours} hours") },
            official_url: c.official_url.clone(),
            calendar_name: c.calendar.name.clone(),
            calendar_description: c.calendar.description.clone(),
            feed_url,
            webcal_url,
            calendar_url: calendar_url.to_string(),
        }
    }
}
