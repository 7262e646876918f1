//! Orders: checkout (cart to durable order, exactly once), the order model frozen at purchase,
//! the status machine, and payment providers.

pub mod checkout;
mod model;
pub mod payment;
mod status;
pub mod transition;

pub use checkout::{CheckoutRequest, FieldError, Placed, Prepared, Refusal};
pub use model::{Address, IdempotencyRecord, Order, OrderLine, PaymentRecord, Shipment, StatusChange};
pub use payment::{Authorization, PaymentError, PaymentInput, Payments};
pub use status::{Status, UnknownStatus};
pub use transition::{Transition, TransitionError, transition};
