//! Phase 2, plan: every output claimed by one source (a second claim is a
//! mistake), the jobs that render pages, the addresses links are checked
//! against, the events in calendar order, and the fingerprints (`deps`)
//! that say which outputs the previous build already made.

use super::jobs::{CALENDAR_TEMPLATE, Job, Shared, filter_path, filters, global_context, out_of};
use super::options::Options;
use super::state::Output;
use crate::deps::{self, Globals, Templates, hash_of};
use crate::load::{Content, Page};
use crate::render::to_value;
use crate::view::{self, EventView};
use ccg_model::{ContentError, SiteConfig};
use jiff::Timestamp;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tera::{Tera, Value};

/// The outputs that are not pages of the content.
pub(super) const GENERATED: [&str; 4] = ["calendar.ics", "sitemap.xml", "robots.txt", "version.json"];

pub(super) struct Planned<'a> {
    pub jobs: Vec<Job<'a>>,
    pub shared: Shared<'a>,
    /// The compiled templates when nothing can be rendered with them (the
    /// config or a data file did not load): kept for the next build.
    pub idle: Option<Tera>,
}

pub(super) fn plan<'a>(
    opts: &'a Options,
    content: &'a Content,
    tera: Option<Tera>,
    config: Option<SiteConfig>,
    prev: &'a HashMap<String, Output>,
    links_checked_with: Option<u64>,
    errors: &mut Vec<ContentError>,
) -> Planned<'a> {
    let base_url = config.as_ref().map_or_else(String::new, |c| c.base_url.clone());
    let Claimed { jobs, urls, calendar_url } = claim_outputs(content, tera.as_ref(), errors);
    let views: Vec<EventView> = content.events.iter().map(|e| view::event_view(e, &base_url)).collect();
    let values: Vec<Value> = views.iter().map(to_value).collect();
    let (upcoming, past) = split_by_end(content, opts.now);

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
    let mut shared = Shared {
        root: &opts.root,
        content,
        urls,
        tera: None,
        config,
        base_url,
        views,
        values,
        upcoming,
        past,
        now: opts.now,
        calendar_url,
        base_key,
        config_key,
        settings_key,
        calendar_key,
        urls_key,
        templates: Templates::new(&content.templates),
        globals: Globals::default(),
        prev,
        recheck_links: links_checked_with != Some(urls_key),
        done: Mutex::new(Vec::with_capacity(jobs.len())),
        rendered: Mutex::new(Vec::new()),
    };
    let mut idle = None;
    match (tera, can_render) {
        (Some(mut t), true) => {
            let mut globals = Globals::default();
            let config = shared.config.as_ref().expect("can_render means the config loaded");
            global_context(&mut t, &shared, config, opts.now, &mut globals);
            shared.globals = globals;
            shared.tera = Some(t);
        }
        (t, _) => idle = t,
    }
    Planned { jobs, shared, idle }
}

struct Claimed<'a> {
    jobs: Vec<Job<'a>>,
    /// Every address of the site, for the links.
    urls: HashSet<String>,
    /// The page with the calendar template (the first one), whose filtered views are outputs too.
    calendar_url: Option<String>,
}

/// Every output with the source that makes it, so links can be checked and clashes reported.
fn claim_outputs<'a>(content: &'a Content, tera: Option<&Tera>, errors: &mut Vec<ContentError>) -> Claimed<'a> {
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
        if !claim(page.out.clone(), &page.source, 1, errors) {
            continue;
        }
        if let (Some(meta), Some(t)) = (&page.meta, tera) {
            if !t.get_template_names().any(|n| n == meta.template) {
                errors.push(ContentError::new(&page.source, page.template_line, 1, format!("template `{}` does not exist in templates/", meta.template)));
            }
            if meta.template == CALENDAR_TEMPLATE && calendar_url.is_none() {
                calendar_url = Some(page.url.clone());
                for f in filters(&content.events) {
                    let url = format!("{}{}", page.url, filter_path(f));
                    if claim(out_of(&url), &page.source, 1, errors) {
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
        claim(format!("calendar/{}/index.html", e.id), &e.source, e.id_line, errors);
        claim(format!("calendar/{}.ics", e.id), &e.source, e.id_line, errors);
        jobs.push(Job::Event { index });
    }
    for g in GENERATED {
        claim(g.to_string(), Path::new("(generated)"), 1, errors);
    }
    for (rel, abs) in &content.statics {
        claim(rel.clone(), abs, 1, errors);
    }
    Claimed { jobs, urls: addresses(&outputs, &content.broken_event_ids), calendar_url }
}

/// The addresses of the outputs (a folder's `index.html` also by the folder's).
fn addresses(outputs: &HashMap<String, PathBuf>, broken_event_ids: &[String]) -> HashSet<String> {
    let mut urls: HashSet<String> = HashSet::with_capacity(outputs.len() * 2);
    for out in outputs.keys() {
        urls.insert(format!("/{out}"));
        if let Some(dir) = out.strip_suffix("index.html") {
            urls.insert(format!("/{dir}"));
        }
    }
    for id in broken_event_ids {
        urls.insert(format!("/calendar/{id}/"));
        urls.insert(format!("/calendar/{id}.ics"));
    }
    urls.insert("/".into());
    urls
}

type Ends = Vec<(usize, Timestamp)>;

/// (upcoming, soonest first; past, latest first), as (event index, end).
fn split_by_end(content: &Content, now: Timestamp) -> (Ends, Ends) {
    let (mut upcoming, mut past): (Ends, Ends) =
        content.events.iter().enumerate().map(|(i, e)| (i, e.when.end_instant())).partition(|(_, end)| super::jobs::still_to_come(*end, now));
    upcoming.sort_by_key(|&(i, end)| (end, &content.events[i].id));
    past.sort_by_key(|&(i, end)| std::cmp::Reverse((end, &content.events[i].id)));
    (upcoming, past)
}
