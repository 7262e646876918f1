//! Prometheus metrics through the `metrics` facade: code records with `counter!`/`histogram!`,
//! and `/metrics` renders the text format. Every name is declared here, with its help text and
//! (for histograms) its buckets, so the set of metrics can be read in one place.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "storefront_http_requests_total";
pub const HTTP_DURATION: &str = "storefront_http_request_duration_seconds";
pub const CHECKOUTS: &str = "storefront_checkouts_total";
pub const CHECKOUT_DURATION: &str = "storefront_checkout_duration_seconds";
pub const CARTS_CREATED: &str = "storefront_carts_created_total";
pub const CARTS_ABANDONED: &str = "storefront_carts_abandoned_total";
pub const STOCKOUTS: &str = "storefront_stockouts_total";
pub const COMMIT_BATCH: &str = "storefront_store_commit_batch_size";
pub const COMMIT_DURATION: &str = "storefront_store_commit_duration_seconds";
pub const COMMITS_FAILED: &str = "storefront_store_commits_failed_total";
pub const WRITES_REFUSED: &str = "storefront_store_writes_refused_total";
pub const SEARCH_DURATION: &str = "storefront_search_duration_seconds";
pub const SEARCH_ZERO_RESULTS: &str = "storefront_search_zero_results_total";
pub const INDEX_LAG: &str = "storefront_search_index_lag_seconds";
pub const RATE_LIMITED: &str = "storefront_rate_limited_total";
pub const INDEX_CATALOG_VERSION: &str = "storefront_search_index_catalog_version";
pub const CONNECTIONS_OPEN: &str = "storefront_http_connections_open";
pub const CONNECTIONS_CUT: &str = "storefront_http_connections_cut_total";
pub const MIRROR_ENTRIES: &str = "storefront_store_mirror_entries";
pub const LOG_LINES_DROPPED: &str = "storefront_log_lines_dropped_total";
pub const WORKER_RESTARTS: &str = "storefront_worker_restarts_total";
pub const WORKER_UP: &str = "storefront_worker_up";
pub const JOBS: &str = "storefront_jobs";
pub const JOB_OLDEST: &str = "storefront_job_oldest_seconds";
pub const JOB_RUNS: &str = "storefront_job_runs_total";
pub const MAILS_SENT: &str = "storefront_mails_total";
pub const WEBHOOK_DELIVERIES: &str = "storefront_webhook_deliveries_total";
pub const WEBHOOK_BREAKER_OPEN: &str = "storefront_webhook_breaker_open";
pub const BUILD_INFO: &str = "storefront_build_info";
pub const PURGES: &str = "storefront_cache_purges_total";
pub const SEARCH_CACHE: &str = "storefront_search_answers_total";
pub const WAITING_ROOM_ADMITTED: &str = "storefront_waiting_room_admitted_total";
pub const WAITING_ROOM_WAITING: &str = "storefront_waiting_room_waiting";
pub const WAITING_ROOM_OPEN: &str = "storefront_waiting_room_open";
pub const FLAG_VIEWS: &str = "storefront_flag_page_views_total";
pub const FLAG_ORDERS: &str = "storefront_flag_orders_total";
pub const PAGE_CACHE: &str = "storefront_page_cache_requests_total";
pub const PAGE_CACHE_BYTES: &str = "storefront_page_cache_bytes";
pub const PAGE_CACHE_ENTRIES: &str = "storefront_page_cache_entries";
pub const PAYMENT_BREAKER_OPEN: &str = "storefront_payment_breaker_open";
pub const PAYMENT_CALLS: &str = "storefront_payment_calls_total";
pub const PAYMENT_RECONCILED: &str = "storefront_payment_reconciled_total";
pub const GATEWAY_EVENTS: &str = "storefront_payment_gateway_events_total";

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BATCH_BUCKETS: [f64; 11] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder once per process (tests start many apps in one process) and returns the
/// handle `/metrics` renders from.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let mut builder = PrometheusBuilder::new();
        for name in [
            HTTP_DURATION,
            CHECKOUT_DURATION,
            COMMIT_DURATION,
            SEARCH_DURATION,
            INDEX_LAG,
        ] {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(name.into()), &LATENCY_BUCKETS)
                .expect("buckets are not empty");
        }
        builder = builder
            .set_buckets_for_metric(Matcher::Full(COMMIT_BATCH.into()), &BATCH_BUCKETS)
            .expect("buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(BUILD_INFO, "1, labelled with the running build's version");
    describe_gauge!(JOBS, "Jobs by kind and state (queued, running, failed, dead)");
    describe_gauge!(JOB_OLDEST, Unit::Seconds, "Age of the oldest waiting job, by kind");
    describe_counter!(
        FLAG_VIEWS,
        "Catalog page views by partly rolled-out feature flag and variant"
    );
    describe_counter!(WAITING_ROOM_ADMITTED, "Shoppers let in from the waiting room");
    describe_gauge!(WAITING_ROOM_WAITING, "Shoppers in the waiting room's line");
    describe_gauge!(
        WAITING_ROOM_OPEN,
        "1 while the waiting room holds shoppers without a pass"
    );
    describe_counter!(FLAG_ORDERS, "Orders by partly rolled-out feature flag and variant");
    describe_counter!(JOB_RUNS, "Job runs by kind and outcome (done, retry, dead)");
    describe_counter!(MAILS_SENT, "Mails by kind and where they went (smtp, outbox)");
    describe_counter!(WEBHOOK_DELIVERIES, "Webhook delivery tries by outcome");
    describe_counter!(
        SEARCH_CACHE,
        "Searches by outcome (hit: answered from the recent answers of the current index)"
    );
    describe_counter!(
        PAGE_CACHE,
        "Shared catalog page requests by outcome (hit, miss) of the in-process page cache"
    );
    describe_gauge!(
        PAGE_CACHE_BYTES,
        Unit::Bytes,
        "Memory the page cache holds (every encoding)"
    );
    describe_gauge!(PAGE_CACHE_ENTRIES, "Pages the page cache holds");
    describe_counter!(PURGES, "Purges sent to the caches in front, by outcome (sent, failed)");
    describe_gauge!(
        PAYMENT_BREAKER_OPEN,
        "1 while a payment provider's circuit breaker is open (its checkouts answer 503 at once)"
    );
    describe_counter!(PAYMENT_CALLS, "Checkout calls to a payment provider by outcome");
    describe_counter!(
        PAYMENT_RECONCILED,
        "Gateway payments without an order that reconciliation released or refunded, and orders it set to settle"
    );
    describe_counter!(
        GATEWAY_EVENTS,
        "Events from a payment gateway by outcome (applied, repeated, refused)"
    );
    describe_gauge!(
        WEBHOOK_BREAKER_OPEN,
        "1 while a webhook endpoint's circuit breaker is open"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route pattern, method and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP request duration, by route pattern and method"
    );
    describe_counter!(
        CHECKOUTS,
        "Checkouts by outcome: placed, replayed, or the reason they were refused"
    );
    describe_histogram!(
        CHECKOUT_DURATION,
        Unit::Seconds,
        "Checkout duration from request to durable order"
    );
    describe_counter!(CARTS_CREATED, "Carts created");
    describe_counter!(CARTS_ABANDONED, "Carts deleted after idling past their time to live");
    describe_counter!(STOCKOUTS, "Times a SKU's stock reached zero through a sale");
    describe_histogram!(
        COMMIT_BATCH,
        "Jobs (checkouts, cart changes) committed together in one store transaction"
    );
    describe_histogram!(
        COMMIT_DURATION,
        Unit::Seconds,
        "Store group commit duration, applying the jobs and the fsync"
    );
    describe_counter!(COMMITS_FAILED, "Store commits that failed (the batch was not written)");
    describe_counter!(
        WRITES_REFUSED,
        "Writes refused because the store's queue was full (answered 503)"
    );
    describe_histogram!(SEARCH_DURATION, Unit::Seconds, "Search query duration, in process");
    describe_counter!(SEARCH_ZERO_RESULTS, "Searches that found nothing");
    describe_histogram!(
        INDEX_LAG,
        Unit::Seconds,
        "Time from a catalog change's commit to its search index commit"
    );
    describe_counter!(RATE_LIMITED, "Requests refused with 429 by the per-client rate limits");
    describe_gauge!(INDEX_CATALOG_VERSION, "Catalog version the search index reflects");
    describe_gauge!(CONNECTIONS_OPEN, "Client connections open");
    describe_gauge!(
        MIRROR_ENTRIES,
        "Ids held in memory for the time-keyed tables (spent carts, idempotency keys) until swept"
    );
    describe_counter!(
        LOG_LINES_DROPPED,
        "Log lines that could not be written (a full disk or a closed log pipe) and were dropped"
    );
    describe_counter!(
        WORKER_RESTARTS,
        "Background workers (store writer, search indexer) recovered after a panic or an error"
    );
    describe_gauge!(
        WORKER_UP,
        "1 while a background worker is working, 0 while it is failing"
    );
    describe_counter!(
        CONNECTIONS_CUT,
        "Connections hung up on: stalled between requests, or over the per-address cap"
    );
}

/// The text exposition format.
/// The text `/metrics` serves; process figures (memory, CPU, open files) are read now.
pub fn render() -> String {
    let handle = install();
    process().collect();
    handle.render()
}

/// `process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds` and the rest of
/// the Prometheus client convention.
fn process() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let collector = metrics_process::Collector::default();
        collector.describe();
        collector
    })
}
