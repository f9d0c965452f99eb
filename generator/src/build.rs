//! load -> validate -> render -> write. Every error is collected before the
//! output is touched; pages are rendered in parallel and streamed to the
//! writer, lists and feeds come from the light event summaries.

use ccg_functions::form_view;
pub use crate::builder::Builder;
use crate::builder::{Output, State};
use crate::deps::{self, Globals, Templates, hash_of};
use crate::load::{self, Content, Page};
use crate::markdown::{self, Link};
use crate::render::{self, object, to_value};
use crate::view::{self, EventView};
use crate::write::{WriteStats, Writer};
use ccg_model::event::{Event, Format, Kind};
use ccg_model::{ContentError, ContentErrors, SiteConfig};
use jiff::Timestamp;
use rayon::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tera::{Context, Tera, Value};

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
    /// Replaces `base_url` of the config (the local preview).
    pub base_url: Option<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    Kind(Kind),
    Format(Format),
}

enum Job<'a> {
    Page { page: &'a Page, url: String, out: String, filter: Option<Filter> },
    Event { index: usize },
}

/// Everything the rendering threads share, read-only.
struct Shared<'a> {
    root: &'a Path,
    content: &'a Content,
    urls: HashSet<String>,
    /// `None` when templates or data did not load: links are still checked.
    tera: Option<Tera>,
    config: Option<SiteConfig>,
    base_url: String,
    views: Vec<EventView>,
    values: Vec<Value>,
    /// (event index, end instant)
    upcoming: Vec<(usize, Timestamp)>,
    past: Vec<(usize, Timestamp)>,
    calendar_url: Option<String>,
    /// Fingerprints of what pages are made from besides their own source (see `deps`).
    base_key: u64,
    config_key: u64,
    settings_key: u64,
    calendar_key: u64,
    /// Fingerprint of the set of addresses the links were checked against.
    urls_key: u64,
    templates: Templates,
    globals: Globals,
    /// The outputs of the previous build, and whether the addresses changed since.
    prev: &'a HashMap<String, Output>,
    recheck_links: bool,
    /// This build's outputs (kept or rendered), and those rendered.
    done: Mutex<Vec<(String, Output)>>,
    rendered: Mutex<Vec<String>>,
}

const CALENDAR_TEMPLATE: &str = "calendar.html";
const EVENT_TEMPLATE: &str = "event.html";

fn filter_path(f: Filter) -> String {
    match f {
        Filter::Kind(k) => format!("kind/{}/", k.as_str()),
        Filter::Format(x) => format!("format/{}/", x.as_str()),
    }
}

fn filter_label(f: Filter) -> &'static str {
    match f {
        Filter::Kind(k) => k.label(),
        Filter::Format(x) => x.label(),
    }
}

fn filters() -> impl Iterator<Item = Filter> {
    Kind::ALL.into_iter().map(Filter::Kind).chain(Format::ALL.into_iter().map(Filter::Format))
}

fn out_of(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}

fn check_links(links: &[Link], file: &Path, body: &str, body_line: usize, urls: &HashSet<String>, errors: &mut Vec<ContentError>) {
    for l in links {
        let path = l.href.split(['#', '?']).next().unwrap_or("");
        if path.is_empty() || urls.contains(path) {
            continue;
        }
        let hint = if !path.ends_with('/') && urls.contains(&format!("{path}/")) {
            format!(" (did you mean `{path}/`?)")
        } else {
            String::new()
        };
        let (line, column) = markdown::position(body, body_line, l.offset);
        errors.push(ContentError::new(file, line, column, format!("link to `{}`, which is not a page of this site{hint}", l.href)));
    }
}

