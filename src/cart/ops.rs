//! Cart use cases. Changes run inside the writer's shared transaction and check before they
//! write; reads run on a snapshot. Quantities are checked against stock when they change, and
//! again (for real) at checkout.

use crate::catalog::ops::sellable;
use crate::domain::{Sku, random_token};
use crate::inventory::Shortfall;
use crate::store::{StoreError, TxError, TxResult, View, WriteTx, refuse};

use super::model::{Cart, CartLine};
use super::pricing::{self, Destination, PricingError, Quote, QuoteInput};
use super::rules::Rules;

/// The most of one SKU a cart line may hold.
pub const MAX_LINE_QUANTITY: u32 = 999;
/// The most distinct SKUs in one cart.
pub const MAX_LINES: usize = 100;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CartError {
    #[error("no such cart; it may have expired")]
    NotFound,
    #[error("no product has SKU {0}")]
    UnknownSku(String),
    #[error("{0} is not in the cart")]
    NotInCart(String),
    #[error("quantity must be between 1 and {MAX_LINE_QUANTITY}")]
    BadQuantity,
    #[error("a cart holds at most {MAX_LINES} different items")]
    TooManyLines,
    #[error("a cart line holds at most {MAX_LINE_QUANTITY} units; this one would go past it")]
    LineFull,
    #[error("only {} of {} in stock", .0.available, .0.sku)]
    NotEnoughStock(Shortfall),
    #[error(transparent)]
    Pricing(#[from] PricingError),
    #[error("{0}")]
    Promo(String),
    #[error("{0} is not available yet")]
    NotOffered(String),
}

type Outcome<T> = TxResult<T, CartError>;

/// What a cart change needs besides its arguments.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub now_ms: u64,
    /// Carts idle longer than this are gone.
    pub ttl_ms: u64,
}

impl Clock {
    fn live(&self, cart: &Cart) -> bool {
        cart.updated_ms.saturating_add(self.ttl_ms) >= self.now_ms
    }
}

/// A live cart, or `None` when it does not exist or has idled past its time.
pub fn load(view: &impl View, id: &str, clock: Clock) -> Result<Option<Cart>, StoreError> {
    Ok(view.cart(id)?.filter(|c| clock.live(c)))
}

/// A new cart, optionally with first lines (the API lets a client create and fill in one call).
pub fn create(tx: &mut WriteTx<'_>, rules: &Rules, lines: &[CartLine], clock: Clock) -> Outcome<Cart> {
    let mut cart = Cart {
        id: random_token(16),
        lines: Vec::new(),
        promo: None,
        created_ms: clock.now_ms,
        updated_ms: clock.now_ms,
    };
    for line in lines {
        let quantity = cart.quantity_of(&line.sku).saturating_add(line.quantity);
        change_line(tx, rules, &mut cart, &line.sku, quantity, clock)?;
    }
    tx.put_cart(&cart, None)?;
    tx.count_funnel(clock.now_ms, 0, 1)?;
    metrics::counter!(crate::telemetry::metrics::CARTS_CREATED).increment(1);
    Ok(cart)
}

/// Adds units of a SKU; a SKU already in the cart gets its quantity raised.
pub fn add(tx: &mut WriteTx<'_>, rules: &Rules, id: &str, sku: &Sku, quantity: u32, clock: Clock) -> Outcome<Cart> {
    edit(tx, id, clock, |tx, cart| {
        if quantity == 0 {
            return refuse(CartError::BadQuantity);
        }
        if quantity > MAX_LINE_QUANTITY {
            return refuse(CartError::BadQuantity);
        }
        let total = cart.quantity_of(sku).saturating_add(quantity);
        if total > MAX_LINE_QUANTITY {
            return refuse(CartError::LineFull);
        }
        change_line(tx, rules, cart, sku, total, clock)
    })
}

/// Sets a line's quantity; 0 removes it.
pub fn set_quantity(
    tx: &mut WriteTx<'_>,
    rules: &Rules,
    id: &str,
    sku: &Sku,
    quantity: u32,
    clock: Clock,
) -> Outcome<Cart> {
    edit(tx, id, clock, |tx, cart| {
        if cart.quantity_of(sku) == 0 {
            return refuse(CartError::NotInCart(sku.to_string()));
        }
        change_line(tx, rules, cart, sku, quantity, clock)
    })
}

pub fn remove(tx: &mut WriteTx<'_>, id: &str, sku: &Sku, clock: Clock) -> Outcome<Cart> {
    edit(tx, id, clock, |_, cart| {
        if cart.quantity_of(sku) == 0 {
            return refuse(CartError::NotInCart(sku.to_string()));
        }
        cart.set_quantity(sku, 0);
        Ok(())
    })
}

/// Applies a promo code (or removes it with `None`); a code that cannot apply now is refused
/// with the reason, and the cart keeps what it had.
pub fn set_promo(tx: &mut WriteTx<'_>, rules: &Rules, id: &str, code: Option<&str>, clock: Clock) -> Outcome<Cart> {
    edit(tx, id, clock, |tx, cart| {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            cart.promo = None;
            return Ok(());
        };
        let mut trial = cart.clone();
        trial.promo = Some(code.to_ascii_uppercase());
        let quote = price(tx, rules, &trial, None, None, clock.now_ms)?.map_err(|e| TxError::Refused(e.into()))?;
        if let Some(problem) = quote.promo.and_then(|p| p.problem) {
            return refuse(CartError::Promo(problem));
        }
        *cart = trial;
        Ok(())
    })
}

