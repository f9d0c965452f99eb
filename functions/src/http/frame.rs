//! The site's own frame around every answer of the forms: the generator's
//! `base.html` (header, menu, footer, styles) and the same form templates as
//! the site's pages, through `templates/answer.html`. A form sent back with
//! its mistakes is the very form of the page, rendered by the same template.
//! The Lambdas use the templates and menu embedded at build time; the preview
//! hands in its live ones.

use crate::form_view::{ClaimFormView, FormState, JoinFormView};
use ccg_model::SiteView;
use ccg_model::page::NavItem;
use serde::Serialize;
use tera::{Context, Tera};

pub struct Frame {
    tera: Tera,
}

/// A link under the answer ("Back to the form").
#[derive(Debug, Clone, Serialize)]
pub struct Back {
    pub url: String,
    pub text: String,
}

/// An answer's own content: a template under `templates/answers/` and the
/// plain data it shows. The template engine escapes every value; an empty
/// template is no content (a form sent back is all the page shows).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Body {
    pub template: &'static str,
    pub data: serde_json::Value,
}

impl Body {
    pub fn new(template: &'static str, data: serde_json::Value) -> Body {
        Body { template, data }
    }

    /// One sentence as a paragraph (`answers/message.html`).
    pub fn message(text: &str) -> Body {
        Body::new("answers/message.html", serde_json::json!({ "message": text }))
    }

    /// The HTML, without the line end the template file closes with.
    pub fn render(&self, tera: &Tera) -> Result<String, tera::Error> {
        if self.template.is_empty() {
            return Ok(String::new());
        }
        let html = tera.render(self.template, &Context::from_serialize(&self.data)?)?;
        Ok(html.trim_end_matches('\n').to_string())
    }
}

/// One answer page.
#[derive(Debug, Clone, Serialize, Default)]
pub struct AnswerPage {
    /// The `<title>` (before " | site title"); starts with "Error: " when a form comes back with mistakes.
    pub title: String,
    pub heading: String,
    /// What the answer says, above any form it shows again.
    pub body: Body,
    /// The site page this answers (the menu marks it).
    pub url: String,
    /// "join" or "claim": show that form again, filled in as `form` says.
    pub show: &'static str,
    pub form: Option<FormState>,
    pub claim: Option<ClaimFormView>,
    pub join: Option<JoinFormView>,
    /// With `show: "resend"`: the form whose link is asked for again (`register`, `travel-claims`).
    pub resend_path: &'static str,
    pub back: Option<Back>,
    /// The page has passkey buttons: it loads passkey.js.
    pub passkey: bool,
    /// A stylesheet of its own, after the site's (the desk's tables and chart).
    pub stylesheet: Option<&'static str>,
}

impl Frame {
    pub fn new(templates: &[(&str, &str)], site: &SiteView, nav: &[NavItem]) -> Result<Frame, tera::Error> {
        let mut tera = Tera::new();
        tera.add_raw_templates(templates.iter().copied())?;
        let g = tera.global_context();
        g.insert("site", site);
        g.insert("nav", nav);
        g.insert("actions", &crate::routes::Actions::new(&site.api_base));
        Ok(Frame { tera })
    }

    /// The templates and menu compiled into the binary with the content.
    pub fn embedded() -> Result<Frame, String> {
        let config = crate::embedded::site().map_err(|e| e.to_string())?;
        let site = SiteView::new(&config, &config.base_url, "/calendar/");
        Frame::new(crate::embedded::templates(), &site, &crate::embedded::nav()).map_err(|e| e.to_string())
    }

    pub fn render(&self, p: &AnswerPage) -> Result<String, tera::Error> {
        let mut ctx = Context::new();
        #[derive(Serialize)]
        struct Page<'a> {
            title: &'a str,
            description: &'a str,
            url: &'a str,
            permalink: &'a str,
            draft: bool,
            noindex: bool,
        }
        ctx.insert("page", &Page { title: &p.title, description: &p.heading, url: &p.url, permalink: "", draft: false, noindex: true });
        ctx.insert("heading", &p.heading);
        ctx.insert("body", &p.body.render(&self.tera)?);
        ctx.insert("show", p.show);
        match &p.form {
            Some(f) => ctx.insert("form", f),
            None => ctx.insert("form", &FormState::empty()),
        }
        if let Some(c) = &p.claim {
            ctx.insert("claim", c);
        }
        if let Some(j) = &p.join {
            ctx.insert("join", j);
        }
        ctx.insert("resend_path", p.resend_path);
        ctx.insert("back", &p.back);
        ctx.insert("passkey", &p.passkey);
        ctx.insert("stylesheet", &p.stylesheet);
        self.tera.render("answer.html", &ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_frame_renders_an_answer_in_the_sites_layout() {
        let f = Frame::embedded().unwrap();
        let html = f
            .render(&AnswerPage {
                title: "Claim confirmed".into(),
                heading: "Claim confirmed".into(),
                body: Body::message("Done & dusted"),
                url: "/financial-support/".into(),
                back: Some(Back { url: "/".into(), text: "Home".into() }),
                ..AnswerPage::default()
            })
            .unwrap();
        assert!(html.contains("<title>Claim confirmed | City Coordinators Group</title>"), "{html}");
        assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
        assert!(html.contains(r#"href="/financial-support/" aria-current="page""#), "the menu marks the page answered");
        assert!(html.contains("<p>Done &amp; dusted</p>") && html.contains(r#"<a href="/">Home</a>"#));
        assert!(html.contains("<script src=\"/forms.js\" defer></script>"), "the print button needs it");
    }
}
