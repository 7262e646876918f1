//! Reconciliation: every few seconds, the store's recent PaymentIntents are compared with the
//! orders. A hold or charge that no order owns (a crash between the hold and the order's write,
//! or a release that failed) is released or refunded; an order whose payment disagrees with it
//! gets its settle job. The first pass runs as the server starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::model::{GatewayError, Intent, Orphan, disagree, may_be_in_flight, orphan};
use super::stripe::Stripe;
use crate::domain::now_ms;
use crate::orders::Order;
use crate::store::{Store, Writer};
use crate::telemetry::metrics as m;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub seen: usize,
    pub released: usize,
    pub refunded: usize,
    pub settling: usize,
}

pub struct Reconciler {
    stripe: Stripe,
    store: Store,
    writer: Arc<Writer>,
    started_s: u64,
    /// How long an intent without an order may be a checkout still writing its order.
    grace_s: u64,
    /// Intents created before this (unix seconds) were all looked at by an earlier pass.
    since_s: Mutex<u64>,
    /// Orders whose settle job this process filed recently, not to file one every pass.
    filed: Mutex<HashMap<String, u64>>,
}

/// How far back the first pass looks (a hold lasts seven days; a crash is found at the start).
const FIRST_LOOKBACK_S: u64 = 7 * 24 * 3600;
/// Later passes look back this far past the previous one.
const OVERLAP_S: u64 = 600;
const PAGE: u32 = 100;

impl Reconciler {
    pub fn new(stripe: Stripe, store: Store, writer: Arc<Writer>, timeout: Duration) -> Arc<Reconciler> {
        let now = now_ms() / 1000;
        Arc::new(Reconciler {
            stripe,
            store,
            writer,
            started_s: now,
            grace_s: timeout.as_secs() + 20,
            since_s: Mutex::new(now.saturating_sub(FIRST_LOOKBACK_S)),
            filed: Mutex::new(HashMap::new()),
        })
    }

    /// One pass over the intents created since the last pass (with an overlap).
    pub async fn pass(&self) -> Result<Pass, GatewayError> {
        let started = now_ms() / 1000;
        let since = *self.since_s.lock().unwrap_or_else(|e| e.into_inner());
        let mut pass = Pass::default();
        let mut oldest_waiting = None::<u64>;
        let mut after: Option<String> = None;
        loop {
            let page = self.stripe.intents(after.as_deref(), PAGE).await?;
            let newest_first = page.data.windows(2).all(|w| w[0].created >= w[1].created);
            let all_older = page.data.iter().all(|i| i.created < since) && !page.data.is_empty();
            let ours: Vec<&Intent> = page.data.iter().filter(|i| i.created >= since && i.is_ours()).collect();
            // The page's owners in one read of the store, not one per intent.
            let owners = self.owners(&ours).await?;
            for (intent, owner) in ours.into_iter().zip(owners) {
                pass.seen += 1;
                if !self.look_at(intent, owner, &mut pass).await? {
                    oldest_waiting = Some(oldest_waiting.map_or(intent.created, |o| o.min(intent.created)));
                }
            }
            after = page.data.last().map(|i| i.id.clone());
            // Stripe lists the newest first: a page wholly older than `since` ends the pass.
            if !page.has_more || after.is_none() || (all_older && newest_first) {
                break;
            }
        }
        let next = oldest_waiting.unwrap_or(started).min(started).saturating_sub(OVERLAP_S);
        *self.since_s.lock().unwrap_or_else(|e| e.into_inner()) = next.max(since);
        Ok(pass)
    }

    /// The order each intent paid for, if any, from one snapshot.
    async fn owners(&self, intents: &[&Intent]) -> Result<Vec<Option<Order>>, GatewayError> {
        let store = self.store.clone();
        let ids: Vec<String> = intents.iter().map(|i| i.id.clone()).collect();
        tokio::task::spawn_blocking(move || {
            let read = store.read()?;
            ids.iter()
                .map(|id| match read.order_number_by_payment(id)? {
                    Some(number) => read.order(&number),
                    None => Ok(None),
                })
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await
        .map_err(|_| GatewayError::Unavailable("reading the store panicked".into()))?
        .map_err(|e| GatewayError::Unavailable(format!("cannot read the store: {e}")))
    }

    /// Settles one intent; false when it must be looked at again (it may be in flight).
    async fn look_at(&self, intent: &Intent, owner: Option<Order>, pass: &mut Pass) -> Result<bool, GatewayError> {
        match owner {
            Some(order) => {
                if disagree(&order, intent) && self.file_settle(&order.number).await {
                    pass.settling += 1;
                }
                Ok(true)
            }
            None => self.orphan(intent, pass).await,
        }
    }

    async fn orphan(&self, intent: &Intent, pass: &mut Pass) -> Result<bool, GatewayError> {
        let now_s = now_ms() / 1000;
        if may_be_in_flight(intent.created, now_s, self.started_s, self.grace_s) {
            return Ok(false);
        }
        match orphan(intent) {
            Orphan::Release => {
                tracing::warn!(intent = %intent.id, "a card hold without an order: releasing it");
                match self.stripe.cancel(&intent.id).await {
                    Ok(_) | Err(GatewayError::Rejected(_)) => {}
                    Err(e) => return Err(e),
                }
                metrics::counter!(m::PAYMENT_RECONCILED, "action" => "released").increment(1);
                pass.released += 1;
            }
            Orphan::Refund => {
                tracing::warn!(intent = %intent.id, "money taken without an order: refunding it");
                let key = format!("orphan-{}", intent.id);
                match self.stripe.refund(&intent.id, intent.amount, &key).await {
                    Ok(_) | Err(GatewayError::Rejected(_)) => {}
                    Err(e) => return Err(e),
                }
                metrics::counter!(m::PAYMENT_RECONCILED, "action" => "refunded").increment(1);
                pass.refunded += 1;
            }
            Orphan::Leave => {}
        }
        Ok(true)
    }

    /// Files the order's settle job unless this process did in the last minute.
    async fn file_settle(&self, number: &str) -> bool {
        let now = now_ms();
        {
            let mut filed = self.filed.lock().unwrap_or_else(|e| e.into_inner());
            filed.retain(|_, at| now.saturating_sub(*at) < 60_000);
            if filed.contains_key(number) {
                return false;
            }
            filed.insert(number.to_owned(), now);
        }
        let number = number.to_owned();
        let filed = self
            .writer
            .run(move |tx| crate::jobs::settle_payment(tx, &number, now))
            .await;
        if filed.is_ok() {
            metrics::counter!(m::PAYMENT_RECONCILED, "action" => "settle").increment(1);
        }
        filed.is_ok()
    }
}
