//! The CCG site generator: `content/` + `templates/` -> a static site, its
//! calendar and iCal feed. `build::build` is the whole pipeline; `serve` is
//! the local preview with the forms' back end mounted under /api/.

pub mod api;
pub mod build;
pub mod builder;
pub mod deps;
pub mod documents;
pub mod load;
pub mod markdown;
pub mod page_settings;
pub mod paths;
pub mod render;
pub mod serve;
pub mod view;
pub mod write;

pub use build::{BuildError, Options, Report, build};
pub use builder::Builder;
