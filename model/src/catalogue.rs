//! What the form functions need from `content/`: the events, the SCC cities
//! and the travel rules, checked. The generator reads the same files.

use crate::cities::Directory;
use crate::error::{ContentError, ContentErrors};
use crate::event::{self, Event};
use crate::files::content_files;
use crate::rules::TravelRules;
use jiff::civil::Date;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Paths of the data files, relative to the content folder.
pub const PROJECTS_FILE: &str = "data/scc-projects.yaml";
pub const RULES_FILE: &str = "data/travel-support.yaml";
pub const EVENTS_DIR: &str = "events";

/// Raw content handed in by the caller (read from disk, or embedded in a binary).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// (path for messages, text) of every event file.
    pub events: Vec<(PathBuf, String)>,
    pub projects: (PathBuf, String),
    pub rules: (PathBuf, String),
}

impl Sources {
    /// Reads the catalogue's files from a content folder.
    pub fn read_dir(content: &Path) -> Result<Sources, ContentErrors> {
        let read = |p: PathBuf| -> Result<(PathBuf, String), ContentError> {
            std::fs::read_to_string(&p).map(|t| (p.clone(), t)).map_err(|e| ContentError::new(&p, 1, 1, format!("cannot read: {e}")))
        };
        let mut errors = ContentErrors::default();
        let mut events = Vec::new();
        for path in content_files(&content.join(EVENTS_DIR), Some("md")) {
            match read(path) {
                Ok(e) => events.push(e),
                Err(e) => errors.push(e),
            }
        }
        let projects = read(content.join(PROJECTS_FILE)).map_err(|e| errors.push(e));
        let rules = read(content.join(RULES_FILE)).map_err(|e| errors.push(e));
        match (projects, rules) {
            (Ok(projects), Ok(rules)) if errors.is_empty() => Ok(Sources { events, projects, rules }),
            _ => Err(errors.sorted()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Sorted by start.
    pub events: Vec<Event>,
    by_id: HashMap<String, usize>,
    pub directory: Directory,
    pub rules: TravelRules,
}

impl Catalogue {
    /// Parses and checks everything; drafts are kept only when asked (local preview).
    pub fn from_sources(src: &Sources, include_drafts: bool) -> Result<Catalogue, ContentErrors> {
        let mut errors = ContentErrors::default();
        let mut events = Vec::new();
        for (path, text) in &src.events {
            match event::parse(path, text) {
                Ok(e) => events.push(e),
                Err(es) => errors.extend(es),
            }
        }
        errors.extend(event::duplicate_ids(&events));
        let directory = Directory::parse(&src.projects.0, &src.projects.1).map_err(|es| errors.extend(es));
        let rules = TravelRules::parse(&src.rules.0, &src.rules.1).map_err(|e| errors.push(e));
        let (Ok(directory), Ok(rules)) = (directory, rules) else { return Err(errors.sorted()) };
        if !errors.is_empty() {
            return Err(errors.sorted());
        }
        events.retain(|e| include_drafts || !e.draft);
        events.sort_by_key(|e| (e.when.start_instant(), e.id.clone()));
        let by_id = events.iter().enumerate().map(|(i, e)| (e.id.clone(), i)).collect();
        Ok(Catalogue { events, by_id, directory, rules })
    }

    pub fn load_dir(content: &Path, include_drafts: bool) -> Result<Catalogue, ContentErrors> {
        Catalogue::from_sources(&Sources::read_dir(content)?, include_drafts)
    }

    pub fn event(&self, id: &str) -> Option<&Event> {
        self.by_id.get(id).map(|&i| &self.events[i])
    }

    /// The meeting `id` if it takes claims on `today`: in this catalogue (a
    /// draft only with `drafts`, the preview), eligible
    /// (`TravelRules::check_event`: announced, not cancelled, of an eligible
    /// format) and within its claim window (`TravelRules::check_open`). The
    /// one judgement the claim form makes when a claim is sent and the
    /// confirmation makes again when its link is used.
    pub fn meeting_for_claims(&self, id: &str, drafts: bool, today: Date) -> Result<&Event, ClosedMeeting> {
        let e = self.event(id).filter(|e| drafts || !e.draft).ok_or(ClosedMeeting::Unknown)?;
        self.rules.check_event(e).map_err(|_| ClosedMeeting::NotEligible)?;
        self.rules.check_open(e, today).map_err(|_| ClosedMeeting::NotNow)?;
        Ok(e)
    }
}

/// Why a meeting does not take claims on a day (`Catalogue::meeting_for_claims`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedMeeting {
    /// Not in the catalogue (never published, or no longer), or a draft outside the preview.
    Unknown,
    /// Cancelled, not announced, or not of an eligible format.
    NotEligible,
    /// Eligible, but the day is outside its claim window.
    NotNow,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
    }

    /// tests/fixture-site: a small frozen site for the tests not about the real content.
    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixture-site/content")
    }

