//! The secretariat's desk in the browser, under `/desk/`: the day's work,
//! people, claims, usage, meetings, exports, the history and the staff.
//! Reading needs a staff session; every change is a POST (behind the
//! same-origin check of `http::account`) that also needs a passkey used
//! within `sign_in.decide_within_minutes` (`decide::session::may_decide`),
//! goes through the services `desk` uses on the command line, and answers
//! with a redirect to the record's page, which says what changed and shows
//! the history line written (post/redirect/get).
//!
//! A person is named in addresses by their person key (`store::person_key`),
//! never by their address, so no address reaches an access log.

mod claims;
mod documents;
mod exports;
mod history;
mod meetings;
mod people;
pub(super) mod staff;
mod today;
pub(super) mod usage;

use super::App;
use super::answer::framed;
use super::frame::{AnswerPage, Back, Body};
use super::signed_in::{Req, message};
use crate::records::{AuditEntry, Claim};
use crate::routes::Form;
use crate::service::account::SignedIn;
use crate::store::Store;
use bytes::Bytes;
use ccg_forms::decide::session::MayDecide;
use ccg_model::words::long_date;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// One page or action of the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DeskPage {
    Today,
    /// The first page's buttons (JSON too, documented in openapi.yaml): approve or reject a claim.
    Decide,
    People,
    Person(String),
    PersonAct(String, people::Act),
    Claims,
    Claim(String),
    ClaimAct(String, claims::Act),
    Document(String, String),
    Usage,
    City(String),
    Meetings,
    Meeting(String),
    MeetingCsv(String),
    /// The meeting's "Send invitations" button: one batch of its round.
    MeetingInvite(String),
    MeetingInvitationsCsv(String),
    Exports,
    Export(String),
    History,
    Staff(staff::Ask),
    /// The members' repository: its list (with the form that uploads a new
    /// document's file to the bucket), the page the bucket sends the browser
    /// back to (what arrived, the details), adding, a document's page, the
    /// page after a replacement file's upload, replacing or removing it.
    Shared,
    SharedNew,
    SharedAdd,
    SharedDoc(String),
    SharedReplacement(String),
    SharedAct(String, documents::Act),
}

impl DeskPage {
    /// The desk's page at a path under `/desk` (a trailing slash is fine either way).
    pub fn parse(path: &str) -> Option<DeskPage> {
        let rest = path.strip_prefix("/desk")?;
        // "/deskx" is another address, not the desk's first page.
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let rest = rest.trim_end_matches('/');
        let parts: Vec<&str> = rest.split('/').skip(1).collect();
        let one = |s: &str| (!s.is_empty() && s.len() <= 200).then(|| s.to_string());
        Some(match parts.as_slice() {
            [] => DeskPage::Today,
            ["claims", "decide"] => DeskPage::Decide,
            ["people"] => DeskPage::People,
            ["people", p] => DeskPage::Person(one(p)?),
            ["people", p, act] => DeskPage::PersonAct(one(p)?, people::Act::parse(act)?),
            ["claims"] => DeskPage::Claims,
            ["claims", c] => DeskPage::Claim(one(c)?),
            ["claims", c, act] => DeskPage::ClaimAct(one(c)?, claims::Act::parse(act)?),
            ["claims", c, "documents", d] => DeskPage::Document(one(c)?, one(d)?),
            ["usage"] => DeskPage::Usage,
            ["usage", city] => DeskPage::City(one(&percent_decoded(city))?),
            ["meetings"] => DeskPage::Meetings,
            ["meetings", m] => DeskPage::Meeting(one(m)?),
            ["meetings", m, "claims.csv"] => DeskPage::MeetingCsv(one(m)?),
            ["meetings", m, "invite"] => DeskPage::MeetingInvite(one(m)?),
            ["meetings", m, "invitations.csv"] => DeskPage::MeetingInvitationsCsv(one(m)?),
            ["exports"] => DeskPage::Exports,
            ["exports", file] => DeskPage::Export(one(file.strip_suffix(".csv")?)?),
            ["history"] => DeskPage::History,
            ["documents"] => DeskPage::Shared,
            ["documents", "new"] => DeskPage::SharedNew,
            ["documents", "add"] => DeskPage::SharedAdd,
            ["documents", d] => DeskPage::SharedDoc(one(d)?),
            ["documents", d, "replacement"] => DeskPage::SharedReplacement(one(d)?),
            ["documents", d, act] => DeskPage::SharedAct(one(d)?, documents::Act::parse(act)?),
            ["staff"] => DeskPage::Staff(staff::Ask::List),
            ["staff", "add"] => DeskPage::Staff(staff::Ask::Add),
            ["staff", "remove"] => DeskPage::Staff(staff::Ask::Remove),
            _ => return None,
        })
    }

