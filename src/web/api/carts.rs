//! The cart API: `/api/v1/carts` and its lines and promo code. Answers are never cached.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::cart::{self, Cart, CartLine, Destination, Quote};
use crate::domain::{Sku, format_utc};
use crate::state::AppState;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/carts").route(web::post().to(create)))
        .service(super::resource("/carts/{id}").route(crate::web::read().to(get)))
        .service(super::resource("/carts/{id}/items").route(web::post().to(add)))
        .service(
            super::resource("/carts/{id}/items/{sku}")
                .route(web::patch().to(set_quantity))
                .route(web::delete().to(remove)),
        )
        .service(
            super::resource("/carts/{id}/promo")
                .route(web::post().to(set_promo))
                .route(web::delete().to(clear_promo)),
        );
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCart {
    #[serde(default)]
    items: Vec<LineInput>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineInput {
    #[schema(value_type = String, min_length = 1, max_length = 64, pattern = r"^[^\s/?#%]+$")]
    sku: Sku,
    #[schema(minimum = 1, maximum = 999)]
    #[serde(deserialize_with = "super::whole::u32")]
    quantity: u32,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuantityInput {
    /// 0 removes the line.
    #[schema(minimum = 0, maximum = 999)]
    #[serde(deserialize_with = "super::whole::u32")]
    quantity: u32,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromoInput {
    code: String,
}

/// Optional estimate inputs: where it ships and how.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Estimate {
    /// Two letters, such as US.
    country: Option<String>,
    region: Option<String>,
    shipping_method: Option<String>,
}

/// Create a cart, optionally with items (an empty body makes an empty cart).
#[utoipa::path(post, path = "/api/v1/carts", operation_id = "create_cart", tag = "cart",
    request_body(content = Option<NewCart>, content_type = "application/json"),
    responses((status = 201, description = "The cart", body = CartJson),
        (status = 422, description = "A SKU that names no product (unknown_product), a bad quantity or body", body = ErrorBody),
        (status = 400, description = "A body that is not JSON", body = ErrorBody),
        (status = 409, description = "Not enough stock (details: sku, requested, available)", body = ErrorBody),
        (status = 413, description = "Over 64 KiB", body = ErrorBody),

        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The body is optional here, so the JSON extractor and its limit do not apply.
    let body = crate::web::guard::read_body(payload, crate::web::guard::JSON_LIMIT).await?;
    let input: NewCart = if body.iter().all(u8::is_ascii_whitespace) {
        NewCart { items: vec![] }
    } else {
        // `null`, like no body, is an empty cart.
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| AppError::new(ErrorCode::BadRequest, format!("request body: {e}")))?;
        match value {
            serde_json::Value::Null => NewCart { items: vec![] },
            serde_json::Value::Object(_) => serde_json::from_value(value)
                .map_err(|e| AppError::new(ErrorCode::InvalidInput, format!("request body: {e}")))?,
            _ => {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "the body is a JSON object such as {\"items\":[]}",
                )
                .into());
            }
        }
    };
    let lines: Vec<CartLine> = input
        .items
        .into_iter()
        .map(|l| CartLine {
            sku: l.sku,
            quantity: l.quantity,
        })
        .collect();
    if lines.iter().any(|l| l.quantity == 0) {
        return Err(AppError::from(cart::CartError::BadQuantity).into());
    }
    let bundles = bundles_offered(&req, &state);
    let cart = state
        .shop
        .change_cart(move |tx, rules, clock| {
            for line in &lines {
                cart::ops::check_offered(tx, &line.sku, bundles)?;
            }
            cart::ops::create(tx, rules, &lines, clock)
        })
        .await?;
    respond(&state, cart, None, None, true).await
}

/// A cart with its totals; country, region and shipping_method estimate tax and shipping.
#[utoipa::path(get, path = "/api/v1/carts/{id}", operation_id = "get_cart", tag = "cart",
    params(("id" = String, Path, description = "The cart's id"), Estimate),
    responses((status = 200, body = CartJson), (status = 404, description = "No such cart (or it expired)", body = ErrorBody),
        (status = 400, description = "A malformed query string", body = ErrorBody)))]
