//! Every redb table, with its key layout. Values are `codec` bytes unless the type says otherwise.

use redb::TableDefinition;

/// `schema_version`, sequence counters, the order numbering key and the catalog version (bumped
/// on every catalog change).
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// sku -> `catalog::Product`.
pub(crate) const PRODUCTS: TableDefinition<&str, &[u8]> = TableDefinition::new("products");

/// sku -> units on hand. Absent means 0.
pub(crate) const STOCK: TableDefinition<&str, u64> = TableDefinition::new("stock");

/// sku -> the units at or below which the back office flags it. Absent: `shop.low_stock`.
pub(crate) const LOW_STOCK: TableDefinition<&str, u64> = TableDefinition::new("low_stock_thresholds");

/// (sku, global sequence) -> `inventory::LedgerEntry`. Append-only.
pub(crate) const LEDGER: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("stock_ledger");

/// category slug -> `catalog::Category` (count includes subcategories). Removed at count 0.
pub(crate) const CATEGORIES: TableDefinition<&str, &[u8]> = TableDefinition::new("categories");

/// (category slug, sku) -> `catalog::ListingEntry`, one row per product under its own category.
/// A listing of `brakes` reads the rows of `brakes` plus the contiguous range of slugs in
/// [`brakes/`, `brakes0`): slugs hold only `a-z0-9-/`, and `0` is the byte after `/`.
pub(crate) const CATEGORY_ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("category_items");

/// (variant group, sku) -> (): the members of each variant group.
pub(crate) const GROUPS: TableDefinition<(&str, &str), ()> = TableDefinition::new("variant_groups");

/// normalized query text -> times it found nothing: the merchant's best hint of missing stock.
pub(crate) const ZERO_RESULTS: TableDefinition<&str, u64> = TableDefinition::new("zero_result_searches");

/// sku -> (): featured products.
pub(crate) const FEATURED: TableDefinition<&str, ()> = TableDefinition::new("featured");

/// cart id -> `cart::Cart`.
pub(crate) const CARTS: TableDefinition<&str, &[u8]> = TableDefinition::new("carts");

/// (last change ms, cart id) -> (): carts by idleness, swept oldest first.
pub(crate) const CART_EXPIRY: TableDefinition<(u64, &str), ()> = TableDefinition::new("cart_expiry");

/// (checked out ms, cart id) -> (): carts that became orders. A checkout marks its cart here, at
/// the end of this table, instead of deleting it from the middle of `carts` (a page write per
/// order); every cart read treats a marked cart as gone, and the sweeper deletes it with the idle
/// carts. Mirrored in memory by `Mirrors::used_carts`.
pub(crate) const CARTS_USED: TableDefinition<(u64, &str), ()> = TableDefinition::new("carts_used");

/// order sequence -> `orders::Order`. The order's number is its sequence through the store's
/// `domain::OrderNumbering` (key in `meta`), so a new order is appended rather than filed at a
/// random place; orders from before schema 3 sit at the sequences their numbers map back to.
pub(crate) const ORDERS: TableDefinition<u64, &[u8]> = TableDefinition::new("orders_by_sequence");

/// (placed ms, order number) -> (): orders in time order, for the back office and reports.
pub(crate) const ORDERS_BY_TIME: TableDefinition<(u64, &str), ()> = TableDefinition::new("orders_by_time");

/// (status, placed ms, order number) -> (): each status's orders in time order, so the back
/// office lists "paid, to pack" without reading every order.
pub(crate) const ORDERS_BY_STATUS: TableDefinition<(&str, u64, &str), ()> = TableDefinition::new("orders_by_status");

/// (recorded ms, idempotency key) -> `orders::IdempotencyRecord`, written in the transaction that
/// places the order. Keyed by time, so a batch's keys share the last page and old ones are swept
/// from the front; found by key through the in-memory `Mirrors::idempotency`.
pub(crate) const IDEMPOTENCY_LOG: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("idempotency_log");

/// Promo code -> orders that used it; checked and counted in the checkout transaction.
pub(crate) const PROMO_USES: TableDefinition<&str, u64> = TableDefinition::new("promo_uses");

/// username -> `staff::Account`.
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");

/// SHA-256 (hex) of a session id -> `staff::Session`. The id itself is only in the cookie.
pub(crate) const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");

/// username -> when its account was disabled (ms). A disabled account cannot sign in and has no
/// sessions; kept apart from the account record, whose layout is positional.
pub(crate) const DISABLED_ACCOUNTS: TableDefinition<&str, u64> = TableDefinition::new("disabled_accounts");

/// token id -> `staff::ApiToken` (holding the SHA-256 of its secret).
pub(crate) const API_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_tokens");

