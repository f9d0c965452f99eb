//! The HTML the forms answer with: small, valid, accessible pages that read
//! well without the site's CSS, and the sentences for each refusal.

use crate::records::{Claim, ClaimStatus, Pending, PendingItem};
use crate::service::confirm::Receipt;
use crate::service::{Form, Forms, messages};
use crate::validate::{self, FieldErrors};
use ccg_model::rules::YearUsage;
use ccg_model::{Refusal, TravelRules};

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `inner`, with a link back to the form's page.
pub fn page<S>(f: &Forms<S>, form: Form, heading: &str, inner: &str) -> String {
    frame(f, heading, inner, (form.form_page(), "Back to the form"))
}

/// The site's frame around `inner`, ending with one link (`back`: site path, label).
pub fn frame<S>(f: &Forms<S>, heading: &str, inner: &str, (back, back_label): (&str, &str)) -> String {
    let site = escape(&f.options.public_url);
    let title = escape(&f.options.site_title);
    let back = escape(&f.page(back));
    let home = escape(&f.page("/"));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{heading} – {title}</title>\n<meta name=\"robots\" content=\"noindex\">\n<link rel=\"stylesheet\" href=\"{site}/style.css\">\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to main content</a>\n\
         <header class=\"site-header\"><div class=\"wrap\"><a class=\"brand\" href=\"{home}\">{title}</a></div></header>\n\
         <main id=\"main\" class=\"wrap form-result\" tabindex=\"-1\">\n<h1>{heading}</h1>\n{inner}\n\
         <p><a href=\"{back}\">{back_label}</a></p>\n</main>\n</body>\n</html>\n",
        heading = escape(heading),
        back_label = escape(back_label),
    )
}

pub fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// Each wrong field with its label and message, in the form's order.
pub fn field_errors(form: Form, errors: &FieldErrors, order: &[&str]) -> String {
    let mut ordered: Vec<(&str, &String)> = errors.0.iter().map(|(k, v)| (*k, v)).collect();
    ordered.sort_by_key(|(k, _)| order.iter().position(|f| f == k).unwrap_or(usize::MAX));
    let items: String =
        ordered.iter().map(|(k, v)| format!("<li><strong>{}</strong>: {}</li>\n", escape(validate::label(k)), escape(v))).collect();
    let what = if form == Form::Register { "registration" } else { "claim" };
    format!(
        "<p>We could not accept your {what} yet. Please correct {}:</p>\n<ul>\n{items}</ul>\n\
         <p>Use your browser's Back button to return to the form with what you typed.</p>",
        if ordered.len() == 1 { "this field" } else { "these fields" }
    )
}

/// A small form that asks for the link again, for `email`.
pub fn resend_form<S>(f: &Forms<S>, form: Form, email: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\">\n<p><label for=\"resend-email\">Email address</label>\n\
         <input id=\"resend-email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"{email}\"></p>\n\
         <p><button type=\"submit\">Send the link again</button></p>\n</form>",
        action = escape(&format!("{}{}/{}/resend", f.options.public_url, f.options.api_base, form.name())),
        email = escape(email),
    )
}

/// The page a link opens: what it confirms, and the button that does it.
pub fn confirm_page<S>(f: &Forms<S>, form: Form, p: &Pending, token: &str) -> (String, String) {
    let cat = f.catalogue();
    let (heading, what) = match &p.item {
        PendingItem::Registration(r) => (
            "Confirm your registration",
            format!(
                "<p>Press Confirm to register these details with the City Coordinators Group (or to replace the details \
                 kept for this address):</p>\n{}",
                facts(&messages::details(r))
            ),
        ),
        PendingItem::Claim(c) => {
            let event = cat.event(&c.event_id).map(|e| e.title.clone()).unwrap_or_else(|| c.event_id.clone());
            (
                "Confirm your travel claim",
                format!(
                    "<p>Press Confirm to send this claim. It counts towards your city's yearly limits from that moment, \
                     if they leave room for it.</p>\n{}",
                    facts(&messages::claim_details(c, &event))
                ),
            )
        }
    };
    let action = escape(&format!("{}{}/{}/confirm", f.options.public_url, f.options.api_base, form.name()));
    let inner = format!(
        "{what}\n<form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"token\" value=\"{}\">\n\
         <p><button type=\"submit\">Confirm</button></p>\n</form>",
        escape(token)
    );
    (heading.to_string(), inner)
}

