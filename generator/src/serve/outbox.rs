//! The preview's outbox: the emails the forms would send, kept as files in
//! the data folder and shown at /_outbox/ (preview only: `build` never writes it).

use super::http::{Res, local_redirect, method_not_allowed, page, response};
use crate::page_settings::escape_html;
use crate::view::url_encode;
use ccg_functions::mail::outbox::{self, OutboxMessage};
use http::{Method, StatusCode, header};
use std::fmt::Write as _;
use std::path::Path;

/// The outbox folder inside the data folder: the preview's mailer writes there.
pub use crate::api::OUTBOX as OUTBOX_DIR;
/// Where the preview shows the outbox; outside anything `build` writes.
pub const OUTBOX_URL: &str = "/_outbox/";

/// Escapes `text` and turns each http(s) URL into a link. A URL runs to the
/// next space (or a character that cannot be in one); a `.`, `,` or unmatched
/// `)` at its end is the sentence's, not the URL's.
fn linkify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = [rest.find("http://"), rest.find("https://")].into_iter().flatten().min() {
        out.push_str(&escape_html(&rest[..start]));
        let candidate = &rest[start..];
        let end = candidate.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(candidate.len());
        let mut url = &candidate[..end];
        loop {
            let unmatched_paren = url.ends_with(')') && url.matches(')').count() > url.matches('(').count();
            if url.ends_with(['.', ',']) || unmatched_paren {
                url = &url[..url.len() - 1];
            } else {
                break;
            }
        }
        let shown = escape_html(url);
        if url == "http://" || url == "https://" {
            out.push_str(&shown);
        } else {
            let _ = write!(out, "<a href=\"{shown}\">{shown}</a>");
        }
        rest = &candidate[url.len()..];
    }
    out.push_str(&escape_html(rest));
    out
}

/// `sent_at` for people: the stored RFC 3339 text if it does not parse.
fn sent_label(sent_at: &str) -> String {
    match sent_at.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => sent_at.to_string(),
    }
}

const OUTBOX_NOTE: &str = "<p>This is the local preview\u{2019}s outbox: in the deployed site these emails are sent, here they are only kept as files.</p>\n";

fn outbox_list(messages: &[OutboxMessage]) -> String {
    let mut main = format!("<h1>Outbox</h1>\n{OUTBOX_NOTE}");
    if messages.is_empty() {
        main.push_str("<p>The outbox is empty: no email has been sent yet.</p>\n");
    } else {
        main.push_str("<table>\n<thead><tr><th scope=\"col\">Sent</th><th scope=\"col\">To</th><th scope=\"col\">Subject</th></tr></thead>\n<tbody>\n");
        for m in messages.iter().rev() {
            let name = m.file.strip_suffix(".json").unwrap_or(&m.file);
            let _ = writeln!(
                main,
                "<tr><td><time datetime=\"{}\">{}</time></td><td>{}</td><td><a href=\"{OUTBOX_URL}{}\">{}</a></td></tr>",
                escape_html(&m.sent_at),
                escape_html(&sent_label(&m.sent_at)),
                escape_html(&m.email.to),
                escape_html(name),
                escape_html(&m.email.subject),
            );
        }
        main.push_str("</tbody>\n</table>\n");
    }
    page("Outbox", &main)
}

fn outbox_message(name: &str, m: &OutboxMessage) -> String {
    let mut main = format!("<p><a href=\"{OUTBOX_URL}\">All messages in the outbox</a></p>\n<h1>{}</h1>\n", escape_html(&m.email.subject));
    let _ = write!(
        main,
        "<dl>\n<dt>To</dt><dd>{}</dd>\n<dt>Subject</dt><dd>{}</dd>\n<dt>Sent</dt><dd><time datetime=\"{}\">{}</time></dd>\n",
        escape_html(&m.email.to),
        escape_html(&m.email.subject),
        escape_html(&m.sent_at),
        escape_html(&sent_label(&m.sent_at)),
    );
    if let Some(id) = &m.email.id {
        let _ = writeln!(main, "<dt>Message id</dt><dd><code>{}</code></dd>", escape_html(id));
    }
    main.push_str("</dl>\n");
    if !m.email.headers.is_empty() {
        main.push_str("<h2>Headers</h2>\n<dl class=\"mail-headers\">\n");
        for (header, value) in &m.email.headers {
            let _ = writeln!(main, "<dt>{}</dt><dd>{}</dd>", escape_html(header), linkify(value));
        }
        main.push_str("</dl>\n");
    }
    let _ = write!(
        main,
        "<h2>Text part</h2>\n<pre class=\"mail-text\">{}</pre>\n\
         <p><a href=\"{OUTBOX_URL}{}.html\">The HTML part</a> (opened with scripts disabled).</p>\n",
        linkify(&m.email.text),
        escape_html(name),
    );
    if !m.email.attachments.is_empty() {
        main.push_str("<h2>Attachments</h2>\n<ul>\n");
        for a in &m.email.attachments {
            let _ = writeln!(
                main,
                "<li><a href=\"{OUTBOX_URL}{}/{}\" download>{}</a> ({}, {} bytes)</li>",
                escape_html(name),
                escape_html(&url_encode(&a.filename)),
                escape_html(&a.filename),
                escape_html(&a.content_type),
                a.body.len(),
            );
        }
        main.push_str("</ul>\n");
    }
    page(&format!("{} (outbox)", m.email.subject), &main)
}

