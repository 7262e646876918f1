//! Search latency over a `storefront gen` catalog, in process, one client.
//!
//! `cargo bench --bench search` (100k products; `SEARCH_BENCH_PRODUCTS=N` for another size).
//! `SEARCH_BENCH_DATA_DIR=DIR` instead searches an existing data dir (say, one filled by
//! `storefront gen --products 1000000 | storefront import`), which saves generating and
//! importing a million products on every run.
//! Prints p50 / p99 / max per query class after a warm-up.

use std::time::{Duration, Instant};

use storefront::catalog::PageRequest;
use storefront::catalog::generator::generate;
use storefront::catalog::import::Format;
use storefront::catalog::ops::import;
use storefront::search::{Level, SearchIndex, SearchRequest, SearchSort};
use storefront::store::{Store, StoreOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORDS: [&str; 12] = [
    "brake", "ceramic", "front", "filter", "oil", "spark", "iridium", "habanero", "garlic", "strut", "rear", "premium",
];

/// One-word searches that match a large part of the catalog, as "sauce" does in December.
const BROAD: [&str; 5] = ["sauce", "oz", "brake", "filter", "hot sauce"];

/// Misspellings of catalog words, each one edit away.
const TYPOS: [&str; 8] = [
    "brkae", "fliter", "habanro", "sprak", "iridum", "ceramc", "premuim", "garlc",
];

fn main() {
    let cache = StoreOptions {
        cache_bytes: 256 << 20,
        ..StoreOptions::default()
    };
    let (_temp, data_dir, store) = match std::env::var_os("SEARCH_BENCH_DATA_DIR") {
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir);
            let store = Store::open(&dir, &cache).expect("store");
            (None, dir, store)
        }
        None => {
            let (temp, store) = generated_store(&cache);
            let dir = temp.path().to_owned();
            (Some(temp), dir, store)
        }
    };
    let part_numbers = sample_part_numbers(&store);
    let products = store.read().expect("read").product_count().expect("count");
    let started = Instant::now();
    let index = SearchIndex::open(&data_dir, &store).expect("index");
    println!(
        "{products} products: index opened (rebuilt if needed) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Word pairs some product has: a pair that finds nothing takes the typo-tolerant retry, a
    // second and slower pass measured on its own row below.
    let pairs: Vec<String> = WORDS
        .iter()
        .flat_map(|a| WORDS.iter().filter(move |b| a != *b).map(move |b| format!("{a} {b}")))
        .filter(|q| {
            let req = SearchRequest {
                q: q.clone(),
                ..SearchRequest::default()
            };
            index.search(&req).is_ok_and(|r| r.total > 0 && !r.corrected)
        })
        .collect();
    println!(
        "{} of {} word pairs find something",
        pairs.len(),
        WORDS.len() * (WORDS.len() - 1)
    );
    let corrected = TYPOS
        .iter()
        .filter(|q| {
            let req = SearchRequest {
                q: q.to_string(),
                ..SearchRequest::default()
            };
            index.search(&req).is_ok_and(|r| r.corrected)
        })
        .count();
    println!("{corrected} of {} misspellings found by the typo retry", TYPOS.len());
    let full = |i: usize| SearchRequest {
        q: pairs[(i * 7) % pairs.len()].clone(),
        min_price: Some(1_000),
        max_price: Some(50_000),
        in_stock: true,
        page: PageRequest::new(Some(1), Some(20), 20),
        ..SearchRequest::default()
    };
    let browse = |i: usize| SearchRequest {
        category: Some(["brakes", "filters", "hot-sauces", "suspension"][i % 4].to_owned()),
        sort: SearchSort::PriceAsc,
        page: PageRequest::new(Some(3), Some(24), 24),
        ..SearchRequest::default()
    };
    let vehicles: Vec<(u16, String, String)> = vec![
        (2009, "Honda".into(), "Civic".into()),
        (2012, "Ford".into(), "F-150".into()),
        (2015, "Toyota".into(), "Camry".into()),
        (2010, "Chevrolet".into(), "Silverado 1500".into()),
    ];
    let fitted = |i: usize| {
        let (year, make, model) = vehicles[i % vehicles.len()].clone();
        SearchRequest {
            vehicle: Some(storefront::search::VehicleFilter {
                year,
                make,
                model,
                submodel: None,
                engine: None,
            }),
            ..full(i)
        }
    };
    let typo = |i: usize| SearchRequest {
        q: TYPOS[i % TYPOS.len()].to_owned(),
        in_stock: true,
        page: PageRequest::new(Some(1), Some(20), 20),
        ..SearchRequest::default()
    };
    let part = |i: usize| SearchRequest {
        q: part_numbers[i % part_numbers.len()].clone(),
        ..SearchRequest::default()
    };

    let broad = |i: usize| SearchRequest {
        q: BROAD[i % BROAD.len()].to_owned(),
        page: PageRequest::new(Some(1), Some(20), 20),
        ..SearchRequest::default()
    };
    // The work itself: the memory of recent answers is off but for the row that measures it.
    index.remember_answers(false);
    measure(&index, "one broad word (sauce, oz, brake…) + facets", broad);
    measure(&index, "text + price + in stock + facets, top 20", full);
    index.remember_answers(true);
    measure(&index, "the broad words again, answered from memory", broad);
    index.remember_answers(false);
    measure(&index, "the same + vehicle (or universal)", fitted);
    measure(&index, "category browse by price, page 3 + facets", browse);
    measure(&index, "part number typed loosely", part);
    measure(&index, "a misspelled word (found by the typo retry)", typo);
    let started = Instant::now();
    index.reload_vehicles().expect("vehicles");
    println!(
        "{:<45} {:>8.3} ms (at open and after a reindex)",
        "cascade: vehicle tree read from the index",
        started.elapsed().as_secs_f64() * 1e3
    );
    let cascade = [(2009, "Honda"), (2012, "Ford"), (2015, "Toyota"), (2010, "Chevrolet")];
    measure_cascade("cascade: makes for a year", |i| {
        index
            .vehicle_values(Level::Make, Some(cascade[i % 4].0), None, None, None)
            .len()
    });
    measure_cascade("cascade: models for a year and make", |i| {
        let (year, make) = cascade[i % 4];
        index
            .vehicle_values(Level::Model, Some(year), Some(make), None, None)
            .len()
    });
}

