//! `GET /api/v1/products` and `GET /api/v1/products/{sku}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::catalog::export::Line;
use crate::catalog::{Item, PageRequest, ops};
use crate::state::AppState;
use crate::web::caching::cacheable;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/products").route(crate::web::read().to(list)))
        .service(super::resource("/products/{sku}").route(crate::web::read().to(get)));
}

/// A product as the API shows it: the import-format fields plus what a shopper asks about.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Product)]
pub struct ProductJson<'a> {
    #[serde(flatten)]
    line: Line<'a>,
    in_stock: bool,
    /// What one unit costs now: a running flash sale's price, a scheduled price in force, or
    /// `price_cents`.
    current_price_cents: i64,
    /// A running flash sale.
    #[serde(skip_serializing_if = "Option::is_none")]
    sale: Option<SaleJson>,
    /// The product page.
    url: String,
}

/// A running flash sale as a product shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SaleJson {
    price_cents: i64,
    /// RFC 3339.
    ends: String,
    /// Units left at the sale price.
    remaining: u64,
    name: String,
}

impl<'a> ProductJson<'a> {
    pub fn new(item: &'a Item) -> ProductJson<'a> {
        ProductJson {
            line: Line::new(&item.product, item.stock),
            in_stock: item.in_stock(),
            current_price_cents: item.unit_price().minor(),
            sale: item.offer.as_ref().map(|o| SaleJson {
                price_cents: o.price.minor(),
                ends: crate::domain::format_utc(o.ends_ms),
                remaining: o.remaining,
                name: o.name.clone(),
            }),
            url: format!("/p/{}", item.product.sku),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// From 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProductPage<'a> {
    total: u64,
    page: u32,
    per_page: u32,
    items: Vec<ProductJson<'a>>,
}

/// A page of products in SKU order.
#[utoipa::path(get, path = "/api/v1/products", operation_id = "list_products", tag = "catalog", params(PageQuery),
    responses(
        (status = 200, description = "A page", body = ProductPage),
        (status = 304, description = "Not modified: If-None-Match matched the ETag"),
        (status = 400, description = "A malformed query string", body = ErrorBody),
    ))]
pub(crate) async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::checked(query.page, query.per_page, 20)
        .map_err(|e| AppError::new(crate::web::ErrorCode::BadRequest, e))?;
    let store = state.store.clone();
    let result = blocking(move || Ok(ops::list(&store, page)?)).await?;
    let body = ProductPage {
        total: result.total,
        page: page.page,
        per_page: page.per_page,
        items: result.items.iter().map(ProductJson::new).collect(),
    };
    Ok(json(&req, &state, &body))
}

/// One product with stock, part numbers, attributes and fitments.
#[utoipa::path(get, path = "/api/v1/products/{sku}", operation_id = "get_product", tag = "catalog",
    params(("sku" = String, Path, description = "The product's SKU")),
    responses(
        (status = 200, description = "The product", body = ProductJson),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such product (product_not_found)", body = ErrorBody),
    ))]
pub(crate) async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    sku: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku.into_inner();
    let store = state.store.clone();
    let key = sku.clone();
    let item = blocking(move || Ok(ops::item(&store, &key)?))
        .await?
        .ok_or_else(|| AppError::product_not_found(&sku))?;
    Ok(json(&req, &state, &ProductJson::new(&item)))
}

/// Catalog reads are public and cacheable like the pages.
fn json(req: &HttpRequest, state: &AppState, body: &impl Serialize) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => cacheable(req, "application/json", bytes, state.config.http.page_max_age),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize response");
            HttpResponse::InternalServerError().finish()
        }
    }
}
