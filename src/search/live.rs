//! Keeping the index current while the server runs.
//!
//! The store tells the indexer which SKUs each commit changed (`Store::on_catalog_change`). The
//! indexer thread gathers changes for a moment, re-reads those SKUs from one store snapshot,
//! replaces their documents and commits with the newest catalog version it has been told about.
//! Because changes arrive in commit order, every change up to that version is in the index when
//! the payload says so; after a crash between a store commit and an index commit the versions
//! differ and the index is rebuilt at start.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use tantivy::Term;
use tantivy::schema::Value;

use super::{SearchError, SearchIndex, document, payload_for};
use crate::store::{CatalogChange, Store};
use crate::telemetry::metrics as m;

/// How long changes are gathered before one index commit; search shows a change within this
/// plus the commit time (well under a second).
const GATHER: Duration = Duration::from_millis(150);
/// Beyond this many SKUs in one go, rebuilding is cheaper than replacing one by one.
const REBUILD_ABOVE: usize = 50_000;

/// The first wait before an index update that failed is tried again (as a rebuild); it doubles
/// up to `RETRY_MOST` while the failure lasts (a full disk, say).
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MOST: Duration = Duration::from_secs(4);

/// Starts the indexer thread and connects it to the store's commits. It stops when the store
/// stops notifying (`Store::stop_notifying`); join the handle to wait for its last update.
pub fn start(search: Arc<SearchIndex>, store: Store) -> Option<std::thread::JoinHandle<()>> {
    let (send, receive): (Sender<CatalogChange>, Receiver<CatalogChange>) = channel();
    store.on_catalog_change(move |change| {
        let _ = send.send(change);
    });
    // An index that could not be rebuilt at open is behind from the start.
    let behind = !search.is_working();
    let thread_search = search.clone();
    let spawned = std::thread::Builder::new()
        .name("search-indexer".into())
        .spawn(move || supervise(&thread_search, &store, &receive, behind));
    match spawned {
        Ok(handle) => Some(handle),
        Err(e) => {
            search.set_working(false);
            tracing::error!(error = %e, "cannot start the search indexer; search will lag until restart");
            None
        }
    }
}

/// Runs the indexer, starting it again after a panic (with the index treated as behind, so the
/// first thing it does is catch up with the store).
fn supervise(search: &SearchIndex, store: &Store, changes: &Receiver<CatalogChange>, mut behind: bool) {
    loop {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(search, store, changes, behind)));
        if ran.is_ok() {
            return;
        }
        search.set_working(false);
        metrics::counter!(m::WORKER_RESTARTS, "worker" => "search-indexer").increment(1);
        tracing::error!("the search indexer panicked; it starts again and catches up with the store");
        search.reset_writer();
        behind = true;
    }
}

/// Changes gathered for one index commit.
struct Batch {
    version: u64,
    skus: BTreeSet<String>,
    first_seen: Instant,
}

fn run(search: &SearchIndex, store: &Store, changes: &Receiver<CatalogChange>, mut behind: bool) {
    let mut retry_in = RETRY_FIRST;
    loop {
        let batch = match gather(changes, behind.then_some(retry_in)) {
            Gathered::Batch(batch) => Some(batch),
            Gathered::RetryDue => None,
            Gathered::Closed => return,
        };
        let started = Instant::now();
        let rebuild = behind || batch.as_ref().is_some_and(|b| b.skus.len() > REBUILD_ABOVE);
        let outcome = match &batch {
            Some(b) if !rebuild => search.replace(store, &b.skus, b.version),
            _ => search.rebuild(store, &mut |_| {}).map(|_| ()),
        };
        match outcome {
            Ok(()) => {
                if behind {
                    tracing::info!("search index caught up with the store after a failed update");
                }
                (behind, retry_in) = (false, RETRY_FIRST);
                search.set_working(true);
                if let Some(b) = batch {
                    metrics::histogram!(m::INDEX_LAG).record(b.first_seen.elapsed().as_secs_f64());
                    tracing::debug!(
                        skus = b.skus.len(),
                        version = b.version,
                        ms = started.elapsed().as_millis() as u64,
                        "search index updated"
                    );
                }
            }
            Err(e) => {
                // A failed commit leaves tantivy's writer unusable; its uncommitted changes go
                // with it, and the payload still names the last version fully held. The next
                // try rebuilds from the store, however many changes arrive meanwhile.
                tracing::error!(error = %e, retry_in_ms = retry_in.as_millis() as u64, "search index update failed; it will catch up with the store when it can");
                search.set_working(false);
                search.reset_writer();
                if behind {
                    retry_in = (retry_in * 2).min(RETRY_MOST);
                }
                behind = true;
            }
        }
    }
}

enum Gathered {
    Batch(Batch),
    /// No change arrived before a failed update was due to be tried again.
    RetryDue,
    /// The store's listener is gone.
    Closed,
}

/// Waits for a change (at most `retry` when one is due) and gathers what follows it for `GATHER`.
fn gather(changes: &Receiver<CatalogChange>, retry: Option<Duration>) -> Gathered {
    let first = match retry {
        None => match changes.recv() {
            Ok(first) => first,
            Err(_) => return Gathered::Closed,
        },
        Some(wait) => match changes.recv_timeout(wait) {
            Ok(first) => first,
            Err(RecvTimeoutError::Timeout) => return Gathered::RetryDue,
            Err(RecvTimeoutError::Disconnected) => return Gathered::Closed,
        },
    };
    let mut batch = Batch {
        version: first.version,
        skus: first.skus.into_iter().collect(),
        first_seen: Instant::now(),
    };
    let until = Instant::now() + GATHER;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match changes.recv_timeout(left) {
            Ok(more) => {
                batch.version = batch.version.max(more.version);
                batch.skus.extend(more.skus);
            }
            Err(_) => return Gathered::Batch(batch),
        }
    }
}

impl SearchIndex {
    /// Replaces the documents of `skus` with their current state in the store (removing those
    /// whose product is gone) and commits, recording `version` as reflected.
    pub fn replace(&self, store: &Store, skus: &BTreeSet<String>, version: u64) -> Result<(), SearchError> {
        let tx = store.read()?;
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut rule = self
            .attr_facets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut vehicles = Vec::new();
        let now = crate::domain::now_ms();
        for sku in skus {
            writer.delete_term(Term::from_field_text(self.fields.sku, sku));
            if let Some(product) = tx.product(sku)? {
                let item = crate::catalog::ops::sellable(&tx, product, now, None)?;
                let doc = document::document(&self.fields, &item, &mut rule);
                // The cascade tree learns the product's vehicles from the terms just built.
                vehicles.extend(
                    doc.get_all(self.fields.fit)
                        .filter_map(|v| v.as_str().map(str::to_owned)),
                );
                writer.add_document(doc)?;
            }
        }
        // Before searches can see the new documents (see `reload_vehicles`).
        self.add_vehicles(&vehicles);
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload_for(version));
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        metrics::gauge!(m::INDEX_CATALOG_VERSION).set(version as f64);
        self.refresh_attr_names()
    }
}