pub(crate) async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
    estimate: web::Query<Estimate>,
) -> Result<HttpResponse, ApiError> {
    let estimate = estimate.into_inner();
    let destination = estimate.country.map(|country| Destination {
        country: country.trim().to_ascii_uppercase(),
        region: estimate.region.unwrap_or_default().trim().to_ascii_uppercase(),
    });
    let (cart, quote) = state
        .shop
        .view_cart(id.into_inner(), estimate.shipping_method, destination)
        .await?;
    Ok(no_store(&mut HttpResponse::Ok()).json(CartJson::new(&cart, &quote, &state)))
}

/// Add units of a SKU (merged with a line already there).
#[utoipa::path(post, path = "/api/v1/carts/{id}/items", tag = "cart",
    params(("id" = String, Path)), request_body = LineInput,
    responses((status = 200, body = CartJson), (status = 404, description = "No such cart", body = ErrorBody),
        (status = 409, description = "Not enough stock", body = ErrorBody),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "A SKU that names no product (unknown_product), or a bad quantity", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    line: web::Json<LineInput>,
) -> Result<HttpResponse, ApiError> {
    let LineInput { sku, quantity } = line.into_inner();
    let id = id.into_inner();
    let bundles = bundles_offered(&req, &state);
    let cart = state
        .shop
        .change_cart(move |tx, rules, clock| {
            cart::ops::check_offered(tx, &sku, bundles)?;
            cart::ops::add(tx, rules, &id, &sku, quantity, clock)
        })
        .await?;
    respond(&state, cart, None, None, false).await
}

/// Whether this shopper may buy bundles (the `bundles` flag, by the visitor's bucket cookie).
pub(crate) fn bundles_offered(req: &HttpRequest, state: &AppState) -> bool {
    let bucket = crate::web::visitor::bucket_id(req);
    state.flags.on(crate::flags::model::BUNDLES, bucket.as_deref())
}

/// Set a line's quantity (0 removes it).
#[utoipa::path(patch, path = "/api/v1/carts/{id}/items/{sku}", tag = "cart",
    params(("id" = String, Path), ("sku" = String, Path)), request_body = QuantityInput,
    responses((status = 200, body = CartJson), (status = 404, description = "No such cart or line", body = ErrorBody),
        (status = 409, description = "Not enough stock", body = ErrorBody),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "A bad quantity", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn set_quantity(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<QuantityInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, sku) = path.into_inner();
    let sku = line_in_path(sku)?;
    let quantity = input.quantity;
    let cart = state
        .shop
        .change_cart(move |tx, rules, clock| cart::ops::set_quantity(tx, rules, &id, &sku, quantity, clock))
        .await?;
    respond(&state, cart, None, None, false).await
}

/// The SKU of a cart line named in the path: one no product could have is in no cart.
fn line_in_path(raw: String) -> Result<Sku, AppError> {
    Sku::parse(&raw).map_err(|_| cart::CartError::NotInCart(raw).into())
}

