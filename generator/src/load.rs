//! Reads `content/` and `templates/`: splits front matter and parses it into
//! typed values. Every mistake is collected with its file and line; nothing
//! stops at the first one.

use crate::paths::{CONTENT, STATIC, TEMPLATES, shown};
use ccg_model::event::{self, Event};
use ccg_model::files::{content_files, content_files_with_meta};
use ccg_model::{ContentError, Directory, SiteConfig, TravelRules, front_matter, yaml};
use rayon::prelude::*;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use ccg_model::page::{PageMeta, page_url};

#[derive(Debug)]
pub struct Page {
    /// Path shown in messages (relative to the site root when possible).
    pub source: PathBuf,
    pub url: String,
    /// Output file, relative to the output folder.
    pub out: String,
    /// `None` when the front matter has errors (already reported); the body
    /// is still checked for broken links.
    pub meta: Option<PageMeta>,
    /// Line of `template:` in the file, for an unknown template.
    pub template_line: usize,
    pub body: String,
    pub body_line: usize,
    /// Fingerprint of the file (path and text): with the site-wide one, says whether the page changed.
    pub hash: u64,
    /// The body quotes settings (`{{ name }}`): it depends on them too.
    pub quotes: bool,
}

impl Page {
    pub fn is_draft(&self) -> bool {
        self.meta.as_ref().is_some_and(|m| m.draft)
    }
}

/// Everything read from the site root.
#[derive(Debug, Default)]
pub struct Content {
    pub config: Option<SiteConfig>,
    /// Every page that is part of this build (drafts only when asked), sorted by source.
    /// Shared with the [`LoadCache`], which keeps the pages of unchanged files.
    pub pages: Vec<Arc<Page>>,
    /// Events of this build, sorted by start.
    pub events: Vec<Event>,
    /// Fingerprint of each event's file (path and text), in the order of `events`.
    pub event_hashes: Vec<u64>,
    /// Ids of event files that could not be parsed: their pages count as
    /// existing so one mistake is not also reported as broken links elsewhere.
    pub broken_event_ids: Vec<String>,
    pub directory: Option<Directory>,
    pub rules: Option<TravelRules>,
    /// (name relative to templates/, source)
    pub templates: Vec<(String, String)>,
    /// (path relative to the output, absolute source path)
    pub statics: Vec<(String, PathBuf)>,
    /// `content/documents/`, newest first (see `documents`).
    pub documents: Vec<ccg_model::document::Document>,
    /// Fingerprint of the config, the data files and every event file.
    pub fingerprint: u64,
}

fn hash_of(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

fn read(root: &Path, rel: &Path, errors: &mut Vec<ContentError>) -> Option<String> {
    match std::fs::read_to_string(root.join(rel)) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(ContentError::new(shown(root, rel), 1, 1, format!("cannot read: {e}")));
            None
        }
    }
}

fn load_page(root: &Path, rel: &Path, pages_dir: &Path, text: &str) -> (Option<Page>, Vec<ContentError>) {
    let file = shown(root, rel);
    let mut errors = Vec::new();
    let (url, out) = match page_url(rel.strip_prefix(pages_dir).unwrap_or(rel)) {
        Ok(u) => u,
        Err(msg) => return (None, vec![ContentError::new(&file, 1, 1, msg)]),
    };
    let doc = match front_matter::split(&file, text) {
        Ok(d) => d,
        Err(e) => {
            errors.push(e);
            let hash = hash_of((&file, text));
            return (
                Some(Page { source: file, url, out, meta: None, template_line: 1, body: text.to_string(), body_line: 1, hash, quotes: text.contains("{{") }),
                errors,
            );
        }
    };
    let meta: Option<PageMeta> = match yaml::parse(&file, doc.yaml, doc.yaml_line) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let line = |k| yaml::key_line(doc.yaml, doc.yaml_line, k);
    if let Some(m) = &meta {
        if m.title.trim().is_empty() {
            errors.push(ContentError::new(&file, line("title"), 1, "title is empty"));
        }
        if m.description.trim().is_empty() {
            errors.push(ContentError::new(&file, line("description"), 1, "description is empty: one sentence for search engines and link previews"));
        }
    }
    let meta = if errors.is_empty() { meta } else { None };
    let hash = hash_of((&file, text));
    let page = Page {
        source: file,
        url,
        out,
        meta,
        template_line: line("template"),
        body: doc.body.to_string(),
        body_line: doc.body_line,
        hash,
        quotes: doc.body.contains("{{"),
    };
    (Some(page), errors)
}

/// (length, modification time in ns) of a source file.
type Stamp = (u64, u128);

/// A source file as parsed last time, and how it was recognised.
#[derive(Clone)]
struct Cached<T> {
    stamp: Stamp,
    text: u64,
    /// Modified too close to the scan that read it: a later edit within the
    /// file system's time granularity could keep the same stamp, so the file
    /// is read again (and compared by its text) until it is older.
    racy: bool,
    value: T,
}

