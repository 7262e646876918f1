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

/// Starts the indexer thread and connects it to the store's commits. It stops when the store's
/// listener is replaced or the process ends.
pub fn start(search: Arc<SearchIndex>, store: Store) {
    let (send, receive): (Sender<CatalogChange>, Receiver<CatalogChange>) = channel();
    store.on_catalog_change(move |change| {
        let _ = send.send(change);
    });
    let spawned = std::thread::Builder::new()
        .name("search-indexer".into())
        .spawn(move || run(&search, &store, &receive));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the search indexer; search will lag until restart");
    }
}

fn run(search: &SearchIndex, store: &Store, changes: &Receiver<CatalogChange>) {
    while let Ok(first) = changes.recv() {
        let first_seen = Instant::now();
        let mut version = first.version;
        let mut skus: BTreeSet<String> = first.skus.into_iter().collect();
        let until = Instant::now() + GATHER;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match changes.recv_timeout(left) {
                Ok(more) => {
                    version = version.max(more.version);
                    skus.extend(more.skus);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let started = Instant::now();
        let outcome = if skus.len() > REBUILD_ABOVE {
            search.rebuild(store, &mut |_| {}).map(|_| ())
        } else {
            search.replace(store, &skus, version)
        };
        match outcome {
            Ok(()) => {
                metrics::histogram!(m::INDEX_LAG).record(first_seen.elapsed().as_secs_f64());
                metrics::gauge!(m::INDEX_CATALOG_VERSION).set(version as f64);
                tracing::debug!(
                    skus = skus.len(),
                    version,
                    ms = started.elapsed().as_millis() as u64,
                    "search index updated"
                )
            }
            // The payload still names the older version, so a restart rebuilds.
            Err(e) => tracing::error!(error = %e, "search index update failed; it will be rebuilt at start"),
        }
    }
}

impl SearchIndex {
    /// Replaces the documents of `skus` with their current state in the store (removing those
    /// whose product is gone) and commits, recording `version` as reflected.
    pub fn replace(&self, store: &Store, skus: &BTreeSet<String>, version: u64) -> Result<(), SearchError> {
        let tx = store.read()?;
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut vehicles = Vec::new();
        for sku in skus {
            writer.delete_term(Term::from_field_text(self.fields.sku, sku));
            if let Some(product) = tx.product(sku)? {
                let stock = tx.stock(sku)?;
                let doc = document::document(&self.fields, &product, stock);
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
        self.refresh_attr_names()
    }
}
