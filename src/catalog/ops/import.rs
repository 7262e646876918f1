//! Importing a whole catalog: parsing on worker threads (JSON Lines) or one thread (CSV) while
//! this thread writes batches, in source order.

use std::io::BufRead;
use std::sync::mpsc;

use super::upsert::{Batch, Prepared, Upserted};
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

/// CSV lines per write transaction (JSON Lines are cut by size, `CHUNK_BYTES`): large enough that
/// the commit per batch is noise, small enough that progress shows and memory stays flat.
const BATCH: usize = 2_000;

/// Imports a whole source, one transaction per batch, in source order (a SKU repeated later in the
/// file wins). `progress` is called after every batch with the report so far.
pub fn import<R: BufRead + Send>(
    store: &Store,
    source: R,
    format: Format,
    actor: &str,
    progress: &mut dyn FnMut(&ImportReport),
) -> Result<ImportReport, ImportError> {
    std::thread::scope(|scope| {
        let batches = match format {
            Format::JsonLines => parse_json_in_parallel(scope, source),
            Format::Csv => parse_in_order(scope, source, format),
        };
        // Freeing a written batch (each product a few dozen allocations) is left to another
        // thread: the writer is the import's one serial stage.
        let (written, to_free) = mpsc::channel::<Ready>();
        scope.spawn(move || {
            yield_to_writer();
            to_free.into_iter().for_each(drop)
        });
        let mut report = ImportReport::default();
        for batch in batches {
            let batch = batch?;
            write_batch(store, &batch, actor, &mut report)?;
            progress(&report);
            let _ = written.send(batch);
        }
        store.sync()?;
        Ok(report)
    })
}

/// A batch made ready for the writer on a parsing thread: its good lines prepared (see
/// `Prepared`) and sorted by SKU, and its bad lines.
struct Ready {
    records: Vec<Prepared>,
    rejected: Vec<Rejected>,
}

type Parsed = Result<Ready, ImportError>;

fn ready(lines: Vec<import::Line>) -> Parsed {
    let mut records = Vec::with_capacity(lines.len());
    let mut rejected = Vec::new();
    for (line, parsed) in lines {
        match parsed {
            Ok(record) => records.push(record),
            Err(message) => rejected.push(Rejected { line, message }),
        }
    }
    // In key order the tables' pages are touched once each rather than at random, which makes
    // writing a shuffled catalog about as fast as a sorted one. The sort is stable: a SKU
    // repeated in the batch still ends with its last line.
    records.sort_by(|a, b| a.product.sku.as_str().cmp(b.product.sku.as_str()));
    let records = records.into_iter().map(Prepared::new).collect::<Result<_, _>>()?;
    Ok(Ready { records, rejected })
}

/// Lowers the calling thread's scheduling priority below the writer's. The writer is the one
/// serial stage: when it shares a core with parsing threads it falls behind and finishes alone
/// with the other core idle; yielding to it made a 100k import about 7 % faster on 2 cores. In
/// a serving process it also keeps an import's parsing from slowing the shop's pages.
fn yield_to_writer() {
    // Linux gives each thread its own nice value; elsewhere this would renice the whole process.
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority and gettid only read their arguments; a failure leaves the priority
    // as it was, which is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

/// CSV has state across lines (the header, quoted newlines): one thread parses it all.
fn parse_in_order<'s, R: BufRead + Send + 's>(
    scope: &'s std::thread::Scope<'s, '_>,
    source: R,
    format: Format,
) -> Box<dyn Iterator<Item = Parsed> + 's> {
    let (sender, receiver) = mpsc::sync_channel::<Parsed>(4);
    scope.spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        for line in import::lines(source, format, now_ms()) {
            match line {
                Ok(line) => batch.push(line),
                Err(e) => {
                    let _ = sender.send(Err(e.into()));
                    return;
                }
            }
            if batch.len() == BATCH
                && sender
                    .send(ready(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                    .is_err()
            {
                return;
            }
        }
        let _ = sender.send(ready(batch));
    });
    Box::new(receiver.into_iter())
}

/// A run of whole JSON lines, cut from the source by the reader thread.
struct Chunk {
    /// Line number of the chunk's first line, minus one.
    lines_before: u64,
    text: Vec<u8>,
}

