//! One output page: the jobs a build renders (pages, their filtered calendar
//! views, events), the fingerprint of each one's inputs, and its rendering,
//! skipped when the previous build made it from the same inputs.

use super::state::Output;
use crate::deps::{Globals, Templates, hash_of};
use crate::load::{Content, Page};
use crate::markdown::{self, Link};
use crate::render::{self, object, to_value};
use crate::view::{self, EventView};
use crate::write::Writer;
use ccg_functions::form_view;
use ccg_model::event::{Event, Format, Kind};
use ccg_model::{ContentError, SiteConfig};
use jiff::Timestamp;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tera::{Context, Tera, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    Kind(Kind),
    Format(Format),
}

pub(crate) enum Job<'a> {
    Page { page: &'a Page, url: String, out: String, filter: Option<Filter> },
    Event { index: usize },
}

/// Everything the rendering threads share, read-only.
pub(crate) struct Shared<'a> {
    pub(crate) root: &'a Path,
    pub(crate) content: &'a Content,
    pub(crate) urls: HashSet<String>,
    /// `None` when templates or data did not load: links are still checked.
    pub(crate) tera: Option<Tera>,
    pub(crate) config: Option<SiteConfig>,
    pub(crate) base_url: String,
    pub(crate) views: Vec<EventView>,
    pub(crate) values: Vec<Value>,
    /// (event index, end instant)
    pub(crate) upcoming: Vec<(usize, Timestamp)>,
    pub(crate) past: Vec<(usize, Timestamp)>,
    /// The build's "now", which splits upcoming from past.
    pub(crate) now: Timestamp,
    pub(crate) calendar_url: Option<String>,
    /// Fingerprints of what pages are made from besides their own source (see `deps`).
    pub(crate) base_key: u64,
    pub(crate) config_key: u64,
    pub(crate) settings_key: u64,
    pub(crate) calendar_key: u64,
    /// Fingerprint of the set of addresses the links were checked against.
    pub(crate) urls_key: u64,
    pub(crate) templates: Templates,
    pub(crate) globals: Globals,
    /// The outputs of the previous build, and whether the addresses changed since.
    pub(crate) prev: &'a HashMap<String, Output>,
    pub(crate) recheck_links: bool,
    /// This build's outputs (kept or rendered), and those rendered.
    pub(crate) done: Mutex<Vec<(String, Output)>>,
    pub(crate) rendered: Mutex<Vec<String>>,
}

pub(crate) const CALENDAR_TEMPLATE: &str = "calendar.html";
pub(crate) const EVENT_TEMPLATE: &str = "event.html";

pub(crate) fn filter_path(f: Filter) -> String {
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

/// Whether an event that ends at `end` is still to come at `now`: the one rule
/// for the calendar's lists and each event page's own flag.
pub(crate) fn still_to_come(end: Timestamp, now: Timestamp) -> bool {
    end > now
}

/// The filters that list at least one of `events`: a filter that would list
/// nothing has no page, no place in the sitemap and no link in the menu.
pub(crate) fn filters(events: &[Event]) -> impl Iterator<Item = Filter> + '_ {
    Kind::ALL.into_iter().map(Filter::Kind).chain(Format::ALL.into_iter().map(Filter::Format)).filter(|&f| events.iter().any(|e| lists(f, e)))
}

/// Whether filter `f` lists event `e`.
fn lists(f: Filter, e: &Event) -> bool {
    match f {
        Filter::Kind(k) => e.kind == k,
        Filter::Format(x) => e.format == x,
    }
}

/// What a filter's page calls its axis, as the glossary says: the three
/// formats (networking, co-creation, advocacy), the attendance (in person, online, hybrid).
fn filter_noun(f: Filter) -> &'static str {
    match f {
        Filter::Kind(_) => "format",
        Filter::Format(_) => "attendance",
    }
}

pub(crate) fn out_of(url: &str) -> String {
    format!("{}index.html", url.trim_start_matches('/'))
}