/// One attachment as it was sent: its own type, always saved rather than
/// shown, and sandboxed should a browser show it anyway.
fn attachment(m: OutboxMessage, encoded_filename: &str) -> Option<Res> {
    let a = m.email.attachments.into_iter().find(|a| url_encode(&a.filename) == encoded_filename)?;
    let ctype = header::HeaderValue::from_str(&a.content_type).unwrap_or(header::HeaderValue::from_static("application/octet-stream"));
    // The encoded name is all unreserved characters or %XX: safe inside a quoted string.
    let disposition = header::HeaderValue::from_str(&format!("attachment; filename=\"{encoded_filename}\"")).ok()?;
    let mut res = response(StatusCode::OK, "application/octet-stream", a.body);
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, ctype);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static("sandbox"));
    Some(res)
}

fn outbox_error(e: &std::io::Error) -> Res {
    tracing::error!("cannot read the outbox: {e}");
    response(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", format!("cannot read the outbox: {e}\n"))
}

/// `/_outbox/` (the list), `/_outbox/<name>` (one message, text part),
/// `/_outbox/<name>.html` (its HTML part) and `/_outbox/<name>/<file>` (an
/// attachment, its name percent-encoded). HEAD bodies are dropped by hyper.
pub fn answer(data_dir: &Path, method: &Method, path: &str, not_found: impl FnOnce() -> Res) -> Res {
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed("GET, HEAD");
    }
    let dir = data_dir.join(OUTBOX_DIR);
    let Some(rest) = path.strip_prefix(OUTBOX_URL) else {
        return local_redirect(OUTBOX_URL).expect("a local path");
    };
    if rest.is_empty() {
        return match outbox::read_all(&dir) {
            Ok(messages) => response(StatusCode::OK, "text/html; charset=utf-8", outbox_list(&messages)),
            Err(e) => outbox_error(&e),
        };
    }
    if let Some((name, file)) = rest.split_once('/') {
        // read_one accepts only the outbox's own file names; the attachment is found among the message's own.
        return match outbox::read_one(&dir, name) {
            Ok(Some(m)) => attachment(m, file).unwrap_or_else(not_found),
            Ok(None) => not_found(),
            Err(e) => outbox_error(&e),
        };
    }
    let (name, html_part) = match rest.strip_suffix(".html") {
        Some(name) => (name, true),
        None => (rest, false),
    };
    // read_one accepts only the outbox's own file names: no path can escape the folder.
    match outbox::read_one(&dir, name) {
        Ok(Some(m)) if html_part => {
            let mut res = response(StatusCode::OK, "text/html; charset=utf-8", m.email.html);
            // The part is shown as a mail client would, but it must not run scripts on the preview's origin.
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static("sandbox"));
            res
        }
        Ok(Some(m)) => response(StatusCode::OK, "text/html; charset=utf-8", outbox_message(name, &m)),
        Ok(None) => not_found(),
        Err(e) => outbox_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_urls_in_escaped_text() {
        assert_eq!(
            linkify("Confirm: https://ccg.example.eu/c?a=1&b=<2>. Thanks"),
            "Confirm: <a href=\"https://ccg.example.eu/c?a=1&amp;b=\">https://ccg.example.eu/c?a=1&amp;b=</a>&lt;2&gt;. Thanks"
        );
        assert_eq!(linkify("(see http://a.eu/x), or"), "(see <a href=\"http://a.eu/x\">http://a.eu/x</a>), or");
        assert_eq!(
            linkify("https://en.wikipedia.org/wiki/Bar_(law)."),
            "<a href=\"https://en.wikipedia.org/wiki/Bar_(law)\">https://en.wikipedia.org/wiki/Bar_(law)</a>."
        );
        assert_eq!(linkify("https:// nothing"), "https:// nothing");
        assert_eq!(linkify("<script>\"x\"</script>"), "&lt;script&gt;&quot;x&quot;&lt;/script&gt;");
        assert_eq!(linkify("a\nhttps://x.eu\nb"), "a\n<a href=\"https://x.eu\">https://x.eu</a>\nb");
        assert_eq!(linkify("x\"https://x.eu/\"onmouseover=1"), "x&quot;<a href=\"https://x.eu/\">https://x.eu/</a>&quot;onmouseover=1");
    }
}
