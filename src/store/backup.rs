//! Consistent copies of the store while it serves: every table is read from one MVCC snapshot
//! (which never blocks the writer) into a fresh redb file, which is synced and then renamed into
//! place, so a backup file is either complete or absent.

use std::path::Path;
use std::time::Instant;

use redb::{
    ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle,
    WriteTransaction,
};

use super::tables::*;
use super::{Store, StoreError, sync_dir};

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
    pub products: u64,
    pub orders: u64,
    pub millis: u64,
}

impl Store {
    /// Writes a consistent copy of the whole store to `dest` (a file path), replacing any file
    /// there only once the copy is complete and on disk.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        let started = Instant::now();
        let io = |e: std::io::Error| StoreError::Unavailable(format!("backup to {}: {e}", dest.display()));
        let parent = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io)?;
        let partial = dest.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let snapshot = self.db()?.begin_read()?;
        let (products, orders) = {
            let copy = redb::Builder::new().set_cache_size(16 << 20).create(&partial)?;
            let txn = copy.begin_write()?;
            copy_all(&snapshot, &txn)?;
            txn.commit()?;
            (
                snapshot.open_table(PRODUCTS)?.len()?,
                snapshot.open_table(ORDERS)?.len()?,
            )
        };
        drop(snapshot);
        std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io)?;
        std::fs::rename(&partial, dest).map_err(io)?;
        sync_dir(parent)?;
        Ok(BackupReport {
            bytes: std::fs::metadata(dest).map_err(io)?.len(),
            products,
            orders,
            millis: started.elapsed().as_millis() as u64,
        })
    }
}

/// Every table, so a table added to `tables.rs` without a line here is caught by the round-trip
/// test (which compares the copy's tables with the original's).
fn copy_all(from: &ReadTransaction, to: &WriteTransaction) -> Result<(), StoreError> {
    copy(from, to, META)?;
    copy(from, to, PRODUCTS)?;
    copy(from, to, STOCK)?;
    copy(from, to, LOW_STOCK)?;
    copy(from, to, LEDGER)?;
    copy(from, to, CATEGORIES)?;
    copy(from, to, CATEGORY_ITEMS)?;
    copy(from, to, GROUPS)?;
    copy(from, to, ZERO_RESULTS)?;
    copy(from, to, FEATURED)?;
    copy(from, to, CARTS)?;
    copy(from, to, CART_EXPIRY)?;
    copy(from, to, CARTS_USED)?;
    copy(from, to, ORDERS)?;
    copy(from, to, ORDERS_BY_TIME)?;
    copy(from, to, ORDERS_BY_STATUS)?;
    copy(from, to, IDEMPOTENCY_LOG)?;
    copy(from, to, PROMO_USES)?;
    copy(from, to, ACCOUNTS)?;
    copy(from, to, SESSIONS)?;
    copy(from, to, API_TOKENS)?;
    copy(from, to, AUDIT)?;
    copy(from, to, AUDIT_BY_SUBJECT)?;
    copy(from, to, FUNNEL)?;
    Ok(())
}

fn copy<K: redb::Key + 'static, V: redb::Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    table: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let source = from.open_table(table)?;
    let mut target = to.open_table(table)?;
    for row in source.iter()? {
        let (key, value) = row?;
        target.insert(key.value(), value.value())?;
    }
    Ok(())
}

/// The names of the tables in a store file, for tests that check a backup misses none.
pub fn table_names(store: &Store) -> Result<Vec<String>, StoreError> {
    let read = store.db()?.begin_read()?;
    let mut names: Vec<String> = read.list_tables()?.map(|t| t.name().to_owned()).collect();
    names.sort();
    Ok(names)
}
