//! Starting the work that talks to the outside world: the job workers (mail, webhooks), their
//! metrics, and the supplier feed pulls.

use std::sync::Arc;
use std::time::Duration;

use crate::background::Background;
use crate::config::Config;
use crate::jobs::{Handler, Job, LocalRound, Outcome, Runner, Running, Task};
use crate::mail::Mailer;
use crate::notify::{Notifier, NotifySettings};
use crate::payments::{Reconciler, Settler, Stripe};
use crate::store::{Store, StoreError, Writer};

/// The job runner and the notifier it runs jobs with.
pub struct Outside {
    pub jobs: Arc<Runner>,
    pub notifier: Arc<Notifier>,
}

/// What each kind of job is run by.
struct Workers {
    notifier: Arc<Notifier>,
    settler: Option<Arc<Settler>>,
    purger: Option<Arc<crate::purge::Purger>>,
}

impl Handler for Workers {
    fn run(&self, job: Job) -> Running {
        match (&job.task, &self.settler) {
            (Task::Payment(p), Some(settler)) => {
                let (settler, order) = (settler.clone(), p.order.clone());
                Box::pin(async move { settler.settle(&order).await })
            }
            // A store whose Stripe keys were removed: the job waits for them to come back.
            (Task::Payment(_), None) => Box::pin(std::future::ready(Outcome::Failed(
                "no [payments.stripe] keys: cannot reach the gateway this order was paid through".into(),
                Box::new(|_| Ok(())),
            ))),
            (Task::Purge(task), _) => {
                let (purger, task) = (self.purger.clone(), task.clone());
                Box::pin(async move {
                    match purger {
                        Some(purger) => purger.purge(&task).await,
                        // No caches configured any more: nothing to tell.
                        None => Outcome::Done(Box::new(|_| Ok(()))),
                    }
                })
            }
            _ => self.notifier.run(job),
        }
    }

    fn run_local(&self, jobs: Vec<Job>) -> Result<LocalRound, StoreError> {
        self.notifier.run_local(jobs)
    }
}

pub async fn start(
    config: &Config,
    port: u16,
    store: &Store,
    writer: &Arc<Writer>,
    background: &Background,
    stripe: Option<Stripe>,
) -> anyhow::Result<Outside> {
    tell_store_its_settings(config, writer).await;
    let mailer = Mailer::new(config.mail.smtp_url.as_deref(), &config.mail.from)?;
    if let Some(url) = &config.mail.smtp_url {
        tracing::info!(smtp = %crate::mail::redact(url), "mail goes to the SMTP server");
    } else {
        tracing::info!("no [mail] smtp_url: mail is kept in the outbox (/admin/mail)");
    }
    let settings = NotifySettings {
        shop_name: config.shop.name.clone(),
        base_url: config.public_url(port),
        merchant_to: config.mail.merchant_to.clone(),
        endpoints: config.webhooks.clone(),
        low_stock: config.shop.low_stock,
    };
    let notifier = Notifier::new(store.clone(), mailer, settings)?;
    let settler = stripe.clone().map(|s| Settler::new(s, store.clone()));
    let purger = config
        .cache
        .clone()
        .map(|c| crate::purge::Purger::new(c, store.clone()).map(Arc::new))
        .transpose()?;
    let workers = Workers {
        notifier: notifier.clone(),
        settler,
        purger,
    };
    let jobs = Runner::new(store.clone(), writer.clone(), Arc::new(workers), config.jobs);
    if let (Some(stripe), Some(s)) = (stripe, &config.payments.stripe) {
        reconcile_payments(
            Reconciler::new(stripe, store.clone(), writer.clone(), s.timeout),
            background,
        );
    }
    background.spawn("job workers", jobs.clone().serve(background.stopped()));
    let metrics_of = jobs.clone();
    background.every_from_now("job metrics", Duration::from_secs(5), move || {
        let jobs = metrics_of.clone();
        async move {
            let published = tokio::task::spawn_blocking(move || jobs.publish_metrics()).await;
            if let Ok(Err(e)) = published {
                tracing::warn!(error = %e, "cannot count the jobs");
            }
        }
    });
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("storefront/", env!("CARGO_PKG_VERSION")))
        .build()?;
    schedule_feed_pulls(config, &http, writer, background);
    Ok(Outside { jobs, notifier })
}

/// A sale tells the merchant when stock crosses the shop's threshold, and records its events
/// unless told not to; the store keeps both settings so the transaction of the sale sees them.
async fn tell_store_its_settings(config: &Config, writer: &Arc<Writer>) {
    let (units, events) = (config.shop.low_stock, config.jobs.record_events);
    let purges = config.cache.is_some();
    if !events {
        tracing::warn!("[jobs] record_events = false: no mail and no webhooks for anything that happens now");
    }
    let told = writer
        .run(move |tx| {
            if tx.default_low_stock()? != Some(units) {
                tx.set_default_low_stock(units)?;
            }
            if tx.events_recorded()? != events {
                tx.set_events_recorded(events)?;
            }
            if tx.purges_on()? != purges {
                tx.set_purges_on(purges)?;
            }
            if tx.orders_told()?.is_none() {
                // The first start with jobs: orders from before are not mailed again.
                let last = tx.last_order_sequence()?;
                tx.set_orders_told(last)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = told {
        tracing::warn!(error = %e, "cannot record the shop's low-stock threshold; alerts use the last one recorded");
    }
}

/// Every 15 seconds, from the start: a crash between a card hold and its order is put right
/// within a minute of the restart.
fn reconcile_payments(reconciler: Arc<Reconciler>, background: &Background) {
    background.every_from_now("payment reconciliation", Duration::from_secs(15), move || {
        let reconciler = reconciler.clone();
        async move {
            match reconciler.pass().await {
                Ok(pass) if pass.released + pass.refunded + pass.settling > 0 => {
                    tracing::info!(
                        seen = pass.seen,
                        released = pass.released,
                        refunded = pass.refunded,
                        settling = pass.settling,
                        "payments reconciled with Stripe"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot reconcile payments with Stripe now; trying again shortly"),
            }
        }
    });
}

fn schedule_feed_pulls(config: &Config, http: &reqwest::Client, writer: &Arc<Writer>, background: &Background) {
    for feed in config.supplier_feeds.iter().filter(|f| f.url.is_some()) {
        let (feed, http, writer) = (feed.clone(), http.clone(), writer.clone());
        background.every_from_now("supplier feed pull", feed.every, move || {
            let (feed, http, writer) = (feed.clone(), http.clone(), writer.clone());
            async move {
                let run = crate::feeds::pull(&feed, &http, &writer).await;
                tracing::info!(feed = %feed.name, applied = run.applied, unknown = run.unknown_count, bad = run.bad_count, error = ?run.error, "supplier feed pulled");
            }
        });
    }
}
