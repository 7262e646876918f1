//! `GET /search`: the results page. Its parameters are those of the search API, read leniently:
//! a malformed number or an unknown sort is dropped rather than refused.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};

use super::chrome;
use crate::catalog::ops;
use crate::state::AppState;
use crate::web::api::search::parse_request;
use crate::web::views::search::{Landing, SearchPage};
use crate::web::{AppError, ErrorCode, PageError, views};

pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let params: Vec<(String, String)> = query
        .into_inner()
        .into_iter()
        .filter(|(k, v)| !v.trim().is_empty() && valid(k, v))
        .collect();
    results_page(req, state, params, None).await
}

/// `GET /fits/{year}-{make}-{model}[/{category}]`: the parts that fit one vehicle (and universal
/// items), a page of its own for search engines; 404 for a vehicle no part fits.
pub async fn fits(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, Option<String>)>,
) -> Result<HttpResponse, PageError> {
    let (vehicle, category) = path.into_inner();
    let not_found = || {
        PageError(AppError::new(
            ErrorCode::NotFound,
            "no part in this shop fits that vehicle",
        ))
    };
    let (year, make, model) = find_vehicle(&state, &vehicle).ok_or_else(not_found)?;
    let mut params = vec![
        ("year".to_owned(), year.to_string()),
        ("make".to_owned(), make.clone()),
        ("model".to_owned(), model.clone()),
    ];
    let mut title = format!("Parts for the {year} {make} {model}");
    let vehicle_path = format!("/fits/{vehicle}");
    let mut own = vehicle_path.clone();
    if let Some(slug) = category.filter(|c| !c.is_empty()) {
        let store = state.store.clone();
        let wanted = slug.clone();
        let found = crate::web::blocking(move || Ok(store.read()?.category(&wanted)?)).await?;
        let category = found.ok_or_else(not_found)?;
        title = format!("{} for the {year} {make} {model}", category.path.name());
        own = format!("{own}/{slug}");
        params.push(("category".to_owned(), slug));
    }
    let landing = Landing {
        title,
        path: own,
        vehicle_path,
        vehicle: format!("{year} {make} {model}"),
    };
    results_page(req, state, params, Some(landing)).await
}

/// The vehicle a landing page's slug names (`2009-honda-civic`), in the catalog's spelling.
fn find_vehicle(state: &AppState, slug: &str) -> Option<(u16, String, String)> {
    use crate::search::Level;
    let (year, rest) = slug.split_once('-')?;
    let year: u16 = year.parse().ok()?;
    let slug_of = crate::domain::slug_of;
    for make in state.search.vehicle_values(Level::Make, Some(year), None, None, None) {
        let Some(model_slug) = rest.strip_prefix(&slug_of(&make)).and_then(|r| r.strip_prefix('-')) else {
            continue;
        };
        let models = state
            .search
            .vehicle_values(Level::Model, Some(year), Some(&make), None, None);
        if let Some(model) = models.into_iter().find(|m| slug_of(m) == model_slug) {
            return Some((year, make, model));
        }
    }
    None
}

/// The landing page's address for a vehicle.
pub fn fits_path(year: &str, make: &str, model: &str) -> String {
    let slug_of = crate::domain::slug_of;
    format!("/fits/{year}-{}-{}", slug_of(make), slug_of(model))
}

async fn results_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: Vec<(String, String)>,
    landing: Option<Landing>,
) -> Result<HttpResponse, PageError> {
    let vehicle = crate::web::visitor::Visitor::of(&req).vehicle;
    let mut request = parse_request(&params)?;
    let everything = params.iter().any(|(k, _)| k == "all_vehicles");
    let garage_applied = request.vehicle.is_none() && !everything && vehicle.is_some() && landing.is_none();
    if garage_applied {
        request.vehicle = vehicle.clone();
    }
    super::catalog_page(&req, &state, move |shared, visitor| {
        let results = shared
            .search
            .search(&request)
            .map_err(|e| AppError::new(ErrorCode::Internal, format!("search failed: {e}")))?;
        if results.total == 0 {
            crate::search::record_zero_results(&shared.writer, &request.q);
        }
        let tx = shared.store.read()?;
        let items = ops::items(&shared.store, &results.skus)?;
        let category_names: HashMap<String, String> = tx
            .categories()?
            .into_iter()
            .map(|(slug, c)| (slug, c.path.name().to_owned()))
            .collect();
        let best_sellers = if results.total == 0 {
            ops::items(&shared.store, &shared.search.best_sellers(4)?)?
        } else {
            Vec::new()
        };
        let mut chrome = chrome(shared, &tx, &visitor)?;
        chrome.query = request.q.clone();
        let found = results.total > 0;
        let page_params = params.into_iter().filter(|(k, _)| k != "page").collect();
        let page = SearchPage {
            params: page_params,
            request,
            results,
            items,
            category_names,
            best_sellers,
            garage_applied,
            landing,
        };
        Ok((views::search::search(&chrome, &page), found))
    })
    .await
}

fn valid(key: &str, value: &str) -> bool {
    match key {
        "min_price" | "max_price" | "page" | "per_page" => value.trim().parse::<u64>().is_ok(),
        "sort" => crate::search::SearchSort::parse(value).is_some(),
        _ => true,
    }
}
