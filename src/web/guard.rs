//! Protections every request passes through: a deadline for reading the body and answering (slow
//! clients cannot hold a worker forever), same-origin checks on form posts, and body limits.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use super::{ApiError, AppError, ErrorCode, PageError};
use crate::state::AppState;

/// Largest JSON body the public API accepts.
pub const JSON_LIMIT: usize = 64 << 10;
/// Largest form body a page accepts.
pub const FORM_LIMIT: usize = 16 << 10;

/// Bounds reading the body plus handling, which actix leaves open: a client sending its body a
/// byte at a time gets 408 instead of holding the connection. A checkout cut off this way may
/// still complete; the shopper's retry with the same key finds it.
pub async fn deadline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = req
        .app_data::<actix_web::web::Data<AppState>>()
        .map_or(Duration::from_secs(15), |s| s.config.http.request_timeout);
    // The request cannot be kept to answer with (a clone breaks actix's routing), so the
    // deadline's answer is an `Err` that actix renders through `ResponseError`.
    let api = req.path().starts_with("/api/");
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(res) => res.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            let err = AppError::new(
                ErrorCode::RequestTimeout,
                "the request took too long to arrive or to answer",
            );
            Err(if api {
                ApiError(err).into()
            } else {
                PageError(err).into()
            })
        }
    }
}

/// Refuses state-changing page requests sent from another site (cross-site request forgery):
/// browsers say where a request comes from in `Sec-Fetch-Site`, or at least in `Origin`.
pub async fn same_origin_forms(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    if !req.path().starts_with("/api/") && is_cross_site(&req) {
        let err = AppError::new(ErrorCode::Forbidden, "this form was sent from another site");
        return Ok(req.error_response(PageError(err)));
    }
    if req.path().starts_with("/api/v1/admin") && signed_in_by_cookie(&req) && !is_same_origin(&req) {
        let err = AppError::new(
            ErrorCode::Forbidden,
            "a merchant API change signed in by cookie must come from this shop's own pages; scripts use a bearer token",
        );
        return Ok(req.error_response(ApiError(err)));
    }
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

/// The merchant API takes the back office's session cookie as well as bearer tokens; a request
/// without `Authorization` is the cookie's (or no one's).
fn signed_in_by_cookie(req: &ServiceRequest) -> bool {
    req.headers().get("authorization").is_none() && req.headers().get("cookie").is_some()
}

/// Stricter than `!is_cross_site`: a sibling subdomain or another port of the same host is
/// "same-site" to the browser, and its pages send SameSite=Strict cookies too.
fn is_same_origin(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin" || site == "none",
        None => match (header("origin"), header("host")) {
            (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) == Some(host),
            (Some(_), None) => false,
            // Not a browser (browsers send Origin on every POST, PUT and DELETE).
            (None, _) => true,
        },
    }
}

fn is_cross_site(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "cross-site";
    }
    match (header("origin"), header("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        _ => false,
    }
}

/// A raw body of at most `limit` bytes; beyond it, 413.
pub async fn read_body(payload: actix_web::web::Payload, limit: usize) -> Result<actix_web::web::Bytes, AppError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err(AppError::new(ErrorCode::BadRequest, format!("request body: {e}"))),
        Err(_) => Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body is over {limit} bytes"),
        )),
    }
}

/// Form bodies: small, and a bad one is a 400 page rather than a crash.
pub fn form_config() -> actix_web::web::FormConfig {
    actix_web::web::FormConfig::default()
        .limit(FORM_LIMIT)
        .error_handler(|err, _| {
            let code = match err {
                actix_web::error::UrlencodedError::Overflow { .. } => ErrorCode::PayloadTooLarge,
                _ => ErrorCode::BadRequest,
            };
            PageError(AppError::new(code, format!("the form could not be read: {err}"))).into()
        })
}
