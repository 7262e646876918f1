//! Payments over HTTP: Stripe's events, a merchant's refunds, and a shopper's return from
//! confirming a card with the bank.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::admin::ok;
use super::checkout::{OrderJson, TokenQuery};
use crate::domain::{Money, now_ms};
use crate::payments::{WebhookOutcome, apply_event, parse_event};
use crate::staff::{Orders, Staff};
use crate::state::AppState;
use crate::store::Refusals;
use crate::telemetry::metrics as m;
use crate::web::error::ErrorBody;
use crate::web::{ApiError, AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::admin::staff_resource;
    cfg.service(super::resource("/payments/stripe/webhook").route(web::post().to(stripe_webhook)))
        .service(super::resource("/orders/{number}/payment/check").route(web::post().to(check_payment)))
        .service(staff_resource("/admin/orders/{number}/refunds").route(web::post().to(refund)));
}

/// Largest Stripe event accepted.
const EVENT_LIMIT: usize = 512 * 1024;

/// An event from Stripe, signed with the endpoint's secret (`Stripe-Signature: t=…,v1=…`,
/// five minutes' tolerance). Each event id is applied once.
#[utoipa::path(post, path = "/api/v1/payments/stripe/webhook", tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "t=UNIX,v1=HEX(HMAC-SHA256(webhook_secret, \"t.body\"))")),
    request_body(description = "A Stripe event", content((Object = "application/json"))),
    responses((status = 200, description = "{received: true, outcome: applied|repeated|ignored}", body = Object),
        (status = 400, description = "Missing, stale or wrong signature, or not an event", body = ErrorBody),
        (status = 404, description = "This shop takes no Stripe events (no webhook_secret)", body = ErrorBody),
        (status = 413, description = "Over 512 KiB", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; Stripe retries", body = ErrorBody)))]
pub(crate) async fn stripe_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let header = req.headers().get("Stripe-Signature").and_then(|v| v.to_str().ok());
    if header.is_none() {
        metrics::counter!(m::GATEWAY_EVENTS, "outcome" => "refused").increment(1);
        return Err(AppError::new(ErrorCode::BadRequest, "the Stripe-Signature header is missing").into());
    }
    let secret = state
        .config
        .payments
        .stripe
        .as_ref()
        .and_then(|s| s.webhook_secret.clone())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                "this shop takes no Stripe events: [payments.stripe] has no webhook_secret",
            )
        })?;
    let body = crate::web::guard::read_body(payload, EVENT_LIMIT).await?;
    if let Err(e) = crate::webhooks::verify(&secret, header, &body, now_ms() / 1000) {
        metrics::counter!(m::GATEWAY_EVENTS, "outcome" => "refused").increment(1);
        let why = e.to_string().replace("Storefront-Signature", "Stripe-Signature");
        return Err(AppError::new(ErrorCode::BadRequest, why).into());
    }
    let event = parse_event(&body).map_err(|e| AppError::new(ErrorCode::BadRequest, e))?;
    let now = now_ms();
    let outcome = state.writer.run(move |tx| apply_event(tx, &event, now)).await?;
    let label = match outcome {
        WebhookOutcome::Applied => "applied",
        WebhookOutcome::Repeated => "repeated",
        WebhookOutcome::Ignored => "ignored",
    };
    metrics::counter!(m::GATEWAY_EVENTS, "outcome" => label).increment(1);
    Ok(ok(json!({"received": true, "outcome": label})))
}

/// The shopper is back from confirming the card with the bank: the order's payment is looked
/// at now (it becomes paid as soon as Stripe says so).
#[utoipa::path(post, path = "/api/v1/orders/{number}/payment/check", tag = "checkout",
    params(("number" = String, Path), TokenQuery),
    responses((status = 202, description = "The order as it stands; its payment is being looked at", body = OrderJson),
        (status = 404, description = "No such order, or a wrong token", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn check_payment(
    state: web::Data<AppState>,
    number: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let order = super::checkout::shopper_order(&state, &number, &query.token).await?;
    if order.payment.by_gateway() && order.status == crate::orders::Status::Pending {
        let (number, now) = (order.number.clone(), now_ms());
        state
            .writer
            .run(move |tx| crate::jobs::settle_payment(tx, &number, now))
            .await?;
    }
    Ok(HttpResponse::Accepted()
        .insert_header(("Cache-Control", "no-store"))
        .json(OrderJson::new(&order)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundBody {
    /// In the order's minor unit; absent: all that can still be refunded.
    #[schema(minimum = 1)]
    amount_cents: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 500)]
    note: String,
}

/// Refund part or all of an order without changing its status (moving it to `refunded` refunds
/// the rest). Through the gateway when it was paid through one: the refund is `requested` until
/// the gateway confirms it.
#[utoipa::path(post, path = "/api/v1/admin/orders/{number}/refunds", tag = "merchant", security(("token" = ["orders"])),
    params(("number" = String, Path)),
    request_body = RefundBody,
    responses((status = 200, description = "The order with its refunds", body = OrderJson),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Never paid, or more than can still be refunded", body = ErrorBody),
        (status = 422, description = "An amount of zero or less", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "The credential lacks the scope", body = ErrorBody),
        (status = 503, description = "Busy or storage unavailable; retry", body = ErrorBody)))]
pub(crate) async fn refund(
    who: Staff<Orders>,
    state: web::Data<AppState>,
    number: web::Path<String>,
    body: web::Json<RefundBody>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .shop
        .find_order(&number)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrderNotFound, format!("no order {:?}", number.as_str())))?;
    let amount = match body.amount_cents {
        Some(cents) if cents <= 0 => {
            return Err(AppError::new(ErrorCode::InvalidInput, "amount_cents must be 1 or more").into());
        }
        Some(cents) => Money::new(cents, order.currency),
        None => order.refundable(),
    };
    let note = crate::orders::clip_note(&body.note);
    let key = order.number.clone();
    let order = state
        .writer
        .run_use_case(move |tx| crate::merchant::refund_order(tx, &who, &key, amount, &note))
        .await
        .refusals()?
        .map_err(AppError::from)?;
    Ok(ok(serde_json::to_value(OrderJson::new(&order)).unwrap_or_default()))
}
