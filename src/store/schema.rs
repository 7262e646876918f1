//! The schema version, checked at open, and the tables every store has from birth.

use redb::{ReadableTable, ReadableTableMetadata};

use super::tables::*;
use super::{Store, StoreError};

/// Bump when the layout or value format changes, and add the upgrade step to `prepare`.
pub const SCHEMA_VERSION: u64 = 1;
const KEY: &str = "schema_version";

/// Creates missing tables and refuses a store from a newer build.
pub(super) fn prepare(store: &Store) -> Result<(), StoreError> {
    let txn = store.db()?.begin_write()?;
    let found = {
        let mut meta = txn.open_table(META)?;
        let found = meta.get(KEY)?.map(|v| v.value());
        if found.is_none() {
            meta.insert(KEY, SCHEMA_VERSION)?;
        }
        found
    };
    if let Some(found) = found.filter(|&v| v > SCHEMA_VERSION) {
        txn.abort()?;
        return Err(StoreError::NewerSchema {
            path: store.path().to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    txn.open_table(PRODUCTS)?;
    txn.open_table(STOCK)?;
    txn.open_table(LOW_STOCK)?;
    txn.open_table(LEDGER)?;
    txn.open_table(CATEGORIES)?;
    txn.open_table(CATEGORY_ITEMS)?;
    txn.open_table(GROUPS)?;
    txn.open_table(POPULAR)?;
    txn.open_table(FEATURED)?;
    txn.open_table(ZERO_RESULTS)?;
    txn.open_table(CARTS)?;
    txn.open_table(CART_EXPIRY)?;
    txn.open_table(ORDERS)?;
    txn.open_table(ORDERS_BY_TIME)?;
    txn.open_table(IDEMPOTENCY)?;
    backfill_idempotency_ages(&txn)?;
    backfill_order_statuses(&txn)?;
    txn.open_table(PROMO_USES)?;
    txn.open_table(ACCOUNTS)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(API_TOKENS)?;
    txn.open_table(AUDIT)?;
    txn.open_table(AUDIT_BY_SUBJECT)?;
    txn.open_table(FUNNEL)?;
    txn.commit()?;
    Ok(())
}

/// Stores written before keys were filed by age get the age index, so their keys are swept too.
fn backfill_idempotency_ages(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut by_time = txn.open_table(IDEMPOTENCY_BY_TIME)?;
    if !by_time.is_empty()? {
        return Ok(());
    }
    let keys = txn.open_table(IDEMPOTENCY)?;
    for row in keys.iter()? {
        let (key, bytes) = row?;
        let record: crate::orders::IdempotencyRecord = super::codec::decode(bytes.value())?;
        by_time.insert((record.at_ms, key.value()), ())?;
    }
    Ok(())
}

/// Stores written before orders were filed by status get that index.
fn backfill_order_statuses(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut by_status = txn.open_table(ORDERS_BY_STATUS)?;
    if !by_status.is_empty()? {
        return Ok(());
    }
    let orders = txn.open_table(ORDERS)?;
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
