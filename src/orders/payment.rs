//! Payment providers. Checkout authorizes the total before the order is written and voids the
//! authorization when the write refuses (out of stock), so a failed checkout never charges.

use crate::domain::Money;

/// What the shopper chose at checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentInput {
    pub method: String,
    pub token: Option<String>,
}

/// An approved authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    pub method: &'static str,
    pub reference: Option<String>,
    /// Money has been taken (the order starts `paid`) or is still owed (`pending`).
    pub captured: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment was declined: {0}")]
    Declined(String),
    #[error("{0}")]
    Invalid(String),
}

/// A way to pay. Implementations must be safe to call again with the same `key` (providers take
/// it as their own idempotency key), because a retried checkout authorizes again.
pub trait PaymentProvider: Send + Sync {
    fn id(&self) -> &'static str;
    fn authorize(&self, amount: Money, token: Option<&str>, key: &str) -> Result<Authorization, PaymentError>;
    /// Releases an authorization whose order was not placed.
    fn void(&self, authorization: &Authorization);
}

/// The built-in test card method: `tok_visa` approves, `tok_declined` is declined.
pub struct TestCards;

impl PaymentProvider for TestCards {
    fn id(&self) -> &'static str {
        "test"
    }

    fn authorize(&self, amount: Money, token: Option<&str>, key: &str) -> Result<Authorization, PaymentError> {
        match token {
            Some("tok_visa") => Ok(Authorization {
                method: "test",
                reference: Some(format!(
                    "test_{:016x}",
                    xxhash_rust::xxh3::xxh3_64(key.as_bytes()) ^ amount.minor() as u64
                )),
                captured: true,
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

    fn void(&self, _: &Authorization) {}
}

/// Pay on invoice or cash on delivery: always accepted, paid later.
pub struct OnInvoice;

impl PaymentProvider for OnInvoice {
    fn id(&self) -> &'static str {
        "invoice"
    }

    fn authorize(&self, _: Money, _: Option<&str>, _: &str) -> Result<Authorization, PaymentError> {
        Ok(Authorization {
            method: "invoice",
            reference: None,
            captured: false,
        })
    }

    fn void(&self, _: &Authorization) {}
}

/// The payment methods a shop offers.
pub struct Payments {
    providers: Vec<Box<dyn PaymentProvider>>,
}

impl Default for Payments {
    fn default() -> Self {
        Payments::new(true)
    }
}

impl Payments {
    /// The shop's methods; the test cards only when `test_cards` (a real shop must not hand out
    /// paid orders for `tok_visa`).
    pub fn new(test_cards: bool) -> Payments {
        let mut providers: Vec<Box<dyn PaymentProvider>> = Vec::new();
        if test_cards {
            providers.push(Box::new(TestCards));
        }
        providers.push(Box::new(OnInvoice));
        Payments { providers }
    }

    /// Whether `method` is offered.
    pub fn offers(&self, method: &str) -> bool {
        self.providers.iter().any(|p| p.id() == method)
    }

    pub fn provider(&self, method: &str) -> Result<&dyn PaymentProvider, PaymentError> {
        self.providers
            .iter()
            .find(|p| p.id() == method)
            .map(|p| p.as_ref())
            .ok_or_else(|| {
                let known: Vec<_> = self.providers.iter().map(|p| p.id()).collect();
                PaymentError::Invalid(format!(
                    "payment method {method:?} is not offered; use one of {}",
                    known.join(", ")
                ))
            })
    }
}