    #[test]
    fn the_fixture_site_loads_without_its_hidden_file() {
        let ids = |drafts| Catalogue::load_dir(&fixture(), drafts).unwrap().events.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(false), ["fixture-2021-10-past", "fixture-2030-03-upcoming"]);
        assert_eq!(ids(true), ["fixture-2021-10-past", "fixture-2027-03-draft", "fixture-2030-03-upcoming"]);
    }

    #[test]
    fn the_real_content_loads() {
        let published = Catalogue::load_dir(&content(), false).unwrap();
        let preview = Catalogue::load_dir(&content(), true).unwrap();
        assert!(published.events.iter().all(|e| !e.draft));
        assert!(preview.events.len() > published.events.len(), "the example drafts are seen in preview only");
        assert!(published.event("ccg-2021-10-launch").is_some());
    }

    /// A content folder with the real data files and the events given as (path under events/, text).
    fn site_with(name: &str, events: &[(&str, String)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ccg-model-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for rel in [PROJECTS_FILE, RULES_FILE] {
            let to = dir.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(fixture().join(rel), to).unwrap();
        }
        for (rel, text) in events {
            let to = dir.join(EVENTS_DIR).join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(to, text).unwrap();
        }
        dir
    }

    /// The site skips hidden files (an editor's `.x.md`, a folder like `.git`)
    /// and files that are not `*.md`: the catalogue the preview and `desk`
    /// take claims from must list the same events, or a `.x.md` event takes
    /// claims while the site never shows it.
    #[test]
    fn hidden_files_and_other_files_are_not_events() {
        let event = |id: &str| std::fs::read_to_string(fixture().join("events/2021-10-07-past.md")).unwrap().replace("fixture-2021-10-past", id);
        let dir = site_with(
            "hidden",
            &[
                ("shown.md", event("shown")),
                ("year/nested.md", event("nested")),
                (".hidden.md", event("hidden")),
                (".drafts/in-hidden-folder.md", event("in-hidden-folder")),
                ("notes.txt", event("not-markdown")),
            ],
        );
        let cat = Catalogue::load_dir(&dir, true).unwrap();
        let mut ids: Vec<&str> = cat.events.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["nested", "shown"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn all_errors_of_all_files_are_reported() {
        let mut src = Sources::read_dir(&fixture()).unwrap();
        let bad = "---\nid: x\ntitle: t\nstart: 2024-01-01T10:00\nend: 2024-01-01T09:00\ntimezone: Mars/Olympus\nformat: virtual\nkind: advocacy\n---\n";
        src.events.push(("events/bad1.md".into(), bad.into()));
        src.events.push(("events/bad2.md".into(), bad.replace("kind: advocacy", "kind: party")));
        src.events.push(("events/dup.md".into(), src.events[0].1.clone()));
        let errs = Catalogue::from_sources(&src, true).unwrap_err();
        let files: Vec<_> = errs.0.iter().map(|e| e.file.display().to_string()).collect();
        assert_eq!(files, ["events/bad1.md", "events/bad2.md", "events/dup.md"], "{errs}");
    }
}
