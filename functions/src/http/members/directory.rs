//! The members' directory: those who opted in (confirmed or approved
//! contacts), with only the details `directory.fields` names, searchable by
//! city, country and SCC project (a GET form), a page at a time.

use super::super::App;
use super::super::answer::json_response;
use super::super::desk::{Query, next_link};
use super::super::signed_in::{Req, store_failed};
use super::render;
use crate::records::Contact;
use crate::service::account::SignedIn;
use crate::service::members::DirectorySearch;
use crate::store::Store;
use crate::store::lists::PAGE;
use bytes::Bytes;
use ccg_model::site::DirectoryField;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

/// A listed member as the directory shows them: the configured details, nothing else.
fn entry<S: Store>(app: &App<S>, c: &Contact) -> Value {
    let d = &c.details;
    let mut m = Map::new();
    for f in &app.forms.options.directory.fields {
        let v = match f {
            DirectoryField::Name => d.name.clone(),
            DirectoryField::City => c.city_key.as_deref().map_or_else(|| d.city.clone(), |k| app.forms.city_name(k)),
            DirectoryField::Country => ccg_model::countries::name(&d.country).unwrap_or(&d.country).to_string(),
            DirectoryField::Organisation => d.organisation.clone(),
            DirectoryField::Position => d.position.clone(),
            DirectoryField::Email => d.email.clone(),
        };
        m.insert(f.as_str().into(), json!(v));
    }
    Value::Object(m)
}

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let country = q.get("country").map(|c| c.to_ascii_uppercase()).filter(|c| c.len() <= 3);
    let search = DirectorySearch { city: q.get("city"), country, project: q.get("project") };
    let cursor = q.get("after").filter(|c| crate::store::lists::is_cursor(c));
    let listed = match f.directory_page(&search, cursor.as_deref(), PAGE).await {
        Ok(p) => p,
        Err(e) => return store_failed(app, req.json, e),
    };
    let people: Vec<Value> = listed.items.iter().map(|c| entry(app, c)).collect();
    let params = [("city", search.city.clone()), ("country", search.country.clone()), ("project", search.project.clone())];
    let next = next_link("/members/directory/", &params, listed.next.as_deref());
    if req.json {
        return json_response(StatusCode::OK, &json!({"people": people, "next": next}));
    }
    let fields: Vec<Value> = f.options.directory.fields.iter().map(|x| json!({"key": x.as_str(), "label": x.label()})).collect();
    let cat = f.catalogue();
    let projects: Vec<&str> = cat.directory.projects.iter().map(|p| p.acronym.as_str()).collect();
    let countries = crate::form_view::join_form(&cat.directory).countries;
    let me = match f.my_contact(&who.session.email_key).await {
        Ok(c) => c,
        Err(e) => return store_failed(app, req.json, e),
    };
    let data = json!({
        "people": people, "fields": fields, "next": next, "paged": cursor.is_some(),
        "city": search.city, "country": search.country, "project": search.project,
        "projects": projects, "countries": countries,
        "searched": search.city.is_some() || search.country.is_some() || search.project.is_some(),
        "member": me.is_some(), "listed": me.is_some_and(|c| c.details.listed), "staff": who.is_staff(),
    });
    render(app, StatusCode::OK, "/members/directory/", "Members' directory", "answers/members-directory.html", data)
}
