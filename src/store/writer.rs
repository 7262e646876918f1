//! Group commit: the one thread that writes to the store while the server runs.
//!
//! redb allows one write transaction at a time and a durable commit costs an fsync, so committing
//! each checkout alone caps a shop at a few hundred orders per second. Instead every server-side
//! change (cart edits, checkouts, sweeps) is a job on a bounded queue. The writer takes whatever
//! jobs are waiting, applies them one after another in one shared transaction, commits once, and
//! only then answers them all. A job checks everything before it writes, so a job that refuses
//! leaves no trace in the shared transaction; a job that fails on storage aborts the whole batch
//! and every job in it is told the store is unavailable (callers retry with the same idempotency
//! key, so no outcome is lost or doubled).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::{Store, StoreError, WriteTx};
use crate::telemetry::metrics as m;

/// How the writer batches.
#[derive(Clone, Copy, Debug)]
pub struct WriterOptions {
    /// Jobs waiting beyond this are refused at once (503 with Retry-After) rather than queued.
    pub queue_bound: usize,
    /// Most jobs in one transaction; 1 turns group commit off (one commit per job).
    pub max_batch: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            queue_bound: 4096,
            max_batch: 512,
        }
    }
}

/// Why a job did not run.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the store is busy; try again shortly")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a use case inside a write transaction stopped: refused for a reason of its own (`R`),
/// having written nothing, so the group commit goes on without it; or the store failed, which
/// aborts the batch. `?` turns a `StoreError` into the second.
#[derive(Debug)]
pub enum TxError<R> {
    Refused(R),
    Store(StoreError),
}

impl<R> From<StoreError> for TxError<R> {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

/// A use case's outcome inside a write transaction.
pub type TxResult<T, R> = Result<T, TxError<R>>;

/// The refusal as a value and the store's failure as the error: for a caller inside the same
/// transaction to whom a refusal is no failure (a late payment event finding the order moved on).
pub fn split<T, R>(outcome: TxResult<T, R>) -> Result<Result<T, R>, StoreError> {
    match outcome {
        Ok(value) => Ok(Ok(value)),
        Err(TxError::Refused(why)) => Ok(Err(why)),
        Err(TxError::Store(e)) => Err(e),
    }
}

/// Refuses with `why`: shorthand for `Err(TxError::Refused(why))`.
pub fn refuse<T, R>(why: R) -> TxResult<T, R> {
    Err(TxError::Refused(why))
}

/// What a use case could not do, as its caller hears it: refused for a reason of its own (`R`),
/// or the store could not take or give the data (busy, disk trouble).
#[derive(Debug, thiserror::Error)]
pub enum Failed<R> {
    #[error(transparent)]
    Refused(R),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl<R> From<StoreError> for Failed<R> {
    fn from(e: StoreError) -> Self {
        Failed::Write(WriteError::Store(e))
    }
}

impl<R> From<TxError<R>> for Failed<R> {
    fn from(e: TxError<R>) -> Self {
        match e {
            TxError::Refused(r) => Failed::Refused(r),
            TxError::Store(e) => e.into(),
        }
    }
}

/// For a caller that answers each refusal its own way (a page's notice, an API's status): the
/// refusal as a value, a failed write as the error.
pub trait Refusals<T, R> {
    fn refusals(self) -> Result<Result<T, R>, WriteError>;
}

impl<T, R> Refusals<T, R> for Result<T, Failed<R>> {
    fn refusals(self) -> Result<Result<T, R>, WriteError> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(Failed::Refused(why)) => Ok(Err(why)),
            Err(Failed::Write(e)) => Err(e),
        }
    }
}

type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut WriteTx<'_>) -> Result<Reply, (Reply, String)> + Send>;

/// Handle to the writer thread; cheap to share. Dropping the last one lets the thread finish the
/// queue and exit, closing its handle on the store.
pub struct Writer {
    queue: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<WriterStats>,
}

