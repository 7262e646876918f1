//! Importing a whole catalog: parsing on worker threads (JSON Lines) or one thread (CSV) while
//! this thread writes batches, in source order.

use std::io::{BufRead, Read};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::upsert::{Batch, Prepared};
use crate::catalog::ProductRecord;
use crate::catalog::import::{self, Format, Rejected};
use crate::domain::now_ms;
use crate::store::{Store, StoreError, WriteError, WriteTx, Writer};

/// The outcome of an import: counts and every rejected line.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejected>,
    /// JSON lines read so far (CSV lines are numbered from the file's start, so this stays 0).
    #[serde(skip)]
    pub lines: u64,
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

/// Where an import's batches are written.
#[derive(Clone, Copy)]
pub enum WriteVia<'a> {
    /// Straight into the store, every batch but the last without fsync (the store is closed to
    /// others: the command line's `import`, `gen` and `demo`): an interrupted import leaves some
    /// prefix of the batches, and upserts are safe to re-run.
    Store(&'a Store),
    /// Through the serving process's writer: each batch is a job in a durable group commit, so
    /// an import runs beside checkouts in the one order every commit is heard in.
    Writer(&'a Writer),
}

/// Imports a whole source, one transaction per batch, in source order (a SKU repeated later in the
/// file wins). `progress` is called after every batch with the report so far.
pub fn import<R: BufRead + Send>(
    store: &Store,
    source: R,
    format: Format,
    actor: &str,
    progress: &mut dyn FnMut(&ImportReport),
) -> Result<ImportReport, ImportError> {
    import_then(WriteVia::Store(store), source, format, actor, progress, |_, _| Ok(()))
}

/// `import`, with `last` run in the transaction of the last batch (the one that makes every
/// batch durable), given the whole report: an import's audit entry is written with it, and an
/// import of one batch (up to 2,000 lines) is one transaction with its audit entry.
pub fn import_then<R: BufRead + Send>(
    via: WriteVia<'_>,
    source: R,
    format: Format,
    actor: &str,
    progress: &mut dyn FnMut(&ImportReport),
    last: impl FnOnce(&ImportReport, &mut WriteTx<'_>) -> Result<(), StoreError> + Send + 'static,
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
        let mut last = Some(last);
        // The writer is the one serial stage: whether it or the parsing waits says where to look.
        let (started, mut writing) = (Instant::now(), Duration::ZERO);
        let mut batches = batches.peekable();
        while let Some(batch) = batches.next() {
            let batch = batch?;
            let finish = if batches.peek().is_none() { last.take() } else { None };
            let write_started = Instant::now();
            let (batch, counted) = write_batch(via, batch, report, actor, finish)?;
            report = counted;
            writing += write_started.elapsed();
            progress(&report);
            let _ = written.send(batch);
        }
        if let Some(last) = last {
            // Nothing to import (an empty source) is still recorded.
            let empty = Ready::default();
            report = write_batch(via, empty, report, actor, Some(last))?.1;
        }
        tracing::debug!(total = ?started.elapsed(), writing = ?writing, "import written");
        Ok(report)
    })
}

/// A batch made ready for the writer on a parsing thread: its good lines prepared (see
/// `Prepared`) and sorted by SKU, and its bad lines.
#[derive(Default)]
struct Ready {
    records: Vec<Prepared>,
    /// Numbered from the batch's first line: the writer, which sees the batches in order, adds
    /// the `lines` of those before.
    rejected: Vec<Rejected>,
    /// The lines the batch covers: 0 for CSV, whose lines are numbered from the file's start.
    lines: u64,
}

type Parsed = Result<Ready, ImportError>;

fn ready(lines: Vec<import::Line>, count: u64) -> Parsed {
    let mut records = Vec::with_capacity(lines.len());
    let mut rejected = Vec::new();
    for (line, parsed) in lines {
        match parsed {
            Ok(record) => records.push(Some(record)),
            Err(message) => rejected.push(Rejected { line, message }),
        }
    }
    // In key order the tables' pages are touched once each rather than at random, which makes
    // writing a shuffled catalog about as fast as a sorted one. The sort is stable: a SKU
    // repeated in the batch still ends with its last line. Positions are sorted rather than
    // the records (a few hundred bytes each), which then move once.
    let sku = |i: usize| {
        records[i]
            .as_ref()
            .map_or("", |r: &ProductRecord| r.product.sku.as_str())
    };
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| sku(a).cmp(sku(b)));
    let records = order
        .into_iter()
        .filter_map(|i| records[i].take())
        .map(Prepared::new)
        .collect::<Result<_, _>>()?;
    Ok(Ready {
        records,
        rejected,
        lines: count,
    })
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
        yield_to_writer();
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
                    .send(ready(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), 0))
                    .is_err()
            {
                return;
            }
        }
        let _ = sender.send(ready(batch, 0));
    });
    Box::new(receiver.into_iter())
}

/// A run of whole JSON lines cut from the source: the first `len` bytes of `buffer`; the rest is
/// room kept for the buffer's next use.
struct Chunk {
    buffer: Vec<u8>,
    len: usize,
}

