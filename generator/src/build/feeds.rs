//! Phase 4, lists and feeds: the iCal feeds (the whole calendar and one per
//! event), the sitemap, robots.txt and version.json. Each feed made from
//! the same inputs as last time is kept as it is.

use super::jobs::{Job, Shared};
use super::options::{BuildError, Options};
use super::state::Output;
use crate::deps::hash_of;
use crate::write::Writer;
use ccg_model::event::Event;
use ccg_model::{ContentError, ContentErrors, SiteConfig};
use std::path::Path;

/// Writes the lists and feeds when the config loaded (without it there is
/// nothing to make them from). Their outputs go to `outputs`; a feed that
/// changed an event without a new `sequence` fails the build.
pub(super) fn write(
    opts: &Options,
    jobs: &[Job],
    shared: &Shared,
    writer: &Writer,
    outputs: &mut Vec<(String, Output)>,
    version: &mut Option<(u64, String)>,
    errors: &mut Vec<ContentError>,
) -> Result<(), BuildError> {
    let Some(cfg) = &shared.config else { return Ok(()) };
    calendars(opts, shared, cfg, writer, outputs)?;
    let base_url = &shared.base_url;
    writer.put("sitemap.xml", sitemap(base_url, &sitemap_urls(jobs, shared)).as_bytes())?;
    let robots = format!("User-agent: *\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n");
    writer.put("robots.txt", robots.as_bytes())?;
    // What the deployed functions must also report (X-Content-Version); the
    // load's fingerprint covers the same files.
    let fingerprint = shared.content.fingerprint;
    let v = match version.take() {
        Some((k, v)) if k == fingerprint => Ok(v),
        _ => content_version(shared.root),
    };
    match v {
        Ok(v) => {
            writer.put("version.json", format!("{{\"content\":\"{v}\"}}\n").as_bytes())?;
            *version = Some((fingerprint, v));
        }
        Err(e) => errors.push(ContentError::new(Path::new(crate::paths::CONTENT), 1, 1, format!("cannot read for the content version: {e}"))),
    }
    Ok(())
}

/// Whether the output `rel` made from `key` is already there (kept from the
/// previous build); either way it is one of this build's outputs.
fn kept(shared: &Shared, writer: &Writer, outputs: &mut Vec<(String, Output)>, rel: &str, key: u64) -> bool {
    let same = (shared.prev.get(rel).is_some_and(|p| p.key == key) && writer.keep(rel, key)) || writer.reuse(rel, key);
    outputs.push((rel.to_string(), Output { key, links: None }));
    same
}

/// `calendar.ics` and `calendar/<id>.ics`.
fn calendars(opts: &Options, shared: &Shared, cfg: &SiteConfig, writer: &Writer, outputs: &mut Vec<(String, Output)>) -> Result<(), BuildError> {
    let content = shared.content;
    let base_url = &shared.base_url;
    let mut feeds: Vec<(String, u64, String)> = Vec::new();
    let events: Vec<&Event> = content.events.iter().collect();
    let key = hash_of((&content.event_hashes, shared.config_key, base_url));
    if !kept(shared, writer, outputs, "calendar.ics", key) {
        feeds.push(("calendar.ics".into(), key, ccg_calendar::feed(cfg, base_url, &events)));
    }
    let mut unversioned = Vec::new();
    for (e, hash) in events.iter().zip(&content.event_hashes) {
        let rel = format!("calendar/{}.ics", e.id);
        let key = hash_of((hash, shared.config_key, base_url));
        if kept(shared, writer, outputs, &rel, key) {
            continue;
        }
        let ics = ccg_calendar::single(cfg, base_url, e);
        if let Some(err) = unversioned_change(&opts.out, e, &ics) {
            unversioned.push(err);
        }
        feeds.push((rel, key, ics));
    }
    if !unversioned.is_empty() {
        return Err(BuildError::Content(ContentErrors(unversioned)));
    }
    for (rel, key, text) in &feeds {
        writer.put_keyed(rel, text.as_bytes(), Some(*key))?;
    }
    Ok(())
}

/// A published event whose time, place or status differs from its entry in
/// the previous build (`out/calendar/<id>.ics`) while its `sequence` did not
/// go up: subscribed calendars would ignore the change.
fn unversioned_change(out: &Path, e: &Event, ics: &str) -> Option<ContentError> {
    if e.draft {
        return None;
    }
    let old = std::fs::read_to_string(out.join("calendar").join(format!("{}.ics", e.id))).ok()?;
    let (before, seq) = ccg_calendar::versioned(&old);
    let (after, _) = ccg_calendar::versioned(ics);
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

/// The pages search engines are told about, sorted. Pages that only follow
/// an action (a thank-you page) are kept out, like the 404 page.
fn sitemap_urls<'a>(jobs: &'a [Job], shared: &'a Shared) -> Vec<&'a str> {
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
    pages
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

/// The content version (`ccg_model::version`) of the files under `root/content`:
/// the same files the Lambda binaries embed, so the same version they report.
pub fn content_version(root: &Path) -> std::io::Result<String> {
    use ccg_model::catalogue::{EVENTS_DIR, PROJECTS_FILE, RULES_FILE};
    let content = root.join(crate::paths::CONTENT);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for rel in ["config.yaml", PROJECTS_FILE, RULES_FILE] {
        files.push((rel.to_string(), std::fs::read(content.join(rel))?));
    }
    for abs in ccg_model::files::content_files(&content.join(EVENTS_DIR), Some("md")) {
        let rel = abs.strip_prefix(&content).unwrap_or(&abs).to_string_lossy().replace('\\', "/");
        files.push((rel, std::fs::read(&abs)?));
    }
    debug_assert!(files.iter().all(|(rel, _)| ccg_model::version::covers(rel)));
    Ok(ccg_model::content_version(files.iter().map(|(p, b)| (p.as_str(), b.as_slice()))))
}
