//! Supplier stock feeds: a supplier pushes stock levels (signed like outgoing webhooks) or the
//! store pulls them on a schedule; either way they go through the stock ledger with reason
//! `supplier:{name}`, and each feed's last run is kept for the back office.

mod apply;
mod model;
mod pull;

pub use apply::apply;
pub use model::{FeedRun, Item, parse};
pub use pull::pull;
