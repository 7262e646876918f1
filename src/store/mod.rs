//! The store: every byte of shop state, in one redb file. The only module that imports redb.
//!
//! `Store::write` runs a closure in one write transaction and commits durably before it returns
//! `Ok`; an `Err` aborts and leaves no trace. redb allows one writer at a time, so a check-then-write
//! inside one closure cannot race. Readers see consistent MVCC snapshots and never block the writer.

mod backup;
mod codec;
mod read;
mod schema;
mod tables;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase};

pub use backup::{BackupReport, table_names};
pub use read::{ReadTx, View};
pub use schema::SCHEMA_VERSION;
#[doc(hidden)]
pub use schema::force_schema_version;
pub use write::WriteTx;
pub use writer::{BATCH_BUCKETS, WriteError, Writer, WriterOptions, WriterStats};

/// The store file's name inside the data dir.
pub const STORE_FILE: &str = "store.redb";

/// The shared handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    path: PathBuf,
    listener: Arc<std::sync::RwLock<Option<Listener>>>,
}

/// Catalog changes made by one commit: the catalog version it produced and the SKUs involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogChange {
    pub version: u64,
    pub skus: Vec<String>,
}

type Listener = Arc<dyn Fn(CatalogChange) + Send + Sync>;

/// Store failures, split by what the caller should do about them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data dir {0} is in use by another storefront process; stop it first")]
    InUse(PathBuf),
    #[error("the data dir {path} is not writable: {source}")]
    NotWritable { path: PathBuf, source: std::io::Error },
    #[error(
        "the store in {path} was written by a newer storefront (schema {found}; this build knows up to {supported}); upgrade storefront"
    )]
    NewerSchema { path: PathBuf, found: u64, supported: u64 },
    /// I/O trouble (disk full, read-only); retrying later may work. The API answers 503.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Damaged data or a bug; needs a person.
    #[error("store is corrupt: {0}")]
    Corrupt(String),
}

/// Settings the store takes from the config.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// redb page cache; its own default of 1 GiB is too much for a small VPS.
    pub cache_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { cache_bytes: 64 << 20 }
    }
}

impl Store {
    /// Opens or creates the store in `dir`, checking that the dir is writable and the schema known.
    pub fn open(dir: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        ensure_writable_dir(dir)?;
        let path = dir.join(STORE_FILE);
        let fresh = !path.exists();
        let db = redb::Builder::new()
            .set_cache_size(options.cache_bytes)
            .create(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(dir.to_owned()),
                other => StoreError::from(other),
            })?;
        if fresh {
            // redb does not sync the directory entry of a new file; without this a power cut could
            // lose the whole file even after durable commits.
            sync_dir(dir)?;
        }
        let store = Store {
            db: Arc::new(db),
            path,
            listener: Default::default(),
        };
        schema::prepare(&store)?;
        Ok(store)
    }

    /// Verifies every page checksum of the store file in `dir` (redb's own integrity check, which
    /// needs the file to itself: run it before `open`). `Ok(false)` means redb repaired damage.
    pub fn check_file(dir: &Path, options: &StoreOptions) -> Result<bool, StoreError> {
        let path = dir.join(STORE_FILE);
        let mut db = redb::Builder::new()
            .set_cache_size(options.cache_bytes)
            .open(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(dir.to_owned()),
                other => StoreError::from(other),
            })?;
        db.check_integrity()
            .map_err(|e| StoreError::Corrupt(format!("integrity check: {e}")))
    }

    /// Calls `listener` after every commit that changed the catalog, on the committing thread
    /// (keep it quick: hand the change to a channel).
    pub fn on_catalog_change(&self, listener: impl Fn(CatalogChange) + Send + Sync + 'static) {
        *self.listener.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(listener));
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A consistent snapshot for reading.
    pub fn read(&self) -> Result<ReadTx, StoreError> {
        Ok(ReadTx::new(self.db.begin_read()?))
    }

    /// Runs `f` in one write transaction; commits (durably) on `Ok`, aborts on `Err`.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_with(redb::Durability::Immediate, f)
    }

    /// Like `write`, but the commit is not flushed to disk: a crash may lose it (never partially).
    /// For bulk loads that end with [`Store::sync`]; never for anything acknowledged to a person.
    pub fn write_unsynced<T, E>(&self, f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.write_with(redb::Durability::None, f)
    }

    /// Makes every earlier commit durable.
    pub fn sync(&self) -> Result<(), StoreError> {
        self.write(|_| Ok::<_, StoreError>(()))
    }

    fn write_with<T, E>(
        &self,
        durability: redb::Durability,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut txn = self.db.begin_write().map_err(StoreError::from)?;
        txn.set_durability(durability)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut change = None;
        let result = {
            let mut tx = WriteTx::open(&txn)?;
            let result = f(&mut tx);
            if result.is_ok() {
                change = tx.finish()?;
            }
            result
        };
        match result {
            Ok(value) => {
                // The server commits from one thread (the writer), so the listener hears of
                // changes in commit order.
                txn.commit().map_err(StoreError::from)?;
                if let Some(change) = change {
                    self.notify(change);
                }
                Ok(value)
            }
            Err(err) => {
                txn.abort().map_err(StoreError::from)?;
                Err(err)
            }
        }
    }
}

impl Store {
    fn notify(&self, change: CatalogChange) {
        let listener = self.listener.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(listener) = listener {
            listener(change);
        }
    }
}

fn ensure_writable_dir(dir: &Path) -> Result<(), StoreError> {
    let not_writable = |source| StoreError::NotWritable {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    let probe = dir.join(".write-probe");
    std::fs::write(&probe, b"").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        match e {
            redb::StorageError::Corrupted(msg) => StoreError::Corrupt(msg),
            redb::StorageError::ValueTooLarge(n) => StoreError::Corrupt(format!("value of {n} bytes is too large")),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

macro_rules! via_storage_error {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(e: $ty) -> Self {
                match redb::Error::from(e) {
                    redb::Error::DatabaseAlreadyOpen => StoreError::Unavailable("database already open".into()),
                    redb::Error::Corrupted(msg) => StoreError::Corrupt(msg),
                    redb::Error::TableTypeMismatch { table, .. } | redb::Error::TableIsMultimap(table)
                    | redb::Error::TableIsNotMultimap(table) => StoreError::Corrupt(format!("table {table} has the wrong type")),
                    redb::Error::TableDoesNotExist(table) => StoreError::Corrupt(format!("table {table} is missing")),
                    redb::Error::UpgradeRequired(v) => StoreError::Corrupt(format!("redb file format {v} needs an upgrade")),
                    other => StoreError::Unavailable(other.to_string()),
                }
            }
        }
    )*};
}
via_storage_error!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::CommitError
);