/// "Label: value" lines as a definition list, which reads well aloud and on a phone.
fn facts(lines: &str) -> String {
    let items: String = lines
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>\n", escape(k), escape(v)))
        .collect();
    format!("<dl class=\"facts\">\n{items}</dl>")
}

/// A claim as it stands, from its link once used: its state, and the button
/// to withdraw it while the secretariat has not approved it.
pub fn claim_page<S>(f: &Forms<S>, c: &Claim, token: &str) -> (String, String) {
    let cat = f.catalogue();
    let event = cat.event(&c.event_id).map(|e| e.title.clone()).unwrap_or_else(|| c.event_id.clone());
    let mut inner = format!(
        "<p>Your claim {} is {}.</p>\n{}",
        escape(&c.id),
        escape(c.status.describe()),
        facts(&format!("Reference: {}\n{}", c.id, messages::claim_details(c, &event)))
    );
    if let (ClaimStatus::Rejected, Some(r)) = (c.status, &c.reason) {
        inner.push_str(&paragraph(&format!("The secretariat's reason: {r}")));
    }
    if let (Some(p), Some(on)) = (c.paid, c.paid_on) {
        inner.push_str(&paragraph(&format!("Paid: {p} on {}.", messages::long_date(on))));
    }
    if c.status == ClaimStatus::Counted {
        let action = escape(&format!("{}{}/travel-claims/withdraw", f.options.public_url, f.options.api_base));
        inner.push_str(&format!(
            "\n<h2>Withdraw the claim</h2>\n<p>If you no longer need the contribution, withdraw the claim: its trip and \
             amount go back to your city for that year. You cannot undo this.</p>\n\
             <form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"token\" value=\"{}\">\n\
             <p><button type=\"submit\">Withdraw this claim</button></p>\n</form>",
            escape(token)
        ));
    }
    ("Your travel claim".to_string(), inner)
}

/// What a leave link opens: what leaving does, with the retention settings
/// the stores apply, and the one button that does it.
pub fn leave_page<S>(f: &Forms<S>, token: &str) -> String {
    let r = &f.options.retention;
    let action = escape(&format!("{}{}/leave", f.options.public_url, f.options.api_base));
    let inner = format!(
        "<p>This link removes you from the City Coordinators Group: the Scalable Cities secretariat stops writing to \
         you, and you can no longer claim travel support for your city unless you join again.</p>\n\
         <p>When you press the button:</p>\n<ul>\n\
         <li>your contact details are deleted at once;</li>\n\
         <li>a travel claim of yours that the secretariat has not decided yet is withdrawn: its trip and amount go back \
         to your city, and the claim is deleted;</li>\n\
         <li>an approved or paid claim is kept without your name and email address, so that its payment keeps its \
         record: this service keeps a paid claim for {paid} years after the payment, and deletes it then.</li>\n</ul>\n\
         <p>You cannot undo this, but you can join again at any time.</p>\n\
         <form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
         <p><button type=\"submit\">Leave the group</button></p>\n</form>\n\
         <p>To stay, close this page: nothing changes.</p>",
        paid = r.paid_claim_years,
        token = escape(token),
    );
    frame(f, "Leave the City Coordinators Group", &inner, ("/", "Back to the home page"))
}

