//! Usage on the desk: per city and year, the trips and euros used and left
//! against the yearly limits, as a table and as a bar chart drawn here (inline
//! SVG, no script: the table is its text alternative); and a city's page
//! with its claims of the year.

use super::super::App;
use super::super::signed_in::{Req, store_failed};
use super::{Query, claim_row, next_link, render};
use crate::service::account::SignedIn;
use crate::service::desk::CityYear;
use crate::store::Store;
use crate::store::lists::{ClaimQuery, PAGE};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// A city's year as the desk's tables show it.
pub(in crate::http) fn row<S: Store>(app: &App<S>, u: &CityYear) -> Value {
    let rules = &app.forms.catalogue().rules;
    json!({
        "city_key": u.city_key, "city": app.forms.city_name(&u.city_key), "year": u.year,
        "url": format!("/desk/usage/{}/?year={}", u.city_key, u.year),
        "trips_used": u.used.trips, "trips_left": u.left.trips, "trips_max": rules.max_trips_per_year,
        "eur_used": u.used.amount.to_string(), "eur_left": u.left.amount.to_string(), "eur_max": rules.max_per_year.to_string(),
    })
}

/// The year a page asks for (`?year=`), else this year.
fn year_of<S: Store>(app: &App<S>, q: &Query) -> i16 {
    q.get("year").and_then(|y| y.parse().ok()).filter(|y| (2000..=2100).contains(y)).unwrap_or_else(|| app.forms.today().year())
}

pub(super) async fn page<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let year = year_of(app, q);
    let usage = match f.usage_of_year(year).await {
        Ok(u) => u,
        Err(e) => return store_failed(app, req.json, e),
    };
    // The table and the chart list the cities in the same order, by name.
    let mut usage = usage;
    usage.sort_by_cached_key(|u| f.city_name(&u.city_key));
    let rows: Vec<Value> = usage.iter().map(|u| row(app, u)).collect();
    let bars: Vec<(String, i64)> = usage.iter().map(|u| (f.city_name(&u.city_key), u.used.amount.0)).collect();
    let rules = &f.catalogue().rules;
    let chart = chart(&bars, rules.max_per_year.0, year);
    let years = super::years(app);
    let data = json!({"year": year, "rows": rows, "chart": chart, "years": years, "limits": {"trips": rules.max_trips_per_year, "eur": rules.max_per_year.to_string()}});
    render(app, who, StatusCode::OK, "/desk/usage/", &format!("Usage in {year}"), "answers/desk-usage.html", data)
}

pub(super) async fn city<S: Store>(app: &App<S>, req: &Req<'_>, who: &SignedIn, city_key: &str, q: &Query) -> Response<Bytes> {
    let f = &app.forms;
    let year = year_of(app, q);
    let query = ClaimQuery { city_key: Some(city_key.to_string()), year: Some(year), ..ClaimQuery::default() };
    let after = q.get("after");
    let (page, used) = match tokio::try_join!(f.claims_page(&query, after.as_deref(), PAGE), f.store.year_usage(city_key, year)) {
        Ok(x) => x,
        Err(e) => return store_failed(app, req.json, e),
    };
    let now = f.now().0;
    let u = CityYear { city_key: city_key.to_string(), year, used, left: f.catalogue().rules.remaining(used) };
    let claims: Vec<Value> = page.items.iter().map(|c| claim_row(app, c, now)).collect();
    let name = f.city_name(city_key);
    let next = next_link(&format!("/desk/usage/{city_key}/"), &[("year", Some(year.to_string()))], page.next.as_deref());
    let data = json!({"usage": row(app, &u), "claims": claims, "next": next, "year": year, "city": name});
    render(app, who, StatusCode::OK, "/desk/usage/", &format!("{name} in {year}"), "answers/desk-city.html", data)
}

/// Horizontal bars, one per city: euros used of the yearly limit. Drawn as
/// SVG text here, every value escaped; the table beside it says the same.
fn chart(bars: &[(String, i64)], max_cents: i64, year: i16) -> String {
    // Narrow enough that its text stays readable on a phone, where it is scaled to the screen's width.
    const ROW: usize = 28;
    const LABEL: usize = 140;
    const WIDTH: usize = 400;
    let plot = WIDTH - LABEL - 70;
    let height = ROW * bars.len().max(1) + 8;
    let mut svg = format!(
        r#"<svg class="usage-chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">Euros used in {year}, per city</title><desc id="chart-desc">Each bar is a city's euros used of its yearly limit of {}; the table below gives the figures.</desc>"#,
        eur(max_cents)
    );
    if bars.is_empty() {
        svg.push_str(r#"<text x="0" y="20">No city used any travel support this year.</text>"#);
    }
    for (i, (name, used)) in bars.iter().enumerate() {
        let y = i * ROW + 4;
        let w = if max_cents > 0 { (plot as i64 * (*used).clamp(0, max_cents) / max_cents) as usize } else { 0 };
        svg.push_str(&format!(
            r#"<text x="0" y="{}" class="chart-label">{}</text><rect x="{LABEL}" y="{y}" width="{plot}" height="18" class="chart-track"/><rect x="{LABEL}" y="{y}" width="{w}" height="18" class="chart-bar"/><text x="{}" y="{}" class="chart-value">{}</text>"#,
            y + 14,
            xml_escape(&short(name)),
            LABEL + plot + 6,
            y + 14,
            eur(*used)
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn eur(cents: i64) -> String {
    ccg_model::Cents(cents).to_string()
}

/// A city's name cut to fit its label.
fn short(name: &str) -> String {
    if name.chars().count() <= 20 { name.to_string() } else { format!("{}…", name.chars().take(19).collect::<String>()) }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_one_bar_per_city_to_scale_and_escapes_names() {
        let svg = chart(&[("A<b>".into(), 50_000), ("Valladolid".into(), 100_000), ("Over".into(), 300_000)], 100_000, 2027);
        assert_eq!(svg.matches(r#"class="chart-bar""#).count(), 3);
        assert!(svg.contains("A&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        // 190 px of plot: half the limit is 95, the whole limit and anything over it 190.
        assert!(svg.contains(r#"width="95" height="18" class="chart-bar""#), "{svg}");
        assert_eq!(svg.matches(r#"width="190" height="18" class="chart-bar""#).count(), 2, "{svg}");
        assert!(svg.contains("<title id=\"chart-title\">Euros used in 2027, per city</title>"));
        assert!(chart(&[], 100_000, 2027).contains("No city used"));
    }
}
