//! Fetching a feed from its `url` (http, https or file) on its schedule.

use std::sync::Arc;
use std::time::Duration;

use crate::config::FeedConfig;
use crate::store::Writer;

use super::{FeedRun, parse};

/// The largest feed read (a million lines of `sku,quantity` fit easily).
const MAX_FEED_BYTES: usize = 64 << 20;

/// Fetches the feed and applies it; a feed that cannot be fetched is recorded as a run with its
/// error (the back office shows it), and tried again at the next round.
pub async fn pull(feed: &FeedConfig, http: &reqwest::Client, writer: &Arc<Writer>) -> FeedRun {
    let mut run = FeedRun {
        source: "pull".into(),
        ..FeedRun::default()
    };
    let Some(url) = &feed.url else { return run };
    let body = match fetch(url, http).await {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(feed = %feed.name, error = %e, "cannot fetch a supplier feed");
            run.error = Some(e);
            run.at_ms = crate::domain::now_ms();
            let (name, failed) = (feed.name.clone(), run.clone());
            let _ = writer.run(move |tx| tx.put_feed_run(&name, &failed)).await;
            return run;
        }
    };
    let items = parse(&body, &mut run);
    let name = feed.name.clone();
    let started = run.clone();
    match writer
        .run(move |tx| super::apply(tx, &name, &items, started, None))
        .await
    {
        Ok(done) => done,
        Err(e) => {
            run.error = Some(format!("the store did not take the levels: {e}"));
            run
        }
    }
}

async fn fetch(url: &str, http: &reqwest::Client) -> Result<Vec<u8>, String> {
    if let Some(path) = url.strip_prefix("file://") {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        return within_limit(bytes);
    }
    let answer = http
        .get(url)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| format!("cannot fetch {url}: {e}"))?;
    if !answer.status().is_success() {
        return Err(format!("{url} answered {}", answer.status()));
    }
    let bytes = answer.bytes().await.map_err(|e| format!("reading {url}: {e}"))?;
    within_limit(bytes.to_vec())
}

fn within_limit(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(format!("the feed is larger than {} MB", MAX_FEED_BYTES >> 20));
    }
    Ok(bytes)
}
