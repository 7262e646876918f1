//! Card payments through Stripe.
//!
//! The order of operations, chosen so that no crash can leave a charge without an order or a
//! paid order without a charge:
//!
//! 1. Checkout holds the total on the card (a PaymentIntent confirmed with manual capture,
//!    idempotency key from the checkout's key). A decline answers 402 and nothing is held.
//! 2. The order is written (stock taken) in the writer's durable group commit, and in the same
//!    transaction the settle job that will take the money. If the write refuses (stock ran
//!    out), the hold is released at once.
//! 3. The settle job captures the money (and later makes refunds, or releases the hold of an
//!    order cancelled first). It reads the gateway before it acts, so it is safe to repeat.
//!
//! A crash between 1 and 2 leaves a hold without an order: reconciliation (every 15 seconds,
//! from the start) lists the store's recent intents and releases every hold no order owns, and
//! refunds any such intent that was captured. A crash after 2 leaves the job, which runs at
//! the next start. A card that needs 3-D Secure makes a `pending` order; it becomes paid when
//! Stripe says so (webhook, the shopper's return, or reconciliation) and is cancelled, its
//! stock returned, when the card is not confirmed within an hour.

mod cards;
pub mod model;
mod reconcile;
mod settle;
mod stripe;
mod webhook;

pub use cards::StripeCards;
pub use reconcile::Reconciler;
pub use settle::Settler;
pub use stripe::Stripe;
pub use webhook::{GatewayEvent, WebhookOutcome, apply_event, parse_event};
