//! The store: every byte of shop state, in one redb file. The only module that imports redb.
//!
//! `Store::write` runs a closure in one write transaction and commits durably before it returns
//! `Ok`; an `Err` aborts and leaves no trace. redb allows one writer at a time, so a check-then-write
//! inside one closure cannot race. Readers see consistent MVCC snapshots and never block the writer.

mod backup;
mod codec;
mod fault;
mod flags;
mod jobs;
mod mirror;
mod payments;
mod read;
mod records;
mod sales;
mod schema;
mod tables;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use redb::{Database, ReadableDatabase};

pub use backup::{BackupReport, table_names};
pub use codec::Encoded;
pub use fault::FaultSwitch;
pub use flags::FlagStat;
pub use jobs::{DELIVERIES_KEPT, JobCounts, MAIL_KEPT};
pub use read::{LowStock, ReadTx, View};
pub use schema::SCHEMA_VERSION;
#[doc(hidden)]
pub use schema::{age_to_schema_version_1, age_to_schema_version_3, force_schema_version};
pub use write::WriteTx;
pub use writer::{
    BATCH_BUCKETS, Failed, Refusals, TxError, TxResult, WriteError, Writer, WriterOptions, WriterStats, refuse, split,
};

/// The store file's name inside the data dir.
pub const STORE_FILE: &str = "store.redb";

/// The store size from which quick repair turns on by itself (see `StoreOptions::quick_repair`).
pub const QUICK_REPAIR_FROM_BYTES: u64 = 1 << 30;

/// The shared handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` only while the database is being reopened.
    db: RwLock<Option<Arc<Database>>>,
    dir: PathBuf,
    path: PathBuf,
    options: StoreOptions,
    listeners: RwLock<Vec<Listener>>,
    /// A commit failed: redb refuses writes until the database is reopened.
    broken: AtomicBool,
    /// The last write found free space under `min_free_bytes` (logged once per change).
    low_on_space: AtomicBool,
    last_reopen: Mutex<Option<Instant>>,
    /// Spent carts and idempotency keys by id (see `mirror`).
    mirrors: Arc<mirror::Mirrors>,
    /// Held from `begin_write` until the mirrors hold the commit's changes, so the next
    /// transaction, from whichever thread, starts from both.
    writing: Mutex<()>,
    /// Whether durable commits use redb's quick repair, as decided at open.
    quick_repair: bool,
    /// How order numbers map to the sequences orders are filed under.
    numbering: crate::domain::OrderNumbering,
    /// Told after every commit that queued a job; the job runner waits on it.
    jobs_waiting: Arc<tokio::sync::Notify>,
}

/// After a failed reopen, writes are refused at once for this long before trying again.
const REOPEN_PAUSE: Duration = Duration::from_millis(500);

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
    /// Durable commits also save the allocator state (two fsyncs instead of one), so that after
    /// a crash the store opens in milliseconds instead of walking every page (about 1.3 s per GB
    /// here). `None` decides at open: on once the store file reaches `QUICK_REPAIR_FROM_BYTES`,
    /// where a full repair would hold up a restart; below that, plain durable commits, as
    /// RELIABILITY.md recommends (one fsync and no allocator state per commit).
    pub quick_repair: Option<bool>,
    /// Writes are refused (503) while the disk holding the store has less than this free. redb
    /// fails every read that misses its cache once a write has failed for lack of space, so the
    /// store stops writing before the disk is full and browsing goes on untouched.
    pub min_free_bytes: u64,
    /// Tests only: a switch that makes the disk "full".
    #[doc(hidden)]
    pub faults: Option<Arc<FaultSwitch>>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_bytes: 64 << 20,
            quick_repair: None,
            min_free_bytes: 100 << 20,
            faults: None,
        }
    }
}

impl Store {
    /// Opens or creates the store in `dir`, checking that the dir is writable and the schema known.
    pub fn open(dir: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        ensure_writable_dir(dir)?;
        let path = dir.join(STORE_FILE);
        let fresh = !path.exists();
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let quick_repair = options.quick_repair.unwrap_or(size >= QUICK_REPAIR_FROM_BYTES);
        let db = open_database(dir, &path, options)?;
        if fresh {
            // redb does not sync the directory entry of a new file; without this a power cut could
            // lose the whole file even after durable commits.
            sync_dir(dir)?;
        }
        let numbering = schema::prepare(&db, &path)?;
        let store = Store {
            inner: Arc::new(Inner {
                db: RwLock::new(Some(Arc::new(db))),
                dir: dir.to_owned(),
                path,
                options: options.clone(),
                listeners: Default::default(),
                broken: AtomicBool::new(false),
                low_on_space: AtomicBool::new(false),
                last_reopen: Mutex::new(None),
                mirrors: Default::default(),
                writing: Mutex::new(()),
                quick_repair,
                numbering,
                jobs_waiting: Default::default(),
            }),
        };
        store.inner.mirrors.load(&*store.db()?)?;
        Ok(store)
    }