/// A parsed event file: the event or its errors, the id of a broken one, the file's fingerprint.
type ParsedEvent = (Result<Event, Vec<ContentError>>, Option<String>, u64);
type LoadedPage = (Option<Arc<Page>>, Vec<ContentError>);

/// Pages and events parsed by earlier loads, by absolute path: a file whose
/// length and modification time did not change is not read again (`serve`).
#[derive(Default)]
pub struct LoadCache {
    root: PathBuf,
    pages: HashMap<PathBuf, Cached<LoadedPage>>,
    events: HashMap<PathBuf, Cached<ParsedEvent>>,
    /// Files read (not taken from the cache) by the last load.
    pub reads: usize,
}

/// How much older than the scan a file must be for its stamp to be trusted.
const RACY: Duration = Duration::from_secs(2);

fn stamp_of(m: &std::fs::Metadata) -> (Stamp, Option<SystemTime>) {
    let t = m.modified().ok();
    let ns = t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    ((m.len(), ns), t)
}

/// The cached entry of `abs` when the file is unchanged, else one made by
/// `parse` of its text (or by `parse_err` when it cannot be read), and
/// whether the file was read.
fn cached<T: Clone>(
    old: &HashMap<PathBuf, Cached<T>>,
    abs: &Path,
    meta: &std::fs::Metadata,
    scan: SystemTime,
    parse: impl Fn(&str) -> T,
    parse_err: impl Fn(std::io::Error) -> T,
) -> (Cached<T>, bool) {
    let (stamp, mtime) = stamp_of(meta);
    let prev = old.get(abs);
    if let Some(c) = prev
        && c.stamp == stamp
        && !c.racy
    {
        return (c.clone(), false);
    }
    let racy = mtime.is_none_or(|t| t + RACY > scan);
    match std::fs::read_to_string(abs) {
        Ok(t) => {
            let text = hash_of(&t);
            let value = match prev {
                Some(c) if c.text == text => c.value.clone(),
                _ => parse(&t),
            };
            (Cached { stamp, text, racy, value }, true)
        }
        Err(e) => (Cached { stamp, text: 0, racy: true, value: parse_err(e) }, true),
    }
}

/// A cheap look at `id:` in a file whose front matter did not parse.
fn scan_id(text: &str) -> Option<String> {
    text.lines().skip(1).take_while(|l| l.trim_end() != "---").find_map(|l| {
        let v = l.strip_prefix("id:")?.trim().trim_matches(['"', '\'']);
        event::is_valid_id(v).then(|| v.to_string())
    })
}

/// Loads everything; `include_drafts` keeps draft pages and events (preview, tests).
pub fn load(root: &Path, include_drafts: bool) -> (Content, Vec<ContentError>) {
    load_cached(root, include_drafts, &mut LoadCache::default())
}

