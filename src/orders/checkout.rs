//! Checkout: from a cart to a durable order, exactly once.
//!
//! The web layer runs it in three steps: `prepare` on a read snapshot (replays a known key, prices
//! the cart, refuses early when stock is short), the payment authorization (outside any
//! transaction), and `place` inside the writer's shared transaction, which checks everything again
//! before it writes: the idempotency key, the cart, stock for every SKU summed across lines, the
//! promo's usage limit and the total that was authorized. Only when every check passes does it
//! take the stock, write the order, its ledger entries and the key, and delete the cart. A refusal
//! writes nothing, and the caller voids the authorization.

use std::collections::BTreeMap;

use crate::cart::{self, Clock, Destination, PricingError, Quote, Rules};
use crate::domain::{Money, now_ms, random_token};
use crate::inventory::{self, Change, Shortfall};
use crate::store::{StoreError, TxError, TxResult, View, WriteTx, refuse};

use super::Status;
use super::model::{Address, IdempotencyRecord, Order, OrderLine, PaymentRecord, StatusChange};
use super::payment::{Authorization, PaymentError, PaymentInput, Settlement};

/// A checkout as the shopper submits it, not yet checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutInput {
    pub cart_id: String,
    pub email: String,
    pub address: Address,
    pub shipping_method: String,
    pub payment: PaymentInput,
    /// The shopper's vehicle, kept on the order for the parts counter.
    pub vehicle: Option<String>,
}

/// A problem with one submitted field, named the way the API names it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Why a checkout did not place an order. None of these takes stock or money.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("some fields need attention")]
    Invalid(Vec<FieldError>),
    #[error("no such cart; it may have expired or already been checked out")]
    CartNotFound,
    #[error("the cart is empty")]
    CartEmpty,
    #[error("this Idempotency-Key was already used for a different checkout")]
    KeyReused,
    #[error("not enough stock for some items")]
    OutOfStock(Vec<Shortfall>),
    #[error("promo code cannot be used: {0}")]
    PromoUnavailable(String),
    #[error("{0}")]
    ShippingUnavailable(String),
    #[error(transparent)]
    Pricing(#[from] PricingError),
    #[error("the cart's total changed while checking out (now {now}); review the cart and try again")]
    TotalChanged { now: Money },
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

impl Refusal {
    /// A short, stable name for counting refusals (the metric's `outcome` label).
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Invalid(_) | Refusal::Pricing(_) | Refusal::Payment(PaymentError::Invalid(_)) => "invalid_input",
            Refusal::CartNotFound => "cart_not_found",
            Refusal::CartEmpty => "cart_empty",
            Refusal::KeyReused => "idempotency_key_reused",
            Refusal::OutOfStock(_) => "out_of_stock",
            Refusal::PromoUnavailable(_) => "promo_unavailable",
            Refusal::ShippingUnavailable(_) => "shipping_unavailable",
            Refusal::TotalChanged { .. } => "cart_changed",
            Refusal::Payment(PaymentError::Declined(_)) => "payment_declined",
            Refusal::Payment(PaymentError::Unavailable { .. }) => "payment_unavailable",
        }
    }
}

/// The first step's answer.
#[derive(Debug)]
pub enum Prepared {
    /// The key was used before for this very checkout: answer with that order again.
    Replay(Box<Order>),
    /// Priced and, as of the snapshot, in stock: authorize this total.
    Ready(Box<Quote>),
}

/// The last step's answer.
#[derive(Debug)]
pub enum Placed {
    Created(Order),
    /// A concurrent request with the same key got there first.
    Replayed(Order),
}

type Outcome<T> = TxResult<T, Refusal>;

/// A checkout whose every field was checked: parse, don't validate. The only way to make one is
/// `parse`, so the steps that take it (prepare, place) need not check again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutRequest(CheckoutInput);

