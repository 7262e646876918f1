//! Payments through a gateway, as rules: what an intent's state means for its order, what to do
//! to bring the two in step, and when the circuit breaker lets a call through. No I/O.

use serde::Deserialize;

use crate::orders::{Order, RefundState, Status};

/// A Stripe PaymentIntent, as far as the store reads it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    #[serde(default)]
    pub currency: String,
    /// Unix seconds, the gateway's clock.
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub last_payment_error: Option<GatewayMessage>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GatewayMessage {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl GatewayMessage {
    pub fn text(&self) -> String {
        self.message
            .clone()
            .or_else(|| self.code.clone())
            .unwrap_or_else(|| "no reason given".into())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    #[serde(other)]
    Unknown,
}

/// The metadata key that marks an intent as this store's (its value identifies the checkout).
pub const CHECKOUT_KEY: &str = "storefront_checkout";
/// The metadata key of the order an intent paid for (set before the money is taken).
pub const ORDER_KEY: &str = "order_number";

impl Intent {
    /// Whether this store made it (another system may share the Stripe account).
    pub fn is_ours(&self) -> bool {
        self.metadata.contains_key(CHECKOUT_KEY)
    }
}

/// A gateway refund.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GatewayRefund {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// Why a gateway call did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The card was declined: nothing was taken.
    #[error("{0}")]
    Declined(String),
    /// The gateway understood and refused (already captured, an unknown id, a bad key).
    #[error("{0}")]
    Rejected(String),
    /// No usable answer: a timeout, a refused connection, a 5xx or 429. Worth retrying, and
    /// counted by the circuit breaker.
    #[error("{0}")]
    Unavailable(String),
}

/// One call the settle job makes, or one change it writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Take the held money (the order is placed and live).
    Capture,
    /// Give the hold back (the order was cancelled before the money was taken, or was never
    /// finished); refunds asked for are then done, as nothing was taken.
    Release,
    /// Send this refund to the gateway; `new` when the order has no record of it yet (money
    /// taken for an order that was cancelled before it was paid).
    Refund { id: u32, amount: i64, new: bool },
    /// The gateway has the money (or holds it) for a pending order: the order is paid.
    MarkPaid,
    /// Record that the money was taken.
    MarkCaptured,
    /// The payment will not happen: cancel the order (its stock returns).
    CancelOrder(String),
    /// Pull refunds made outside the store (Stripe's dashboard) into the order.
    SyncRefunds,
    /// Wait until this time (a shopper is confirming the card with the bank).
    WaitUntil(u64),
    /// Gateway and order disagree in a way no rule fixes: a person must look.
    Alarm(String),
}

/// How long a shopper has to finish confirming a card (3-D Secure) before the order is
/// cancelled and its stock returns.
pub const ACTION_WINDOW_MS: u64 = 60 * 60 * 1000;

/// What to do to bring `intent` in step with `order`, in order.
pub fn plan(order: &Order, intent: &Intent, now_ms: u64) -> Vec<Step> {
    use IntentStatus::*;
    let live_paid = matches!(order.status, Status::Paid | Status::Fulfilled | Status::Shipped);
    let ended = matches!(order.status, Status::Cancelled | Status::Refunded);
    let requested: Vec<Step> = order
        .refunds
        .iter()
        .filter(|r| r.state == RefundState::Requested)
        .map(|r| Step::Refund {
            id: r.id,
            amount: r.amount.minor(),
            new: false,
        })
        .collect();
    match intent.status {
        RequiresCapture if ended => vec![Step::Release],
        RequiresCapture if order.status == Status::Pending => vec![Step::Capture, Step::MarkPaid, Step::MarkCaptured],
        RequiresCapture => vec![Step::Capture, Step::MarkCaptured],
        Succeeded => {
            let mut steps = Vec::new();
            if order.status == Status::Pending {
                steps.push(Step::MarkPaid);
            }
            if order.payment.captured_ms.is_none() {
                steps.push(Step::MarkCaptured);
            }
            let failed = order.refunds.iter().any(|r| r.state == RefundState::Failed);
            if ended && requested.is_empty() && !failed && order.refundable().minor() > 0 {
                // A cancelled order keeps no money.
                steps.push(Step::Refund {
                    id: order.refunds.len() as u32 + 1,
                    amount: order.refundable().minor(),
                    new: true,
                });
            }
            steps.extend(requested);
            steps.push(Step::SyncRefunds);
            steps
        }
        RequiresAction | RequiresConfirmation | RequiresPaymentMethod | Processing if live_paid => {
            vec![Step::Alarm(format!(
                "order {} is {} but its payment is {:?}",
                order.number, order.status, intent.status
            ))]
        }
        RequiresAction | RequiresConfirmation | Processing if order.status == Status::Pending => {
            let deadline = order.created_ms + ACTION_WINDOW_MS;
            if now_ms >= deadline {
                vec![
                    Step::Release,
                    Step::CancelOrder("the card was not confirmed within an hour".into()),
                ]
            } else {
                vec![Step::WaitUntil(deadline)]
            }
        }
        RequiresPaymentMethod if order.status == Status::Pending => vec![
            Step::Release,
            Step::CancelOrder(match &intent.last_payment_error {
                Some(e) => format!("the payment failed: {}", e.text()),
                None => "the payment failed".into(),
            }),
        ],
        RequiresAction | RequiresConfirmation | RequiresPaymentMethod | Processing => vec![Step::Release],
        Canceled if order.status == Status::Pending => {
            vec![Step::CancelOrder("the card payment was cancelled".into())]
        }
        Canceled if order.status == Status::Paid && order.payment.captured_ms.is_none() => vec![Step::CancelOrder(
            "the card hold was released before the money was taken".into(),
        )],
        Canceled if live_paid && order.payment.captured_ms.is_none() => vec![Step::Alarm(format!(
            "order {} is {} but its card hold was released and no money was taken",
            order.number, order.status
        ))],
        // Released already: refunds asked for are done, as nothing had been taken.
        Canceled if !requested.is_empty() => vec![Step::Release],
        Canceled => Vec::new(),
        Unknown => vec![Step::Alarm(format!(
            "the payment of order {} is in a state this build does not know",
            order.number
        ))],
    }
}

