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
    /// Who a person writes to with a question: shown in the footer, on the
    /// forms and their answers, and in the privacy notice.
    pub contact: ContactConfig,
    /// Who answers for the forms' personal data, and under which law: the privacy notice quotes it.
    pub privacy: PrivacyConfig,
    pub calendar: CalendarConfig,
    pub forms: FormsConfig,
    /// How long the forms' records are kept; the stores enforce it and the privacy notice quotes it.
    #[serde(default)]
    pub retention: RetentionConfig,
    /// The family of sites the header names above the title ("Smart Cities Marketplace").
    #[serde(default)]
    pub parent_site: Option<String>,
    /// An image shown in the header before the names; none when unset.
    #[serde(default)]
    pub logo: Option<LogoConfig>,
    /// Who publishes the site: the legal notice quotes it.
    #[serde(default)]
    pub legal: LegalConfig,
    /// The accessibility statement's facts.
    #[serde(default)]
    pub accessibility: AccessibilityConfig,
    /// How members and the secretariat sign in, and how long a session lasts.
    #[serde(default)]
    pub sign_in: SignInConfig,
    /// The members' area: the repository's limits.
    #[serde(default)]
    pub members: MembersConfig,
    /// What the members' directory (`/members/directory/`) shows of those who opted in.
    #[serde(default)]
    pub directory: DirectoryConfig,
    /// Invitations to meetings: who is invited, when, and how fast they go out.
    #[serde(default)]
    pub invitations: InvitationsConfig,
}

/// `members`: what the members' area takes. The service's own rules: the
/// desk's add form and the repository's page state them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersConfig {
    #[serde(default)]
    pub documents: SharedDocumentsConfig,
}

/// `members.documents`: the repository's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedDocumentsConfig {
    /// The largest file the secretariat may add, in megabytes (10^6 bytes).
    pub max_mb: u32,
}

impl Default for SharedDocumentsConfig {
    fn default() -> Self {
        SharedDocumentsConfig { max_mb: 20 }
    }
}

impl SharedDocumentsConfig {
    pub fn max_bytes(self) -> u64 {
        u64::from(self.max_mb) * 1_000_000
    }
}

/// `directory`: which of a listed member's details other members see. The
/// service's own rule: the directory and the privacy notice render it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    pub fields: Vec<DirectoryField>,
}

/// A detail the directory may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectoryField {
    Name,
    City,
    Country,
    Organisation,
    Position,
    Email,
}

impl DirectoryField {
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryField::Name => "name",
            DirectoryField::City => "city",
            DirectoryField::Country => "country",
            DirectoryField::Organisation => "organisation",
            DirectoryField::Position => "position",
            DirectoryField::Email => "email",
        }
    }

    /// How a page names it.
    pub fn label(self) -> &'static str {
        match self {
            DirectoryField::Name => "Name",
            DirectoryField::City => "City",
            DirectoryField::Country => "Country",
            DirectoryField::Organisation => "Organisation",
            DirectoryField::Position => "Position",
            DirectoryField::Email => "Email address",
        }
    }
}

impl Default for DirectoryConfig {
    /// Without a setting, the directory shows no email address.
    fn default() -> Self {
        DirectoryConfig {
            fields: vec![DirectoryField::Name, DirectoryField::City, DirectoryField::Country, DirectoryField::Organisation, DirectoryField::Position],
        }
    }
}

/// `invitations`: the service's own rules for inviting people to meetings;
/// the meeting's desk page and the invitation email state them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvitationsConfig {
    /// False: only approved representatives are invited; true: every confirmed contact too.
    pub to_confirmed_contacts: bool,
    /// True: the daily job sends a meeting's invitations on its `announced` date.
    pub send_on_announced: bool,
    /// How many emails one step sends (one press of the desk's button).
    pub batch: u32,
    /// How many emails a second (SES's sending rate).
    pub per_second: u32,
}

impl Default for InvitationsConfig {
    fn default() -> Self {
        InvitationsConfig { to_confirmed_contacts: false, send_on_announced: false, batch: 50, per_second: 10 }
    }
}

/// `sign_in`: the emailed link, the sessions of members and of the
/// secretariat (staff), and when a decision asks for the passkey again.
/// These are the service's own rules: the sign-in page says how it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInConfig {
    /// How long an emailed sign-in link works (it works once).
    pub link_minutes: u32,
    pub member: SessionLimitsConfig,
    pub staff: SessionLimitsConfig,
    /// A page that decides or pays asks for the passkey again when it was last used longer ago than this.
    pub decide_within_minutes: u32,
    /// Passkey sign-in attempts per account per clock hour.
    pub passkey_attempts_per_hour: u32,
}