impl CheckoutRequest {
    /// Checks every field, reporting all problems at once.
    pub fn parse(input: CheckoutInput) -> Result<CheckoutRequest, Refusal> {
        input.check()?;
        Ok(CheckoutRequest(input))
    }
}

impl std::ops::Deref for CheckoutRequest {
    type Target = CheckoutInput;

    fn deref(&self) -> &CheckoutInput {
        &self.0
    }
}

impl CheckoutInput {
    fn check(&self) -> Result<(), Refusal> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &'static str, message: &str| {
            if !ok {
                errors.push(FieldError {
                    field,
                    message: message.to_owned(),
                });
            }
        };
        check(
            valid_email(&self.email),
            "email",
            "enter an email address like name@example.com",
        );
        let a = &self.address;
        let country = a.country.trim().to_ascii_uppercase();
        check(
            filled(&a.name, 100),
            "shipping_address.name",
            "enter the recipient's name",
        );
        check(
            filled(&a.line1, 200),
            "shipping_address.line1",
            "enter the street address",
        );
        check(
            a.line2.chars().count() <= 200,
            "shipping_address.line2",
            "keep this under 200 characters",
        );
        check(filled(&a.city, 100), "shipping_address.city", "enter the city");
        check(
            country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()),
            "shipping_address.country",
            "enter a two-letter country code such as US or CA",
        );
        let region = a.region.trim().to_ascii_uppercase();
        match country.as_str() {
            "US" => check(
                crate::domain::region::is_region_of("US", &region),
                "shipping_address.region",
                "choose the state",
            ),
            "CA" => check(
                crate::domain::region::is_region_of("CA", &region),
                "shipping_address.region",
                "choose the province",
            ),
            _ => check(
                a.region.chars().count() <= 100,
                "shipping_address.region",
                "keep this under 100 characters",
            ),
        }
        check(
            valid_postal_code(&country, &a.postal_code),
            "shipping_address.postal_code",
            postal_hint(&country),
        );
        check(
            !self.shipping_method.trim().is_empty(),
            "shipping_method",
            "choose a shipping method",
        );
        check(
            !self.payment.method.trim().is_empty(),
            "payment.method",
            "choose a payment method",
        );
        check(
            self.vehicle.as_ref().is_none_or(|v| v.chars().count() <= 200),
            "vehicle",
            "keep this under 200 characters",
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(errors))
        }
    }

    /// Identifies the request's content, so a key reused for a different checkout is caught.
    pub fn fingerprint(&self) -> u64 {
        let a = &self.address;
        let parts = [
            self.cart_id.as_str(),
            &self.email.trim().to_ascii_lowercase(),
            a.name.trim(),
            a.line1.trim(),
            a.line2.trim(),
            a.city.trim(),
            a.region.trim(),
            a.postal_code.trim(),
            a.country.trim(),
            self.shipping_method.trim(),
            self.payment.method.trim(),
            self.payment.token.as_deref().unwrap_or(""),
        ];
        xxhash_rust::xxh3::xxh3_64(parts.join("\u{1f}").as_bytes())
    }

    fn destination(&self) -> Destination {
        Destination {
            country: self.address.country.trim().to_ascii_uppercase(),
            region: self.address.region.trim().to_ascii_uppercase(),
        }
    }
}

/// Step one, on a snapshot: a replay, or the quote to authorize.
pub fn prepare(view: &impl View, rules: &Rules, req: &CheckoutRequest, key: &str, clock: Clock) -> Outcome<Prepared> {
    if let Some(order) = replay(view, req, key)? {
        return Ok(Prepared::Replay(Box::new(order)));
    }
    Ok(Prepared::Ready(Box::new(quote_for(view, rules, req, clock)?)))
}

