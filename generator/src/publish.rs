//! What a build for publishing refuses: public addresses on reserved example
//! domains, which would send every visitor, calendar app and email to nowhere.

use ccg_model::{ContentError, SiteConfig};
use std::path::Path;

pub use ccg_model::site::{is_example_domain, url_host};

/// The domain of an email address.
pub fn email_domain(addr: &str) -> &str {
    addr.rsplit_once('@').map_or("", |(_, d)| d)
}

/// A public address given on the command line: refused when it is on an
/// example domain or is not an address at all.
pub fn check_override(option: &str, value: &str) -> Result<(), String> {
    let (host, shape_ok) = match option {
        "--base-url" => (url_host(value), value.starts_with("https://") || value.starts_with("http://")),
        _ => (email_domain(value), value.contains('@') && !value.contains(char::is_whitespace)),
    };
    if !shape_ok || host.is_empty() {
        return Err(format!("{option} `{value}` is not an address"));
    }
    if is_example_domain(host) {
        return Err(format!("{option} `{value}` is on a reserved example domain ({host})"));
    }
    Ok(())
}

/// The config's public addresses that are on an example domain, each at its
/// line of `config` (the file as shown to the editor); `skip_base_url` and
/// `skip_contact_email` when the command line replaces them. A config that
/// does not parse yields nothing here: the build reports it.
pub fn placeholder_addresses(config: &Path, text: &str, skip_base_url: bool, skip_contact_email: bool) -> Vec<ContentError> {
    let Ok(c) = SiteConfig::parse(config, text) else { return Vec::new() };
    let mut found = Vec::new();
    if !skip_base_url && is_example_domain(url_host(&c.base_url)) {
        found.push(ContentError::new(
            config,
            line_of(text, &["base_url"]),
            1,
            format!(
                "base_url `{}` is on a reserved example domain: every absolute link of the published site (feed, webcal link, .ics files, canonical links, sitemap) would point at it; set the real address here or give --base-url URL",
                c.base_url
            ),
        ));
    }
    if !skip_contact_email && is_example_domain(email_domain(&c.contact.email)) {
        found.push(ContentError::new(
            config,
            line_of(text, &["contact", "email"]),
            1,
            format!(
                "contact.email `{}` is on a reserved example domain: people would write to nowhere; set the real address here or give --contact-email ADDRESS",
                c.contact.email
            ),
        ));
    }
    found
}

/// Line (1-based) of a key of a block-style YAML mapping, following `path`
/// through nested mappings (`["contact", "email"]`); 1 when not found.
fn line_of(text: &str, path: &[&str]) -> usize {
    let mut indent = 0;
    let mut depth = 0;
    for (i, line) in text.lines().enumerate() {
        let content = line.trim_start();
        let this = line.len() - content.len();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if depth > 0 && this < indent {
            return 1; // left the parent's block without finding the key
        }
        let is_key = content.strip_prefix(path[depth]).is_some_and(|r| r.trim_start().starts_with(':'));
        if is_key && (depth == 0 && this == 0 || depth > 0 && this >= indent) {
            depth += 1;
            if depth == path.len() {
                return i + 1;
            }
            indent = this + 1;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_are_recognised() {
        for h in [
            "example",
            "example.com",
            "www.example.org",
            "a.b.example.net",
            "ccg.scalable-cities.example",
            "site.test",
            "x.invalid",
            "localhost",
            "app.localhost",
            "EXAMPLE.COM.",
        ] {
            assert!(is_example_domain(h), "{h}");
        }
        for h in ["ccg.scalable-cities.eu", "myexample.com", "example.com.eu", "examples.org", "testing.eu", "ec.europa.eu", ""] {
            assert!(!is_example_domain(h), "{h}");
        }
    }

    #[test]
    fn hosts_and_domains() {
        assert_eq!(url_host("https://ccg.example/calendar/"), "ccg.example");
        assert_eq!(url_host("webcal://u@ccg.example:8080/calendar.ics"), "ccg.example");
        assert_eq!(url_host("http://[::1]:1111/"), "::1");
        assert_eq!(email_domain("secretariat@ccg.example"), "ccg.example");
        assert!(check_override("--base-url", "https://ccg.scalable-cities.eu").is_ok());
        assert!(check_override("--base-url", "https://ccg.example.org").unwrap_err().contains("example domain"));
        assert!(check_override("--base-url", "ccg.scalable-cities.eu").unwrap_err().contains("not an address"));
        assert!(check_override("--contact-email", "ccg@scalable-cities.eu").is_ok());
        assert!(check_override("--contact-email", "a@b.test").is_err());
        assert!(check_override("--contact-email", "nobody").is_err());
    }

    #[test]
    fn nested_keys_are_found_at_their_line() {
        let t = "title: x\nemail: top\ncontact:\n  # who\n  name: N\n  email: a@b.example\ncalendar:\n  email: no\n";
        assert_eq!(line_of(t, &["contact", "email"]), 6);
        assert_eq!(line_of(t, &["email"]), 2);
        assert_eq!(line_of(t, &["calendar", "name"]), 1);
    }
}
