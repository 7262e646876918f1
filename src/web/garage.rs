//! My Garage: the shopper's vehicle, kept in a cookie and applied site-wide (fit notes on product
//! pages and cards, and the search filter). Pages that read it are private to the shopper.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::search::VehicleFilter;

pub const COOKIE: &str = "garage";

/// The vehicle in the request's garage cookie, if it parses.
pub fn vehicle(req: &HttpRequest) -> Option<VehicleFilter> {
    let cookie = req.cookie(COOKIE)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(cookie.value()).ok()?;
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
    Cookie::build(COOKIE, query_string(v))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish()
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
