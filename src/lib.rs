//! storefront: a whole online store in one binary.
//!
//! ```text
//!  HTTP ─► web (actix: pages/ maud HTML, api/ JSON, assets, ops)
//!           │ reads: blocking pool              │ writes: one queue
//!           ▼                                   ▼
//!      use cases (catalog, cart, orders) ─► store::Writer (group commit) ─► store (redb)
//!           │                                                                  │ changed SKUs
//!           └──► search (tantivy, a view of the store) ◄── search::live ◄──────┘
//!        cli (serve, demo, import, export, gen, reindex) ──► store directly (offline)
//! ```
//!
//! * `domain`: validated vocabulary (Sku, Money, PartNumber, CategoryPath, Fitment, order numbers).
//! * `catalog`, `inventory`: models plus use cases (`ops`) that run inside store transactions.
//! * `cart`: carts, the merchant's shipping/tax/promo rules, and `pricing`, the one place totals
//!   are computed. `orders`: checkout, the order model, its status machine, payment providers.
//! * `store`: the only module that touches redb. Every change is one transaction committed
//!   durably before anyone is told it happened; while serving, changes go through `Writer`, which
//!   commits the waiting ones together.
//! * `search`: the tantivy index, rebuilt from the store when it is behind and kept current live.
//! * `web`: turns requests into use-case calls and renders the answers.
//! * `maintenance`: backup (online through the server's control socket), restore, verify.
//! * `app`: builds the shared state once, serves, and shuts down in order; `cli` drives it all.

pub mod app;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod domain;
pub mod inventory;
pub mod maintenance;
pub mod merchant;
pub mod orders;
pub mod reports;
pub mod search;
pub mod staff;
pub mod store;
pub mod telemetry;
pub mod web;
