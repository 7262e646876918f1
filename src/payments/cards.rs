//! Cards through Stripe as a checkout payment method: the total is held on the card (a
//! PaymentIntent with manual capture) before the order is written; the order's transaction
//! files the job that takes the money. A circuit breaker keeps a failing gateway from costing
//! every shopper a timeout.

use std::sync::{Arc, Mutex};

use super::model::{Breaker, GatewayError, Intent, IntentStatus, Permit};
use super::stripe::Stripe;
use crate::domain::now_ms;
use crate::orders::{Authorization, AuthorizeRequest, Authorizing, PaymentError, PaymentProvider, Settlement};
use crate::telemetry::metrics as m;

pub struct StripeCards {
    stripe: Stripe,
    breaker: Arc<Mutex<Breaker>>,
}

impl StripeCards {
    pub fn new(stripe: Stripe) -> StripeCards {
        metrics::gauge!(m::PAYMENT_BREAKER_OPEN, "provider" => "stripe").set(0.0);
        StripeCards {
            stripe,
            breaker: Arc::new(Mutex::new(Breaker::default())),
        }
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn hold(&self, request: AuthorizeRequest<'_>) -> Result<Authorization, PaymentError> {
        let Some(payment_method) = request.token.filter(|t| !t.trim().is_empty()) else {
            return Err(PaymentError::Invalid(
                "a card payment needs payment.payment_method (a Stripe PaymentMethod id such as pm_card_visa)".into(),
            ));
        };
        if payment_method.len() > 255 || !payment_method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(PaymentError::Invalid(
                "payment.payment_method is not a Stripe PaymentMethod id".into(),
            ));
        }
        let permit = self.breaker().permit(now_ms());
        if permit == Permit::Refuse {
            metrics::counter!(m::PAYMENT_CALLS, "provider" => "stripe", "outcome" => "breaker_open").increment(1);
            return Err(unavailable("too many recent failures; the circuit breaker is open"));
        }
        // A retried checkout reuses its key, so Stripe answers with the first intent.
        let checkout = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(request.key.as_bytes()));
        let key = format!("hold-{checkout}-{}", request.amount.minor());
        let held = self
            .stripe
            .hold(
                request.amount.minor(),
                &request.amount.currency().to_string(),
                payment_method,
                &checkout,
                &key,
            )
            .await;
        self.count(&held);
        crate::telemetry::crash_point("payments.after_hold");
        match held {
            Ok(intent) => authorization(intent),
            Err(GatewayError::Declined(reason)) => Err(PaymentError::Declined(reason)),
            Err(GatewayError::Rejected(reason)) => {
                Err(PaymentError::Invalid(format!("Stripe refused the payment: {reason}")))
            }
            Err(GatewayError::Unavailable(reason)) => Err(unavailable(&reason)),
        }
    }

    /// Feeds the breaker and the metrics.
    fn count(&self, outcome: &Result<Intent, GatewayError>) {
        let label = match outcome {
            Ok(_) => "ok",
            Err(GatewayError::Declined(_)) => "declined",
            Err(GatewayError::Rejected(_)) => "rejected",
            Err(GatewayError::Unavailable(_)) => "unavailable",
        };
        metrics::counter!(m::PAYMENT_CALLS, "provider" => "stripe", "outcome" => label).increment(1);
        let mut breaker = self.breaker();
        let was_open = breaker.is_open(now_ms());
        match outcome {
            Err(GatewayError::Unavailable(_)) => breaker.failed(now_ms()),
            _ => breaker.answered(),
        }
        let open = breaker.is_open(now_ms());
        drop(breaker);
        if open != was_open {
            if open {
                tracing::warn!("Stripe keeps failing: card payments are paused (circuit breaker open)");
            } else {
                tracing::info!("Stripe answers again: card payments resume (circuit breaker closed)");
            }
        }
        metrics::gauge!(m::PAYMENT_BREAKER_OPEN, "provider" => "stripe").set(if open { 1.0 } else { 0.0 });
    }
}

fn unavailable(reason: &str) -> PaymentError {
    PaymentError::Unavailable {
        method: "stripe".into(),
        reason: reason.to_owned(),
        fallback_methods: Vec::new(),
    }
}

/// What an intent's state after confirmation means for the checkout.
fn authorization(intent: Intent) -> Result<Authorization, PaymentError> {
    let settlement = match intent.status {
        IntentStatus::RequiresCapture => Settlement::Held,
        IntentStatus::Succeeded => Settlement::Captured,
        IntentStatus::RequiresAction | IntentStatus::Processing => Settlement::NeedsAction {
            client_secret: intent.client_secret.clone().unwrap_or_default(),
        },
        IntentStatus::RequiresPaymentMethod => {
            let reason = intent
                .last_payment_error
                .as_ref()
                .map_or_else(|| "the card was declined".into(), |e| e.text());
            return Err(PaymentError::Declined(reason));
        }
        other => {
            return Err(unavailable(&format!("Stripe left the payment {other:?}")));
        }
    };
    Ok(Authorization {
        method: "stripe",
        reference: Some(intent.id),
        settlement,
    })
}

impl PaymentProvider for StripeCards {
    fn id(&self) -> &'static str {
        "stripe"
    }

    fn authorize<'a>(&'a self, request: AuthorizeRequest<'a>) -> Authorizing<'a> {
        Box::pin(self.hold(request))
    }

    fn void(&self, authorization: &Authorization) {
        let Some(id) = authorization.reference.clone() else {
            return;
        };
        let stripe = self.stripe.clone();
        // What this misses (a crash, an outage), the reconciliation releases.
        tokio::spawn(async move {
            if let Err(e) = stripe.cancel(&id).await {
                tracing::info!(intent = %id, error = %e, "could not release a card hold now; reconciliation will");
            }
        });
    }

    fn available(&self) -> bool {
        !self.breaker().is_open(now_ms())
    }
}
