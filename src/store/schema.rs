//! The schema version, checked at open, and the tables every store has from birth.

use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};

use crate::domain::OrderNumbering;

use super::tables::*;
use super::{Store, StoreError};

/// Bump when the layout or value format changes, and add the upgrade step to `upgrade`.
///
/// 2: orders filed by status and idempotency keys by age (`orders_by_status`,
/// `idempotency_by_time`), and checked-out carts marked in `carts_used` rather than deleted. A
/// version-1 build would write orders without filing them and take a marked cart for a live one,
/// so it must refuse a version-2 store.
///
/// 3: idempotency records filed by time in `idempotency_log` (found by key through an in-memory
/// mirror) instead of by key in `idempotency_keys` with an age index beside it; orders filed by
/// sequence in `orders_by_sequence` (numbers are the sequence through `OrderNumbering`) instead
/// of by number in `orders`.
///
/// 4: no `popularity` table. Best sellers are read from the search index, which holds every
/// product's popularity; keeping them in the store cost an import a write at a random place per
/// product (half the writing of a million-product import). A version-3 build would show a
/// version-4 store's best sellers from a table that is gone, so it must refuse one.
pub const SCHEMA_VERSION: u64 = 5;
const KEY: &str = "schema_version";

/// Versions 1 and 2: order number -> order.
const ORDERS_BY_NUMBER: TableDefinition<&str, &[u8]> = TableDefinition::new("orders");
/// Versions 1 and 2: idempotency key -> record.
const IDEMPOTENCY_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("idempotency_keys");
/// Version 2: (recorded ms, idempotency key) -> (), the age index of `idempotency_keys`.
const IDEMPOTENCY_BY_TIME: TableDefinition<(u64, &str), ()> = TableDefinition::new("idempotency_by_time");

/// Versions 1 to 3: (popularity, sku) -> (), best sellers read in reverse.
const POPULAR: TableDefinition<(u32, &str), ()> = TableDefinition::new("popularity");

/// The `meta` key of the store's order numbering key, drawn when the store is created.
const NUMBERING_KEY: &str = "order_numbering_key";

