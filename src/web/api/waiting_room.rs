//! The waiting room for the merchant: `GET`/`PUT /api/v1/admin/waiting-room` (live, audited).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::admin::staff_resource as resource;
use crate::domain::now_ms;
use crate::staff::{Admin, Staff};
use crate::state::AppState;
use crate::waiting_room::model::{Mode, Scope, Settings};
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/admin/waiting-room")
            .route(crate::web::read().to(get))
            .route(web::put().to(put)),
    );
}

/// Fields left out keep their current value.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoomBody {
    /// off | auto | on
    #[schema(value_type = Option<String>, pattern = "^(off|auto|on)$")]
    mode: Option<Mode>,
    /// checkout | site
    #[schema(value_type = Option<String>, pattern = "^(checkout|site)$")]
    scope: Option<Scope>,
    #[schema(minimum = 1, maximum = 100000)]
    admit_per_second: Option<u32>,
    #[schema(minimum = 1, maximum = 1440)]
    pass_minutes: Option<u32>,
    /// Checkouts in progress at once beyond which `auto` opens the room.
    #[schema(minimum = 1)]
    capacity: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RoomJson {
    #[schema(value_type = String)]
    mode: Mode,
    #[schema(value_type = String)]
    scope: Scope,
    admit_per_second: u32,
    pass_minutes: u32,
    capacity: u32,
    /// Shoppers without a pass are being held now.
    open: bool,
    /// Shoppers in line.
    waiting: u64,
    /// Shoppers let in since the server started.
    admitted: u64,
    checkouts_in_progress: u64,
}

pub(crate) fn room_json(state: &AppState) -> RoomJson {
    let s = state.waiting_room.settings();
    let auto = state.flags.on(crate::flags::model::WAITING_ROOM_AUTO, None);
    let status = state.waiting_room.status(auto, now_ms());
    RoomJson {
        mode: s.mode,
        scope: s.scope,
        admit_per_second: s.admit_per_second,
        pass_minutes: s.pass_minutes,
        capacity: s.capacity,
        open: status.open,
        waiting: status.waiting,
        admitted: status.admitted,
        checkouts_in_progress: status.checkouts_in_progress,
    }
}

/// The waiting room's settings and its line now.
#[utoipa::path(get, path = "/api/v1/admin/waiting-room", operation_id = "get_waiting_room", tag = "merchant", security(("token" = ["admin"])),
    responses((status = 200, description = "Settings and the line", body = RoomJson),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody)))]
pub(crate) async fn get(_: Staff<Admin>, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(room_json(&state))
}

/// Changes the waiting room, in force at once (audited, and kept over a restart).
#[utoipa::path(put, path = "/api/v1/admin/waiting-room", operation_id = "set_waiting_room", tag = "merchant", security(("token" = ["admin"])),
    request_body = RoomBody,
    responses((status = 200, description = "Settings and the line", body = RoomJson),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "A value out of range", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn put(
    who: Staff<Admin>,
    state: web::Data<AppState>,
    body: web::Json<RoomBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let now = state.waiting_room.settings();
    let settings = Settings {
        mode: b.mode.unwrap_or(now.mode),
        scope: b.scope.unwrap_or(now.scope),
        admit_per_second: b.admit_per_second.unwrap_or(now.admit_per_second),
        pass_minutes: b.pass_minutes.unwrap_or(now.pass_minutes),
        capacity: b.capacity.unwrap_or(now.capacity),
    };
    change_room(&state, who, settings)
        .await?
        .map_err(|e| AppError::new(ErrorCode::InvalidInput, e))?;
    Ok(HttpResponse::Ok().json(room_json(&state)))
}

/// Writes new settings and puts them in force.
pub(crate) async fn change_room(
    state: &AppState,
    who: Staff<Admin>,
    settings: Settings,
) -> Result<Result<(), String>, AppError> {
    let saved = settings.clone();
    let outcome = state
        .writer
        .run(move |tx| crate::waiting_room::save_settings(tx, &who, &saved))
        .await?;
    if outcome.is_ok() {
        state.waiting_room.set_settings(settings);
    }
    Ok(outcome)
}
