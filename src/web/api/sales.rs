//! Flash sales for the merchant: `POST`/`GET /api/v1/admin/sales`, `GET`/`DELETE
//! /api/v1/admin/sales/{id}`. A sale's JSON is also its report: units, revenue, sell-out times.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::admin::staff_resource as resource;
use crate::domain::{Sku, format_utc, now_ms, parse_rfc3339};
use crate::sales::model::{FlashSale, SaleError, Then};
use crate::sales::ops::NewSale;
use crate::staff::{Catalog, Staff};
use crate::state::AppState;
use crate::store::Refusals;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/admin/sales")
            .route(crate::web::read().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/admin/sales/{id}")
            .route(crate::web::read().to(get))
            .route(web::delete().to(end)),
    );
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaleBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// RFC 3339, such as 2026-12-05T09:00:00-05:00.
    starts: String,
    /// RFC 3339; after `starts`.
    ends: String,
    #[schema(min_items = 1, max_items = 100)]
    items: Vec<SaleItemBody>,
    /// Units of each item one shopper may buy at the sale price.
    #[schema(minimum = 1)]
    per_customer_limit: Option<u32>,
    /// What happens once an item's quantity is gone: it sells on at the regular price, or shows
    /// sold out until the sale ends.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(regular|sold_out)$", example = "regular")]
    then: Option<Then>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaleItemBody {
    #[schema(value_type = String, min_length = 1, max_length = 64, pattern = r"^[^\s/?#%]+$")]
    sku: Sku,
    #[schema(minimum = 1)]
    price_cents: i64,
    #[schema(minimum = 1)]
    quantity: u32,
}

/// A flash sale with what it has sold.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SaleJson {
    id: u64,
    name: String,
    starts: String,
    ends: String,
    /// scheduled | running | ended
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_early: Option<String>,
    per_customer_limit: Option<u32>,
    #[schema(value_type = String)]
    then: Then,
    items: Vec<SaleItemJson>,
    units_sold: u64,
    revenue_cents: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SaleItemJson {
    sku: String,
    price_cents: i64,
    quantity: u32,
    sold: u32,
    remaining: u32,
    orders: u32,
    revenue_cents: i64,
    /// When the last unit sold (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    sold_out_at: Option<String>,
}

impl SaleJson {
    pub(crate) fn new(sale: &FlashSale, now: u64) -> SaleJson {
        let status = match (sale.running(now), sale.starts_ms > now) {
            (true, _) => "running",
            (false, true) if sale.ended_early_ms.is_none() => "scheduled",
            _ => "ended",
        };
        SaleJson {
            id: sale.id,
            name: sale.name.clone(),
            starts: format_utc(sale.starts_ms),
            ends: format_utc(sale.ends_ms),
            status,
            ended_early: sale.ended_early_ms.map(format_utc),
            per_customer_limit: sale.per_customer_limit,
            then: sale.then,
            units_sold: sale.items.iter().map(|i| u64::from(i.sold)).sum(),
            revenue_cents: sale.items.iter().map(|i| i.revenue_minor()).sum(),
            items: sale
                .items
                .iter()
                .map(|i| SaleItemJson {
                    sku: i.sku.to_string(),
                    price_cents: i.price.minor(),
                    quantity: i.quantity,
                    sold: i.sold,
                    remaining: i.quantity - i.sold,
                    orders: i.orders,
                    revenue_cents: i.revenue_minor(),
                    sold_out_at: i.sold_out_ms.map(format_utc),
                })
                .collect(),
        }
    }
}

fn time(name: &str, raw: &str) -> Result<u64, ApiError> {
    parse_rfc3339(raw).ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("{name} must be an RFC 3339 time such as 2026-12-05T09:00:00Z"),
        )
        .into()
    })
}

/// A sale's number from the path; anything else names no sale.
fn sale_id(text: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| refusal(SaleError::NotFound))
}

fn refusal(e: SaleError) -> ApiError {
    match e {
        SaleError::Invalid(m) => AppError::new(ErrorCode::InvalidInput, m).into(),
        SaleError::NotFound => AppError::new(ErrorCode::NotFound, "no such flash sale").into(),
    }
}

impl SaleBody {
    pub(crate) fn into_new_sale(self) -> Result<NewSale, ApiError> {
        Ok(NewSale {
            starts_ms: time("starts", &self.starts)?,
            ends_ms: time("ends", &self.ends)?,
            name: self.name,
            items: self
                .items
                .into_iter()
                .map(|i| (i.sku, i.price_cents, i.quantity))
                .collect(),
            per_customer_limit: self.per_customer_limit,
            then: self.then.unwrap_or_default(),
        })
    }
}

/// Creates a flash sale: exactly `quantity` units of each item sell at its price between
/// `starts` and `ends`, under any concurrency.
#[utoipa::path(post, path = "/api/v1/admin/sales", operation_id = "create_sale", tag = "merchant", security(("token" = ["catalog"])),
    request_body = SaleBody,
    responses((status = 201, description = "The sale", body = SaleJson),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "An unknown SKU, a bad time, quantity or price", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn create(
    who: Staff<Catalog>,
    state: web::Data<AppState>,
    body: web::Json<SaleBody>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().into_new_sale()?;
    let now = now_ms();
    let sale = state
        .writer
        .run_use_case(move |tx| crate::sales::ops::create(tx, &who, new, now))
        .await
        .refusals()?
        .map_err(refusal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/admin/sales/{}", sale.id)))
        .json(SaleJson::new(&sale, now)))
}

/// Every flash sale, newest first, with its units, revenue and sell-out times.
#[utoipa::path(get, path = "/api/v1/admin/sales", operation_id = "list_sales", tag = "merchant", security(("token" = ["catalog"])),
    responses((status = 200, description = "{sales: [...]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody)))]
pub(crate) async fn list(_: Staff<Catalog>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let sales = blocking(move || Ok(store.read()?.flash_sales()?)).await?;
    let now = now_ms();
    let sales: Vec<SaleJson> = sales.iter().map(|s| SaleJson::new(s, now)).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "sales": sales })))
}

/// One flash sale and how it went.
#[utoipa::path(get, path = "/api/v1/admin/sales/{id}", operation_id = "get_sale", tag = "merchant", security(("token" = ["catalog"])),
    params(("id" = String, Path, description = "The sale's number")),
    responses((status = 200, description = "The sale", body = SaleJson),
        (status = 404, description = "No such sale", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody)))]
pub(crate) async fn get(
    _: Staff<Catalog>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (store, id) = (state.store.clone(), sale_id(&id)?);
    let sale = blocking(move || Ok(store.read()?.flash_sale(id)?))
        .await?
        .ok_or_else(|| refusal(SaleError::NotFound))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SaleJson::new(&sale, now_ms())))
}

/// Ends a sale now; its record stays for the reports.
#[utoipa::path(delete, path = "/api/v1/admin/sales/{id}", operation_id = "end_sale", tag = "merchant", security(("token" = ["catalog"])),
    params(("id" = String, Path, description = "The sale's number")),
    responses((status = 200, description = "The sale, ended", body = SaleJson),
        (status = 404, description = "No such sale", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn end(
    who: Staff<Catalog>,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (id, now) = (sale_id(&id)?, now_ms());
    let sale = state
        .writer
        .run_use_case(move |tx| crate::sales::ops::end(tx, &who, id, now))
        .await
        .refusals()?
        .map_err(refusal)?;
    Ok(HttpResponse::Ok().json(SaleJson::new(&sale, now)))
}
