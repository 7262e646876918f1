//! `GET /api/v1/vehicles/{years,makes,models,submodels,engines}`: the Year/Make/Model cascade,
//! listing only vehicles that at least one product fits.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::search::Level;
use crate::state::AppState;
use crate::web::caching::cacheable;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/vehicles/years").route(crate::web::read().to(years)))
        .service(super::resource("/vehicles/makes").route(crate::web::read().to(makes)))
        .service(super::resource("/vehicles/models").route(crate::web::read().to(models)))
        .service(super::resource("/vehicles/submodels").route(crate::web::read().to(submodels)))
        .service(super::resource("/vehicles/engines").route(crate::web::read().to(engines)));
}

/// The choices made so far; each step needs the ones before it, and a blank one is missing.
#[derive(Deserialize)]
pub(crate) struct Choice {
    year: Option<u16>,
    make: Option<String>,
    model: Option<String>,
    submodel: Option<String>,
}

/// The year, for the makes step.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct YearChosen {
    #[param(minimum = 0, maximum = 65535)]
    year: u16,
}

/// Year and make, for the models step.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct MakeChosen {
    #[param(minimum = 0, maximum = 65535)]
    year: u16,
    #[param(pattern = r"\S")]
    make: String,
}

/// Year, make and model (and a submodel, for engines), for the last steps.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ModelChosen {
    #[param(minimum = 0, maximum = 65535)]
    year: u16,
    #[param(pattern = r"\S")]
    make: String,
    #[param(pattern = r"\S")]
    model: String,
    submodel: Option<String>,
}

/// The values of one step of the cascade.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Values {
    values: Vec<String>,
}

/// Years some product fits, newest first.
#[utoipa::path(get, path = "/api/v1/vehicles/years", tag = "vehicles",
    responses((status = 200, body = Values), (status = 304, description = "Not modified")))]
pub(crate) async fn years(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let none = Choice {
        year: None,
        make: None,
        model: None,
        submodel: None,
    };
    cascade(req, state, Level::Year, none)
}

/// Makes some product fits in a year.
#[utoipa::path(get, path = "/api/v1/vehicles/makes", tag = "vehicles", params(YearChosen),
    responses((status = 200, body = Values), (status = 304, description = "Not modified"),
        (status = 400, description = "No year, or a malformed one", body = ErrorBody)))]
pub(crate) async fn makes(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<Choice>,
) -> Result<HttpResponse, ApiError> {
    cascade(req, state, Level::Make, q.into_inner())
}

/// Models some product fits for a year and make.
#[utoipa::path(get, path = "/api/v1/vehicles/models", tag = "vehicles", params(MakeChosen),
    responses((status = 200, body = Values), (status = 304, description = "Not modified"),
        (status = 400, description = "No year or make", body = ErrorBody)))]
pub(crate) async fn models(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<Choice>,
) -> Result<HttpResponse, ApiError> {
    cascade(req, state, Level::Model, q.into_inner())
}

/// Submodels for a year, make and model.
#[utoipa::path(get, path = "/api/v1/vehicles/submodels", tag = "vehicles", params(ModelChosen),
    responses((status = 200, body = Values), (status = 304, description = "Not modified"),
        (status = 400, description = "No year, make or model", body = ErrorBody)))]
pub(crate) async fn submodels(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<Choice>,
) -> Result<HttpResponse, ApiError> {
    cascade(req, state, Level::Submodel, q.into_inner())
}

/// Engines for a year, make and model (and submodel).
#[utoipa::path(get, path = "/api/v1/vehicles/engines", tag = "vehicles", params(ModelChosen),
    responses((status = 200, body = Values), (status = 304, description = "Not modified"),
        (status = 400, description = "No year, make or model", body = ErrorBody)))]
pub(crate) async fn engines(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<Choice>,
) -> Result<HttpResponse, ApiError> {
    cascade(req, state, Level::Engine, q.into_inner())
}

fn cascade(
    req: HttpRequest,
    state: web::Data<AppState>,
    level: Level,
    choice: Choice,
) -> Result<HttpResponse, ApiError> {
    let Choice {
        year,
        make,
        model,
        submodel,
    } = choice;
    let present = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let (make, model, submodel) = (present(make), present(model), present(submodel));
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
    let body = serde_json::to_vec(&Values { values }).unwrap_or_default();
    Ok(cacheable(
        &req,
        "application/json",
        body,
        state.config.http.page_max_age,
    ))
}
