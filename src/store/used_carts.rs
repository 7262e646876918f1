//! Carts that became orders, mirrored in memory from `carts_used`, so every cart read can tell at
//! once that a cart is spent without the checkout having to delete it (see `tables::CARTS_USED`).
//!
//! The mirror changes only after the commit that made the change, from the thread that committed
//! it; inside a transaction, `WriteTx` adds its own marks on top. A read snapshot taken just before
//! a checkout may see its cart as spent a moment early, which is harmless: it is spent.

use std::sync::RwLock;

use redb::{Database, ReadableDatabase, ReadableTable};
use rustc_hash::{FxHashMap, FxHashSet};

use super::StoreError;
use super::tables::CARTS_USED;

#[derive(Default)]
pub(crate) struct UsedCarts {
    marked: RwLock<FxHashMap<Box<str>, u64>>,
}

/// The marks one transaction made and cleared, applied to the mirror after it commits.
#[derive(Default)]
pub(crate) struct UsedChange {
    pub(crate) marked: FxHashMap<String, u64>,
    pub(crate) cleared: FxHashSet<String>,
}

impl UsedCarts {
    /// Reads every mark from the committed store.
    pub(crate) fn load(&self, db: &Database) -> Result<(), StoreError> {
        let read = db.begin_read()?;
        let table = read.open_table(CARTS_USED)?;
        let mut marked = FxHashMap::default();
        for row in table.iter()? {
            let (key, _) = row?;
            let (at_ms, id) = key.value();
            marked.insert(Box::from(id), at_ms);
        }
        *self.marked.write().unwrap_or_else(|e| e.into_inner()) = marked;
        Ok(())
    }

    /// When the cart was checked out, if it was.
    pub(crate) fn marked_at(&self, id: &str) -> Option<u64> {
        self.marked.read().unwrap_or_else(|e| e.into_inner()).get(id).copied()
    }

    pub(crate) fn apply(&self, change: UsedChange) {
        if change.marked.is_empty() && change.cleared.is_empty() {
            return;
        }
        let mut marked = self.marked.write().unwrap_or_else(|e| e.into_inner());
        for (id, at_ms) in change.marked {
            marked.insert(id.into_boxed_str(), at_ms);
        }
        for id in change.cleared {
            marked.remove(id.as_str());
        }
    }
}
