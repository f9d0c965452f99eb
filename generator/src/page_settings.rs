//! The settings a page's markdown may quote as `{{ name }}` (see
//! `markdown::fill`): numbers, names and addresses written once, in
//! `config.yaml` or the travel rules.

use ccg_model::SiteConfig;
use ccg_model::rules::TravelRules;

/// `<`, `>`, `&` and quotes as HTML entities: Tera's own escape, the one its
/// templates apply, so serve's pages and the site's escape alike.
pub fn escape_html(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    // Writing into a Vec cannot fail, and the escape keeps UTF-8 intact.
    let _ = tera::escape_html(s, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// "1 year", "5 years"
fn count(n: u32, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

fn mail_link(address: &str) -> String {
    let a = escape_html(address);
    format!("<a href=\"mailto:{a}\">{a}</a>")
}

fn web_link(url: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape_html(url), escape_html(text))
}

/// What the members' directory shows, in words: "name, city and country".
fn directory_fields(d: &ccg_model::site::DirectoryConfig) -> String {
    let words: Vec<String> = d.fields.iter().map(|f| f.label().to_lowercase()).collect();
    match words.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Site settings a page's markdown may quote as `{{ name }}`, so a number
/// or an address that lives in `config.yaml` or the travel rules is written
/// only there. Values are HTML: text escaped, `*_link` ones a link.
pub fn page_settings(config: &SiteConfig, rules: Option<&TravelRules>) -> Vec<(&'static str, String)> {
    let r = &config.retention;
    let p = &config.privacy;
    let mut out = vec![
        ("forms.confirm_link_hours", config.forms.confirm_link_hours.to_string()),
        ("forms.emails_per_address.per_hour", config.forms.emails_per_address.per_hour.to_string()),
        ("forms.emails_per_address.per_day", config.forms.emails_per_address.per_day.to_string()),
        ("sign_in.link_period", ccg_model::words::minutes(config.sign_in.link_minutes)),
        ("sign_in.member_idle_period", ccg_model::words::minutes(config.sign_in.member.idle_minutes)),
        ("sign_in.member_period", ccg_model::words::minutes(config.sign_in.member.absolute_minutes)),
        ("sign_in.staff_idle_period", ccg_model::words::minutes(config.sign_in.staff.idle_minutes)),
        ("sign_in.staff_period", ccg_model::words::minutes(config.sign_in.staff.absolute_minutes)),
        ("directory.fields", directory_fields(&config.directory)),
        (
            "invitations.who",
            if config.invitations.to_confirmed_contacts {
                "every approved representative and every confirmed contact".to_string()
            } else {
                "every approved representative".to_string()
            },
        ),
        ("retention.paid_claim_years", r.paid_claim_years.to_string()),
        ("retention.closed_claim_years", r.closed_claim_years.to_string()),
        ("retention.declined_contact_months", r.declined_contact_months.to_string()),
        ("retention.paid_claim_period", count(r.paid_claim_years, "year")),
        ("retention.closed_claim_period", count(r.closed_claim_years, "year")),
        ("retention.declined_contact_period", count(r.declined_contact_months, "month")),
        ("contact.name", escape_html(&config.contact.name)),
        ("contact.email_link", mail_link(&config.contact.email)),
        ("privacy.controller", escape_html(&p.controller)),
        ("privacy.dpo_name", escape_html(&p.dpo_name)),
        ("privacy.dpo_email_link", mail_link(&p.dpo_email)),
        ("privacy.law_link", web_link(&p.law_url, &p.law)),
        ("privacy.authority", escape_html(&p.authority)),
        ("privacy.authority_link", web_link(&p.authority_url, &p.authority)),
    ];
    if let Some(r) = rules {
        let f = &r.claim_form;
        out.push(("claim_form.days_after_meeting", f.days_after_meeting.to_string()));
        out.push(("claim_form.travel_days_before", f.travel_days_before.to_string()));
        out.push(("claim_form.travel_days_after", f.travel_days_after.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_as_the_templates_do() {
        assert_eq!(super::escape_html(r#"<a href="x">'&'</a> é"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; é");
    }
}
