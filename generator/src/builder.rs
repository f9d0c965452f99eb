//! The build that remembers: `serve` keeps one [`Builder`] alive, so a rebuild
//! after one saved file re-reads only the files whose stamp changed
//! (`load::LoadCache`), reuses the compiled templates when they did not
//! change, and renders again only the outputs whose key (`deps`) changed.
//! Everything else is kept as the previous build wrote it; the result is
//! byte-identical to a fresh build (tests/it/incremental.rs checks it).

use crate::build::{self, BuildError, Options, Report, State};

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
