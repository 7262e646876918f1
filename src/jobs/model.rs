//! Jobs as stored: what to do, how often it was tried, when to try next. Rules only, no I/O.

use std::time::Duration;

/// Something that happened to an order or a product, told to the merchant's mail and webhooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode)]
pub enum EventKind {
    OrderCreated,
    OrderPaid,
    OrderShipped,
    OrderCancelled,
    OrderRefunded,
    StockLow,
    ProductUpdated,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::OrderCreated,
        EventKind::OrderPaid,
        EventKind::OrderShipped,
        EventKind::OrderCancelled,
        EventKind::OrderRefunded,
        EventKind::StockLow,
        EventKind::ProductUpdated,
    ];

    /// The name webhooks carry as `type` and subscribe to.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::OrderCreated => "order.created",
            EventKind::OrderPaid => "order.paid",
            EventKind::OrderShipped => "order.shipped",
            EventKind::OrderCancelled => "order.cancelled",
            EventKind::OrderRefunded => "order.refunded",
            EventKind::StockLow => "stock.low",
            EventKind::ProductUpdated => "product.updated",
        }
    }

    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn is_about_an_order(self) -> bool {
        !matches!(self, EventKind::StockLow | EventKind::ProductUpdated)
    }
}

/// What happened to one order or product in one transaction (an order placed and paid is two
/// kinds, one job), written in that transaction. Running it fans it out into mails and webhook
/// deliveries, in one transaction.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Event {
    /// In the order they happened.
    pub kinds: Vec<EventKind>,
    /// The order number or the SKU.
    pub subject: String,
    pub at_ms: u64,
}

/// The mails the store sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum MailKind {
    OrderConfirmation,
    OrderShipped,
    OrderCancelled,
    OrderRefunded,
    /// To the merchant.
    NewOrder,
    /// To the merchant.
    LowStock,
}

impl MailKind {
    pub fn name(self) -> &'static str {
        match self {
            MailKind::OrderConfirmation => "order-confirmation",
            MailKind::OrderShipped => "order-shipped",
            MailKind::OrderCancelled => "order-cancelled",
            MailKind::OrderRefunded => "order-refunded",
            MailKind::NewOrder => "new-order",
            MailKind::LowStock => "low-stock",
        }
    }
}

/// One mail to send: rendered when sent, from the order or product as it then stands.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct MailTask {
    pub kind: MailKind,
    pub to: String,
    /// The order number or the SKU.
    pub subject: String,
}

/// One webhook delivery. The body is fixed when the event fans out, so every retry sends the
/// same bytes under the same event id (receivers deduplicate by it).
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Delivery {
    /// The endpoint's id (`config:0` for the first in the config, or a stored id).
    pub endpoint: String,
    pub url: String,
    pub event_id: String,
    pub event_type: String,
    /// The order number or SKU, for ordering per subject.
    pub subject: String,
    pub body: String,
}

/// Bring the gateway in step with an order: take held money once the order is placed, release
/// it when the order is cancelled first, make the refunds asked for, expire a card
/// confirmation the shopper never finished. Reads both sides each time, so it is safe to repeat.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct PaymentTask {
    pub order: String,
}

/// Tell the caches in front (Varnish, a CDN) that these products' pages changed. An empty
/// list (a change too large to name) purges every catalog page.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct PurgeTask {
    pub skus: Vec<String>,
}

/// What a job does.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum Task {
    Event(Event),
    Mail(MailTask),
    Webhook(Delivery),
    Payment(PaymentTask),
    Purge(PurgeTask),
}

/// Runs before lower priorities: payments before mail before webhooks before reports. Fanning
/// out an event only writes to the store, and mail waits for it, so it goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Event = 0,
    Payment = 1,
    Mail = 2,
    Webhook = 3,
    Report = 4,
}

