//! The settle job: brings the gateway and one order in step by reading both and doing what
//! `model::plan` says (take held money, release a hold, send refunds, mark a pending order
//! paid, cancel an order whose payment will not happen). It reads the gateway each time, so
//! it is safe to run again after a crash or alongside a webhook; every gateway call carries an
//! idempotency key made from the order, so a repeat never takes or gives money twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::model::{GatewayError, Intent, IntentStatus, Step, plan};
use super::stripe::Stripe;
use crate::domain::now_ms;
use crate::jobs::{Effects, Outcome};
use crate::orders::{Order, Refund, RefundState, Status, Transition};
use crate::store::{Store, StoreError, WriteTx};

/// A change the settle job writes to the order, in the transaction that finishes the job.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Change {
    MarkPaid,
    MarkCaptured(u64),
    /// The hold was given back: refunds asked for are done (nothing had been taken).
    Released,
    RefundDone {
        id: u32,
        amount: i64,
        reference: String,
        new: bool,
    },
    RefundFailed {
        id: u32,
        reason: String,
    },
    /// A refund made outside the store (Stripe's dashboard).
    RefundedOutside {
        amount: i64,
        reference: String,
    },
    CancelOrder(String),
}

pub struct Settler {
    stripe: Stripe,
    store: Store,
    /// Orders being settled now: one run per order at a time.
    busy: Mutex<HashSet<String>>,
}

impl Settler {
    pub fn new(stripe: Stripe, store: Store) -> Arc<Settler> {
        Arc::new(Settler {
            stripe,
            store,
            busy: Mutex::new(HashSet::new()),
        })
    }

    pub async fn settle(&self, number: &str) -> Outcome {
        if !self
            .busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(number.to_owned())
        {
            return Outcome::NotNow(now_ms() + 1_000);
        }
        let outcome = self.settle_now(number).await;
        self.busy.lock().unwrap_or_else(|e| e.into_inner()).remove(number);
        outcome
    }

    async fn settle_now(&self, number: &str) -> Outcome {
        let store = self.store.clone();
        let key = number.to_owned();
        let order = match tokio::task::spawn_blocking(move || store.read()?.order(&key)).await {
            Ok(Ok(Some(order))) => order,
            Ok(Ok(None)) => return done(Vec::new(), number),
            Ok(Err(e)) => return failed(format!("cannot read the order: {e}"), Vec::new(), number),
            Err(_) => return failed("reading the order panicked".into(), Vec::new(), number),
        };
        let Some(reference) = order.payment.reference.clone().filter(|_| order.payment.by_gateway()) else {
            return done(Vec::new(), number);
        };
        let intent = match self.stripe.intent(&reference).await {
            Ok(intent) => intent,
            Err(e) => {
                return failed(
                    format!("cannot read payment {reference} from Stripe: {e}"),
                    Vec::new(),
                    number,
                );
            }
        };
        let mut changes = Vec::new();
        for step in plan(&order, &intent, now_ms()) {
            if let Err(stop) = self.run(step, &order, &intent, &mut changes).await {
                return match stop {
                    Stop::Wait(until) if changes.is_empty() => Outcome::NotNow(until),
                    Stop::Wait(_) => done(changes, number),
                    Stop::Fail(why) => failed(why, changes, number),
                };
            }
        }
        done(changes, number)
    }

    async fn run(&self, step: Step, order: &Order, intent: &Intent, changes: &mut Vec<Change>) -> Result<(), Stop> {
        let id = intent.id.as_str();
        match step {
            Step::Capture => self.capture(order, intent).await?,
            Step::Release => {
                if intent.status != IntentStatus::Canceled {
                    self.stripe
                        .cancel(id)
                        .await
                        .map_err(|e| fail("release the card hold", &e))?;
                }
                changes.push(Change::Released);
            }
            Step::Refund {
                id: refund,
                amount,
                new,
            } => {
                let key = format!("refund-{}-{refund}", order.number);
                match self.stripe.refund(id, amount, &key).await {
                    Ok(r) => changes.push(Change::RefundDone {
                        id: refund,
                        amount,
                        reference: r.id,
                        new,
                    }),
                    Err(GatewayError::Unavailable(e)) => return Err(Stop::Fail(format!("Stripe is unavailable: {e}"))),
                    Err(e) if !new => changes.push(Change::RefundFailed {
                        id: refund,
                        reason: e.to_string(),
                    }),
                    Err(e) => return Err(fail("refund a cancelled order", &e)),
                }
            }
            Step::MarkPaid => changes.push(Change::MarkPaid),
            Step::MarkCaptured => changes.push(Change::MarkCaptured(now_ms())),
            Step::CancelOrder(why) => changes.push(Change::CancelOrder(why)),
            Step::SyncRefunds => {
                let refunds = self
                    .stripe
                    .refunds_of(id)
                    .await
                    .map_err(|e| fail("list the refunds", &e))?;
                let known: HashSet<&str> = order.refunds.iter().filter_map(|r| r.reference.as_deref()).collect();
                for r in refunds {
                    let made_here = r.metadata.contains_key("storefront_refund");
                    if !made_here && !known.contains(r.id.as_str()) {
                        changes.push(Change::RefundedOutside {
                            amount: r.amount,
                            reference: r.id,
                        });
                    }
                }
            }
            Step::WaitUntil(until) => return Err(Stop::Wait(until)),
            Step::Alarm(why) => return Err(Stop::Fail(why)),
        }
        Ok(())
    }

