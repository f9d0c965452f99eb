//! The HTML the forms answer with: small, valid, accessible pages that read
//! well without the site's CSS, and the sentences for each refusal.

use super::frame::{AnswerPage, Back};
use crate::records::{Claim, ClaimStatus, DraftClaim, Pending, PendingItem};
use crate::service::confirm::Receipt;
use crate::service::{Form, Forms, messages};
use ccg_model::rules::YearUsage;
use ccg_model::{Cents, Refusal, TravelRules};

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

/// A small page of its own around `inner`, ending with one link (`back`: site
/// path, label): only for when the site's templates fail (see `answer::framed`).
pub fn fallback<S>(f: &Forms<S>, heading: &str, inner: &str, (back, back_label): (&str, &str)) -> String {
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

/// An answer page of a heading, some HTML and a link under it, in the site's frame.
fn answer(heading: &str, body: String, (url, text): (&str, &str)) -> AnswerPage {
    AnswerPage {
        title: heading.to_string(),
        heading: heading.to_string(),
        body,
        url: url.to_string(),
        back: Some(Back { url: url.to_string(), text: text.to_string() }),
        ..AnswerPage::default()
    }
}

pub fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// The page a link opens: what it confirms, and the button that does it.
pub fn confirm_page<S>(f: &Forms<S>, form: Form, p: &Pending, used: Option<YearUsage>, token: &str) -> (String, String) {
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
            let rules = &cat.rules;
            let left = used.map(|u| rules.remaining(u)).unwrap_or_default();
            let outcome = match used.map(|u| rules.count(u, c.amount)) {
                Some(Ok((amount, _))) if amount < c.amount => {
                    format!("Your city has {} left for {}, less than you ask for: if you confirm now, your contribution is {amount}.", left.amount, c.year)
                }
                Some(Ok((amount, _))) => format!(
                    "Your city has {} and {} left for {}: if you confirm now, your contribution is {amount}.",
                    messages::trips(left.trips),
                    left.amount,
                    c.year
                ),
                Some(Err(_)) => format!(
                    "Your city has no trip or no euro left for {} at the moment: the claim cannot count unless another claim of your city is withdrawn or rejected.",
                    c.year
                ),
                None => String::new(),
            };
            (
                "Confirm your travel claim",
                format!(
                    "<p>Press Confirm to send this claim. It counts towards your city's yearly limits from that moment.</p>\n{}\n{}",
                    claim_facts(c, &event, rules.max_per_trip, "Contribution asked for"),
                    paragraph(&outcome)
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
    let items: String = lines.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>\n", escape(k), escape(v))).collect();
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
        facts(&format!("Reference: {}\n{}", c.id, messages::claim_details(&c.draft(), &event)))
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
pub fn leave_page<S>(f: &Forms<S>, token: &str) -> AnswerPage {
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
    answer("Leave the City Coordinators Group", inner, ("/", "Back to the home page"))
}

/// After leaving: what went, in words (counts only).
pub fn left_page<S>(f: &Forms<S>, e: &crate::store::Erased) -> AnswerPage {
    let mut inner = String::from("<p>You have left the City Coordinators Group. Your contact details are deleted, and this link no longer works.</p>\n");
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
    answer("You have left the group", inner, ("/join/", "Join the group"))
}

/// A leave link that no longer works (left already, erased, or never one of ours).
pub fn leave_gone_page() -> AnswerPage {
    let inner = paragraph(
        "This link no longer works: the address it was sent to is not a contact of the City Coordinators Group (any \
         more). If you still get emails from us, write to the Scalable Cities secretariat.",
    );
    answer("This link no longer works", inner, ("/", "Back to the home page"))
}

/// A claim's costs and the contribution they ask for, with why it is less than the costs.
fn claim_facts(c: &DraftClaim, event: &str, max_per_trip: Cents, contribution: &str) -> String {
    let costs = Cents(c.transport.0 + c.accommodation.0);
    let why = if c.amount < costs && c.amount == max_per_trip {
        " (the most paid for one trip)"
    } else if c.amount < costs {
        " (what your city had left for the year)"
    } else {
        ""
    };
    format!(
        "<dl class=\"facts\">\n<dt>Meeting</dt><dd>{event}</dd>\n<dt>City</dt><dd>{city} ({country})</dd>\n\
         <dt>Travel</dt><dd>{start} to {end}</dd>\n<dt>Transport</dt><dd>{transport}</dd>\n<dt>Accommodation</dt><dd>{accommodation}</dd>\n\
         <dt>Your costs</dt><dd>{costs}</dd>\n<dt>{contribution}</dt><dd>{amount}{why}</dd>\n</dl>",
        event = escape(event),
        city = escape(&c.city),
        country = escape(&c.country),
        start = messages::long_date(c.travel_start),
        end = messages::long_date(c.travel_end),
        transport = c.transport,
        accommodation = c.accommodation,
        amount = c.amount,
    )
}

/// The page a confirmed claim leads to: what was counted, what the city has
/// left, and what happens next. It prints on one page (the site's print styles).
pub fn receipt(r: &Receipt, max_per_trip: Cents) -> String {
    let c = &r.claim;
    format!(
        "<p class=\"lead\">Your claim is confirmed and counted. Give its reference with any question to the Scalable Cities secretariat.</p>\n\
         <dl class=\"facts\">\n<dt>Reference</dt><dd>{id}</dd>\n</dl>\n{facts}\n<dl class=\"facts\">\n<dt>Your city has left for {year}</dt><dd>{trips}, {euros}</dd>\n</dl>\n\
         <h2>What happens next</h2>\n<ol>\n<li>The Scalable Cities secretariat reviews your claim. We email you when it is approved or not.</li>\n\
         <li>Once approved, the contribution is paid, and we email you when it is.</li>\n\
         <li>Until the secretariat approves it, you can withdraw the claim with the link in your confirmation email: its trip and amount go back to your city.</li>\n</ol>\n\
         <p class=\"no-print\"><button type=\"button\" data-print hidden>Print this page</button></p>",
        id = escape(&c.id),
        facts = claim_facts(&c.draft(), &r.event_title, max_per_trip, "Contribution"),
        year = c.year,
        trips = messages::trips(r.remaining.trips),
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
        Refusal::OverYearlyTrips => match year {
            Some((y, _)) => format!("Your city has already had its {} trips for {y}.", rules.max_trips_per_year),
            None => format!("Your city has already had its {} trips for the year of this meeting.", rules.max_trips_per_year),
        },
        Refusal::OverYearlyAmount => match year {
            Some((y, used)) => {
                format!("This amount would take your city over its limit of {} for {y}: it has {} left.", rules.max_per_year, rules.remaining(used).amount)
            }
            None => format!("This amount would take your city over its yearly limit of {}.", rules.max_per_year),
        },
        Refusal::AlreadyClaimed => "You already have a travel contribution for this meeting: one person receives at most one per meeting.".into(),
        Refusal::NotRepresentative => {
            "This address is no longer an approved representative of the city, so the claim cannot count. Write to the Scalable Cities secretariat.".into()
        }
    }
}
