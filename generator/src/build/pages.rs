//! Phase 3, render pages: every job in parallel, each handed to the writer
//! as soon as it is rendered (see `jobs` for one page).

use super::jobs::{Job, Scratch, Shared};
use crate::write::Writer;
use ccg_model::ContentError;
use rayon::prelude::*;
use std::sync::Mutex;

/// Rendering threads also create files, and on a busy disk creating a file
/// means waiting: a few more threads than cores keep the cores busy meanwhile.
pub(super) fn io_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = std::env::var("CCG_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(cores * 2);
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("threads can be started")
    })
}

/// Renders the jobs; their mistakes go to `errors`. Stops at nothing but
/// returns the first error writing a file.
pub(super) fn render(jobs: &[Job], shared: &Shared, writer: &Writer, errors: &mut Vec<ContentError>) -> std::io::Result<()> {
    let found: Mutex<Vec<ContentError>> = Mutex::new(Vec::new());
    let io_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    io_pool().install(|| {
        jobs.par_iter().for_each_init(Scratch::default, |scratch, job| {
            let mut errs = Vec::new();
            if let Err(e) = shared.render(job, writer, scratch, &mut errs) {
                io_error.lock().expect("not poisoned").get_or_insert(e);
            }
            if !errs.is_empty() {
                found.lock().expect("not poisoned").extend(errs);
            }
        })
    });
    errors.extend(found.into_inner().expect("not poisoned"));
    match io_error.into_inner().expect("not poisoned") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
