//! The process lifecycle: build the shared state once, serve, and shut down in order.

mod outside;

pub use crate::state::AppState;

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, middleware, web as aweb};
use anyhow::Context;

use crate::cart;
use crate::catalog::{demo, ops as catalog};
use crate::config::Config;
use crate::orders::payment::{OnInvoice, TestCards};
use crate::orders::{PaymentProvider, Payments};
use crate::payments::{Stripe, StripeCards};
use crate::search::SearchIndex;
use crate::store::{Store, Writer};
use crate::web::connections::Connections;

/// A bound, ready-to-run server.
pub struct Application {
    first_start: Option<crate::staff::ops::FirstStart>,
    port: u16,
    server: Server,
    state: aweb::Data<AppState>,
    /// The periodic tasks and service loops (sweeps, view counts, backups, the control socket,
    /// the rate-limit janitor, the connection watchdog).
    background: crate::background::Background,
    /// The search indexer's thread, joined at shutdown after the last write.
    indexer: Option<std::thread::JoinHandle<()>>,
}

impl Application {
    /// Binds the listener, opens the store, seeds the demo catalog into an empty store (unless
    /// configured off) and builds the server. Nothing is served until `run_until_stopped`.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
        let port = listener.local_addr()?.port();
        crate::telemetry::metrics::install();
        let (store, search) = open_store(&config).await?;
        let first_start = bootstrap_accounts(&store).await?;
        let stripe = stripe_client(&config)?;
        let payments = payments_for(&config, &store, stripe.as_ref()).await?;
        let search = Arc::new(search);
        let background = crate::background::Background::default();
        let indexer = crate::search::live::start(search.clone(), store.clone());
        let writer = Arc::new(Writer::start(store.clone(), config.checkout.writer));
        let control = crate::maintenance::backup::Control {
            store: store.clone(),
            writer: writer.clone(),
        };
        if let Err(e) = crate::maintenance::backup::serve_control_socket(&config.data_dir, control, &background) {
            // Serving matters more than online backups; `storefront backup` says what is wrong.
            tracing::warn!(error = %e, "no control socket: online backups are unavailable");
        }
        if let Some(schedule) = &config.backup {
            crate::maintenance::backup::schedule(
                store.clone(),
                schedule.dir.clone(),
                schedule.every,
                schedule.keep,
                &background,
            );
        }
        let payments = Arc::new(payments);
        let shop = crate::shop::Shop::new(
            store.clone(),
            writer.clone(),
            payments.clone(),
            Arc::new(config.rules.clone()),
            config.checkout.cart_ttl.as_millis() as u64,
        );
        let outside = outside::start(&config, port, &store, &writer, &background, stripe).await?;
        let pages = page_cache_for(&config, &store).await?;
        let reader = store.clone();
        let flags = Arc::new(tokio::task::spawn_blocking(move || crate::flags::Flags::load(&reader)).await??);
        let waiting_room = Arc::new(waiting_room_for(&config, &store).await?);
        let state = aweb::Data::new(AppState {
            jobs: outside.jobs,
            notifier: outside.notifier,
            pages,
            flags,
            waiting_room,
            listings: Default::default(),
            search,
            writer,
            payments,
            shop,
            product_views: Default::default(),
            store,
            config: Arc::new(config),
        });
        spawn_cart_sweeper(Arc::downgrade(&state.clone().into_inner()), &background);
        spawn_view_flusher(Arc::downgrade(&state.clone().into_inner()), &background);
        spawn_price_clock(Arc::downgrade(&state.clone().into_inner()), &background);
        spawn_waiting_room_gauges(Arc::downgrade(&state.clone().into_inner()), &background);
        let limiters = aweb::Data::new(crate::web::limits::Limiters::new(&state.config.limits));
        crate::web::limits::spawn_janitor(limiters.clone(), &background);
        let connections = watch_connections(&state.config, &background);
        let http = &state.config.http;
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(limiters.clone())
                .app_data(crate::web::guard::form_config())
                .app_data(crate::web::error::page_query_config())
                .wrap(middleware::from_fn(crate::web::limits::rate_limit))
                .wrap(middleware::from_fn(crate::web::waiting_room::gate))
                .wrap(middleware::from_fn(crate::web::guard::same_origin_forms))
                .wrap(middleware::from_fn(crate::web::visitor::issue_bucket))
                .wrap(middleware::from_fn(crate::web::guard::deadline))
                .wrap(middleware::Compress::default())
                .wrap(crate::web::pages::error_pages())
                .wrap(crate::web::security_headers())
                .wrap(middleware::from_fn(crate::web::ops::measure))
                .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RequestSpan>::new())
                .wrap(middleware::from_fn(crate::web::connections::track))
                .configure(crate::web::configure)
        })
        .workers(http.workers.get())
        .on_connect(move |io, data| connections.on_connect(io, data))
        .keep_alive(http.keep_alive)
        .client_request_timeout(head_timeout(&state.config))
        .max_connections(http.max_connections)
        .shutdown_timeout(http.shutdown_timeout.as_secs())
        .disable_signals()
        .listen(listener)?
        .run();
        Ok(Application {
            first_start,
            port,
            server,
            state,
            background,
            indexer,
        })
    }

    /// The admin login and token made because the store had no accounts, to print once.
    pub fn first_start(&self) -> Option<&crate::staff::ops::FirstStart> {
        self.first_start.as_ref()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT or SIGTERM, then stops gracefully.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves; in-flight requests then get the configured time to finish,
    /// and the store is closed after the last worker is gone.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        tokio::select! {
            result = &mut server => result?,
            () = shutdown => {
                tracing::info!("shutting down: finishing in-flight requests");
                // The server future must keep being polled for the stop command to be handled.
                let (_, result) = tokio::join!(handle.stop(true), server);
                result?;
            }
        }
        // In order: the background work that writes (sweeps, view counts, backups), then the
        // writer with whatever is queued, then the indexer once the last commit is told. Workers
        // may still hold the state for a moment after a forced stop; the writer is stopped here
        // regardless, so no write is in flight when the process exits.
        self.background.shutdown().await;
        self.state.flush_views().await;
        self.state.writer.shutdown();
        self.state.store.stop_notifying();
        if let Some(indexer) = self.indexer {
            let _ = tokio::task::spawn_blocking(move || indexer.join()).await;
        }
        let _ = std::fs::remove_file(self.state.config.data_dir.join(crate::maintenance::backup::SOCKET));
        drop(self.state);
        tracing::info!("stopped; store closed");
        Ok(())
    }
}

