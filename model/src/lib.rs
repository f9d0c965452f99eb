//! The CCG content model: what both the site generator and the form functions
//! read from `content/`. One source of truth for events, SCC cities and the
//! travel-support rules; no template engine, no markdown, no I/O beyond what a
//! caller hands in, so the Lambda binaries stay small.

pub mod catalogue;
pub mod cities;
pub mod countries;
pub mod document;
pub mod error;
pub mod event;
pub mod files;
pub mod front_matter;
pub mod money;
pub mod page;
pub mod payment;
pub mod rules;
pub mod site;
pub mod version;
pub mod words;
pub mod yaml;

pub use catalogue::{Catalogue, Sources};
pub use cities::{City, CityMatch, Directory, Project, Role, YearMonth, normalize_name};
pub use error::{ContentError, ContentErrors};
pub use event::{Event, Format, Kind, Location, PartOf, Status, When};
pub use money::Cents;
pub use payment::Payment;
pub use rules::{DocumentLimits, Refusal, TravelRules};
pub use site::{SiteConfig, SiteView};
pub use version::content_version;
