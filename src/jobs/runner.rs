//! The workers: a loop that wakes when a commit queues a job (or a retry comes due), takes the
//! due jobs by priority, and runs each on its own task, at most `concurrency` at a time. Each
//! outcome is written through the store writer; a job running at a crash is simply run again,
//! so every handler is written to be safe to repeat.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use super::model::{Backoff, Job, State};
use crate::domain::now_ms;
use crate::store::{Store, StoreError, WriteTx, Writer};
use crate::telemetry::metrics as m;

/// Most events fanned out in one transaction.
const LOCAL_BATCH: usize = 512;

/// While more writes than this wait for the store, no mail or webhook job starts.
const SHOPPERS_FIRST: u64 = 32;

/// While the store is busy, this many mail or webhook jobs still start this often, so a sale day
/// that never eases delays mail by seconds, not until it ends.
const TRICKLE: usize = 8;
const TRICKLE_EVERY: Duration = Duration::from_secs(1);

/// How long a wake-up waits for more commits before reading the queue.
const GATHER: Duration = Duration::from_millis(20);

/// Changes a finished job makes, written in the transaction that takes it off the queue.
pub type Effects = Box<dyn FnOnce(&mut WriteTx<'_>) -> Result<(), StoreError> + Send>;

/// How a run ended.
pub enum Outcome {
    /// Done; the effects are written as the job leaves the queue.
    Done(Effects),
    /// Failed; retried after its backoff (or given up after its last try). The effects (a
    /// delivery log line) are written either way.
    Failed(String, Effects),
    /// Not tried (a receiver's breaker is open): tried again at this time, not counted.
    NotNow(u64),
}

pub type Running = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// What the jobs do, by kind.
pub trait Handler: Send + Sync + 'static {
    /// Runs a job that talks to the outside world.
    fn run(&self, job: Job) -> Running;

    /// Runs jobs that only read and write the store (`Task::is_local`), on a blocking thread,
    /// every round (with no jobs too: the handler may have a log of its own to follow). What
    /// it returns is written in one transaction: `first`, then each outcome in order.
    fn run_local(&self, jobs: Vec<Job>) -> Result<LocalRound, StoreError>;
}

/// The writes of one round of local jobs.
pub struct LocalRound {
    pub first: Option<Effects>,
    pub outcomes: Vec<(Job, Outcome)>,
}

/// Settings of the workers.
#[derive(Clone, Copy, Debug)]
pub struct RunnerOptions {
    /// Jobs running at once.
    pub concurrency: usize,
    pub backoff: Backoff,
    /// How often the queue is looked at without a wake-up (retries coming due).
    pub poll: Duration,
    /// Changes record their events (and so send mail and webhooks). Off only for benchmarks and
    /// rehearsals on a copy of a live store, where mail would reach real customers.
    pub record_events: bool,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            concurrency: 16,
            backoff: Backoff::default(),
            poll: Duration::from_millis(500),
            record_events: true,
        }
    }
}

/// The job workers of one server.
pub struct Runner {
    store: Store,
    writer: Arc<Writer>,
    handler: Arc<dyn Handler>,
    options: RunnerOptions,
    running: Mutex<HashSet<u64>>,
    slots: Arc<Semaphore>,
    wake: Arc<Notify>,
    /// When events were last fanned out.
    last_local: Mutex<std::time::Instant>,
    /// When jobs were last let out while the store was busy.
    last_trickle: Mutex<std::time::Instant>,
    /// A round of local jobs is under way (one at a time, so the order log is read once).
    local_running: std::sync::atomic::AtomicBool,
}

impl Runner {
    pub fn new(store: Store, writer: Arc<Writer>, handler: Arc<dyn Handler>, options: RunnerOptions) -> Arc<Runner> {
        Arc::new(Runner {
            wake: store.jobs_waiting(),
            store,
            writer,
            handler,
            slots: Arc::new(Semaphore::new(options.concurrency.max(1))),
            options,
            running: Mutex::new(HashSet::new()),
            last_local: Mutex::new(std::time::Instant::now()),
            local_running: Default::default(),
            last_trickle: Mutex::new(std::time::Instant::now()),
        })
    }