/// An intent that no order owns: what to do with it, if anything yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Orphan {
    /// Money held or being confirmed without an order: give it back.
    Release,
    /// Money taken without an order: refund it all.
    Refund,
    /// Nothing held, or nothing to do.
    Leave,
}

/// An intent older than `grace` (or made before this process started, when no checkout of
/// this process can still be writing its order) without an order is an orphan of a crash or
/// of a checkout refused after its authorization.
pub fn orphan(intent: &Intent) -> Orphan {
    use IntentStatus::*;
    match intent.status {
        RequiresCapture | RequiresAction | RequiresConfirmation | RequiresPaymentMethod => Orphan::Release,
        Succeeded => Orphan::Refund,
        Processing | Canceled | Unknown => Orphan::Leave,
    }
}

/// Whether an intent without an order may be an in-flight checkout still: made by this
/// process less than `grace_s` ago.
pub fn may_be_in_flight(intent_created_s: u64, now_s: u64, started_s: u64, grace_s: u64) -> bool {
    intent_created_s + 2 >= started_s && now_s < intent_created_s + grace_s
}

/// Whether order and intent disagree, so a settle job should run (cheap, for reconciliation).
pub fn disagree(order: &Order, intent: &Intent) -> bool {
    plan(order, intent, 0)
        .iter()
        .any(|s| !matches!(s, Step::SyncRefunds | Step::WaitUntil(_)))
}

/// The circuit breaker in front of a gateway: after `opens_after` failures in a row it refuses
/// calls for `cooldown_ms`, then lets one call through (half-open); its success closes it, its
/// failure opens it again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    failures: u32,
    open_until_ms: u64,
    probing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permit {
    Go,
    /// The one call of the half-open breaker.
    Probe,
    Refuse,
}

pub const OPENS_AFTER: u32 = 5;
pub const COOLDOWN_MS: u64 = 5_000;

impl Breaker {
    pub fn permit(&mut self, now_ms: u64) -> Permit {
        if self.failures < OPENS_AFTER {
            return Permit::Go;
        }
        if now_ms < self.open_until_ms || self.probing {
            return Permit::Refuse;
        }
        self.probing = true;
        Permit::Probe
    }

    pub fn is_open(&self, now_ms: u64) -> bool {
        self.failures >= OPENS_AFTER && (now_ms < self.open_until_ms || self.probing)
    }

    pub fn succeeded(&mut self) {
        *self = Breaker::default();
    }

    pub fn failed(&mut self, now_ms: u64) {
        self.failures = self.failures.saturating_add(1);
        self.probing = false;
        if self.failures >= OPENS_AFTER {
            self.open_until_ms = now_ms + COOLDOWN_MS;
        }
    }

    /// A call that neither succeeded nor failed (a declined card) ends a probe like a success:
    /// the gateway answered.
    pub fn answered(&mut self) {
        self.succeeded();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Money};
    use crate::orders::{Address, PaymentRecord, Refund};

    fn order(status: Status, captured: bool, refunds: Vec<Refund>) -> Order {
        let usd = |m| Money::new(m, Currency::USD);
        Order {
            number: "K7MX-3Q9D".into(),
            token: "t".into(),
            status,
            created_ms: 1_000,
            email: "a@example.com".into(),
            address: Address::default(),
            lines: Vec::new(),
            currency: Currency::USD,
            subtotal: usd(2_000),
            discount: usd(0),
            promo: None,
            shipping_method: "standard".into(),
            shipping_name: "Standard".into(),
            shipping: usd(0),
            tax_name: None,
            tax: usd(0),
            total: usd(2_000),
            payment: PaymentRecord {
                method: "stripe".into(),
                reference: Some("pi_1".into()),
                captured_ms: captured.then_some(2_000),
            },
            vehicle: None,
            shipment: None,
            restocked: false,
            history: Vec::new(),
            refunds,
        }
    }

