//! Search latency over a `storefront gen` catalog, in process, one client.
//!
//! `cargo bench --bench search` (100k products; `SEARCH_BENCH_PRODUCTS=N` for another size).
//! Prints p50 / p99 / max per query class after a warm-up.

use std::time::{Duration, Instant};

use storefront::catalog::PageRequest;
use storefront::catalog::generator::generate;
use storefront::catalog::import::Format;
use storefront::catalog::ops::import;
use storefront::search::{SearchIndex, SearchRequest, SearchSort};
use storefront::store::{Store, StoreOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORDS: [&str; 12] = [
    "brake", "ceramic", "front", "filter", "oil", "spark", "iridium", "habanero", "garlic", "strut", "rear", "premium",
];

fn main() {
    let products: u64 = std::env::var("SEARCH_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(
        dir.path(),
        &StoreOptions {
            cache_bytes: 256 << 20,
            ..StoreOptions::default()
        },
    )
    .expect("store");
    let mut catalog = Vec::new();
    generate(products, 7, &mut catalog).expect("generate");
    import(&store, &catalog[..], Format::JsonLines, "bench", &mut |_| {}).expect("import");
    let part_numbers: Vec<String> = catalog
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .step_by(97)
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            v["part_numbers"][1]
                .as_str()
                .map(|s| s.to_lowercase().replace('-', " "))
        })
        .collect();
    drop(catalog);
    let started = Instant::now();
    let index = SearchIndex::open(dir.path(), &store).expect("index");
    println!(
        "{products} products: index built in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let full = |i: usize| SearchRequest {
        q: format!("{} {}", WORDS[i % WORDS.len()], WORDS[(i / 3 + 1) % WORDS.len()]),
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
    let part = |i: usize| SearchRequest {
        q: part_numbers[i % part_numbers.len()].clone(),
        ..SearchRequest::default()
    };

    measure(&index, "text + price + in stock + facets, top 20", full);
    measure(&index, "the same + vehicle (or universal)", fitted);
    measure(&index, "category browse by price, page 3 + facets", browse);
    measure(&index, "part number typed loosely", part);
}

fn measure(index: &SearchIndex, name: &str, request: impl Fn(usize) -> SearchRequest) {
    for i in 0..200 {
        index.search(&request(i)).expect("search");
    }
    let mut times: Vec<Duration> = (0..2_000)
        .map(|i| {
            let req = request(i);
            let t = Instant::now();
            let results = index.search(&req).expect("search");
            std::hint::black_box(results);
            t.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{name:<45} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}
