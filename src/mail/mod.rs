//! Mail to shoppers and the merchant: order confirmation, shipped, cancelled, refunded, the
//! merchant's new-order notice and low-stock alert. Each is sent by a job (see `notify`), never
//! on the request path, so an SMTP outage only delays mail.

mod model;
mod send;
pub mod templates;

pub use model::{MailRecord, Rendered};
pub use send::{MailError, Mailer, redact};
