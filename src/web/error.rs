//! Errors at the HTTP boundary: stable codes with fitting statuses, JSON for the API, HTML pages
//! for people. Causes are logged once, here; clients get only the message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::cart::CartError;
use crate::inventory::Shortfall;
use crate::orders::{PaymentError, Refusal};
use crate::store::{StoreError, WriteError};

/// A stable, documented error code; its snake_case name is part of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    InvalidInput,
    NotFound,
    MethodNotAllowed,
    ProductNotFound,
    UnknownProduct,
    CartNotFound,
    OrderNotFound,
    OutOfStock,
    CartChanged,
    PromoUnavailable,
    CartEmpty,
    ShippingUnavailable,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    PaymentDeclined,
    PaymentUnavailable,
    Busy,
    Forbidden,
    Unauthorized,
    Conflict,
    TooManyRequests,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unavailable,
    StorageUnavailable,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NotFound | ErrorCode::ProductNotFound | ErrorCode::CartNotFound | ErrorCode::OrderNotFound => {
                StatusCode::NOT_FOUND
            }
            ErrorCode::OutOfStock
            | ErrorCode::CartChanged
            | ErrorCode::PromoUnavailable
            | ErrorCode::CartEmpty
            | ErrorCode::ShippingUnavailable => StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyRequired => StatusCode::BAD_REQUEST,
            ErrorCode::IdempotencyKeyReused | ErrorCode::UnknownProduct => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PaymentDeclined => StatusCode::PAYMENT_REQUIRED,
            ErrorCode::PaymentUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Unavailable | ErrorCode::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::ProductNotFound => "product_not_found",
            ErrorCode::UnknownProduct => "unknown_product",
            ErrorCode::CartNotFound => "cart_not_found",
            ErrorCode::OrderNotFound => "order_not_found",
            ErrorCode::OutOfStock => "out_of_stock",
            ErrorCode::CartChanged => "cart_changed",
            ErrorCode::PromoUnavailable => "promo_unavailable",
            ErrorCode::CartEmpty => "cart_empty",
            ErrorCode::ShippingUnavailable => "shipping_unavailable",
            ErrorCode::IdempotencyKeyRequired => "idempotency_key_required",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::PaymentDeclined => "payment_declined",
            ErrorCode::PaymentUnavailable => "payment_unavailable",
            ErrorCode::Busy => "busy",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error with its code, a message safe to show, and optional structured details.
