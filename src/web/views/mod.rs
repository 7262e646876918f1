//! maud views: plain functions returning `Markup`. Escaping stays on everywhere; nothing a merchant
//! or shopper typed is ever passed through `PreEscaped`.

pub mod cart;
pub mod category;
pub mod checkout;
pub mod components;
pub mod errors;
pub mod home;
pub mod layout;
pub mod order;
pub mod product;
pub mod search;

pub use layout::Chrome;
