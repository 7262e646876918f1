//! `GET /api/v1/products` and `GET /api/v1/products/{sku}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::catalog::export::Line;
use crate::catalog::{Item, PageRequest, ops};
use crate::web::caching::cacheable;
use crate::web::{ApiError, AppError, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/products").route(crate::web::read().to(list)))
        .service(super::resource("/products/{sku}").route(crate::web::read().to(get)));
}

/// A product as the API shows it: the import-format fields plus what a shopper asks about.
#[derive(Serialize)]
pub struct ProductJson<'a> {
    #[serde(flatten)]
    line: Line<'a>,
    in_stock: bool,
    url: String,
}

impl<'a> ProductJson<'a> {
    pub fn new(item: &'a Item) -> ProductJson<'a> {
        ProductJson {
            line: Line::new(&item.product, item.stock),
            in_stock: item.in_stock(),
            url: format!("/p/{}", item.product.sku),
        }
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

#[derive(Serialize)]
struct ProductPage<'a> {
    total: u64,
    page: u32,
    per_page: u32,
    items: Vec<ProductJson<'a>>,
}

async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(query.page, query.per_page, 20);
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

async fn get(req: HttpRequest, state: web::Data<AppState>, sku: web::Path<String>) -> Result<HttpResponse, ApiError> {
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