    /// Whether the page changes something (a POST), or shows something (GET, HEAD).
    fn changes(&self) -> bool {
        matches!(
            self,
            DeskPage::Decide
                | DeskPage::PersonAct(..)
                | DeskPage::ClaimAct(..)
                | DeskPage::MeetingCsv(_)
                | DeskPage::MeetingInvite(_)
                | DeskPage::MeetingInvitationsCsv(_)
                | DeskPage::Export(_)
                | DeskPage::Staff(staff::Ask::Add | staff::Ask::Remove)
                | DeskPage::SharedAdd
                | DeskPage::SharedAct(..)
        )
    }

    pub fn allow(&self) -> &'static str {
        if self.changes() { "POST" } else { "GET, HEAD" }
    }
}

/// `%3A` and the like in a path segment (a city key's colon, as a browser may send it).
fn percent_decoded(s: &str) -> String {
    crate::decode::decode(crate::decode::BodyKind::Form, format!("v={s}").as_bytes()).ok().and_then(|f| f.get("v").cloned()).unwrap_or_default()
}

pub(super) async fn answer<S: Store>(app: &App<S>, page: DeskPage, req: &Req<'_>, who: &SignedIn, get: bool, body: &Bytes) -> Response<Bytes> {
    if !who.is_staff() {
        return message(app, req.json, StatusCode::FORBIDDEN, "For the secretariat only", "This page is for the Scalable Cities Secretariat.");
    }
    if get == page.changes() {
        let mut r = message(app, req.json, StatusCode::METHOD_NOT_ALLOWED, "Not here", "This address does not take this kind of request.");
        r.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static(page.allow()));
        return r;
    }
    if page.changes() {
        match app.forms.may_decide(who) {
            MayDecide::Yes => {}
            needs => return step_up(app, req, needs),
        }
    }
    let q = Query(req.parts.uri.query().unwrap_or("").to_string());
    match page {
        DeskPage::Today => today::page(app, req, who, &q).await,
        DeskPage::Decide => today::decide(app, req, who, body).await,
        DeskPage::People => people::list(app, req, who, &q).await,
        DeskPage::Person(p) => people::page(app, req, who, &p, &q, None).await,
        DeskPage::PersonAct(p, act) => people::act(app, req, who, &p, act, body).await,
        DeskPage::Claims => claims::list(app, req, who, &q).await,
        DeskPage::Claim(c) => claims::page(app, req, who, &c, &q, None).await,
        DeskPage::ClaimAct(c, act) => claims::act(app, req, who, &c, act, body).await,
        DeskPage::Document(c, d) => claims::document(app, req, &c, &d, &q).await,
        DeskPage::Usage => usage::page(app, req, who, &q).await,
        DeskPage::City(c) => usage::city(app, req, who, &c, &q).await,
        DeskPage::Meetings => meetings::list(app, req, who).await,
        DeskPage::Meeting(m) => meetings::page(app, req, who, &m, &q).await,
        DeskPage::MeetingCsv(m) => meetings::csv(app, req, who, &m).await,
        DeskPage::MeetingInvite(m) => meetings::invite(app, req, who, &m).await,
        DeskPage::MeetingInvitationsCsv(m) => meetings::invitations_csv(app, req, who, &m).await,
        DeskPage::Exports => exports::page(app, req, who).await,
        DeskPage::Export(what) => exports::download(app, req, who, &what, body).await,
        DeskPage::History => history::page(app, req, who, &q).await,
        DeskPage::Staff(ask) => staff::answer(app, ask, req, who, body).await,
        DeskPage::Shared => documents::list(app, req, who, &q).await,
        DeskPage::SharedNew => documents::arrived(app, req, who, &q).await,
        DeskPage::SharedAdd => documents::add(app, req, who, body).await,
        DeskPage::SharedDoc(d) => documents::page(app, req, who, &d, &q).await,
        DeskPage::SharedReplacement(d) => documents::replacement(app, req, who, &d, &q).await,
        DeskPage::SharedAct(d, act) => documents::act(app, req, who, &d, act, body).await,
    }
}

/// A page's query string, read field by field.
pub(super) struct Query(pub(super) String);

impl Query {
    pub fn new(query: &str) -> Query {
        Query(query.to_string())
    }

    /// A field, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        super::query_param(&self.0, name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }
}

