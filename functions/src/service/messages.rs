//! The emails the forms send, in the site's words: plain text, and the same
//! as simple HTML. No tracking, no images, nothing loaded from elsewhere.
//!
//! The words are templates in `templates/emails/` (a wording change is a
//! template change): each email's `NAME.txt` renders its subject line and its
//! text part; the HTML part is the same paragraphs through `layout.html`,
//! escaped by the template engine. This module only hands them plain data.

use super::{Form, Forms};
use crate::mail::Email;
use crate::records::{Claim, ClaimStatus, Contact, DraftClaim, Registration};
use ccg_model::rules::YearUsage;
use ccg_model::words::long_date;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::LazyLock;
use tera::{Context, Tera};

/// The email templates, compiled into the binary: a deployed function sends the words it was built with.
const TEMPLATES: &[(&str, &str)] = &[
    ("emails/details.txt", include_str!("../../../templates/emails/details.txt")),
    ("emails/claim-details.txt", include_str!("../../../templates/emails/claim-details.txt")),
    ("emails/sign-off.txt", include_str!("../../../templates/emails/sign-off.txt")),
    ("emails/leave-link.txt", include_str!("../../../templates/emails/leave-link.txt")),
    ("emails/registration.txt", include_str!("../../../templates/emails/registration.txt")),
    ("emails/registered.txt", include_str!("../../../templates/emails/registered.txt")),
    ("emails/claim.txt", include_str!("../../../templates/emails/claim.txt")),
    ("emails/new-document.txt", include_str!("../../../templates/emails/new-document.txt")),
    ("emails/claim-join-first.txt", include_str!("../../../templates/emails/claim-join-first.txt")),
    ("emails/claim-city-not-eligible.txt", include_str!("../../../templates/emails/claim-city-not-eligible.txt")),
    ("emails/decision.txt", include_str!("../../../templates/emails/decision.txt")),
    ("emails/receipt.txt", include_str!("../../../templates/emails/receipt.txt")),
    ("emails/representative.txt", include_str!("../../../templates/emails/representative.txt")),
    ("emails/new-contact.txt", include_str!("../../../templates/emails/new-contact.txt")),
    ("emails/new-claim.txt", include_str!("../../../templates/emails/new-claim.txt")),
    ("emails/payment.txt", include_str!("../../../templates/emails/payment.txt")),
    ("emails/sign-in.txt", include_str!("../../../templates/emails/sign-in.txt")),
    ("emails/passkey-changed.txt", include_str!("../../../templates/emails/passkey-changed.txt")),
    ("emails/invitation-meeting.txt", include_str!("../../../templates/emails/invitation-meeting.txt")),
    ("emails/invitation-answer.txt", include_str!("../../../templates/emails/invitation-answer.txt")),
    ("emails/invitation-why.txt", include_str!("../../../templates/emails/invitation-why.txt")),
    ("emails/invitation.txt", include_str!("../../../templates/emails/invitation.txt")),
    ("emails/update.txt", include_str!("../../../templates/emails/update.txt")),
    ("emails/cancellation.txt", include_str!("../../../templates/emails/cancellation.txt")),
    ("emails/invitation-place.txt", include_str!("../../../templates/emails/invitation-place.txt")),
    ("emails/layout.html", include_str!("../../../templates/emails/layout.html")),
    ("emails/paragraph.html", include_str!("../../../templates/emails/paragraph.html")),
];

/// Compiled once; a test renders every one, so a built binary cannot fail here.
static EMAILS: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::new();
    tera.add_raw_templates(TEMPLATES.iter().copied()).expect("the email templates compile");
    tera
});

fn render(name: &str, data: &Value) -> String {
    let ctx = Context::from_serialize(data).expect("an email's data is a map");
    EMAILS.render(name, &ctx).unwrap_or_else(|e| panic!("email template {name}: {e}"))
}

/// One paragraph of the HTML part: its lines, then a link.
#[derive(Serialize)]
struct Paragraph<'a> {
    lines: Vec<&'a str>,
    link: Option<&'a str>,
}