/// Step three, in the writer's transaction: checks again, then writes the order.
pub fn place(
    tx: &mut WriteTx<'_>,
    rules: &Rules,
    req: &CheckoutRequest,
    key: &str,
    authorization: &Authorization,
    authorized: Money,
    clock: Clock,
) -> Outcome<Placed> {
    if let Some(order) = replay(tx, req, key)? {
        return Ok(Placed::Replayed(order));
    }
    let quote = quote_for(tx, rules, req, clock)?;
    if quote.total != authorized {
        return refuse(Refusal::TotalChanged { now: quote.total });
    }
    let Some(cart) = tx.cart(&req.cart_id)? else {
        return refuse(Refusal::CartNotFound);
    };
    let number = tx.next_order_number()?;
    // `quote_for` refuses a quote without shipping; matched here rather than assumed.
    let Some(shipping) = quote.shipping.clone() else {
        return refuse(Refusal::ShippingUnavailable(
            "no shipping method can deliver this cart".into(),
        ));
    };
    let order = build_order(req, &quote, shipping, &number, authorization, clock.now_ms);
    let actor = format!("order:{number}");
    let why = Change {
        reason: "order",
        actor: &actor,
    };
    for (sku, units) in stock_taken(&quote) {
        let delta = -i64::try_from(units).map_err(|_| StoreError::Corrupt("quantity overflow".into()))?;
        match inventory::adjust(tx, &sku, delta, &why)? {
            // A sell-out (inventory tells search of it).
            Ok(entry) if entry.balance == 0 => {
                metrics::counter!(crate::telemetry::metrics::STOCKOUTS).increment(1);
            }
            Ok(_) => {}
            // Checked above in this same transaction; reaching this is a bug, so abandon the batch.
            Err(short) => {
                return Err(TxError::Store(StoreError::Corrupt(format!(
                    "stock changed inside a transaction: {short}"
                ))));
            }
        }
    }
    crate::sales::ops::record_checkout(tx, &quote, &order.email, clock.now_ms)?;
    if let Some(code) = &order.promo {
        tx.count_promo_use(code)?;
    }
    tx.put_order(&order)?;
    tx.put_idempotency(
        key,
        &IdempotencyRecord {
            fingerprint: req.fingerprint(),
            order: number.clone(),
            at_ms: clock.now_ms,
        },
    )?;
    tx.mark_cart_used(&cart, clock.now_ms)?;
    if authorization.settlement == Settlement::Held {
        // The money is only held: this job takes it, and exists exactly when the order does.
        crate::jobs::settle_payment(tx, &number, clock.now_ms)?;
    }
    // No job row: the orders table is the outbox of `order.created` (numbered in commit order),
    // and the job runner fans each new order out into its mail and webhooks (see `notify`).
    Ok(Placed::Created(order))
}

/// `None` when the key is new; else the order it made if this request is the same, or a refusal.
fn replay(view: &impl View, req: &CheckoutRequest, key: &str) -> Outcome<Option<Order>> {
    let Some(record) = view.idempotency(key)? else {
        return Ok(None);
    };
    if record.fingerprint != req.fingerprint() {
        return refuse(Refusal::KeyReused);
    }
    match view.order(&record.order)? {
        Some(order) => Ok(Some(order)),
        None => Err(TxError::Store(StoreError::Corrupt(format!(
            "idempotency key points at missing order {}",
            record.order
        )))),
    }
}

/// Prices the cart for this request and checks it can be sold as it stands in `view`.
fn quote_for(view: &impl View, rules: &Rules, req: &CheckoutRequest, clock: Clock) -> Outcome<Quote> {
    let Some(cart) = cart::ops::load(view, &req.cart_id, clock)? else {
        return refuse(Refusal::CartNotFound);
    };
    if cart.lines.is_empty() {
        return refuse(Refusal::CartEmpty);
    }
    let destination = req.destination();
    let quote = cart::ops::price_for(
        view,
        rules,
        &cart,
        Some(req.shipping_method.trim()),
        Some(&destination),
        clock.now_ms,
        Some(req.email.trim()),
    )?
    .map_err(|e| TxError::Refused(e.into()))?;
    let short = shortfalls(view, &quote)?;
    if !short.is_empty() {
        return refuse(Refusal::OutOfStock(short));
    }
    if let Some(problem) = quote.promo.as_ref().and_then(|p| p.problem.clone()) {
        return refuse(Refusal::PromoUnavailable(problem));
    }
    if quote.shipping.is_none() {
        let offered: Vec<_> = quote.shipping_options.iter().map(|o| o.id.as_str()).collect();
        return refuse(Refusal::ShippingUnavailable(if offered.is_empty() {
            format!("no shipping method can deliver this cart to {}", destination.country)
        } else {
            format!(
                "shipping method {:?} cannot deliver this cart there; choose one of {}",
                req.shipping_method,
                offered.join(", ")
            )
        }));
    }
    Ok(quote)
}

