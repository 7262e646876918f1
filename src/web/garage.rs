//! My Garage: the shopper's vehicle, kept in a cookie and applied site-wide (fit notes on product
//! pages and cards, and the search filter). Pages that read it are private to the shopper.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::search::VehicleFilter;

pub const COOKIE: &str = "garage";

/// The other vehicles a shopper saved (the family's second car), most recent first.
pub const OTHERS_COOKIE: &str = "garage_more";

/// Vehicles kept besides the current one.
pub const MOST_OTHERS: usize = 4;

/// The vehicle in the request's garage cookie, if it parses.
pub fn vehicle(req: &HttpRequest) -> Option<VehicleFilter> {
    parse(req.cookie(COOKIE)?.value())
}

/// The other saved vehicles, most recent first.
pub fn others(req: &HttpRequest) -> Vec<VehicleFilter> {
    let Some(cookie) = req.cookie(OTHERS_COOKIE) else {
        return Vec::new();
    };
    cookie.value().split('|').filter_map(parse).take(MOST_OTHERS).collect()
}

/// The garage once `chosen` is the current vehicle: the one it replaces joins the others first,
/// `chosen` leaves them, and the oldest beyond `MOST_OTHERS` are forgotten.
pub fn others_after_choosing(
    current: Option<VehicleFilter>,
    others: Vec<VehicleFilter>,
    chosen: &VehicleFilter,
) -> Vec<VehicleFilter> {
    let mut out: Vec<VehicleFilter> = current.into_iter().chain(others).filter(|v| v != chosen).collect();
    out.dedup();
    out.truncate(MOST_OTHERS);
    out
}

/// Each vehicle as the `garage` cookie holds one, joined by `|` (which a query string escapes).
pub fn others_cookie(others: &[VehicleFilter]) -> Cookie<'static> {
    let value = others.iter().map(query_string).collect::<Vec<_>>().join("|");
    kept_a_year(OTHERS_COOKIE, value)
}

fn kept_a_year(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish()
}

fn parse(value: &str) -> Option<VehicleFilter> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(value).ok()?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    Some(VehicleFilter {
        year: get("year")?.parse().ok()?,
        make: get("make")?,
        model: get("model")?,
        submodel: get("submodel"),
        engine: get("engine"),
    })
}

/// The vehicle as `year=…&make=…&model=…[&submodel=…][&engine=…]`, for the cookie and for links.
pub fn query_string(v: &VehicleFilter) -> String {
    let mut pairs = vec![
        ("year", v.year.to_string()),
        ("make", v.make.clone()),
        ("model", v.model.clone()),
    ];
    pairs.extend(v.submodel.clone().map(|s| ("submodel", s)));
    pairs.extend(v.engine.clone().map(|e| ("engine", e)));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub fn cookie(v: &VehicleFilter) -> Cookie<'static> {
    kept_a_year(COOKIE, query_string(v))
}

pub fn removal() -> Cookie<'static> {
    let mut cookie = Cookie::build(COOKIE, "").path("/").finish();
    cookie.make_removal();
    cookie
}

/// "2009 Honda Civic EX 1.8L L4".
pub fn describe(v: &VehicleFilter) -> String {
    [
        Some(v.year.to_string()),
        Some(v.make.clone()),
        Some(v.model.clone()),
        v.submodel.clone(),
        v.engine.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

/// The search query string for parts that fit the vehicle.
pub fn search_href(v: &VehicleFilter) -> String {
    format!("/search?{}", query_string(v))
}