impl Task {
    pub fn kind(&self) -> &'static str {
        match self {
            Task::Event(_) => "event",
            Task::Mail(_) => "mail",
            Task::Webhook(_) => "webhook",
            Task::Payment(_) => "payment",
            Task::Purge(_) => "purge",
        }
    }

    pub const KINDS: [&'static str; 5] = ["event", "mail", "webhook", "payment", "purge"];

    /// Runs inside a store transaction only (no I/O), so the runner batches such jobs.
    pub fn is_local(&self) -> bool {
        matches!(self, Task::Event(_))
    }

    pub fn priority(&self) -> Priority {
        match self {
            Task::Event(_) => Priority::Event,
            Task::Mail(_) => Priority::Mail,
            Task::Webhook(_) => Priority::Webhook,
            // Quick, and what keeps the caches in front right: with the payments.
            Task::Payment(_) | Task::Purge(_) => Priority::Payment,
        }
    }

    /// Jobs with the same key run one at a time in the order they were written: a webhook
    /// receiver hears of an order's events in the order they happened. (Events need no key:
    /// the runner fans out every due event in one transaction, in the order they were written.)
    pub fn ordering_key(&self) -> Option<String> {
        match self {
            Task::Event(_) | Task::Mail(_) => None,
            Task::Webhook(d) => Some(format!("hook:{}:{}", d.endpoint, d.subject)),
            Task::Payment(_) | Task::Purge(_) => None,
        }
    }

    /// The order or product the job is about.
    pub fn subject(&self) -> &str {
        match self {
            Task::Event(e) => &e.subject,
            Task::Mail(m) => &m.subject,
            Task::Webhook(d) => &d.subject,
            Task::Payment(p) => &p.order,
            Task::Purge(p) => p.skus.first().map_or("catalog", String::as_str),
        }
    }

    /// How long the job is retried before it is kept as dead: webhooks for three days (as the
    /// contract says), mail for two, events (a local write) a few hours.
    pub fn lifetime(&self) -> Duration {
        match self {
            Task::Event(_) => Duration::from_secs(6 * 3600),
            Task::Mail(_) => Duration::from_secs(2 * 24 * 3600),
            Task::Webhook(_) => Duration::from_secs(3 * 24 * 3600),
            // A card hold lasts seven days; after that a person must look anyway.
            Task::Payment(_) => Duration::from_secs(7 * 24 * 3600),
            // Past a page's max-age the caches have let it go anyway.
            Task::Purge(_) => Duration::from_secs(15 * 60),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Task::Event(e) => format!(
                "{} {}",
                e.kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" + "),
                e.subject
            ),
            Task::Mail(m) => format!("{} mail for {} to {}", m.kind.name(), m.subject, m.to),
            Task::Webhook(d) => format!("{} {} to {}", d.event_type, d.subject, d.url),
            Task::Payment(p) => format!("settle the payment of order {} with the gateway", p.order),
            Task::Purge(p) if p.skus.is_empty() => "purge every catalog page from the caches in front".into(),
            Task::Purge(p) => format!("purge the pages of {} products from the caches in front", p.skus.len()),
        }
    }
}

/// A job in the queue (or kept as dead).
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Job {
    pub id: u64,
    pub task: Task,
    pub created_ms: u64,
    /// Not before this time (a retry waits out its backoff).
    pub run_at_ms: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Set when the job was given up.
    pub dead_ms: Option<u64>,
}

/// Where a job stands, as the back office and the API name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for its first run.
    Queued,
    /// A worker has it now.
    Running,
    /// Tried, failed, and waiting for its next try.
    Failed,
    /// Given up after its last try; kept for a person to retry or discard.
    Dead,
}

impl State {
    pub const ALL: [State; 4] = [State::Queued, State::Running, State::Failed, State::Dead];

    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Failed => "failed",
            State::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == text)
    }
}

impl Job {
    pub fn new(id: u64, task: Task, now_ms: u64) -> Job {
        Job {
            id,
            task,
            created_ms: now_ms,
            run_at_ms: now_ms,
            attempts: 0,
            last_error: None,
            dead_ms: None,
        }
    }

