//! Durable jobs: everything that talks to the outside world after a change (mail, webhooks,
//! later refunds and cache purges) is a job written in the transaction of the change that
//! caused it (a transactional outbox), so a crash loses none and a refused change sends none.
//! `runner` runs them by priority inside the server, with retries and backoff; what each kind
//! does is given to it as a [`Handler`] (see `notify`).

mod model;
pub mod runner;

pub use model::{
    Backoff, Delivery, Event, EventKind, Job, MailKind, MailTask, PaymentTask, Priority, PurgeTask, State, Task,
};
pub use runner::{Effects, Handler, LocalRound, Outcome, Runner, RunnerOptions, Running};

use crate::store::{StoreError, WriteTx};

/// Files the job that brings order `number`'s gateway payment in step with the order (see
/// `PaymentTask`), in the caller's transaction.
pub fn settle_payment(tx: &mut WriteTx<'_>, number: &str, now_ms: u64) -> Result<(), StoreError> {
    let task = Task::Payment(PaymentTask {
        order: number.to_owned(),
    });
    tx.enqueue(task, now_ms).map(drop)
}

/// Records that `kind` happened to `subject` (an order number or SKU), in the caller's
/// transaction: the mails and webhooks it causes follow once it commits.
pub fn record_event(tx: &mut WriteTx<'_>, kind: EventKind, subject: &str, now_ms: u64) -> Result<(), StoreError> {
    if !tx.events_recorded()? {
        return Ok(());
    }
    let event = Event {
        kinds: vec![kind],
        subject: subject.to_owned(),
        at_ms: now_ms,
    };
    tx.enqueue(Task::Event(event), now_ms).map(drop)
}
