//! Selling: the use cases a shop runs for its shoppers (changing and pricing carts, checking out,
//! finding an order) over the store, the group-committing writer and the payment providers. No
//! HTTP here: the JSON API, the pages, a job or a bench call them alike, and match on what went
//! wrong as a type (`Failed::Refused` carries the use case's own refusal).

use std::sync::Arc;

use crate::cart::{self, Cart, CartError, Clock, Destination, Quote, Rules};
use crate::orders::checkout::{self, CheckoutInput, CheckoutRequest, Placed, Prepared, Refusal};
use crate::orders::{AuthorizeRequest, Order, PaymentError, Payments, Settlement};
use crate::store::{Store, StoreError, TxResult, WriteError, WriteTx, Writer};
use crate::telemetry::metrics as m;

pub use crate::store::Failed;

/// A checkout's answer: the order, and whether it was placed by an earlier identical request.
pub struct CheckedOut {
    pub order: Order,
    pub replayed: bool,
    /// The card's bank wants the shopper to confirm (3-D Secure): the browser finishes the
    /// payment with this secret (Stripe.js `handleCardAction`), and the order becomes paid.
    pub client_secret: Option<String>,
}

/// The shop's selling parts, cheap to clone into a request or a job.
#[derive(Clone)]
pub struct Shop {
    store: Store,
    writer: Arc<Writer>,
    payments: Arc<Payments>,
    rules: Arc<Rules>,
    cart_ttl_ms: u64,
}

impl Shop {
    pub fn new(
        store: Store,
        writer: Arc<Writer>,
        payments: Arc<Payments>,
        rules: Arc<Rules>,
        cart_ttl_ms: u64,
    ) -> Shop {
        Shop {
            store,
            writer,
            payments,
            rules,
            cart_ttl_ms,
        }
    }

    /// Now, and how long carts live.
    pub fn clock(&self) -> Clock {
        checkout::clock(self.cart_ttl_ms)
    }

    pub fn payments(&self) -> &Payments {
        &self.payments
    }

