//! The generator's integration tests, in one binary (one link, one parallel
//! pool). Filter by module: `cargo test -p generator --test it incremental::`.

mod common;

mod build;
mod cli;
mod content_version;
mod incremental;
mod pages;
mod public_face;
mod serve;