/// Units taken from each stock-holding SKU across all lines: two lines of one SKU, or a bundle
/// and one of its components, are checked against their sum.
fn stock_taken(quote: &Quote) -> BTreeMap<String, u64> {
    let mut units = BTreeMap::new();
    for line in &quote.lines {
        let Some(item) = &line.item else { continue };
        for (sku, n) in item.product.stock_taken(u64::from(line.quantity)) {
            *units.entry(sku.to_owned()).or_insert(0) += n;
        }
    }
    units
}

/// Lines asking for more than a shopper may buy (a flash sale's cap, a bundle's components,
/// a removed product), then stock-holding SKUs asked for more than they hold in all.
fn shortfalls(view: &impl View, quote: &Quote) -> Result<Vec<Shortfall>, StoreError> {
    let mut short = quote.shortfalls();
    for (sku, requested) in stock_taken(quote) {
        let available = view.stock(&sku)?;
        if requested > available && !short.iter().any(|s| s.sku == sku) {
            short.push(Shortfall {
                sku,
                requested,
                available,
            });
        }
    }
    Ok(short)
}

fn build_order(
    req: &CheckoutRequest,
    quote: &Quote,
    shipping: crate::cart::pricing::ShippingOption,
    number: &str,
    auth: &Authorization,
    now: u64,
) -> Order {
    let status = if auth.pays() { Status::Paid } else { Status::Pending };
    let lines = quote.lines.iter().flat_map(order_lines).collect();
    let a = &req.address;
    Order {
        number: number.to_owned(),
        token: random_token(16),
        status,
        created_ms: now,
        email: req.email.trim().to_owned(),
        address: Address {
            name: a.name.trim().to_owned(),
            line1: a.line1.trim().to_owned(),
            line2: a.line2.trim().to_owned(),
            city: a.city.trim().to_owned(),
            region: a.region.trim().to_ascii_uppercase(),
            postal_code: a.postal_code.trim().to_ascii_uppercase(),
            country: a.country.trim().to_ascii_uppercase(),
        },
        lines,
        currency: quote.currency,
        subtotal: quote.subtotal,
        discount: quote.discount,
        promo: quote.applied_promo().map(str::to_owned),
        shipping_method: shipping.id,
        shipping_name: shipping.name,
        shipping: shipping.price,
        tax_name: quote.tax.as_ref().map(|t| t.name.clone()),
        tax: quote.tax.as_ref().map_or(Money::new(0, quote.currency), |t| t.amount),
        total: quote.total,
        payment: PaymentRecord {
            method: auth.method.to_owned(),
            reference: auth.reference.clone(),
            captured_ms: (auth.settlement == Settlement::Captured).then_some(now),
        },
        vehicle: req.vehicle.clone().filter(|v| !v.trim().is_empty()),
        shipment: None,
        restocked: false,
        history: vec![StatusChange {
            at_ms: now,
            from: None,
            to: status,
            actor: "shopper".into(),
            note: String::new(),
        }],
        refunds: Vec::new(),
    }
}