/// How long a session lasts unused (idle) and at most (absolute), in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionLimitsConfig {
    pub idle_minutes: u32,
    pub absolute_minutes: u32,
}

impl Default for SignInConfig {
    fn default() -> Self {
        SignInConfig {
            link_minutes: 15,
            member: SessionLimitsConfig { idle_minutes: 14 * 24 * 60, absolute_minutes: 60 * 24 * 60 },
            staff: SessionLimitsConfig { idle_minutes: 30, absolute_minutes: 8 * 60 },
            decide_within_minutes: 10,
            passkey_attempts_per_hour: 10,
        }
    }
}

/// The legal notice's facts. Each one unset is left out of the notice:
/// nothing is said in the group's name that it has not published.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalConfig {
    /// Who publishes the site (an organisation's name).
    #[serde(default)]
    pub publisher: Option<String>,
    /// Its postal address, one line.
    #[serde(default)]
    pub publisher_address: Option<String>,
    /// On whose behalf the site is published, if not the publisher's own.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
    /// Who holds the copyright of the site's text, and the licence it is reused under.
    #[serde(default)]
    pub copyright_holder: Option<String>,
    #[serde(default)]
    pub licence: Option<String>,
    #[serde(default)]
    pub licence_url: Option<String>,
}

/// The accessibility statement's facts: how far the site meets the standard,
/// what is known not to, and when that was last judged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessibilityConfig {
    /// "fully", "partially" or "not": how the site complies with WCAG 2.1 AA; left out when unset.
    #[serde(default)]
    pub compliance: Option<String>,
    /// The day the statement was prepared (YYYY-MM-DD), and last reviewed.
    #[serde(default)]
    pub prepared: Option<String>,
    #[serde(default)]
    pub reviewed: Option<String>,
    /// Problems known and not yet fixed, one sentence each.
    #[serde(default)]
    pub known_problems: Vec<String>,
    /// How many working days a report of a problem waits at most for an answer; left out when unset.
    #[serde(default)]
    pub reply_days: Option<u32>,
}

/// One purpose of the processing with the legal basis it rests on (Article 5(1) of Regulation (EU) 2018/1725).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeConfig {
    pub purpose: String,
    /// "5(1)(a)"
    pub basis: String,
    /// The basis in words: "a task carried out in the public interest".
    pub basis_words: String,
}

/// The header's logo: a file the site itself serves (put it in
/// `templates/static/`), so no page asks another site for anything.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoConfig {
    /// A path on this site: `/logo.svg`.
    pub src: String,
    /// What the logo says, for people who do not see it.
    pub alt: String,
    /// Its size in CSS pixels, so the page does not move when it loads.
    pub width: u32,
    pub height: u32,
}

/// How long each kind of record is kept once it reaches its end. These are the
/// service's own rules (the privacy notice says so); an unconfirmed submission
/// lives as long as its link (`forms.confirm_link_hours`) and a contact until
/// they leave or are erased, so neither has a setting here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// A paid claim (with its history) is kept this many years after the payment date.
    pub paid_claim_years: u32,
    /// A rejected or withdrawn claim (with its history) is kept this many years after the decision.
    pub closed_claim_years: u32,
    /// A contact the secretariat declined is kept this many months after the decision.
    pub declined_contact_months: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { paid_claim_years: 5, closed_claim_years: 1, declined_contact_months: 6 }
    }
}

impl RetentionConfig {
    /// When a record that reached its end at `from` (Unix seconds) is deleted:
    /// the same instant `years`/`months` later on the calendar (UTC).
    pub fn after(from: i64, years: u32, months: u32) -> i64 {
        let Ok(t) = jiff::Timestamp::from_second(from) else { return from };
        let span = jiff::Span::new().years(i64::from(years)).months(i64::from(months));
        let utc = jiff::tz::TimeZone::UTC;
        utc.to_datetime(t).checked_add(span).ok().and_then(|dt| utc.to_timestamp(dt).ok()).map_or(from, |end| end.as_second())
    }
    /// A paid claim's end: `paid_on` (a day, midnight UTC) plus `paid_claim_years`.
    pub fn paid_claim_until(&self, paid_on: jiff::civil::Date) -> i64 {
        let start = jiff::tz::TimeZone::UTC.to_timestamp(paid_on.to_datetime(jiff::civil::Time::midnight())).map_or(0, |t| t.as_second());
        Self::after(start, self.paid_claim_years, 0)
    }
    /// A rejected or withdrawn claim's end, from the decision at `decided` (Unix seconds).
    pub fn closed_claim_until(&self, decided: i64) -> i64 {
        Self::after(decided, self.closed_claim_years, 0)
    }
    /// A declined contact's end, from the decision at `decided` (Unix seconds).
    pub fn declined_contact_until(&self, decided: i64) -> i64 {
        Self::after(decided, 0, self.declined_contact_months)
    }
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
    /// At most this many emails from the forms to any one address.
    #[serde(default)]
    pub emails_per_address: EmailsPerAddress,
    /// Answers to the forms leave no sooner than this after their request
    /// arrived (milliseconds), so how long one takes tells nothing of what
    /// the store knew about the sender.
    #[serde(default = "default_answer_floor_ms")]
    pub answer_floor_ms: u64,
}