/// After leaving: what went, in words (counts only).
pub fn left_page<S>(f: &Forms<S>, e: &crate::store::Erased) -> String {
    let mut inner = String::from(
        "<p>You have left the City Coordinators Group. Your contact details are deleted, and this link no longer works.</p>\n",
    );
    if e.claims_withdrawn > 0 {
        inner.push_str(&paragraph(&format!(
            "{} claim(s) not decided yet were withdrawn and deleted; their trips and amounts are available to your city again.",
            e.claims_withdrawn
        )));
    }
    if e.claims_kept > 0 {
        inner.push_str(&paragraph(&format!(
            "{} approved or paid claim(s) are kept without your name and email address, for {} years after their payment.",
            e.claims_kept, f.options.retention.paid_claim_years
        )));
    }
    inner.push_str(&paragraph("You are welcome to join again at any time with the join form."));
    frame(f, "You have left the group", &inner, ("/join/", "Join the group"))
}

/// A leave link that no longer works (left already, erased, or never one of ours).
pub fn leave_gone_page<S>(f: &Forms<S>) -> String {
    let inner = paragraph(
        "This link no longer works: the address it was sent to is not a contact of the City Coordinators Group (any \
         more). If you still get emails from us, write to the Scalable Cities secretariat.",
    );
    frame(f, "This link no longer works", &inner, ("/", "Back to the home page"))
}

pub fn receipt(r: &Receipt) -> String {
    format!(
        "<p>Your claim is confirmed and counted. Keep its reference for any question to the Scalable Cities secretariat.</p>\n\
         <dl class=\"facts\">\n<dt>Reference</dt><dd>{id}</dd>\n<dt>Meeting</dt><dd>{event}</dd>\n<dt>City</dt><dd>{city}</dd>\n\
         <dt>Travel</dt><dd>{start} to {end}</dd>\n<dt>Contribution asked for</dt><dd>{amount}</dd>\n\
         <dt>Your city has left for {year}</dt><dd>{trips} trip(s), {euros}</dd>\n</dl>",
        id = escape(&r.claim.id),
        event = escape(&r.event_title),
        city = escape(&r.claim.city),
        start = messages::long_date(r.claim.travel_start),
        end = messages::long_date(r.claim.travel_end),
        amount = r.claim.amount,
        year = r.claim.year,
        trips = r.remaining.trips,
        euros = r.remaining.amount,
    )
}

/// The human sentence for a refusal, with the limits from the rules.
pub fn refusal_message(r: Refusal, rules: &TravelRules, year: Option<(i16, YearUsage)>) -> String {
    match r {
        Refusal::CityNotEligible => "Your city does not qualify for a travel contribution for this meeting: the contribution is for the \
             SCC cities listed on the financial support page, judged on the date of the meeting."
            .into(),
        Refusal::EventNotEligible => {
            let formats: Vec<&str> = rules.eligible_formats.iter().map(|f| f.label()).collect();
            format!(
                "This meeting is not eligible: travel contributions are only for CCG meetings of this format: {}, announced by the secretariat and not cancelled.",
                formats.join(", ").to_lowercase()
            )
        }
        Refusal::ClaimsNotOpen => format!(
            "This meeting does not take claims today: this form takes claims for a meeting from the day it is announced until {} days after it ends.",
            rules.claim_form.days_after_meeting
        ),
        Refusal::OverPerTrip => format!("The amount is over the limit of {} per trip. Please ask for {} or less.", rules.max_per_trip, rules.max_per_trip),
        Refusal::OverYearlyTrips => match year {
            Some((y, _)) => format!("Your city has already had its {} trips for {y}.", rules.max_trips_per_year),
            None => format!("Your city has already had its {} trips for the year of this meeting.", rules.max_trips_per_year),
        },
        Refusal::OverYearlyAmount => match year {
            Some((y, used)) => format!(
                "This amount would take your city over its limit of {} for {y}: it has {} left.",
                rules.max_per_year,
                rules.remaining(used).amount
            ),
            None => format!("This amount would take your city over its yearly limit of {}.", rules.max_per_year),
        },
        Refusal::AlreadyClaimed => "You already have a travel contribution for this meeting: one person receives at most one per meeting.".into(),
        Refusal::NotRepresentative => {
            "This address is no longer an approved representative of the city, so the claim cannot count. Write to the Scalable Cities secretariat.".into()
        }
    }
}