/// Opens the store (seeding the demo catalog into an empty one) and the search index over it,
/// which is rebuilt when it does not reflect the store.
async fn open_store(config: &Config) -> anyhow::Result<(Store, SearchIndex)> {
    let (dir, options, demo) = (config.data_dir.clone(), config.store.clone(), config.demo);
    tokio::task::spawn_blocking(move || -> anyhow::Result<(Store, SearchIndex)> {
        let store = Store::open(&dir, &options)?;
        if demo && catalog::is_empty(&store)? {
            let report = demo::seed(&store)?;
            store.write(|tx| tx.mark_demo_catalog())?;
            tracing::info!(
                products = report.accepted(),
                "seeded the empty store with the demo catalog"
            );
        }
        let search = SearchIndex::open(&dir, &store)?;
        Ok((store, search))
    })
    .await?
}

/// How long a client may take to send a request's headers: 5 s, or less when the whole request
/// must take less.
fn head_timeout(config: &Config) -> std::time::Duration {
    config.http.request_timeout.min(std::time::Duration::from_secs(5))
}

/// The connection registry and its watchdog: a connection idle past keep-alive plus the header
/// deadline is stalled, and one address may hold only its share of connections.
fn watch_connections(config: &Config, background: &crate::background::Background) -> Arc<Connections> {
    let keep_alive = match config.http.keep_alive {
        actix_web::http::KeepAlive::Timeout(idle) => idle,
        _ => std::time::Duration::ZERO,
    };
    let limits = &config.limits;
    let per_address = if limits.enabled && limits.behind_proxy != crate::config::ProxyTrust::Any {
        limits.connections_per_address
    } else {
        0
    };
    let connections = Connections::new(keep_alive + head_timeout(config), per_address, limits.behind_proxy);
    connections.spawn_watchdog(background);
    connections
}

