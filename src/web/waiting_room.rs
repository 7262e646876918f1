//! The waiting room at the door: checkout (or every shop page) asks the room before it runs.
//! A shopper in line gets a page (200, no JavaScript needed, refreshing itself) with their place
//! and the wait; the JSON API answers 503 `waiting_room` with `Retry-After`. Tickets and passes
//! are signed cookies, so a refresh keeps the place and a forged ticket goes to the back. The
//! answers are `no-store`: no cache in front keeps a place in line.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use maud::{DOCTYPE, html};

use crate::domain::now_ms;
use crate::state::AppState;
use crate::waiting_room::Decision;
use crate::waiting_room::model::Scope;
use crate::web::assets;

pub const TICKET_COOKIE: &str = "sf_wr";
pub const PASS_COOKIE: &str = "sf_pass";

fn is_checkout(path: &str) -> bool {
    path == "/checkout" || path == "/api/v1/checkout"
}

/// Whether the room stands in front of `path` with this scope. The back office, operations,
/// assets, gateways' and suppliers' calls and a shopper's own order page are never held up.
fn gated(path: &str, scope: Scope) -> bool {
    match scope {
        Scope::Checkout => is_checkout(path),
        Scope::Site => {
            const OPEN: [&str; 9] = [
                "/assets/",
                "/admin",
                "/api/v1/admin",
                "/api/v1/payments/",
                "/api/v1/supplier/",
                "/healthz",
                "/readyz",
                "/metrics",
                "/orders/",
            ];
            !OPEN.iter().any(|p| path.starts_with(p)) && !path.starts_with("/api/v1/orders/")
        }
    }
}

pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let room = &state.waiting_room;
    let now = now_ms();
    let path = req.path().to_owned();
    let _counted = is_checkout(&path).then(|| room.checkout_started(now));
    if !gated(&path, room.settings().scope) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let auto = state.flags.on(crate::flags::model::WAITING_ROOM_AUTO, None);
    let ticket = req.cookie(TICKET_COOKIE);
    let pass = req.cookie(PASS_COOKIE);
    let decision = room.decide(
        ticket.as_ref().map(|c| c.value()),
        pass.as_ref().map(|c| c.value()),
        auto,
        now,
    );
    let secure = state.config.http.secure_cookies;
    match decision {
        Decision::Proceed => Ok(next.call(req).await?.map_into_boxed_body()),
        Decision::Admitted { pass } => {
            metrics::counter!(crate::telemetry::metrics::WAITING_ROOM_ADMITTED).increment(1);
            let mut res = next.call(req).await?.map_into_boxed_body();
            let minutes = room.settings().pass_minutes;
            let pass = cookie(PASS_COOKIE, pass, i64::from(minutes) * 60, secure);
            let gone = cookie(TICKET_COOKIE, String::new(), 0, secure);
            for c in [pass, gone] {
                if let Ok(value) = header::HeaderValue::from_str(&c.to_string()) {
                    res.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            Ok(res)
        }
        Decision::Wait {
            ticket,
            position,
            eta_seconds,
        } => {
            let mut res = if path.starts_with("/api/") {
                api_answer(position, eta_seconds)
            } else {
                page(&state, position, eta_seconds)
            };
            if let Some(ticket) = ticket {
                let c = cookie(TICKET_COOKIE, ticket, 6 * 3600, secure);
                let _ = res.add_cookie(&c);
            }
            Ok(req.into_response(res).map_into_boxed_body())
        }
    }
}

fn cookie(name: &'static str, value: String, max_age_secs: i64, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

/// How long a waiting page waits before it asks again: soon when the turn is near.
fn refresh_secs(eta_seconds: u64) -> u64 {
    eta_seconds.clamp(1, 15)
}

fn api_answer(position: u64, eta_seconds: u64) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, refresh_secs(eta_seconds).to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"error": {
            "code": "waiting_room",
            "message": "the shop is busy; you have a place in line (keep the sf_wr cookie and retry after Retry-After seconds)",
            "details": {"position": position, "eta_seconds": eta_seconds},
        }}))
}

fn page(state: &AppState, position: u64, eta_seconds: u64) -> HttpResponse {
    let shop = &state.config.shop.name;
    let wait = match eta_seconds {
        0..=59 => format!("about {} seconds", eta_seconds.max(1)),
        60..=3599 => format!("about {} minutes", eta_seconds.div_ceil(60)),
        _ => format!("about {} hours", eta_seconds.div_ceil(3600)),
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                meta http-equiv="refresh" content=(refresh_secs(eta_seconds));
                title { "You are in line · " (shop) }
                link rel="stylesheet" href=(assets::url("css/shop.css"));
            }
            body {
                main #main .wrap .waiting-room {
                    h1 { "You are in line" }
                    p.lead { "So many shoppers are here at once that we let them in a few at a time, in the order they arrived." }
                    p.position { "Your place: " strong { (crate::domain::group_thousands(position)) } }
                    p { "Expected wait: " strong { (wait) } ". This page refreshes by itself; keep it open and you keep your place." }
                    p.muted { "Once you are in, you have " (state.waiting_room.settings().pass_minutes) " minutes to check out." }
                }
            }
        }
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store, private"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_stands_in_front_of_checkout_or_the_shop_but_never_the_back_office() {
        assert!(gated("/checkout", Scope::Checkout) && gated("/api/v1/checkout", Scope::Checkout));
        assert!(!gated("/p/HS-1", Scope::Checkout));
        assert!(gated("/p/HS-1", Scope::Site) && gated("/api/v1/carts", Scope::Site));
        for open in [
            "/admin/sales",
            "/api/v1/admin/waiting-room",
            "/healthz",
            "/assets/css/shop.css",
            "/orders/1001",
        ] {
            assert!(!gated(open, Scope::Site), "{open}");
        }
    }
}
