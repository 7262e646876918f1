//! storefront: a whole online store in one binary.
//!
//! ```text
//!  HTTP ─► web (actix: pages/ shop HTML, admin/ back office, api/ JSON, assets, ops)
//!           │ reads: blocking pool              │ writes: one queue
//!           ▼                                   ▼
//!  use cases (catalog, cart, orders, merchant) ─► store::Writer (group commit) ─► store (redb)
//!           │                                                                  │ changed SKUs
//!           └──► search (tantivy, a view of the store) ◄── search::live ◄──────┘
//!  cli (serve, demo, import, export, gen, reindex, verify) ──► store directly (offline);
//!  cli (backup, token create) ──► the running server's control socket
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
//! * `staff`: accounts, sessions, API tokens, the audit log, and scopes as types (`Staff<S>`);
//!   `merchant`: the back office's changes, each taking its scope's proof and audited.
//! * `shop`: selling (cart changes and quotes, checkout, finding orders) over the store, the
//!   writer and the payment providers, without HTTP: the API, the pages and jobs call it alike.
//! * `jobs`: the durable job queue (an outbox: a change and the jobs it causes commit together)
//!   and its workers; `notify` is what the jobs do: fan events out into `mail` (SMTP with
//!   lettre, or the outbox) and `webhooks` (signed deliveries with a breaker per receiver).
//!   `feeds`: supplier stock levels, pushed or pulled, through the ledger.
//! * `reports`: sales, funnel, top products and stock-outs for a period.
//! * `web`: turns requests into use-case calls and renders the answers.
//! * `maintenance`: backup (online through the server's control socket), restore, verify.
//! * `telemetry`: logs and Prometheus metrics.
//! * `background`: the periodic tasks and service loops, started by name and stopped together.
//! * `state`: what every request handler shares (`AppState`), apart from `app` so that `web`
//!   does not import `app`.
//! * `app`: builds the shared state once, serves, and shuts down in order; `cli` drives it all.

pub mod app;
pub mod background;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod domain;
pub mod feeds;
pub mod flags;
pub mod inventory;
pub mod jobs;
pub mod mail;
pub mod maintenance;
pub mod merchant;
pub mod notify;
pub mod orders;
pub mod page_cache;
pub mod payments;
pub mod purge;
pub mod rehearse;
pub mod reports;
pub mod sales;
pub mod search;
pub mod shop;
pub mod staff;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod waiting_room;
pub mod web;
pub mod webhooks;
