//! HTML pages: home, category listings and product pages, plus the error pages around them.

mod cart_page;
mod checkout_page;
mod garage_page;
mod search;
mod sitemap;

use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::Markup;
use serde::Deserialize;

use super::caching::html_page;
use super::views::{self, Chrome};
use super::visitor::Visitor;
use super::{AppError, ErrorCode, PageError, blocking};
use crate::catalog::{PageRequest, Sort, ops};
use crate::state::AppState;
use crate::store::ReadTx;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(crate::web::read().to(home)))
        .service(web::resource("/c/{slug:.+}").route(crate::web::read().to(category)))
        .service(web::resource("/p/{sku}").route(crate::web::read().to(product)))
        .service(web::resource("/search").route(crate::web::read().to(search::search)))
        .service(web::resource("/fits/{vehicle}").route(crate::web::read().to(fits_vehicle)))
        .service(web::resource("/fits/{vehicle}/{category:.+}").route(crate::web::read().to(search::fits)))
        .service(
            web::resource("/garage")
                .route(crate::web::read().to(garage_page::show))
                .route(web::post().to(garage_page::save)),
        )
        .service(web::resource("/garage/clear").route(web::post().to(garage_page::clear)))
        .service(web::resource("/garage/switch").route(web::post().to(garage_page::switch)))
        .service(web::resource("/garage/forget").route(web::post().to(garage_page::forget)))
        .configure(sitemap::configure)
        .configure(cart_page::configure)
        .configure(checkout_page::configure);
}

/// Every page's frame data, read in the same blocking call as the page itself.
fn chrome(state: &AppState, tx: &ReadTx, visitor: &Visitor) -> Result<Chrome, AppError> {
    let nav = tx
        .categories()?
        .into_iter()
        .filter(|(_, c)| c.path.depth() == 1)
        .collect();
    Ok(Chrome {
        shop: state.config.shop.clone(),
        nav,
        vehicle: visitor.vehicle.clone(),
        cart_units: cart_units(state, tx, visitor)?,
        cart_token: visitor.cart.as_deref().map(crate::web::visitor::cart_form_token),
        flags: state.flags.for_visitor(visitor.bucket.as_deref()),
        years: if visitor.vehicle.is_none() {
            state.search.vehicle_years()
        } else {
            Vec::new()
        },
        query: String::new(),
    })
}

/// Units in the visitor's cart, for the header's mini-cart.
fn cart_units(state: &AppState, tx: &ReadTx, visitor: &Visitor) -> Result<u64, AppError> {
    let Some(id) = &visitor.cart else { return Ok(0) };
    let clock = state.shop.clock();
    Ok(crate::cart::ops::load(tx, id, clock)?.map_or(0, |c| c.units()))
}

/// A catalog page: from the page cache when the shopper has no personal cookie and a copy is
/// still right; else rendered on the blocking pool (and kept, when shared and `render` says the
/// page may be: a search that found nothing is recorded each time, so it is not kept).
pub(crate) async fn catalog_page<F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    render: F,
) -> Result<HttpResponse, PageError>
where
    F: FnOnce(&AppState, Visitor) -> Result<(Markup, bool), AppError> + Send + 'static,
{
    let max_age = state.config.http.page_max_age;
    let visitor = Visitor::of(req);
    state.flags.count_view(visitor.bucket.as_deref());
    let shared = state.clone();
    let variant = state.flags.variant_key(visitor.bucket.as_deref());
    let Some(key) = crate::web::page_cache::key(&state.pages, req, &variant) else {
        let (markup, _) = blocking(move || render(&shared, visitor)).await?;
        return Ok(html_page(req, markup, max_age));
    };
    // Taken before rendering: a change meanwhile leaves the copy stale, never wrongly fresh.
    let stamp = state.pages.stamp(state.search.generation());
    if let Some(hit) = state.pages.get(&key, stamp) {
        return Ok(crate::web::page_cache::respond(req, &hit, max_age, true));
    }
    let entry = blocking(move || {
        let (markup, keep) = render(&shared, visitor)?;
        let html = markup.into_string().into_bytes();
        Ok(if keep {
            Ok(shared.pages.put(key, html, stamp))
        } else {
            Err(html)
        })
    })
    .await?;
    Ok(match entry {
        Ok(entry) => crate::web::page_cache::respond(req, &entry, max_age, false),
        Err(html) => super::caching::cacheable(req, "text/html; charset=utf-8", html, max_age),
    })
}