/// A decision refused for want of a (recent) passkey: what to do instead. Nothing changed.
pub(super) fn step_up<S: Store>(app: &App<S>, req: &Req<'_>, needs: MayDecide) -> Response<Bytes> {
    let again = needs == MayDecide::PasskeyAgain;
    let minutes = ccg_model::words::minutes(app.forms.options.sign_in.decide_within_minutes);
    if req.json {
        let reason = if again { "passkey_again" } else { "passkey_needed" };
        return super::answer::json_response(StatusCode::FORBIDDEN, &json!({"reason": reason, "error": "Deciding needs your passkey. Nothing was changed."}));
    }
    let heading = "Confirm it is you with your passkey";
    let page = AnswerPage {
        title: heading.into(),
        heading: heading.into(),
        body: Body::new("answers/step-up.html", json!({"needs": if again { "again" } else { "passkey" }, "minutes": minutes})),
        url: "/desk/".into(),
        back: Some(Back { url: "/desk/".into(), text: "Back to the desk".into() }),
        passkey: true,
        ..AnswerPage::default()
    };
    framed(app, StatusCode::FORBIDDEN, Form::Register, page)
}

/// The desk's sections, in the order of its menu: (path, name).
const SECTIONS: [(&str, &str); 9] = [
    ("/desk/", "Today"),
    ("/desk/people/", "People"),
    ("/desk/claims/", "Claims"),
    ("/desk/usage/", "Usage"),
    ("/desk/meetings/", "Meetings"),
    ("/desk/documents/", "Documents"),
    ("/desk/exports/", "Exports"),
    ("/desk/history/", "History"),
    ("/desk/staff/", "Staff"),
];

/// A desk page: the desk's menu (`section` marked), then `template` with `data`
/// (and `may_decide`, `step_up`, `minutes` for the actions' notices).
pub(super) fn render<S: Store>(
    app: &App<S>,
    who: &SignedIn,
    status: StatusCode,
    section: &str,
    heading: &str,
    template: &'static str,
    mut data: Value,
) -> Response<Bytes> {
    let f = &app.forms;
    let may = f.may_decide(who);
    let sections: Vec<Value> = SECTIONS.iter().map(|(url, name)| json!({"url": url, "name": name, "current": *url == section})).collect();
    if let Value::Object(m) = &mut data {
        m.insert("sections".into(), json!(sections));
        m.insert("may_decide".into(), json!(may == MayDecide::Yes));
        m.insert("step_up".into(), json!(if may == MayDecide::PasskeyAgain { "again" } else { "passkey" }));
        m.insert("minutes".into(), json!(ccg_model::words::minutes(f.options.sign_in.decide_within_minutes)));
    }
    let page = AnswerPage {
        title: if status.is_success() { heading.to_string() } else { format!("Error: {heading}") },
        heading: heading.to_string(),
        body: Body::new(template, data),
        url: "/desk/".into(),
        passkey: true,
        stylesheet: Some("/desk.css"),
        ..AnswerPage::default()
    };
    framed(app, status, Form::Register, page)
}

/// The years a desk filter offers, newest first: the meetings' and this one.
pub(super) fn years<S: Store>(app: &App<S>) -> Vec<i16> {
    let mut years: Vec<i16> = app.forms.catalogue().events.iter().map(|e| e.claim_year()).collect();
    years.push(app.forms.today().year());
    years.sort_unstable();
    years.dedup();
    years.reverse();
    years
}

/// A desk page saying there is no such record.
pub(super) fn not_found<S: Store>(app: &App<S>, who: &SignedIn, section: &str, what: &str) -> Response<Bytes> {
    render(app, who, StatusCode::NOT_FOUND, section, "Not found", "answers/desk-message.html", json!({"message": what}))
}

/// The day an instant falls on, in words ("16 March 2027", UTC).
pub(super) fn day(t: jiff::Timestamp) -> String {
    long_date(jiff::tz::TimeZone::UTC.to_datetime(t).date())
}

