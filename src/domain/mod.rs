//! The shop's shared vocabulary: small validated types every other module speaks.
//!
//! Nothing here does I/O. Each type is parsed once at the edge (import line, HTTP request) and is
//! valid from then on.

mod category;
mod money;
mod part_number;
mod sku;
mod token;
mod vehicle;

pub use category::{CategoryPath, InvalidCategory};
pub use money::{Currency, InvalidCurrency, Money, MoneyError, group_thousands};
pub use part_number::PartNumber;
pub use sku::{InvalidSku, Sku};
pub use token::{normalize_order_number, order_number, random_token};
pub use vehicle::{FitmentRef, Fitments, InvalidFitment, YearRange, same_name};

/// Milliseconds since the Unix epoch: the store's single notion of time.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