/// Remove a line.
#[utoipa::path(delete, path = "/api/v1/carts/{id}/items/{sku}", tag = "cart",
    params(("id" = String, Path), ("sku" = String, Path)),
    responses((status = 200, body = CartJson), (status = 404, description = "No such cart or line", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn remove(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, sku) = path.into_inner();
    let sku = line_in_path(sku)?;
    let cart = state
        .shop
        .change_cart(move |tx, _, clock| cart::ops::remove(tx, &id, &sku, clock))
        .await?;
    respond(&state, cart, None, None, false).await
}

/// Apply a promo code.
#[utoipa::path(post, path = "/api/v1/carts/{id}/promo", tag = "cart",
    params(("id" = String, Path)), request_body = PromoInput,
    responses((status = 200, body = CartJson), (status = 404, description = "No such cart", body = ErrorBody),
        (status = 409, description = "The code cannot apply (the message says why)", body = ErrorBody),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 422, description = "A body of the wrong shape", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn set_promo(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<PromoInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, code) = (id.into_inner(), input.into_inner().code);
    let cart = state
        .shop
        .change_cart(move |tx, rules, clock| cart::ops::set_promo(tx, rules, &id, Some(&code), clock))
        .await?;
    respond(&state, cart, None, None, false).await
}

/// Remove the promo code.
#[utoipa::path(delete, path = "/api/v1/carts/{id}/promo", tag = "cart",
    params(("id" = String, Path)),
    responses((status = 200, body = CartJson), (status = 404, description = "No such cart", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn clear_promo(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let cart = state
        .shop
        .change_cart(move |tx, rules, clock| cart::ops::set_promo(tx, rules, &id, None, clock))
        .await?;
    respond(&state, cart, None, None, false).await
}

/// Answers a change with the cart as it now stands, priced.
async fn respond(
    state: &AppState,
    cart: Cart,
    shipping_method: Option<String>,
    destination: Option<Destination>,
    created: bool,
) -> Result<HttpResponse, ApiError> {
    let (cart, quote) = state.shop.view_cart(cart.id, shipping_method, destination).await?;
    let mut res = if created {
        let mut res = HttpResponse::Created();
        res.insert_header(("Location", format!("/api/v1/carts/{}", cart.id)));
        res
    } else {
        HttpResponse::Ok()
    };
    Ok(no_store(&mut res).json(CartJson::new(&cart, &quote, state)))
}

fn no_store(res: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    // Small and never cached: compressing (brotli by default) would cost more than it saves.
    res.insert_header(("Cache-Control", "no-store"))
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
}

/// A cart as the API shows it: lines, totals in minor units, and the shipping choices.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Cart)]
pub struct CartJson {
    id: String,
    currency: String,
    lines: Vec<CartLineJson>,
    units: u64,
    subtotal_cents: i64,
    discount_cents: i64,
    promo: Option<PromoJson>,
    shipping_options: Vec<ShippingJson>,
    shipping_method: Option<String>,
    shipping_cents: Option<i64>,
    /// `null` until a destination is known (`?country=US&region=CA`).
    tax_cents: Option<i64>,
    total_cents: i64,
    weight_grams: u64,
    expires_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CartLineJson {
    #[schema(value_type = String)]
    sku: Sku,
    title: Option<String>,
    quantity: u32,
    unit_price_cents: Option<i64>,
    line_total_cents: i64,
    /// Units in stock now; a line asking for more cannot be checked out.
    available: u64,
    url: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PromoJson {
    code: String,
    applied: bool,
    message: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ShippingJson {
    id: String,
    name: String,
    price_cents: i64,
}

impl CartJson {
    pub fn new(cart: &Cart, quote: &Quote, state: &AppState) -> CartJson {
        let ttl = state.config.checkout.cart_ttl.as_millis() as u64;
        CartJson {
            id: cart.id.clone(),
            currency: quote.currency.to_string(),
            lines: quote
                .lines
                .iter()
                .map(|l| CartLineJson {
                    sku: l.sku.clone(),
                    title: l.item.as_ref().map(|i| i.product.title.clone()),
                    quantity: l.quantity,
                    unit_price_cents: l.item.as_ref().map(|i| i.product.price.minor()),
                    line_total_cents: l.line_total.minor(),
                    available: l.item.as_ref().map_or(0, |i| i.stock),
                    url: format!("/p/{}", l.sku),
                })
                .collect(),
            units: quote.units(),
            subtotal_cents: quote.subtotal.minor(),
            discount_cents: quote.discount.minor(),
            promo: quote.promo.as_ref().map(|p| PromoJson {
                code: p.code.clone(),
                applied: p.problem.is_none(),
                message: p.problem.clone(),
            }),
            shipping_options: quote
                .shipping_options
                .iter()
                .map(|o| ShippingJson {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    price_cents: o.price.minor(),
                })
                .collect(),
            shipping_method: quote.shipping.as_ref().map(|s| s.id.clone()),
            shipping_cents: quote.shipping.as_ref().map(|s| s.price.minor()),
            tax_cents: quote.tax.as_ref().map(|t| t.amount.minor()),
            total_cents: quote.total.minor(),
            weight_grams: quote.weight_grams,
            expires_at: format_utc(cart.updated_ms.saturating_add(ttl)),
        }
    }
}