    /// The loop; ends when `stopped` resolves (jobs then running are left to finish or, if the
    /// process ends first, to run again at the next start).
    pub async fn serve(self: Arc<Self>, stopped: impl Future<Output = ()>) {
        tokio::pin!(stopped);
        loop {
            self.start_due().await;
            tokio::select! {
                _ = &mut stopped => return,
                _ = self.wake.notified() => {
                    // A storm's commits wake this a thousand times a second: gather them.
                    tokio::time::sleep(GATHER).await;
                }
                _ = tokio::time::sleep(self.options.poll) => {}
            }
        }
    }

    /// Whether a worker holds job `id` now.
    pub fn is_running(&self, id: u64) -> bool {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).contains(&id)
    }

    pub fn state_of(&self, job: &Job) -> State {
        job.state(self.is_running(job.id))
    }

    /// Starts every due job a free slot allows, after fanning out the due events together.
    /// While shoppers' writes queue up for the store, mail and webhooks wait for a lull (their
    /// outcomes are writes too) but for a trickle, and events fan out at most once a second.
    async fn start_due(self: &Arc<Self>) {
        let busy = self.writer.waiting() > SHOPPERS_FIRST;
        let fan_out =
            !busy || self.last_local.lock().unwrap_or_else(|e| e.into_inner()).elapsed() >= Duration::from_secs(1);
        if !fan_out {
            return;
        }
        // A storm that never eases still lets a trickle of mail and webhooks out.
        let free = if !busy {
            self.slots.available_permits()
        } else if self.last_trickle.lock().unwrap_or_else(|e| e.into_inner()).elapsed() >= TRICKLE_EVERY {
            *self.last_trickle.lock().unwrap_or_else(|e| e.into_inner()) = std::time::Instant::now();
            self.slots.available_permits().min(TRICKLE)
        } else {
            0
        };
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let store = self.store.clone();
        let due =
            tokio::task::spawn_blocking(move || store.read()?.due_jobs(now_ms(), LOCAL_BATCH + free, &running)).await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => return tracing::warn!(error = %e, "cannot read the job queue"),
            Err(e) => return tracing::error!(error = %e, "reading the job queue panicked"),
        };
        let (local, remote): (Vec<Job>, Vec<Job>) = due.into_iter().partition(|job| job.task.is_local());
        if !self.local_running.swap(true, std::sync::atomic::Ordering::SeqCst) {
            *self.last_local.lock().unwrap_or_else(|e| e.into_inner()) = std::time::Instant::now();
            self.mark_running(&local);
            let this = self.clone();
            tokio::spawn(async move {
                this.run_local(local).await;
                this.local_running.store(false, std::sync::atomic::Ordering::SeqCst);
                this.wake.notify_one();
            });
        }
        // Payments and purges are quick and keep the outside world right: they do not wait for a
        // lull (only mail and webhooks do).
        let (urgent, rest): (Vec<Job>, Vec<Job>) = remote
            .into_iter()
            .partition(|job| job.task.priority() <= super::model::Priority::Payment);
        let urgent_free = self.slots.available_permits().saturating_sub(free).min(urgent.len());
        for job in urgent
            .into_iter()
            .take(urgent_free + free)
            .chain(rest.into_iter().take(free))
        {
            let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                break;
            };
            self.mark_running(std::slice::from_ref(&job));
            let this = self.clone();
            tokio::spawn(async move {
                this.run_one(job).await;
                drop(slot);
                this.wake.notify_one();
            });
        }
    }

    fn mark_running(&self, jobs: &[Job]) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.extend(jobs.iter().map(|j| j.id));
    }

    /// Jobs that only write to the store (fanning out events) run together, in the order they
    /// were written, in one transaction: an order's events fan out in order, and a storm's worth
    /// costs one writer job.
    async fn run_local(&self, jobs: Vec<Job>) {
        let ids: Vec<u64> = jobs.iter().map(|j| j.id).collect();
        let handler = self.handler.clone();
        let LocalRound { first, outcomes } = match tokio::task::spawn_blocking(move || handler.run_local(jobs)).await {
            Ok(Ok(round)) => round,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot fan out events now; they run again");
                return self.release(&ids);
            }
            Err(_) => {
                tracing::error!("fanning out events panicked; they run again");
                return self.release(&ids);
            }
        };
        if first.is_none() && outcomes.is_empty() {
            return self.release(&ids);
        }
        for (job, _) in &outcomes {
            metrics::counter!(m::JOB_RUNS, "kind" => job.task.kind(), "outcome" => "done").increment(1);
        }
        let backoff = self.options.backoff;
        let written = self
            .writer
            .run(move |tx| {
                if let Some(first) = first {
                    first(tx)?;
                }
                for (job, outcome) in outcomes {
                    settle(tx, job, outcome, &backoff, rand::random::<f64>())?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(jobs = ids.len(), error = %e, "cannot fan out events now; they run again");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.release(&ids);
    }

    fn release(&self, ids: &[u64]) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            running.remove(id);
        }
    }

    async fn run_one(&self, job: Job) {
        let id = job.id;
        let kind = job.task.kind();
        let outcome = tokio::spawn(self.handler.run(job.clone()))
            .await
            .unwrap_or_else(|_| Outcome::Failed("the job panicked".into(), Box::new(|_| Ok(()))));
        let label = match &outcome {
            Outcome::Done(_) => "done",
            Outcome::Failed(..) => "failed",
            Outcome::NotNow(_) => "deferred",
        };
        metrics::counter!(m::JOB_RUNS, "kind" => kind, "outcome" => label).increment(1);
        let backoff = self.options.backoff;
        let jitter = rand::random::<f64>();
        let written = self
            .writer
            .run(move |tx| settle(tx, job, outcome, &backoff, jitter))
            .await;
        if let Err(e) = written {
            // The job stays queued as it was and runs again: every job is safe to repeat.
            tracing::warn!(job = id, error = %e, "cannot record a job's outcome; it will run again");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }

    /// Publishes `storefront_jobs{kind,state}` and `storefront_job_oldest_seconds{kind}`.
    pub fn publish_metrics(&self) -> Result<(), StoreError> {
        let counts = self.store.read()?.job_counts()?;
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).len() as f64;
        let now = now_ms();
        for kind in crate::jobs::Task::KINDS {
            let (queued, failed, oldest) = counts.live.get(kind).copied().unwrap_or((0, 0, now));
            let dead = counts.dead.get(kind).copied().unwrap_or(0);
            for (state, n) in [("queued", queued), ("failed", failed), ("dead", dead)] {
                metrics::gauge!(m::JOBS, "kind" => kind, "state" => state).set(n as f64);
            }
            let age = now.saturating_sub(oldest.min(now)) as f64 / 1000.0;
            metrics::gauge!(m::JOB_OLDEST, "kind" => kind).set(age);
        }
        metrics::gauge!(m::JOBS, "kind" => "all", "state" => "running").set(running);
        Ok(())
    }
}

/// Writes a run's outcome: off the queue when done; else its next try, or dead after the last.
fn settle(
    tx: &mut WriteTx<'_>,
    mut job: Job,
    outcome: Outcome,
    backoff: &Backoff,
    jitter: f64,
) -> Result<(), StoreError> {
    let now = now_ms();
    match outcome {
        Outcome::Done(effects) => {
            if tx.finish_job(job.id)? {
                effects(tx)?;
            }
        }
        Outcome::Failed(error, effects) => {
            if tx.live_job(job.id)?.is_none() {
                return Ok(()); // discarded while it ran
            }
            effects(tx)?;
            job.attempts += 1;
            job.last_error = Some(error);
            match job.next_try(now, backoff, jitter) {
                Some(at) => job.run_at_ms = at,
                None => {
                    tracing::warn!(job = job.id, what = %job.task.describe(), error = ?job.last_error, "a job was given up after its last try");
                    job.dead_ms = Some(now);
                }
            }
            tx.refile_job(&job)?;
        }
        Outcome::NotNow(at) => {
            job.run_at_ms = at;
            tx.refile_job(&job)?;
        }
    }
    Ok(())
}
