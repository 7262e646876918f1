//! The JSON API under `/api/v1`.

mod admin;
mod carts;
mod checkout;
mod products;
pub mod search;
mod suggest;
mod vehicles;

use actix_web::web;

use super::error::{json_config, path_config, query_config};
use super::{ApiError, AppError, ErrorCode};

/// An API resource whose wrong-method answer is a JSON 405 like every other API error.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|req: actix_web::HttpRequest| async move {
        Err::<actix_web::HttpResponse, _>(ApiError(AppError::new(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on {}", req.method(), req.path()),
        )))
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            // Hottest first (see `web::configure`): checkout and carts carry a sale.
            .configure(checkout::configure)
            .configure(carts::configure)
            .configure(products::configure)
            .configure(search::configure)
            .configure(suggest::configure)
            .configure(vehicles::configure)
            .configure(admin::configure),
    );
}
