//! Who is browsing, as far as pages care: the vehicle in their garage and their cart, both from
//! cookies. Pages that show either are private to the visitor (see `caching::html_page`).

use actix_web::HttpRequest;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite};

use super::garage;
use crate::search::VehicleFilter;

/// The cart cookie's name; its value is the cart id.
pub const CART_COOKIE: &str = "cart";

#[derive(Clone, Debug, Default)]
pub struct Visitor {
    pub vehicle: Option<VehicleFilter>,
    pub cart: Option<String>,
}

impl Visitor {
    pub fn of(req: &HttpRequest) -> Visitor {
        Visitor {
            vehicle: garage::vehicle(req),
            cart: cart_id(req),
        }
    }
}

/// The cart id from the cookie, if it looks like one of ours.
pub fn cart_id(req: &HttpRequest) -> Option<String> {
    let cookie = req.cookie(CART_COOKIE)?;
    let id = cookie.value();
    (id.len() == 26 && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_owned())
}

pub fn cart_cookie(id: &str, ttl: std::time::Duration) -> Cookie<'static> {
    Cookie::build(CART_COOKIE, id.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(ttl.as_secs() as i64))
        .finish()
}

pub fn cart_removal() -> Cookie<'static> {
    let mut cookie = Cookie::build(CART_COOKIE, "").path("/").finish();
    cookie.make_removal();
    cookie
}
