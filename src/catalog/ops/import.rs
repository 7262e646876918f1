//! Importing a whole catalog: parsing on one thread, writing batches on another.

use std::io::BufRead;
use std::sync::mpsc;

use super::upsert::{Batch, Upserted};
use crate::catalog::import::{self, Format, Rejected};
use crate::domain::now_ms;
use crate::store::{Store, StoreError};

/// The outcome of an import: counts and every rejected line.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejected>,
}

impl ImportReport {
    pub fn accepted(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("could not read the catalog: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Products per write transaction: large enough that the fsync per commit is noise, small enough
/// that progress shows and memory stays flat.
const BATCH: usize = 2_000;

/// Imports a whole source. Parsing runs on its own thread while this one writes, one transaction
/// per batch. `progress` is called after every batch with the report so far.
pub fn import<R: BufRead + Send>(
    store: &Store,
    source: R,
    format: Format,
    actor: &str,
    progress: &mut dyn FnMut(&ImportReport),
) -> Result<ImportReport, ImportError> {
    let (sender, receiver) = mpsc::sync_channel::<std::io::Result<Vec<import::Line>>>(4);
    std::thread::scope(|scope| {
        scope.spawn(move || parse_batches(source, format, sender));
        let mut report = ImportReport::default();
        for batch in receiver {
            write_batch(store, batch?, actor, &mut report)?;
            progress(&report);
        }
        store.sync()?;
        Ok(report)
    })
}

fn parse_batches<R: BufRead>(source: R, format: Format, sender: mpsc::SyncSender<std::io::Result<Vec<import::Line>>>) {
    let mut batch = Vec::with_capacity(BATCH);
    for line in import::lines(source, format, now_ms()) {
        match line {
            Ok(line) => batch.push(line),
            Err(e) => {
                let _ = sender.send(Err(e));
                return;
            }
        }
        if batch.len() == BATCH
            && sender
                .send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                .is_err()
        {
            return;
        }
    }
    let _ = sender.send(Ok(batch));
}

fn write_batch(
    store: &Store,
    batch: Vec<import::Line>,
    actor: &str,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let mut counts = ImportReport::default();
    // Batches commit without fsync; `import` syncs once at the end, so an interrupted import
    // leaves a consistent store holding some prefix of the batches (upserts are safe to re-run).
    store.write_unsynced(|tx| {
        let mut upserts = Batch::default();
        for (line, parsed) in batch {
            match parsed {
                Ok(record) => match upserts.upsert(tx, record, actor)? {
                    Upserted::Created => counts.created += 1,
                    Upserted::Updated => counts.updated += 1,
                    Upserted::Unchanged => counts.unchanged += 1,
                },
                Err(message) => counts.rejected.push(Rejected { line, message }),
            }
        }
        upserts.finish(tx)
    })?;
    report.created += counts.created;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    report.rejected.extend(counts.rejected);
    Ok(())
}