/// JSON lines stand alone, so parsing (the costly part of an import) is spread over worker
/// threads. The reader deals chunks round-robin and the writer collects them in the same order,
/// so batches arrive in source order without a reordering buffer. Workers hand each chunk's
/// buffer back to the reader, so its pages are not mapped and zeroed afresh each time.
fn parse_json_in_parallel<'s, R: BufRead + Send + 's>(
    scope: &'s std::thread::Scope<'s, '_>,
    source: R,
) -> Box<dyn Iterator<Item = Parsed> + 's> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let now = now_ms();
    let (give_back, spare) = mpsc::channel::<Vec<u8>>();
    let mut to_workers = Vec::with_capacity(workers);
    let mut from_workers = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (send_chunk, chunks) = mpsc::sync_channel::<std::io::Result<Chunk>>(2);
        let (send_parsed, parsed) = mpsc::sync_channel::<Parsed>(2);
        let give_back = give_back.clone();
        scope.spawn(move || {
            yield_to_writer();
            for chunk in chunks {
                let batch = chunk.map(|c| {
                    let lines = import::json_lines_in(&c.text, now, c.lines_before);
                    let _ = give_back.send(c.text);
                    lines
                });
                if send_parsed
                    .send(batch.map_err(ImportError::from).and_then(ready))
                    .is_err()
                {
                    return;
                }
            }
        });
        to_workers.push(send_chunk);
        from_workers.push(parsed);
    }
    scope.spawn(move || deal_chunks(source, &to_workers, &spare));
    let mut turn = 0;
    Box::new(std::iter::from_fn(move || {
        let next = from_workers[turn % from_workers.len()].recv().ok();
        turn += 1;
        next
    }))
}

/// About the bytes of 2,000 generated lines: a chunk is one write transaction.
const CHUNK_BYTES: usize = 6 << 20;

/// Cuts the source into chunks of whole lines, about `CHUNK_BYTES` each (a longer line makes a
/// longer chunk), and deals them to the workers in turn.
fn deal_chunks<R: BufRead>(
    mut source: R,
    workers: &[mpsc::SyncSender<std::io::Result<Chunk>>],
    spare: &mpsc::Receiver<Vec<u8>>,
) {
    let mut lines_before = 0u64;
    let mut carry = Vec::new();
    for turn in 0.. {
        let worker = &workers[turn % workers.len()];
        let mut text = spare.try_recv().unwrap_or_default();
        text.clear();
        text.append(&mut carry);
        let ended = match fill(&mut source, &mut text) {
            Ok(ended) => ended,
            Err(e) => {
                let _ = worker.send(Err(e));
                return;
            }
        };
        if !ended && let Some(last) = memchr::memrchr(b'\n', &text) {
            carry.extend_from_slice(&text[last + 1..]);
            text.truncate(last + 1);
        }
        if text.is_empty() {
            return;
        }
        let newlines = memchr::memchr_iter(b'\n', &text).count() as u64;
        let lines = newlines + u64::from(text.last() != Some(&b'\n'));
        if worker.send(Ok(Chunk { lines_before, text })).is_err() {
            return;
        }
        lines_before += lines;
    }
}

/// Reads into `text` until it holds `CHUNK_BYTES` and a line break, or the source ends (`true`).
fn fill<R: BufRead>(source: &mut R, text: &mut Vec<u8>) -> std::io::Result<bool> {
    while text.len() < CHUNK_BYTES || memchr::memchr(b'\n', text).is_none() {
        let buf = source.fill_buf()?;
        if buf.is_empty() {
            return Ok(true);
        }
        // A source in memory hands over all it holds at once: take one chunk's worth, or (for a
        // line longer than a chunk) a little more at a time.
        let want = CHUNK_BYTES
            .checked_sub(text.len())
            .filter(|&w| w > 0)
            .unwrap_or(1 << 16);
        let n = buf.len().min(want);
        text.extend_from_slice(&buf[..n]);
        source.consume(n);
    }
    Ok(false)
}

fn write_batch(store: &Store, batch: &Ready, actor: &str, report: &mut ImportReport) -> Result<(), StoreError> {
    let mut counts = ImportReport::default();
    // Batches commit without fsync; `import` syncs once at the end, so an interrupted import
    // leaves a consistent store holding some prefix of the batches (upserts are safe to re-run).
    store.write_unsynced(|tx| {
        let mut upserts = Batch::default();
        for prepared in &batch.records {
            match upserts.upsert_prepared(tx, prepared, actor)? {
                Upserted::Created => counts.created += 1,
                Upserted::Updated => counts.updated += 1,
                Upserted::Unchanged => counts.unchanged += 1,
            }
        }
        upserts.finish(tx)
    })?;
    report.created += counts.created;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    report.rejected.extend(batch.rejected.iter().cloned());
    Ok(())
}
