//! Purges for the caches in front (Varnish, a CDN): catalog answers carry surrogate keys
//! (`p-{sku}`, `c-{category}`, `home`, `search`, and `catalog` on all of them), and a change to a
//! product's page (price, stock state, text, category) queues a purge job in the transaction
//! that makes it, so a cache that is down delays its purge, never a write.

pub mod model;
mod send;

pub use model::{CacheConfig, Style, keys_for_path, purge_keys};
pub use send::Purger;
