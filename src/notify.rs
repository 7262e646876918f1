//! What the store's jobs do: fan an event out into mails and webhook deliveries (in the
//! transaction that takes the event off the queue), send a mail, deliver a webhook. The job
//! runner calls it; every step is safe to repeat after a crash (a mail keeps its Message-ID and
//! a delivery its event id, so a repeat can be recognised).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::domain::{format_utc, now_ms};
use crate::jobs::{Delivery, Event, EventKind, Handler, Job, LocalRound, MailKind, MailTask, Outcome, Running, Task};
use crate::mail::{MailRecord, Mailer, Rendered, templates};
use crate::orders::{Order, Status};
use crate::store::{ReadTx, Store, StoreError};
use crate::telemetry::metrics as m;
use crate::webhooks::{Breaker, DeliveryRecord, Endpoint};

/// What the notifier needs from the config.
#[derive(Clone, Debug, Default)]
pub struct NotifySettings {
    pub shop_name: String,
    /// Links in mail start with this (`https://shop.example.com`).
    pub base_url: String,
    /// The merchant's address for new-order notices and low-stock alerts.
    pub merchant_to: Option<String>,
    /// `[[webhooks]]` of the config (ids `config:0`, `config:1`, …).
    pub endpoints: Vec<Endpoint>,
    /// The shop's low-stock threshold, for the alert's words.
    pub low_stock: u64,
}

pub struct Notifier {
    store: Store,
    mailer: Mailer,
    settings: NotifySettings,
    http: reqwest::Client,
    breakers: Mutex<HashMap<String, Breaker>>,
}

/// How long a webhook receiver may take to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

impl Notifier {
    pub fn new(store: Store, mailer: Mailer, settings: NotifySettings) -> anyhow::Result<Arc<Notifier>> {
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storefront-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Arc::new(Notifier {
            store,
            mailer,
            settings,
            http,
            breakers: Mutex::new(HashMap::new()),
        }))
    }

    /// Whether an endpoint's breaker is open now (for the back office).
    pub fn breaker_open(&self, endpoint: &str) -> bool {
        self.breakers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(endpoint)
            .is_some_and(|b| b.is_open(now_ms()))
    }

    pub fn config_endpoints(&self) -> &[Endpoint] {
        &self.settings.endpoints
    }
}

impl Handler for Arc<Notifier> {
    fn run(&self, job: Job) -> Running {
        let this = self.clone();
        Box::pin(async move {
            match job.task.clone() {
                Task::Mail(mail) => this.send_mail(&job, mail).await,
                Task::Webhook(delivery) => this.deliver(&job, delivery).await,
                Task::Event(_) => Outcome::Failed("an event runs with the local jobs".into(), Box::new(|_| Ok(()))),
                Task::Payment(_) | Task::Purge(_) => {
                    Outcome::Failed("run by other workers".into(), Box::new(|_| Ok(())))
                }
            }
        })
    }