    /// Takes the held money, noting the order on the intent first (for Stripe's dashboard).
    async fn capture(&self, order: &Order, intent: &Intent) -> Result<(), Stop> {
        if !intent.metadata.contains_key(super::model::ORDER_KEY) {
            self.stripe
                .name_order(&intent.id, &order.number)
                .await
                .map_err(|e| fail("note the order on the payment", &e))?;
        }
        match self.stripe.capture(&intent.id, order.total.minor()).await {
            Ok(_) => {}
            // Captured by an earlier run whose outcome a crash lost: read it to be sure.
            Err(GatewayError::Rejected(_)) => {
                let now = self
                    .stripe
                    .intent(&intent.id)
                    .await
                    .map_err(|e| fail("read the payment", &e))?;
                if now.status != IntentStatus::Succeeded {
                    return Err(Stop::Fail(format!(
                        "Stripe refused to take the money held for order {} (the payment is {:?})",
                        order.number, now.status
                    )));
                }
            }
            Err(e) => return Err(fail("take the held money", &e)),
        }
        crate::telemetry::crash_point("payments.after_capture");
        Ok(())
    }
}

enum Stop {
    Wait(u64),
    Fail(String),
}

fn fail(what: &str, e: &GatewayError) -> Stop {
    Stop::Fail(format!("could not {what} at Stripe: {e}"))
}

fn done(changes: Vec<Change>, number: &str) -> Outcome {
    Outcome::Done(write(changes, number.to_owned()))
}

fn failed(why: String, changes: Vec<Change>, number: &str) -> Outcome {
    Outcome::Failed(why, write(changes, number.to_owned()))
}

fn write(changes: Vec<Change>, number: String) -> Effects {
    Box::new(move |tx| apply(tx, &number, changes))
}

/// Writes the changes to the order as it stands in this transaction: record changes first,
/// then status moves (which keep the status machine's rules and record their events).
fn apply(tx: &mut WriteTx<'_>, number: &str, changes: Vec<Change>) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let Some(mut order) = tx.order(number)? else {
        return Ok(());
    };
    let now = now_ms();
    let mut moves = Vec::new();
    for change in changes {
        match change {
            Change::MarkPaid => moves.push((Status::Paid, "the card payment went through".to_owned())),
            Change::CancelOrder(why) => moves.push((Status::Cancelled, why)),
            Change::MarkCaptured(at) => {
                order.payment.captured_ms.get_or_insert(at);
            }
            Change::Released => {
                for r in order.refunds.iter_mut().filter(|r| r.state == RefundState::Requested) {
                    r.state = RefundState::Done;
                    r.settled_ms = Some(now);
                    r.note = join_note(&r.note, "the card hold was released; no money had been taken");
                }
            }
            Change::RefundDone {
                id,
                amount,
                reference,
                new,
            } => {
                if new {
                    order.refunds.push(refund(
                        id,
                        amount,
                        &order,
                        "storefront",
                        "money taken for a cancelled order, given back",
                    ));
                }
                if let Some(r) = order.refunds.iter_mut().find(|r| r.id == id) {
                    r.state = RefundState::Done;
                    r.reference = Some(reference);
                    r.settled_ms = Some(now);
                }
            }
            Change::RefundFailed { id, reason } => {
                if let Some(r) = order.refunds.iter_mut().find(|r| r.id == id) {
                    r.state = RefundState::Failed;
                    r.failure = Some(reason);
                    r.settled_ms = Some(now);
                }
            }
            Change::RefundedOutside { amount, reference } => {
                if !order
                    .refunds
                    .iter()
                    .any(|r| r.reference.as_deref() == Some(reference.as_str()))
                {
                    let id = order.refunds.len() as u32 + 1;
                    let mut r = refund(id, amount, &order, "stripe", "refunded in Stripe's dashboard");
                    r.reference = Some(reference);
                    order.refunds.push(r);
                    if order.refundable().minor() == 0 {
                        moves.push((Status::Refunded, "refunded in full in Stripe's dashboard".to_owned()));
                    }
                }
            }
        }
    }
    tx.put_order(&order)?;
    for (to, note) in moves {
        let from = order.status;
        if from == to || !from.can_become(to, crate::orders::transition::was_paid(&order)) {
            continue;
        }
        let t = Transition {
            to,
            actor: "stripe".into(),
            note,
            shipment: None,
        };
        if let Ok(moved) = crate::store::split(crate::orders::transition(tx, number, t, now))? {
            order = moved;
        }
    }
    Ok(())
}

fn refund(id: u32, amount: i64, order: &Order, actor: &str, note: &str) -> Refund {
    let amount = crate::domain::Money::new(amount, order.currency);
    Refund::new(id, amount, RefundState::Done, actor, note, now_ms())
}

fn join_note(note: &str, more: &str) -> String {
    if note.is_empty() {
        more.to_owned()
    } else {
        format!("{note} ({more})")
    }
}