/// The payment methods offered: the test cards only when configured, or in a store that was
/// seeded with the demo catalog.
async fn payments_for(config: &Config, store: &Store, stripe: Option<&Stripe>) -> anyhow::Result<Payments> {
    let test_cards = match config.payments.test_cards {
        Some(on) => on,
        None => {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.read()?.is_demo_catalog()).await??
        }
    };
    let mut providers: Vec<Box<dyn PaymentProvider>> = Vec::new();
    if test_cards {
        providers.push(Box::new(TestCards));
    }
    for method in &config.payments.methods {
        match (method.as_str(), stripe) {
            ("stripe", Some(stripe)) => providers.push(Box::new(StripeCards::new(stripe.clone()))),
            ("invoice", _) => providers.push(Box::new(OnInvoice)),
            _ => anyhow::bail!("payment method {method:?} is not set up"),
        }
    }
    Ok(Payments::of(providers))
}

/// The page cache, told of every catalog change as it commits (before its writer answers).
async fn page_cache_for(config: &Config, store: &Store) -> anyhow::Result<Arc<crate::page_cache::PageCache>> {
    let reader = store.clone();
    let version = tokio::task::spawn_blocking(move || reader.read()?.catalog_version()).await??;
    let pages = Arc::new(crate::page_cache::PageCache::new(
        config.http.page_cache_bytes,
        config.http.page_max_age,
        version,
    ));
    let told = pages.clone();
    store.on_catalog_change(move |change| told.catalog_changed(change.version));
    Ok(pages)
}

/// The Stripe client, when `[payments.stripe]` has keys.
fn stripe_client(config: &Config) -> anyhow::Result<Option<Stripe>> {
    let Some(s) = &config.payments.stripe else {
        return Ok(None);
    };
    tracing::info!(api = %s.api_base, live = s.secret_key.starts_with("sk_live_"), "card payments through Stripe");
    Ok(Some(Stripe::new(&s.api_base, &s.secret_key, s.timeout)?))
}

/// Creates the first admin account and token in a store that has none.
async fn bootstrap_accounts(store: &Store) -> anyhow::Result<Option<crate::staff::ops::FirstStart>> {
    let store = store.clone();
    // Hashing the password takes a few tens of milliseconds: off the async threads. A store with
    // accounts is only read, so a restart on a nearly full disk still serves (read-only).
    Ok(tokio::task::spawn_blocking(move || {
        if !store.read()?.accounts()?.is_empty() {
            return Ok(None);
        }
        store.write(crate::staff::ops::bootstrap)
    })
    .await??)
}

/// Moves counted product views into the funnel table once a minute.
fn spawn_view_flusher(state: std::sync::Weak<AppState>, background: &crate::background::Background) {
    background.every("product view counts", std::time::Duration::from_secs(60), move || {
        let state = state.upgrade();
        async move {
            if let Some(state) = state {
                state.flush_views().await;
            }
        }
    });
}

/// The waiting room with the back office's last settings, or the config's when there are none.
async fn waiting_room_for(config: &Config, store: &Store) -> anyhow::Result<crate::waiting_room::Room> {
    let reader = store.clone();
    let stored = tokio::task::spawn_blocking(move || reader.read()?.waiting_room_settings()).await??;
    if let Some(s) = &stored {
        tracing::info!(settings = ?s, "the waiting room keeps the settings last made in the back office over [waiting_room]");
    }
    Ok(crate::waiting_room::Room::new(
        stored.unwrap_or_else(|| config.waiting_room.clone()),
    ))
}

