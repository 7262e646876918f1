//! The schema version, checked at open, and the tables every store has from birth.

use redb::ReadableTable;

use super::tables::*;
use super::{Store, StoreError};

/// Bump when the layout or value format changes, and add the upgrade step to `upgrade`.
///
/// 2: orders filed by status and idempotency keys by age (`orders_by_status`,
/// `idempotency_by_time`), and checked-out carts marked in `carts_used` rather than deleted. A
/// version-1 build would write orders without filing them and take a marked cart for a live one,
/// so it must refuse a version-2 store.
pub const SCHEMA_VERSION: u64 = 2;
const KEY: &str = "schema_version";

/// Creates missing tables, upgrades a store from an older build, and refuses one from a newer.
pub(super) fn prepare(store: &Store) -> Result<(), StoreError> {
    let txn = store.db()?.begin_write()?;
    let found = txn.open_table(META)?.get(KEY)?.map(|v| v.value());
    match found {
        Some(found) if found > SCHEMA_VERSION => {
            txn.abort()?;
            return Err(StoreError::NewerSchema {
                path: store.path().to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) if found < SCHEMA_VERSION => {
            upgrade(&txn, found)?;
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
    txn.open_table(POPULAR)?;
    txn.open_table(FEATURED)?;
    txn.open_table(ZERO_RESULTS)?;
    txn.open_table(CARTS)?;
    txn.open_table(CART_EXPIRY)?;
    txn.open_table(CARTS_USED)?;
    txn.open_table(ORDERS)?;
    txn.open_table(ORDERS_BY_TIME)?;
    txn.open_table(IDEMPOTENCY)?;
    txn.open_table(IDEMPOTENCY_BY_TIME)?;
    txn.open_table(ORDERS_BY_STATUS)?;
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

/// Each step takes a store from one version to the next, in the transaction that records the new
/// version, so an upgrade interrupted by a crash is simply run again.
fn upgrade(txn: &redb::WriteTransaction, from: u64) -> Result<(), StoreError> {
    if from < 2 {
        file_idempotency_keys_by_age(txn)?;
        file_orders_by_status(txn)?;
    }
    Ok(())
}

/// Version 2 sweeps idempotency keys oldest first, from an index of their ages.
fn file_idempotency_keys_by_age(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    // Rebuilt whole: a version-1 build may have written keys after an earlier build filed some.
    txn.delete_table(IDEMPOTENCY_BY_TIME)?;
    let mut by_time = txn.open_table(IDEMPOTENCY_BY_TIME)?;
    let keys = txn.open_table(IDEMPOTENCY)?;
    for row in keys.iter()? {
        let (key, bytes) = row?;
        let record: crate::orders::IdempotencyRecord = super::codec::decode(bytes.value())?;
        by_time.insert((record.at_ms, key.value()), ())?;
    }
    Ok(())
}

/// Version 2 lists each status's orders from an index.
fn file_orders_by_status(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    txn.delete_table(ORDERS_BY_STATUS)?;
    let mut by_status = txn.open_table(ORDERS_BY_STATUS)?;
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

/// Makes the store look as a version-1 build left it: no status or age indexes. For the upgrade
/// test only.
#[doc(hidden)]
pub fn age_to_schema_version_1(store: &Store) -> Result<(), StoreError> {
    let txn = store.db()?.begin_write()?;
    txn.delete_table(ORDERS_BY_STATUS)?;
    txn.delete_table(IDEMPOTENCY_BY_TIME)?;
    txn.open_table(META)?.insert(KEY, 1)?;
    txn.commit()?;
    Ok(())
}
