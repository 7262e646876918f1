//! Stock levels and the stock ledger.
//!
//! Every change to a SKU's stock goes through this module and appends exactly one ledger entry, in
//! the caller's write transaction, so the ledger of each SKU always sums to its stock. Stock never
//! goes below zero.

mod model;

pub use model::{FEW_LEFT, LedgerEntry, Shortfall, shown};

use crate::domain::now_ms;
use crate::store::{StoreError, WriteTx};

/// Why stock changed and who changed it, as the ledger records it.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub reason: &'a str,
    pub actor: &'a str,
}

/// The most units one SKU may hold: far beyond any shop's shelf, and small enough that every
/// difference of two levels fits the ledger's signed delta.
pub const MAX_UNITS: u64 = 1_000_000_000;

/// Sets stock to `units`, recording the difference. Returns `None` when nothing changed. A SKU
/// set to zero still gets its stock row, so the low-stock list shows it.
pub fn set(tx: &mut WriteTx<'_>, sku: &str, units: u64, why: &Change<'_>) -> Result<Option<LedgerEntry>, StoreError> {
    let current = tx.stock(sku)?;
    if current == units {
        if units == 0 && !tx.has_stock_row(sku)? {
            tx.set_stock(sku, 0)?;
        }
        return Ok(None);
    }
    let delta = i128::from(units) - i128::from(current);
    let delta = i64::try_from(delta).map_err(|_| StoreError::Corrupt(format!("stock of {sku} is out of range")))?;
    record(tx, sku, delta, units, why).map(Some)
}

/// `set` for many SKUs at once, in ascending SKU order, each given at most once (an import's new
/// products): SKUs without a stock row get theirs and its ledger entry together, a run of
/// neighbouring SKUs at a time; any other goes through `set`.
pub fn set_in_order(tx: &mut WriteTx<'_>, levels: &[(&str, u64)], why: &Change<'_>) -> Result<(), StoreError> {
    // A ledger entry of +0 would say nothing; zeros get their row through `set`.
    let (levels, zeros): (Vec<_>, Vec<_>) = levels.iter().partition(|(_, units)| *units > 0);
    for &(sku, units) in zeros {
        set(tx, sku, units, why)?;
    }
    let at_ms = now_ms();
    let entries: Vec<LedgerEntry> = levels
        .iter()
        .map(|&&(_, units)| entry(at_ms, units as i64, units, why))
        .collect();
    let rows: Vec<(&str, &LedgerEntry)> = levels.iter().map(|&&(sku, _)| sku).zip(&entries).collect();
    for i in tx.add_stock(&rows)? {
        let (sku, first) = rows[i];
        set(tx, sku, first.balance, why)?;
    }
    Ok(())
}

/// Adds `delta` (negative to take) to stock, refusing to go below zero.
pub fn adjust(
    tx: &mut WriteTx<'_>,
    sku: &str,
    delta: i64,
    why: &Change<'_>,
) -> Result<Result<LedgerEntry, Shortfall>, StoreError> {
    let current = tx.stock(sku)?;
    let Some(balance) = current.checked_add_signed(delta) else {
        return Ok(Err(Shortfall {
            sku: sku.to_owned(),
            requested: delta.unsigned_abs(),
            available: current,
        }));
    };
    record(tx, sku, delta, balance, why).map(Ok)
}

/// Forgets a SKU's stock level (its product is gone); the ledger keeps the history.
pub fn clear(tx: &mut WriteTx<'_>, sku: &str, why: &Change<'_>) -> Result<(), StoreError> {
    if !tx.has_stock_row(sku)? {
        return Ok(());
    }
    set(tx, sku, 0, why).map(drop)
}

/// The one place stock changes. Listings, search and product pages show whether a SKU is in
/// stock, and how many are left when few are, so a change in what they show (`shown`) is a
/// catalog change: the search index and the page cache hear of it; other sales are not.
fn record(
    tx: &mut WriteTx<'_>,
    sku: &str,
    delta: i64,
    balance: u64,
    why: &Change<'_>,
) -> Result<LedgerEntry, StoreError> {
    let before = balance.checked_add_signed(-delta);
    if before.is_none_or(|before| shown(before) != shown(balance)) {
        tx.catalog_changed(sku);
    }
    let now = now_ms();
    if let Some(before) = before.filter(|_| delta < 0) {
        alert_if_low(tx, sku, before, balance, now)?;
    }
    let entry = entry(now, delta, balance, why);
    tx.set_stock(sku, balance)?;
    tx.append_ledger(sku, &entry)?;
    Ok(entry)
}

/// The shop's low-stock threshold when the store has not been told one (`shop.low_stock`).
pub const DEFAULT_LOW_STOCK: u64 = 5;

/// Tells the merchant (mail, `stock.low` webhook) once when stock falls to its threshold or
/// below, not on every sale after: only the sale that crosses it raises the alert.
fn alert_if_low(tx: &mut WriteTx<'_>, sku: &str, before: u64, after: u64, now_ms: u64) -> Result<(), StoreError> {
    let threshold = match tx.low_stock_threshold(sku)? {
        Some(own) => own,
        None => tx.default_low_stock()?.unwrap_or(DEFAULT_LOW_STOCK),
    };
    if crosses_threshold(before, after, threshold) {
        crate::jobs::record_event(tx, crate::jobs::EventKind::StockLow, sku, now_ms)?;
    }
    Ok(())
}

pub fn crosses_threshold(before: u64, after: u64, threshold: u64) -> bool {
    before > threshold && after <= threshold
}

fn entry(at_ms: u64, delta: i64, balance: u64, why: &Change<'_>) -> LedgerEntry {
    LedgerEntry {
        at_ms,
        delta,
        balance,
        reason: why.reason.to_owned(),
        actor: why.actor.to_owned(),
    }
}