fn default_answer_floor_ms() -> u64 {
    400
}

/// `forms.emails_per_address`: per clock hour and per day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailsPerAddress {
    pub per_hour: u32,
    pub per_day: u32,
}

impl Default for EmailsPerAddress {
    fn default() -> Self {
        EmailsPerAddress { per_hour: 5, per_day: 10 }
    }
}

/// The secretariat's public contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactConfig {
    /// "Scalable Cities Secretariat"
    pub name: String,
    pub email: String,
}

/// The privacy notice's facts, as settings so another deployment sets its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyConfig {
    /// The controller: who decides why and how the data is processed.
    pub controller: String,
    /// The data protection officer and how to reach them.
    pub dpo_name: String,
    pub dpo_email: String,
    /// The data protection law that applies, and where to read it.
    pub law: String,
    pub law_url: String,
    /// Where a person can complain.
    pub authority: String,
    pub authority_url: String,
    /// The controller's unit (a Directorate-General and unit); left out while not known.
    #[serde(default)]
    pub controller_unit: Option<String>,
    /// Who processes the data for the controller, and in what role: the secretariat as contractor.
    #[serde(default)]
    pub processor: Option<String>,
    #[serde(default)]
    pub processor_role: Option<String>,
    /// Who hosts the data for the processor, and the region where it is kept.
    #[serde(default)]
    pub hosting: Option<String>,
    #[serde(default)]
    pub hosting_region: Option<String>,
    /// Whether the details leave the EU, in a sentence.
    #[serde(default)]
    pub transfers: Option<String>,
    /// Each purpose with its legal basis.
    #[serde(default)]
    pub purposes: Vec<PurposeConfig>,
    /// The day the notice last changed (YYYY-MM-DD).
    #[serde(default)]
    pub updated: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    pub name: String,
    pub description: String,
    /// How often subscribers should refresh the feed.
    pub refresh_hours: u32,
}

#[cfg(test)]
mod tests {
    use super::RetentionConfig;

    #[test]
    fn retention_ends_on_the_calendar() {
        let r = RetentionConfig::default();
        // 2 April 2027 00:00 UTC + 5 years = 2 April 2032 00:00 UTC.
        assert_eq!(r.paid_claim_until(jiff::civil::date(2027, 4, 2)), 1_964_476_800);
        // 2026-12-02T06:00:00Z + 1 year; + 6 months.
        assert_eq!(r.closed_claim_until(1_796_191_200), 1_827_727_200);
        assert_eq!(r.declined_contact_until(1_796_191_200), 1_811_916_000);
    }

    #[test]
    fn a_logo_is_served_by_the_site_itself() {
        let base = include_str!("../../tests/fixture-site/content/config.yaml");
        let with = |logo: &str| super::SiteConfig::parse(std::path::Path::new("config.yaml"), &format!("{base}{logo}"));
        let ok = with("logo:\n  src: /logo.svg\n  alt: Our city network\n  width: 120\n  height: 40\n").unwrap();
        assert_eq!(ok.logo.unwrap().src, "/logo.svg");
        for bad in ["https://example.org/logo.svg", "//example.org/logo.svg"] {
            let err = with(&format!("logo:\n  src: {bad}\n  alt: Logo\n  width: 1\n  height: 1\n")).unwrap_err().to_string();
            assert!(err.contains("config.yaml") && err.contains("logo"), "{err}");
        }
        assert!(with("logo:\n  src: /logo.svg\n  alt: \" \"\n  width: 1\n  height: 1\n").is_err());
    }

    #[test]
    fn the_directory_shows_what_the_setting_names_and_no_address_unless_named() {
        use super::DirectoryField::*;
        let base = include_str!("../../tests/fixture-site/content/config.yaml");
        let with = |d: &str| super::SiteConfig::parse(std::path::Path::new("config.yaml"), &format!("{base}{d}"));
        assert_eq!(with("").unwrap().directory.fields, [Name, City, Country, Organisation, Position]);
        assert_eq!(with("directory:\n  fields: [name, email]\n").unwrap().directory.fields, [Name, Email]);
        let err = with("directory:\n  fields: [name, phone]\n").unwrap_err().to_string();
        assert!(err.contains("config.yaml") && err.contains("phone"), "{err}");
    }
}

