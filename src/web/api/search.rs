//! `GET /api/v1/search`: text and part numbers, filters, facets, sorts, pages.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::{PageRequest, ops};
use crate::search::{FacetValue, SearchRequest, SearchSort, VehicleFilter};
use crate::state::AppState;
use crate::web::caching::cacheable;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/search").route(crate::web::read().to(search)));
}

/// Parses the query string; text is never an error, malformed numbers and unknown sorts are 400.
pub fn parse_request(pairs: &[(String, String)]) -> Result<SearchRequest, AppError> {
    let mut req = SearchRequest::default();
    let (mut page, mut per_page) = (None, None);
    let mut vehicle = VehicleParts::default();
    // Up to 2⁶³ - 1, the largest the OpenAPI document's int64 allows.
    let number = |name: &str, value: &str| {
        value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| i64::try_from(*n).is_ok())
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::BadRequest,
                    format!("{name} must be a whole number, got {value:?}"),
                )
            })
    };
    for (key, value) in pairs {
        match key.as_str() {
            "q" => req.q = value.chars().take(500).collect(),
            "brand" => req.brands.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                    .map(String::from),
            ),
            "category" => req.category = Some(value.trim().to_lowercase()).filter(|c| !c.is_empty()),
            "min_price" => req.min_price = Some(number(key, value)?),
            "max_price" => req.max_price = Some(number(key, value)?),
            "in_stock" => {
                req.in_stock = match value.trim() {
                    "true" => true,
                    "false" | "" => false,
                    other => {
                        return Err(AppError::new(
                            ErrorCode::BadRequest,
                            format!("in_stock is true or false, got {other:?}"),
                        ));
                    }
                }
            }
            "sort" => {
                req.sort = SearchSort::parse(value).ok_or_else(|| {
                    AppError::new(
                        ErrorCode::BadRequest,
                        format!("sort must be relevance, price_asc, price_desc, newest or title, got {value:?}"),
                    )
                })?
            }
            "year" => vehicle.year = Some(number(key, value)?),
            "make" => vehicle.make = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "model" => vehicle.model = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "submodel" => vehicle.submodel = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "engine" => vehicle.engine = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "page" => page = Some(u32::try_from(number(key, value)?).unwrap_or(u32::MAX)),
            "per_page" => per_page = Some(u32::try_from(number(key, value)?).unwrap_or(u32::MAX)),
            other => {
                if let Some(name) = other.strip_prefix("attr.").filter(|n| !n.is_empty()) {
                    req.attrs.push((name.to_owned(), value.clone()));
                }
            }
        }
    }
    req.page = PageRequest::checked(page, per_page, 20).map_err(|e| AppError::new(ErrorCode::BadRequest, e))?;
    req.vehicle = vehicle.into_filter()?;
    Ok(req)
}

#[derive(Default)]
struct VehicleParts {
    year: Option<u64>,
    make: Option<String>,
    model: Option<String>,
    submodel: Option<String>,
    engine: Option<String>,
}

impl VehicleParts {
    /// Year, make and model go together; submodel and engine narrow them.
    fn into_filter(self) -> Result<Option<VehicleFilter>, AppError> {
        match (self.year, self.make, self.model) {
            (None, None, None) if self.submodel.is_none() && self.engine.is_none() => Ok(None),
            (Some(year), Some(make), Some(model)) => Ok(Some(VehicleFilter {
                year: u16::try_from(year)
                    .map_err(|_| AppError::new(ErrorCode::BadRequest, "year is not a model year"))?,
                make,
                model,
                submodel: self.submodel,
                engine: self.engine,
            })),
            _ => Err(AppError::new(
                ErrorCode::BadRequest,
                "a vehicle needs year, make and model together",
            )),
        }
    }
}

