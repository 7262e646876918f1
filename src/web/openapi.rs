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
        api::outside::jobs,
        api::outside::retry_job,
        api::outside::discard_job,
        api::outside::mails,
        api::outside::webhooks,
        api::outside::add_webhook,
        api::outside::deliveries,
        api::outside::remove_webhook,
        api::outside::feeds,
        api::outside::push_stock,
        api::payments::stripe_webhook,
        api::payments::check_payment,
        api::payments::refund,
        api::sales::create,
        api::sales::list,
        api::sales::get,
        api::sales::end,
        api::flags::list,
        api::flags::put,
        api::waiting_room::get,
        api::waiting_room::put,
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
        (name = "supplier", description = "Stock levels pushed by suppliers, signed with the feed's secret"),
        (name = "payments", description = "Events from the card gateway (Stripe), signed with the webhook secret"),
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

/// The document, built once for each way a shop can be set up: with the test cards offered or
/// not, with cards through Stripe or not (the checkout's payment methods are part of the
/// contract).
pub fn spec(test_cards: bool, stripe: bool) -> &'static utoipa::openapi::OpenApi {
    static SLOTS: [OnceLock<utoipa::openapi::OpenApi>; 4] = [const { OnceLock::new() }; 4];
    let slot = &SLOTS[usize::from(test_cards) * 2 + usize::from(stripe)];
    slot.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let components = doc.components.get_or_insert_with(Default::default);
        components.schemas.insert("Address".into(), schema(address_schema()));
        components
            .schemas
            .insert("PaymentBody".into(), schema(payment_schema(test_cards, stripe)));
        // An import with no body imports nothing; the body is optional.
        if let Some(body) = doc
            .paths
            .paths
            .get_mut("/api/v1/admin/import")
            .and_then(|item| item.post.as_mut())
            .and_then(|op| op.request_body.as_mut())
        {
            body.required = Some(utoipa::openapi::Required::False);
        }
        doc
    })
}

fn schema(value: serde_json::Value) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    serde_json::from_value(value).expect("a hand-written schema is a valid schema")
}

/// Text checkout takes for a name, street or city: something besides spaces, no control
/// characters (see `CheckoutRequest::parse`).
fn line_of_text(max: usize) -> serde_json::Value {
    serde_json::json!({ "type": "string", "maxLength": max, "pattern": r"\S", "description": "No control characters" })
}

/// An address: its region and postal code follow the country, as checkout checks them (a US
/// state or Canadian province from its list, a ZIP or postal code of the country's form).
fn address_schema() -> serde_json::Value {
    use crate::domain::region::{CA_PROVINCES, US_STATES};
    let variant =
        |title: &str, country: serde_json::Value, region: serde_json::Value, postal: &str, region_required: bool| {
            let mut required = vec!["name", "line1", "city", "postal_code", "country"];
            if region_required {
                required.push("region");
            }
            serde_json::json!({
                "type": "object", "title": title, "required": required,
                "properties": {
                    "name": line_of_text(100), "line1": line_of_text(200),
                    "line2": { "type": "string", "maxLength": 200 }, "city": line_of_text(100),
                    "region": region, "postal_code": { "type": "string", "pattern": postal }, "country": country,
                }
            })
        };
    let codes =
        |list: &[(&'static str, &'static str)]| list.iter().map(|(code, _)| *code).collect::<Vec<&'static str>>();
    serde_json::json!({ "oneOf": [
        variant("US address", serde_json::json!({ "type": "string", "enum": ["US"] }),
            serde_json::json!({ "type": "string", "enum": codes(&US_STATES) }), "^[0-9]{5}(-[0-9]{4})?$", true),
        variant("Canadian address", serde_json::json!({ "type": "string", "enum": ["CA"] }),
            serde_json::json!({ "type": "string", "enum": codes(&CA_PROVINCES) }), "^[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]$", true),
        variant("Address elsewhere", serde_json::json!({ "type": "string", "pattern": "^(?:[A-BD-TV-Z][A-Z]|C[B-Z]|U[A-RT-Z])$" }),
            serde_json::json!({ "type": "string", "maxLength": 100 }), "^[A-Za-z0-9][A-Za-z0-9 -]{0,8}[A-Za-z0-9]$", false),
    ]})
}

/// The payment methods the shop offers: pay on invoice, cards through Stripe where set up, and
/// the test cards where they are on.
fn payment_schema(test_cards: bool, stripe: bool) -> serde_json::Value {
    let invoice = serde_json::json!({ "type": "object", "title": "Pay on invoice", "required": ["method"],
        "additionalProperties": false,
        "properties": { "method": { "type": "string", "enum": ["invoice"] }, "token": { "type": ["string", "null"] } } });
    let mut methods = vec![invoice];
    if stripe {
        methods.push(serde_json::json!({ "type": "object", "title": "Card through Stripe", "required": ["method", "payment_method"], "additionalProperties": false,
            "properties": { "method": { "type": "string", "enum": ["stripe"] },
                "payment_method": { "type": "string", "pattern": "^pm_[A-Za-z0-9_]{1,250}$",
                    "description": "A Stripe PaymentMethod id made by Stripe.js (pm_card_visa in test mode)" } } }));
    }
    if test_cards {
        methods.push(serde_json::json!({ "type": "object", "title": "Test card", "required": ["method", "token"], "additionalProperties": false,
            "properties": { "method": { "type": "string", "enum": ["test"] },
                "token": { "type": "string", "enum": ["tok_visa", "tok_declined"], "description": "tok_visa approves; tok_declined is declined (402)" } } }));
    }
    serde_json::json!({ "oneOf": methods })
}

/// The methods the document gives each path, for `Allow` on a 405.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    static ALLOWED: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        let doc = serde_json::to_value(spec(false, false)).unwrap_or_default();
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

async fn document(state: web::Data<crate::state::AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(spec(state.payments.offers("test"), state.payments.offers("stripe")))
}
