//! Catalog pages from memory (the HTTP side is `web::page_cache`): the home, category, product and search pages an anonymous shopper
//! gets (no garage or cart cookie: those pages carry personal parts) are kept rendered and
//! compressed once per encoding, and served on the async threads without touching the store.
//!
//! An entry is good while the catalog version (bumped by every product change and by every change
//! in what a page shows of a SKU's stock, see `inventory::shown`) and the search index's
//! generation are the ones it was rendered at, so a price, text, stock state or ranking change is
//! on the next request; `max_age` bounds what neither tracks. Bounded by bytes; the least recently
//! used entries go first.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::telemetry::metrics as m;

/// One rendered page in the encodings a browser may ask for.
pub struct Entry {
    identity: Bytes,
    br: Bytes,
    gzip: Bytes,
    etag: String,
    stamp: (u64, u64),
    made: Instant,
    used: AtomicU64,
}

impl Entry {
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// The page in `encoding` (`br`, `gzip`, or anything else for none).
    pub fn body(&self, encoding: Option<&str>) -> Bytes {
        match encoding {
            Some("br") => self.br.clone(),
            Some("gzip") => self.gzip.clone(),
            _ => self.identity.clone(),
        }
    }

    fn bytes(&self) -> usize {
        self.identity.len() + self.br.len() + self.gzip.len() + 256
    }
}

pub struct PageCache {
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    used_bytes: AtomicU64,
    max_bytes: u64,
    max_age: Duration,
    catalog_version: AtomicU64,
    tick: AtomicU64,
}

impl PageCache {
    pub fn new(max_bytes: u64, max_age: Duration, catalog_version: u64) -> PageCache {
        PageCache {
            entries: Mutex::new(HashMap::new()),
            used_bytes: AtomicU64::new(0),
            max_bytes,
            max_age,
            catalog_version: AtomicU64::new(catalog_version),
            tick: AtomicU64::new(0),
        }
    }

    /// Called after each commit that changed the catalog (before its writer answers).
    pub fn catalog_changed(&self, version: u64) {
        self.catalog_version.fetch_max(version, Ordering::SeqCst);
    }

    /// Off with no memory for it, or when pages may not be reused at all (`page_max_age_secs = 0`).
    pub fn enabled(&self) -> bool {
        self.max_bytes > 0 && !self.max_age.is_zero()
    }

    /// The version a page rendered now is good for: the catalog's and the index's.
    pub fn stamp(&self, search_generation: u64) -> (u64, u64) {
        (self.catalog_version.load(Ordering::SeqCst), search_generation)
    }

    /// The page for `key` if it is still right at `stamp`.
    pub fn get(&self, key: &str, stamp: (u64, u64)) -> Option<Arc<Entry>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let hit = entries
            .get(key)
            .filter(|e| e.stamp == stamp && e.made.elapsed() < self.max_age)
            .cloned();
        drop(entries);
        match &hit {
            Some(entry) => {
                entry
                    .used
                    .store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
                metrics::counter!(m::PAGE_CACHE, "outcome" => "hit").increment(1);
            }
            None => metrics::counter!(m::PAGE_CACHE, "outcome" => "miss").increment(1),
        }
        hit
    }

    /// Compresses `html` once per encoding (call it off the async threads) and keeps it.
    pub fn put(&self, key: String, html: Vec<u8>, stamp: (u64, u64)) -> Arc<Entry> {
        let entry = Arc::new(Entry {
            br: Bytes::from(brotli(&html)),
            gzip: Bytes::from(gzip(&html)),
            etag: etag_of(&html),
            identity: Bytes::from(html),
            stamp,
            made: Instant::now(),
            used: AtomicU64::new(self.tick.fetch_add(1, Ordering::Relaxed)),
        });
        let size = entry.bytes() as u64;
        if size > self.max_bytes / 8 {
            return entry; // one page must not push out a hundred
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.insert(key, entry.clone()) {
            self.used_bytes.fetch_sub(old.bytes() as u64, Ordering::Relaxed);
        }
        let used = self.used_bytes.fetch_add(size, Ordering::Relaxed) + size;
        if used > self.max_bytes {
            self.evict(&mut entries);
        }
        metrics::gauge!(m::PAGE_CACHE_BYTES).set(self.used_bytes.load(Ordering::Relaxed) as f64);
        metrics::gauge!(m::PAGE_CACHE_ENTRIES).set(entries.len() as f64);
        entry
    }

    /// Drops the least recently used quarter (and anything stale), in one pass.
    fn evict(&self, entries: &mut HashMap<String, Arc<Entry>>) {
        let mut ages: Vec<u64> = entries.values().map(|e| e.used.load(Ordering::Relaxed)).collect();
        ages.sort_unstable();
        let cut = ages.get(ages.len() / 4).copied().unwrap_or(0);
        let current = self.catalog_version.load(Ordering::SeqCst);
        entries.retain(|_, e| {
            let keep = e.used.load(Ordering::Relaxed) > cut && e.stamp.0 == current;
            if !keep {
                self.used_bytes.fetch_sub(e.bytes() as u64, Ordering::Relaxed);
            }
            keep
        });
    }
}

/// A weak validator from the body's hash: equal bodies give equal tags in every process, and
/// "weak" because compression changes the bytes but not the meaning.
pub fn etag_of(body: &[u8]) -> String {
    format!("W/\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body))
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        let _ = w.write_all(body);
    }
    out
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::new(6));
    let _ = w.write_all(body);
    w.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_good_only_at_its_stamp_and_the_least_used_go_first_when_full() {
        let cache = PageCache::new(64 << 10, Duration::from_secs(60), 7);
        let stamp = cache.stamp(1);
        cache.put("/p/A?".into(), vec![b'a'; 1000], stamp);
        assert!(cache.get("/p/A?", stamp).is_some());
        cache.catalog_changed(8);
        assert!(cache.get("/p/A?", cache.stamp(1)).is_none(), "a catalog change ends it");
        cache.put("/p/A?".into(), vec![b'a'; 1000], cache.stamp(1));
        assert!(
            cache.get("/p/A?", cache.stamp(2)).is_none(),
            "so does a new index generation"
        );
        let stamp = cache.stamp(1);
        for i in 0..400 {
            // Incompressible enough that 400 pages overflow 64 KiB.
            let page: Vec<u8> = (0..2000u32)
                .map(|n| (n.wrapping_mul(2_654_435_761).wrapping_add(i) >> 13) as u8)
                .collect();
            cache.put(format!("/p/{i}?"), page, stamp);
            assert!(cache.get("/p/0?", stamp).is_some() || i > 0);
        }
        assert!(cache.used_bytes.load(Ordering::Relaxed) <= 64 << 10, "bounded");
        assert!(cache.get("/p/399?", stamp).is_some(), "the newest stays");
    }
}