/// A cart line's order lines: the units at a flash sale's price and the units at the price in
/// force, each with its own unit price.
fn order_lines(l: &crate::cart::pricing::QuotedLine) -> Vec<OrderLine> {
    let Some(item) = l.item.as_ref() else {
        return Vec::new();
    };
    let p = &item.product;
    let line = |unit_price: Money, quantity: u32| OrderLine {
        sku: l.sku.clone(),
        title: p.title.clone(),
        options: p.options.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        part_number: p.own_part_number().map(|n| n.as_str().to_owned()),
        unit_price,
        quantity,
        // Cannot overflow: the quote summed these same products.
        line_total: unit_price.checked_mul(quantity).unwrap_or(unit_price),
    };
    let mut lines = Vec::with_capacity(2);
    if let Some(sale) = l.sale {
        lines.push(line(sale.price, sale.units));
    }
    if l.units_at_price() > 0 {
        lines.push(line(item.price, l.units_at_price()));
    }
    lines
}

fn filled(text: &str, max: usize) -> bool {
    let t = text.trim();
    !t.is_empty() && t.chars().count() <= max && !t.chars().any(char::is_control)
}

fn valid_email(email: &str) -> bool {
    let e = email.trim();
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

fn valid_postal_code(country: &str, code: &str) -> bool {
    let c = code.trim().to_ascii_uppercase();
    let b = c.as_bytes();
    match country {
        "US" => {
            let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
            (b.len() == 5 && digits(b)) || (b.len() == 10 && digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]))
        }
        "CA" => {
            let c: Vec<u8> = b.iter().copied().filter(|x| *x != b' ').collect();
            c.len() == 6
                && c.iter().enumerate().all(|(i, x)| {
                    if i % 2 == 0 {
                        x.is_ascii_uppercase()
                    } else {
                        x.is_ascii_digit()
                    }
                })
        }
        _ => (2..=10).contains(&b.len()) && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b' ' || *x == b'-'),
    }
}

fn postal_hint(country: &str) -> &'static str {
    match country {
        "US" => "enter a ZIP code such as 94107 or 94107-1234",
        "CA" => "enter a postal code such as K1A 0B1",
        _ => "enter the postal code",
    }
}

/// The clock checkout runs on, from the cart time-to-live in the config.
pub fn clock(ttl_ms: u64) -> Clock {
    Clock {
        now_ms: now_ms(),
        ttl_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CheckoutInput {
        CheckoutInput {
            cart_id: "c".into(),
            email: "ana@example.com".into(),
            address: Address {
                name: "Ana Díaz".into(),
                line1: "1 Main St".into(),
                line2: String::new(),
                city: "Springfield".into(),
                region: "il".into(),
                postal_code: "62701".into(),
                country: "us".into(),
            },
            shipping_method: "standard".into(),
            payment: PaymentInput {
                method: "test".into(),
                token: Some("tok_visa".into()),
            },
            vehicle: None,
        }
    }

    #[test]
    fn a_good_address_passes_and_bad_fields_are_all_named() {
        assert!(CheckoutRequest::parse(request()).is_ok());
        let mut bad = request();
        bad.email = "not an email".into();
        bad.address.postal_code = "ABC".into();
        bad.address.region = "ZZ".into();
        let Err(Refusal::Invalid(errors)) = CheckoutRequest::parse(bad) else {
            panic!("expected field errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec!["email", "shipping_address.region", "shipping_address.postal_code"]
        );
    }

    #[test]
    fn canadian_and_other_postal_codes_are_checked_by_country() {
        assert!(valid_postal_code("CA", "k1a 0b1"));
        assert!(!valid_postal_code("CA", "12345"));
        assert!(valid_postal_code("DE", "10115"));
        assert!(!valid_postal_code("DE", "<script>"));
    }

    #[test]
    fn the_fingerprint_ignores_case_and_spacing_of_the_email_only() {
        let a = request();
        let mut b = request();
        b.email = " ANA@example.com ".into();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.address.line1 = "2 Main St".into();
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