fn check_links(links: &[Link], file: &Path, body: &str, body_line: usize, urls: &HashSet<String>, errors: &mut Vec<ContentError>) {
    for l in links {
        let path = l.href.split(['#', '?']).next().unwrap_or("");
        if path.is_empty() || urls.contains(path) {
            continue;
        }
        let hint = if !path.ends_with('/') && urls.contains(&format!("{path}/")) { format!(" (did you mean `{path}/`?)") } else { String::new() };
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

    /// Whether event `index` is still to come at this build's "now" (its page's own flag,
    /// so that an event page does not depend on the list of every upcoming event).
    fn is_upcoming(&self, index: usize) -> bool {
        still_to_come(self.content.events[index].when.end_instant(), self.now)
    }

    fn done(&self, out: String, output: Output) {
        self.done.lock().expect("not poisoned").push((out, output));
    }

    fn calendar_value(&self, base: &str, filter: Option<Filter>) -> Value {
        let events = &self.content.events;
        let keep = |i: usize| filter.is_none_or(|f| lists(f, &events[i]));
        let pick = |list: &[(usize, Timestamp)]| -> Vec<(usize, Timestamp)> { list.iter().copied().filter(|(i, _)| keep(*i)).collect() };
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
            object([("label", filter_label(f).into()), ("url", format!("{base}{}", filter_path(f)).into()), ("current", (filter == Some(f)).into())])
        };
        object([
            ("all_url", base.into()),
            ("all_current", filter.is_none().into()),
            ("filter_label", filter.map(filter_label).into()),
            ("filter_noun", filter.map(filter_noun).into()),
            ("kinds", filters(events).filter(|f| matches!(f, Filter::Kind(_))).map(link).collect::<Vec<_>>().into()),
            ("formats", filters(events).filter(|f| matches!(f, Filter::Format(_))).map(link).collect::<Vec<_>>().into()),
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
                if page.quotes {
                    self.settings_key.hash(&mut h);
                }
                (out.clone(), h.finish())
            }
            Job::Event { index } => {
                (self.content.event_hashes[*index], self.config_key, self.is_upcoming(*index)).hash(&mut h);
                self.templates.key(EVENT_TEMPLATE, &self.globals).hash(&mut h);
                (out_of(&self.views[*index].url), h.finish())
            }
        }
    }

    /// Fills the settings a page's body quotes (`{{ name }}`) into its HTML;
    /// a name that is not a setting is a mistake, reported at its place.
    fn quote_settings(&self, config: &SiteConfig, html: &mut String, (source, body, body_line): (&Path, &str, usize), errors: &mut Vec<ContentError>) {
        let settings = view::page_settings(config, self.content.rules.as_ref());
        for (at, name) in markdown::placeholders(body) {
            if !settings.iter().any(|(n, _)| *n == name) {
                let (line, column) = markdown::position(body, body_line, at);
                let known: Vec<String> = settings.iter().map(|(n, _)| format!("`{{{{ {n} }}}}`")).collect();
                errors.push(ContentError::new(
                    source,
                    line,
                    column,
                    format!("`{{{{ {name} }}}}` is not a setting a page can quote; these are: {}", known.join(", ")),
                ));
            }
        }
        markdown::fill(html, &settings);
    }

    /// Renders one job (markdown, links checked, then its template) and hands
    /// it to the writer, unless the previous build made it from identical inputs.
    pub(crate) fn render(&self, job: &Job, writer: &Writer, scratch: &mut Scratch, errors: &mut Vec<ContentError>) -> std::io::Result<()> {
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
            self.quote_settings(config, html, (source, body, body_line), errors);
        }
        let mut ctx = Context::new();
        let template = match job {
            Job::Page { page, url, filter, .. } => {
                let Some(meta) = page.meta.as_ref() else { return Ok(()) };
                let (title, description) = match filter {
                    Some(f) => (format!("{}: {}", meta.title, filter_label(*f)), format!("{} Showing: {}.", meta.description.trim_end(), filter_label(*f))),
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
                let description = view::event_description(e, v);
                ctx.insert_value("page", self.page_value(&e.title, &description, &v.url, e.draft, false));
                ctx.insert_value("event", self.values[*index].clone());
                // Whether the meeting is still to come: a past one offers no "add to calendar".
                ctx.insert_value("upcoming", self.is_upcoming(*index).into());
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
pub(crate) struct Scratch {
    html: String,
    buf: Vec<u8>,
    links: Vec<Link>,
}

/// Values every template can use; built once, shared by reference.
/// Every name given here is listed in `deps::GLOBALS`, and fingerprinted in `globals`.
pub(crate) fn global_context(tera: &mut Tera, s: &Shared, config: &SiteConfig, now: Timestamp, globals: &mut Globals) {
    fn put<T: serde::Serialize>(g: &mut Context, globals: &mut Globals, name: &'static str, v: &T) {
        globals.set(name, v);
        g.insert_value(name, to_value(v));
    }
    let c = s.content;
    let base = &s.base_url;
    let g = tera.global_context();
    let calendar_url = s.calendar_url.clone().unwrap_or_else(|| "/calendar/".into());
    let site = ccg_model::SiteView::new(config, base, &calendar_url);
    // Where the forms post: built by the functions' own table of addresses.
    put(g, globals, "actions", &ccg_functions::routes::Actions::new(&site.api_base));
    put(g, globals, "site", &site);
    let pages = c.pages.iter().filter_map(|p| Some((p.url.as_str(), p.meta.as_ref()?)));
    put(g, globals, "nav", &ccg_model::page::nav(pages));
    put(g, globals, "documents", &c.documents);
    let upcoming: Vec<Value> = s.upcoming.iter().map(|(i, _)| s.values[*i].clone()).collect();
    let views: Vec<&EventView> = s.upcoming.iter().map(|(i, _)| &s.views[*i]).collect();
    globals.set("home_events", &views[..views.len().min(3)]);
    g.insert_value("home_events", upcoming.iter().take(3).cloned().collect::<Vec<_>>().into());
    globals.set("upcoming_events", &views);
    g.insert_value("upcoming_events", upcoming.into());

    let (Some(rules), Some(dir)) = (&c.rules, &c.directory) else { return };
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    put(g, globals, "rules", &view::rules_view(rules));
    // What the secretariat needs to pay, as far as the group published it (templates/answers/payment.html, shared with the answers).
    put(g, globals, "payment", &rules.payment.published());
    put(g, globals, "projects", &dir.projects.iter().map(|p| view::project_view(p, rules, today)).collect::<Vec<_>>());
    // The forms, empty: the same templates answer a form sent with mistakes (see ccg_functions::form_view).
    put(g, globals, "join", &form_view::join_form(dir));
    put(g, globals, "claim", &form_view::claim_form(&c.events, rules, today, true));
    put(g, globals, "form", &form_view::FormState::empty());
}
