//! One build, as a short list of phases: load (sources, templates, config),
//! plan (every output claimed once, the jobs, the fingerprints), render
//! pages (in parallel, streamed to the writer), lists and feeds (from the
//! light event summaries), write (all or nothing). Every mistake is
//! collected before the output is touched. An output whose inputs (`deps`)
//! are those of the previous build is kept, not rendered: from the
//! builder's memory (`serve`) or from the output's manifest.

mod commit;
mod feeds;
mod jobs;
mod load;
mod options;
mod pages;
mod plan;
mod state;

pub use feeds::content_version;
pub use options::{BuildError, Options, Report};
pub(crate) use state::State;

use crate::write::Writer;
use load::Loaded;
use plan::Planned;
use std::time::Instant;

/// Builds (or, with `write: false`, only checks) the site, once. `serve`
/// keeps a `Builder` instead (`crate::Builder`), which remembers between builds.
pub fn build(opts: &Options) -> Result<Report, BuildError> {
    run(opts, &mut State::default())
}

/// One build with what `state` remembers from the previous ones; `state`
/// learns this build's outputs only when it succeeds.
pub(crate) fn run(opts: &Options, state: &mut State) -> Result<Report, BuildError> {
    let started = Instant::now();
    // CCG_TIMING=1 prints how long each phase took (for the benchmark).
    let timing = std::env::var_os("CCG_TIMING").is_some();
    let phase = |name: &str| {
        if timing {
            eprintln!("{:>8.1} ms  {name}", started.elapsed().as_secs_f64() * 1000.0);
        }
    };
    let mut errors = Vec::new();
    let Loaded { content, tera, templates_key, config } = load::load(opts, state, &mut errors);
    phase("loaded");
    let prev = std::mem::take(&mut state.outputs);
    let Planned { jobs, mut shared, idle } = plan::plan(opts, &content, tera, config, &prev, state.urls_key, &mut errors);
    phase("planned");
    let writer = Writer::new(&opts.out, opts.write && errors.is_empty())?;
    let rendered = pages::render(&jobs, &shared, &writer, &mut errors);
    phase("rendered and staged");
    state.tera = shared.tera.take().or(idle).map(|t| (templates_key, t));
    let mut outputs = std::mem::take(shared.done.get_mut().expect("not poisoned"));
    let written = rendered
        .map_err(BuildError::from)
        .and_then(|()| feeds::write(opts, &jobs, &shared, &writer, &mut outputs, &mut state.version, &mut errors))
        .and_then(|()| commit::statics(&content, &writer, &mut errors));
    if written.is_err() || !errors.is_empty() {
        writer.discard();
        // The output did not change: what the previous build made is still what is there.
        state.outputs = prev;
        return Err(written.err().unwrap_or_else(|| commit::failed(errors)));
    }
    phase("feeds and static files");
    let stats = pages::io_pool().install(|| writer.commit())?;
    phase("committed");
    let mut rendered = std::mem::take(shared.rendered.get_mut().expect("not poisoned"));
    rendered.sort_unstable();
    let (config, urls_key, pages) = (shared.config.take(), shared.urls_key, jobs.len());
    if opts.write {
        state.outputs = outputs.into_iter().collect();
        state.urls_key = Some(urls_key);
    } else {
        state.outputs = prev;
    }
    Ok(Report {
        pages,
        events: content.events.len(),
        stats,
        elapsed: started.elapsed(),
        config: config.expect("no errors means the config loaded"),
        nav: ccg_model::page::nav(content.pages.iter().filter_map(|p| Some((p.url.as_str(), p.meta.as_ref()?)))),
        templates: content.templates.clone(),
        rendered,
        read: state.load.reads,
    })
}