impl Shared<'_> {
    fn source_of<'j>(&'j self, job: &'j Job) -> (&'j Path, &'j str, usize) {
        match job {
            Job::Page { page, .. } => (&page.source, &page.body, page.body_line),
            Job::Event { index } => {
                let e = &self.content.events[*index];
                (&e.source, &e.body, e.body_line)
            }
        }
    }

    fn done(&self, out: String, output: Output) {
        self.done.lock().expect("not poisoned").push((out, output));
    }

    fn calendar_value(&self, base: &str, filter: Option<Filter>) -> Value {
        let events = &self.content.events;
        let keep = |i: usize| match filter {
            None => true,
            Some(Filter::Kind(k)) => events[i].kind == k,
            Some(Filter::Format(f)) => events[i].format == f,
        };
        let pick = |list: &[(usize, Timestamp)]| -> Vec<(usize, Timestamp)> {
            list.iter().copied().filter(|(i, _)| keep(*i)).collect()
        };
        let (up, past) = (pick(&self.upcoming), pick(&self.past));
        let groups = |g: Vec<view::Group>| -> Value {
            Value::from(
                g.into_iter()
                    .map(|g| {
                        let evs: Vec<Value> = g.events.iter().map(|&i| self.values[i].clone()).collect();
                        object([("key", g.key.into()), ("label", g.label.into()), ("events", evs.into())])
                    })
                    .collect::<Vec<Value>>(),
            )
        };
        let link = |f: Filter| {
            object([
                ("label", filter_label(f).into()),
                ("url", format!("{base}{}", filter_path(f)).into()),
                ("current", (filter == Some(f)).into()),
            ])
        };
        object([
            ("all_url", base.into()),
            ("all_current", filter.is_none().into()),
            ("filter_label", filter.map(filter_label).into()),
            ("kinds", Kind::ALL.into_iter().map(|k| link(Filter::Kind(k))).collect::<Vec<_>>().into()),
            ("formats", Format::ALL.into_iter().map(|f| link(Filter::Format(f))).collect::<Vec<_>>().into()),
            ("upcoming_count", up.len().into()),
            ("past_count", past.len().into()),
            ("upcoming", groups(view::group_by_month(&up, &self.views, true))),
            ("past", groups(view::group_by_month(&past, &self.views, false))),
        ])
    }

    fn page_value(&self, title: &str, description: &str, url: &str, draft: bool, noindex: bool) -> Value {
        object([
            ("title", title.into()),
            ("description", description.into()),
            ("url", url.into()),
            ("permalink", format!("{}{url}", self.base_url).into()),
            ("draft", draft.into()),
            ("noindex", noindex.into()),
        ])
    }

    /// Where a job's page goes, and the fingerprint of everything it is made from.
    fn target(&self, job: &Job) -> (String, u64) {
        let mut h = DefaultHasher::new();
        self.base_key.hash(&mut h);
        match job {
            Job::Page { page, out, url, filter } => {
                (page.hash, url, filter.map(filter_path)).hash(&mut h);
                if let Some(meta) = &page.meta {
                    self.templates.key(&meta.template, &self.globals).hash(&mut h);
                    if meta.template == CALENDAR_TEMPLATE {
                        self.calendar_key.hash(&mut h);
                    }
                }
                if page.body.contains("{{") {
                    self.settings_key.hash(&mut h);
                }
                (out.clone(), h.finish())
            }
            Job::Event { index } => {
                (self.content.event_hashes[*index], self.config_key).hash(&mut h);
                self.templates.key(EVENT_TEMPLATE, &self.globals).hash(&mut h);
                (out_of(&self.views[*index].url), h.finish())
            }
        }
    }

    /// Renders one job (markdown, links checked, then its template) and hands
    /// it to the writer, unless the previous build made it from identical inputs.
    fn render(&self, job: &Job, writer: &Writer, scratch: &mut Scratch, errors: &mut Vec<ContentError>) -> std::io::Result<()> {
        let (out, key) = self.target(job);
        // On disk the key also covers the addresses: without the page's links in
        // memory (a new process), a reused page must have been checked against the same ones.
        let disk_key = hash_of((key, self.urls_key));
        let checks_links = !matches!(job, Job::Page { filter: Some(_), .. });
        if self.tera.is_some() {
            if let Some(links) = self.prev.get(&out).filter(|p| p.key == key).and_then(|p| p.links.as_ref())
                && writer.keep(&out, disk_key)
            {
                if self.recheck_links && checks_links {
                    let (source, body, body_line) = self.source_of(job);
                    check_links(links, source, body, body_line, &self.urls, errors);
                }
                self.done(out, Output { key, links: Some(Arc::clone(links)) });
                return Ok(());
            }
            if writer.reuse(&out, disk_key) {
                self.done(out, Output { key, links: None });
                return Ok(());
            }
        }
        let Scratch { html, buf, links } = scratch;
        html.clear();
        buf.clear();
        links.clear();
        let (source, body, body_line) = self.source_of(job);
        markdown::render(body, html, links);
        if checks_links {
            check_links(links, source, body, body_line, &self.urls, errors);
        }
        let (Some(tera), Some(config)) = (self.tera.as_ref(), self.config.as_ref()) else { return Ok(()) };
        if body.contains("{{") {
            let settings = view::page_settings(config, self.content.rules.as_ref());
            for (at, name) in markdown::placeholders(body) {
                if !settings.iter().any(|(n, _)| *n == name) {
                    let (line, column) = markdown::position(body, body_line, at);
                    let known: Vec<String> = settings.iter().map(|(n, _)| format!("`{{{{ {n} }}}}`")).collect();
                    errors.push(ContentError::new(source, line, column, format!("`{{{{ {name} }}}}` is not a setting a page can quote; these are: {}", known.join(", "))));
                }
            }
            markdown::fill(html, &settings);
        }
        let mut ctx = Context::new();
        let template = match job {
            Job::Page { page, url, filter, .. } => {
                let Some(meta) = page.meta.as_ref() else { return Ok(()) };
                let (title, description) = match filter {
                    Some(f) => (
                        format!("{}: {}", meta.title, filter_label(*f)),
                        format!("{} Showing: {}.", meta.description.trim_end(), filter_label(*f)),
                    ),
                    None => (meta.title.clone(), meta.description.clone()),
                };
                ctx.insert_value("page", self.page_value(&title, &description, url, meta.draft, meta.noindex));
                ctx.insert_value("content", Value::safe_string(html));
                if meta.template == CALENDAR_TEMPLATE {
                    let base = self.calendar_url.as_deref().unwrap_or(url);
                    ctx.insert_value("calendar", self.calendar_value(base, *filter));
                    // The intro goes above the list, the rest (how to subscribe) below it.
                    let (intro, rest) = html.split_at(html.find("<h2").unwrap_or(html.len()));
                    ctx.insert_value("content_intro", Value::safe_string(intro));
                    ctx.insert_value("content_rest", Value::safe_string(rest));
                }
                meta.template.as_str()
            }
            Job::Event { index } => {
                let e = &self.content.events[*index];
                let v = &self.views[*index];
                let description = match &e.summary {
                    Some(s) if !s.trim().is_empty() => s.trim().to_string(),
                    _ => format!("{} ({}), {}: {}.", e.kind.label(), e.format.label(), v.start_text, v.place),
                };
                ctx.insert_value("page", self.page_value(&e.title, &description, &v.url, e.draft, false));
                ctx.insert_value("event", self.values[*index].clone());
                ctx.insert_value("content", Value::safe_string(html));
                ctx.insert_value("json_ld", Value::safe_string(&view::json_ld(e, v, config)));
                EVENT_TEMPLATE
            }
        };
        match tera.render_to(template, &ctx, &mut *buf) {
            Ok(()) => {
                writer.put_keyed(&out, buf, Some(disk_key))?;
                self.rendered.lock().expect("not poisoned").push(out.clone());
                self.done(out, Output { key, links: Some(Arc::from(links.as_slice())) });
                Ok(())
            }
            Err(e) => {
                errors.push(render::tera_error(self.root, &e, source));
                Ok(())
            }
        }
    }
}

