//! Every address the form functions answer, in one table: the dispatcher
//! parses a request's path with [`Route::parse`], and every link, form
//! action and redirect to them is built with [`Route::path`] or
//! [`Route::url`]. Below the services (which put links in emails) and the
//! HTTP layer (which answers them); it imports neither.

/// Which form a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Register,
    TravelClaims,
}

impl Form {
    /// The path segment under the API base, and the name in logs and idempotency keys.
    pub fn name(self) -> &'static str {
        match self {
            Form::Register => "register",
            Form::TravelClaims => "travel-claims",
        }
    }
    /// The kind of pending record the form leaves.
    pub fn pending_kind(self) -> &'static str {
        match self {
            Form::Register => "registration",
            Form::TravelClaims => "claim",
        }
    }
    /// The page with the form, and the page a sent form leads to (site paths).
    pub fn form_page(self) -> &'static str {
        match self {
            Form::Register => "/join/",
            Form::TravelClaims => "/financial-support/",
        }
    }
    pub fn thanks_page(self) -> &'static str {
        match self {
            Form::Register => "/join/thanks/",
            Form::TravelClaims => "/financial-support/thanks/",
        }
    }
}

/// One address under the API base (`/api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/register`, `/travel-claims`: a form sent.
    Submit(Form),
    /// `/{form}/resend`: the confirmation link again.
    Resend(Form),
    /// `/{form}/confirm`: the page a link opens, and its Confirm button.
    Confirm(Form),
    /// `/travel-claims/withdraw`: a claimant takes back a claim.
    Withdraw,
    /// `/travel-claims/documents`: where the file store sends a claimant back
    /// after an upload (a page with a button), and that button (records the document).
    Documents,
    /// `/leave`: a contact leaves the group from the link in an email; served whichever form a Lambda serves.
    Leave,
    /// `/invitations/answer`: the "I will attend" / "I will not" link of an invitation (a page with one button, and that button).
    InvitationAnswer,
    /// `/invitations/unsubscribe`: no more invitations (the email's link, and the one-click POST of RFC 8058).
    Unsubscribe,
}

impl Route {
    /// The route of a request path: `/api/register`, `/api/register/resend`,
    /// `/api/travel-claims/confirm`, ... Only the last two segments count (the
    /// API base differs between the Lambdas and the preview); a trailing slash is fine.
    pub fn parse(path: &str) -> Option<Route> {
        let mut parts: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(2).collect();
        parts.reverse();
        let form = |s: &str| match s {
            "register" => Some(Form::Register),
            "travel-claims" => Some(Form::TravelClaims),
            _ => None,
        };
        match parts.as_slice() {
            [parent, "resend"] => Some(Route::Resend(form(parent)?)),
            [parent, "confirm"] => Some(Route::Confirm(form(parent)?)),
            ["travel-claims", "withdraw"] => Some(Route::Withdraw),
            ["travel-claims", "documents"] => Some(Route::Documents),
            ["invitations", "answer"] => Some(Route::InvitationAnswer),
            ["invitations", "unsubscribe"] => Some(Route::Unsubscribe),
            [.., "leave"] => Some(Route::Leave),
            [.., last] => Some(Route::Submit(form(last)?)),
            _ => None,
        }
    }

    /// The path under the API base: `/register/confirm`.
    pub fn path(self) -> String {
        match self {
            Route::Submit(f) => format!("/{}", f.name()),
            Route::Resend(f) => format!("/{}/resend", f.name()),
            Route::Confirm(f) => format!("/{}/confirm", f.name()),
            Route::Withdraw => "/travel-claims/withdraw".into(),
            Route::Documents => "/travel-claims/documents".into(),
            Route::Leave => "/leave".into(),
            Route::InvitationAnswer => "/invitations/answer".into(),
            Route::Unsubscribe => "/invitations/unsubscribe".into(),
        }
    }

    /// The address people open: `{public_url}{api_base}{path}`, with the link's token when it has one.
    pub fn url(self, public_url: &str, api_base: &str, token: Option<&str>) -> String {
        let path = self.path();
        match token {
            Some(t) => format!("{public_url}{api_base}{path}?token={t}"),
            None => format!("{public_url}{api_base}{path}"),
        }
    }

