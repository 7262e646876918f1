//! Search: a tantivy index that is a view of the store, and the queries over it.
//!
//! The store is the truth. The index records in its commit payload the index version and the
//! catalog version it reflects; at open, an index that is missing, damaged, of another version or
//! behind the store is rebuilt from the store, so search can never stay out of step for good.
//! One `IndexWriter` exists per index, owned here behind a mutex.

mod document;
mod facets;
pub mod live;
mod query;
mod schema;
pub mod spoken;
mod suggest;
mod vehicles;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use tantivy::index::SegmentId;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, SegmentMeta, TantivyDocument};

pub use query::{FacetValue, Facets, SearchRequest, SearchResults, SearchSort, VehicleFilter};
use schema::{Fields, INDEX_VERSION};
pub use schema::{PRICE_BUCKETS, price_bucket_range};
pub use suggest::Suggestions;
pub use vehicles::Level;

use crate::store::{Store, StoreError};

/// The index directory inside the data dir.
pub const INDEX_DIR: &str = "index";
/// Memory for the single writer, split between its threads (tantivy needs at least 15 MB each).
/// It is a ceiling reached only while rebuilding; live updates use a few MB.
const WRITER_MEMORY: usize = 128 << 20;

pub use facets::FACET_MAX_VALUES;

/// Indexing threads: building documents is about a third of a rebuild's work and tantivy's
/// indexing the rest, so two threads keep a 2-core machine busy; idle between rebuilds.
fn writer_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4)
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tantivy::directory::error::OpenDirectoryError> for SearchError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        SearchError::Index(e.into())
    }
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: Fields,
    /// Which attributes are facets (see `facets`); documents are indexed by its rule.
    attr_facets: Mutex<facets::AttrFacets>,
    /// The facet attributes, as searches read them.
    attr_names: RwLock<Vec<String>>,
    /// Answers to recent searches at the current index generation.
    recent: query::RecentSearches,
    /// Every fitted vehicle, for the cascade and the year selector on every page.
    vehicles: RwLock<vehicles::VehicleTree>,
    /// The last best sellers read, with the searcher generation and how many were asked for:
    /// the home page shows them on every visit, and they change only when the index does.
    best_sellers: Mutex<Option<(u64, usize, Vec<String>)>>,
    /// Whether the live indexer is keeping up (false while a failed update waits to be retried).
    working: std::sync::atomic::AtomicBool,
}

impl SearchIndex {
    /// Opens the index under `data_dir`, rebuilding it from the store when needed.
    pub fn open(data_dir: &Path, store: &Store) -> Result<SearchIndex, SearchError> {
        let search = SearchIndex::open_without_rebuild(data_dir)?;
        if search.reflects(store)? {
            search.refresh_attr_names()?;
            search.reload_vehicles()?;
            search.set_working(true);
            return Ok(search);
        }
        match search.rebuild(store, &mut |_| {}) {
            Ok(count) => {
                tracing::info!(products = count, "rebuilt the search index from the store");
                search.set_working(true);
            }
            // On a full disk the shop still serves from the index it has; the live indexer
            // sees it is not working and rebuilds once it can.
            Err(e) => {
                tracing::error!(error = %e, "cannot rebuild the search index now; it will catch up when it can");
                search.reset_writer();
                search.refresh_attr_names()?;
                search.reload_vehicles()?;
            }
        }
        Ok(search)
    }

    /// Opens (or creates) the index without checking it against the store; `rebuild` follows.
    pub fn open_without_rebuild(data_dir: &Path) -> Result<SearchIndex, SearchError> {
        let dir = data_dir.join(INDEX_DIR);
        let index = match open_existing(&dir) {
            Some(index) => index,
            None => create_fresh(&dir)?,
        };
        SearchIndex::from_index(index)
    }

    fn from_index(index: Index) -> Result<SearchIndex, SearchError> {
        schema::register_tokenizers(&index);
        let (_, fields) = schema::build();
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer_with_num_threads(writer_threads(), WRITER_MEMORY)?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            attr_names: RwLock::new(Vec::new()),
            attr_facets: Mutex::new(facets::AttrFacets::new(FACET_MAX_VALUES)),
            recent: query::RecentSearches::new(),
            vehicles: RwLock::new(Default::default()),
            best_sellers: Mutex::new(None),
            working: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Whether the last commit reflects the store's current catalog version and holds one
    /// document per product (a version alone once hid an index that had lost documents).
    fn reflects(&self, store: &Store) -> Result<bool, SearchError> {
        Ok(self.agrees_with(store)?.is_ok())
    }

    /// Whether the live indexer is keeping the index current; `/readyz` says so when it is not.
    pub fn is_working(&self) -> bool {
        self.working.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn set_working(&self, working: bool) {
        self.working.store(working, std::sync::atomic::Ordering::SeqCst);
        metrics::gauge!(crate::telemetry::metrics::WORKER_UP, "worker" => "search-indexer")
            .set(f64::from(u8::from(working)));
    }

    /// Gives up the writer's uncommitted changes and its threads (a failed commit leaves them
    /// unusable) for a fresh writer on the same index.
    pub(crate) fn reset_writer(&self) {
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let rolled_back = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| writer.rollback()));
        if !matches!(rolled_back, Ok(Ok(_))) {
            tracing::warn!("could not roll the search index writer back; opening a new one");
            // A failed rollback has let go of the index's lock, so a new writer can take it.
            match self.index.writer_with_num_threads(writer_threads(), WRITER_MEMORY) {
                Ok(fresh) => *writer = fresh,
                Err(e) => tracing::error!(error = %e, "cannot open a new search index writer"),
            }
        }
    }

