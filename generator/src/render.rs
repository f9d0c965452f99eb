//! Templates: compiled once per build, shared by every rendering thread, and
//! their errors turned into file:line:col messages like content errors.

use ccg_model::ContentError;
use std::collections::BTreeMap;
use std::path::Path;
use tera::{ErrorKind, Tera, Value};

/// A template problem, located in `templates/<name>`.
pub fn tera_error(root: &Path, e: &tera::Error, fallback: &Path) -> ContentError {
    match e.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let span = r.span();
            let file = crate::paths::shown(root, &Path::new(crate::paths::TEMPLATES).join(r.filename()));
            ContentError::new(file, span.start_line, span.start_col + 1, r.message().to_string())
        }
        ErrorKind::TemplateNotFound(name) => ContentError::new(fallback, 1, 1, format!("template `{name}` does not exist")),
        ErrorKind::MissingParent { current, parent } => ContentError::new(
            crate::paths::shown(root, &Path::new(crate::paths::TEMPLATES).join(current)),
            1,
            1,
            format!("extends `{parent}`, which does not exist"),
        ),
        _ => ContentError::new(fallback, 1, 1, e.to_string()),
    }
}

/// Compiles every template, reporting the syntax errors of all of them.
pub fn compile(root: &Path, templates: &[(String, String)]) -> Result<Tera, Vec<ContentError>> {
    let dir = crate::paths::shown(root, Path::new(crate::paths::TEMPLATES));
    let mut tera = Tera::new();
    match tera.add_raw_templates(templates.iter().map(|(n, s)| (n.as_str(), s.as_str()))) {
        Ok(()) => Ok(tera),
        Err(first) => {
            // The batch stops at the first broken template: parse each alone to find the others.
            let mut errors = Vec::new();
            for (name, src) in templates {
                let mut alone = Tera::new();
                if let Err(e) = alone.add_raw_template(name, src)
                    && matches!(e.kind(), ErrorKind::SyntaxError(_))
                {
                    errors.push(tera_error(root, &e, &dir.join(name)));
                }
            }
            if errors.is_empty() {
                // Unknown filters, missing includes...: tera joins their reports into one message.
                errors = located_reports(root, &first.to_string());
            }
            if errors.is_empty() {
                errors.push(tera_error(root, &first, &dir));
            }
            Err(errors)
        }
    }
}

/// Reads tera's text reports (`error: msg` then `--> name:line:col`) back into located errors.
fn located_reports(root: &Path, text: &str) -> Vec<ContentError> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(message) = line.strip_prefix("error: ") else { continue };
        let Some(at) = lines.next().and_then(|l| l.trim_start().strip_prefix("--> ")) else { continue };
        let mut parts = at.rsplitn(3, ':');
        let (col, line_no, name) = (parts.next(), parts.next(), parts.next());
        if let (Some(col), Some(line_no), Some(name)) = (col, line_no, name) {
            let file = crate::paths::shown(root, &Path::new(crate::paths::TEMPLATES).join(name));
            out.push(ContentError::new(file, line_no.parse().unwrap_or(1), col.parse().unwrap_or(1), message));
        }
    }
    out
}

/// A template value from a few named fields, without going through serde.
pub fn object<const N: usize>(fields: [(&'static str, Value); N]) -> Value {
    Value::from(BTreeMap::from(fields))
}

pub fn to_value<T: serde::Serialize>(v: &T) -> Value {
    Value::from_serializable(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_syntax_errors_are_located() {
        let t = vec![
            ("base.html".to_string(), "<p>{% block main %}{% endblock main %}</p>".to_string()),
            ("a.html".to_string(), "{% extends \"base.html\" %}{% block main %}\n{{ x + }}{% endblock main %}".to_string()),
            ("b.html".to_string(), "ok\n\n{% if %}".to_string()),
        ];
        let errs = compile(Path::new("."), &t).unwrap_err();
        let at: Vec<_> = errs.iter().map(|e| (e.file.display().to_string(), e.line)).collect();
        assert_eq!(at, [("templates/a.html".to_string(), 2), ("templates/b.html".to_string(), 3)], "{errs:?}");
    }

    #[test]
    fn rendering_errors_point_at_the_template_line() {
        let t = vec![("p.html".to_string(), "line one\n{{ missing.field }}".to_string())];
        let tera = compile(Path::new("."), &t).unwrap();
        let e = tera.render("p.html", &tera::Context::new()).unwrap_err();
        let c = tera_error(Path::new("."), &e, Path::new("x"));
        assert_eq!((c.file.display().to_string(), c.line), ("templates/p.html".to_string(), 2));
    }

    #[test]
    fn front_matter_values_are_escaped() {
        // Attribute values in the templates are always in double quotes, which are escaped.
        let t = vec![("p.html".to_string(), "<h1 title=\"{{ title }}\">{{ title }}</h1>".to_string())];
        let tera = compile(Path::new("."), &t).unwrap();
        let mut ctx = tera::Context::new();
        ctx.insert("title", "<script>\"x\"</script> & co");
        assert_eq!(
            tera.render("p.html", &ctx).unwrap(),
            "<h1 title=\"&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co\">&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co</h1>"
        );
    }
}