    /// Fans out, from one read snapshot, the orders placed since the last round (the orders
    /// table is the outbox of `order.created`) and the due events; the writer then only files
    /// the jobs made, and moves the log's mark only if no other round moved it meanwhile.
    fn run_local(&self, jobs: Vec<Job>) -> Result<LocalRound, StoreError> {
        let read = self.store.read()?;
        let mut endpoints = self.settings.endpoints.clone();
        endpoints.extend(read.endpoints()?);
        let told = read.orders_told()?;
        let placed = match told {
            Some(told) => read.orders_after(told, ORDER_LOG_BATCH)?,
            None => Vec::new(),
        };
        let told_now = placed.last().map(|(seq, _)| *seq).or(told);
        let mut from_log = Vec::new();
        for (seq, order) in &placed {
            let mut kinds = vec![EventKind::OrderCreated];
            if order.history.first().is_some_and(|h| h.to == Status::Paid) {
                kinds.push(EventKind::OrderPaid);
            }
            let event = Event {
                kinds,
                subject: order.number.clone(),
                at_ms: order.created_ms,
            };
            from_log.extend(fan_out(
                &format!("evt_o{seq}"),
                &event,
                order_data(order),
                &self.settings,
                &endpoints,
            ));
        }
        let first = match (told, told_now) {
            (Some(before), Some(after)) if after > before => Some(file_from_log(before, after, from_log)),
            _ => None,
        };
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let Task::Event(event) = &job.task else { continue };
            let about_an_order = event.kinds.first().is_some_and(|k| k.is_about_an_order());
            if about_an_order && told_now.is_none_or(|t| read.order_sequence(&event.subject).is_ok_and(|s| s > t)) {
                // Its order's placement is not told yet: this event waits, to come after it.
                outcomes.push((job, Outcome::NotNow(now_ms() + 200)));
                continue;
            }
            let data = match about_an_order {
                true => match read.order(&event.subject)? {
                    Some(order) => order_data(&order),
                    None => continue,
                },
                false => product_data(&read, &event.subject, self.settings.low_stock)?,
            };
            let tasks = fan_out(&format!("evt_{}", job.id), event, data, &self.settings, &endpoints);
            let now = now_ms();
            let file: crate::jobs::Effects = Box::new(move |tx| {
                for task in tasks {
                    tx.enqueue(task, now)?;
                }
                Ok(())
            });
            outcomes.push((job, Outcome::Done(file)));
        }
        Ok(LocalRound { first, outcomes })
    }
}

/// Orders told per round.
const ORDER_LOG_BATCH: usize = 2_000;

/// Files the jobs of the orders placed after `before` up to `after`, and moves the mark; a
/// round that finds the mark moved (by another round) files nothing. With events off
/// (`[jobs] record_events = false`) the mark moves and nothing is filed.
fn file_from_log(before: u64, after: u64, tasks: Vec<Task>) -> crate::jobs::Effects {
    Box::new(move |tx| {
        if tx.orders_told()? != Some(before) {
            return Ok(());
        }
        if tx.events_recorded()? {
            let now = now_ms();
            for task in tasks {
                tx.enqueue(task, now)?;
            }
        }
        tx.set_orders_told(after)
    })
}

/// The mails and webhook deliveries an event causes (each kind's event id is `{id}_{n}`).
fn fan_out(id: &str, event: &Event, data: Value, settings: &NotifySettings, endpoints: &[Endpoint]) -> Vec<Task> {
    let mut tasks = Vec::new();
    for (n, kind) in event.kinds.iter().enumerate() {
        tasks.extend(
            mails_for(*kind, &event.subject, &data, settings)
                .into_iter()
                .map(Task::Mail),
        );
        let name = kind.name();
        let event_id = format!("{id}_{n}");
        let body = json!({
            "id": event_id,
            "type": name,
            "created": event.at_ms / 1000,
            "data": data,
        })
        .to_string();
        for endpoint in endpoints.iter().filter(|e| e.wants(name)) {
            tasks.push(Task::Webhook(Delivery {
                endpoint: endpoint.id.clone(),
                url: endpoint.url.clone(),
                event_id: event_id.clone(),
                event_type: name.to_owned(),
                subject: event.subject.clone(),
                body: body.clone(),
            }));
        }
    }
    tasks
}

fn mails_for(event: EventKind, subject: &str, data: &Value, settings: &NotifySettings) -> Vec<MailTask> {
    let shopper = data.get("email").and_then(Value::as_str).unwrap_or_default().to_owned();
    let to_shopper = |kind| MailTask {
        kind,
        to: shopper.clone(),
        subject: subject.to_owned(),
    };
    let to_merchant = |kind| {
        settings.merchant_to.clone().map(|to| MailTask {
            kind,
            to,
            subject: subject.to_owned(),
        })
    };
    match event {
        EventKind::OrderCreated => [
            Some(to_shopper(MailKind::OrderConfirmation)),
            to_merchant(MailKind::NewOrder),
        ]
        .into_iter()
        .flatten()
        .collect(),
        EventKind::OrderShipped => vec![to_shopper(MailKind::OrderShipped)],
        EventKind::OrderCancelled => vec![to_shopper(MailKind::OrderCancelled)],
        EventKind::OrderRefunded => vec![to_shopper(MailKind::OrderRefunded)],
        EventKind::StockLow => to_merchant(MailKind::LowStock).into_iter().collect(),
        EventKind::OrderPaid | EventKind::ProductUpdated => Vec::new(),
    }
}