/// Counters for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub jobs: AtomicU64,
    pub commits: AtomicU64,
    pub failed_commits: AtomicU64,
    pub refused_busy: AtomicU64,
    pub largest_batch: AtomicU64,
    /// Commits by batch size: 1, 2–3, 4–7, … (power-of-two buckets).
    pub batch_sizes: [AtomicU64; BATCH_BUCKETS],
    pub commit_micros_total: AtomicU64,
    /// The part of `commit_micros_total` spent applying jobs, before the commit itself.
    pub apply_micros_total: AtomicU64,
    /// Panics the writer loop recovered from.
    pub restarts: AtomicU64,
    /// Jobs queued and not yet taken into a batch.
    pub waiting: AtomicU64,
}

pub const BATCH_BUCKETS: usize = 12;

impl WriterStats {
    fn record_commit(&self, jobs: usize, elapsed_micros: u64) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(jobs as u64, Ordering::Relaxed);
        self.largest_batch.fetch_max(jobs as u64, Ordering::Relaxed);
        let bucket = (usize::BITS - jobs.max(1).leading_zeros() - 1) as usize;
        self.batch_sizes[bucket.min(BATCH_BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
        self.commit_micros_total.fetch_add(elapsed_micros, Ordering::Relaxed);
    }
}

impl WriterStats {
    /// One line for logs and benchmarks: commits, jobs, mean and largest batch, and the
    /// batch-size histogram (`1:120 2-3:40 4-7:12 …`).
    pub fn summary(&self) -> String {
        let commits = self.commits.load(Ordering::Relaxed);
        let jobs = self.jobs.load(Ordering::Relaxed);
        let histogram: Vec<String> = self
            .batch_sizes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let n = n.load(Ordering::Relaxed);
                let (lo, hi) = (1u64 << i, (1u64 << (i + 1)) - 1);
                let range = if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") };
                (n > 0).then(|| format!("{range}:{n}"))
            })
            .collect();
        format!(
            "commits={commits} jobs={jobs} mean_batch={:.1} largest_batch={} mean_commit_ms={:.2} apply_us_per_job={:.1} failed_commits={} refused_busy={} batches=[{}]",
            jobs as f64 / commits.max(1) as f64,
            self.largest_batch.load(Ordering::Relaxed),
            self.commit_micros_total.load(Ordering::Relaxed) as f64 / 1000.0 / commits.max(1) as f64,
            self.apply_micros_total.load(Ordering::Relaxed) as f64 / jobs.max(1) as f64,
            self.failed_commits.load(Ordering::Relaxed),
            self.refused_busy.load(Ordering::Relaxed),
            histogram.join(" ")
        )
    }
}

impl Writer {
    pub fn start(store: Store, options: WriterOptions) -> Writer {
        let (send, receive) = sync_channel::<Job>(options.queue_bound.max(1));
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let max_batch = options.max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(store, receive, max_batch, &thread_stats))
            .expect("cannot start the store writer thread");
        Writer {
            queue: Mutex::new(Some(send)),
            thread: Mutex::new(Some(thread)),
            stats,
        }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Jobs waiting for the next commit: how busy the store is with shoppers' writes right now.
    pub fn waiting(&self) -> u64 {
        self.stats.waiting.load(Ordering::Relaxed)
    }

    /// Whether the writer thread is there to take jobs (it is gone only after shutdown, or if
    /// it could not be kept alive).
    pub fn is_running(&self) -> bool {
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Runs `op` in the next group transaction and resolves once that transaction is durable.
    /// `op` must check before it writes: an `Err` from it aborts the whole batch.
    pub async fn run<T, F>(&self, op: F) -> Result<T, WriteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, StoreError>>();
        let job = job(op, move |outcome| {
            let _ = answer.send(outcome);
        });
        self.submit(job)?;
        match answered.await {
            Ok(result) => result.map_err(WriteError::Store),
            Err(_) => Err(WriteError::Store(StoreError::Unavailable(
                "the store writer stopped before answering".into(),
            ))),
        }
    }

    /// `run` for a use case that may refuse: a refusal leaves the batch to commit without it.
    pub async fn run_use_case<T, R, F>(&self, op: F) -> Result<T, Failed<R>>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> TxResult<T, R> + Send + 'static,
    {
        let outcome = self.run(move |tx| split(op(tx))).await?;
        outcome.map_err(Failed::Refused)
    }