impl SiteConfig {
    pub fn parse(file: &Path, text: &str) -> Result<SiteConfig, ContentError> {
        let c: SiteConfig = yaml::parse(file, text, 1)?;
        if !c.base_url.starts_with("http") || c.base_url.ends_with('/') {
            return Err(ContentError::new(file, yaml::key_line(text, 1, "base_url"), 1, "base_url must be an http(s) address without a trailing slash"));
        }
        if let Some(logo) = &c.logo
            && (!logo.src.starts_with('/') || logo.src.starts_with("//") || logo.alt.trim().is_empty())
        {
            return Err(ContentError::new(
                file,
                yaml::key_line(text, 1, "logo"),
                1,
                "logo: src must be a path on this site (/logo.svg) and alt must say what it shows",
            ));
        }
        if let Some(level) = &c.accessibility.compliance
            && !["fully", "partially", "not"].contains(&level.as_str())
        {
            return Err(ContentError::new(file, yaml::key_line(text, 1, "accessibility"), 1, "accessibility.compliance must be fully, partially or not"));
        }
        if c.invitations.batch == 0 || c.invitations.per_second == 0 {
            return Err(ContentError::new(file, yaml::key_line(text, 1, "invitations"), 1, "invitations.batch and invitations.per_second must be above 0"));
        }
        let days = [
            ("privacy", "updated", &c.privacy.updated),
            ("accessibility", "prepared", &c.accessibility.prepared),
            ("accessibility", "reviewed", &c.accessibility.reviewed),
        ];
        for (section, key, day) in days {
            if let Some(d) = day
                && d.parse::<jiff::civil::Date>().is_err()
            {
                return Err(ContentError::new(file, yaml::key_line(text, 1, section), 1, format!("{section}.{key}: `{d}` is not a day written YYYY-MM-DD")));
            }
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
    pub contact_name: String,
    pub contact_email: String,
    pub calendar_name: String,
    pub calendar_description: String,
    pub feed_url: String,
    pub webcal_url: String,
    pub calendar_url: String,
    pub parent_site: Option<String>,
    pub logo: Option<LogoConfig>,
    /// The legal pages' settings, as set (the templates leave out what is unset).
    pub legal: LegalConfig,
    pub accessibility: AccessibilityConfig,
    pub privacy: PrivacyConfig,
    /// The settings' days in words ("2 December 2026"), for the legal pages.
    pub privacy_updated: Option<String>,
    pub accessibility_prepared: Option<String>,
    pub accessibility_reviewed: Option<String>,
}

/// A `YYYY-MM-DD` setting in words: "2 December 2026".
fn day_words(day: Option<&String>) -> Option<String> {
    day.and_then(|d| d.parse::<jiff::civil::Date>().ok()).map(|d| d.strftime("%-d %B %Y").to_string())
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
            contact_name: c.contact.name.clone(),
            contact_email: c.contact.email.clone(),
            calendar_name: c.calendar.name.clone(),
            calendar_description: c.calendar.description.clone(),
            feed_url,
            webcal_url,
            calendar_url: calendar_url.to_string(),
            parent_site: c.parent_site.clone(),
            logo: c.logo.clone(),
            legal: c.legal.clone(),
            accessibility: c.accessibility.clone(),
            privacy: c.privacy.clone(),
            privacy_updated: day_words(c.privacy.updated.as_ref()),
            accessibility_prepared: day_words(c.accessibility.prepared.as_ref()),
            accessibility_reviewed: day_words(c.accessibility.reviewed.as_ref()),
        }
    }
}

/// Names reserved for examples and tests (RFC 2606, RFC 6761): `example`,
/// `example.com`/`.net`/`.org` and their subdomains, and anything under the
/// `.example`, `.test`, `.invalid` and `.localhost` top-level domains. A
/// public address there sends every visitor, calendar app and email to nowhere.
pub fn is_example_domain(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let tld = host.rsplit('.').next().unwrap_or("");
    if matches!(tld, "example" | "test" | "invalid" | "localhost") {
        return true;
    }
    ["example.com", "example.net", "example.org"].iter().any(|d| host == *d || host.strip_suffix(d).is_some_and(|sub| sub.ends_with('.')))
}

/// The host of an absolute URL (`https://user@host:8080/path` -> `host`).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host.split(':').next().unwrap_or("")
}
