//! The merchant API under `/api/v1/admin`. Every handler takes `Staff<Scope>`, so its scope is
//! checked before it runs (401 without a valid credential, 403 without the scope).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::checkout::OrderJson;
use crate::catalog::export::Line;
use crate::catalog::import::Format;
use crate::catalog::ops::{self as catalog, Upserted};
use crate::domain::{format_utc, now_ms};
use crate::merchant::{self, StockRefusal};
use crate::orders::{Shipment, Status};
use crate::staff::{Admin, Catalog, Orders, Scopes, Staff, Stock};
use crate::state::AppState;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode, blocking};

/// The largest catalog file `POST /admin/import` takes in one request.
const IMPORT_LIMIT: usize = 64 << 20;

/// A merchant API resource: its credential is checked before its body is read.
pub(crate) fn staff_resource(
    path: &str,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    super::resource(path).wrap(actix_web::middleware::from_fn(
        crate::web::staff_auth::credentials_first,
    ))
}

use crate::store::Refusals;
use staff_resource as resource;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/admin/products/{sku}")
            .route(web::put().to(put_product))
            .route(web::delete().to(delete_product)),
    )
    .service(resource("/admin/import").route(web::post().to(import)))
    .service(resource("/admin/export").route(crate::web::read().to(export)))
    .service(resource("/admin/stock/{sku}/adjust").route(web::post().to(adjust_stock)))
    .service(resource("/admin/stock/{sku}").route(web::put().to(set_stock)))
    .service(resource("/admin/stock/{sku}/ledger").route(crate::web::read().to(ledger)))
    .service(resource("/admin/stock/{sku}/threshold").route(web::put().to(set_threshold)))
    .service(resource("/admin/low-stock").route(crate::web::read().to(low_stock)))
    .service(resource("/admin/orders").route(crate::web::read().to(orders)))
    .service(resource("/admin/orders/{number}").route(crate::web::read().to(order)))
    .service(resource("/admin/orders/{number}/transition").route(web::post().to(transition)))
    .service(
        resource("/admin/tokens")
            .route(crate::web::read().to(tokens))
            .route(web::post().to(create_token)),
    )
    .service(resource("/admin/tokens/{id}").route(web::delete().to(revoke_token)))
    .service(resource("/admin/audit").route(crate::web::read().to(audit)));
}

pub(crate) fn ok(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

fn invalid(message: impl Into<String>) -> ApiError {
    AppError::new(ErrorCode::InvalidInput, message).into()
}

/// Create or replace a product from one import line.
#[utoipa::path(put, path = "/api/v1/admin/products/{sku}", tag = "merchant", security(("token" = ["catalog"])),
    params(("sku" = String, Path)),
    request_body(content = ProductLine, description = "One line of the import format (docs/import-format.md)", content_type = "application/json"),
    responses((status = 200, description = "Updated or unchanged: {result, product}", body = Object),
        (status = 201, description = "Created: {result, product}", body = Object),
        (status = 409, description = "The body names another SKU than the URL", body = ErrorBody),
        (status = 422, description = "The line is invalid; the message says why", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn put_product(
    who: Staff<Catalog>,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| invalid("the body is not UTF-8"))?;
    let line = with_sku(text, &sku).map_err(invalid)?;
    let record = crate::catalog::import::parse_json_line(&line, now_ms()).map_err(invalid)?;
    if record.product.sku.as_str() != sku.trim() {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "the body's sku {:?} differs from the URL's {:?}",
                record.product.sku.as_str(),
                sku.as_str()
            ),
        )
        .into());
    }
    let outcome = state
        .writer
        .run(move |tx| merchant::put_product(tx, &who, record))
        .await?;
    let result = match outcome {
        Upserted::Created => "created",
        Upserted::Updated => "updated",
        Upserted::Unchanged => "unchanged",
    };
    let item = product_json(&state, sku.into_inner()).await?;
    let status = if outcome == Upserted::Created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .insert_header(("Cache-Control", "no-store"))
    .json(json!({"result": result, "product": item}));
    Ok(status)
}