/// A fresh store holding `SEARCH_BENCH_PRODUCTS` generated products.
fn generated_store(options: &StoreOptions) -> (tempfile::TempDir, Store) {
    let products: u64 = std::env::var("SEARCH_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), options).expect("store");
    let mut catalog = Vec::new();
    generate(products, 7, &mut catalog).expect("generate");
    import(&store, &catalog[..], Format::JsonLines, "bench", &mut |_| {}).expect("import");
    (dir, store)
}

/// Every 97th product's second part number, typed loosely (lower case, spaces for dashes).
fn sample_part_numbers(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    let mut n = 0u64;
    store
        .read()
        .expect("read")
        .for_each_product(|product, _| {
            n += 1;
            if n.is_multiple_of(97)
                && let Some(pn) = product.part_numbers.get(1)
            {
                out.push(pn.as_str().to_lowercase().replace('-', " "));
            }
            Ok::<_, storefront::store::StoreError>(())
        })
        .expect("products");
    out
}

fn measure_cascade(name: &str, run: impl Fn(usize) -> usize) {
    time(name, |i| {
        let t = Instant::now();
        std::hint::black_box(run(i));
        t.elapsed()
    });
}

/// Runs `timed` to warm up, then up to 2,000 times, and prints p50, p99 and max of what it
/// returns (the time of the part worth measuring).
fn time(name: &str, timed: impl Fn(usize) -> Duration) {
    // 200 warm-up runs and 2,000 measured, each cut short at 2 s and 10 s (at least 100 runs)
    // so a slow class does not stretch the bench past a few minutes.
    let warm = Instant::now();
    for i in 0..200 {
        timed(i);
        if warm.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let started = Instant::now();
    let mut times: Vec<Duration> = Vec::with_capacity(2_000);
    for i in 0..2_000 {
        times.push(timed(i));
        if times.len() >= 100 && started.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{name:<45} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

fn measure(index: &SearchIndex, name: &str, request: impl Fn(usize) -> SearchRequest) {
    time(name, |i| {
        let req = request(i);
        let t = Instant::now();
        std::hint::black_box(index.search(&req).expect("search"));
        t.elapsed()
    });
}
