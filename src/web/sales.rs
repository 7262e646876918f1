//! The selling use cases as the web runs them, shared by the JSON API and the pages: cart reads on
//! the blocking pool, cart changes and checkouts through the group-committing writer.

use crate::app::AppState;
use crate::cart::{self, Cart, CartError, Clock, Destination, Quote};
use crate::orders::Order;
use crate::orders::checkout::{self, CheckoutRequest, Placed, Prepared, Refusal};
use crate::store::{StoreError, WriteTx};
use crate::telemetry::metrics as m;
use crate::web::{AppError, ErrorCode, blocking};

/// Now, and how long carts live.
pub fn clock(state: &AppState) -> Clock {
    checkout::clock(state.config.checkout.cart_ttl.as_millis() as u64)
}

/// Runs a cart change in the writer's next group commit.
pub async fn change_cart<F>(state: &AppState, change: F) -> Result<Cart, AppError>
where
    F: FnOnce(&mut WriteTx<'_>, &cart::Rules, Clock) -> Result<Result<Cart, CartError>, StoreError> + Send + 'static,
{
    let config = state.config.clone();
    let clock = clock(state);
    let outcome = state.writer.run(move |tx| change(tx, &config.rules, clock)).await?;
    Ok(outcome?)
}

/// A live cart and its quote, for a destination and shipping method when given.
pub async fn view_cart(
    state: &AppState,
    id: String,
    shipping_method: Option<String>,
    destination: Option<Destination>,
) -> Result<(Cart, Quote), AppError> {
    let (store, config, clock) = (state.store.clone(), state.config.clone(), clock(state));
    blocking(move || {
        let read = store.read()?;
        let cart = cart::ops::load(&read, &id, clock)?.ok_or(CartError::NotFound)?;
        let quote = cart::ops::price(
            &read,
            &config.rules,
            &cart,
            shipping_method.as_deref(),
            destination.as_ref(),
            clock.now_ms,
        )?
        .map_err(CartError::from)?;
        Ok((cart, quote))
    })
    .await
}

/// A checkout's answer: the order, and whether it was placed by an earlier identical request.
pub struct CheckedOut {
    pub order: Order,
    pub replayed: bool,
}

/// Places an order exactly once per idempotency key: replays a known key, authorizes the quoted
/// total, then places the order in the writer's next durable group commit. Every refusal after
/// the authorization voids it.
pub async fn checkout(state: &AppState, request: CheckoutRequest, key: String) -> Result<CheckedOut, AppError> {
    let started = std::time::Instant::now();
    let outcome = place(state, request, key).await;
    let label = match &outcome {
        Ok(done) if done.replayed => "replayed",
        Ok(_) => "placed",
        Err(e) => e.code.as_str(),
    };
    metrics::counter!(m::CHECKOUTS, "outcome" => label).increment(1);
    if matches!(label, "placed") {
        metrics::histogram!(m::CHECKOUT_DURATION).record(started.elapsed().as_secs_f64());
    }
    outcome
}

async fn place(state: &AppState, request: CheckoutRequest, key: String) -> Result<CheckedOut, AppError> {
    request.validate()?;
    let (store, config, clock) = (state.store.clone(), state.config.clone(), clock(state));
    let (req, k) = (request.clone(), key.clone());
    let prepared = blocking(move || Ok(checkout::prepare(&store.read()?, &config.rules, &req, &k, clock)?)).await?;
    let quote = match prepared? {
        Prepared::Replay(order) => {
            return Ok(CheckedOut {
                order: *order,
                replayed: true,
            });
        }
        Prepared::Ready(quote) => quote,
    };
    let provider = state
        .payments
        .provider(&request.payment.method)
        .map_err(Refusal::from)?;
    let authorization = provider
        .authorize(quote.total, request.payment.token.as_deref(), &key)
        .map_err(Refusal::from)?;
    let (config, auth, total) = (state.config.clone(), authorization.clone(), quote.total);
    let placed = state
        .writer
        .run(move |tx| checkout::place(tx, &config.rules, &request, &key, &auth, total, clock))
        .await;
    match placed {
        Ok(Ok(Placed::Created(order))) => Ok(CheckedOut { order, replayed: false }),
        Ok(Ok(Placed::Replayed(order))) => {
            provider.void(&authorization);
            Ok(CheckedOut { order, replayed: true })
        }
        Ok(Err(refusal)) => {
            provider.void(&authorization);
            Err(refusal.into())
        }
        Err(err) => {
            // The outcome of a failed commit is unknown to nobody: nothing was written. The
            // shopper retries with the same key.
            provider.void(&authorization);
            Err(err.into())
        }
    }
}

/// The order, for whoever holds its token; an unknown number and a wrong token look the same.
pub async fn order_for_shopper(state: &AppState, number: &str, token: &str) -> Result<Order, AppError> {
    let not_found = || AppError::new(ErrorCode::OrderNotFound, "no order with that number and token");
    find_order(state, number)
        .await?
        .filter(|o| constant_time_eq(o.token.as_bytes(), token.as_bytes()))
        .ok_or_else(not_found)
}

/// The order with this number as typed (case, spaces and look-alike letters forgiven).
pub async fn find_order(state: &AppState, number: &str) -> Result<Option<Order>, AppError> {
    let Some(key) = crate::domain::normalize_order_number(number) else {
        return Ok(None);
    };
    let store = state.store.clone();
    blocking(move || Ok(store.read()?.order(&key)?)).await
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}
