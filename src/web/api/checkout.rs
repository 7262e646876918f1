//! `POST /api/v1/checkout` and `GET /api/v1/orders/{number}?token=`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::domain::format_utc;
use crate::orders::{Address, CheckoutInput, Order, PaymentInput};
use crate::state::AppState;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::resource("/checkout").route(web::post().to(checkout)))
        .service(super::resource("/orders/{number}").route(crate::web::read().to(order)));
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckoutBody {
    cart_id: String,
    #[schema(
        max_length = 254,
        pattern = "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"
    )]
    email: String,
    /// Where it ships; a US state or Canadian province is one of the listed codes.
    shipping_address: Address,
    /// `standard`, `express` or another method the cart offers for the address.
    #[schema(pattern = r"\S")]
    shipping_method: String,
    payment: PaymentBody,
    /// The shopper's vehicle, kept on the order.
    #[schema(max_length = 200)]
    vehicle: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentBody {
    /// `stripe`, `invoice`, or `test` where the shop offers the test cards.
    method: String,
    /// The test card: `tok_visa` approves, `tok_declined` is declined.
    token: Option<String>,
    /// A Stripe PaymentMethod id (`pm_…`, made by Stripe.js in the shopper's browser).
    payment_method: Option<String>,
}

/// The longest Idempotency-Key accepted; UUIDs and ULIDs fit easily.
const MAX_KEY_LEN: usize = 255;

/// Place an order from a cart; 201 only once the order is durable. The same Idempotency-Key
/// again answers the same order (with `Idempotent-Replayed: true`), never a second one.
#[utoipa::path(post, path = "/api/v1/checkout", tag = "checkout",
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "1 to 255 visible ASCII characters, such as a UUID")),
    request_body = CheckoutBody,
    responses((status = 201, description = "Placed", body = Placed),
        (status = 400, description = "No Idempotency-Key, or a malformed body", body = ErrorBody),
        (status = 402, description = "Payment declined; nothing taken", body = ErrorBody),
        (status = 404, description = "No such cart", body = ErrorBody),
        (status = 409, description = "Not enough stock (details), a promo used up, or the cart changed; nothing taken", body = ErrorBody),
        (status = 413, description = "Over 64 KiB", body = ErrorBody),
        (status = 422, description = "Invalid fields (details: field and message), or the key was used for another checkout", body = ErrorBody),
        (status = 429, description = "Too many checkouts from this client", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable (retry with the same key), or `payment_unavailable`: the card gateway is down (details.fallback_methods lists the methods that work now)", body = ErrorBody)))]
pub(crate) async fn checkout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CheckoutBody>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let body = body.into_inner();
    let input = CheckoutInput {
        cart_id: body.cart_id,
        email: body.email,
        address: body.shipping_address,
        shipping_method: body.shipping_method,
        payment: PaymentInput {
            method: body.payment.method,
            token: body.payment.payment_method.or(body.payment.token),
        },
        vehicle: body.vehicle,
    };
    let request = state.shop.parse_checkout(input)?;
    let done = state.shop.checkout(request, format!("api:{key}")).await?;
    if !done.replayed {
        state.flags.count_order(crate::web::visitor::bucket_id(&req).as_deref());
    }
    let order = &done.order;
    let mut res = HttpResponse::Created();
    res.insert_header(("Cache-Control", "no-store"))
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
        .insert_header((
            "Location",
            format!("/api/v1/orders/{}?token={}", order.number, order.token),
        ));
    if done.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(Placed {
        order_number: &order.number,
        status: order.status.as_str(),
        total_cents: order.total.minor(),
        currency: order.currency.to_string(),
        token: &order.token,
        status_url: format!("/orders/{}?token={}", order.number, order.token),
        next_action: done.client_secret.map(|client_secret| NextAction {
            kind: "use_stripe_sdk",
            client_secret,
        }),
    }))
}

fn idempotency_key(req: &HttpRequest) -> Result<String, ApiError> {
    let key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyRequired,
            format!(
                "send an Idempotency-Key header (1 to {MAX_KEY_LEN} visible ASCII characters, e.g. a UUID) so a retry never places a second order"
            ),
        )
        .into());
    }
    Ok(key.to_owned())
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Placed<'a> {
    #[schema(value_type = String, example = "K7MX-3Q9D")]
    order_number: &'a str,
    #[schema(value_type = String)]
    status: &'a str,
    total_cents: i64,
    currency: String,
    /// The secret that shows the order to its shopper.
    #[schema(value_type = String)]
    token: &'a str,
    status_url: String,
    /// Present when the card's bank wants the shopper to confirm the payment (3-D Secure): the
    /// order is `pending` until Stripe.js finishes it with this secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_action: Option<NextAction>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct NextAction {
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "use_stripe_sdk")]
    kind: &'static str,
    client_secret: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    /// The order's token, from the checkout's answer.
    #[serde(default)]
    pub(crate) token: String,
}

/// The order for whoever holds its token; 404 for an unknown number and a wrong token alike.
pub(crate) async fn shopper_order(state: &AppState, number: &str, token: &str) -> Result<Order, ApiError> {
    state
        .shop
        .order_for_shopper(number, token)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrderNotFound, "no order with that number and token").into())
}