/// An order as webhooks carry it (the field names of the order API).
fn order_data(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({"sku": l.sku, "title": l.title, "quantity": l.quantity,
                "unit_price_cents": l.unit_price.minor(), "line_total_cents": l.line_total.minor()})
        })
        .collect();
    json!({
        "order_number": o.number,
        "status": o.status.as_str(),
        "placed_at": format_utc(o.created_ms),
        "email": o.email,
        "currency": o.currency.to_string(),
        "lines": lines,
        "subtotal_cents": o.subtotal.minor(),
        "shipping_cents": o.shipping.minor(),
        "tax_cents": o.tax.minor(),
        "total_cents": o.total.minor(),
        "shipment": o.shipment,
        "vehicle": o.vehicle,
    })
}

fn product_data(read: &ReadTx, sku: &str, default_low_stock: u64) -> Result<Value, StoreError> {
    let product = read.product(sku)?;
    let threshold = read.low_stock_threshold(sku)?.unwrap_or(default_low_stock);
    Ok(json!({
        "sku": sku,
        "title": product.as_ref().map(|p| p.title.clone()),
        "price_cents": product.as_ref().map(|p| p.price.minor()),
        "stock": read.stock(sku)?,
        "low_stock": threshold,
        "deleted": product.is_none(),
    }))
}

impl Notifier {
    async fn send_mail(&self, job: &Job, task: MailTask) -> Outcome {
        let rendered = match self.render(&task).await {
            Ok(Some(r)) => r,
            Ok(None) => return Outcome::Done(Box::new(|_| Ok(()))), // its order or product is gone
            Err(e) => return Outcome::Failed(e.to_string(), Box::new(|_| Ok(()))),
        };
        let message_id = format!(
            "<{}.{}.{}@storefront>",
            task.kind.name(),
            sanitize(&task.subject),
            job.id
        );
        let outbox = self.mailer.is_outbox();
        if let Err(e) = self.mailer.send(&task.to, &rendered, &message_id).await {
            metrics::counter!(m::MAILS_SENT, "kind" => task.kind.name(), "to" => "failed").increment(1);
            if e.is_permanent() {
                tracing::warn!(to = %task.to, error = %e, "a mail was refused for good");
            }
            return Outcome::Failed(e.to_string(), Box::new(|_| Ok(())));
        }
        metrics::counter!(m::MAILS_SENT, "kind" => task.kind.name(), "to" => if outbox { "outbox" } else { "smtp" })
            .increment(1);
        let mut record = MailRecord {
            id: 0,
            at_ms: now_ms(),
            kind: task.kind.name().to_owned(),
            to: task.to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id,
            sent: !outbox,
        };
        Outcome::Done(Box::new(move |tx| tx.keep_mail(&mut record)))
    }

    async fn render(&self, task: &MailTask) -> Result<Option<Rendered>, StoreError> {
        let store = self.store.clone();
        let subject = task.subject.clone();
        let kind = task.kind;
        let settings = self.settings.clone();
        tokio::task::spawn_blocking(move || -> Result<Option<Rendered>, StoreError> {
            let read = store.read()?;
            let ctx = templates::Context {
                shop: &settings.shop_name,
                base_url: &settings.base_url,
            };
            if kind == MailKind::LowStock {
                let Some(product) = read.product(&subject)? else {
                    return Ok(None);
                };
                let threshold = read.low_stock_threshold(&subject)?.unwrap_or(settings.low_stock);
                let units = read.stock(&subject)?;
                return Ok(Some(templates::low_stock(
                    &ctx,
                    &subject,
                    &product.title,
                    units,
                    threshold,
                )));
            }
            let Some(order) = read.order(&subject)? else {
                return Ok(None);
            };
            Ok(Some(match kind {
                MailKind::OrderConfirmation => templates::confirmation(&ctx, &order),
                MailKind::OrderShipped => templates::shipped(&ctx, &order),
                MailKind::OrderCancelled => templates::cancelled(&ctx, &order),
                MailKind::OrderRefunded => templates::refunded(&ctx, &order),
                MailKind::NewOrder | MailKind::LowStock => templates::new_order(&ctx, &order),
            }))
        })
        .await
        .map_err(|_| StoreError::Corrupt("rendering a mail panicked".into()))?
    }

