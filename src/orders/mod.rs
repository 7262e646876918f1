//! Orders: checkout (cart to durable order, exactly once), the order model frozen at purchase,
//! the status machine, and payment providers.

pub mod checkout;
mod model;
pub mod payment;
pub mod refund;
mod status;
pub mod transition;

pub use checkout::{CheckoutInput, CheckoutRequest, FieldError, Placed, Prepared, Refusal};
pub use model::{
    Address, IdempotencyRecord, Order, OrderLine, PaymentRecord, Refund, RefundState, Shipment, StatusChange,
};
pub use payment::{
    Authorization, AuthorizeRequest, Authorizing, PaymentError, PaymentInput, PaymentProvider, Payments, Settlement,
};
pub use refund::{RefundError, refund};
pub use status::{Revenue, Status, UnknownStatus};
pub use transition::{NOTE_MAX_CHARS, Transition, TransitionError, clip_note, transition};

/// How long a checkout's Idempotency-Key is remembered. Retries come within minutes; after a
/// week the record only takes space (and its cart is long gone, so a late retry cannot place a
/// second order: it finds no cart).
pub const IDEMPOTENCY_TTL_MS: u64 = 7 * 24 * 3_600_000;

/// Forgets up to `limit` idempotency keys older than `IDEMPOTENCY_TTL_MS`; returns how many.
pub fn sweep_idempotency(
    tx: &mut crate::store::WriteTx<'_>,
    now_ms: u64,
    limit: usize,
) -> Result<usize, crate::store::StoreError> {
    tx.sweep_idempotency(now_ms.saturating_sub(IDEMPOTENCY_TTL_MS), limit)
}
