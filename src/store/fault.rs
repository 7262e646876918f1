//! A file backend that can be told to fail writes, as a full disk or a read-only mount would.
//! Tests use it (through `StoreOptions::faults`) to check that writes answer 503, reads go on,
//! nothing acknowledged is lost, and the store recovers by itself once writes work again.

use std::fs::File;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// Shared switch: while on, every write, resize and sync fails with "No space left on device".
#[derive(Debug, Default)]
pub struct FaultSwitch {
    disk_full: AtomicBool,
    low_on_space: AtomicBool,
}

impl FaultSwitch {
    /// Makes the store see no free space (so it refuses writes before the disk fails them).
    pub fn set_low_on_space(&self, low: bool) {
        self.low_on_space.store(low, Ordering::SeqCst);
    }

    pub(super) fn low_on_space(&self) -> bool {
        self.low_on_space.load(Ordering::SeqCst)
    }

    pub fn set_disk_full(&self, full: bool) {
        self.disk_full.store(full, Ordering::SeqCst);
    }

    pub(super) fn writable(&self) -> bool {
        !self.disk_full.load(Ordering::SeqCst)
    }

    fn check(&self) -> std::io::Result<()> {
        if self.disk_full.load(Ordering::SeqCst) {
            Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
        } else {
            Ok(())
        }
    }
}

#[derive(Debug)]
pub(super) struct FaultyBackend {
    inner: FileBackend,
    switch: Arc<FaultSwitch>,
}

impl FaultyBackend {
    pub(super) fn new(file: File, switch: Arc<FaultSwitch>) -> Result<FaultyBackend, redb::DatabaseError> {
        Ok(FaultyBackend {
            inner: FileBackend::new(file)?,
            switch,
        })
    }
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.switch.check()?;
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> std::io::Result<()> {
        self.switch.check()?;
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.switch.check()?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> std::io::Result<()> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
