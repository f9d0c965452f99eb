//! The content compiled into the Lambda binaries (see build.rs). Drafts are
//! dropped here: a deployed function never accepts a claim for a draft.

use ccg_model::{Catalogue, ContentErrors, SiteConfig, Sources};
use std::path::PathBuf;

mod content {
    include!(concat!(env!("OUT_DIR"), "/content.rs"));
}

pub fn sources() -> Sources {
    Sources {
        events: content::EVENTS.iter().map(|(p, t)| (PathBuf::from(p), t.to_string())).collect(),
        projects: (PathBuf::from(content::PROJECTS.0), content::PROJECTS.1.to_string()),
        rules: (PathBuf::from(content::RULES.0), content::RULES.1.to_string()),
    }
}

/// The published catalogue: events, cities and rules, without drafts.
pub fn catalogue() -> Result<Catalogue, ContentErrors> {
    Catalogue::from_sources(&sources(), false)
}

/// The deployment's own addresses replace the placeholders of `config.yaml`
/// (the site's build takes the same ones on its command line): the answer
/// pages link to the site where it really is and show the real contact.
pub fn site() -> Result<SiteConfig, ccg_model::ContentError> {
    let mut c = SiteConfig::parse(content::CONFIG.0.as_ref(), content::CONFIG.1)?;
    let set = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    if let Some(origin) = set("CCG_ALLOWED_ORIGIN") {
        c.base_url = origin;
    }
    if let Some(email) = set("CCG_CONTACT_EMAIL") {
        c.contact.email = email;
    }
    Ok(c)
}

/// The site's main menu, from the published pages' front matter.
pub fn nav() -> Vec<ccg_model::page::NavItem> {
    let metas: Vec<(String, ccg_model::page::PageMeta)> = content::PAGES
        .iter()
        .filter_map(|(rel, text)| {
            let path = std::path::Path::new(rel);
            let (url, _) = ccg_model::page::page_url(path).ok()?;
            let doc = ccg_model::front_matter::split(path, text).ok()?;
            let meta: ccg_model::page::PageMeta = ccg_model::yaml::parse(path, doc.yaml, doc.yaml_line).ok()?;
            (!meta.draft).then_some((url, meta))
        })
        .collect();
    ccg_model::page::nav(metas.iter().map(|(u, m)| (u.as_str(), m)))
}

/// The templates the answers are rendered with: (name under templates/, source).
pub fn templates() -> &'static [(&'static str, &'static str)] {
    content::TEMPLATES
}

/// The content version of the embedded files (`ccg_model::version`): the
/// generator writes the same one into the site's `/version.json`.
pub fn content_version() -> String {
    let files = content::EVENTS.iter().copied().chain([content::PROJECTS, content::RULES, content::CONFIG]);
    ccg_model::content_version(files.map(|(p, t)| (p, t.as_bytes())))
}

/// How many event files were embedded, drafts included (for the start-up log).
pub fn event_files() -> usize {
    content::EVENTS.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_content_is_the_published_catalogue() {
        let cat = super::catalogue().unwrap();
        assert!(super::event_files() > cat.events.len(), "the example draft is embedded but dropped");
        assert!(cat.events.iter().all(|e| !e.draft));
        assert!(cat.event("ccg-2021-10-launch").is_some());
        assert_eq!(super::site().unwrap().api_base, "/api");
        let nav: Vec<String> = super::nav().into_iter().map(|n| n.url).collect();
        assert!(nav.contains(&"/financial-support/".to_string()) && nav.contains(&"/join/".to_string()), "{nav:?}");
        assert!(super::templates().iter().any(|(n, _)| *n == "partials/claim-form.html"));
    }

    #[test]
    fn the_embedded_files_are_the_ones_the_version_covers() {
        for (p, _) in super::content::EVENTS.iter().chain([&super::content::PROJECTS, &super::content::RULES, &super::content::CONFIG]) {
            assert!(ccg_model::version::covers(p), "{p}");
        }
        assert_eq!(super::content_version().len(), 16);
    }
}
