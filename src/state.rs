//! The state every request handler shares, built once by `app` and handed to `web`. It lives
//! apart from both so that `web` need not import `app` (which imports `web` for its routes).

use std::sync::Arc;

use crate::catalog::ops as catalog;
use crate::config::Config;
use crate::orders::Payments;
use crate::search::SearchIndex;
use crate::store::{Store, Writer};

/// Everything a request handler may need; built once and shared by every worker.
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub listings: catalog::ListingCache,
    pub search: Arc<SearchIndex>,
    /// The only path by which the server writes: group-committed, durable before it answers.
    pub writer: Arc<Writer>,
    pub payments: Arc<Payments>,
    /// Selling (carts, checkout, orders), over the same store, writer and payments.
    pub shop: crate::shop::Shop,
    /// Product page views since the last flush into the funnel table (once a minute).
    pub product_views: std::sync::atomic::AtomicU64,
    /// The job workers (mail, webhooks), for the back office's job list.
    pub jobs: Arc<crate::jobs::Runner>,
    /// Sends mail and delivers webhooks; knows the receivers' breakers.
    pub notifier: Arc<crate::notify::Notifier>,
    /// Rendered catalog pages for shoppers without personal cookies.
    pub pages: Arc<crate::page_cache::PageCache>,
    /// The feature flags in force.
    pub flags: Arc<crate::flags::Flags>,
    /// The line in front of checkout (or the whole shop) on sale day.
    pub waiting_room: Arc<crate::waiting_room::Room>,
}

impl AppState {
    /// Records the product views and feature-flag counts since the last flush (reports call it to
    /// be current).
    pub async fn flush_views(&self) {
        let counts = self.flags.take_counts();
        if !counts.is_empty()
            && let Err(e) = self.writer.run(move |tx| tx.add_flag_stats(&counts)).await
        {
            tracing::warn!(error = %e, "could not record feature-flag page views and orders");
        }
        let views = self.product_views.swap(0, std::sync::atomic::Ordering::Relaxed);
        if views == 0 {
            return;
        }
        let now = crate::domain::now_ms();
        if let Err(e) = self.writer.run(move |tx| tx.count_funnel(now, views, 0)).await {
            tracing::warn!(error = %e, views, "could not record product views");
        }
    }
}
