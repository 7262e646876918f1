//! `/checkout` (a form that works without JavaScript) and the shopper's order page
//! `/orders/{number}?token=…`.
//!
//! The form carries a one-time token that becomes the checkout's idempotency key: a double click,
//! a refresh of the POST or a retry after a lost answer all land on the order the first submit
//! made. It also carries the total the shopper saw, and an order is only placed for that amount;
//! when the address changes shipping or tax, the form comes back with the new total to confirm.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::chrome;
use crate::cart::{Destination, Quote};
use crate::domain::random_token;
use crate::orders::{Address, CheckoutInput, FieldError, PaymentInput, Refusal};
use crate::shop::Failed;
use crate::state::AppState;
use crate::web::views::cart::Notice;
use crate::web::views::checkout::CheckoutForm;
use crate::web::visitor::{Visitor, cart_removal};
use crate::web::{AppError, ErrorCode, PageError, blocking, garage, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/checkout")
            .route(crate::web::read().to(show))
            .route(web::post().to(submit)),
    )
    .service(web::resource("/orders/{number}").route(crate::web::read().to(order)));
}

async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let form = CheckoutForm {
        form_token: random_token(16),
        ..CheckoutForm::default()
    };
    let Some(quote) = quote_for(&req, &state, &form).await? else {
        return Ok(see_other("/cart"));
    };
    render(&req, &state, &quote, &form, &[], None, StatusCode::OK).await
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CheckoutForm>,
) -> Result<HttpResponse, PageError> {
    let mut form = form.into_inner();
    if form.form_token.len() != 26 || !form.form_token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        form.form_token = random_token(16);
    }
    let key = format!("form:{}", form.form_token);
    if let Some(placed) = already_placed(&req, &state, &form, &key).await? {
        return Ok(placed);
    }
    let Some(quote) = quote_for(&req, &state, &form).await? else {
        return Ok(see_other("/cart"));
    };
    if form.action != "place" {
        return render(&req, &state, &quote, &form, &[], None, StatusCode::OK).await;
    }
    let vehicle = Visitor::of(&req).vehicle;
    if !views::checkout::fit_doubts(vehicle.as_ref(), &quote).is_empty() && form.fit_confirmed != "yes" {
        let notice = Notice {
            text: "Some parts in your cart may not fit your vehicle. Check them, tick the box, then place your order."
                .into(),
            error: true,
        };
        return render(
            &req,
            &state,
            &quote,
            &form,
            &[],
            Some(&notice),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let request = match state.shop.parse_checkout(checkout_input(&req, &form)) {
        Ok(request) => request,
        Err(crate::shop::Failed::Refused(Refusal::Invalid(errors))) => {
            return render(
                &req,
                &state,
                &quote,
                &form,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(other) => return Err(PageError(AppError::from(other))),
    };
    if form.shown_total_cents.trim() != quote.total.minor().to_string() {
        let notice = Notice {
            text: format!(
                "Your total for this address is {}. Check it, then place your order.",
                quote.total
            ),
            error: false,
        };
        return render(&req, &state, &quote, &form, &[], Some(&notice), StatusCode::OK).await;
    }
    let cart_id = request.cart_id.clone();
    match state.shop.checkout(request, key).await {
        Ok(done) => {
            if !done.replayed {
                state.flags.count_order(crate::web::visitor::bucket_id(&req).as_deref());
            }
            // The card's bank wants the shopper to confirm: the order page does it with this
            // secret, carried in the fragment (never sent to a server or kept in a log).
            let confirm = done.client_secret.map(|s| format!("#confirm={s}")).unwrap_or_default();
            let href = order_href(&done.order.number, &done.order.token, true);
            Ok(HttpResponse::SeeOther()
                .cookie(cart_removal())
                .cookie(placed_cookie(&cart_id))
                .insert_header((header::LOCATION, format!("{href}{confirm}")))
                .finish())
        }
        Err(Failed::Write(e)) => Err(AppError::from(e).into()),
        Err(Failed::Refused(refusal)) => {
            let status = AppError::from(refusal.clone()).code.status();
            let (errors, notice) = match refusal {
                Refusal::Invalid(errors) => (errors, None),
                other => (
                    Vec::new(),
                    Some(Notice {
                        text: refusal_text(&other),
                        error: true,
                    }),
                ),
            };
            // A refusal that changed the cart's state (stock gone) is best shown on fresh totals.
            let quote = quote_for(&req, &state, &form).await?.unwrap_or(quote);
            render(&req, &state, &quote, &form, &errors, notice.as_ref(), status).await
        }
    }
}

/// The cookie that lets the browser that placed an order find it again with a resubmitted form
/// (Back, or a second click), after its cart cookie is gone: it holds the spent cart's id.
const PLACED_COOKIE: &str = "placed_cart";

fn placed_cookie(cart_id: &str) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(PLACED_COOKIE, cart_id.to_owned())
        .path("/checkout")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::hours(1))
        .finish()
}

/// The order a form token already placed, as a redirect to it, for the visitor who placed it:
/// the resubmitted form must carry the cart it was placed from (in the cart cookie, or in the
/// placed-cart cookie once that is gone). Anyone else holding the token finds nothing.
async fn already_placed(
    req: &HttpRequest,
    state: &AppState,
    form: &CheckoutForm,
    key: &str,
) -> Result<Option<HttpResponse>, PageError> {
    let carts: Vec<String> = [
        Visitor::of(req).cart,
        req.cookie(PLACED_COOKIE).map(|c| c.value().to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let fingerprints: Vec<u64> = carts
        .iter()
        .map(|cart| checkout_input_for(req, form, cart.clone()).fingerprint())
        .collect();
    if fingerprints.is_empty() {
        return Ok(None);
    }
    let (store, key) = (state.store.clone(), key.to_owned());
    let order = blocking(move || {
        let read = store.read()?;
        Ok(match read.idempotency(&key)? {
            Some(record) if fingerprints.contains(&record.fingerprint) => read.order(&record.order)?,
            _ => None,
        })
    })
    .await?;
    Ok(order.map(|o| {
        HttpResponse::SeeOther()
            .cookie(cart_removal())
            .insert_header((header::LOCATION, order_href(&o.number, &o.token, true)))
            .finish()
    }))
}

/// The visitor's cart priced for the form's address and method; `None` when there is no cart.
async fn quote_for(req: &HttpRequest, state: &AppState, form: &CheckoutForm) -> Result<Option<Quote>, PageError> {
    let Some(id) = Visitor::of(req).cart else {
        return Ok(None);
    };
    let destination = (!form.country.trim().is_empty()).then(|| Destination {
        country: form.country.trim().to_ascii_uppercase(),
        region: form.region.trim().to_ascii_uppercase(),
    });
    let method = Some(form.shipping_method.trim().to_owned()).filter(|m| !m.is_empty());
    match state.shop.view_cart(id, method, destination).await {
        Ok((cart, quote)) if !cart.lines.is_empty() => Ok(Some(quote)),
        Ok(_) => Ok(None),
        Err(Failed::Refused(crate::cart::CartError::NotFound)) => Ok(None),
        Err(e) => Err(AppError::from(e).into()),
    }
}

fn checkout_input(req: &HttpRequest, form: &CheckoutForm) -> CheckoutInput {
    checkout_input_for(req, form, Visitor::of(req).cart.unwrap_or_default())
}

fn checkout_input_for(req: &HttpRequest, form: &CheckoutForm, cart_id: String) -> CheckoutInput {
    let (method, token) = match form.payment.as_str() {
        "invoice" => ("invoice", None),
        "stripe" => (
            "stripe",
            Some(form.payment_method.trim().to_owned()).filter(|t| !t.is_empty()),
        ),
        token => ("test", Some(token.to_owned())),
    };
    CheckoutInput {
        cart_id,
        email: form.email.clone(),
        address: Address {
            name: form.name.clone(),
            line1: form.line1.clone(),
            line2: form.line2.clone(),
            city: form.city.clone(),
            region: form.region.clone(),
            postal_code: form.postal_code.clone(),
            country: form.country.clone(),
        },
        shipping_method: form.shipping_method.clone(),
        payment: PaymentInput {
            method: method.to_owned(),
            token,
        },
        vehicle: garage::vehicle(req).map(|v| garage::describe(&v)),
    }
}

/// What the shopper is told when checkout refuses for a reason other than a field to fix.
fn refusal_text(refusal: &Refusal) -> String {
    match refusal {
        Refusal::OutOfStock(short) => {
            let lines: Vec<String> = short
                .iter()
                .map(|s| format!("{} (you asked for {}, {} left)", s.sku, s.requested, s.available))
                .collect();
            format!(
                "Sorry, some items sold out while you were checking out: {}. Nothing was charged; please update your cart.",
                lines.join(", ")
            )
        }
        Refusal::Payment(crate::orders::PaymentError::Declined(_)) => {
            "Your card was declined and nothing was charged. Try another payment method.".to_owned()
        }
        Refusal::Payment(crate::orders::PaymentError::Unavailable { .. }) => {
            "Card payments are unavailable right now and nothing was charged. Choose another way to pay below, or try your card again in a minute.".to_owned()
        }
        Refusal::Payment(crate::orders::PaymentError::Invalid(_)) if form_card(refusal) => {
            "Enter your card details (card payments need JavaScript in your browser).".to_owned()
        }
        other => other.to_string(),
    }
}

async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    quote: &Quote,
    form: &CheckoutForm,
    errors: &[FieldError],
    notice: Option<&Notice>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let visitor = Visitor::of(req);
    let shared = state.clone();
    let chrome = blocking(move || chrome(&shared, &shared.store.read()?, &visitor)).await?;
    let pay = pay_options(state);
    let markup = views::checkout::checkout(&chrome, quote, form, errors, notice, &pay);
    Ok(HttpResponse::build(status)
        .insert_header(card_policy(state))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

#[derive(Deserialize)]
struct OrderQuery {
    #[serde(default)]
    token: String,
    placed: Option<String>,
}

async fn order(
    req: HttpRequest,
    state: web::Data<AppState>,
    number: web::Path<String>,
    query: web::Query<OrderQuery>,
) -> Result<HttpResponse, PageError> {
    let order = state
        .shop
        .order_for_shopper(&number, &query.token)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrderNotFound, "no order with that number and token"))?;
    let visitor = Visitor::of(&req);
    let shared = state.clone();
    let chrome = blocking(move || chrome(&shared, &shared.store.read()?, &visitor)).await?;
    let card =
        card_setup(&state).filter(|_| order.payment.by_gateway() && order.status == crate::orders::Status::Pending);
    let markup = views::order::order(&chrome, &order, query.placed.is_some(), card.as_ref());
    Ok(HttpResponse::Ok()
        .insert_header(card_policy(&state))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}

/// Whether a refusal is a card payment without its card (a browser without JavaScript).
fn form_card(refusal: &Refusal) -> bool {
    refusal.to_string().contains("payment.payment_method")
}

fn card_setup(state: &AppState) -> Option<views::checkout::CardSetup> {
    let stripe = state.config.payments.stripe.as_ref()?;
    state.payments.offers("stripe").then(|| views::checkout::CardSetup {
        publishable_key: stripe.publishable_key.clone(),
        js_url: stripe.js_url.clone(),
    })
}

fn pay_options(state: &AppState) -> views::checkout::PayOptions {
    views::checkout::PayOptions {
        test_cards: state.payments.offers("test"),
        invoice: state.payments.offers("invoice"),
        card: card_setup(state),
        card_available: state.payments.provider("stripe").is_ok_and(|p| p.available()),
    }
}

/// The pages that collect or confirm a card load Stripe.js, which talks to Stripe's API and
/// frames: the shop's policy, widened to those origins only.
fn card_policy(state: &AppState) -> (&'static str, String) {
    let origins = match &state.config.payments.stripe {
        Some(s) => {
            let mut list = vec![origin(&s.js_url), origin(&s.api_base)];
            if s.js_url.starts_with("https://js.stripe.com") {
                list.extend([
                    "https://api.stripe.com".to_owned(),
                    "https://hooks.stripe.com".to_owned(),
                ]);
            }
            list.sort();
            list.dedup();
            list.join(" ")
        }
        None => String::new(),
    };
    (
        "Content-Security-Policy",
        format!(
            "default-src 'self'; script-src 'self' {origins}; frame-src {frames}; connect-src 'self' {origins}; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            frames = if origins.is_empty() { "'none'" } else { origins.as_str() }
        ),
    )
}

/// `https://js.stripe.com` of `https://js.stripe.com/v3/`.
fn origin(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    url[..end].to_owned()
}

fn order_href(number: &str, token: &str, placed: bool) -> String {
    format!(
        "/orders/{number}?token={token}{}",
        if placed { "&placed=1" } else { "" }
    )
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}
