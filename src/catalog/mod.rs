//! The catalog: products, categories, variant groups, attributes and fitments; import, export and
//! the synthetic generator.
//!
//! `ops` holds the use cases that run against the store; `model` and `import` are pure.

pub mod demo;
pub mod export;
pub mod generator;
pub mod import;
mod model;
pub mod ops;

pub use model::{AttrValue, Category, Item, ListingEntry, Page, PageRequest, Product, ProductRecord, Sort};
