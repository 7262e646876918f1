//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the JSON API, generated from the
//! handlers' own `#[utoipa::path]` attributes and the request and answer types they use, so a
//! route and its documentation cannot drift apart. The same document tells a wrong-method answer
//! which methods a path allows (`Allow`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::api;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(super::read().to(document)));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "storefront",
        description = "The JSON API of a storefront: catalog, search, vehicles, carts, checkout and orders for shoppers; the merchant API under /api/v1/admin for bearer tokens with scopes (catalog, stock, orders, admin). Errors are {\"error\":{\"code\",\"message\",\"details\"}} with stable codes."
    ),
    paths(
        api::products::list,
        api::products::get,
        api::search::search,
        api::suggest::suggest,
        api::vehicles::years,
        api::vehicles::makes,
        api::vehicles::models,
        api::vehicles::submodels,
        api::vehicles::engines,
        api::carts::create,
        api::carts::get,
        api::carts::add,
        api::carts::set_quantity,
        api::carts::remove,
        api::carts::set_promo,
        api::carts::clear_promo,
        api::checkout::checkout,
        api::checkout::order,
        api::admin::put_product,
        api::admin::delete_product,
        api::admin::import,
        api::admin::export,
        api::admin::adjust_stock,
        api::admin::set_stock,
        api::admin::ledger,
        api::admin::set_threshold,
        api::admin::low_stock,
        api::admin::orders,
        api::admin::order,
        api::admin::transition,
        api::admin::tokens,
        api::admin::create_token,
        api::admin::revoke_token,
        api::admin::audit,
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
    ),
    modifiers(&BearerToken),
    tags(
        (name = "catalog", description = "Products, search and autocomplete"),
        (name = "vehicles", description = "The Year/Make/Model cascade"),
        (name = "cart", description = "Carts"),
        (name = "checkout", description = "Checkout and the shopper's order"),
        (name = "merchant", description = "The merchant API: a bearer token whose scope the operation names"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from the back office or `storefront token create`"))
                    .build(),
            ),
        );
    }
}

/// The document, built once.
pub fn spec() -> &'static utoipa::openapi::OpenApi {
    static SPEC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc
    })
}

/// The methods the document gives each path, for `Allow` on a 405.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    static ALLOWED: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        let doc = serde_json::to_value(spec()).unwrap_or_default();
        let mut out = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let mut methods: Vec<String> = ["get", "put", "post", "delete", "patch"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_ascii_uppercase())
                .collect();
            if methods.iter().any(|m| m == "GET") {
                methods.push("HEAD".into());
            }
            out.insert(path.clone(), methods.join(", "));
        }
        out
    });
    allowed.get(path).map(String::as_str)
}

async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(spec())
}
