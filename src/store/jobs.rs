//! The job queue, the mail log, webhook endpoints and deliveries, and supplier feed runs.

use std::collections::{BTreeMap, HashSet};

use redb::ReadableTable;

use super::codec::{decode, encode};
use super::tables::*;
use super::{ReadTx, StoreError, WriteTx};
use crate::feeds::FeedRun;
use crate::jobs::{Job, Task};
use crate::mail::MailRecord;
use crate::webhooks::{DeliveryRecord, Endpoint};

pub(super) const JOB_SEQ: &str = "job_seq";
const MAIL_SEQ: &str = "mail_seq";
const DELIVERY_SEQ: &str = "delivery_seq";
const DEFAULT_LOW_STOCK: &str = "default_low_stock";
const EVENTS_OFF: &str = "events_off";
/// 1 while caches in front are configured: catalog changes queue purge jobs.
const PURGES_ON: &str = "purges_on";
/// The sequence of the last order whose placement was fanned out into mail and webhooks.
const ORDERS_TOLD: &str = "orders_told";

/// Mails kept for the back office; older ones are dropped as new ones come.
pub const MAIL_KEPT: u64 = 10_000;
/// Delivery tries kept for the back office.
pub const DELIVERIES_KEPT: u64 = 20_000;

/// Live jobs by kind: how many, and when the oldest was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// kind -> (waiting for a first try, waiting for a retry, created ms of the oldest).
    pub live: BTreeMap<&'static str, (u64, u64, u64)>,
    pub dead: BTreeMap<&'static str, u64>,
}

