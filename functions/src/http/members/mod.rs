//! The members' area in the browser, under `/members/`: my page (details,
//! my city's year, my claims, passkeys and sessions, leaving) and the
//! directory of the members who opted in. Reading needs a session (a
//! member's, or staff's); every change is a POST behind the same-origin
//! check of `http::account`, answered with the page that says what changed.
//! A section is a variant of `MembersPage` and a module here: a new one is
//! a line in `parse`, `changes` and `answer`.

mod directory;
pub(super) mod documents;
mod home;
mod invitations;

use super::App;
use super::answer::framed;
use super::frame::{AnswerPage, Body};
use super::signed_in::{Req, message};
use crate::routes::Form;
use crate::service::account::SignedIn;
use crate::store::Store;
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

/// One page or action of the members' area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MembersPage {
    /// My page.
    Home,
    /// The join form, filled in with my details, to change them.
    Details,
    /// A claim of mine: GET asks to confirm the withdrawal, POST withdraws it.
    Withdraw(String),
    /// POST: listed in the directory, or not (`listed` = yes or no).
    Listing,
    /// GET asks to confirm, POST leaves the group.
    Leave,
    Directory,
    /// The repository: the documents the secretariat shares.
    Documents,
    /// One shared document's file.
    Document(String),
    /// POST: my answer to an invitation (`meeting`, `answer` = attend or decline).
    InvitationAnswer,
}

impl MembersPage {
    /// The page at a path under `/members` (a trailing slash is fine either way).
    pub fn parse(path: &str) -> Option<MembersPage> {
        let rest = path.strip_prefix("/members")?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').skip(1).collect();
        let one = |s: &str| (!s.is_empty() && s.len() <= 200).then(|| s.to_string());
        Some(match parts.as_slice() {
            [] => MembersPage::Home,
            ["details"] => MembersPage::Details,
            ["claims", c, "withdraw"] => MembersPage::Withdraw(one(c)?),
            ["directory"] => MembersPage::Directory,
            ["directory", "listing"] => MembersPage::Listing,
            ["leave"] => MembersPage::Leave,
            ["documents"] => MembersPage::Documents,
            ["invitations", "answer"] => MembersPage::InvitationAnswer,
            ["documents", d] if d.len() <= 100 => MembersPage::Document(one(d)?),
            _ => return None,
        })
    }

    /// What the address takes: a confirmation step shows on GET and acts on POST.
    pub fn allow(&self) -> &'static str {
        match self {
            MembersPage::Listing | MembersPage::InvitationAnswer => "POST",
            MembersPage::Withdraw(_) | MembersPage::Leave => "GET, HEAD, POST",
            _ => "GET, HEAD",
        }
    }
}

pub(super) async fn answer<S: Store>(app: &App<S>, page: MembersPage, req: &Req<'_>, who: &SignedIn, get: bool, body: &Bytes) -> Response<Bytes> {
    if !page.allow().contains(if get { "GET" } else { "POST" }) {
        let mut r = message(app, req.json, StatusCode::METHOD_NOT_ALLOWED, "Not here", "This address does not take this kind of request.");
        r.headers_mut().insert(http::header::ALLOW, http::HeaderValue::from_static(page.allow()));
        return r;
    }
    let q = super::desk::Query::new(req.parts.uri.query().unwrap_or(""));
    match page {
        MembersPage::Home => home::page(app, req, who, None).await,
        MembersPage::Details => home::details_form(app, req, who).await,
        MembersPage::Withdraw(c) if get => home::confirm_withdraw(app, req, who, &c).await,
        MembersPage::Withdraw(c) => home::withdraw(app, req, who, &c).await,
        MembersPage::Listing => home::listing(app, req, who, body).await,
        MembersPage::Leave if get => home::confirm_leave(app, req, who).await,
        MembersPage::Leave => home::leave(app, req, who).await,
        MembersPage::Directory => directory::page(app, req, who, &q).await,
        MembersPage::Documents => documents::list(app, req, &q).await,
        MembersPage::Document(id) => documents::download(app, req, &id).await,
        MembersPage::InvitationAnswer => match invitations::answer(app, req, who, body).await {
            Ok(notice) => home::page(app, req, who, Some(&notice)).await,
            Err(refused) => refused,
        },
    }
}

/// The members' area's sections, in the order of its menu: (path, name).
const SECTIONS: [(&str, &str); 3] = [("/members/", "My page"), ("/members/documents/", "Documents"), ("/members/directory/", "Directory")];

/// A page of the members' area: its menu (`section` marked), then `template` with `data`.
pub(super) fn render<S: Store>(app: &App<S>, status: StatusCode, section: &str, heading: &str, template: &'static str, mut data: Value) -> Response<Bytes> {
    let sections: Vec<Value> = SECTIONS.iter().map(|(url, name)| serde_json::json!({"url": url, "name": name, "current": *url == section})).collect();
    if let Value::Object(m) = &mut data {
        m.insert("sections".into(), Value::Array(sections));
    }
    let page = AnswerPage {
        title: if status.is_success() { heading.to_string() } else { format!("Error: {heading}") },
        heading: heading.to_string(),
        body: Body::new(template, data),
        url: "/members/".into(),
        passkey: true,
        stylesheet: Some("/desk.css"),
        ..AnswerPage::default()
    };
    framed(app, status, Form::Register, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_members_address_parses_to_its_page_and_nothing_else_does() {
        assert_eq!(MembersPage::parse("/members"), Some(MembersPage::Home));
        assert_eq!(MembersPage::parse("/members/"), Some(MembersPage::Home));
        assert_eq!(MembersPage::parse("/members/directory/"), Some(MembersPage::Directory));
        assert_eq!(MembersPage::parse("/members/directory/listing"), Some(MembersPage::Listing));
        assert_eq!(MembersPage::parse("/members/claims/CCG-2027-0001/withdraw"), Some(MembersPage::Withdraw("CCG-2027-0001".into())));
        assert_eq!(MembersPage::parse("/members/leave/"), Some(MembersPage::Leave));
        assert_eq!(MembersPage::parse("/members/documents/"), Some(MembersPage::Documents));
        assert_eq!(MembersPage::parse("/members/invitations/answer"), Some(MembersPage::InvitationAnswer));
        assert_eq!(MembersPage::parse("/members/documents/d-1"), Some(MembersPage::Document("d-1".into())));
        for bad in ["/membersx", "/members/nowhere", "/members/claims/x", "/members/claims//withdraw", "/members/directory/a/b", "/members/documents/a/b"] {
            assert_eq!(MembersPage::parse(bad), None, "{bad}");
        }
        assert_eq!(MembersPage::Listing.allow(), "POST");
        assert_eq!(MembersPage::Home.allow(), "GET, HEAD");
    }
}