/// JSON lines stand alone, so parsing (the costly part of an import) is spread over worker
/// threads. The reader deals chunks round-robin and the writer collects them in the same order,
/// so batches arrive in source order without a reordering buffer. Workers hand each chunk's
/// buffer back to the reader, so its pages are not mapped and zeroed afresh each time.
fn parse_json_in_parallel<'s, R: Read + Send + 's>(
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
                    let lines = import::json_lines_in(&c.buffer[..c.len], now);
                    let _ = give_back.send(c.buffer);
                    lines
                });
                let parsed = batch
                    .map_err(ImportError::from)
                    .and_then(|(lines, count)| ready(lines, count));
                if send_parsed.send(parsed).is_err() {
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

/// Room a buffer keeps for reading beyond what it holds. Every read asks for at least this much,
/// so a `BufReader` of up to this size (the CLI's is 1 MB) passes it straight into the chunk
/// instead of copying through its own buffer.
const READ_AHEAD: usize = 1 << 20;

/// Cuts the source into chunks of whole lines, about `CHUNK_BYTES` each (a longer line makes a
/// longer chunk), and deals them to the workers in turn.
fn deal_chunks<R: Read>(
    mut source: R,
    workers: &[mpsc::SyncSender<std::io::Result<Chunk>>],
    spare: &mpsc::Receiver<Vec<u8>>,
) {
    // The end of the last read after its last line break: the start of the next chunk.
    let mut carry = Vec::new();
    for turn in 0.. {
        let worker = &workers[turn % workers.len()];
        let mut buffer = spare.try_recv().unwrap_or_default();
        let room = (CHUNK_BYTES + READ_AHEAD).max(carry.len() + READ_AHEAD);
        if buffer.len() < room {
            // Zeroed once per buffer: buffers are reused with their bytes left in place.
            buffer.resize(room, 0);
        }
        buffer[..carry.len()].copy_from_slice(&carry);
        let (mut len, ended) = match fill(&mut source, &mut buffer, carry.len()) {
            Ok(filled) => filled,
            Err(e) => {
                let _ = worker.send(Err(e));
                return;
            }
        };
        carry.clear();
        if !ended && let Some(last) = memchr::memrchr(b'\n', &buffer[..len]) {
            carry.extend_from_slice(&buffer[last + 1..len]);
            len = last + 1;
        }
        if len == 0 {
            return;
        }
        if worker.send(Ok(Chunk { buffer, len })).is_err() {
            return;
        }
    }
}

/// Reads into `buffer`, which holds `filled` bytes (with no line break), until it holds
/// `CHUNK_BYTES` and a line break, or the source ends. Returns the bytes held and whether the
/// source ended.
fn fill<R: Read>(source: &mut R, buffer: &mut Vec<u8>, mut filled: usize) -> std::io::Result<(usize, bool)> {
    let mut has_line_break = false;
    while filled < CHUNK_BYTES || !has_line_break {
        if buffer.len() - filled < READ_AHEAD {
            // A line longer than a chunk: make room for more of it.
            buffer.resize(filled + READ_AHEAD, 0);
        }
        let n = match source.read(&mut buffer[filled..]) {
            Ok(0) => return Ok((filled, true)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        has_line_break = has_line_break || memchr::memchr(b'\n', &buffer[filled..filled + n]).is_some();
        filled += n;
    }
    Ok((filled, false))
}

type Last = Box<dyn FnOnce(&ImportReport, &mut WriteTx<'_>) -> Result<(), StoreError> + Send>;

/// Writes one batch and counts it into `report`; with `last`, runs it in the same transaction,
/// which is then durable. Both the batch and the report come back (a writer job owns what it
/// touches until its commit).
fn write_batch(
    via: WriteVia<'_>,
    batch: Ready,
    report: ImportReport,
    actor: &str,
    last: Option<impl FnOnce(&ImportReport, &mut WriteTx<'_>) -> Result<(), StoreError> + Send + 'static>,
) -> Result<(Ready, ImportReport), StoreError> {
    let durable = last.is_some();
    let last = last.map(|f| Box::new(f) as Last);
    let actor = actor.to_owned();
    let job = move |tx: &mut WriteTx<'_>| {
        let mut report = report;
        apply_batch(tx, &batch, &actor, &mut report)?;
        if let Some(last) = last {
            last(&report, tx)?;
        }
        Ok::<_, StoreError>((batch, report))
    };
    match via {
        WriteVia::Store(store) if durable => store.write(job),
        WriteVia::Store(store) => store.write_unsynced(job),
        WriteVia::Writer(writer) => writer.run_blocking(job).map_err(|e| match e {
            WriteError::Store(e) => e,
            WriteError::Busy => StoreError::Unavailable(e.to_string()),
        }),
    }
}

fn apply_batch(tx: &mut WriteTx<'_>, batch: &Ready, actor: &str, report: &mut ImportReport) -> Result<(), StoreError> {
    let mut upserts = Batch::default();
    let counts = upserts.upsert_in_order(tx, &batch.records, actor)?;
    upserts.finish(tx)?;
    // Lines are numbered from the batch's first; the batches before it come first in the source.
    let lines_before = report.lines;
    report.created += counts.created;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    report.rejected.extend(batch.rejected.iter().map(|r| Rejected {
        line: lines_before + r.line,
        message: r.message.clone(),
    }));
    report.lines += batch.lines;
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The calling thread's nice value.
    fn own_nice() -> i32 {
        // SAFETY: getpriority and gettid only read their arguments. (-1 is also a valid nice
        // value, but none of these threads is ever given it.)
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[test]
    fn parsing_threads_yield_but_the_importing_thread_keeps_its_priority() {
        let started = std::thread::spawn(own_nice).join().unwrap();
        let yielded = std::thread::spawn(|| {
            yield_to_writer();
            own_nice()
        })
        .join()
        .unwrap();
        assert_eq!(yielded, (started + 10).min(19));
        let caller = std::thread::spawn(|| {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), &Default::default()).unwrap();
            let line = r#"{"sku":"A-1","title":"T","price_cents":100}"#;
            let report = import(&store, line.as_bytes(), Format::JsonLines, "test", &mut |_| {}).unwrap();
            assert_eq!(report.created, 1);
            own_nice()
        })
        .join()
        .unwrap();
        assert_eq!(caller, started, "the writer is the importing thread itself");
    }
}