/// Publishes the waiting room's line and whether it is open, every second.
fn spawn_waiting_room_gauges(state: std::sync::Weak<AppState>, background: &crate::background::Background) {
    background.every("waiting room gauges", std::time::Duration::from_secs(1), move || {
        let state = state.upgrade();
        async move {
            let Some(state) = state else { return };
            let auto = state.flags.on(crate::flags::model::WAITING_ROOM_AUTO, None);
            let status = state.waiting_room.status(auto, crate::domain::now_ms());
            metrics::gauge!(crate::telemetry::metrics::WAITING_ROOM_WAITING).set(status.waiting as f64);
            metrics::gauge!(crate::telemetry::metrics::WAITING_ROOM_OPEN).set(f64::from(u8::from(status.open)));
        }
    });
}

/// Reprices, every half second, the items whose scheduled price or flash sale starts or ends:
/// a price that starts at 09:00 is in listings, search and pages at 09:00.
fn spawn_price_clock(state: std::sync::Weak<AppState>, background: &crate::background::Background) {
    background.every_from_now("price clock", std::time::Duration::from_millis(500), move || {
        let state = state.upgrade();
        async move {
            let Some(state) = state else { return };
            let now = crate::domain::now_ms();
            let reader = state.store.clone();
            let due = tokio::task::spawn_blocking(move || reader.read()?.next_price_change()).await;
            if !matches!(due, Ok(Ok(Some(at))) if at <= now) {
                return;
            }
            sweep_in_runs(&state, "price changes", move |tx| {
                crate::sales::ops::run_price_clock(tx, now, SWEEP_RUN)
            })
            .await;
        }
    });
}

/// Rows one sweep job deletes; a sweep runs job after job until one comes back short.
const SWEEP_RUN: usize = 5_000;

/// Deletes idle carts and week-old idempotency keys at start and every five minutes, through
/// the writer.
fn spawn_cart_sweeper(state: std::sync::Weak<AppState>, background: &crate::background::Background) {
    background.every_from_now("cart and key sweeps", std::time::Duration::from_secs(300), move || {
        let state = state.upgrade();
        async move {
            let Some(state) = state else { return };
            let clock = state.shop.clock();
            sweep_in_runs(&state, "idle and checked-out carts", move |tx| {
                cart::ops::sweep(tx, clock, SWEEP_RUN)
            })
            .await;
            let now = clock.now_ms;
            sweep_in_runs(&state, "week-old idempotency keys", move |tx| {
                crate::orders::sweep_idempotency(tx, now, SWEEP_RUN)
            })
            .await;
            sweep_in_runs(&state, "week-old supplier push keys", move |tx| {
                tx.sweep_feed_keys(now.saturating_sub(7 * 24 * 3_600_000), SWEEP_RUN)
            })
            .await;
        }
    });
}

/// Runs a sweep in runs of `SWEEP_RUN` rows, each its own writer job, so a sale's worth of rows
/// is cleared (and its memory in the store's mirrors freed) without holding up the checkouts
/// queued behind it.
async fn sweep_in_runs<F>(state: &AppState, what: &'static str, run: F)
where
    F: Fn(&mut crate::store::WriteTx<'_>) -> Result<usize, crate::store::StoreError> + Copy + Send + 'static,
{
    loop {
        let swept = match state.writer.run(run).await {
            Ok(swept) => swept,
            Err(e) => {
                tracing::warn!(error = %e, what, "sweep skipped");
                return;
            }
        };
        if swept > 0 {
            tracing::info!(swept, what, "swept");
        }
        if swept < SWEEP_RUN {
            return;
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what systemd sends). The handlers are installed when this is
/// called, not when the future is first polled: call it before announcing the server, so a
/// SIGTERM sent right after the announcement is a graceful stop rather than the default kill.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let (mut terminate, mut interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match terminate.as_mut() {
                    Some(sig) => drop(sig.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match interrupt.as_mut() {
                    Some(sig) => drop(sig.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = term => {},
                () = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
