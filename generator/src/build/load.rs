//! Phase 1, load: the sources (from the builder's memory when unchanged),
//! the compiled templates, and the config with the command line's overrides.

use super::options::Options;
use super::state::State;
use crate::deps::hash_of;
use crate::load::Content;
use crate::render;
use ccg_model::{ContentError, SiteConfig};
use tera::Tera;

pub(super) struct Loaded {
    pub content: Content,
    /// `None` when the templates do not compile.
    pub tera: Option<Tera>,
    /// Fingerprint of the templates' sources, to keep their compilation.
    pub templates_key: u64,
    /// With the command line's `base_url` and `contact.email`.
    pub config: Option<SiteConfig>,
}

/// Loads; every mistake goes to `errors`, and the build goes on to find the others.
pub(super) fn load(opts: &Options, state: &mut State, errors: &mut Vec<ContentError>) -> Loaded {
    let root = opts.root.as_path();
    let (content, found) = crate::load::load_cached(root, opts.drafts, &mut state.load);
    errors.extend(found);
    // Compiling is the same work for the same sources: keep the last good compilation.
    let templates_key = hash_of(&content.templates);
    let tera = match state.tera.take() {
        Some((k, t)) if k == templates_key => Some(t),
        _ => match render::compile(root, &content.templates) {
            Ok(t) => Some(t),
            Err(es) => {
                errors.extend(es);
                None
            }
        },
    };
    let config = content.config.clone().map(|mut c| {
        if let Some(b) = &opts.base_url {
            c.base_url = b.trim_end_matches('/').to_string();
        }
        if let Some(e) = &opts.contact_email {
            c.contact.email = e.clone();
        }
        c
    });
    Loaded { content, tera, templates_key, config }
}
