//! Stock levels and the stock ledger.
//!
//! Every change to a SKU's stock goes through this module and appends exactly one ledger entry, in
//! the caller's write transaction, so the ledger of each SKU always sums to its stock. Stock never
//! goes below zero.

mod model;

pub use model::{LedgerEntry, Shortfall};

use crate::domain::now_ms;
use crate::store::{StoreError, WriteTx};

/// Why stock changed and who changed it, as the ledger records it.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub reason: &'a str,
    pub actor: &'a str,
}

/// Sets stock to `units`, recording the difference. Returns `None` when nothing changed.
pub fn set(tx: &mut WriteTx<'_>, sku: &str, units: u64, why: &Change<'_>) -> Result<Option<LedgerEntry>, StoreError> {
    let current = tx.stock(sku)?;
    if current == units {
        return Ok(None);
    }
    let delta = units as i64 - current as i64;
    record(tx, sku, delta, units, why).map(Some)
}

/// `set` for many SKUs at once, in ascending SKU order, each given at most once (an import's new
/// products): SKUs without a stock row get theirs and its ledger entry together, a run of
/// neighbouring SKUs at a time; any other goes through `set`.
pub fn set_in_order(tx: &mut WriteTx<'_>, levels: &[(&str, u64)], why: &Change<'_>) -> Result<(), StoreError> {
    let at_ms = now_ms();
    let entries: Vec<LedgerEntry> = levels
        .iter()
        .map(|&(_, units)| LedgerEntry {
            at_ms,
            delta: units as i64,
            balance: units,
            reason: why.reason.to_owned(),
            actor: why.actor.to_owned(),
        })
        .collect();
    // Setting 0 adds no row: it changes only a stock row that is there.
    let (rows, zeros): (Vec<_>, Vec<_>) = levels.iter().zip(&entries).partition(|((_, units), _)| *units > 0);
    for (&(sku, units), _) in zeros {
        set(tx, sku, units, why)?;
    }
    let rows: Vec<(&str, &LedgerEntry)> = rows.into_iter().map(|(&(sku, _), entry)| (sku, entry)).collect();
    for i in tx.add_stock(&rows)? {
        let (sku, entry) = rows[i];
        set(tx, sku, entry.balance, why)?;
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
    set(tx, sku, 0, why).map(drop)
}

fn record(
    tx: &mut WriteTx<'_>,
    sku: &str,
    delta: i64,
    balance: u64,
    why: &Change<'_>,
) -> Result<LedgerEntry, StoreError> {
    let entry = LedgerEntry {
        at_ms: now_ms(),
        delta,
        balance,
        reason: why.reason.to_owned(),
        actor: why.actor.to_owned(),
    };
    tx.set_stock(sku, balance)?;
    tx.append_ledger(sku, &entry)?;
    Ok(entry)
}
