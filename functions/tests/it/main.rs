//! The form functions' integration tests, in one binary: the crate and the
//! AWS SDK are linked once, and the modules' tests share one parallel pool.
//! Filter by module or case: `cargo test -p ccg-functions --test it contract::`,
//! `… --test it contract::dynamo::`, the desk binary: `… --test it desk_cli::`; the Lambda binaries as Lambdas (ignored
//! by default, run by the test command): `… --test it lambda_binaries:: -- --ignored`.

mod check;
mod common;

mod contract;
#[cfg(feature = "desk")]
mod desk_cli;
mod desk_pages;
mod documents;
#[cfg(feature = "dynamodb")]
mod dynamo_smoke;
mod fault;
mod handler;
mod invitations;
mod lambda_binaries;
mod lists;
mod members;
mod openapi;
mod passkey;
mod props;
#[cfg(feature = "dynamodb")]
mod s3_files;
mod serves;
#[cfg(feature = "ses")]
mod ses_raw;
mod shared_documents;
mod signin;
#[cfg(feature = "dynamodb")]
mod stored;