    /// The open database; `Unavailable` while it is closed for reopening (and a reopen is tried).
    fn db(&self) -> Result<Arc<Database>, StoreError> {
        let current = self.inner.db.read().unwrap_or_else(|e| e.into_inner()).clone();
        match current {
            Some(db) => Ok(db),
            None => {
                self.reopen()?;
                self.db()
            }
        }
    }

    /// Whether the disk takes writes again: a small file written and synced in the data dir.
    /// Until it does, the old handle stays open so that reads keep working.
    fn disk_writable(&self) -> bool {
        if let Some(switch) = &self.inner.options.faults {
            return switch.writable();
        }
        let probe = self.inner.dir.join(".write-probe");
        let ok = std::fs::File::create(&probe)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, &[0u8; 64 << 10])?;
                f.sync_all()
            })
            .is_ok();
        let _ = std::fs::remove_file(&probe);
        ok
    }

    /// After a failed commit redb refuses every later write until the database is reopened
    /// (which also repairs it). Reopens at most every `REOPEN_PAUSE`; meanwhile writes are
    /// refused at once, so a full disk costs shoppers a quick 503, not a hang.
    fn reopen(&self) -> Result<(), StoreError> {
        {
            let mut last = self.inner.last_reopen.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < REOPEN_PAUSE) {
                return Err(StoreError::Unavailable(
                    "storage failed recently; not retrying yet".into(),
                ));
            }
            *last = Some(Instant::now());
        }
        if !self.disk_writable() {
            return Err(StoreError::Unavailable(
                "the disk does not take writes (full or read-only)".into(),
            ));
        }
        let mut slot = self.inner.db.write().unwrap_or_else(|e| e.into_inner());
        if let Some(mut current) = slot.take() {
            // Readers holding the handle finish within a request; wait for them.
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match Arc::try_unwrap(current) {
                    Ok(db) => {
                        drop(db);
                        break;
                    }
                    Err(shared) if Instant::now() < deadline => {
                        current = shared;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(shared) => {
                        *slot = Some(shared);
                        return Err(StoreError::Unavailable("the store is busy; reopen postponed".into()));
                    }
                }
            }
        }
        let started = Instant::now();
        let db = open_database(&self.inner.dir, &self.inner.path, &self.inner.options)?;
        // A commit that failed may still have reached the disk; the mirrors follow the file.
        self.inner.mirrors.load(&db)?;
        *slot = Some(Arc::new(db));
        self.inner.broken.store(false, Ordering::SeqCst);
        tracing::warn!(
            ms = started.elapsed().as_millis() as u64,
            "store reopened after a storage error"
        );
        Ok(())
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
    /// Every listener added hears every change (the search index, and later a cache purge or a
    /// webhook feed).
    pub fn on_catalog_change(&self, listener: impl Fn(CatalogChange) + Send + Sync + 'static) {
        self.inner
            .listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(listener));
    }

    /// Drops every listener (shutdown: a listener's thread then sees its channel close).
    pub fn stop_notifying(&self) {
        self.inner.listeners.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Wakes whoever waits on it after each commit that queued a job.
    pub fn jobs_waiting(&self) -> Arc<tokio::sync::Notify> {
        self.inner.jobs_waiting.clone()
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A consistent snapshot for reading.
    pub fn read(&self) -> Result<ReadTx, StoreError> {
        Ok(ReadTx::new(
            self.db()?.begin_read()?,
            self.inner.mirrors.clone(),
            self.inner.numbering,
        ))
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
        self.ensure_free_space()?;
        if self.inner.broken.load(Ordering::SeqCst) {
            self.reopen()?;
        }
        let _writing = self.inner.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut txn = self.db()?.begin_write().map_err(|e| self.failed(e.into()))?;
        txn.set_durability(durability)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        if matches!(durability, redb::Durability::Immediate) && self.inner.quick_repair {
            txn.set_quick_repair(true);
        }
        let (result, finished) = {
            let mut tx = WriteTx::open(&txn, &self.inner.mirrors, self.inner.numbering)?;
            let result = f(&mut tx);
            let finished = if result.is_ok() { Some(tx.finish()?) } else { None };
            (result, finished)
        };
        match result {
            Ok(value) => {
                txn.commit().map_err(|e| self.failed(e.into()))?;
                if let Some(finished) = finished {
                    self.inner.mirrors.apply(finished.mirrored);
                    // The server commits from one thread (the writer), so the listener hears of
                    // changes in commit order.
                    if let Some(change) = finished.change {
                        self.notify(change);
                    }
                    if finished.jobs_added {
                        self.inner.jobs_waiting.notify_one();
                    }
                }
                Ok(value)
            }
            Err(err) => {
                txn.abort().map_err(|e| self.failed(e.into()))?;
                Err(err)
            }
        }
    }
}

impl Store {
    /// Why writes are paused, if they are: the disk under the reserve, or a failed commit whose
    /// reopen is pending. Reads go on either way.
    pub fn writes_paused(&self) -> Option<String> {
        if self.inner.broken.load(Ordering::SeqCst) {
            return Some("paused: a write failed; the store reopens before the next one".into());
        }
        let available = match &self.inner.options.faults {
            Some(switch) if switch.low_on_space() => 0,
            _ => fs4::available_space(&self.inner.dir).unwrap_or(u64::MAX),
        };
        (available < self.inner.options.min_free_bytes).then(|| {
            format!(
                "paused: the disk is nearly full ({} MB free, {} MB kept in reserve)",
                available >> 20,
                self.inner.options.min_free_bytes >> 20
            )
        })
    }

    /// Refuses to put `bytes` more on the disk (a photo, say) when that would eat into the
    /// reserve the store keeps for its own writes.
    pub fn ensure_room_for(&self, bytes: u64) -> Result<(), StoreError> {
        self.ensure_free_space()?;
        let available = fs4::available_space(&self.inner.dir).unwrap_or(u64::MAX);
        if available.saturating_sub(bytes) < self.inner.options.min_free_bytes {
            return Err(StoreError::Unavailable(format!(
                "the disk is nearly full ({} MB free, {} MB kept in reserve); the file was not stored",
                available >> 20,
                self.inner.options.min_free_bytes >> 20
            )));
        }
        Ok(())
    }

    /// Refuses a write while free space is under `min_free_bytes` (one `statvfs`, a microsecond).
    fn ensure_free_space(&self) -> Result<(), StoreError> {
        let available = match &self.inner.options.faults {
            Some(switch) if switch.low_on_space() => 0,
            _ => fs4::available_space(&self.inner.dir).unwrap_or(u64::MAX),
        };
        let low = available < self.inner.options.min_free_bytes;
        if low != self.inner.low_on_space.swap(low, Ordering::SeqCst) {
            if low {
                tracing::error!(free_mb = available >> 20, min_free_mb = self.inner.options.min_free_bytes >> 20, dir = %self.inner.dir.display(), "the disk is nearly full: writes are paused (reads go on) until space is freed");
            } else {
                tracing::warn!(free_mb = available >> 20, "disk space is back: writes resume");
            }
        }
        if low {
            return Err(StoreError::Unavailable(format!(
                "the disk is nearly full ({} MB free, {} MB kept in reserve); writes are paused until space is freed",
                available >> 20,
                self.inner.options.min_free_bytes >> 20
            )));
        }
        Ok(())
    }

    /// Marks the database for reopening before the next write; returns the error.
    fn failed(&self, err: StoreError) -> StoreError {
        self.inner.broken.store(true, Ordering::SeqCst);
        tracing::error!(error = %err, "a store write failed; the store will reopen before the next write");
        err
    }

    fn notify(&self, change: CatalogChange) {
        let listeners = self.inner.listeners.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((last, others)) = listeners.split_last() {
            others.iter().for_each(|listener| listener(change.clone()));
            last(change);
        }
    }
}

fn open_database(dir: &Path, path: &Path, options: &StoreOptions) -> Result<Database, StoreError> {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(options.cache_bytes);
    let opened = match &options.faults {
        None => builder.create(path),
        Some(switch) => {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            fault::FaultyBackend::new(file, switch.clone()).and_then(|backend| builder.create_with_backend(backend))
        }
    };
    opened.map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(dir.to_owned()),
        other => StoreError::from(other),
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn every_listener_hears_every_catalog_change_until_the_store_stops_notifying() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &Default::default()).unwrap();
        let heard: Arc<Mutex<Vec<(&str, u64)>>> = Arc::default();
        for name in ["search index", "cache purges"] {
            let heard = heard.clone();
            store.on_catalog_change(move |change| heard.lock().unwrap().push((name, change.version)));
        }
        store
            .write(|tx| {
                tx.catalog_changed("SKU-1");
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let first = heard.lock().unwrap().clone();
        assert_eq!(first.len(), 2, "{first:?}");
        assert_eq!(first[0].1, first[1].1, "both heard the same version");
        store.stop_notifying();
        store
            .write(|tx| {
                tx.catalog_changed("SKU-2");
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(heard.lock().unwrap().len(), 2, "no one is told after stop_notifying");
    }
}