/// How long something has waited since `t`: "today", "1 day", "12 days".
pub(super) fn age(now: jiff::Timestamp, t: jiff::Timestamp) -> String {
    let days = (now.as_second() - t.as_second()).max(0) / 86_400;
    match days {
        0 => "since today".into(),
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

/// A claim as the desk's lists show it.
pub(super) fn claim_row<S: Store>(app: &App<S>, c: &Claim, now: jiff::Timestamp) -> Value {
    let cat = app.forms.catalogue();
    let event = cat.event(&c.event_id).map_or(c.event_id.clone(), |e| e.title.clone());
    let at = c.confirmed_at.unwrap_or(c.created_at);
    json!({
        "id": c.id, "reference": c.reference_or_id(), "url": claim_url(c), "name": c.name, "city": c.city, "country": c.country,
        "event": event, "event_id": c.event_id, "year": c.year, "amount": c.amount.to_string(), "status": c.status.as_str(),
        "confirmed": day(at), "age": age(now, at),
        "paid": c.paid.map(|p| p.to_string()),
    })
}

pub(super) fn claim_url(c: &Claim) -> String {
    format!("/desk/claims/{}/", c.reference_or_id())
}

pub(super) fn person_url(email_key: &str) -> String {
    format!("/desk/people/{}/", crate::store::person_key(email_key))
}

/// A history line as the desk shows it, with a link to its record when it has one.
pub(super) fn audit_row(e: &AuditEntry) -> Value {
    let link = if e.subject.starts_with("clm_") {
        Some(format!("/desk/claims/{}/", e.subject))
    } else if e.action.starts_with("shared.") && e.action != "shared.removed" {
        Some(format!("/desk/documents/{}/", e.subject))
    } else if e.action.starts_with("staff.") {
        Some("/desk/staff/".to_string())
    } else if e.subject.starts_with("export:") {
        Some("/desk/exports/".to_string())
    } else if e.subject.contains('@') {
        Some(person_url(&e.subject))
    } else {
        None
    };
    let when = jiff::tz::TimeZone::UTC.to_datetime(e.at);
    json!({
        // HTML's datetime takes at most three digits of a second: whole seconds are enough for a history line.
        "at": e.at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(), "when": format!("{} {} UTC", long_date(when.date()), when.time().strftime("%H:%M")),
        "actor": e.actor, "action": e.action, "subject": e.subject, "detail": e.detail, "link": link,
    })
}

/// The link to the next page of a list: the page's own query with `after` set.
pub(super) fn next_link(base: &str, params: &[(&str, Option<String>)], next: Option<&str>) -> Option<String> {
    let next = next?;
    let mut q: Vec<String> = params.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v)))).collect();
    q.push(format!("after={}", encode(next)));
    Some(format!("{base}?{}", q.join("&")))
}

/// Percent-encodes a query value.
pub(super) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_desk_address_parses_to_its_page_and_nothing_else_does() {
        assert_eq!(DeskPage::parse("/desk"), Some(DeskPage::Today));
        assert_eq!(DeskPage::parse("/desk/"), Some(DeskPage::Today));
        assert_eq!(DeskPage::parse("/desk/claims/CCG-2027-0001/"), Some(DeskPage::Claim("CCG-2027-0001".into())));
        assert_eq!(DeskPage::parse("/desk/claims/CCG-2027-0001/pay"), Some(DeskPage::ClaimAct("CCG-2027-0001".into(), claims::Act::Pay)));
        assert_eq!(DeskPage::parse("/desk/usage/ES%3Avalladolid/"), Some(DeskPage::City("ES:valladolid".into())));
        assert_eq!(DeskPage::parse("/desk/exports/claims.csv"), Some(DeskPage::Export("claims".into())));
        assert_eq!(DeskPage::parse("/desk/people/lv_x/erase"), Some(DeskPage::PersonAct("lv_x".into(), people::Act::Erase)));
        for bad in ["/desk/claims/x/burn", "/desk/nowhere", "/desk/exports/claims", "/deskx", "/desk/claims//pay", "/desk/people/a/b/c/d"] {
            assert_eq!(DeskPage::parse(bad), None, "{bad}");
        }
        assert_eq!(DeskPage::parse("/desk/documents/"), Some(DeskPage::Shared));
        assert_eq!(DeskPage::parse("/desk/documents/add"), Some(DeskPage::SharedAdd));
        assert_eq!(DeskPage::parse("/desk/documents/shd_1/remove"), Some(DeskPage::SharedAct("shd_1".into(), documents::Act::Remove)));
        assert!(DeskPage::parse("/desk/documents/shd_1/burn").is_none());
        assert_eq!(DeskPage::parse("/desk/documents/new"), Some(DeskPage::SharedNew));
        assert_eq!(DeskPage::parse("/desk/documents/shd_1/replacement"), Some(DeskPage::SharedReplacement("shd_1".into())));
        assert!(!DeskPage::parse("/desk/documents/new").unwrap().changes() && !DeskPage::parse("/desk/documents/shd_1/replacement").unwrap().changes());
        assert!(DeskPage::parse("/desk/documents/add").unwrap().changes());
        assert!(!DeskPage::parse("/desk/documents/shd_1/").unwrap().changes());
        assert!(DeskPage::parse("/desk/claims/x/approve").unwrap().changes());
        assert!(!DeskPage::parse("/desk/claims/x").unwrap().changes());
    }

    #[test]
    fn next_links_keep_the_filters_and_encode_them() {
        let l = next_link("/desk/claims/", &[("status", Some("counted".into())), ("city", None), ("q", Some("a b&c".into()))], Some("2027#clm_1"));
        assert_eq!(l.as_deref(), Some("/desk/claims/?status=counted&q=a%20b%26c&after=2027%23clm_1"));
        assert_eq!(next_link("/desk/claims/", &[], None), None);
    }
}
