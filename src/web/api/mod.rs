//! The JSON API under `/api/v1`.

mod products;

use actix_web::web;

use super::error::{json_config, path_config, query_config};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            .configure(products::configure),
    );
}