/// The line with the URL's SKU filled in when the body leaves it out.
fn with_sku(text: &str, sku: &str) -> Result<String, String> {
    let mut line: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| format!("the body is not one JSON object: {e}"))?;
    // Blank is absent, as everywhere in the import format.
    let blank = match line.get("sku") {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    };
    if blank {
        line.insert("sku".into(), serde_json::Value::String(sku.to_owned()));
    }
    Ok(serde_json::Value::Object(line).to_string())
}

async fn product_json(state: &AppState, sku: String) -> Result<serde_json::Value, ApiError> {
    let store = state.store.clone();
    let item = blocking(move || Ok(catalog::item(&store, &sku)?)).await?;
    Ok(item.map_or(serde_json::Value::Null, |i| {
        serde_json::to_value(Line::new(&i.product, i.stock)).unwrap_or_default()
    }))
}

/// Delete a product.
#[utoipa::path(delete, path = "/api/v1/admin/products/{sku}", tag = "merchant", security(("token" = ["catalog"])),
    params(("sku" = String, Path)),
    responses((status = 200, description = "{deleted}", body = Object),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn delete_product(
    who: Staff<Catalog>,
    state: web::Data<AppState>,
    sku: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = sku.clone();
    let removed = state
        .writer
        .run(move |tx| merchant::delete_product(tx, &who, &key))
        .await?;
    match removed {
        Some(_) => Ok(ok(json!({"deleted": sku.as_str()}))),
        None => Err(AppError::product_not_found(&sku).into()),
    }
}

/// The catalog with stock, in the import format, streamed.
/// The whole catalog with stock, in the import format, one product per line.
#[utoipa::path(get, path = "/api/v1/admin/export", tag = "merchant", security(("token" = ["catalog"])),
    responses((status = 200, description = "JSON Lines", content_type = "application/x-ndjson"),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn export(_: Staff<Catalog>, state: web::Data<AppState>) -> HttpResponse {
    crate::web::admin::catalog::catalog_download(state.store.clone())
}

/// JSON Lines, or CSV when the Content-Type says `text/csv`. Runs in batches beside checkouts.
/// One line of the import format (docs/import-format.md). The parser is lenient as spreadsheets
/// need (a number where text is expected, blank for absent), so this says what a line must
/// have, not every form it may take.
pub(crate) struct ProductLine;

impl utoipa::PartialSchema for ProductLine {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let limits = crate::catalog::import::LIMITS;
        serde_json::from_value(json!({
            "type": "object",
            "required": ["title", "price_cents"],
            "properties": {
                "sku": { "type": "string", "description": "The URL's SKU when left out; if given, the same" },
                "title": { "type": "string", "maxLength": limits.title, "pattern": "\\S" },
                "price_cents": { "type": "integer", "minimum": 0, "maximum": limits.price_cents },
                "currency": { "type": "string", "pattern": "^[A-Z]{3}$" },
                "stock": { "type": "integer", "minimum": 0, "maximum": crate::inventory::MAX_UNITS },
                "description": { "type": "string", "maxLength": limits.description },
                "brand": { "type": "string", "maxLength": limits.short_text },
                "category": { "type": "string", "description": "A /-separated path" },
                "part_numbers": { "type": "array", "maxItems": limits.part_numbers, "items": { "type": "string" } },
                "attributes": { "type": "object", "maxProperties": limits.attributes },
                "fitments": { "type": "array", "maxItems": limits.fitments, "items": { "type": "object" } },
                "universal": { "type": "boolean" },
                "group": { "type": "string", "maxLength": limits.short_text },
                "options": { "type": "object" },
                "featured": { "type": "boolean" },
                "popularity": { "type": "integer", "minimum": 0, "maximum": u32::MAX },
                "image": { "type": "string" }
            }
        }))
        .expect("a hand-written schema is a valid schema")
    }
}

impl utoipa::ToSchema for ProductLine {}

/// A catalog file as sent: bytes, read as JSON Lines or CSV.
pub(crate) struct CatalogFile;

impl utoipa::PartialSchema for CatalogFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        serde_json::from_value(json!({ "type": "string", "format": "binary" }))
            .expect("a hand-written schema is a valid schema")
    }
}