    /// Runs a cart change in the writer's next group commit.
    pub async fn change_cart<F>(&self, change: F) -> Result<Cart, Failed<CartError>>
    where
        F: FnOnce(&mut WriteTx<'_>, &Rules, Clock) -> TxResult<Cart, CartError> + Send + 'static,
    {
        let (rules, clock) = (self.rules.clone(), self.clock());
        self.writer.run_use_case(move |tx| change(tx, &rules, clock)).await
    }

    /// A live cart and its quote, for a destination and shipping method when given.
    pub async fn view_cart(
        &self,
        id: String,
        shipping_method: Option<String>,
        destination: Option<Destination>,
    ) -> Result<(Cart, Quote), Failed<CartError>> {
        let (store, rules, clock) = (self.store.clone(), self.rules.clone(), self.clock());
        off_the_async_threads(move || -> Result<(Cart, Quote), Failed<CartError>> {
            let read = store.read()?;
            let Some(cart) = cart::ops::load(&read, &id, clock)? else {
                return Err(Failed::Refused(CartError::NotFound));
            };
            let quote = cart::ops::price(
                &read,
                &rules,
                &cart,
                shipping_method.as_deref(),
                destination.as_ref(),
                clock.now_ms,
            )?
            .map_err(|e| Failed::Refused(e.into()))?;
            Ok((cart, quote))
        })
        .await
    }

    /// Checks a submitted checkout once; a refusal (every bad field at once) is counted as a
    /// checkout outcome like any other.
    pub fn parse_checkout(&self, input: CheckoutInput) -> Result<CheckoutRequest, Failed<Refusal>> {
        CheckoutRequest::parse(input).map_err(|refusal| {
            metrics::counter!(m::CHECKOUTS, "outcome" => refusal.kind()).increment(1);
            Failed::Refused(refusal)
        })
    }

    /// Places an order exactly once per idempotency key (see `place`), counting the outcome.
    pub async fn checkout(&self, request: CheckoutRequest, key: String) -> Result<CheckedOut, Failed<Refusal>> {
        let started = std::time::Instant::now();
        let outcome = self.place(request, key).await;
        let label = match &outcome {
            Ok(done) if done.replayed => "replayed",
            Ok(_) => "placed",
            Err(Failed::Refused(refusal)) => refusal.kind(),
            Err(Failed::Write(WriteError::Busy)) => "busy",
            Err(Failed::Write(WriteError::Store(_))) => "storage_unavailable",
        };
        metrics::counter!(m::CHECKOUTS, "outcome" => label).increment(1);
        if label == "placed" {
            metrics::histogram!(m::CHECKOUT_DURATION).record(started.elapsed().as_secs_f64());
        }
        outcome
    }

    /// Replays a known key, authorizes the quoted total, then places the order in the writer's
    /// next durable group commit. Every refusal after the authorization voids it.
    async fn place(&self, request: CheckoutRequest, key: String) -> Result<CheckedOut, Failed<Refusal>> {
        let clock = self.clock();
        let mut prepared = self.prepare(&request, &key, clock).await;
        if matches!(prepared, Err(Failed::Refused(Refusal::CartNotFound))) {
            // A twin request with this key (a double click) may have just placed the order: the
            // store notes a spent cart and a used key in memory after the commit, so a snapshot
            // taken a moment before can see the cart spent yet miss the key's record. A fresh
            // snapshot sees both, and answers with that order.
            prepared = self.prepare(&request, &key, clock).await;
        }
        let quote = match prepared? {
            Prepared::Replay(order) => {
                return Ok(CheckedOut {
                    order: *order,
                    replayed: true,
                    client_secret: None,
                });
            }
            Prepared::Ready(quote) => quote,
        };
        let refused = |e| Failed::Refused(Refusal::from(e));
        let provider = self.payments.provider(&request.payment.method).map_err(refused)?;
        let authorization = provider
            .authorize(AuthorizeRequest {
                amount: quote.total,
                token: request.payment.token.as_deref(),
                key: &key,
                email: request.email.trim(),
            })
            .await
            .map_err(|e| refused(self.with_fallbacks(e)))?;
        let (rules, auth, total) = (self.rules.clone(), authorization.clone(), quote.total);
        let placed = self
            .writer
            .run_use_case(move |tx| checkout::place(tx, &rules, &request, &key, &auth, total, clock))
            .await;
        crate::telemetry::crash_point("checkout.after_write");
        match placed {
            Ok(Placed::Created(order)) => Ok(CheckedOut {
                order,
                replayed: false,
                client_secret: match authorization.settlement {
                    Settlement::NeedsAction { client_secret } => Some(client_secret),
                    _ => None,
                },
            }),
            Ok(Placed::Replayed(order)) => {
                // Another request with this key placed it; its hold is the order's (the gateway
                // answered both with the same one) unless it differs.
                if authorization.reference != order.payment.reference {
                    provider.void(&authorization);
                }
                Ok(CheckedOut {
                    order,
                    replayed: true,
                    client_secret: None,
                })
            }
            Err(failed) => {
                // A refusal, or a failed commit, wrote nothing; the shopper may retry with the
                // same key.
                provider.void(&authorization);
                Err(failed)
            }
        }
    }

    /// Step one of a checkout, on a fresh snapshot.
    async fn prepare(&self, request: &CheckoutRequest, key: &str, clock: Clock) -> Result<Prepared, Failed<Refusal>> {
        let (store, rules) = (self.store.clone(), self.rules.clone());
        let (req, k) = (request.clone(), key.to_owned());
        off_the_async_threads(move || -> Result<Prepared, Failed<Refusal>> {
            Ok(checkout::prepare(&store.read()?, &rules, &req, &k, clock)?)
        })
        .await
    }

    /// Names the methods a shopper can use instead of one that is unavailable.
    fn with_fallbacks(&self, e: PaymentError) -> PaymentError {
        match e {
            PaymentError::Unavailable { method, reason, .. } => PaymentError::Unavailable {
                fallback_methods: self.payments.fallbacks(&method),
                method,
                reason,
            },
            other => other,
        }
    }

    /// The order, for whoever holds its token; an unknown number and a wrong token look the same.
    pub async fn order_for_shopper(&self, number: &str, token: &str) -> Result<Option<Order>, StoreError> {
        Ok(self
            .find_order(number)
            .await?
            .filter(|o| crate::staff::secrets::constant_time_eq(o.token.as_bytes(), token.as_bytes())))
    }

    /// The order with this number as typed (case, spaces and look-alike letters forgiven).
    pub async fn find_order(&self, number: &str) -> Result<Option<Order>, StoreError> {
        let Some(key) = crate::domain::normalize_order_number(number) else {
            return Ok(None);
        };
        let store = self.store.clone();
        off_the_async_threads(move || store.read()?.order(&key)).await
    }
}

/// Store reads block; they run on the runtime's blocking pool, keeping the caller's span.
async fn off_the_async_threads<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|_| StoreError::Unavailable("the server is shutting down".into()))?
}