    /// `run` for a blocking thread (an import's): waits for room in the queue instead of
    /// refusing when it is full, then for the commit.
    pub fn run_blocking<T, F>(&self, op: F) -> Result<T, WriteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = std::sync::mpsc::sync_channel::<Result<T, StoreError>>(1);
        let job = job(op, move |outcome| {
            let _ = answer.send(outcome);
        });
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(queue) = queue else {
            return Err(StoreError::Unavailable("the store is shutting down".into()).into());
        };
        self.stats.waiting.fetch_add(1, Ordering::Relaxed);
        if queue.send(job).is_err() {
            self.stats.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Unavailable("the store writer has stopped".into()).into());
        }
        match answered.recv() {
            Ok(result) => result.map_err(WriteError::Store),
            Err(_) => Err(WriteError::Store(StoreError::Unavailable(
                "the store writer stopped before answering".into(),
            ))),
        }
    }

    fn submit(&self, job: Job) -> Result<(), WriteError> {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let Some(queue) = queue.as_ref() else {
            return Err(StoreError::Unavailable("the store is shutting down".into()).into());
        };
        // Counted before it can be taken, so the count never wraps below zero.
        self.stats.waiting.fetch_add(1, Ordering::Relaxed);
        let sent = queue.try_send(job);
        if sent.is_err() {
            self.stats.waiting.fetch_sub(1, Ordering::Relaxed);
        }
        match sent {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.stats.refused_busy.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(m::WRITES_REFUSED).increment(1);
                Err(WriteError::Busy)
            }
            Err(TrySendError::Disconnected(_)) => {
                Err(StoreError::Unavailable("the store writer has stopped".into()).into())
            }
        }
    }

    /// Finishes the queued jobs and stops the thread; later jobs are refused.
    pub fn shutdown(&self) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
            let s = &self.stats;
            if s.commits.load(Ordering::Relaxed) > 0 {
                tracing::info!(summary = %s.summary(), "store writer stopped");
            }
        }
    }
}

