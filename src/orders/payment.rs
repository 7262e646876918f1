//! Payment providers. Checkout authorizes the total before the order is written and voids the
//! authorization when the write refuses (out of stock), so a failed checkout never charges. A
//! card through a gateway is only held at checkout; the order's transaction files the job that
//! takes the money (see `payments`).

use std::future::Future;
use std::pin::Pin;

use crate::domain::Money;

/// What the shopper chose at checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentInput {
    pub method: String,
    /// A test card token (`tok_visa`) or a gateway's payment method id (`pm_…`).
    pub token: Option<String>,
}

/// What to authorize.
#[derive(Clone, Copy, Debug)]
pub struct AuthorizeRequest<'a> {
    pub amount: Money,
    pub token: Option<&'a str>,
    /// The checkout's idempotency key: a retried checkout authorizes again with the same key.
    pub key: &'a str,
    pub email: &'a str,
}

/// Where the money stands after an approved authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// Taken already (the test cards): the order starts `paid`.
    Captured,
    /// Held on the card: the order starts `paid` and a job takes the money.
    Held,
    /// Owed (pay on invoice): the order starts `pending`.
    Owed,
    /// The card's bank wants the shopper to confirm (3-D Secure): the order starts `pending`
    /// and becomes paid when the gateway says so. The browser finishes it with this secret.
    NeedsAction { client_secret: String },
}

/// An approved authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub method: &'static str,
    pub reference: Option<String>,
    pub settlement: Settlement,
}

impl Authorization {
    /// Whether the order starts paid.
    pub fn pays(&self) -> bool {
        matches!(self.settlement, Settlement::Captured | Settlement::Held)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment was declined: {0}")]
    Declined(String),
    #[error("{0}")]
    Invalid(String),
    /// The provider is down, slow or refusing: the shopper may use another method.
    #[error("{method} payments are unavailable right now ({reason}); pay another way or try again shortly")]
    Unavailable {
        method: String,
        reason: String,
        /// The methods that work now, filled in by the shop.
        fallback_methods: Vec<&'static str>,
    },
}

pub type Authorizing<'a> = Pin<Box<dyn Future<Output = Result<Authorization, PaymentError>> + Send + 'a>>;

/// A way to pay. Implementations must be safe to call again with the same `key` (providers take
/// it as their own idempotency key), because a retried checkout authorizes again.
pub trait PaymentProvider: Send + Sync {
    fn id(&self) -> &'static str;
    fn authorize<'a>(&'a self, request: AuthorizeRequest<'a>) -> Authorizing<'a>;
    /// Releases an authorization whose order was not placed (in the background: what is not
    /// released here, the gateway reconciliation releases).
    fn void(&self, authorization: &Authorization);
    /// Whether it can take payments now (a gateway's circuit breaker is closed).
    fn available(&self) -> bool {
        true
    }
}

/// The built-in test card method: `tok_visa` approves, `tok_declined` is declined.
pub struct TestCards;

impl PaymentProvider for TestCards {
    fn id(&self) -> &'static str {
        "test"
    }

    fn authorize<'a>(&'a self, request: AuthorizeRequest<'a>) -> Authorizing<'a> {
        Box::pin(std::future::ready(test_card(request)))
    }

    fn void(&self, _: &Authorization) {}
}

fn test_card(request: AuthorizeRequest<'_>) -> Result<Authorization, PaymentError> {
    match request.token {
        Some("tok_visa") => Ok(Authorization {
            method: "test",
            reference: Some(format!(
                "test_{:016x}",
                xxhash_rust::xxh3::xxh3_64(request.key.as_bytes()) ^ request.amount.minor() as u64
            )),
            settlement: Settlement::Captured,
        }),
        Some("tok_declined") => Err(PaymentError::Declined("the test card was declined".into())),
        Some(other) => Err(PaymentError::Invalid(format!(
            "{other:?} is not a test card token; use tok_visa (approves) or tok_declined (declines)"
        ))),
        None => Err(PaymentError::Invalid(
            "the test method needs a card token such as tok_visa".into(),
        )),
    }
}

/// Pay on invoice or cash on delivery: always accepted, paid later.
pub struct OnInvoice;

impl PaymentProvider for OnInvoice {
    fn id(&self) -> &'static str {
        "invoice"
    }

    fn authorize<'a>(&'a self, _: AuthorizeRequest<'a>) -> Authorizing<'a> {
        Box::pin(std::future::ready(Ok(Authorization {
            method: "invoice",
            reference: None,
            settlement: Settlement::Owed,
        })))
    }

    fn void(&self, _: &Authorization) {}
}

/// The payment methods a shop offers, in the order it offers them.
pub struct Payments {
    providers: Vec<Box<dyn PaymentProvider>>,
}

impl Default for Payments {
    fn default() -> Self {
        Payments::new(true)
    }
}

impl Payments {
    /// The test cards (when `test_cards`; a real shop must not hand out paid orders for
    /// `tok_visa`) and pay on invoice.
    pub fn new(test_cards: bool) -> Payments {
        let mut providers: Vec<Box<dyn PaymentProvider>> = Vec::new();
        if test_cards {
            providers.push(Box::new(TestCards));
        }
        providers.push(Box::new(OnInvoice));
        Payments { providers }
    }

    /// Exactly these methods, in this order.
    pub fn of(providers: Vec<Box<dyn PaymentProvider>>) -> Payments {
        Payments { providers }
    }

    /// Whether `method` is offered.
    pub fn offers(&self, method: &str) -> bool {
        self.providers.iter().any(|p| p.id() == method)
    }

    /// The methods offered, in order.
    pub fn methods(&self) -> Vec<&'static str> {
        self.providers.iter().map(|p| p.id()).collect()
    }

    /// The methods that can take payments now, other than `method`: what a shopper is offered
    /// when `method` is unavailable.
    pub fn fallbacks(&self, method: &str) -> Vec<&'static str> {
        self.providers
            .iter()
            .filter(|p| p.id() != method && p.available())
            .map(|p| p.id())
            .collect()
    }

    pub fn provider(&self, method: &str) -> Result<&dyn PaymentProvider, PaymentError> {
        self.providers
            .iter()
            .find(|p| p.id() == method)
            .map(|p| p.as_ref())
            .ok_or_else(|| {
                PaymentError::Invalid(format!(
                    "payment method {method:?} is not offered; use one of {}",
                    self.methods().join(", ")
                ))
            })
    }
}