/// [`load`], taking the pages and events of unchanged files from `cache` (and updating it).
pub fn load_cached(root: &Path, include_drafts: bool, cache: &mut LoadCache) -> (Content, Vec<ContentError>) {
    if cache.root != root {
        *cache = LoadCache { root: root.to_path_buf(), ..LoadCache::default() };
    }
    let scan = SystemTime::now();
    let mut errors = Vec::new();
    let mut c = Content::default();
    let content = Path::new(CONTENT);
    let mut fingerprint = DefaultHasher::new();

    let config_rel = content.join("config.yaml");
    if let Some(t) = read(root, &config_rel, &mut errors) {
        t.hash(&mut fingerprint);
        match SiteConfig::parse(&shown(root, &config_rel), &t) {
            Ok(cfg) => c.config = Some(cfg),
            Err(e) => errors.push(e),
        }
    }
    let projects_rel = content.join(ccg_model::catalogue::PROJECTS_FILE);
    if let Some(t) = read(root, &projects_rel, &mut errors) {
        t.hash(&mut fingerprint);
        match Directory::parse(&shown(root, &projects_rel), &t) {
            Ok(d) => c.directory = Some(d),
            Err(es) => errors.extend(es),
        }
    }
    let rules_rel = content.join(ccg_model::catalogue::RULES_FILE);
    if let Some(t) = read(root, &rules_rel, &mut errors) {
        t.hash(&mut fingerprint);
        match TravelRules::parse(&shown(root, &rules_rel), &t) {
            Ok(r) => c.rules = Some(r),
            Err(e) => errors.push(e),
        }
    }

    // Events and pages are the bulk of a site: read and parse them in parallel.
    let events_dir = content.join(ccg_model::catalogue::EVENTS_DIR);
    let (event_files, event_meta): (Vec<PathBuf>, Vec<std::fs::Metadata>) = content_files_with_meta(&root.join(&events_dir), Some("md")).into_iter().unzip();
    let parsed: Vec<(Cached<ParsedEvent>, bool)> = event_files
        .par_iter()
        .zip(&event_meta)
        .map(|(abs, meta)| {
            let rel = abs.strip_prefix(root).unwrap_or(abs);
            let file = shown(root, rel);
            cached(
                &cache.events,
                abs,
                meta,
                scan,
                |t| {
                    let r = event::parse(&file, t);
                    let id = if r.is_err() { scan_id(t) } else { None };
                    (r, id, hash_of((&file, t)))
                },
                |e| (Err(vec![ContentError::new(&file, 1, 1, format!("cannot read: {e}"))]), None, 0),
            )
        })
        .collect();
    let mut reads = parsed.iter().filter(|(_, read)| *read).count();
    let mut events = Vec::with_capacity(parsed.len());
    let mut hashes = Vec::with_capacity(parsed.len());
    for (entry, _) in &parsed {
        let (r, id, hash) = &entry.value;
        hash.hash(&mut fingerprint);
        match r {
            Ok(e) => {
                events.push(e.clone());
                hashes.push(*hash);
            }
            Err(es) => {
                errors.extend(es.iter().cloned());
                c.broken_event_ids.extend(id.clone());
            }
        }
    }
    cache.events = event_files.into_iter().zip(parsed.into_iter().map(|(e, _)| e)).collect();
    errors.extend(event::duplicate_ids(&events));
    let mut order: Vec<usize> = (0..events.len()).filter(|&i| include_drafts || !events[i].draft).collect();
    order.sort_by_cached_key(|&i| (events[i].when.start_instant(), events[i].id.clone()));
    c.event_hashes = order.iter().map(|&i| hashes[i]).collect();
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    c.events = order.iter().filter_map(|&i| slots[i].take()).collect();

    let pages_dir = content.join("pages");
    let (page_files, page_meta): (Vec<PathBuf>, Vec<std::fs::Metadata>) = content_files_with_meta(&root.join(&pages_dir), Some("md")).into_iter().unzip();
    let loaded: Vec<(Cached<LoadedPage>, bool)> = page_files
        .par_iter()
        .zip(&page_meta)
        .map(|(abs, meta)| {
            let rel = abs.strip_prefix(root).unwrap_or(abs);
            cached(
                &cache.pages,
                abs,
                meta,
                scan,
                |t| {
                    let (p, es) = load_page(root, rel, &pages_dir, t);
                    (p.map(Arc::new), es)
                },
                |e| (None, vec![ContentError::new(shown(root, rel), 1, 1, format!("cannot read: {e}"))]),
            )
        })
        .collect();
    reads += loaded.iter().filter(|(_, read)| *read).count();
    for (entry, _) in &loaded {
        let (page, es) = &entry.value;
        errors.extend(es.iter().cloned());
        if let Some(p) = page
            && (include_drafts || !p.is_draft())
        {
            c.pages.push(Arc::clone(p));
        }
    }
    cache.pages = page_files.into_iter().zip(loaded.into_iter().map(|(e, _)| e)).collect();
    cache.reads = reads;

    let templates_dir = root.join(TEMPLATES);
    let static_dir = templates_dir.join(STATIC);
    for abs in content_files(&templates_dir, None) {
        let rel = abs.strip_prefix(root).unwrap_or(&abs).to_path_buf();
        if let Ok(in_static) = abs.strip_prefix(&static_dir) {
            let out = in_static.to_string_lossy().replace('\\', "/");
            c.statics.push((out, abs.clone()));
        } else if abs.extension().is_some_and(|e| e == "html") {
            let name = abs.strip_prefix(&templates_dir).unwrap_or(&abs).to_string_lossy().replace('\\', "/");
            if let Some(src) = read(root, &rel, &mut errors) {
                c.templates.push((name, src));
            }
        }
    }
    c.documents = crate::documents::load(root, &mut c.statics, &mut errors);
    c.documents.hash(&mut fingerprint);
    c.fingerprint = fingerprint.finish();
    if c.templates.is_empty() {
        errors.push(ContentError::new(shown(root, Path::new(TEMPLATES)), 1, 1, "no templates (*.html) found"));
    }
    (c, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_of_a_broken_event() {
        assert_eq!(scan_id("---\ntitle: x\nid: my-event\nkind: party\n---\n").as_deref(), Some("my-event"));
        assert_eq!(scan_id("---\nid: Bad Id\n---\n"), None);
    }

    /// The site lists the events the catalogue (`serve`, `desk`) takes claims
    /// for: the fixture's hidden `.hidden.md` and `notes.txt` are in neither.
    #[test]
    fn the_site_and_the_catalogue_list_the_same_events() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixture-site");
        for drafts in [false, true] {
            let (site, _no_templates) = load(&root, drafts);
            let site: Vec<&str> = site.events.iter().map(|e| e.id.as_str()).collect();
            let catalogue = ccg_model::Catalogue::load_dir(&root.join(CONTENT), drafts).unwrap();
            let catalogue: Vec<&str> = catalogue.events.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(site, catalogue, "drafts: {drafts}");
            assert!(!site.contains(&"fixture-hidden"));
        }
    }
}
