//! load -> validate -> render -> write. Every error is collected before the
//! output is touched; pages are rendered in parallel and streamed to the
//! writer, lists and feeds come from the light event summaries. An output
//! whose inputs (`deps`) are those of the previous build is kept, not
//! rendered: from the builder's memory (`serve`) or from the output's manifest.

pub use crate::builder::Builder;
use crate::builder::{Output, State};
use crate::deps::{self, Globals, Templates, hash_of};
use crate::jobs::{CALENDAR_TEMPLATE, Job, Scratch, Shared, filter_path, filters, global_context, out_of};
use crate::load::{self, Page};
use crate::render::{self, to_value};
use crate::view::{self, EventView};
use crate::write::{WriteStats, Writer};
use ccg_model::event::Event;
use ccg_model::{ContentError, ContentErrors, SiteConfig};
use jiff::Timestamp;
use rayon::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tera::Value;

#[derive(Debug, Clone)]
pub struct Options {
    /// Folder holding content/ and templates/.
    pub root: PathBuf,
    pub out: PathBuf,
    /// Include draft pages and events (shown with a "Draft" label).
    pub drafts: bool,
    /// Splits upcoming from past events, picks the meetings open for claims
    /// (on its date, UTC) and dates the eligibility of cities.
    pub now: Timestamp,
    /// Replaces `base_url` of the config (the local preview, a publishing build).
    pub base_url: Option<String>,
    /// Replaces `contact.email` of the config (a publishing build).
    pub contact_email: Option<String>,
    /// `false`: validate and render everything, write nothing (`check`).
    pub write: bool,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub pages: usize,
    pub events: usize,
    pub stats: WriteStats,
    pub elapsed: Duration,
    pub config: SiteConfig,
    /// The main menu and the templates, for the pages the forms answer with.
    pub nav: Vec<ccg_model::page::NavItem>,
    pub templates: Vec<(String, String)>,
    /// Outputs rendered from their templates by this build (the others were
    /// kept from the previous one), sorted.
    pub rendered: Vec<String>,
    /// Source files read (not taken from memory) by this build's load.
    pub read: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Content(ContentErrors),
    #[error("cannot write the site: {0}")]
    Io(#[from] std::io::Error),
}

/// A published event whose time, place or status differs from its entry in
/// the previous build (`out/calendar/<id>.ics`) while its `sequence` did not
/// go up: subscribed calendars would ignore the change.
fn unversioned_change(out: &Path, e: &Event, ics: &str) -> Option<ContentError> {
    if e.draft {
        return None;
    }
    let old = std::fs::read_to_string(out.join("calendar").join(format!("{}.ics", e.id))).ok()?;
    let (before, seq) = crate::ical::versioned(&old);
    let (after, _) = crate::ical::versioned(ics);
    if before == after || e.sequence > seq {
        return None;
    }
    let changed: Vec<String> = after.iter().filter(|l| !before.contains(l)).map(|l| l.split([':', ';']).next().unwrap_or("").to_string()).collect();
    Some(ContentError::new(
        &e.source,
        e.sequence_line,
        1,
        format!(
            "{} changed since the last build, which calendars subscribed to the feed only take with a higher sequence: set `sequence: {}` and `updated:` to the time of the change",
            changed.join(", "),
            seq + 1
        ),
    ))
}

fn sitemap(base: &str, urls: &[&str]) -> String {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for u in urls {
        out.push_str("  <url><loc>");
        out.push_str(&esc(&format!("{base}{u}")));
        out.push_str("</loc></url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// Rendering threads also create files, and on a busy disk creating a file
/// means waiting: a few more threads than cores keep the cores busy meanwhile.
fn io_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = std::env::var("CCG_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(cores * 2);
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("threads can be started")
    })
}

/// Builds (or, with `write: false`, only checks) the site, once. `serve`
/// keeps a [`crate::builder::Builder`] instead, which remembers between builds.
pub fn build(opts: &Options) -> Result<Report, BuildError> {
    crate::builder::Builder::default().build(opts)
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
    let root = opts.root.as_path();
    let (content, mut errors) = load::load_cached(root, opts.drafts, &mut state.load);
    phase("loaded");
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
    let base_url = config.as_ref().map_or_else(String::new, |c| c.base_url.clone());

    // Every output, so links can be checked and clashes reported.
    let mut outputs: HashMap<String, PathBuf> = HashMap::new();
    let mut claim = |out: String, by: &Path, line: usize, errors: &mut Vec<ContentError>| {
        if let Some(first) = outputs.get(&out) {
            errors.push(ContentError::new(by, line, 1, format!("`{out}` is also produced by {}", first.display())));
            false
        } else {
            outputs.insert(out, by.to_path_buf());
            true
        }
    };
    let mut jobs: Vec<Job> = Vec::new();
    let mut calendar_url = None;
    for page in &content.pages {
        let page: &Page = page;
        if !claim(page.out.clone(), &page.source, 1, &mut errors) {
            continue;
        }
        if let (Some(meta), Some(t)) = (&page.meta, &tera) {
            if !t.get_template_names().any(|n| n == meta.template) {
                errors.push(ContentError::new(&page.source, page.template_line, 1, format!("template `{}` does not exist in templates/", meta.template)));
            }
            if meta.template == CALENDAR_TEMPLATE && calendar_url.is_none() {
                calendar_url = Some(page.url.clone());
                for f in filters() {
                    let url = format!("{}{}", page.url, filter_path(f));
                    if claim(out_of(&url), &page.source, 1, &mut errors) {
                        jobs.push(Job::Page { page, out: out_of(&url), url, filter: Some(f) });
                    }
                }
            }
        }
        jobs.push(Job::Page { page, url: page.url.clone(), out: page.out.clone(), filter: None });
    }
    let mut ids = HashSet::new();
    for (index, e) in content.events.iter().enumerate() {
        if !ids.insert(e.id.as_str()) {
            continue; // a duplicate id, already reported by the model
        }
        claim(format!("calendar/{}/index.html", e.id), &e.source, e.id_line, &mut errors);
        claim(format!("calendar/{}.ics", e.id), &e.source, e.id_line, &mut errors);
        jobs.push(Job::Event { index });
    }
    let generated = ["calendar.ics", "sitemap.xml", "robots.txt", "version.json"];
    for g in generated {
        claim(g.to_string(), Path::new("(generated)"), 1, &mut errors);
    }
    for (rel, abs) in &content.statics {
        claim(rel.clone(), abs, 1, &mut errors);
    }
    let mut urls: HashSet<String> = HashSet::with_capacity(outputs.len() * 2);
    for out in outputs.keys() {
        urls.insert(format!("/{out}"));
        if let Some(dir) = out.strip_suffix("index.html") {
            urls.insert(format!("/{dir}"));
        }
    }
    for id in &content.broken_event_ids {
        urls.insert(format!("/calendar/{id}/"));
        urls.insert(format!("/calendar/{id}.ics"));
    }
    urls.insert("/".into());

    let views: Vec<EventView> = content.events.iter().map(|e| view::event_view(e, &base_url)).collect();
    let values: Vec<Value> = views.iter().map(to_value).collect();
    type Ends = Vec<(usize, Timestamp)>;
    let (mut upcoming, mut past): (Ends, Ends) =
        content.events.iter().enumerate().map(|(i, e)| (i, e.when.end_instant())).partition(|(_, end)| *end > opts.now);
    upcoming.sort_by_key(|&(i, end)| (end, &content.events[i].id));
    past.sort_by_key(|&(i, end)| std::cmp::Reverse((end, &content.events[i].id)));

    // Of a set: the same whatever the order, without sorting thousands of addresses.
    let urls_key = urls.iter().fold(urls.len() as u64, |k, u| k.wrapping_add(hash_of(u)));
    let config_key = config.as_ref().map_or(0, |c| hash_of(format!("{c:?}")));
    let base_key = {
        let mut h = DefaultHasher::new();
        // A new generator binary may render differently: never reuse across versions.
        if let Ok(m) = std::env::current_exe().and_then(std::fs::metadata) {
            (m.len(), m.modified().ok()).hash(&mut h);
        }
        (&base_url, &opts.contact_email, opts.drafts).hash(&mut h);
        h.finish()
    };
    let settings_key = config.as_ref().map_or(0, |c| hash_of(view::page_settings(c, content.rules.as_ref())));
    // The lists show the events' summaries (their views), not their bodies.
    let calendar_key = {
        let mut h = DefaultHasher::new();
        deps::value_hash(&views).hash(&mut h);
        (&upcoming, &past, &calendar_url).hash(&mut h);
        h.finish()
    };
    let can_render = tera.is_some() && config.is_some() && content.rules.is_some() && content.directory.is_some();
    let prev = std::mem::take(&mut state.outputs);
    let mut shared = Shared {
        root,
        content: &content,
        urls,
        tera: None,
        config: config.clone(),
        base_url: base_url.clone(),
        views,
        values,
        upcoming,
        past,
        calendar_url,
        base_key,
        config_key,
        settings_key,
        calendar_key,
        urls_key,
        templates: Templates::new(&content.templates),
        globals: Globals::default(),
        prev: &prev,
        recheck_links: state.urls_key != Some(urls_key),
        done: Mutex::new(Vec::with_capacity(jobs.len())),
        rendered: Mutex::new(Vec::new()),
    };
    let mut compiled = None;
    match (tera, &config, can_render) {
        (Some(mut t), Some(cfg), true) => {
            let mut globals = Globals::default();
            global_context(&mut t, &shared, cfg, opts.now, &mut globals);
            shared.globals = globals;
            shared.tera = Some(t);
        }
        (t, _, _) => compiled = t,
    }

    phase("planned");
    let writer = Writer::new(&opts.out, opts.write && errors.is_empty())?;
    let found: Mutex<Vec<ContentError>> = Mutex::new(Vec::new());
    let io_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    io_pool().install(|| {
        jobs.par_iter().for_each_init(Scratch::default, |scratch, job| {
            let mut errs = Vec::new();
            if let Err(e) = shared.render(job, &writer, scratch, &mut errs) {
                io_error.lock().expect("not poisoned").get_or_insert(e);
            }
            if !errs.is_empty() {
                found.lock().expect("not poisoned").extend(errs);
            }
        })
    });
    errors.extend(found.into_inner().expect("not poisoned"));
    phase("rendered and staged");
    state.tera = shared.tera.take().or(compiled).map(|t| (templates_key, t));
    let mut outputs: Vec<(String, Output)> = std::mem::take(&mut *shared.done.lock().expect("not poisoned"));
    let mut rendered = std::mem::take(&mut *shared.rendered.lock().expect("not poisoned"));
    if let Some(e) = io_error.into_inner().expect("not poisoned") {
        writer.discard();
        state.outputs = prev;
        return Err(e.into());
    }

    // A generated file made from the same inputs as last time is kept as it is.
    let mut kept = |rel: &str, key: u64| -> bool {
        let same = (prev.get(rel).is_some_and(|p| p.key == key) && writer.keep(rel, key)) || writer.reuse(rel, key);
        outputs.push((rel.to_string(), Output { key, links: None }));
        same
    };
    let mut feeds: Vec<(String, u64, String)> = Vec::new();
    if let Some(cfg) = &shared.config {
        let events: Vec<&Event> = content.events.iter().collect();
        let key = hash_of((&content.event_hashes, config_key, &base_url));
        if !kept("calendar.ics", key) {
            feeds.push(("calendar.ics".into(), key, crate::ical::feed(cfg, &base_url, &events)));
        }
        let mut unversioned = Vec::new();
        for (e, hash) in events.iter().zip(&content.event_hashes) {
            let rel = format!("calendar/{}.ics", e.id);
            let key = hash_of((hash, config_key, &base_url));
            if kept(&rel, key) {
                continue;
            }
            let ics = crate::ical::single(cfg, &base_url, e);
            if let Some(err) = unversioned_change(&opts.out, e, &ics) {
                unversioned.push(err);
            }
            feeds.push((rel, key, ics));
        }
        if !unversioned.is_empty() {
            writer.discard();
            state.outputs = prev;
            return Err(BuildError::Content(ContentErrors(unversioned)));
        }
        for (rel, key, text) in &feeds {
            writer.put_keyed(rel, text.as_bytes(), Some(*key))?;
        }
        // Pages that only follow an action (a thank-you page) are kept out, like the 404 page.
        let mut pages: Vec<&str> = jobs
            .iter()
            .filter_map(|j| match j {
                Job::Page { page, .. } if page.meta.as_ref().is_some_and(|m| m.noindex) => None,
                Job::Page { url, .. } => Some(url.as_str()),
                Job::Event { index } => Some(shared.views[*index].url.as_str()),
            })
            .filter(|u| *u != "/404.html")
            .collect();
        pages.sort_unstable();
        writer.put("sitemap.xml", sitemap(&base_url, &pages).as_bytes())?;
        let robots = format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n");
        writer.put("robots.txt", robots.as_bytes())?;
        // What the deployed functions must also report (X-Content-Version); the
        // load's fingerprint covers the same files.
        let version = match state.version.take() {
            Some((k, v)) if k == content.fingerprint => Ok(v),
            _ => content_version(root),
        };
        match version {
            Ok(v) => {
                writer.put("version.json", format!("{{\"content\":\"{v}\"}}\n").as_bytes())?;
                state.version = Some((content.fingerprint, v));
            }
            Err(e) => errors.push(ContentError::new(Path::new(load::CONTENT), 1, 1, format!("cannot read for the content version: {e}"))),
        }
    }
    for (rel, abs) in &content.statics {
        match std::fs::read(abs) {
            Ok(bytes) => writer.put(rel, &bytes)?,
            Err(e) => errors.push(ContentError::new(abs, 1, 1, format!("cannot read: {e}"))),
        }
    }

    if !errors.is_empty() {
        writer.discard();
        // The output did not change: what the previous build made is still what is there.
        state.outputs = prev;
        // One template mistake shows on every page that uses it: report it once.
        let mut unique: BTreeMap<(PathBuf, usize, usize, String), ContentError> = BTreeMap::new();
        for e in errors {
            unique.entry((e.file.clone(), e.line, e.column, e.message.clone())).or_insert(e);
        }
        return Err(BuildError::Content(ContentErrors(unique.into_values().collect())));
    }
    phase("feeds and static files");
    let stats = io_pool().install(|| writer.commit())?;
    phase("committed");
    if opts.write {
        state.outputs = outputs.into_iter().collect();
        state.urls_key = Some(urls_key);
    } else {
        state.outputs = prev;
    }
    rendered.sort_unstable();
    Ok(Report {
        pages: jobs.len(),
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

/// The content version (`ccg_model::version`) of the files under `root/content`:
/// the same files the Lambda binaries embed, so the same version they report.
pub fn content_version(root: &Path) -> std::io::Result<String> {
    let content = root.join(load::CONTENT);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for rel in ["config.yaml", ccg_model::catalogue::PROJECTS_FILE, ccg_model::catalogue::RULES_FILE] {
        files.push((rel.to_string(), std::fs::read(content.join(rel))?));
    }
    for abs in load::files_under(&content.join(ccg_model::catalogue::EVENTS_DIR), Some("md")) {
        let rel = abs.strip_prefix(&content).unwrap_or(&abs).to_string_lossy().replace('\\', "/");
        files.push((rel, std::fs::read(&abs)?));
    }
    debug_assert!(files.iter().all(|(rel, _)| ccg_model::version::covers(rel)));
    Ok(ccg_model::content_version(files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))))
}