/// Wraps `op` as a writer job whose outcome, once its batch has committed (or failed), goes to
/// `answer`. A panic in `op` fails the job, not the writer.
fn job<T, F>(op: F, answer: impl FnOnce(Result<T, StoreError>) + Send + 'static) -> Job
where
    T: Send + 'static,
    F: FnOnce(&mut WriteTx<'_>) -> Result<T, StoreError> + Send + 'static,
{
    Box::new(move |tx| {
        let outcome = catch_unwind(AssertUnwindSafe(|| op(tx)))
            .unwrap_or_else(|_| Err(StoreError::Corrupt("a store job panicked".into())));
        match outcome {
            Ok(value) => Ok(Box::new(move |committed: Result<(), String>| {
                answer(committed.map(|()| value).map_err(StoreError::Unavailable));
            }) as Reply),
            Err(err) => {
                let why = err.to_string();
                let reply: Reply = Box::new(move |_| answer(Err(err)));
                Err((reply, why))
            }
        }
    })
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The writer's loop, supervised: a panic outside a job (in a commit, or in logging) fails only
/// the batch it struck, whose callers hear "unavailable" and retry; the loop then goes on. Only a
/// closed queue (shutdown) ends the thread.
fn run(store: Store, queue: Receiver<Job>, max_batch: usize, stats: &WriterStats) {
    loop {
        let served = catch_unwind(AssertUnwindSafe(|| serve(&store, &queue, max_batch, stats)));
        if served.is_ok() {
            return;
        }
        stats.restarts.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(m::WORKER_RESTARTS, "worker" => "store-writer").increment(1);
        tracing::error!("the store writer panicked; the batch it held was refused and it goes on");
    }
}

fn serve(store: &Store, queue: &Receiver<Job>, max_batch: usize, stats: &WriterStats) {
    while let Ok(first) = queue.recv() {
        let mut jobs = Vec::with_capacity(max_batch.min(64));
        jobs.push(first);
        while jobs.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        stats.waiting.fetch_sub(jobs.len() as u64, Ordering::Relaxed);
        commit_batch(store, jobs, stats);
    }
}

/// Applies the jobs in one transaction, commits durably, then answers each.
fn commit_batch(store: &Store, jobs: Vec<Job>, stats: &WriterStats) {
    let started = Instant::now();
    let count = jobs.len();
    let mut replies: Vec<Reply> = Vec::with_capacity(count);
    let mut failure: Option<(Reply, String)> = None;
    let outcome = store.write(|tx| {
        let applying = Instant::now();
        let _measure = Defer(Some(move || {
            stats
                .apply_micros_total
                .fetch_add(applying.elapsed().as_micros() as u64, Ordering::Relaxed);
        }));
        for job in jobs {
            match job(tx) {
                Ok(reply) => replies.push(reply),
                Err(failed) => {
                    // Jobs after this one are dropped unrun; their callers hear "unavailable".
                    let why = failed.1.clone();
                    failure = Some(failed);
                    return Err(StoreError::Unavailable(format!("a batch was abandoned: {why}")));
                }
            }
        }
        Ok(())
    });
    match outcome {
        Ok(()) => {
            let elapsed = started.elapsed();
            stats.record_commit(count, elapsed.as_micros() as u64);
            metrics::histogram!(m::COMMIT_BATCH).record(count as f64);
            metrics::histogram!(m::COMMIT_DURATION).record(elapsed.as_secs_f64());
            replies.into_iter().for_each(|reply| reply(Ok(())));
        }
        Err(err) => {
            stats.failed_commits.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(m::COMMITS_FAILED).increment(1);
            tracing::error!(error = %err, jobs = count, "store commit failed; the batch was not written");
            let why = err.to_string();
            if let Some((reply, own)) = failure {
                reply(Err(own));
            }
            replies.into_iter().for_each(|reply| reply(Err(why.clone())));
        }
    }
}

/// Runs a closure when dropped.
struct Defer<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for Defer<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &Default::default()).unwrap();
        (dir, store)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_jobs_share_commits_and_all_are_answered() {
        let (_dir, store) = store();
        let writer = Arc::new(Writer::start(store.clone(), WriterOptions::default()));
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .run(move |tx| {
                            tx.count_promo_use("SHARED")?;
                            Ok(i)
                        })
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap(), i);
        }
        assert_eq!(store.read().unwrap().promo_uses("SHARED").unwrap(), 200);
        let stats = writer.stats();
        assert_eq!(stats.jobs.load(Ordering::Relaxed), 200);
        assert!(stats.commits.load(Ordering::Relaxed) <= 200);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_outside_any_job_fails_its_batch_and_the_writer_goes_on() {
        let (_dir, store) = store();
        let writer = Writer::start(store.clone(), WriterOptions::default());
        // A raw job, without the catch that `run` wraps around a use case: as a panic in the
        // commit or in logging would, it unwinds through the writer's own loop.
        writer
            .submit(Box::new(|_| panic!("a panic outside any use case")))
            .expect("queued");
        // A job that shared the panicking batch hears "unavailable", as any job of a failed
        // batch does; its caller's retry is taken.
        let mut after = writer.run(|tx| tx.count_promo_use("AFTER")).await;
        if matches!(after, Err(WriteError::Store(StoreError::Unavailable(_)))) {
            after = writer.run(|tx| tx.count_promo_use("AFTER")).await;
        }
        assert!(after.is_ok(), "the writer takes jobs again: {after:?}");
        assert!(writer.is_running());
        assert_eq!(writer.stats().restarts.load(Ordering::Relaxed), 1);
        assert_eq!(store.read().unwrap().promo_uses("AFTER").unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_abandons_its_batch_without_a_trace() {
        let (_dir, store) = store();
        let writer = Writer::start(store.clone(), WriterOptions::default());
        let failed = writer
            .run(|tx| {
                tx.count_promo_use("HALF")?;
                Err::<(), _>(StoreError::Unavailable("disk trouble".into()))
            })
            .await;
        assert!(matches!(failed, Err(WriteError::Store(StoreError::Unavailable(_)))));
        assert_eq!(store.read().unwrap().promo_uses("HALF").unwrap(), 0);
        let after = writer.run(|tx| tx.count_promo_use("HALF")).await;
        assert!(after.is_ok());
        assert_eq!(store.read().unwrap().promo_uses("HALF").unwrap(), 1);
    }
}