/// The query parameters `parse_request` reads (a test checks it reads each of them).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct SearchParams {
    /// Words (all must match) or a part number typed any way.
    q: Option<String>,
    /// With make and model: parts that fit that vehicle, and universal ones.
    #[param(minimum = 0, maximum = 65535)]
    year: Option<u16>,
    make: Option<String>,
    model: Option<String>,
    submodel: Option<String>,
    engine: Option<String>,
    /// Repeat it, or separate brands with commas.
    brand: Option<String>,
    /// A category slug path; its subcategories are included.
    category: Option<String>,
    /// Minor units.
    #[param(minimum = 0)]
    min_price: Option<u64>,
    #[param(minimum = 0)]
    max_price: Option<u64>,
    in_stock: Option<bool>,
    /// relevance, price_asc, price_desc, newest or title.
    #[param(pattern = "^(relevance|price_asc|price_desc|newest|title)$")]
    sort: Option<String>,
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Hit {
    sku: String,
    title: String,
    brand: Option<String>,
    category: Option<String>,
    /// What one unit costs now (a scheduled price or flash sale in force).
    price_cents: i64,
    /// The regular price, when the shopper pays less now.
    #[serde(skip_serializing_if = "Option::is_none")]
    was_price_cents: Option<i64>,
    currency: String,
    stock: u64,
    in_stock: bool,
    part_numbers: Vec<String>,
    url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Answer {
    total: u64,
    page: u32,
    per_page: u32,
    /// Nothing matched as typed, so a spelling-tolerant search answered.
    corrected: bool,
    /// Nothing matched as typed, so the vehicle named in the query ("oil filter civic") was read
    /// as a filter: `{year, make, model, words}` (`words`: what was searched for with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    understood: Option<Value>,
    hits: Vec<Hit>,
    /// `brand`, `category`, `price` and one `attr.NAME` per attribute: `[{"value","count"}]`.
    #[schema(value_type = Object)]
    facets: Map<String, Value>,
}

/// Search products: text and part numbers, vehicle fitment, filters, facets, sorts. Attributes
/// filter as `attr.NAME=VALUE`.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchParams),
    responses((status = 200, body = Answer), (status = 304, description = "Not modified"),
        (status = 400, description = "A malformed number, an unknown sort, or a vehicle without year, make and model", body = ErrorBody)))]
pub(crate) async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let request = parse_request(&query)?;
    let shared = state.clone();
    let answer = blocking(move || {
        let results = shared.search.search(&request).map_err(|e| {
            tracing::error!(error = %e, "search failed");
            AppError::new(ErrorCode::Internal, "search failed")
        })?;
        if results.total == 0 {
            crate::search::record_zero_results(&shared.writer, &request.q);
        }
        // A hit whose product vanished since the index was built is skipped, not an error.
        let hits: Vec<Hit> = ops::items(&shared.store, &results.skus)?
            .into_iter()
            .map(|item| {
                let p = &item.product;
                Hit {
                    sku: p.sku.to_string(),
                    title: p.title.clone(),
                    brand: p.brand.clone(),
                    category: p.category.as_ref().map(ToString::to_string),
                    price_cents: item.unit_price().minor(),
                    was_price_cents: item.was().map(|m| m.minor()),
                    currency: p.price.currency().to_string(),
                    stock: item.stock,
                    in_stock: item.in_stock(),
                    part_numbers: p.part_numbers.iter().map(ToString::to_string).collect(),
                    url: format!("/p/{}", p.sku),
                }
            })
            .collect();
        let mut facets = Map::new();
        let list = |values: &[FacetValue]| serde_json::to_value(values).unwrap_or_default();
        facets.insert("brand".into(), list(&results.facets.brand));
        facets.insert("category".into(), list(&results.facets.category));
        for (name, values) in &results.facets.attrs {
            facets.insert(format!("attr.{name}"), list(values));
        }
        facets.insert("price".into(), list(&results.facets.price));
        Ok(Answer {
            total: results.total,
            page: request.page.page,
            per_page: request.page.per_page,
            corrected: results.corrected,
            understood: results.understood.as_ref().map(
                |(v, words)| serde_json::json!({"year": v.year, "make": v.make, "model": v.model, "words": words}),
            ),
            hits,
            facets,
        })
    })
    .await?;
    let body = serde_json::to_vec(&answer).unwrap_or_default();
    Ok(cacheable(
        &req,
        "application/json",
        body,
        state.config.http.page_max_age,
    ))
}
