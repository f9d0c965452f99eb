//! The flows of the two forms, free of HTTP and AWS: submit, send the link
//! again, show what a link would confirm, confirm. The Lambda functions,
//! `serve` (through `http`) and the secretariat's `desk` are thin edges over
//! this layer. Data flows one way: fields -> validate -> rules -> store -> mail.

pub mod confirm;
pub mod desk;
pub mod leave;
pub mod messages;
pub mod submit;

use crate::mail::Mailer;
use crate::store::{Store, StoreError};
use ccg_model::Catalogue;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Which form a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Register,
    TravelClaims,
}

impl Form {
    /// The path segment under the API base, and the name in logs and idempotency keys.
    pub fn name(self) -> &'static str {
        match self {
            Form::Register => "register",
            Form::TravelClaims => "travel-claims",
        }
    }
    /// The kind of pending record the form leaves.
    pub fn pending_kind(self) -> &'static str {
        match self {
            Form::Register => "registration",
            Form::TravelClaims => "claim",
        }
    }
    /// The page with the form, and the page a sent form leads to (site paths).
    pub fn form_page(self) -> &'static str {
        match self {
            Form::Register => "/join/",
            Form::TravelClaims => "/financial-support/",
        }
    }
    pub fn thanks_page(self) -> &'static str {
        match self {
            Form::Register => "/join/thanks/",
            Form::TravelClaims => "/financial-support/thanks/",
        }
    }
}

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
    /// The day claim windows are judged on, when not today (UTC): tests pin it.
    pub today: Option<jiff::civil::Date>,
    /// Hears of each confirmed registration and claim.
    pub secretariat_email: Option<String>,
    /// How long records are kept once they reach their end (`content/config.yaml`).
    pub retention: ccg_model::site::RetentionConfig,
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
            secretariat_email: None,
            retention: ccg_model::site::RetentionConfig::default(),
        }
    }
}

/// Everything a flow needs: the store, the mailer, the content, the options.
pub struct Forms<S> {
    pub store: S,
    pub mailer: Arc<dyn Mailer>,
    catalogue: RwLock<Arc<Catalogue>>,
    pub options: Options,
}

impl<S> Forms<S> {
    pub fn new(store: S, mailer: Arc<dyn Mailer>, catalogue: Catalogue, options: Options) -> Forms<S> {
        Forms { store, mailer, catalogue: RwLock::new(Arc::new(catalogue)), options }
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
        self.options.today.unwrap_or_else(today)
    }

    /// The address of a confirmation link.
    pub fn link(&self, form: Form, token: &str) -> String {
        format!("{}{}/{}/confirm?token={token}", self.options.public_url, self.options.api_base, form.name())
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

/// Now, as the records write it and as expiry counts it.
pub fn now() -> (jiff::Timestamp, i64) {
    let t = jiff::Timestamp::now();
    (t, t.as_second())
}

/// Today's date in UTC: the day the claim window is judged on.
pub fn today() -> jiff::civil::Date {
    jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date()
}
