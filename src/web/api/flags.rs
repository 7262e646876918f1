//! Feature flags for the merchant: `GET /api/v1/admin/flags`, `PUT /api/v1/admin/flags/{name}`.
//! A change is audited and in force on every worker once it commits.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::admin::staff_resource as resource;
use crate::domain::{format_utc, now_ms};
use crate::flags::model::{Flag, Variant};
use crate::flags::{FlagChange, set};
use crate::staff::{Admin, Staff};
use crate::state::AppState;
use crate::store::FlagStat;
use crate::store::Refusals;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/admin/flags").route(crate::web::read().to(list)))
        .service(resource("/admin/flags/{name}").route(web::put().to(put)));
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagBody {
    enabled: bool,
    /// Share of visitors it is on for (each keeps their bucket); 100 when absent.
    #[schema(minimum = 0, maximum = 100)]
    percent: Option<u8>,
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// A flag with how each side of it did (page views and orders of visitors on that side, counted
/// while the flag was rolled out to part of the visitors).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct FlagJson {
    name: String,
    enabled: bool,
    percent: u8,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    updated_by: String,
    on: VariantJson,
    off: VariantJson,
}

#[derive(Serialize, utoipa::ToSchema, Default)]
pub(crate) struct VariantJson {
    page_views: u64,
    orders: u64,
    /// Orders per 100 page views.
    conversion_percent: Option<f64>,
}

impl FlagJson {
    pub(crate) fn new(flag: &Flag, stats: &[FlagStat]) -> FlagJson {
        let side = |variant: Variant| {
            let (views, orders) = stats
                .iter()
                .filter(|s| s.0 == flag.name && s.1 == variant.code())
                .fold((0, 0), |(v, o), s| (v + s.2, o + s.3));
            VariantJson {
                page_views: views,
                orders,
                conversion_percent: (views > 0).then(|| (orders as f64 * 10_000.0 / views as f64).round() / 100.0),
            }
        };
        FlagJson {
            name: flag.name.clone(),
            enabled: flag.enabled,
            percent: flag.percent,
            description: flag.description.clone(),
            updated_at: (flag.updated_ms > 0).then(|| format_utc(flag.updated_ms)),
            updated_by: flag.updated_by.clone(),
            on: side(Variant::On),
            off: side(Variant::Off),
        }
    }
}

/// Every flag (the built-in ones and any the merchant added), with its variants' figures.
#[utoipa::path(get, path = "/api/v1/admin/flags", operation_id = "list_flags", tag = "merchant", security(("token" = ["admin"])),
    responses((status = 200, description = "{flags: [...]}", body = Object),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody)))]
pub(crate) async fn list(_: Staff<Admin>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.flush_views().await;
    let store = state.store.clone();
    let stats = blocking(move || Ok(store.read()?.flag_stats()?)).await?;
    let flags: Vec<FlagJson> = state.flags.all().iter().map(|f| FlagJson::new(f, &stats)).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "flags": flags })))
}

/// Turns a flag on or off, or rolls it out to a share of visitors; audited, and in force on
/// every worker as soon as this answers.
#[utoipa::path(put, path = "/api/v1/admin/flags/{name}", operation_id = "set_flag", tag = "merchant", security(("token" = ["admin"])),
    params(("name" = String, Path, description = "1 to 40 of a-z, 0-9, _ and -")),
    request_body = FlagBody,
    responses((status = 200, description = "The flag", body = FlagJson),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "A bad name or percent", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn put(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<FlagBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let change = FlagChange {
        enabled: body.enabled,
        percent: body.percent.unwrap_or(100),
        description: body.description,
    };
    let flag = change_flag(&state, who, name.into_inner(), change)
        .await?
        .map_err(|e| AppError::new(ErrorCode::InvalidInput, e))?;
    Ok(HttpResponse::Ok().json(FlagJson::new(&flag, &[])))
}

/// Writes a flag change and puts it in force.
pub(crate) async fn change_flag(
    state: &AppState,
    who: Staff<Admin>,
    name: String,
    change: FlagChange,
) -> Result<Result<Flag, String>, AppError> {
    let now = now_ms();
    let flag = state
        .writer
        .run_use_case(move |tx| set(tx, &who, &name, change, now))
        .await
        .refusals()?;
    let (store, flags) = (state.store.clone(), state.flags.clone());
    blocking(move || Ok(flags.reload(&store)?)).await?;
    Ok(flag)
}