/// An order, for the shopper holding its token.
#[utoipa::path(get, path = "/api/v1/orders/{number}", operation_id = "get_order", tag = "checkout",
    params(("number" = String, Path), TokenQuery),
    responses((status = 200, description = "The order as bought: lines, prices, address, vehicle, status history", body = OrderJson),
        (status = 404, description = "No order with that number and token", body = ErrorBody),
        (status = 400, description = "A malformed query string", body = ErrorBody)))]
pub(crate) async fn order(
    state: web::Data<AppState>,
    number: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let order = shopper_order(&state, &number, &query.token).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
        .json(OrderJson::new(&order)))
}

/// An order as it was bought: prices, names and vehicle are the ones at purchase.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Order)]
pub struct OrderJson<'a> {
    #[schema(value_type = String)]
    order_number: &'a str,
    #[schema(value_type = String)]
    status: &'a str,
    #[schema(value_type = String)]
    status_text: &'a str,
    placed_at: String,
    #[schema(value_type = String)]
    email: &'a str,
    #[schema(value_type = Address)]
    shipping_address: &'a Address,
    lines: Vec<OrderLineJson<'a>>,
    currency: String,
    subtotal_cents: i64,
    discount_cents: i64,
    #[schema(value_type = Option<String>)]
    promo: Option<&'a str>,
    #[schema(value_type = String)]
    shipping_method: &'a str,
    #[schema(value_type = String)]
    shipping_name: &'a str,
    shipping_cents: i64,
    #[schema(value_type = Option<String>)]
    tax_name: Option<&'a str>,
    tax_cents: i64,
    total_cents: i64,
    #[schema(value_type = String)]
    payment_method: &'a str,
    /// The gateway's reference (a Stripe PaymentIntent id), if any.
    #[schema(value_type = Option<String>)]
    payment_reference: Option<&'a str>,
    /// When the money was taken; absent while it is only held, or owed.
    captured_at: Option<String>,
    /// Money given back or on its way, in cents.
    refunded_cents: i64,
    refunds: Vec<RefundJson<'a>>,
    #[schema(value_type = Option<String>)]
    vehicle: Option<&'a str>,
    #[schema(value_type = Option<crate::orders::Shipment>)]
    shipment: Option<&'a crate::orders::Shipment>,
    history: Vec<HistoryJson<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct OrderLineJson<'a> {
    #[schema(value_type = String)]
    sku: &'a str,
    #[schema(value_type = String)]
    title: &'a str,
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    options: std::collections::BTreeMap<&'a str, &'a str>,
    #[schema(value_type = Option<String>)]
    part_number: Option<&'a str>,
    unit_price_cents: i64,
    quantity: u32,
    line_total_cents: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RefundJson<'a> {
    id: u32,
    amount_cents: i64,
    /// requested (on its way to the gateway), done, or failed (see failure).
    #[schema(value_type = String)]
    state: &'a str,
    #[schema(value_type = Option<String>)]
    reference: Option<&'a str>,
    requested_at: String,
    #[schema(value_type = String)]
    note: &'a str,
    #[schema(value_type = Option<String>)]
    failure: Option<&'a str>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct HistoryJson<'a> {
    at: String,
    #[schema(value_type = String)]
    status: &'a str,
    #[schema(value_type = String)]
    note: &'a str,
}

impl<'a> OrderJson<'a> {
    pub fn new(o: &'a Order) -> OrderJson<'a> {
        OrderJson {
            order_number: &o.number,
            status: o.status.as_str(),
            status_text: o.status.describe(),
            placed_at: format_utc(o.created_ms),
            email: &o.email,
            shipping_address: &o.address,
            lines: o
                .lines
                .iter()
                .map(|l| OrderLineJson {
                    sku: &l.sku,
                    title: &l.title,
                    options: l.options.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                    part_number: l.part_number.as_deref(),
                    unit_price_cents: l.unit_price.minor(),
                    quantity: l.quantity,
                    line_total_cents: l.line_total.minor(),
                })
                .collect(),
            currency: o.currency.to_string(),
            subtotal_cents: o.subtotal.minor(),
            discount_cents: o.discount.minor(),
            promo: o.promo.as_deref(),
            shipping_method: &o.shipping_method,
            shipping_name: &o.shipping_name,
            shipping_cents: o.shipping.minor(),
            tax_name: o.tax_name.as_deref(),
            tax_cents: o.tax.minor(),
            total_cents: o.total.minor(),
            payment_method: &o.payment.method,
            payment_reference: o.payment.reference.as_deref(),
            captured_at: o.payment.captured_ms.map(format_utc),
            refunded_cents: o.refunded().minor(),
            refunds: o
                .refunds
                .iter()
                .map(|r| RefundJson {
                    id: r.id,
                    amount_cents: r.amount.minor(),
                    state: r.state.name(),
                    reference: r.reference.as_deref(),
                    requested_at: format_utc(r.requested_ms),
                    note: &r.note,
                    failure: r.failure.as_deref(),
                })
                .collect(),
            vehicle: o.vehicle.as_deref(),
            shipment: o.shipment.as_ref(),
            history: o
                .history
                .iter()
                .map(|h| HistoryJson {
                    at: format_utc(h.at_ms),
                    status: h.to.as_str(),
                    note: &h.note,
                })
                .collect(),
        }
    }
}