    /// Replaces the whole index with the store's products, from one snapshot. Readers see the old
    /// index until the new one is committed.
    pub fn rebuild(&self, store: &Store, progress: &mut dyn FnMut(u64)) -> Result<u64, SearchError> {
        let started = std::time::Instant::now();
        let tx = store.read()?;
        let version = tx.catalog_version()?;
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Merging while loading would merge most documents once or twice over; merging once at
        // the end (`merge_loaded_segments`) costs less and leaves few segments.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let loaded = load_all(&self.fields, &mut writer, &tx, version, progress);
        let load_time = started.elapsed();
        let segments = if loaded.is_ok() {
            self.merge_loaded_segments(&mut writer)
        } else {
            0
        };
        // Restored whatever happened, or later live updates would pile up segments.
        writer.set_merge_policy(Box::new(LogMergePolicy::default()));
        let count = loaded?;
        tracing::info!(
            products = count,
            load_ms = load_time.as_millis() as u64,
            merge_ms = (started.elapsed() - load_time).as_millis() as u64,
            segments,
            "search index rebuilt"
        );
        drop(writer);
        self.reload_vehicles()?;
        self.reader.reload()?;
        self.refresh_attr_names()?;
        progress(count);
        Ok(count)
    }

    /// Merges the segments a rebuild wrote into one per core, the merges side by side, and
    /// removes the merged-away files; returns how many segments the load wrote. The committed
    /// index is complete without the merges, so a failed one only costs speed.
    fn merge_loaded_segments(&self, writer: &mut IndexWriter) -> usize {
        // Held segment metas keep their files from garbage collection, so only ids are kept.
        let segments = match self.index.searchable_segment_metas() {
            Ok(segments) => segments,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the rebuilt index's segments to merge them");
                return 0;
            }
        };
        let (count, groups) = (segments.len(), merge_groups(&segments, writer_threads()));
        drop(segments);
        let merges: Vec<_> = groups.iter().map(|group| writer.merge(group)).collect();
        for merge in merges {
            if let Err(e) = merge.wait() {
                tracing::warn!(error = %e, segments = count, "could not merge the rebuilt index");
            }
        }
        if let Err(e) = writer.garbage_collect_files().wait() {
            tracing::warn!(error = %e, "could not remove the merged-away index files");
        }
        count
    }

    /// Reads which attributes are facets back from the index's facet dictionary (at open, and
    /// after each commit). The dictionary holds at most `FACET_MAX_VALUES + 1` values of an
    /// attribute, so this is cheap, and one with that many is "many" again.
    fn refresh_attr_names(&self) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let mut rule = facets::AttrFacets::new(FACET_MAX_VALUES);
        for segment in searcher.segment_readers() {
            let dictionary = segment.facet_reader("attr")?;
            let mut facet = tantivy::schema::Facet::root();
            for ord in 0..dictionary.num_facets() {
                dictionary.facet_from_ord(ord as u64, &mut facet)?;
                if let [name, value, ..] = facet.to_path().as_slice() {
                    rule.admit(name, value);
                }
            }
        }
        // Called with the index writer idle (after a commit, or at open): every admitted value
        // is in the dictionary, so the rule read back is the rule.
        let mut current = self
            .attr_facets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = rule;
        *self
            .attr_names
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = current.names();
        Ok(())
    }

    /// Changes whenever searches may answer differently (each index commit or reload).
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// Turns the memory of recent answers off or on (benchmarks measure the work itself).
    #[doc(hidden)]
    pub fn remember_answers(&self, on: bool) {
        self.recent.on.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// `Ok(documents)` when the index reflects the store's catalog version and holds one document
    /// per product; otherwise why not.
    pub fn agrees_with(&self, store: &Store) -> Result<Result<u64, String>, SearchError> {
        let read = store.read()?;
        let (version, products) = (read.catalog_version()?, read.product_count()?);
        let payload = self.index.load_metas()?.payload.unwrap_or_default();
        let docs = self.num_docs();
        Ok(if payload != payload_for(version) {
            Err(format!(
                "it records {payload:?}, the store is at catalog version {version}"
            ))
        } else if docs != products {
            Err(format!("{docs} documents for {products} products"))
        } else {
            Ok(docs)
        })
    }

    /// Years some product fits, newest first.
    pub fn vehicle_years(&self) -> Vec<String> {
        self.vehicle_values(Level::Year, None, None, None, None)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

/// Replaces every document with the products in `tx` and commits, recording `version`.
fn load_all(
    fields: &Fields,
    writer: &mut IndexWriter,
    tx: &crate::store::ReadTx,
    version: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, SearchError> {
    writer.delete_all_documents()?;
    let mut count = 0u64;
    let mut rule = facets::AttrFacets::new(FACET_MAX_VALUES);
    let (now, sales) = (crate::domain::now_ms(), tx.has_flash_sales()?);
    tx.for_each_product(|product, stock| {
        // Bundles and items on a flash sale read more than their own row.
        let item = match product.is_bundle() || sales {
            true => crate::catalog::ops::sellable(tx, product, now, None)?,
            false => crate::catalog::Item::new(product, stock, now),
        };
        writer.add_document(document::document(fields, &item, &mut rule))?;
        count += 1;
        if count.is_multiple_of(10_000) {
            progress(count);
        }
        Ok::<_, SearchError>(())
    })?;
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(&payload_for(version));
    commit.commit()?;
    Ok(count)
}

/// Splits segments into at most `groups` groups of about equal document counts, leaving out
/// groups of one segment (nothing to merge).
fn merge_groups(segments: &[SegmentMeta], groups: usize) -> Vec<Vec<SegmentId>> {
    let mut by_size: Vec<&SegmentMeta> = segments.iter().collect();
    by_size.sort_by_key(|s| std::cmp::Reverse(s.num_docs()));
    let mut out: Vec<(u64, Vec<SegmentId>)> = vec![(0, Vec::new()); groups.clamp(1, segments.len().max(1) / 2 + 1)];
    for segment in by_size {
        if let Some(smallest) = out.iter_mut().min_by_key(|(docs, _)| *docs) {
            smallest.0 += u64::from(segment.num_docs());
            smallest.1.push(segment.id());
        }
    }
    out.into_iter()
        .map(|(_, ids)| ids)
        .filter(|ids| ids.len() > 1)
        .collect()
}

fn payload_for(catalog_version: u64) -> String {
    format!("index={INDEX_VERSION};catalog={catalog_version}")
}

/// The index in `dir` if it opens, is of this version and passes its checksums; otherwise it is
/// set aside (renamed, for a person to look at) and `None` returned.
fn open_existing(dir: &Path) -> Option<Index> {
    if !dir.join("meta.json").exists() {
        return None;
    }
    let current = format!("index={INDEX_VERSION};");
    let healthy = Index::open_in_dir(dir).ok().filter(|index| {
        let version_ok = index
            .load_metas()
            .is_ok_and(|m| m.payload.unwrap_or_default().starts_with(&current));
        version_ok && index.validate_checksum().is_ok_and(|bad| bad.is_empty())
    });
    if healthy.is_none() {
        let aside = set_aside(dir);
        tracing::warn!(index = %dir.display(), moved_to = %aside.display(), "search index is damaged or of another version; rebuilding it");
    }
    healthy
}

fn set_aside(dir: &Path) -> PathBuf {
    let aside = dir.with_extension(format!("corrupt-{}", crate::domain::now_ms()));
    if std::fs::rename(dir, &aside).is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    aside
}

fn create_fresh(dir: &Path) -> Result<Index, SearchError> {
    // An empty directory (a mount point, say) is used as it is.
    let empty = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
    if dir.exists() && !empty {
        set_aside(dir);
    }
    std::fs::create_dir_all(dir)?;
    let (schema, _) = schema::build();
    Ok(Index::create_in_dir(dir, schema)?)
}

/// Records a search that found nothing, through the writer's next group commit (never a write
/// of its own on the request path); the search does not wait for it, and a failure only logs.
pub fn record_zero_results(writer: &std::sync::Arc<crate::store::Writer>, query: &str) {
    metrics::counter!(crate::telemetry::metrics::SEARCH_ZERO_RESULTS).increment(1);
    let normalized: String = query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .chars()
        .take(100)
        .collect();
    if normalized.is_empty() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let writer = writer.clone();
    runtime.spawn(async move {
        if let Err(e) = writer.run(move |tx| tx.count_zero_result_search(&normalized)).await {
            tracing::warn!(error = %e, "could not record a zero-result search");
        }
    });
}
