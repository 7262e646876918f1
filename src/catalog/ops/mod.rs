//! Catalog use cases that run against the store.

mod import;
mod read;
mod upsert;

pub use import::{ImportError, ImportReport, WriteVia, import, import_then};
pub use read::{
    CategoryListing, Home, ListingCache, ProductDetail, category_listing, home, is_empty, item, items, list,
    product_detail, sellable,
};
pub use upsert::{Batch, Prepared, Tally, Upserted, remove, reprice, upsert};
