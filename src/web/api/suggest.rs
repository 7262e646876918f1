//! `GET /api/v1/suggest?q=`: autocomplete over titles, part numbers, brands and categories.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::catalog::ops;
use crate::state::AppState;
use crate::web::caching::cacheable;
use crate::web::{ApiError, AppError, ErrorCode, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/suggest").route(crate::web::read().to(suggest)));
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Prefix {
    /// What the shopper has typed so far.
    q: Option<String>,
}

/// One suggestion: what to show and where it leads.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Suggestion {
    /// `part_number`, `product`, `brand` or `category`.
    #[schema(value_type = String)]
    kind: &'static str,
    text: String,
    url: String,
}

/// The suggestions for a prefix.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Suggestions {
    suggestions: Vec<Suggestion>,
    /// The shopper's saved vehicle ("2009 Honda Civic") when the product suggestions are
    /// narrowed to the parts that fit it (and universal items).
    vehicle: Option<String>,
}

/// Autocomplete for a prefix: part numbers, products, brands, categories.
#[utoipa::path(get, path = "/api/v1/suggest", tag = "catalog", params(Prefix),
    responses((status = 200, body = Suggestions), (status = 304, description = "Not modified")))]
pub(crate) async fn suggest(
    req: HttpRequest,
    state: web::Data<AppState>,
    prefix: web::Query<Prefix>,
) -> Result<HttpResponse, ApiError> {
    let q: String = prefix.into_inner().q.unwrap_or_default().chars().take(100).collect();
    let shared = state.clone();
    let garage = crate::web::visitor::Visitor::of(&req).vehicle;
    let personal = garage.is_some();
    let (suggestions, vehicle) = blocking(move || {
        let found = shared
            .search
            .suggest(&q, garage.as_ref())
            .map_err(|e| AppError::new(ErrorCode::Internal, format!("suggest failed: {e}")))?;
        let vehicle = garage
            .as_ref()
            .filter(|_| found.narrowed)
            .map(crate::web::garage::describe);
        let mut out = Vec::new();
        let key = &found.part_number_key;
        for item in ops::items(&shared.store, &found.part_numbers)? {
            let p = &item.product;
            let text = match p.part_numbers.iter().find(|pn| pn.key().starts_with(key.as_str())) {
                Some(pn) => format!("{pn} · {}", p.title),
                None => p.title.clone(),
            };
            out.push(Suggestion {
                kind: "part_number",
                text,
                url: format!("/p/{}", p.sku),
            });
        }
        // Distinct entries: a title that repeats (the same pads for many cars) is told apart by
        // its part number, and an exact repeat is shown once.
        let items = ops::items(&shared.store, &found.products)?;
        let mut seen = std::collections::HashSet::new();
        for item in &items {
            let p = &item.product;
            let repeats = items.iter().filter(|other| other.product.title == p.title).count() > 1;
            let text = match (repeats, p.own_part_number()) {
                (true, Some(pn)) => format!("{} · {pn}", p.title),
                _ => p.title.clone(),
            };
            if seen.len() >= 6 || !seen.insert(text.clone()) {
                continue;
            }
            out.push(Suggestion {
                kind: "product",
                text,
                url: format!("/p/{}", p.sku),
            });
        }
        for brand in found.brands {
            let url = format!(
                "/search?{}",
                serde_urlencoded::to_string([("brand", brand.as_str())]).unwrap_or_default()
            );
            out.push(Suggestion {
                kind: "brand",
                text: brand,
                url,
            });
        }
        let wanted = q.trim().to_lowercase();
        if wanted.chars().count() >= 2 {
            for (slug, category) in shared.store.read()?.categories()? {
                if category
                    .path
                    .name()
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&wanted))
                {
                    out.push(Suggestion {
                        kind: "category",
                        text: category.path.to_string(),
                        url: format!("/c/{slug}"),
                    });
                }
            }
        }
        Ok((out, vehicle))
    })
    .await?;
    let body = serde_json::to_vec(&Suggestions { suggestions, vehicle }).unwrap_or_default();
    if personal {
        // Narrowed by this shopper's garage cookie: for them alone, never a shared cache.
        return Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-cache"))
            .content_type("application/json")
            .body(body));
    }
    Ok(cacheable(
        &req,
        "application/json",
        body,
        state.config.http.page_max_age,
    ))
}