/// `/fits/{vehicle}` without a category.
async fn fits_vehicle(
    req: HttpRequest,
    state: web::Data<AppState>,
    vehicle: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    search::fits(req, state, web::Path::from((vehicle.into_inner(), None))).await
}

async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    catalog_page(&req, &state, |shared, visitor| {
        let home = ops::home(&shared.store, 8, &shared.search.best_sellers(8)?)?;
        let chrome = chrome(shared, &shared.store.read()?, &visitor)?;
        Ok((views::home::home(&chrome, &home), true))
    })
    .await
}

/// Listing query parameters, parsed leniently: a bad value falls back to the default.
#[derive(Deserialize)]
struct ListingQuery {
    sort: Option<String>,
    page: Option<String>,
}

impl ListingQuery {
    fn sort(&self) -> Sort {
        self.sort
            .as_deref()
            .and_then(|s| Sort::ALL.into_iter().find(|o| o.as_str() == s))
            .unwrap_or_default()
    }

    fn page(&self) -> PageRequest {
        PageRequest::new(self.page.as_deref().and_then(|p| p.parse().ok()), None, 24)
    }
}

async fn category(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<ListingQuery>,
) -> Result<HttpResponse, PageError> {
    let slug = slug.into_inner().trim_end_matches('/').to_lowercase();
    let (sort, page) = (query.sort(), query.page());
    catalog_page(&req, &state, move |shared, visitor| {
        let listing = ops::category_listing(&shared.store, &shared.listings, &slug, sort, page)?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("there is no category {slug:?}")))?;
        let facets = category_facets(shared, &slug)?;
        let chrome = chrome(shared, &shared.store.read()?, &visitor)?;
        Ok((views::category::category(&chrome, &listing, &facets, sort), true))
    })
    .await
}

/// The filters a category's shoppers narrow it by (brand, price, attributes), counted over the
/// whole category as the search index has it. Its subcategories are the page's own chips.
fn category_facets(shared: &AppState, slug: &str) -> Result<crate::search::Facets, AppError> {
    let request = crate::search::SearchRequest {
        category: Some(slug.to_owned()),
        page: crate::catalog::PageRequest { page: 1, per_page: 1 },
        ..Default::default()
    };
    let mut facets = shared.search.search(&request)?.facets;
    facets.category.clear();
    Ok(facets)
}

async fn product(
    req: HttpRequest,
    state: web::Data<AppState>,
    sku: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let sku = sku.into_inner();
    state.product_views.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    catalog_page(&req, &state, move |shared, visitor| {
        let detail = ops::product_detail(&shared.store, &sku)?.ok_or_else(|| AppError::product_not_found(&sku))?;
        let chrome = chrome(shared, &shared.store.read()?, &visitor)?;
        Ok((views::product::product(&chrome, &detail), true))
    })
    .await
}

/// Dresses every HTML error response (ours, or actix's own such as a 404 route miss) in the full
/// layout with the shop's navigation. API and asset errors pass through untouched.
pub fn error_pages<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render_error_page)
}

fn render_error_page<B: 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let path = res.request().path();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/html"));
    // A handler that renders its own full page for an error status (a refused cart change, a
    // checkout form with field errors) attaches no error; only bare errors are dressed.
    let bare_error = res.response().error().is_some();
    if path.starts_with("/api/") || path.starts_with("/assets/") || !is_html || !bare_error {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = res
        .response()
        .error()
        .and_then(|e| e.as_error::<PageError>())
        .map(|e| e.0.message.clone())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
    let (req, _) = res.into_parts();
    let visitor = Visitor::of(&req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let chrome = match state {
            Some(state) => blocking(move || chrome(&state, &state.store.read()?, &visitor))
                .await
                .ok(),
            None => None,
        };
        let markup = views::errors::page_for(chrome.as_ref(), status, &message);
        let response = HttpResponse::build(status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/html; charset=utf-8")
            .body(markup.into_string());
        Ok(ServiceResponse::new(req, response).map_into_right_body::<B>())
    })))
}
