//! The JSON API under `/api/v1`.

pub(crate) mod admin;
pub(crate) mod carts;
pub(crate) mod checkout;
pub(crate) mod flags;
pub(crate) mod outside;
pub(crate) mod payments;
pub(crate) mod products;
pub(crate) mod sales;
pub mod search;
pub(crate) mod suggest;
pub(crate) mod vehicles;
pub(crate) mod waiting_room;

use actix_web::web;

use super::error::{json_config, path_config, query_config};
use super::{ApiError, AppError, ErrorCode};

/// An API resource whose wrong-method answer is a JSON 405 like every other API error.
/// Its `Allow` header lists the methods the OpenAPI document gives the path, so the answer and
/// the document cannot disagree.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|req: actix_web::HttpRequest| async move {
        use actix_web::ResponseError;
        let pattern = req.match_pattern().unwrap_or_default();
        let allowed = super::openapi::allowed_methods(&pattern).unwrap_or("");
        let err = ApiError(AppError::new(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on {}; use {allowed}", req.method(), req.path()),
        ));
        let mut res = err.error_response();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allowed) {
            res.headers_mut().insert(actix_web::http::header::ALLOW, value);
        }
        Ok::<_, actix_web::Error>(res)
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            // Hottest first (see `web::configure`): checkout and carts carry a sale.
            .configure(checkout::configure)
            .configure(carts::configure)
            .configure(products::configure)
            .configure(search::configure)
            .configure(suggest::configure)
            .configure(vehicles::configure)
            .configure(outside::configure)
            .configure(payments::configure)
            .configure(sales::configure)
            .configure(flags::configure)
            .configure(waiting_room::configure)
            .configure(admin::configure),
    );
}

/// Whole numbers in JSON bodies. JSON Schema's `integer` (and JavaScript) counts `3.0` as the
/// whole number 3, which serde refuses for integer fields; these accept it, and refuse a
/// fraction or a value out of range with a message naming the field's kind.
pub(crate) mod whole {
    use serde::{Deserialize, Deserializer, de::Error};

    fn number<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        if let Some(v) = n.as_i64() {
            return Ok(i128::from(v));
        }
        if let Some(v) = n.as_u64() {
            return Ok(i128::from(v));
        }
        match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e30 => Ok(f as i128),
            _ => Err(D::Error::custom(format!("expected a whole number, got {n}"))),
        }
    }

    pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let n = number(d)?;
        u32::try_from(n).map_err(|_| D::Error::custom(format!("{n} is out of range")))
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let n = number(d)?;
        u64::try_from(n).map_err(|_| D::Error::custom(format!("{n} is out of range")))
    }

    pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let n = number(d)?;
        i64::try_from(n).map_err(|_| D::Error::custom(format!("{n} is out of range")))
    }

    pub fn option_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<serde_json::Number>::deserialize(d)? {
            None => Ok(None),
            Some(n) => u64(n).map(Some).map_err(D::Error::custom),
        }
    }
}
