//! Catalog import throughput over a `storefront gen` catalog.
//!
//! `cargo bench --bench import` reports products per second for parsing and validating alone, for
//! the importing thread's writing alone (batches parsed, sorted and encoded beforehand, as the
//! parsing threads hand them over), and for the whole import into a fresh redb store (what
//! `storefront import` does).

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use storefront::catalog::ProductRecord;
use storefront::catalog::generator::generate;
use storefront::catalog::import::{Format, lines};
use storefront::catalog::ops::{Batch, Prepared, import};
use storefront::store::StoreError;
use storefront::store::{Store, StoreOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The size the README quotes for `storefront import`: a merchant's whole catalog.
const PRODUCTS: u64 = 100_000;

fn catalog() -> Vec<u8> {
    let mut out = Vec::new();
    generate(PRODUCTS, 42, &mut out).expect("generate");
    out
}

fn bench_import(c: &mut Criterion) {
    let data = catalog();
    let mut group = c.benchmark_group("import");
    group
        .throughput(Throughput::Elements(PRODUCTS))
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("parse_and_validate", |b| {
        b.iter(|| {
            lines(&data[..], Format::JsonLines, 0)
                .filter(|l| matches!(l, Ok((_, Ok(_)))))
                .count()
        })
    });
    group.bench_function("write_only", |b| {
        b.iter_batched(
            || (tempfile::tempdir().expect("temp dir"), prepared_batches(&data)),
            |(dir, batches)| {
                let store = Store::open(dir.path(), &StoreOptions::default()).expect("store");
                for batch in &batches {
                    store
                        .write_unsynced(|tx| {
                            let mut upserts = Batch::default();
                            upserts.upsert_in_order(tx, batch, "bench")?;
                            upserts.finish(tx)
                        })
                        .map_err(|e: StoreError| e)
                        .expect("write");
                }
                store.sync().expect("sync");
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("into_fresh_store", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                let store = Store::open(dir.path(), &StoreOptions::default()).expect("store");
                let report = import(&store, &data[..], Format::JsonLines, "bench", &mut |_| {}).expect("import");
                assert_eq!(report.accepted(), PRODUCTS);
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The catalog as the importing thread receives it: batches of 2,000 records, each sorted by SKU
/// and encoded on a parsing thread.
fn prepared_batches(data: &[u8]) -> Vec<Vec<Prepared>> {
    let records: Vec<ProductRecord> = lines(data, Format::JsonLines, 0)
        .map(|l| l.expect("read").1.expect("valid"))
        .collect();
    records
        .chunks(2_000)
        .map(|chunk| {
            let mut chunk = chunk.to_vec();
            chunk.sort_by(|a, b| a.product.sku.as_str().cmp(b.product.sku.as_str()));
            chunk.into_iter().map(|r| Prepared::new(r).expect("encode")).collect()
        })
        .collect()
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