/// Buffers each rendering thread reuses from page to page.
#[derive(Default)]
struct Scratch {
    html: String,
    buf: Vec<u8>,
    links: Vec<Link>,
}

/// Values every template can use; built once, shared by reference.
/// Every name given here is listed in `deps::GLOBALS`, and fingerprinted in `globals`.
fn global_context(tera: &mut Tera, s: &Shared, config: &SiteConfig, now: Timestamp, globals: &mut Globals) {
    fn put<T: serde::Serialize>(g: &mut Context, globals: &mut Globals, name: &'static str, v: &T) {
        globals.set(name, v);
        g.insert_value(name, to_value(v));
    }
    let c = s.content;
    let base = &s.base_url;
    let g = tera.global_context();
    let calendar_url = s.calendar_url.clone().unwrap_or_else(|| "/calendar/".into());
    put(g, globals, "site", &ccg_model::SiteView::new(config, base, &calendar_url));
    let pages = c.pages.iter().filter_map(|p| Some((p.url.as_str(), p.meta.as_ref()?)));
    put(g, globals, "nav", &ccg_model::page::nav(pages));
    let upcoming: Vec<Value> = s.upcoming.iter().map(|(i, _)| s.values[*i].clone()).collect();
    let views: Vec<&EventView> = s.upcoming.iter().map(|(i, _)| &s.views[*i]).collect();
    globals.set("home_events", &views[..views.len().min(3)]);
    g.insert_value("home_events", upcoming.iter().take(3).cloned().collect::<Vec<_>>().into());
    globals.set("upcoming_events", &views);
    g.insert_value("upcoming_events", upcoming.into());

    let (Some(rules), Some(dir)) = (&c.rules, &c.directory) else { return };
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    put(g, globals, "rules", &view::rules_view(rules));
    put(g, globals, "projects", &dir.projects.iter().map(|p| view::project_view(p, today)).collect::<Vec<_>>());
    // The forms, empty: the same templates answer a form sent with mistakes (see ccg_functions::form_view).
    put(g, globals, "join", &form_view::join_form(dir));
    put(g, globals, "claim", &form_view::claim_form(&c.events, rules, today, true));
    put(g, globals, "form", &form_view::FormState::empty());
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
    let (mut upcoming, mut past): (Ends, Ends) = content
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| (i, e.when.end_instant()))
        .partition(|(_, end)| *end > opts.now);
    upcoming.sort_by_key(|&(i, end)| (end, &content.events[i].id));
    past.sort_by_key(|&(i, end)| std::cmp::Reverse((end, &content.events[i].id)));

    let urls_key = {
        let mut sorted_urls: Vec<&String> = urls.iter().collect();
        sorted_urls.sort_unstable();
        hash_of(sorted_urls)
    };
    let config_key = config.as_ref().map_or(0, |c| hash_of(format!("{c:?}")));
    let base_key = {
        let mut h = DefaultHasher::new();
        // A new generator binary may render differently: never reuse across versions.
        if let Ok(m) = std::env::current_exe().and_then(std::fs::metadata) {
            (m.len(), m.modified().ok()).hash(&mut h);
        }
        (&base_url, opts.drafts).hash(&mut h);
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
