//! What a build remembers for the next one (a `Builder` keeps it between builds).

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