impl WriteTx<'_> {
    /// Queues `task` to run as soon as a worker is free; it commits with the caller's changes
    /// or not at all.
    pub fn enqueue(&mut self, task: Task, now_ms: u64) -> Result<u64, StoreError> {
        self.enqueue_at(task, now_ms, now_ms)
    }

    /// Queues `task` to run not before `run_at_ms`.
    pub fn enqueue_at(&mut self, task: Task, now_ms: u64, run_at_ms: u64) -> Result<u64, StoreError> {
        let id = match self.job_seq {
            Some(seq) => seq,
            None => self.meta_value(JOB_SEQ)?.unwrap_or(0),
        } + 1;
        self.job_seq = Some(id);
        let mut job = Job::new(id, task, now_ms);
        job.run_at_ms = run_at_ms.max(now_ms);
        self.file_job(&job)?;
        Ok(id)
    }

    fn file_job(&mut self, job: &Job) -> Result<(), StoreError> {
        self.jobs.insert(job.id, encode(job)?.as_slice())?;
        self.jobs_due
            .insert((job.task.priority() as u8, job.run_at_ms, job.id), ())?;
        if let Some(key) = job.task.ordering_key() {
            self.txn()
                .open_table(JOBS_ORDERED)?
                .insert((key.as_str(), job.id), ())?;
        }
        self.jobs_added = true;
        Ok(())
    }

    /// Takes a live job out of the queue (done, given up or discarded); returns it.
    fn unfile_job(&mut self, id: u64) -> Result<Option<Job>, StoreError> {
        let Some(job) = self.jobs.remove(id)?.map(|v| decode::<Job>(v.value())).transpose()? else {
            return Ok(None);
        };
        self.jobs_due.remove((job.task.priority() as u8, job.run_at_ms, id))?;
        if let Some(key) = job.task.ordering_key() {
            self.txn().open_table(JOBS_ORDERED)?.remove((key.as_str(), id))?;
        }
        Ok(Some(job))
    }

    pub fn live_job(&self, id: u64) -> Result<Option<Job>, StoreError> {
        self.jobs.get(id)?.map(|v| decode(v.value())).transpose()
    }

    /// The job is done: it leaves the queue. `false` if it was already gone (discarded).
    pub fn finish_job(&mut self, id: u64) -> Result<bool, StoreError> {
        Ok(self.unfile_job(id)?.is_some())
    }

    /// Files a tried job again: its next try at `job.run_at_ms`, or as dead if `dead_ms` is set.
    pub fn refile_job(&mut self, job: &Job) -> Result<(), StoreError> {
        if self.unfile_job(job.id)?.is_none() {
            return Ok(()); // discarded meanwhile
        }
        if job.dead_ms.is_some() {
            self.txn()
                .open_table(JOBS_DEAD)?
                .insert(job.id, encode(job)?.as_slice())?;
            return Ok(());
        }
        self.file_job(job)
    }

    /// A dead job, or a waiting one, runs again now with a fresh count of tries.
    pub fn retry_job(&mut self, id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let found = match self.txn().open_table(JOBS_DEAD)?.remove(id)? {
            Some(v) => Some(decode::<Job>(v.value())?),
            None => self.unfile_job(id)?,
        };
        let Some(mut job) = found else { return Ok(false) };
        job.dead_ms = None;
        job.attempts = 0;
        job.created_ms = now_ms;
        job.run_at_ms = now_ms;
        self.file_job(&job)?;
        Ok(true)
    }

    /// Deletes a job, live or dead.
    pub fn discard_job(&mut self, id: u64) -> Result<bool, StoreError> {
        if self.txn().open_table(JOBS_DEAD)?.remove(id)?.is_some() {
            return Ok(true);
        }
        Ok(self.unfile_job(id)?.is_some())
    }

    /// Keeps a mail in the log (the outbox without SMTP); gives it its id.
    pub fn keep_mail(&mut self, mail: &mut MailRecord) -> Result<(), StoreError> {
        mail.id = self.next_in_sequence(MAIL_SEQ)?;
        let mut table = self.txn().open_table(MAILS)?;
        table.insert(mail.id, encode(mail)?.as_slice())?;
        if mail.id > MAIL_KEPT {
            table.remove(mail.id - MAIL_KEPT)?;
        }
        Ok(())
    }

    pub fn log_delivery(&mut self, record: &DeliveryRecord) -> Result<(), StoreError> {
        let seq = self.next_in_sequence(DELIVERY_SEQ)?;
        let mut table = self.txn().open_table(WEBHOOK_DELIVERIES)?;
        table.insert(seq, encode(record)?.as_slice())?;
        if seq > DELIVERIES_KEPT {
            table.remove(seq - DELIVERIES_KEPT)?;
        }
        Ok(())
    }

    pub fn put_endpoint(&mut self, endpoint: &Endpoint) -> Result<(), StoreError> {
        self.txn()
            .open_table(WEBHOOK_ENDPOINTS)?
            .insert(endpoint.id.as_str(), encode(endpoint)?.as_slice())?;
        Ok(())
    }

    pub fn remove_endpoint(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.txn().open_table(WEBHOOK_ENDPOINTS)?.remove(id)?.is_some())
    }

    pub fn endpoints(&self) -> Result<Vec<Endpoint>, StoreError> {
        let table = self.txn().open_table(WEBHOOK_ENDPOINTS)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn put_feed_run(&mut self, feed: &str, run: &FeedRun) -> Result<(), StoreError> {
        self.txn()
            .open_table(FEED_RUNS)?
            .insert(feed, encode(run)?.as_slice())?;
        Ok(())
    }

    /// Whether this push was applied before; records it if not.
    pub fn first_use_of_feed_key(&mut self, feed: &str, key: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut table = self.txn().open_table(FEED_KEYS)?;
        if table.get((feed, key))?.is_some() {
            return Ok(false);
        }
        table.insert((feed, key), now_ms)?;
        Ok(true)
    }

    /// Forgets up to `limit` push keys recorded before `cutoff_ms` (a supplier retries within
    /// minutes, not weeks); returns how many. The table is small: one row per push.
    pub fn sweep_feed_keys(&mut self, cutoff_ms: u64, limit: usize) -> Result<usize, StoreError> {
        let mut table = self.txn().open_table(FEED_KEYS)?;
        let mut old = Vec::new();
        for row in table.iter()? {
            let (key, at) = row?;
            if at.value() < cutoff_ms {
                let (feed, k) = key.value();
                old.push((feed.to_owned(), k.to_owned()));
                if old.len() >= limit {
                    break;
                }
            }
        }
        for (feed, k) in &old {
            table.remove((feed.as_str(), k.as_str()))?;
        }
        Ok(old.len())
    }

    /// The shop's low-stock threshold (`shop.low_stock`), kept in the store so a sale can tell
    /// when it crosses it.
    pub fn default_low_stock(&mut self) -> Result<Option<u64>, StoreError> {
        Ok(self.job_settings()?.1)
    }

    pub fn set_default_low_stock(&mut self, units: u64) -> Result<(), StoreError> {
        self.settings = None;
        self.set_meta_value(DEFAULT_LOW_STOCK, units)
    }

    /// Whether changes record their events (mail, webhooks); off only by `[jobs] record_events`.
    pub fn events_recorded(&mut self) -> Result<bool, StoreError> {
        Ok(self.job_settings()?.0)
    }

    /// Whether catalog changes queue purges for caches in front.
    pub fn purges_on(&mut self) -> Result<bool, StoreError> {
        Ok(self.job_settings()?.2)
    }

    /// Queues a purge of every catalog page in the caches in front, when purges are set up (a
    /// change that shows on every page: a feature flag).
    pub fn purge_all_catalog_pages(&mut self, now_ms: u64) -> Result<(), StoreError> {
        if self.purges_on()? {
            let task = crate::jobs::Task::Purge(crate::jobs::PurgeTask { skus: Vec::new() });
            self.enqueue(task, now_ms)?;
        }
        Ok(())
    }

    pub fn set_purges_on(&mut self, on: bool) -> Result<(), StoreError> {
        self.settings = None;
        self.set_meta_value(PURGES_ON, u64::from(on))
    }

    pub fn set_events_recorded(&mut self, on: bool) -> Result<(), StoreError> {
        self.settings = None;
        self.set_meta_value(EVENTS_OFF, u64::from(!on))
    }

    /// The last order (by sequence) whose placement has been told, if the store has started
    /// telling: orders are numbered in commit order, so the orders table is itself the outbox of
    /// `order.created` and a checkout writes no job row.
    pub fn orders_told(&self) -> Result<Option<u64>, StoreError> {
        self.meta_value(ORDERS_TOLD)
    }

    pub fn set_orders_told(&mut self, sequence: u64) -> Result<(), StoreError> {
        self.set_meta_value(ORDERS_TOLD, sequence)
    }

    /// Read once per transaction: every order in a batch asks.
    fn job_settings(&mut self) -> Result<(bool, Option<u64>, bool), StoreError> {
        if let Some(settings) = self.settings {
            return Ok(settings);
        }
        let settings = (
            self.meta_value(EVENTS_OFF)? != Some(1),
            self.meta_value(DEFAULT_LOW_STOCK)?,
            self.meta_value(PURGES_ON)? == Some(1),
        );
        self.settings = Some(settings);
        Ok(settings)
    }
}

