//! `GET /api/v1/vehicles/{years,makes,models,submodels,engines}`: the Year/Make/Model cascade,
//! listing only vehicles that at least one product fits.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::app::AppState;
use crate::search::Level;
use crate::web::caching::cacheable;
use crate::web::{ApiError, AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, level) in [
        ("/vehicles/years", Level::Year),
        ("/vehicles/makes", Level::Make),
        ("/vehicles/models", Level::Model),
        ("/vehicles/submodels", Level::Submodel),
        ("/vehicles/engines", Level::Engine),
    ] {
        cfg.service(
            super::resource(path)
                .app_data(web::Data::new(level))
                .route(crate::web::read().to(cascade)),
        );
    }
}

#[derive(Deserialize)]
struct Choice {
    year: Option<u16>,
    make: Option<String>,
    model: Option<String>,
    submodel: Option<String>,
}

async fn cascade(
    req: HttpRequest,
    state: web::Data<AppState>,
    level: web::Data<Level>,
    choice: web::Query<Choice>,
) -> Result<HttpResponse, ApiError> {
    let level = **level;
    let Choice {
        year,
        make,
        model,
        submodel,
    } = choice.into_inner();
    let needs = match level {
        Level::Year => 0,
        Level::Make => 1,
        Level::Model => 2,
        Level::Submodel | Level::Engine => 3,
    };
    let given = [year.is_some(), make.is_some(), model.is_some()];
    if given.iter().take(needs).any(|g| !g) {
        let names = ["year", "make", "model"][..needs].join(", ");
        return Err(AppError::new(ErrorCode::BadRequest, format!("this step needs {names}")).into());
    }
    // An in-memory lookup of microseconds: no trip to the blocking pool.
    let values = state
        .search
        .vehicle_values(level, year, make.as_deref(), model.as_deref(), submodel.as_deref());
    let body = serde_json::to_vec(&serde_json::json!({ "values": values })).unwrap_or_default();
    Ok(cacheable(
        &req,
        "application/json",
        body,
        state.config.http.page_max_age,
    ))
}
