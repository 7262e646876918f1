//! The actix adapter: routes, JSON API, HTML pages, assets and operational endpoints.
//!
//! Handlers turn a request into domain input, call one use case on the blocking pool and render
//! the answer. Errors become JSON under `/api` and HTML pages elsewhere, mapped in `error`.

pub mod admin;
pub mod api;
pub mod assets;
pub mod caching;
pub mod connections;
pub mod error;
pub mod garage;
pub mod guard;
pub mod images;
pub mod limits;
pub mod multipart;
pub mod openapi;
pub mod ops;
pub mod page_cache;
pub mod pages;
pub mod staff_auth;
pub mod views;
pub mod visitor;
pub mod waiting_room;

use actix_web::HttpRequest;
use actix_web::middleware::DefaultHeaders;
use actix_web::web::ServiceConfig;

pub use error::{ApiError, AppError, ErrorCode, PageError};

/// Mounts every area's routes. actix tries routes in order, and each pattern with a `{segment}`
/// it passes costs a regex match, so the shopper's API and pages come before assets (which a
/// CDN serves on a sale day) and the back office.
pub fn configure(cfg: &mut ServiceConfig) {
    ops::configure(cfg);
    openapi::configure(cfg);
    api::configure(cfg);
    pages::configure(cfg);
    assets::configure(cfg);
    images::configure(cfg);
    admin::configure(cfg);
    admin::products::configure(cfg);
    cfg.default_service(actix_web::web::to(not_found));
}

/// Unknown URLs: JSON under `/api`, a helpful page elsewhere.
async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, actix_web::Error> {
    let err = AppError::new(ErrorCode::NotFound, format!("nothing here at {}", req.path()));
    if req.path().starts_with("/api/") {
        Err(ApiError(err).into())
    } else {
        Err(PageError(err).into())
    }
}

/// A route for GET and HEAD: caches and monitors probe with HEAD, and the body is dropped for it.
pub fn read() -> actix_web::Route {
    use actix_web::guard;
    actix_web::web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Headers every response carries.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add(("X-Frame-Options", "DENY"))
        // No inline script or style anywhere, so no 'unsafe-inline'.
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// Runs blocking store work on actix's blocking pool, keeping the request's tracing span.
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|_| AppError::new(ErrorCode::Unavailable, "the server is shutting down"))?
}