/// (time ms, sequence) -> `staff::AuditEntry`. Append-only.
pub(crate) const AUDIT: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("audit_log");

/// (subject, time ms, sequence) -> (): the audit log of one product or order.
pub(crate) const AUDIT_BY_SUBJECT: TableDefinition<(&str, u64, u64), ()> = TableDefinition::new("audit_by_subject");

/// Hour (ms since the epoch, floored) -> (product page views, carts created): the top of the
/// sales funnel; orders come from `orders_by_time`.
pub(crate) const FUNNEL: TableDefinition<u64, (u64, u64)> = TableDefinition::new("funnel");

/// job id -> `jobs::Job`: jobs waiting for their first or next try. Ids rise, so a new job is
/// appended.
pub(crate) const JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs");

/// (priority, not before ms, job id) -> (): the queue, read one priority at a time.
pub(crate) const JOBS_DUE: TableDefinition<(u8, u64, u64), ()> = TableDefinition::new("jobs_due");

/// (ordering key, job id) -> (): jobs that must run one at a time in id order (a webhook
/// endpoint's deliveries about one order). Only the first of a key may run.
pub(crate) const JOBS_ORDERED: TableDefinition<(&str, u64), ()> = TableDefinition::new("jobs_ordered");

/// job id -> `jobs::Job`: jobs given up after their last try, for a person to retry or discard.
pub(crate) const JOBS_DEAD: TableDefinition<u64, &[u8]> = TableDefinition::new("jobs_dead");

/// mail id -> `mail::MailRecord`: every mail sent, or held as the outbox without SMTP. The
/// oldest are dropped past `MAIL_KEPT`.
pub(crate) const MAILS: TableDefinition<u64, &[u8]> = TableDefinition::new("mails");

/// endpoint id -> `webhooks::Endpoint`, for endpoints made through the API or back office.
pub(crate) const WEBHOOK_ENDPOINTS: TableDefinition<&str, &[u8]> = TableDefinition::new("webhook_endpoints");

/// sequence -> `webhooks::DeliveryRecord`: every try of every delivery, the oldest dropped past
/// `DELIVERIES_KEPT`.
pub(crate) const WEBHOOK_DELIVERIES: TableDefinition<u64, &[u8]> = TableDefinition::new("webhook_deliveries");

/// feed name -> `feeds::FeedRun`: each supplier feed's last run.
pub(crate) const FEED_RUNS: TableDefinition<&str, &[u8]> = TableDefinition::new("feed_runs");

/// (feed name, Idempotency-Key) -> when it was applied (ms): a repeated push applies once.
pub(crate) const FEED_KEYS: TableDefinition<(&str, &str), u64> = TableDefinition::new("feed_keys");

/// A gateway's payment reference (a Stripe PaymentIntent id) -> the order number it paid for.
pub(crate) const PAYMENT_REFS: TableDefinition<&str, &str> = TableDefinition::new("payment_refs");

/// Gateway event ids already applied (a Stripe `evt_…`) -> when. Each event is applied once.
pub(crate) const GATEWAY_EVENTS: TableDefinition<&str, u64> = TableDefinition::new("gateway_events");

/// Flash sale id -> the sale with what it has sold (`sales::model::FlashSale`).
pub(crate) const FLASH_SALES: TableDefinition<u64, &[u8]> = TableDefinition::new("flash_sales");

/// (SKU, flash sale id): the sales an item is in.
pub(crate) const SALES_BY_SKU: TableDefinition<(&str, u64), ()> = TableDefinition::new("sales_by_sku");

/// (flash sale id, buyer's email in lower case) -> units bought at the sale price, for the
/// per-customer limit.
pub(crate) const SALE_BUYERS: TableDefinition<(u64, &str), u64> = TableDefinition::new("sale_buyers");

/// (when, SKU): a moment at which the SKU's price in force changes (a scheduled price or a flash
/// sale starts or ends); the price clock rewrites its listing row and reindexes it then.
pub(crate) const PRICE_CLOCK: TableDefinition<(u64, &str), ()> = TableDefinition::new("price_clock");

/// (component SKU, bundle SKU): the bundles an item is part of, whose availability follows it.
pub(crate) const BUNDLE_OF: TableDefinition<(&str, &str), ()> = TableDefinition::new("bundle_of");

/// Feature flag name -> the flag as the merchant last set it (`flags::model::Flag`).
pub(crate) const FLAGS: TableDefinition<&str, &[u8]> = TableDefinition::new("flags");

/// (flag, variant: 1 on, 0 off) -> (page views, orders) of visitors in that variant.
pub(crate) const FLAG_STATS: TableDefinition<(&str, u8), (u64, u64)> = TableDefinition::new("flag_stats");

/// Settings the merchant changes while serving, by name (the waiting room's).
pub(crate) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
