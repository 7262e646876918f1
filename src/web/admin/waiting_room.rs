//! The back office's waiting room: its line now, and its settings (in force at once).

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::{SignedIn, page, see_other};
use crate::staff::Admin;
use crate::state::AppState;
use crate::waiting_room::model::{Mode, Scope, Settings};
use crate::web::{AppError, ErrorCode, PageError};

pub(super) async fn show(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<Admin>()?;
    let auto = state.flags.on(crate::flags::model::WAITING_ROOM_AUTO, None);
    let room = state.waiting_room.status(auto, crate::domain::now_ms());
    let s = state.waiting_room.settings();
    let body = html! {
        h1 { "Waiting room" }
        div.stat-row {
            p.stat { strong { @if room.open { "Open" } @else { "Closed" } } br; span.muted { "now" } }
            p.stat { strong #waiting { (room.waiting) } br; span.muted { "shoppers in line" } }
            p.stat { strong { (room.admitted) } br; span.muted { "let in since start" } }
            p.stat { strong { (room.checkouts_in_progress) } br; span.muted { "checkouts in progress" } }
        }
        p.muted { "Shoppers in line see their place and the wait, and the page refreshes by itself; first come, first let in. Changes take effect at once." }
        form.stack method="post" action="/admin/waiting-room" {
            input type="hidden" name="csrf" value=(who.session.csrf);
            label for="mode" { "Mode" }
            select #mode name="mode" {
                option value="off" selected[s.mode == Mode::Off] { "Off" }
                option value="auto" selected[s.mode == Mode::Auto] { "Auto: opens when checkout is over capacity" }
                option value="on" selected[s.mode == Mode::On] { "On: everyone without a pass waits their turn" }
            }
            label for="scope" { "In front of" }
            select #scope name="scope" {
                option value="checkout" selected[s.scope == Scope::Checkout] { "Checkout" }
                option value="site" selected[s.scope == Scope::Site] { "The whole shop" }
            }
            label for="admit" { "Let in per second" }
            input #admit name="admit_per_second" type="number" min="1" max="100000" value=(s.admit_per_second);
            label for="pass" { "Minutes a shopper has once let in" }
            input #pass name="pass_minutes" type="number" min="1" max="1440" value=(s.pass_minutes);
            label for="capacity" { "Checkouts at once before auto opens it" }
            input #capacity name="capacity" type="number" min="1" value=(s.capacity);
            button.button type="submit" { "Save" }
        }
    };
    Ok(page("Waiting room", Some(&who), body))
}

#[derive(Deserialize)]
pub(super) struct RoomForm {
    #[serde(default)]
    csrf: String,
    mode: Mode,
    scope: Scope,
    admit_per_second: u32,
    pass_minutes: u32,
    capacity: u32,
}

pub(super) async fn save(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<RoomForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let admin = who.may::<Admin>()?;
    let settings = Settings {
        mode: form.mode,
        scope: form.scope,
        admit_per_second: form.admit_per_second,
        pass_minutes: form.pass_minutes,
        capacity: form.capacity,
    };
    crate::web::api::waiting_room::change_room(&state, admin, settings)
        .await?
        .map_err(|e| PageError(AppError::new(ErrorCode::InvalidInput, e)))?;
    Ok(see_other("/admin/waiting-room"))
}
