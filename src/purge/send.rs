//! Sending purges to the caches in front, as a job (retried with backoff until the page's
//! max-age has passed anyway).

use std::time::Duration;

use super::model::{CacheConfig, MOST_NAMED, Style, purge_keys};
use crate::jobs::{Outcome, PurgeTask};
use crate::store::Store;

pub struct Purger {
    config: CacheConfig,
    http: reqwest::Client,
    store: Store,
}

impl Purger {
    pub fn new(config: CacheConfig, store: Store) -> anyhow::Result<Purger> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Purger { config, http, store })
    }

    pub async fn purge(&self, task: &PurgeTask) -> Outcome {
        let keys = match self.keys(task).await {
            Ok(keys) => keys,
            Err(e) => return Outcome::Failed(format!("cannot read the products: {e}"), Box::new(|_| Ok(()))),
        };
        let (method, header) = match self.config.style {
            Style::Xkey => ("PURGE", "xkey-purge"),
            Style::Ban => ("BAN", "xkey-ban"),
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut failed = Vec::new();
        for url in &self.config.purge_urls {
            let sent = self
                .http
                .request(method.clone(), url)
                .header(header, keys.join(" "))
                .send()
                .await;
            match sent {
                Ok(res) if res.status().is_success() => {}
                Ok(res) => failed.push(format!("{url} answered {}", res.status())),
                Err(e) => failed.push(format!("{url}: {e}")),
            }
        }
        metrics::counter!(crate::telemetry::metrics::PURGES, "outcome" => if failed.is_empty() { "sent" } else { "failed" })
            .increment(1);
        if failed.is_empty() {
            Outcome::Done(Box::new(|_| Ok(())))
        } else {
            Outcome::Failed(failed.join("; "), Box::new(|_| Ok(())))
        }
    }

    /// The keys for the task's SKUs, with their categories as they are now.
    async fn keys(&self, task: &PurgeTask) -> Result<Vec<String>, crate::store::StoreError> {
        if task.skus.is_empty() || task.skus.len() > MOST_NAMED {
            return Ok(purge_keys(&[]));
        }
        let (store, skus) = (self.store.clone(), task.skus.clone());
        let named = tokio::task::spawn_blocking(move || {
            let read = store.read()?;
            skus.into_iter()
                .map(|sku| {
                    let category = read.product(&sku)?.and_then(|p| p.category.map(|c| c.slug()));
                    Ok((sku, category))
                })
                .collect::<Result<Vec<_>, crate::store::StoreError>>()
        })
        .await
        .map_err(|_| crate::store::StoreError::Unavailable("shutting down".into()))??;
        Ok(purge_keys(&named))
    }
}