impl utoipa::ToSchema for CatalogFile {}

/// The import format named by `Content-Type`: CSV, or JSON Lines (also when none is given). The
/// types an HTML form can send cross-site are refused.
fn import_format(req: &HttpRequest) -> Result<Format, AppError> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "text/csv" => Ok(Format::Csv),
        "" | "application/json" | "application/x-ndjson" | "application/jsonl" | "application/jsonlines" => {
            Ok(Format::JsonLines)
        }
        other => Err(AppError::new(
            ErrorCode::UnsupportedMediaType,
            format!("an import is text/csv or application/x-ndjson (JSON Lines), not {other:?}"),
        )),
    }
}

/// Import a catalog: JSON Lines, or CSV with Content-Type text/csv.
#[utoipa::path(post, path = "/api/v1/admin/import", tag = "merchant", security(("token" = ["catalog"])),
    request_body(description = "The catalog", content((CatalogFile = "application/x-ndjson"), (CatalogFile = "text/csv"))),
    responses((status = 200, description = "{created, updated, unchanged, rejected: [{line, message}]}", body = Object),
        (status = 413, description = "Over 64 MiB", body = ErrorBody),
        (status = 415, description = "Neither JSON Lines nor CSV", body = ErrorBody),
        (status = 422, description = "The catalog cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn import(
    who: Staff<Catalog>,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let format = import_format(&req)?;
    let body = crate::web::guard::read_body(payload, IMPORT_LIMIT).await?;
    let writer = state.writer.clone();
    let report = blocking(move || Ok(merchant::import_catalog(&writer, &who, &body, format)?)).await?;
    Ok(ok(json!({
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected.iter().map(|r| json!({"line": r.line, "message": r.message})).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Adjust {
    #[serde(deserialize_with = "super::whole::i64")]
    delta: i64,
    /// Why, for the stock ledger.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    reason: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetStock {
    #[schema(maximum = 1_000_000_000)]
    #[serde(deserialize_with = "super::whole::u64")]
    quantity: u64,
    /// Why, for the stock ledger.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    reason: String,
}

fn reason(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(invalid(
            "give a reason of 1 to 200 characters (it goes in the stock ledger)",
        ));
    }
    Ok(text.to_owned())
}

fn stock_refusal(refusal: StockRefusal) -> ApiError {
    match refusal {
        StockRefusal::UnknownSku(sku) => AppError::product_not_found(&sku).into(),
        StockRefusal::BelowZero(short) => AppError::new(ErrorCode::Conflict, short.to_string())
            .with_details(json!([{"sku": short.sku, "requested": short.requested, "available": short.available}]))
            .into(),
    }
}

/// Add or take units, with a reason for the ledger.
#[utoipa::path(post, path = "/api/v1/admin/stock/{sku}/adjust", tag = "merchant", security(("token" = ["stock"])),
    params(("sku" = String, Path)),
    request_body = Adjust,
    responses((status = 200, description = "{stock, delta}", body = Object),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "Stock would go below zero", body = ErrorBody),
        (status = 422, description = "No reason, or a body of the wrong shape", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn adjust_stock(
    who: Staff<Stock>,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: web::Json<Adjust>,
) -> Result<HttpResponse, ApiError> {
    let why = reason(&body.reason)?;
    let (key, delta) = (sku.into_inner(), body.delta);
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::adjust_stock(tx, &who, &key, delta, &why))
        .await
        .refusals()?;
    let entry = outcome.map_err(stock_refusal)?;
    Ok(ok(json!({"stock": entry.balance, "delta": entry.delta})))
}

/// Set stock to a counted quantity.
#[utoipa::path(put, path = "/api/v1/admin/stock/{sku}", tag = "merchant", security(("token" = ["stock"])),
    params(("sku" = String, Path)),
    request_body = SetStock,
    responses((status = 200, description = "{stock, changed}", body = Object),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 422, description = "No reason, more than a billion units, or a body of the wrong shape", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn set_stock(
    who: Staff<Stock>,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: web::Json<SetStock>,
) -> Result<HttpResponse, ApiError> {
    let why = reason(&body.reason)?;
    let (key, quantity) = (sku.into_inner(), body.quantity);
    if quantity > crate::inventory::MAX_UNITS {
        return Err(invalid(format!(
            "quantity is more than the {} units one SKU may hold",
            crate::inventory::MAX_UNITS
        )));
    }
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::set_stock(tx, &who, &key, quantity, &why))
        .await
        .refusals()?;
    let entry = outcome.map_err(stock_refusal)?;
    Ok(ok(json!({"stock": quantity, "changed": entry.is_some()})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Threshold {
    /// `null` (or leaving it out) returns the SKU to the shop's default.
    #[serde(default, deserialize_with = "super::whole::option_u64")]
    #[schema(maximum = 1_000_000_000)]
    low_stock: Option<u64>,
}

/// Set a SKU's low-stock threshold; null returns it to the shop's default.
#[utoipa::path(put, path = "/api/v1/admin/stock/{sku}/threshold", tag = "merchant", security(("token" = ["stock"])),
    params(("sku" = String, Path)),
    request_body = Threshold,
    responses((status = 200, description = "{sku, low_stock, effective_low_stock}", body = Object),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 422, description = "A body of the wrong shape", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn set_threshold(
    who: Staff<Stock>,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    // An object only: serde would read a struct of optional fields from `[]` too.
    if !body.is_object() {
        return Err(invalid("the body is a JSON object such as {\"low_stock\": 5}"));
    }
    let body: Threshold =
        serde_json::from_value(body.into_inner()).map_err(|e| invalid(format!("request body: {e}")))?;
    let (key, threshold) = (sku.into_inner(), body.low_stock);
    if threshold.is_some_and(|t| t > crate::inventory::MAX_UNITS) {
        return Err(invalid(format!("low_stock is at most {}", crate::inventory::MAX_UNITS)));
    }
    let target = key.clone();
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::set_low_stock(tx, &who, &target, threshold))
        .await
        .refusals()?;
    outcome.map_err(stock_refusal)?;
    let effective = threshold.unwrap_or(state.config.shop.low_stock);
    Ok(ok(
        json!({"sku": key, "low_stock": threshold, "effective_low_stock": effective}),
    ))
}

/// SKUs at or below their low-stock threshold, fewest units first: the reorder list.
/// SKUs at or below their low-stock threshold, fewest units first: the reorder list.
#[utoipa::path(get, path = "/api/v1/admin/low-stock", tag = "merchant", security(("token" = ["stock"])),
    responses((status = 200, description = "{default_low_stock, items: [{sku, stock, low_stock}]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn low_stock(_who: Staff<Stock>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let default = state.config.shop.low_stock;
    let low = blocking(move || Ok(store.read()?.low_stock(default, 1_000)?)).await?;
    let items: Vec<_> = low
        .iter()
        .map(|l| json!({"sku": l.sku, "stock": l.units, "low_stock": l.threshold}))
        .collect();
    Ok(ok(json!({"default_low_stock": default, "items": items})))
}

/// A SKU's stock ledger, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/stock/{sku}/ledger", tag = "merchant", security(("token" = ["stock"])),
    params(("sku" = String, Path)),
    responses((status = 200, description = "{sku, entries: [{at, delta, balance, reason, actor}]}", body = Object),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn ledger(
    _who: Staff<Stock>,
    state: web::Data<AppState>,
    sku: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let key = sku.clone();
    let (exists, entries) = blocking(move || {
        let read = store.read()?;
        Ok((read.product(&key)?.is_some(), read.ledger(&key)?))
    })
    .await?;
    if !exists && entries.is_empty() {
        return Err(AppError::product_not_found(&sku).into());
    }
    let entries: Vec<_> = entries
        .iter()
        .map(|e| json!({"at": format_utc(e.at_ms), "delta": e.delta, "balance": e.balance, "reason": e.reason, "actor": e.actor}))
        .collect();
    Ok(ok(json!({"sku": sku.as_str(), "entries": entries})))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OrderQuery {
    /// pending, paid, fulfilled, shipped, cancelled or refunded.
    #[param(pattern = "^(pending|paid|fulfilled|shipped|cancelled|refunded)?$")]
    status: Option<String>,
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

/// Orders, newest first.
#[utoipa::path(get, path = "/api/v1/admin/orders", operation_id = "admin_list_orders", tag = "merchant", security(("token" = ["orders"])),
    params(OrderQuery),
    responses((status = 200, description = "{total, page, per_page, orders}", body = Object),
        (status = 400, description = "A malformed query string", body = ErrorBody),
        (status = 422, description = "An unknown status", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn orders(
    _who: Staff<Orders>,
    state: web::Data<AppState>,
    q: web::Query<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(s.parse::<Status>().map_err(|e| invalid(e.to_string()))?),
        None => None,
    };
    if q.page.is_some_and(|p| p == 0 || p > i32::MAX as u32) || q.per_page.is_some_and(|n| n == 0 || n > 100) {
        return Err(AppError::new(ErrorCode::BadRequest, "page counts from 1 and per_page is 1 to 100").into());
    }
    let page = crate::catalog::PageRequest::unbounded(q.page, q.per_page, 50);
    let store = state.store.clone();
    let (list, total) = blocking(move || {
        Ok(store
            .read()?
            .orders_newest_first(status, page.offset(), page.per_page as usize)?)
    })
    .await?;
    Ok(ok(json!({
        "total": total,
        "page": page.page,
        "per_page": page.per_page,
        "orders": list.iter().map(OrderJson::new).collect::<Vec<_>>(),
    })))
}

async fn find_order(state: &AppState, number: &str) -> Result<crate::orders::Order, ApiError> {
    state
        .shop
        .find_order(number)
        .await?
        .ok_or_else(|| ApiError(AppError::new(ErrorCode::OrderNotFound, format!("no order {number:?}"))))
}

/// One order, with the statuses it may move to.
#[utoipa::path(get, path = "/api/v1/admin/orders/{number}", operation_id = "admin_get_order", tag = "merchant", security(("token" = ["orders"])),
    params(("number" = String, Path)),
    responses((status = 200, description = "The order and next_statuses", body = Object),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn order(
    _who: Staff<Orders>,
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = find_order(&state, &number).await?;
    let mut body = serde_json::to_value(OrderJson::new(&order)).unwrap_or_default();
    body["next_statuses"] = json!(
        order
            .status
            .next(crate::orders::transition::was_paid(&order))
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
    );
    Ok(ok(body))
}

/// The statuses an order can be moved to by hand.
#[derive(Deserialize, utoipa::ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Target {
    Paid,
    Fulfilled,
    Shipped,
    Cancelled,
    Refunded,
}

impl Target {
    fn status(self) -> Status {
        match self {
            Target::Paid => Status::Paid,
            Target::Fulfilled => Status::Fulfilled,
            Target::Shipped => Status::Shipped,
            Target::Cancelled => Status::Cancelled,
            Target::Refunded => Status::Refunded,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionBody {
    to: Target,
    /// Needed to ship.
    carrier: Option<String>,
    /// Needed to ship.
    tracking_number: Option<String>,
    #[serde(default)]
    note: String,
}

/// Move an order to another status (a cancel or refund before shipping restocks).
#[utoipa::path(post, path = "/api/v1/admin/orders/{number}/transition", tag = "merchant", security(("token" = ["orders"])),
    params(("number" = String, Path)),
    request_body = TransitionBody,
    responses((status = 200, description = "The order after the change", body = OrderJson),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Not allowed from the order's status", body = ErrorBody),
        (status = 422, description = "An unknown status, or shipping without carrier and tracking number", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn transition(
    who: Staff<Orders>,
    state: web::Data<AppState>,
    number: web::Path<String>,
    body: web::Json<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let to = body.to.status();
    let key = find_order(&state, &number).await?.number;
    let shipment = Shipment::from_parts(body.carrier.as_deref(), body.tracking_number.as_deref());
    let note = crate::orders::clip_note(&body.note);
    let order = state
        .writer
        .run_use_case(move |tx| merchant::transition_order(tx, &who, &key, to, shipment, &note))
        .await
        .refusals()?
        .map_err(AppError::from)?;
    Ok(ok(serde_json::to_value(OrderJson::new(&order)).unwrap_or_default()))
}

/// API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "merchant", security(("token" = ["admin"])),
    responses((status = 200, description = "{tokens: [{id, scopes, label, created_at, revoked}]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn tokens(_who: Staff<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let list = blocking(move || Ok(store.read()?.api_tokens()?)).await?;
    Ok(ok(json!({"tokens": list.iter().map(|t| json!({
        "id": t.id, "scopes": t.scopes.to_string(), "label": t.label,
        "created_at": format_utc(t.created_ms), "revoked": t.revoked,
    })).collect::<Vec<_>>()})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    /// Comma-separated: catalog, orders, stock, admin.
    #[schema(
        example = "catalog,stock",
        pattern = "^(catalog|orders|stock|admin)(,(catalog|orders|stock|admin))*$"
    )]
    scopes: String,
    #[serde(default)]
    label: String,
}

/// Create a token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/tokens", tag = "merchant", security(("token" = ["admin"])),
    request_body = NewToken,
    responses((status = 201, description = "{token, scopes, note}", body = Object),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "An unknown scope", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn create_token(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    body: web::Json<NewToken>,
) -> Result<HttpResponse, ApiError> {
    let scopes = Scopes::parse(&body.scopes).map_err(invalid)?;
    let label = body.label.clone();
    let token = state
        .writer
        .run(move |tx| merchant::create_token(tx, &who, scopes, &label))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({"token": token, "scopes": scopes.to_string(), "note": "shown once; store it now"})))
}

/// Revoke a token.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}", tag = "merchant", security(("token" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 200, description = "{revoked}", body = Object),
        (status = 404, description = "No such token", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn revoke_token(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = id.clone();
    if state
        .writer
        .run(move |tx| merchant::revoke_token(tx, &who, &key))
        .await?
    {
        Ok(ok(json!({"revoked": id.as_str()})))
    } else {
        Err(AppError::new(ErrorCode::NotFound, format!("no token {:?}", id.as_str())).into())
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Only this subject's entries, such as `product:BRK-1`.
    subject: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "merchant", security(("token" = ["admin"])),
    params(AuditQuery),
    responses((status = 200, description = "{entries: [{at, actor, action, subject, before, after}]}", body = Object),
        (status = 400, description = "A malformed query string", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn audit(
    _who: Staff<Admin>,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let subject = q.subject.clone().filter(|s| !s.is_empty());
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::new(ErrorCode::BadRequest, "limit is 1 to 1000").into());
    }
    let entries = blocking(move || Ok(store.read()?.audit_log(subject.as_deref(), limit)?)).await?;
    Ok(ok(json!({"entries": entries.iter().map(|e| json!({
        "at": format_utc(e.at_ms), "actor": e.actor, "action": e.action, "subject": e.subject,
        "before": e.before, "after": e.after,
    })).collect::<Vec<_>>()})))
}