/// Deletes up to `limit` carts idle past their time, those that became orders among them;
/// returns how many went (the sweeper calls again while that is `limit`).
pub fn sweep(tx: &mut WriteTx<'_>, clock: Clock, limit: usize) -> Result<usize, StoreError> {
    let cutoff = clock.now_ms.saturating_sub(clock.ttl_ms);
    let rows = tx.idle_carts(cutoff, limit)?;
    let mut abandoned = 0;
    for (changed_ms, id) in &rows {
        match tx.stored_cart(id)? {
            Some(cart) if cart.updated_ms == *changed_ms => {
                if tx.cart_used_at(id).is_none() {
                    abandoned += 1;
                }
                tx.remove_cart(&cart)?;
            }
            // A row whose cart is gone or was filed again later: never left by this build, but
            // cleared rather than met again at every sweep.
            _ => tx.forget_idle_cart(*changed_ms, id)?,
        }
    }
    metrics::counter!(crate::telemetry::metrics::CARTS_ABANDONED).increment(abandoned);
    Ok(rows.len())
}

/// Refuses `sku` when it is a bundle and bundles are not offered to this shopper (the `bundles`
/// feature flag is off for them).
pub fn check_offered(tx: &WriteTx<'_>, sku: &str, bundles_offered: bool) -> Outcome<()> {
    if !bundles_offered && tx.product(sku)?.is_some_and(|p| p.is_bundle()) {
        return refuse(CartError::NotOffered(sku.to_owned()));
    }
    Ok(())
}

/// Prices a cart as it stands in `view`.
pub fn price(
    view: &impl View,
    rules: &Rules,
    cart: &Cart,
    shipping_method: Option<&str>,
    destination: Option<&Destination>,
    now_ms: u64,
) -> Result<Result<Quote, PricingError>, StoreError> {
    price_for(view, rules, cart, shipping_method, destination, now_ms, None)
}

/// `price` for a known buyer (checkout's email), whose earlier flash-sale buys count against
/// the sale's per-customer limit.
pub fn price_for(
    view: &impl View,
    rules: &Rules,
    cart: &Cart,
    shipping_method: Option<&str>,
    destination: Option<&Destination>,
    now_ms: u64,
    buyer: Option<&str>,
) -> Result<Result<Quote, PricingError>, StoreError> {
    let mut lines = Vec::with_capacity(cart.lines.len());
    for line in &cart.lines {
        let item = match view.product(&line.sku)? {
            Some(product) => Some(sellable(view, product, now_ms, buyer)?),
            None => None,
        };
        lines.push((line.clone(), item));
    }
    let promo_uses = match &cart.promo {
        Some(code) => view.promo_uses(code)?,
        None => 0,
    };
    Ok(pricing::quote(
        rules,
        QuoteInput {
            lines,
            promo: cart.promo.as_deref(),
            promo_uses,
            shipping_method,
            destination,
            now_ms,
        },
    ))
}

/// Loads a live cart, lets `change` modify it, and stores it only when the change succeeded.
fn edit(
    tx: &mut WriteTx<'_>,
    id: &str,
    clock: Clock,
    change: impl FnOnce(&mut WriteTx<'_>, &mut Cart) -> Outcome<()>,
) -> Outcome<Cart> {
    let Some(mut cart) = load(tx, id, clock)? else {
        return refuse(CartError::NotFound);
    };
    let filed_at = cart.updated_ms;
    change(tx, &mut cart)?;
    cart.updated_ms = clock.now_ms.max(filed_at);
    tx.put_cart(&cart, Some(filed_at))?;
    Ok(cart)
}

/// Sets `sku` to `quantity` if the product exists, has the stock, and the cart still prices.
fn change_line(
    tx: &mut WriteTx<'_>,
    rules: &Rules,
    cart: &mut Cart,
    sku: &Sku,
    quantity: u32,
    clock: Clock,
) -> Outcome<()> {
    if quantity > MAX_LINE_QUANTITY {
        return refuse(CartError::BadQuantity);
    }
    if quantity > 0 {
        let Some(product) = tx.product(sku)? else {
            return refuse(CartError::UnknownSku(sku.to_string()));
        };
        // What a shopper may buy: a bundle's components allow it, a flash sale may cap it.
        let available = sellable(tx, product, clock.now_ms, None)?.stock;
        if u64::from(quantity) > available {
            return refuse(CartError::NotEnoughStock(Shortfall {
                sku: sku.to_string(),
                requested: u64::from(quantity),
                available,
            }));
        }
    }
    let mut trial = cart.clone();
    trial.set_quantity(sku, quantity);
    if trial.lines.len() > MAX_LINES {
        return refuse(CartError::TooManyLines);
    }
    price(tx, rules, &trial, None, None, clock.now_ms)?.map_err(|e| TxError::Refused(e.into()))?;
    *cart = trial;
    Ok(())
}
