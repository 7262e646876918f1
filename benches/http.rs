//! Latency over HTTP for one client against the release binary and a `storefront gen` catalog:
//! full searches (text + vehicle + filters + facets), part numbers, category pages, product
//! pages, and the vehicle cascade. Every request asks for an answer not given before (a varying
//! parameter), except the row that measures recent answers; the page cache is off
//! (`page_max_age_secs = 0`).
//!
//! `cargo bench --bench http` (100k products; `HTTP_BENCH_PRODUCTS=N` for another size).

use std::time::{Duration, Instant};

const WORDS: [&str; 10] = [
    "brake", "ceramic", "front", "filter", "oil", "spark", "strut", "rear", "premium", "pads",
];
/// One-word searches that match a large part of the catalog.
const BROAD: [&str; 5] = ["sauce", "oz", "brake", "filter", "hot+sauce"];
const VEHICLES: [(u16, &str, &str); 4] = [
    (2009, "Honda", "Civic"),
    (2015, "Toyota", "Camry"),
    (2012, "Ford", "F-150"),
    (2018, "Chevrolet", "Silverado"),
];

/// Builds the i-th request path of a class.
type PathFor<'a> = Box<dyn Fn(usize) -> String + 'a>;

mod common;

fn main() {
    let products: u64 = std::env::var("HTTP_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let (data, catalog) = common::generated_store(dir.path(), products);
    let part_numbers: Vec<String> = std::fs::read_to_string(&catalog)
        .unwrap()
        .lines()
        .step_by(97)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            v["part_numbers"][1]
                .as_str()
                .map(|s| s.to_lowercase().replace('-', " "))
        })
        .collect();
    let skus: Vec<String> = std::fs::read_to_string(&catalog)
        .unwrap()
        .lines()
        .step_by(53)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["sku"].as_str().map(String::from))
        .collect();
    let config = dir.path().join("bench.toml");
    std::fs::write(&config, "[limits]\nenabled = false\n[http]\npage_max_age_secs = 0\n").unwrap();
    let started = Instant::now();
    let (mut child, addr) = common::serve(&config, &data);
    println!(
        "{products} products; server ready (index built) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let classes: Vec<(&str, PathFor)> = vec![
        (
            "search: words + vehicle + price + in stock + facets, top 20",
            Box::new(|i| {
                let (y, mk, md) = VEHICLES[i % VEHICLES.len()];
                format!(
                    "/api/v1/search?q={}+{}&year={y}&make={mk}&model={md}&min_price={}&max_price=50000&in_stock=true&per_page=20",
                    WORDS[i % WORDS.len()],
                    WORDS[(i / 3 + 1) % WORDS.len()],
                    1000 + i
                )
            }),
        ),
        (
            // A different price floor each time, so no answer is remembered from before.
            "search: one broad word (sauce, oz, brake…) + facets",
            Box::new(|i| format!("/api/v1/search?q={}&per_page=20&min_price={i}", BROAD[i % BROAD.len()])),
        ),
        (
            "search: the same five words again (recent answers)",
            Box::new(|i| format!("/api/v1/search?q={}&per_page=20", BROAD[i % BROAD.len()])),
        ),
        (
            "search: a part number typed loosely",
            Box::new(|i| {
                format!(
                    "/api/v1/search?q={}",
                    part_numbers[i % part_numbers.len()].replace(' ', "+")
                )
            }),
        ),
        (
            "vehicle cascade: models of a year and make",
            Box::new(|i| {
                let (y, mk, _) = VEHICLES[i % VEHICLES.len()];
                format!("/api/v1/vehicles/models?year={y}&make={mk}")
            }),
        ),
        (
            "product page (HTML)",
            Box::new(|i| format!("/p/{}", skus[i % skus.len()])),
        ),
        (
            "search page with facets (HTML)",
            Box::new(|i| format!("/search?q={}&min_price={i}", WORDS[i % WORDS.len()])),
        ),
    ];
    for (label, path) in &classes {
        for i in 0..50 {
            client
                .get(format!("{addr}{}", path(i)))
                .send()
                .unwrap()
                .bytes()
                .unwrap();
        }
        let mut times = Vec::new();
        for i in 0..1000 {
            let t = Instant::now();
            let res = client.get(format!("{addr}{}", path(i + 50))).send().unwrap();
            assert!(res.status().is_success(), "{label}: {}", res.status());
            res.bytes().unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        let ms = |p: f64| times[((times.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
        println!(
            "{label:<62} p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms",
            ms(0.5),
            ms(0.99),
            ms(1.0)
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