    async fn deliver(&self, job: &Job, d: Delivery) -> Outcome {
        let now = now_ms();
        if let Some(open_until) = self.open_breaker(&d.endpoint, now) {
            return Outcome::NotNow(open_until);
        }
        let secret = match self.secret_of(&d.endpoint).await {
            Some(secret) => secret,
            // The endpoint was deleted: nothing to deliver to.
            None => return Outcome::Done(Box::new(|_| Ok(()))),
        };
        let started = Instant::now();
        let signature = crate::webhooks::signature(&secret, now / 1000, d.body.as_bytes());
        let answer = self
            .http
            .post(&d.url)
            .header("Content-Type", "application/json")
            .header("Storefront-Event-Id", &d.event_id)
            .header("Storefront-Event-Type", &d.event_type)
            .header("Storefront-Signature", signature)
            .body(d.body.clone())
            .send()
            .await;
        let (status, error) = match answer {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("the receiver answered {}", r.status())),
            ),
            Err(e) => (None, Some(describe_http_error(&e))),
        };
        let ok = error.is_none();
        self.record_breaker(&d.endpoint, ok, now);
        metrics::counter!(m::WEBHOOK_DELIVERIES, "outcome" => if ok { "ok" } else { "failed" }).increment(1);
        let record = DeliveryRecord {
            at_ms: now,
            endpoint: d.endpoint,
            url: d.url,
            event_id: d.event_id,
            event_type: d.event_type,
            subject: d.subject,
            attempt: job.attempts + 1,
            status,
            error: error.clone(),
            ok,
            millis: started.elapsed().as_millis() as u64,
        };
        let log: crate::jobs::runner::Effects = Box::new(move |tx| tx.log_delivery(&record));
        match error {
            None => Outcome::Done(log),
            Some(e) => Outcome::Failed(e, log),
        }
    }

    fn open_breaker(&self, endpoint: &str, now: u64) -> Option<u64> {
        let breakers = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        breakers
            .get(endpoint)
            .filter(|b| b.is_open(now))
            .map(|b| b.open_until_ms)
    }

    fn record_breaker(&self, endpoint: &str, ok: bool, now: u64) {
        let mut breakers = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        let breaker = breakers.entry(endpoint.to_owned()).or_default();
        let was_open = breaker.consecutive_failures >= crate::webhooks::BREAKER_OPENS_AFTER;
        if ok {
            breaker.succeeded();
        } else {
            breaker.failed(now);
        }
        let open = breaker.consecutive_failures >= crate::webhooks::BREAKER_OPENS_AFTER;
        if open != was_open {
            metrics::gauge!(m::WEBHOOK_BREAKER_OPEN, "endpoint" => endpoint.to_owned()).set(f64::from(u8::from(open)));
            if open {
                tracing::warn!(
                    endpoint,
                    "a webhook receiver keeps failing; its deliveries pause and retry later"
                );
            }
        }
    }

    async fn secret_of(&self, endpoint: &str) -> Option<String> {
        if let Some(e) = self.settings.endpoints.iter().find(|e| e.id == endpoint) {
            return Some(e.secret.clone());
        }
        let store = self.store.clone();
        let id = endpoint.to_owned();
        tokio::task::spawn_blocking(move || store.read().ok()?.endpoints().ok())
            .await
            .ok()
            .flatten()?
            .into_iter()
            .find(|e| e.id == id)
            .map(|e| e.secret)
    }
}

fn describe_http_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the receiver did not answer in time".into()
    } else if e.is_connect() {
        "cannot connect to the receiver".into()
    } else {
        e.to_string()
    }
}

/// Keeps a Message-ID's left part to letters, digits, `-` and `.`.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect()
}
