//! Carts and what they cost: the cart model, its use cases, the merchant's shipping, tax and promo
//! rules, and `pricing`, the one place totals are computed.

mod model;
pub mod ops;
pub mod pricing;
pub mod rules;

pub use model::{Cart, CartLine};
pub use ops::{CartError, Clock};
pub use pricing::{Destination, PricingError, Quote};
pub use rules::Rules;
