//! Operational endpoints: liveness and readiness.

use actix_web::{HttpResponse, web};

use crate::app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(crate::web::read().to(healthz)))
        .service(web::resource("/readyz").route(crate::web::read().to(readyz)));
}

/// The process is alive and answering.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}

/// The store answers reads; a load balancer sends traffic only when this is 200.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let ready = super::blocking(move || Ok(store.read().is_ok())).await.unwrap_or(false);
    let (mut res, status) = if ready {
        (HttpResponse::Ok(), "ready")
    } else {
        (HttpResponse::ServiceUnavailable(), "store unavailable")
    };
    res.insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"status": status, "store": ready}))
}
