//! storefront: a whole online store in one binary.
//!
//! ```text
//!  HTTP ─► web (actix: pages/ maud HTML, api/ JSON, assets, ops) ─► use cases ─► store (redb)
//!                                                                    │
//!        cli (serve, demo, import, export, gen) ─────────────────────┘
//! ```
//!
//! * `domain`: validated vocabulary (Sku, Money, PartNumber, CategoryPath, Fitment).
//! * `catalog`, `inventory`: models plus use cases (`ops`) that run inside store transactions.
//! * `store`: the only module that touches redb; one write transaction per use case, committed
//!   durably before anyone is told it happened.
//! * `web`: turns requests into use-case calls on the blocking pool and renders the answers.
//! * `app`: builds the shared state once, serves, and shuts down in order; `cli` drives it all.

pub mod app;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod domain;
pub mod inventory;
pub mod orders;
pub mod search;
pub mod store;
pub mod telemetry;
pub mod web;
