//! `GET /search`: the results page. Its parameters are those of the search API, read leniently:
//! a malformed number or an unknown sort is dropped rather than refused.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};

use super::chrome;
use crate::catalog::ops;
use crate::state::AppState;
use crate::web::api::search::parse_request;
use crate::web::views::search::SearchPage;
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
    let vehicle = crate::web::visitor::Visitor::of(&req).vehicle;
    let mut request = parse_request(&params)?;
    let everything = params.iter().any(|(k, _)| k == "all_vehicles");
    let garage_applied = request.vehicle.is_none() && !everything && vehicle.is_some();
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
        let chrome = chrome(shared, &tx, &visitor)?;
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
