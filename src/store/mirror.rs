//! In-memory indexes of the tables keyed by `(ms, id)`: id -> ms.
//!
//! A flash sale writes a spent cart and an idempotency key per order. Keyed by their random ids,
//! each would land on its own page of a B-tree, and every commit would rewrite one page per
//! order. Keyed by time, a whole batch shares a page or two at the end of the table; these
//! mirrors answer "is this id there, and under which time?" without a scan. They hold a few
//! dozen bytes per row, and the rows are swept after days (carts) or a week (keys).
//!
//! A mirror changes only after the commit that made the change, from the thread that committed
//! it; inside a transaction, `WriteTx` keeps its own changes on top (`Pending`). A read snapshot
//! taken just before a commit may see its rows a moment early, which is harmless for both users:
//! a cart that is being bought is spent, and a key whose row the snapshot does not hold yet reads
//! as new there, while the writer, which sees every commit, replays it.

use std::sync::RwLock;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use rustc_hash::{FxHashMap, FxHashSet};

use super::StoreError;
use super::tables::{CARTS_USED, IDEMPOTENCY_LOG};

/// One table's index.
#[derive(Default)]
pub(crate) struct TimeKeyed {
    rows: RwLock<FxHashMap<Box<str>, u64>>,
}

impl TimeKeyed {
    fn load<V: redb::Value + 'static>(
        &self,
        db: &Database,
        table: TableDefinition<(u64, &'static str), V>,
    ) -> Result<usize, StoreError> {
        let read = db.begin_read()?;
        let mut rows = FxHashMap::default();
        for row in read.open_table(table)?.iter()? {
            let (key, _) = row?;
            let (at_ms, id) = key.value();
            rows.insert(Box::from(id), at_ms);
        }
        let len = rows.len();
        *self.rows.write().unwrap_or_else(|e| e.into_inner()) = rows;
        Ok(len)
    }

    /// The time the id is filed under, if it is there.
    pub(crate) fn at(&self, id: &str) -> Option<u64> {
        self.rows.read().unwrap_or_else(|e| e.into_inner()).get(id).copied()
    }

    /// Returns the number of rows afterwards, if anything changed.
    fn apply(&self, pending: Pending) -> Option<usize> {
        if pending.added.is_empty() && pending.removed.is_empty() {
            return None;
        }
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        for (id, at_ms) in pending.added {
            rows.insert(id.into_boxed_str(), at_ms);
        }
        for id in pending.removed {
            rows.remove(id.as_str());
        }
        Some(rows.len())
    }
}

/// The rows one transaction added and removed, applied to the mirror after it commits.
#[derive(Default)]
pub(crate) struct Pending {
    added: FxHashMap<String, u64>,
    removed: FxHashSet<String>,
}

impl Pending {
    /// The time the id is filed under as this transaction sees it.
    pub(crate) fn at(&self, committed: &TimeKeyed, id: &str) -> Option<u64> {
        if self.removed.contains(id) {
            return None;
        }
        self.added.get(id).copied().or_else(|| committed.at(id))
    }

    pub(crate) fn add(&mut self, id: &str, at_ms: u64) {
        self.removed.remove(id);
        self.added.insert(id.to_owned(), at_ms);
    }

    pub(crate) fn remove(&mut self, id: &str) {
        self.added.remove(id);
        self.removed.insert(id.to_owned());
    }
}

/// Every mirror the store keeps.
#[derive(Default)]
pub(crate) struct Mirrors {
    /// `carts_used`: carts that became orders.
    pub(crate) used_carts: TimeKeyed,
    /// `idempotency_log`: checkout keys and the orders they made.
    pub(crate) idempotency: TimeKeyed,
    /// Whether any flash sale exists: until one does, pricing an item looks for none (opening
    /// the sales tables would cost every checkout about as much as its own writes).
    pub(crate) flash_sales: std::sync::atomic::AtomicBool,
}

/// One transaction's changes to every mirror.
#[derive(Default)]
pub(crate) struct MirrorChanges {
    pub(crate) used_carts: Pending,
    pub(crate) idempotency: Pending,
}

impl Mirrors {
    /// Reads every row from the committed store, replacing what was held.
    pub(crate) fn load(&self, db: &Database) -> Result<(), StoreError> {
        publish(USED_CARTS, self.used_carts.load(db, CARTS_USED)?);
        publish(IDEMPOTENCY_KEYS, self.idempotency.load(db, IDEMPOTENCY_LOG)?);
        let any_sale = {
            use redb::{ReadableDatabase, ReadableTableMetadata};
            match db.begin_read()?.open_table(super::tables::SALES_BY_SKU) {
                Ok(table) => !table.is_empty()?,
                Err(redb::TableError::TableDoesNotExist(_)) => false,
                Err(e) => return Err(e.into()),
            }
        };
        self.flash_sales.store(any_sale, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn apply(&self, changes: MirrorChanges) {
        if let Some(len) = self.used_carts.apply(changes.used_carts) {
            publish(USED_CARTS, len);
        }
        if let Some(len) = self.idempotency.apply(changes.idempotency) {
            publish(IDEMPOTENCY_KEYS, len);
        }
    }
}

const USED_CARTS: &str = "used_carts";
const IDEMPOTENCY_KEYS: &str = "idempotency_keys";

/// The mirrors' sizes are their memory, which grows with a sale until the sweeps catch up.
fn publish(mirror: &'static str, len: usize) {
    metrics::gauge!(crate::telemetry::metrics::MIRROR_ENTRIES, "mirror" => mirror).set(len as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_sees_its_own_changes_over_the_committed_rows() {
        let committed = TimeKeyed::default();
        let mut first = Pending::default();
        first.add("a", 1);
        first.add("b", 2);
        committed.apply(first);

        let mut pending = Pending::default();
        pending.remove("a");
        pending.add("c", 3);
        assert_eq!(pending.at(&committed, "a"), None);
        assert_eq!(pending.at(&committed, "b"), Some(2));
        assert_eq!(pending.at(&committed, "c"), Some(3));
        assert_eq!(committed.at("c"), None, "nothing shows before the commit");

        pending.add("a", 4);
        committed.apply(pending);
        assert_eq!(committed.at("a"), Some(4), "re-added after removal");
        assert_eq!(committed.at("c"), Some(3));
    }
}