impl ReadTx {
    pub fn orders_told(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.table(META)?.get(ORDERS_TOLD)?.map(|v| v.value()))
    }

    /// Up to `limit` orders placed after the one at `sequence`, with their sequences, in order.
    pub fn orders_after(&self, sequence: u64, limit: usize) -> Result<Vec<(u64, crate::orders::Order)>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(ORDERS)?.range(sequence.saturating_add(1)..)?.take(limit) {
            let (key, value) = row?;
            out.push((key.value(), decode(value.value())?));
        }
        Ok(out)
    }

    /// The sequence an order number is filed under.
    pub fn order_sequence(&self, number: &str) -> Result<u64, StoreError> {
        super::read::order_sequence(self.numbering(), number)
    }

    /// Up to `limit` jobs whose time has come, highest priority first, skipping those in
    /// `running` and those waiting behind an earlier job of their ordering key.
    pub fn due_jobs(&self, now_ms: u64, limit: usize, running: &HashSet<u64>) -> Result<Vec<Job>, StoreError> {
        let due = self.table(JOBS_DUE)?;
        let jobs = self.table(JOBS)?;
        let ordered = self.table(JOBS_ORDERED)?;
        let mut out = Vec::new();
        for priority in 0..=u8::MAX {
            let rows = due.range((priority, 0, 0)..=(priority, now_ms, u64::MAX))?;
            for row in rows {
                let (id, _) = (row?.0.value().2, ());
                if running.contains(&id) {
                    continue;
                }
                let Some(job) = jobs.get(id)?.map(|v| decode::<Job>(v.value())).transpose()? else {
                    continue;
                };
                if let Some(key) = job.task.ordering_key() {
                    let first = ordered
                        .range((key.as_str(), 0)..=(key.as_str(), u64::MAX))?
                        .next()
                        .transpose()?;
                    if first.is_some_and(|(k, _)| k.value().1 != id) {
                        continue;
                    }
                }
                out.push(job);
                if out.len() >= limit {
                    return Ok(out);
                }
            }
            if priority >= crate::jobs::Priority::Report as u8 {
                break;
            }
        }
        Ok(out)
    }

    /// Live jobs (waiting or failed), oldest first, then the dead ones if `dead`.
    pub fn jobs(&self, dead: bool, after_id: u64, limit: usize) -> Result<Vec<Job>, StoreError> {
        let table = self.table(if dead { JOBS_DEAD } else { JOBS })?;
        let mut out = Vec::new();
        for row in table.range(after_id.saturating_add(1)..)?.take(limit) {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn job(&self, id: u64) -> Result<Option<Job>, StoreError> {
        if let Some(v) = self.table(JOBS)?.get(id)? {
            return Ok(Some(decode(v.value())?));
        }
        self.table(JOBS_DEAD)?.get(id)?.map(|v| decode(v.value())).transpose()
    }

    /// Counts for the metrics: a scan of the live jobs (few, unless a receiver is down) and the
    /// dead ones.
    pub fn job_counts(&self) -> Result<JobCounts, StoreError> {
        let mut counts = JobCounts::default();
        for row in self.table(JOBS)?.iter()? {
            let job: Job = decode(row?.1.value())?;
            let entry = counts.live.entry(job.task.kind()).or_insert((0, 0, u64::MAX));
            if job.attempts == 0 {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
            entry.2 = entry.2.min(job.created_ms);
        }
        for row in self.table(JOBS_DEAD)?.iter()? {
            let job: Job = decode(row?.1.value())?;
            *counts.dead.entry(job.task.kind()).or_default() += 1;
        }
        Ok(counts)
    }

    /// The newest mails first, before `before_id` (0: from the newest).
    pub fn mails(&self, before_id: u64, limit: usize) -> Result<Vec<MailRecord>, StoreError> {
        let table = self.table(MAILS)?;
        let upper = if before_id == 0 { u64::MAX } else { before_id };
        let mut out = Vec::new();
        for row in table.range(..upper)?.rev().take(limit) {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn mail(&self, id: u64) -> Result<Option<MailRecord>, StoreError> {
        self.table(MAILS)?.get(id)?.map(|v| decode(v.value())).transpose()
    }

    pub fn endpoints(&self) -> Result<Vec<Endpoint>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(WEBHOOK_ENDPOINTS)?.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    /// The newest delivery tries first.
    pub fn deliveries(&self, limit: usize) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(WEBHOOK_DELIVERIES)?.iter()?.rev().take(limit) {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn feed_runs(&self) -> Result<Vec<(String, FeedRun)>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(FEED_RUNS)?.iter()? {
            let (name, run) = row?;
            out.push((name.value().to_owned(), decode(run.value())?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::Store;
    use super::*;
    use crate::jobs::{MailKind, MailTask};

    fn mail(subject: &str) -> Task {
        Task::Mail(MailTask {
            kind: MailKind::OrderConfirmation,
            to: "a@example.com".into(),
            subject: subject.into(),
        })
    }

    #[test]
    fn a_job_is_due_until_finished_waits_out_its_retry_and_dead_jobs_come_back_only_by_retry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &Default::default()).unwrap();
        let (a, b) = store
            .write(|tx| Ok::<_, StoreError>((tx.enqueue(mail("A"), 1_000)?, tx.enqueue(mail("B"), 1_000)?)))
            .unwrap();
        let due = |now| -> Vec<u64> {
            let jobs = store.read().unwrap().due_jobs(now, 10, &HashSet::new()).unwrap();
            jobs.iter().map(|j| j.id).collect()
        };
        assert_eq!(due(1_000), [a, b]);
        store
            .write(|tx| {
                let mut job = tx.live_job(a)?.unwrap();
                job.attempts = 1;
                job.run_at_ms = 5_000;
                tx.refile_job(&job)?;
                let mut dead = tx.live_job(b)?.unwrap();
                dead.dead_ms = Some(2_000);
                tx.refile_job(&dead)
            })
            .unwrap();
        assert_eq!(due(4_999), Vec::<u64>::new(), "a retry waits; a dead job is not due");
        assert_eq!(due(5_000), [a]);
        assert!(store.write(|tx| tx.retry_job(b, 6_000)).unwrap());
        assert_eq!(due(6_000), [a, b]);
        assert!(store.write(|tx| tx.finish_job(a)).unwrap());
        assert!(store.write(|tx| tx.discard_job(b)).unwrap());
        assert!(!store.write(|tx| tx.discard_job(b)).unwrap());
        assert_eq!(due(u64::MAX), Vec::<u64>::new());
    }

    #[test]
    fn supplier_push_keys_apply_once_and_old_ones_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &Default::default()).unwrap();
        assert!(store.write(|tx| tx.first_use_of_feed_key("acme", "k1", 1_000)).unwrap());
        assert!(!store.write(|tx| tx.first_use_of_feed_key("acme", "k1", 2_000)).unwrap());
        assert!(
            store
                .write(|tx| tx.first_use_of_feed_key("other", "k1", 2_000))
                .unwrap()
        );
        assert!(store.write(|tx| tx.first_use_of_feed_key("acme", "k2", 9_000)).unwrap());
        assert_eq!(store.write(|tx| tx.sweep_feed_keys(5_000, 100)).unwrap(), 2);
        assert!(
            store
                .write(|tx| tx.first_use_of_feed_key("acme", "k1", 10_000))
                .unwrap()
        );
        assert!(
            !store
                .write(|tx| tx.first_use_of_feed_key("acme", "k2", 10_000))
                .unwrap()
        );
    }
}