    /// Its state, given whether a worker holds it now.
    pub fn state(&self, running: bool) -> State {
        match (self.dead_ms, running, self.attempts) {
            (Some(_), _, _) => State::Dead,
            (None, true, _) => State::Running,
            (None, false, 0) => State::Queued,
            (None, false, _) => State::Failed,
        }
    }

    /// After a failed try: the next try's time, or `None` when the job is to be given up.
    pub fn next_try(&self, now_ms: u64, backoff: &Backoff, jitter: f64) -> Option<u64> {
        let age = Duration::from_millis(now_ms.saturating_sub(self.created_ms));
        if age >= self.task.lifetime() || self.attempts >= backoff.max_attempts {
            return None;
        }
        Some(now_ms + backoff.delay(self.attempts, jitter).as_millis() as u64)
    }
}

/// How long a failed job waits before its next try.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(600),
            max_attempts: 1_000,
        }
    }
}

impl Backoff {
    /// Doubles from `first` after each of `attempts` tries, up to `max`; `jitter` in [0, 1)
    /// spreads the retries of a storm over the upper half of that wait, so a mail server that
    /// comes back is not hit by every waiting mail in the same second.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let full = self.first.saturating_mul(1u32 << doublings).min(self.max);
        full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Task {
        Task::Mail(MailTask {
            kind: MailKind::OrderConfirmation,
            to: "a@example.com".into(),
            subject: "K7MX-3Q9D".into(),
        })
    }

    #[test]
    fn the_wait_doubles_after_each_try_up_to_the_cap_and_jitter_spreads_it_over_the_upper_half() {
        let b = Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(60),
            max_attempts: 100,
        };
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(2, 1.0), Duration::from_secs(4));
        assert_eq!(b.delay(5, 1.0), Duration::from_secs(32));
        assert_eq!(b.delay(6, 1.0), Duration::from_secs(60));
        assert_eq!(b.delay(500, 1.0), Duration::from_secs(60));
        assert_eq!(b.delay(2, 0.0), Duration::from_secs(2));
        for attempts in 1..40 {
            let (low, high) = (b.delay(attempts, 0.0), b.delay(attempts, 0.999));
            assert!(low <= high && high <= b.max, "{attempts}: {low:?} {high:?}");
        }
    }

    #[test]
    fn a_job_is_given_up_after_its_lifetime_or_its_last_attempt() {
        let b = Backoff::default();
        let mut job = Job::new(1, mail(), 0);
        job.attempts = 1;
        assert!(job.next_try(1_000, &b, 0.5).is_some());
        let two_days = 2 * 24 * 3600 * 1000;
        assert_eq!(job.next_try(two_days, &b, 0.5), None, "mail is retried for two days");
        job.attempts = b.max_attempts;
        assert_eq!(job.next_try(1_000, &b, 0.5), None);
    }

    #[test]
    fn state_follows_tries_and_the_worker() {
        let mut job = Job::new(1, mail(), 0);
        assert_eq!(job.state(false), State::Queued);
        assert_eq!(job.state(true), State::Running);
        job.attempts = 1;
        assert_eq!(job.state(false), State::Failed);
        job.dead_ms = Some(5);
        assert_eq!(job.state(false), State::Dead);
        for s in State::ALL {
            assert_eq!(State::parse(s.name()), Some(s));
        }
    }

    #[test]
    fn webhooks_keep_order_per_endpoint_and_subject_and_mail_does_not_wait() {
        let hook = |endpoint: &str, subject: &str| {
            Task::Webhook(Delivery {
                endpoint: endpoint.into(),
                url: "http://x".into(),
                event_id: "e".into(),
                event_type: "order.created".into(),
                subject: subject.into(),
                body: "{}".into(),
            })
        };
        assert_eq!(hook("a", "N1").ordering_key(), hook("a", "N1").ordering_key());
        assert_ne!(hook("a", "N1").ordering_key(), hook("b", "N1").ordering_key());
        assert_ne!(hook("a", "N1").ordering_key(), hook("a", "N2").ordering_key());
        assert_eq!(mail().ordering_key(), None);
        assert!(mail().priority() < hook("a", "N1").priority());
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.name()), Some(kind));
        }
    }
}