/// Creates missing tables, upgrades a store from an older build, and refuses one from a newer.
/// Returns the store's order numbering.
pub(super) fn prepare(db: &Database, path: &Path) -> Result<OrderNumbering, StoreError> {
    let txn = db.begin_write()?;
    let found = txn.open_table(META)?.get(KEY)?.map(|v| v.value());
    if let Some(found) = found.filter(|found| *found > SCHEMA_VERSION) {
        txn.abort()?;
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let numbering = numbering(&txn)?;
    match found {
        Some(found) if found < SCHEMA_VERSION => {
            upgrade(&txn, found, numbering)?;
            tracing::info!(from = found, to = SCHEMA_VERSION, "store upgraded");
        }
        _ => {}
    }
    txn.open_table(META)?.insert(KEY, SCHEMA_VERSION)?;
    txn.open_table(PRODUCTS)?;
    txn.open_table(STOCK)?;
    txn.open_table(LOW_STOCK)?;
    txn.open_table(LEDGER)?;
    txn.open_table(CATEGORIES)?;
    txn.open_table(CATEGORY_ITEMS)?;
    txn.open_table(GROUPS)?;
    txn.open_table(FEATURED)?;
    txn.open_table(ZERO_RESULTS)?;
    txn.open_table(CARTS)?;
    txn.open_table(CART_EXPIRY)?;
    txn.open_table(CARTS_USED)?;
    txn.open_table(ORDERS)?;
    txn.open_table(ORDERS_BY_TIME)?;
    txn.open_table(IDEMPOTENCY_LOG)?;
    txn.open_table(ORDERS_BY_STATUS)?;
    txn.open_table(PROMO_USES)?;
    txn.open_table(ACCOUNTS)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(API_TOKENS)?;
    txn.open_table(DISABLED_ACCOUNTS)?;
    txn.open_table(AUDIT)?;
    txn.open_table(AUDIT_BY_SUBJECT)?;
    txn.open_table(FUNNEL)?;
    txn.open_table(JOBS)?;
    txn.open_table(JOBS_DUE)?;
    txn.open_table(JOBS_ORDERED)?;
    txn.open_table(JOBS_DEAD)?;
    txn.open_table(MAILS)?;
    txn.open_table(WEBHOOK_ENDPOINTS)?;
    txn.open_table(WEBHOOK_DELIVERIES)?;
    txn.open_table(FEED_RUNS)?;
    txn.open_table(FEED_KEYS)?;
    txn.open_table(PAYMENT_REFS)?;
    txn.open_table(GATEWAY_EVENTS)?;
    txn.open_table(FLASH_SALES)?;
    txn.open_table(SALES_BY_SKU)?;
    txn.open_table(SALE_BUYERS)?;
    txn.open_table(PRICE_CLOCK)?;
    txn.open_table(BUNDLE_OF)?;
    txn.open_table(FLAGS)?;
    txn.open_table(FLAG_STATS)?;
    txn.open_table(SETTINGS)?;
    txn.commit()?;
    Ok(numbering)
}

fn numbering(txn: &redb::WriteTransaction) -> Result<OrderNumbering, StoreError> {
    let mut meta = txn.open_table(META)?;
    let existing = meta.get(NUMBERING_KEY)?.map(|v| v.value());
    let key = match existing {
        Some(key) => key,
        None => {
            let key = crate::domain::random_u64();
            meta.insert(NUMBERING_KEY, key)?;
            key
        }
    };
    Ok(OrderNumbering::new(key))
}

/// Each step takes a store from one version to the next, in the transaction that records the new
/// version, so an upgrade interrupted by a crash is simply run again.
fn upgrade(txn: &redb::WriteTransaction, from: u64, numbering: OrderNumbering) -> Result<(), StoreError> {
    if from < 2 {
        file_orders_by_status(txn)?;
    }
    if from < 3 {
        file_idempotency_keys_by_time(txn)?;
        file_orders_by_sequence(txn, numbering)?;
    }
    if from < 4 {
        txn.delete_table(POPULAR)?;
    }
    if from < 5 {
        give_every_product_a_stock_row(txn)?;
    }
    Ok(())
}

/// Version 5 keeps a stock row for every product, at zero too: a product imported with no stock
/// had none, so the low-stock list and the reorder list never showed it.
fn give_every_product_a_stock_row(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let products = txn.open_table(PRODUCTS)?;
    let mut stock = txn.open_table(STOCK)?;
    let mut missing = Vec::new();
    for row in products.iter()? {
        let (sku, _) = row?;
        if stock.get(sku.value())?.is_none() {
            missing.push(sku.value().to_owned());
        }
    }
    for sku in missing {
        stock.insert(sku.as_str(), 0)?;
    }
    Ok(())
}

/// Version 3 keeps idempotency records in time order. The record holds its own time, so the
/// version-2 age index is not needed (and a version-1 store has none).
fn file_idempotency_keys_by_time(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    txn.delete_table(IDEMPOTENCY_LOG)?;
    {
        let mut log = txn.open_table(IDEMPOTENCY_LOG)?;
        let keys = txn.open_table(IDEMPOTENCY_KEYS)?;
        for row in keys.iter()? {
            let (key, bytes) = row?;
            let record: crate::orders::IdempotencyRecord = super::codec::decode(bytes.value())?;
            log.insert((record.at_ms, key.value()), bytes.value())?;
        }
    }
    txn.delete_table(IDEMPOTENCY_KEYS)?;
    txn.delete_table(IDEMPOTENCY_BY_TIME)?;
    Ok(())
}

/// Version 3 files orders by sequence. An old order keeps its number, so it sits at the sequence
/// its number maps back to: somewhere among a trillion, far from where new orders are appended
/// (a new order skips a sequence that is taken).
fn file_orders_by_sequence(txn: &redb::WriteTransaction, numbering: OrderNumbering) -> Result<(), StoreError> {
    txn.delete_table(ORDERS)?;
    {
        let mut by_sequence = txn.open_table(ORDERS)?;
        for row in txn.open_table(ORDERS_BY_NUMBER)?.iter()? {
            let (number, bytes) = row?;
            let sequence = super::read::order_sequence(numbering, number.value())?;
            by_sequence.insert(sequence, bytes.value())?;
        }
    }
    txn.delete_table(ORDERS_BY_NUMBER)?;
    Ok(())
}

/// Version 2 lists each status's orders from an index.
fn file_orders_by_status(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    txn.delete_table(ORDERS_BY_STATUS)?;
    let mut by_status = txn.open_table(ORDERS_BY_STATUS)?;
    let orders = txn.open_table(ORDERS_BY_NUMBER)?;
    for row in orders.iter()? {
        let (number, bytes) = row?;
        let order: crate::orders::Order = super::codec::decode(bytes.value())?;
        by_status.insert((order.status.as_str(), order.created_ms, number.value()), ())?;
    }
    Ok(())
}

/// Marks the store as written by a given schema version; tests use it to fake a newer build.
#[doc(hidden)]
pub fn force_schema_version(store: &Store, version: u64) -> Result<(), StoreError> {
    let txn = store.db()?.begin_write()?;
    txn.open_table(META)?.insert(KEY, version)?;
    txn.commit()?;
    Ok(())
}

/// Makes the store look as a version-3 build left it: best sellers in a `popularity` table of
/// (popularity, SKU) rows. For the upgrade test only; reopen the store afterwards.
#[doc(hidden)]
pub fn age_to_schema_version_3(store: &Store) -> Result<(), StoreError> {
    let txn = store.db()?.begin_write()?;
    {
        let mut popular = txn.open_table(POPULAR)?;
        for row in txn.open_table(PRODUCTS)?.iter()? {
            let (sku, bytes) = row?;
            let product: crate::catalog::Product = super::codec::decode(bytes.value())?;
            popular.insert((product.popularity, sku.value()), ())?;
        }
    }
    txn.open_table(META)?.insert(KEY, 3)?;
    txn.commit()?;
    Ok(())
}

/// Makes the store look as a version-1 build left it: orders and idempotency records by key, no
/// status index. For the upgrade test only; reopen the store afterwards.
#[doc(hidden)]
pub fn age_to_schema_version_1(store: &Store) -> Result<(), StoreError> {
    let txn = store.db()?.begin_write()?;
    txn.delete_table(ORDERS_BY_STATUS)?;
    {
        let mut by_number = txn.open_table(ORDERS_BY_NUMBER)?;
        for row in txn.open_table(ORDERS)?.iter()? {
            let (_, bytes) = row?;
            let order: crate::orders::Order = super::codec::decode(bytes.value())?;
            by_number.insert(order.number.as_str(), bytes.value())?;
        }
    }
    txn.delete_table(ORDERS)?;
    txn.open_table(META)?.remove(NUMBERING_KEY)?;
    {
        let mut keys = txn.open_table(IDEMPOTENCY_KEYS)?;
        for row in txn.open_table(IDEMPOTENCY_LOG)?.iter()? {
            let (key, bytes) = row?;
            keys.insert(key.value().1, bytes.value())?;
        }
    }
    txn.delete_table(IDEMPOTENCY_LOG)?;
    txn.open_table(META)?.insert(KEY, 1)?;
    txn.commit()?;
    Ok(())
}