#[derive(Debug, Clone)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> AppError {
        self.details = Some(details);
        self
    }

    pub fn product_not_found(sku: &str) -> AppError {
        AppError::new(ErrorCode::ProductNotFound, format!("no product with sku {sku:?}"))
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<crate::search::SearchError> for AppError {
    fn from(err: crate::search::SearchError) -> AppError {
        match err {
            crate::search::SearchError::Store(err) => err.into(),
            other => {
                tracing::error!(error = %other, "search index failure");
                AppError::new(ErrorCode::Internal, "something went wrong on our side")
            }
        }
    }
}

/// The one mapping of a refused status change, for the API and the back office alike.
impl From<crate::orders::TransitionError> for AppError {
    fn from(e: crate::orders::TransitionError) -> Self {
        use crate::orders::TransitionError;
        let code = match &e {
            TransitionError::NotFound(_) => ErrorCode::OrderNotFound,
            TransitionError::NotAllowed { .. } => ErrorCode::Conflict,
            TransitionError::ShipmentRequired => ErrorCode::InvalidInput,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<crate::orders::RefundError> for AppError {
    fn from(e: crate::orders::RefundError) -> Self {
        use crate::orders::RefundError;
        let code = match &e {
            RefundError::NotFound(_) => ErrorCode::OrderNotFound,
            RefundError::NotPaid(_) | RefundError::TooMuch { .. } => ErrorCode::Conflict,
            RefundError::Zero | RefundError::Currency { .. } => ErrorCode::InvalidInput,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<crate::catalog::ops::ImportError> for AppError {
    fn from(err: crate::catalog::ops::ImportError) -> AppError {
        match err {
            crate::catalog::ops::ImportError::Read(e) => AppError::new(ErrorCode::InvalidInput, e.to_string()),
            crate::catalog::ops::ImportError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> AppError {
        match err {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "store unavailable");
                AppError::new(
                    ErrorCode::StorageUnavailable,
                    "storage is unavailable right now; please retry shortly",
                )
            }
            other => {
                tracing::error!(error = %other, "store failure");
                AppError::new(ErrorCode::Internal, "something went wrong on our side")
            }
        }
    }
}

impl From<WriteError> for AppError {
    fn from(err: WriteError) -> AppError {
        match err {
            WriteError::Busy => AppError::new(ErrorCode::Busy, "the shop is very busy; please retry in a moment"),
            WriteError::Store(e) => e.into(),
        }
    }
}

fn shortfall_details(short: &[Shortfall]) -> serde_json::Value {
    json!(
        short
            .iter()
            .map(|s| json!({"sku": s.sku, "requested": s.requested, "available": s.available}))
            .collect::<Vec<_>>()
    )
}

impl From<CartError> for AppError {
    fn from(err: CartError) -> AppError {
        let message = err.to_string();
        match err {
            CartError::NotFound => AppError::new(ErrorCode::CartNotFound, message),
            // 422, not 404: the cart the URL names is there; the body names a product that is
            // not (a client told 404 would think its cart gone).
            CartError::UnknownSku(sku) => {
                AppError::new(ErrorCode::UnknownProduct, format!("no product with sku {sku:?}"))
            }
            CartError::NotInCart(_) => AppError::new(ErrorCode::NotFound, message),
            CartError::BadQuantity | CartError::Pricing(_) => AppError::new(ErrorCode::InvalidInput, message),
            // Well-formed, but the cart as it stands has no room.
            CartError::TooManyLines | CartError::LineFull => AppError::new(ErrorCode::Conflict, message),
            CartError::NotEnoughStock(short) => {
                AppError::new(ErrorCode::OutOfStock, message).with_details(shortfall_details(&[short]))
            }
            CartError::Promo(_) => AppError::new(ErrorCode::PromoUnavailable, message),
            CartError::NotOffered(_) => AppError::new(ErrorCode::UnknownProduct, message),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        let message = refusal.to_string();
        match refusal {
            Refusal::Invalid(fields) => AppError::new(ErrorCode::InvalidInput, message).with_details(json!(fields)),
            Refusal::CartNotFound => AppError::new(ErrorCode::CartNotFound, message),
            // The request is well formed; the cart or the shop's shipping rules stand against it.
            Refusal::CartEmpty => AppError::new(ErrorCode::CartEmpty, message),
            Refusal::ShippingUnavailable(_) => AppError::new(ErrorCode::ShippingUnavailable, message),
            Refusal::Pricing(_) => AppError::new(ErrorCode::InvalidInput, message),
            Refusal::KeyReused => AppError::new(ErrorCode::IdempotencyKeyReused, message),
            Refusal::OutOfStock(short) => {
                AppError::new(ErrorCode::OutOfStock, message).with_details(shortfall_details(&short))
            }
            Refusal::PromoUnavailable(_) => AppError::new(ErrorCode::PromoUnavailable, message),
            Refusal::TotalChanged { .. } => AppError::new(ErrorCode::CartChanged, message),
            Refusal::Payment(PaymentError::Declined(_)) => AppError::new(ErrorCode::PaymentDeclined, message),
            Refusal::Payment(PaymentError::Invalid(_)) => AppError::new(ErrorCode::InvalidInput, message),
            Refusal::Payment(PaymentError::Unavailable { fallback_methods, .. }) => {
                AppError::new(ErrorCode::PaymentUnavailable, message)
                    .with_details(json!({ "fallback_methods": fallback_methods }))
            }
        }
    }
}

/// A use case's refusal maps as its own type does; a failed write as the store's trouble.
impl<R> From<crate::store::Failed<R>> for AppError
where
    AppError: From<R>,
{
    fn from(e: crate::store::Failed<R>) -> AppError {
        match e {
            crate::store::Failed::Refused(refused) => refused.into(),
            crate::store::Failed::Write(e) => e.into(),
        }
    }
}

impl<R> From<crate::store::Failed<R>> for ApiError
where
    AppError: From<R>,
{
    fn from(e: crate::store::Failed<R>) -> ApiError {
        ApiError(e.into())
    }
}

impl<R> From<crate::store::Failed<R>> for PageError
where
    AppError: From<R>,
{
    fn from(e: crate::store::Failed<R>) -> PageError {
        PageError(e.into())
    }
}

/// Renders as `{"error":{"code","message","details"}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        ApiError(e.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError(e.into())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if self.0.code == ErrorCode::Unauthorized {
            res.insert_header(("WWW-Authenticate", "Bearer realm=\"storefront\""));
        }
        if self.0.code == ErrorCode::Busy {
            res.insert_header(("Retry-After", "1"));
        } else if self.0.code.status() == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header(("Retry-After", "5"));
        }
        res.insert_header(("Cache-Control", "no-store"))
            .insert_header(actix_web::http::header::ContentEncoding::Identity)
            .json(ErrorBody {
                error: ErrorDetail {
                    code: self.0.code.as_str(),
                    message: &self.0.message,
                    details: self.0.details.as_ref(),
                },
            })
    }
}

/// Every JSON error: `{"error":{"code","message","details"}}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<'a> {
    /// A stable code, such as `out_of_stock` or `payment_declined`.
    #[schema(value_type = String, example = "out_of_stock")]
    pub code: &'static str,
    /// What went wrong, safe to show.
    #[schema(value_type = String)]
    pub message: &'a str,
    /// More, where the code has it: the fields that are invalid, the SKUs short of stock.
    #[schema(value_type = Option<Value>)]
    pub details: Option<&'a serde_json::Value>,
}

/// Renders as an HTML page (see `pages::render_error_page`, which dresses it in the layout).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError(e.into())
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.code.status()
    }

    /// Only the escaped message: `pages::error_pages`, which wraps every app, replaces each HTML
    /// error body with the full page, so rendering the layout here would be thrown away.
    fn error_response(&self) -> HttpResponse {
        let markup = maud::html! { p { (self.0.message) } };
        HttpResponse::build(self.status_code())
            .insert_header(("Cache-Control", "no-store"))
            .content_type("text/html; charset=utf-8")
            .body(markup.into_string())
    }
}

/// Extractor failures under `/api` (bad JSON, query or path) answer 400 in the API's format.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(super::guard::JSON_LIMIT)
        .error_handler(|err, _req| {
            let code = match &err {
                actix_web::error::JsonPayloadError::Overflow { .. }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => ErrorCode::PayloadTooLarge,
                actix_web::error::JsonPayloadError::Deserialize(e) if e.is_data() => ErrorCode::InvalidInput,
                _ => ErrorCode::BadRequest,
            };
            ApiError(AppError::new(code, format!("request body: {err}"))).into()
        })
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        ApiError(AppError::new(ErrorCode::BadRequest, format!("query string: {err}"))).into()
    })
}

/// Query strings of pages: a bad one is a 400 page in the shop's (or back office's) frame, not
/// actix's bare text.
pub fn page_query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _req| {
        PageError(AppError::new(
            ErrorCode::BadRequest,
            format!("this address has a value the page cannot use: {err}"),
        ))
        .into()
    })
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|err, _req| ApiError(AppError::new(ErrorCode::BadRequest, format!("path: {err}"))).into())
}