impl<'a> Paragraph<'a> {
    /// A paragraph of the text part; one that is a bare address becomes a link.
    fn of(p: &'a str) -> Paragraph<'a> {
        if p.starts_with("https://") || p.starts_with("http://") {
            Paragraph { lines: Vec::new(), link: Some(p) }
        } else {
            Paragraph { lines: p.split('\n').collect(), link: None }
        }
    }
    fn html(&self) -> String {
        render("emails/paragraph.html", &json!(self))
    }
}

/// Renders `emails/{name}.txt` ("Subject: …", a blank line, then the text
/// part's paragraphs separated by blank lines) into both parts.
fn email(to: &str, name: &str, data: Value) -> Email {
    let out = render(&format!("emails/{name}.txt"), &data);
    let (head, body) = out.split_once("\n\n").unwrap_or((&out, ""));
    let subject = head.strip_prefix("Subject: ").unwrap_or(head).to_string();
    let body = body.trim_end_matches('\n');
    let text = format!("{body}\n");
    let paragraphs: String = body.split("\n\n").map(|p| Paragraph::of(p).html()).collect();
    let html = render("emails/layout.html", &json!({ "subject": subject, "paragraphs": paragraphs }));
    Email { to: to.to_string(), subject, text, html, ..Email::default() }
}

/// The last lines of every email to a contact: how to leave the group.
pub fn add_leave_link(mut mail: Email, link: &str) -> Email {
    let say = render("emails/leave-link.txt", &json!({ "link": link }));
    mail.text.push_str(&format!("\n{say}\n"));
    // The template ends with the link: in HTML the lines before it, then the link itself.
    let before = say.strip_suffix(link).unwrap_or(&say).trim_end_matches('\n');
    let html = Paragraph { lines: before.split('\n').collect(), link: Some(link) }.html();
    if let Some(at) = mail.html.rfind("</body>") {
        mail.html.insert_str(at, &html);
    }
    mail
}

fn registration_data(r: &Registration) -> Value {
    json!({
        "name": r.name, "email": r.email, "email_key": r.email_key, "city": r.city, "country": r.country,
        "organisation": r.organisation, "position": r.position, "project": r.project, "city_status": r.city_status,
    })
}

/// What an email shows of a claim as sent.
fn draft_data(c: &DraftClaim) -> Value {
    json!({
        "id": c.id, "name": c.name, "email": c.email, "city": c.city, "country": c.country, "year": c.year,
        "travel_start": long_date(c.travel_start), "travel_end": long_date(c.travel_end),
        "transport": c.transport.to_string(), "accommodation": c.accommodation.to_string(), "amount": c.amount.to_string(),
    })
}

/// What an email shows of a counted claim: as sent, and where it stands.
fn claim_data(c: &Claim) -> Value {
    let mut data = draft_data(&c.draft());
    // The reference people read out; a claim from before references goes by its id.
    data["reference"] = json!(c.reference_or_id());
    data["status"] = json!(c.status.as_str());
    data["status_described"] = json!(c.status.describe());
    data
}

/// A claim as "Label: value" lines (`desk` prints it too).
pub fn claim_details(c: &DraftClaim, event: &str) -> String {
    render("emails/claim-details.txt", &json!({ "c": draft_data(c), "event": event }))
}

/// What every email to a person ends with: the site's name and address.
fn signed<S>(f: &Forms<S>, mut data: Value) -> Value {
    data["site_title"] = json!(f.options.site_title);
    data["home"] = json!(f.page("/"));
    data
}

/// An email about a meeting (`service::invitations`: `invitation`, `update`,
/// `cancellation`, `invitation-place`), from the data that service makes.
pub fn meeting<S>(f: &Forms<S>, to: &str, template: &str, data: Value) -> Email {
    email(to, template, signed(f, data))
}

/// To a new address, or to a known one whose details someone asked to change.
pub fn registration<S>(f: &Forms<S>, r: &Registration, known: bool, link: &str) -> Email {
    let data = json!({ "r": registration_data(r), "known": known, "hours": f.options.link_hours, "link": link });
    email(&r.email, "registration", signed(f, data))
}

/// A sign-in link, to a member's or the secretariat's address.
pub fn sign_in<S>(f: &Forms<S>, to: &str, name: &str, staff: bool, link: &str) -> Email {
    let data = json!({ "name": name, "staff": staff, "minutes": ccg_model::words::minutes(f.options.sign_in.link_minutes), "link": link });
    email(to, "sign-in", signed(f, data))
}

/// To a person whose passkeys changed (added with `device`, or removed), so a passkey added by someone else is noticed.
pub fn passkey_changed<S>(f: &Forms<S>, to: &str, name: &str, staff: bool, added: Option<&str>, when: jiff::Timestamp) -> Email {
    let when = long_date(jiff::tz::TimeZone::UTC.to_datetime(when).date());
    let data = json!({ "name": name, "staff": staff, "added": added.is_some(), "device": added, "when": when, "account": f.page("/account/") });
    email(to, "passkey-changed", signed(f, data))
}

/// To an approved representative: the claim counts once confirmed.
pub fn claim<S>(f: &Forms<S>, c: &DraftClaim, event: &str, link: &str) -> Email {
    let data = json!({ "c": draft_data(c), "event": event, "hours": f.options.link_hours, "link": link });
    email(&c.email, "claim", signed(f, data))
}

/// To an address that is not an approved representative of a city. Nothing was kept.
pub fn claim_join_first<S>(f: &Forms<S>, to: &str, event: &str) -> Email {
    email(to, "claim-join-first", signed(f, json!({ "event": event, "join_page": f.page(Form::Register.form_page()) })))
}

/// To a representative whose city does not qualify for the meeting. Nothing was kept.
pub fn claim_city_not_eligible<S>(f: &Forms<S>, to: &str, name: &str, city: &str, event: &str) -> Email {
    let data = json!({ "name": name, "city": city, "event": event, "support_page": f.page(Form::TravelClaims.form_page()) });
    email(to, "claim-city-not-eligible", signed(f, data))
}

/// To the applicant, when the secretariat decides on their claim.
pub fn decision<S>(f: &Forms<S>, c: &Claim, event: &str, leave: Option<&str>) -> Email {
    let reason = c.reason.as_deref().unwrap_or("no reason given").trim_end_matches('.');
    let paid = c.paid.map(|p| p.to_string()).unwrap_or_default();
    let paid_on = c.paid_on.map(long_date).unwrap_or_default();
    // A paid claim's reason says why the payment is below the amount asked for.
    let paid_reason = if c.status == ClaimStatus::Paid { c.reason.as_deref().map(|r| r.trim_end_matches('.')) } else { None };
    // What the secretariat needs to pay is said once it matters: when the claim is approved.
    let payment = if c.status == ClaimStatus::Approved { f.catalogue().rules.payment.published() } else { ccg_model::Payment::default() };
    let data =
        json!({ "c": claim_data(c), "event": event, "reason": reason, "paid": paid, "paid_on": paid_on, "paid_reason": paid_reason, "payment": payment });
    let mail = email(&c.email, "decision", signed(f, data));
    match leave {
        Some(link) => add_leave_link(mail, link),
        None => mail,
    }
}

/// To the claimant, when their claim is confirmed and counted: its reference,
/// the contribution counted, what the city has left and what happens next.
pub fn receipt<S>(f: &Forms<S>, c: &Claim, event: &str, left: &YearUsage) -> Email {
    let rules = &f.catalogue().rules;
    let data = json!({
        "c": claim_data(c), "event": event, "counted": true, "left_trips": left.trips, "left_amount": left.amount.to_string(),
        "payment": rules.payment.published(), "documents": rules.documents.is_some(),
    });
    email(&c.email, "receipt", signed(f, data))
}

/// To a contact, when the secretariat approves them as the representative of
/// `city` (`Some`), or declines them (`None`; `withdrawn` when they were a
/// representative until then), with the reason when one was given.
pub fn representative<S>(f: &Forms<S>, contact: &Contact, city: Option<&str>, withdrawn: bool, reason: Option<&str>) -> Email {
    let data = json!({
        "name": contact.details.name, "approved": city.is_some(), "city": city, "withdrawn": withdrawn,
        "reason": reason.map(|r| r.trim().trim_end_matches('.')).filter(|r| !r.is_empty()),
        "support_page": f.page(Form::TravelClaims.form_page()),
        "kept_months": f.options.retention.declined_contact_months,
    });
    email(&contact.details.email, "representative", signed(f, data))
}

/// To a person whose registration (or change) was just confirmed: they are a
/// contact now, and this is the first email with the way to leave.
pub fn registered<S>(f: &Forms<S>, r: &Registration, changed: bool) -> Email {
    email(&r.email, "registered", signed(f, json!({ "r": registration_data(r), "changed": changed })))
}

/// To the secretariat: a registration was confirmed; what it needs to decide.
/// `desk` is the desk's address (`Forms::desk_base`): the email links to the page where the decision is made.
pub fn new_contact(to: &str, desk: &str, r: &Registration, changed: bool) -> Email {
    let page = format!("{desk}/desk/people/{}/", crate::store::person_key(&r.email_key));
    email(to, "new-contact", json!({ "r": registration_data(r), "changed": changed, "page": page }))
}

/// To the secretariat: a claim was confirmed and counted; what it needs to decide.
pub fn new_claim(to: &str, desk: &str, c: &Claim, event: &str, left: &YearUsage) -> Email {
    let page = format!("{desk}/desk/claims/{}/", c.reference_or_id());
    let data = json!({ "c": claim_data(c), "event": event, "left_trips": left.trips, "left_amount": left.amount.to_string(), "page": page });
    email(to, "new-claim", data)
}

/// To the secretariat: a document added to claim `c`, which now has `count`.
pub fn new_document(to: &str, desk: &str, c: &Claim, d: &crate::records::Document, count: usize) -> Email {
    let doc = json!({ "file_name": d.file_name, "type": d.kind.label(), "size": ccg_model::words::file_size(d.size) });
    let page = format!("{desk}/desk/claims/{}/", c.reference_or_id());
    email(to, "new-document", json!({ "c": claim_data(c), "d": doc, "count": count, "page": page }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ClaimStatus;
    use crate::service::Options;
    use ccg_model::Cents;
    use std::sync::Arc;

    fn forms() -> Forms<()> {
        let options = Options { public_url: "https://h".into(), ..Options::default() };
        Forms::new((), Arc::new(crate::mail::outbox::Outbox::new("unused")), crate::embedded::catalogue().unwrap(), options)
    }

    fn person() -> Registration {
        Registration {
            email_key: "ann@example.org".into(),
            name: "Ann <O'Neil>".into(),
            email: "ann@example.org".into(),
            city: "Porto".into(),
            country: "PT".into(),
            organisation: "City & Co".into(),
            position: "Lead".into(),
            city_status: "lighthouse".into(),
            project: None,
            listed: false,
        }
    }

    #[test]
    fn the_html_part_escapes_what_the_text_part_keeps_as_sent() {
        let link = "https://h/api/register/confirm?token=a.b";
        let m = registration(&forms(), &person(), false, link);
        assert_eq!(m.subject, "Confirm your registration with the City Coordinators Group");
        assert!(m.text.starts_with("Hello Ann <O'Neil>,\n\nThank you"), "{}", m.text);
        assert!(m.text.contains("\nOrganisation: City & Co\nPosition: Lead\n\nTo confirm"), "{}", m.text);
        assert!(m.html.contains("<p>Hello Ann &lt;O&#39;Neil&gt;,</p>\n"), "{}", m.html);
        assert!(m.html.contains("<p>Name: Ann &lt;O&#39;Neil&gt;<br>\nEmail: ann@example.org<br>\n"), "{}", m.html);
        assert!(m.html.contains(&format!("<p><a href=\"{link}\">{link}</a></p>\n")), "a bare address is a link");
        let m = add_leave_link(m, "https://h/api/leave?token=c.d");
        assert!(m.text.ends_with("\n\nTo leave the City Coordinators Group and stop hearing from us, open this link:\nhttps://h/api/leave?token=c.d\n"));
        let tail = "open this link:<br>\n<a href=\"https://h/api/leave?token=c.d\">https://h/api/leave?token=c.d</a></p>\n</body>\n</html>\n";
        assert!(m.html.ends_with(tail), "{}", m.html);
    }

    fn claim_fixture() -> Claim {
        Claim {
            id: "clm_1".into(),
            name: "Bob".into(),
            email: "bob@example.org".into(),
            email_key: "bob@example.org".into(),
            city: "Porto".into(),
            city_key: "PT:porto".into(),
            country: "PT".into(),
            event_id: "e".into(),
            year: 2026,
            travel_start: jiff::civil::date(2026, 3, 1),
            travel_end: jiff::civil::date(2026, 3, 3),
            amount: Cents(45000),
            transport: Cents(30000),
            accommodation: Cents(15000),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            confirmed_at: None,
            status: ClaimStatus::Counted,
            link_id: String::new(),
            link_hashes: Vec::new(),
            reason: None,
            paid: None,
            paid_on: None,
            contribution_key: String::new(),
            reference: None,
        }
    }

    #[test]
    fn every_email_renders() {
        let f = forms();
        let r = person();
        let c = claim_fixture();
        let mut mails = vec![
            registration(&f, &r, true, "https://h/l"),
            registered(&f, &r, false),
            registered(&f, &r, true),
            new_contact("desk@h", "https://site.example", &r, false),
            claim(&f, &c.draft(), "Meeting", "https://h/l"),
            claim_join_first(&f, "x@h", "Meeting"),
            claim_city_not_eligible(&f, "x@h", "Bob", "Porto", "Meeting"),
            new_claim("desk@h", "https://site.example", &c, "Meeting", &YearUsage { trips: 1, amount: Cents(100) }),
            receipt(&f, &c, "Meeting", &YearUsage { trips: 1, amount: Cents(100) }),
            sign_in(&f, "x@h", "Ana", false, "https://h/sign-in/link?token=t"),
            sign_in(&f, "x@h", "Ana", true, "https://h/sign-in/link?token=t"),
            passkey_changed(&f, "x@h", "Ana", true, Some("Chrome on Linux"), jiff::Timestamp::UNIX_EPOCH),
            passkey_changed(&f, "x@h", "Ana", false, None, jiff::Timestamp::UNIX_EPOCH),
        ];
        let contact = Contact {
            details: r.clone(),
            status: crate::records::ContactStatus::Approved,
            city_key: Some("PT:porto".into()),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            version: 1,
            expires_at: None,
        };
        for (city, withdrawn, reason) in [(Some("Porto"), false, None), (None, false, None), (None, true, Some("moved")), (None, false, Some(" "))] {
            mails.push(representative(&f, &contact, city, withdrawn, reason));
        }
        mails.push(decision(&f, &Claim { status: ClaimStatus::Paid, paid: Some(Cents(100)), reason: Some("why".into()), ..c.clone() }, "M", None));
        for status in ClaimStatus::ALL {
            mails.push(decision(&f, &Claim { status, ..c.clone() }, "Meeting", Some("https://h/leave")));
        }
        for m in mails {
            assert!(!m.subject.is_empty() && !m.subject.contains('\n'), "{m:?}");
            assert!(m.text.ends_with('\n') && !m.text.ends_with("\n\n"), "{m:?}");
            let mut title = Vec::new();
            tera::escape_html(&m.subject, &mut title).unwrap();
            assert!(m.html.contains(&format!("<title>{}</title>", String::from_utf8(title).unwrap())), "{m:?}");
        }
        assert_eq!(
            new_claim("desk@h", "https://site.example", &c, "M", &YearUsage { trips: 1, amount: Cents(100) }).text.lines().nth(11),
            Some("Porto has left for 2026: 1 trip, 1 EUR.")
        );
    }

    #[test]
    fn a_claim_link_confirms_once_then_shows_the_claim() {
        let f = forms();
        let c = Claim { id: "clm_1".into(), ..claim_fixture() };
        let m = claim(&f, &c.draft(), "Meeting", "https://h/l");
        let p = m.text.split("\n\n").find(|p| p.contains("confirm")).unwrap();
        assert!(p.contains("The link confirms the claim once; after that, it shows where your claim stands, and lets you withdraw the claim until the secretariat approves it."), "{p}");
        assert!(!m.text.contains("works once") && m.text.matches("where your claim stands").count() == 1, "said once: {}", m.text);
    }

    #[test]
    fn the_decisions_say_what_was_decided() {
        let f = forms();
        let contact = Contact {
            details: person(),
            status: crate::records::ContactStatus::Approved,
            city_key: Some("PT:porto".into()),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
            version: 1,
            expires_at: None,
        };
        let m = representative(&f, &contact, Some("Porto"), false, None);
        assert_eq!(m.subject, "You are approved as the representative of Porto");
        assert!(m.text.contains("under the rules on this page:\n\nhttps://h/financial-support/\n\nCity Coordinators Group\nhttps://h/\n"), "{}", m.text);
        let m = representative(&f, &contact, None, false, Some("  "));
        assert_eq!(m.subject, "You are not approved as a representative in the City Coordinators Group");
        assert!(
            m.text.contains("did not approve you as the representative of a city in the City Coordinators Group. You cannot ask"),
            "a blank reason is none: {}",
            m.text
        );
        assert!(m.text.contains("We keep your contact details for 6 months after this decision, then delete them."), "{}", m.text);
        let paid = Claim { status: ClaimStatus::Paid, paid: Some(Cents(40000)), paid_on: Some(jiff::civil::date(2027, 4, 2)), ..claim_fixture() };
        let m = decision(&f, &paid, "M", None);
        assert!(m.text.contains("paid 400 EUR for your claim on 2 April 2027.\n"), "no reason, no sentence: {}", m.text);
        let m = decision(&f, &Claim { reason: Some("Train only.".into()), ..paid }, "M", None);
        assert!(m.text.contains("That is less than the 450 EUR asked for, for this reason: Train only.\n"), "{}", m.text);
        let numbered = Claim { reference: Some("CCG-2026-0042".into()), ..claim_fixture() };
        let m = receipt(&f, &numbered, "Meeting", &YearUsage { trips: 1, amount: Cents(45000) });
        assert_eq!(m.subject, "Your travel claim CCG-2026-0042 is confirmed");
        assert!(!m.text.contains("clm_1"), "the reference, not the internal id: {}", m.text);
        let m = decision(&f, &Claim { status: ClaimStatus::Approved, ..numbered.clone() }, "M", None);
        assert!(m.text.contains("Reference: CCG-2026-0042\n"), "{}", m.text);
        let m = new_claim("desk@h", "https://site.example", &numbered, "M", &YearUsage { trips: 1, amount: Cents(100) });
        assert!(m.text.contains("Reference: CCG-2026-0042 (clm_1)\n") && m.text.contains("https://site.example/desk/claims/CCG-2026-0042/\n"), "{}", m.text);
        // A claim from before references goes by its id.
        let m = receipt(&f, &claim_fixture(), "Meeting", &YearUsage { trips: 1, amount: Cents(45000) });
        assert!(
            m.text.contains("Reference: clm_1\n") && m.text.contains("Contribution counted: 450 EUR\n") && m.text.contains("1 trip, 450 EUR."),
            "{}",
            m.text
        );
    }

    #[test]
    fn the_secretariat_hears_of_a_document_by_the_claims_reference() {
        use crate::records::{Document, DocumentKind};
        let c = Claim { reference: Some("CCG-2026-0042".into()), ..claim_fixture() };
        let d = Document {
            claim_id: c.id.clone(),
            id: "doc_1".into(),
            file_name: "hotel invoice.pdf".into(),
            kind: DocumentKind::Pdf,
            size: 250_000,
            uploaded_at: "2026-03-20T10:00:00Z".parse().unwrap(),
        };
        let m = new_document("desk@h", "https://site.example", &c, &d, 2);
        assert_eq!(m.subject, "Document added to travel claim CCG-2026-0042");
        assert!(m.text.contains("Bob added a supporting document to the travel claim CCG-2026-0042 ("), "{}", m.text);
        assert!(m.text.contains("hotel invoice.pdf (PDF, ") && m.text.contains("The claim has 2 documents."), "{}", m.text);
        assert!(m.text.contains("https://site.example/desk/claims/CCG-2026-0042/\n") && !m.text.contains("desk files"), "{}", m.text);
    }

    #[test]
    fn the_receipt_says_documents_can_be_added_only_when_the_form_takes_them() {
        let f = forms();
        let used = YearUsage { trips: 1, amount: Cents(45000) };
        let m = receipt(&f, &claim_fixture(), "Meeting", &used);
        assert!(
            m.text.contains("3. You can add supporting documents")
                && m.text.contains("4. Until the secretariat approves it, you can withdraw the claim with the same link."),
            "{}",
            m.text
        );
        let mut cat = (*f.catalogue()).clone();
        cat.rules.documents = None;
        f.set_catalogue(cat);
        let m = receipt(&f, &claim_fixture(), "Meeting", &used);
        assert!(!m.text.contains("documents") && m.text.contains("3. Until the secretariat approves it, you can withdraw the claim: the link"), "{}", m.text);
    }
}
