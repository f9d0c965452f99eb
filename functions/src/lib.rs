//! The two form functions of the CCG site (join, travel claim): decoding,
//! validation, the travel rules applied to a claim, the stores (DynamoDB and
//! an embedded SQLite one), and the HTTP handler shared by the Lambda
//! binaries and the generator's local `serve`.
//!
//! Data flows one way: request -> `decode` -> `validate` -> `claims` -> `store` -> `http` response.

// The domain lives in its own crate, below this one; its modules keep their paths here.
pub use ccg_forms::{claims, decode, records, text, token, validate};

#[cfg(feature = "lambda")]
pub mod daily;
pub mod embedded;
pub mod export;
pub mod files;
pub mod form_view;
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod mail;
#[cfg(feature = "lambda")]
pub mod mail_events;
pub mod metrics;
pub mod passkey;
pub mod routes;
pub mod service;
pub mod store;

pub use crate::http::{App, Serves, Settings, handle};
pub use crate::service::{Form, Forms, Options};
#[cfg(feature = "dynamodb")]
pub use crate::store::dynamo::DynamoStore;
pub use crate::store::{Store, StoreError, sqlite::SqliteStore};