    /// The form whose requests this answers (a leave link belongs to the contacts, kept by registration).
    pub fn form(self) -> Form {
        match self {
            Route::Submit(f) | Route::Resend(f) | Route::Confirm(f) => f,
            Route::Withdraw | Route::Documents => Form::TravelClaims,
            Route::Leave | Route::InvitationAnswer | Route::Unsubscribe => Form::Register,
        }
    }

    /// What the request asks, for the logs.
    pub fn action(self) -> &'static str {
        match self {
            Route::Submit(_) => "submit",
            Route::Resend(_) => "resend",
            Route::Confirm(_) => "confirm",
            Route::Withdraw => "withdraw",
            Route::Documents => "documents",
            Route::Leave => "leave",
            Route::InvitationAnswer => "invitation-answer",
            Route::Unsubscribe => "unsubscribe",
        }
    }

    /// The methods the address takes (`Allow`, CORS).
    pub fn allow(self) -> &'static str {
        match self {
            Route::Confirm(_) | Route::Leave | Route::Documents | Route::InvitationAnswer | Route::Unsubscribe => "GET, HEAD, POST, OPTIONS",
            _ => "POST, OPTIONS",
        }
    }
}

/// Where the site's forms post, for the templates (`actions.submit["travel-claims"]`,
/// `actions.resend[resend_path]`): the same table as every other address, keyed by the form's name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actions {
    pub submit: std::collections::BTreeMap<&'static str, String>,
    pub resend: std::collections::BTreeMap<&'static str, String>,
}

impl Actions {
    /// The actions under `api_base` (site-relative, as the forms post to the API on the site's own origin).
    pub fn new(api_base: &str) -> Actions {
        let under = |r: Route| format!("{api_base}{}", r.path());
        let forms = [Form::Register, Form::TravelClaims];
        Actions {
            submit: forms.iter().map(|f| (f.name(), under(Route::Submit(*f)))).collect(),
            resend: forms.iter().map(|f| (f.name(), under(Route::Resend(*f)))).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_address() {
        use Form::*;
        assert_eq!(Route::parse("/api/register"), Some(Route::Submit(Register)));
        assert_eq!(Route::parse("/api/register/"), Some(Route::Submit(Register)));
        assert_eq!(Route::parse("/register"), Some(Route::Submit(Register)));
        assert_eq!(Route::parse("/api/travel-claims/confirm"), Some(Route::Confirm(TravelClaims)));
        assert_eq!(Route::parse("/api/travel-claims/resend/"), Some(Route::Resend(TravelClaims)));
        assert_eq!(Route::parse("/api/other/confirm"), None);
        assert_eq!(Route::parse("/api/confirm"), None);
        assert_eq!(Route::parse("/api/register/other"), None);
        assert_eq!(Route::parse("/api/travel-claims/withdraw"), Some(Route::Withdraw));
        assert_eq!(Route::parse("/api/register/withdraw"), None);
        assert_eq!(Route::parse("/api/travel-claims/documents"), Some(Route::Documents));
        assert_eq!(Route::parse("/api/register/documents"), None);
        assert_eq!(Route::parse("/api/leave"), Some(Route::Leave));
        assert_eq!(Route::parse("/"), None);
    }

    #[test]
    fn every_address_built_parses_back() {
        let all = [Form::Register, Form::TravelClaims].into_iter().flat_map(|f| [Route::Submit(f), Route::Resend(f), Route::Confirm(f)]).chain([
            Route::Withdraw,
            Route::Documents,
            Route::Leave,
        ]);
        for r in all {
            assert_eq!(Route::parse(&format!("/api{}", r.path())), Some(r));
            assert_eq!(Route::parse(&r.url("https://example.org", "/api", None)), Some(r));
        }
        assert_eq!(Route::Confirm(Form::Register).url("https://h", "/api", Some("t.k")), "https://h/api/register/confirm?token=t.k");
        assert_eq!(Route::Resend(Form::TravelClaims).url("", "/api", None), "/api/travel-claims/resend");
    }

    #[test]
    fn the_forms_actions_parse_back_to_their_routes() {
        let a = Actions::new("/api");
        assert_eq!(a.submit["register"], "/api/register");
        assert_eq!(a.resend["travel-claims"], "/api/travel-claims/resend");
        for f in [Form::Register, Form::TravelClaims] {
            assert_eq!(Route::parse(&a.submit[f.name()]), Some(Route::Submit(f)));
            assert_eq!(Route::parse(&a.resend[f.name()]), Some(Route::Resend(f)));
        }
    }
}