    fn intent(status: IntentStatus) -> Intent {
        Intent {
            id: "pi_1".into(),
            status,
            amount: 2_000,
            currency: "usd".into(),
            created: 1,
            client_secret: None,
            metadata: Default::default(),
            last_payment_error: None,
        }
    }

    const INTENT_STATES: [IntentStatus; 8] = [
        IntentStatus::RequiresPaymentMethod,
        IntentStatus::RequiresConfirmation,
        IntentStatus::RequiresAction,
        IntentStatus::Processing,
        IntentStatus::RequiresCapture,
        IntentStatus::Canceled,
        IntentStatus::Succeeded,
        IntentStatus::Unknown,
    ];

    /// Every order status, taken or not, against every intent state: the rules that make "no
    /// charge without an order, no paid order without a charge" hold whatever the two say.
    #[test]
    fn the_plan_never_takes_money_for_an_ended_order_and_never_leaves_a_paid_order_without_it() {
        for status in Status::ALL {
            for captured in [false, true] {
                for state in INTENT_STATES {
                    let o = order(status, captured, Vec::new());
                    let steps = plan(&o, &intent(state), 10_000);
                    let has = |s: &Step| steps.contains(s);
                    let ended = matches!(status, Status::Cancelled | Status::Refunded);
                    let live = matches!(status, Status::Paid | Status::Fulfilled | Status::Shipped);
                    let case = format!("{status:?} captured={captured} {state:?}: {steps:?}");
                    if ended {
                        assert!(!has(&Step::Capture) && !has(&Step::MarkPaid), "{case}");
                    }
                    if state == IntentStatus::RequiresCapture {
                        assert!(
                            has(&Step::Capture) || has(&Step::Release),
                            "a hold is taken or given back: {case}"
                        );
                        assert_eq!(has(&Step::Capture), !ended, "{case}");
                    }
                    if live && !captured && state == IntentStatus::Canceled {
                        assert!(
                            steps.iter().any(|s| matches!(s, Step::CancelOrder(_) | Step::Alarm(_))),
                            "a paid order whose hold is gone is cancelled or flagged: {case}"
                        );
                    }
                    if ended && state == IntentStatus::Succeeded {
                        assert!(
                            steps.iter().any(|s| matches!(s, Step::Refund { new: true, .. })),
                            "a cancelled order keeps no money: {case}"
                        );
                    }
                    if status == Status::Pending
                        && matches!(state, IntentStatus::RequiresCapture | IntentStatus::Succeeded)
                    {
                        assert!(has(&Step::MarkPaid), "{case}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_unconfirmed_card_waits_an_hour_then_the_order_is_cancelled_and_the_hold_released() {
        let o = order(Status::Pending, false, Vec::new());
        let waiting = plan(&o, &intent(IntentStatus::RequiresAction), 1_000 + 60_000);
        assert_eq!(waiting, vec![Step::WaitUntil(1_000 + ACTION_WINDOW_MS)]);
        let late = plan(&o, &intent(IntentStatus::RequiresAction), 1_000 + ACTION_WINDOW_MS);
        assert_eq!(late[0], Step::Release);
        assert!(matches!(late[1], Step::CancelOrder(_)));
    }

    #[test]
    fn an_orphan_hold_is_released_an_orphan_charge_refunded_and_a_young_one_left_for_its_checkout() {
        assert_eq!(orphan(&intent(IntentStatus::RequiresCapture)), Orphan::Release);
        assert_eq!(orphan(&intent(IntentStatus::Succeeded)), Orphan::Refund);
        assert_eq!(orphan(&intent(IntentStatus::Canceled)), Orphan::Leave);
        // Made by this process 5 s ago, grace 24 s: maybe its checkout is still writing.
        assert!(may_be_in_flight(995, 1_000, 900, 24));
        assert!(!may_be_in_flight(970, 1_000, 900, 24));
        // Made before this process started: no checkout of this process made it.
        assert!(!may_be_in_flight(890, 900, 900, 24));
    }

    #[test]
    fn the_breaker_opens_after_five_failures_lets_one_probe_through_after_the_pause_and_closes_on_its_success() {
        let mut b = Breaker::default();
        for _ in 0..OPENS_AFTER - 1 {
            b.failed(0);
            assert_eq!(b.permit(0), Permit::Go);
        }
        b.failed(0);
        assert!(b.is_open(0));
        assert_eq!(b.permit(COOLDOWN_MS - 1), Permit::Refuse);
        assert_eq!(b.permit(COOLDOWN_MS), Permit::Probe);
        assert_eq!(b.permit(COOLDOWN_MS), Permit::Refuse, "one probe at a time");
        b.failed(COOLDOWN_MS);
        assert_eq!(
            b.permit(COOLDOWN_MS + 1),
            Permit::Refuse,
            "a failed probe opens it again"
        );
        assert_eq!(b.permit(2 * COOLDOWN_MS), Permit::Probe);
        b.succeeded();
        assert!(!b.is_open(2 * COOLDOWN_MS));
        assert_eq!(b.permit(2 * COOLDOWN_MS), Permit::Go);
    }
}
