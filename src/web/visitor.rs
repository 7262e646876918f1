//! Who is browsing, as far as pages care: the vehicle in their garage and their cart, both from
//! cookies. Pages that show either are private to the visitor (see `caching::html_page`).

use actix_web::HttpRequest;
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, SameSite};

use super::garage;
use crate::search::VehicleFilter;

/// The cart cookie's name; its value is the cart id.
pub const CART_COOKIE: &str = "cart";

/// The cookie holding a visitor's random id for feature-flag buckets (see `flags`).
pub const BUCKET_COOKIE: &str = "sf_b";

#[derive(Clone, Debug, Default)]
pub struct Visitor {
    pub vehicle: Option<VehicleFilter>,
    pub cart: Option<String>,
    /// The id that keeps the visitor in the same feature-flag buckets.
    pub bucket: Option<String>,
}

impl Visitor {
    pub fn of(req: &HttpRequest) -> Visitor {
        Visitor {
            vehicle: garage::vehicle(req),
            cart: cart_id(req),
            bucket: bucket_id(req),
        }
    }
}

/// The visitor's feature-flag bucket id, if it looks like one of ours.
pub fn bucket_id(req: &HttpRequest) -> Option<String> {
    let cookie = req.cookie(BUCKET_COOKIE)?;
    let id = cookie.value();
    (id.len() == 16 && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_owned())
}

/// Gives a visitor without one a bucket id, on answers no shared cache keeps (a cart, a checkout,
/// the garage): a cookie on a cacheable page would keep caches in front from storing it. Until
/// then, a visitor sees a flag only when it is on for everyone.
pub async fn issue_bucket(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let wanted = req.cookie(BUCKET_COOKIE).is_none()
        && !req.path().starts_with("/api/")
        && !req.path().starts_with("/assets/")
        && !req.path().starts_with("/admin");
    let mut res = next.call(req).await?;
    let private = res
        .headers()
        .get(actix_web::http::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("private") || v.contains("no-store"));
    if wanted && private {
        let cookie = Cookie::build(BUCKET_COOKIE, crate::domain::random_token(16))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(Duration::days(365))
            .finish();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(actix_web::http::header::SET_COOKIE, value);
        }
    }
    Ok(res)
}

/// The cart id from the cookie, if it looks like one of ours.
pub fn cart_id(req: &HttpRequest) -> Option<String> {
    let cookie = req.cookie(CART_COOKIE)?;
    let id = cookie.value();
    (id.len() == 26 && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_owned())
}

/// The token cart forms carry for a visitor holding a cart: derived from the cart id, which only
/// the visitor's browser knows (the cookie is HttpOnly), so another site cannot put it in a form.
pub fn cart_form_token(cart_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("storefront cart form\0{cart_id}"));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a cart-changing form may act on the visitor's cart: it carries the cart's form token,
/// or the browser says it comes from this site (`Sec-Fetch-Site: same-origin`), which covers a
/// page served from a shared cache without the token. A visitor without a cart has nothing to
/// tamper with.
pub fn cart_form_allowed(req: &HttpRequest, token: &str) -> bool {
    let Some(id) = cart_id(req) else { return true };
    let same_origin = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"same-origin");
    same_origin || crate::staff::secrets::constant_time_eq(token.as_bytes(), cart_form_token(&id).as_bytes())
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
