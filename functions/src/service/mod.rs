//! The flows of the two forms, free of HTTP and AWS: submit, send the link
//! again, show what a link would confirm, confirm. The Lambda functions,
//! `serve` (through `http`) and the secretariat's `desk` are thin edges over
//! this layer. Data flows one way: fields -> validate -> rules -> store -> mail.

pub mod account;
pub mod confirm;
pub mod daily;
pub mod desk;
pub mod desk_read;
pub mod documents;
pub mod invitations;
pub mod invitations_read;
pub mod leave;
pub mod mail;
pub mod members;
pub mod messages;
pub mod passkeys;
pub mod shared_documents;
pub mod shared_uploads;
pub mod staff;
pub mod submit;

use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use ccg_forms::decide::MailLimits;
use ccg_model::Catalogue;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use crate::routes::Form;

#[derive(Debug, Clone)]
pub struct Options {
    /// Where people open pages and links: `https://host` (no trailing slash), or "" for site-relative.
    pub public_url: String,
    /// The forms' path on that host (`/api`).
    pub api_base: String,
    pub site_title: String,
    /// How long an emailed link works; an unconfirmed submission is deleted after that.
    pub link_hours: u32,
    /// Only the local preview accepts claims for draft events.
    pub accept_drafts: bool,
    /// A store call that takes longer is "unavailable".
    pub store_timeout: Duration,
    /// The day claim windows are judged on, when not the clock's day (UTC): tests pin it.
    pub today: Option<jiff::civil::Date>,
    /// Where the flows read the time.
    pub clock: Clock,
    /// Hears of each confirmed registration and claim.
    pub secretariat_email: Option<String>,
    /// How long records are kept once they reach their end (`content/config.yaml`).
    pub retention: ccg_model::site::RetentionConfig,
    /// How many emails the forms may send to one address (`forms.emails_per_address`).
    pub mail_limits: MailLimits,
    /// The shortest time a form's answer takes (`forms.answer_floor_ms`); zero: none.
    pub answer_floor: Duration,
    /// Links, sessions and passkeys (`sign_in` in config.yaml).
    pub sign_in: ccg_model::site::SignInConfig,
    /// Where sign-in links and passkeys live when not `public_url`: the
    /// preview's `http://localhost:PORT` (a passkey needs a host name, not an IP address).
    pub sign_in_url: Option<String>,
    /// The preview's relaxation: a staff session started by link may decide
    /// without a passkey. Never set in AWS.
    pub staff_link_may_decide: bool,
    /// The largest file of the members' repository (`members.documents.max_mb`).
    pub shared_max_bytes: u64,
    /// What the members' directory shows (`directory` in config.yaml).
    pub directory: ccg_model::site::DirectoryConfig,
    /// The site's settings, for invitations (their calendar object, `invitations:`); set by `for_site`.
    pub site: Option<Arc<ccg_model::SiteConfig>>,
}

impl Options {
    /// The options `content/config.yaml` sets; the edges add the rest.
    /// `CCG_ANSWER_FLOOR_MS` overrides the answer floor (the tests' servers set 0).
    pub fn for_site(site: &ccg_model::SiteConfig) -> Options {
        let floor_ms = std::env::var("CCG_ANSWER_FLOOR_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(site.forms.answer_floor_ms);
        Options {
            api_base: site.api_base.clone(),
            site_title: site.title.clone(),
            link_hours: site.forms.confirm_link_hours,
            secretariat_email: site.forms.secretariat_email.clone(),
            retention: site.retention,
            mail_limits: site.forms.emails_per_address,
            answer_floor: Duration::from_millis(floor_ms),
            sign_in: site.sign_in,
            shared_max_bytes: site.members.documents.max_bytes(),
            directory: site.directory.clone(),
            site: Some(Arc::new(site.clone())),
            ..Options::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            public_url: String::new(),
            api_base: "/api".into(),
            site_title: "City Coordinators Group".into(),
            link_hours: 48,
            accept_drafts: false,
            store_timeout: Duration::from_secs(3),
            today: None,
            clock: Clock::System,
            secretariat_email: None,
            retention: ccg_model::site::RetentionConfig::default(),
            mail_limits: MailLimits::default(),
            answer_floor: Duration::ZERO,
            sign_in: ccg_model::site::SignInConfig::default(),
            sign_in_url: None,
            staff_link_may_decide: false,
            shared_max_bytes: ccg_model::site::SharedDocumentsConfig::default().max_bytes(),
            directory: ccg_model::site::DirectoryConfig::default(),
            site: None,
        }
    }
}

/// Everything a flow needs: the store, the mailer, the content, the options.
pub struct Forms<S> {
    pub store: S,
    pub mailer: Arc<dyn Mailer>,
    /// Where supporting documents are kept; without one, claims take none.
    pub files: Option<Arc<dyn crate::files::FileStore>>,
    catalogue: RwLock<Arc<Catalogue>>,
    pub options: Options,
    /// What the flows refused, counted.
    pub metrics: Arc<Metrics>,
}

impl<S> Forms<S> {
    pub fn new(store: S, mailer: Arc<dyn Mailer>, catalogue: Catalogue, options: Options) -> Forms<S> {
        Forms { store, mailer, files: None, catalogue: RwLock::new(Arc::new(catalogue)), options, metrics: Arc::default() }
    }

    /// With a file store for the claims' supporting documents.
    pub fn with_files(self, files: Arc<dyn crate::files::FileStore>) -> Forms<S> {
        Forms { files: Some(files), ..self }
    }
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// Swaps the content (the preview rebuilt it); requests in flight keep the old one.
    pub fn set_catalogue(&self, c: Catalogue) {
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c);
    }

    /// The day claim windows are judged on.
    pub fn today(&self) -> jiff::civil::Date {
        self.options.today.unwrap_or_else(|| jiff::tz::TimeZone::UTC.to_datetime(self.options.clock.now()).date())
    }

    /// Now, as the records keep it and as expiry counts it (Unix seconds).
    pub fn now(&self) -> (jiff::Timestamp, i64) {
        let t = self.options.clock.now();
        (t, t.as_second())
    }

    /// The address of a confirmation link.
    pub fn link(&self, form: Form, token: &str) -> String {
        crate::routes::Route::Confirm(form).url(&self.options.public_url, &self.options.api_base, Some(token))
    }

    /// A page of the site, as an absolute address when the site has one.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.options.public_url)
    }
}

impl<S: Store> Forms<S> {
    /// Runs a store call within the time limit: a slow store is an unavailable one.
    pub async fn timed<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        let limit = self.options.store_timeout;
        match tokio::time::timeout(limit, f).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable(format!("the store did not answer within {} ms", limit.as_millis()))),
        }
    }
}

/// Where the flows read the time: the system's clock, or one instant (tests
/// that must not depend on the real date).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    Fixed(jiff::Timestamp),
}

impl Clock {
    pub fn now(self) -> jiff::Timestamp {
        match self {
            Clock::System => jiff::Timestamp::now(),
            Clock::Fixed(t) => t,
        }
    }
}
