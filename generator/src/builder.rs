//! The build that remembers: `serve` keeps one [`Builder`] alive, so a rebuild
//! after one saved file re-reads only the files whose stamp changed
//! (`load::LoadCache`), reuses the compiled templates when they did not
//! change, and renders again only the outputs whose key (`deps`) changed.
//! Everything else is kept as the previous build wrote it; the result is
//! byte-identical to a fresh build (tests/incremental.rs checks it).

use crate::build::{self, BuildError, Options, Report};
use crate::load::LoadCache;
use crate::markdown::Link;
use std::collections::HashMap;
use std::sync::Arc;
use tera::Tera;

/// What an output was made from last time.
#[derive(Debug, Clone)]
pub(crate) struct Output {
    /// Fingerprint of its inputs (`deps`), without the site's set of addresses.
    pub key: u64,
    /// The page's links, to check again when pages come or go without
    /// rendering it; `None` for files without links, or kept from disk.
    pub links: Option<Arc<[Link]>>,
}

/// What a builder remembers between builds.
#[derive(Default)]
pub(crate) struct State {
    pub load: LoadCache,
    /// The compiled templates and the fingerprint of their sources.
    pub tera: Option<(u64, Tera)>,
    /// Every output of the last successful build.
    pub outputs: HashMap<String, Output>,
    /// Fingerprint of the addresses the outputs' links were checked against.
    pub urls_key: Option<u64>,
    /// The content version, by the load's fingerprint of the files it covers.
    pub version: Option<(u64, String)>,
}

/// Builds the same site again and again, doing only the work its changes need.
/// A builder is for one output folder: nothing else should write there.
#[derive(Default)]
pub struct Builder {
    state: State,
    out: Option<std::path::PathBuf>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Builds like [`build::build`]; a different root or output folder than
    /// last time starts from nothing.
    pub fn build(&mut self, opts: &Options) -> Result<Report, BuildError> {
        if self.out.as_ref() != Some(&opts.out) {
            self.state = State::default();
            self.out = Some(opts.out.clone());
        }
        build::run(opts, &mut self.state)
    }
}
