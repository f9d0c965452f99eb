//! The emails the forms send, in the site's words: plain text, and the same
//! as simple HTML. No tracking, no images, nothing loaded from elsewhere.

use super::Forms;
use crate::http::escape;
use crate::mail::Email;
use crate::records::{Claim, DraftClaim, Registration};
use ccg_model::rules::YearUsage;

/// Builds both parts from paragraphs; a paragraph that is a bare address becomes a link in HTML.
fn email(to: &str, subject: String, paragraphs: &[String]) -> Email {
    let text = paragraphs.join("\n\n") + "\n";
    let html_body: String = paragraphs
        .iter()
        .map(|p| {
            if p.starts_with("https://") || p.starts_with("http://") {
                format!("<p><a href=\"{0}\">{0}</a></p>\n", escape(p))
            } else {
                format!("<p>{}</p>\n", escape(p).replace('\n', "<br>\n"))
            }
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{html_body}</body>\n</html>\n",
        escape(&subject)
    );
    Email { to: to.to_string(), subject, text, html }
}

/// The last lines of every email to a contact: how to leave the group.
pub fn add_leave_link(mut mail: Email, link: &str) -> Email {
    const SAY: &str = "To leave the City Coordinators Group and stop hearing from us, open this link:";
    mail.text.push_str(&format!("\n{SAY}\n{link}\n"));
    let html = format!("<p>{SAY}<br>\n<a href=\"{0}\">{0}</a></p>\n</body>", escape(link));
    if let Some(at) = mail.html.rfind("</body>") {
        mail.html.replace_range(at..at + "</body>".len(), &html);
    }
    mail
}

/// A registration as "Label: value" lines (the emails and the confirmation page).
pub fn details(r: &Registration) -> String {
    let mut lines = vec![
        format!("Name: {}", r.name),
        format!("Email: {}", r.email),
        format!("City: {} ({})", r.city, r.country),
        format!("Organisation: {}", r.organisation),
        format!("Position: {}", r.position),
    ];
    if let Some(p) = &r.project {
        lines.push(format!("SCC project: {p}"));
    }
    lines.join("\n")
}

pub fn claim_details(c: &DraftClaim, event: &str) -> String {
    [
        format!("Meeting: {event}"),
        format!("City: {} ({})", c.city, c.country),
        format!("Travel: {} to {}", long_date(c.travel_start), long_date(c.travel_end)),
        format!("Transport: {}", c.transport),
        format!("Accommodation: {}", c.accommodation),
        format!("Contribution asked for: {}", c.amount),
    ]
    .join("\n")
}

/// "1 trip", "2 trips"
pub fn trips(n: u32) -> String {
    if n == 1 { "1 trip".into() } else { format!("{n} trips") }
}

pub use ccg_model::words::long_date;

fn sign_off<S>(f: &Forms<S>) -> String {
    format!("{}\n{}", f.options.site_title, f.page("/"))
}

/// To a new address, or to a known one whose details someone asked to change.
pub fn registration<S>(f: &Forms<S>, r: &Registration, known: bool, link: &str) -> Email {
    let hours = f.options.link_hours;
    let (subject, intro, after) = if known {
        (
            "Confirm the change to your contact details".to_string(),
            "Someone sent the City Coordinators Group's join form again with this email address. Your contact details \
             stay as they are unless you confirm the change. The new details would be:"
                .to_string(),
            "If you did not ask for this change, ignore this email: nothing changes.".to_string(),
        )
    } else {
        (
            "Confirm your registration with the City Coordinators Group".to_string(),
            "Thank you for registering with the City Coordinators Group. Please confirm that this is your email \
             address. You sent these details:"
                .to_string(),
            format!(
                "If you did not register, ignore this email: your details are deleted after {hours} hours. Once you \
                 confirm, the Scalable Cities secretariat reviews your registration and admits you as a representative \
                 of your city."
            ),
        )
    };
    email(
        &r.email,
        subject,
        &[
            format!("Hello {},", r.name),
            intro,
            details(r),
            format!("To confirm, open this link within {hours} hours and press the Confirm button:"),
            link.to_string(),
            after,
            sign_off(f),
        ],
    )
}

/// To an approved representative: the claim counts once confirmed.
pub fn claim<S>(f: &Forms<S>, c: &DraftClaim, event: &str, link: &str) -> Email {
    let hours = f.options.link_hours;
    email(
        &c.email,
        "Confirm your travel claim".to_string(),
        &[
            format!("Hello {},", c.name),
            "We received this claim for a travel contribution:".to_string(),
            claim_details(c, event),
            format!(
                "The claim counts only once you confirm it: open this link within {hours} hours and press the Confirm \
                 button. Your city's yearly limits are checked at that moment. Keep this email: the same link then \
                 shows where your claim stands, and lets you withdraw it until the secretariat approves it."
            ),
            link.to_string(),
            format!("If you did not send this claim, ignore this email: it is deleted after {hours} hours and never counts."),
            sign_off(f),
        ],
    )
}

/// To an address that is not an approved representative of a city. Nothing was kept.
pub fn claim_join_first<S>(f: &Forms<S>, to: &str, event: &str) -> Email {
    email(
        to,
        "About your travel claim: join the group first".to_string(),
        &[
            "Hello,".to_string(),
            format!(
                "We received a claim for a travel contribution to \"{event}\" from this email address. Only a city \
                 representative whom the Scalable Cities secretariat has admitted can claim, and this address is not \
                 one yet. We have not kept the claim."
            ),
            "To become your city's representative, register with the join form and confirm your email address; the \
             secretariat then reviews your registration. After that, send the claim again."
                .to_string(),
            f.page("/join/"),
            "If you did not send this claim, ignore this email.".to_string(),
            sign_off(f),
        ],
    )
}

/// To a representative whose city does not qualify for the meeting. Nothing was kept.
pub fn claim_city_not_eligible<S>(f: &Forms<S>, to: &str, name: &str, city: &str, event: &str) -> Email {
    email(
        to,
        "About your travel claim: your city does not qualify".to_string(),
        &[
            format!("Hello {name},"),
            format!(
                "We received your claim for a travel contribution to \"{event}\". You represent {city} in the group, \
                 and {city} does not qualify for a contribution for this meeting: it is for the cities of SCC \
                 lighthouse projects listed on the travel support page, judged on the date of the meeting. We have not \
                 kept the claim."
            ),
            f.page("/financial-support/"),
            "If you think this is a mistake, reply to the Scalable Cities secretariat.".to_string(),
            sign_off(f),
        ],
    )
}

/// To the applicant, when the secretariat decides on their claim.
pub fn decision<S>(f: &Forms<S>, c: &Claim, event: &str, leave: Option<&str>) -> Email {
    use crate::records::ClaimStatus;
    let (subject, what) = match c.status {
        ClaimStatus::Approved => {
            ("Your travel claim is approved".to_string(), "The Scalable Cities secretariat approved your claim. Payment follows.".to_string())
        }
        ClaimStatus::Rejected => (
            "Your travel claim was not accepted".to_string(),
            format!(
                "The Scalable Cities secretariat did not accept your claim, for this reason: {}. Its trip and amount are \
                 available to your city again.",
                c.reason.as_deref().unwrap_or("no reason given").trim_end_matches('.')
            ),
        ),
        ClaimStatus::Paid => (
            "Your travel claim is paid".to_string(),
            format!(
                "The Scalable Cities secretariat paid {} for your claim on {}.",
                c.paid.map(|p| p.to_string()).unwrap_or_default(),
                c.paid_on.map(long_date).unwrap_or_default()
            ),
        ),
        other => (format!("Your travel claim is {}", other.as_str()), format!("Your claim is now {}.", other.describe())),
    };
    let mail = email(&c.email, subject, &[format!("Hello {},", c.name), what, format!("Reference: {}", c.id), claim_details(&c.draft(), event), sign_off(f)]);
    match leave {
        Some(link) => add_leave_link(mail, link),
        None => mail,
    }
}

/// To a person whose registration (or change) was just confirmed: they are a
/// contact now, and this is the first email with the way to leave.
pub fn registered<S>(f: &Forms<S>, r: &Registration, changed: bool) -> Email {
    let (subject, what) = if changed {
        ("Your contact details are changed".to_string(), "You confirmed the change: the City Coordinators Group now has these details for you:")
    } else {
        (
            "You are registered with the City Coordinators Group".to_string(),
            "You confirmed your registration: you are now a contact of the City Coordinators Group, with these details:",
        )
    };
    let mut paragraphs = vec![format!("Hello {},", r.name), what.to_string(), details(r)];
    if !changed {
        paragraphs.push(
            "The Scalable Cities secretariat reviews your registration and admits you as a representative of your city; you \
             will hear from it."
                .to_string(),
        );
    }
    paragraphs.push(sign_off(f));
    email(&r.email, subject, &paragraphs)
}

/// To the secretariat: a registration was confirmed; what it needs to decide.
pub fn new_contact(to: &str, r: &Registration, changed: bool) -> Email {
    let subject = if changed { format!("Contact details changed: {}", r.name) } else { format!("New confirmed registration: {}", r.name) };
    email(
        to,
        subject,
        &[
            if changed {
                "A contact confirmed a change of their details:".to_string()
            } else {
                "A person confirmed their registration with the City Coordinators Group:".to_string()
            },
            details(r),
            format!("City status given: {}", r.city_status),
            "To admit them as their city's representative (the city as the SCC data names it):".to_string(),
            format!("desk --operator \"YOUR NAME\" approve {} --city \"{}\" --country {}", r.email_key, r.city, r.country),
            format!("Or to decline: desk --operator \"YOUR NAME\" decline {} --reason \"...\"", r.email_key),
        ],
    )
}

/// To the secretariat: a claim was confirmed and counted; what it needs to decide.
pub fn new_claim(to: &str, c: &Claim, event: &str, left: &YearUsage) -> Email {
    email(
        to,
        format!("Travel claim to decide: {} for {}", c.amount, c.city),
        &[
            format!("{} ({}) confirmed a travel claim, now counted against {}'s {} limits.", c.name, c.email, c.city, c.year),
            format!("Reference: {}", c.id),
            claim_details(&c.draft(), event),
            format!("{} has left for {}: {}, {}.", c.city, c.year, trips(left.trips), left.amount),
            "To decide:".to_string(),
            format!("desk --operator \"YOUR NAME\" approve-claim {}", c.id),
            format!("desk --operator \"YOUR NAME\" reject-claim {} --reason \"...\"", c.id),
            format!("desk claim {}", c.id),
        ],
    )
}
