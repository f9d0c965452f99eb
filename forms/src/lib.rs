//! The forms' domain, below every other layer of the form functions: what a
//! submission is (`decode`, `text`), how it is checked (`validate`), the
//! records kept (`records`), tokens (`token`) and the decisions on them
//! (`claims`). No I/O, no HTTP, no store: the stores and services call in,
//! nothing here calls out.

pub mod claims;
pub mod decide;
pub mod decode;
pub mod records;
pub mod text;
pub mod token;
pub mod validate;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
