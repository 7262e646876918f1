//! Catalog import throughput over a `storefront gen` catalog.
//!
//! `cargo bench --bench import` reports products per second for parsing and validating alone, and
//! for the whole import into a fresh redb store (what `storefront import` does).

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use storefront::catalog::ProductRecord;
use storefront::catalog::generator::generate;
use storefront::catalog::import::{Format, lines};
use storefront::catalog::ops::{Batch, import};
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
            || {
                let records: Vec<ProductRecord> = lines(&data[..], Format::JsonLines, 0)
                    .map(|l| l.expect("read").1.expect("valid"))
                    .collect();
                (tempfile::tempdir().expect("temp dir"), records)
            },
            |(dir, records)| {
                let store = Store::open(dir.path(), &StoreOptions::default()).expect("store");
                for chunk in records.chunks(2_000) {
                    store
                        .write(|tx| {
                            let mut batch = Batch::default();
                            for record in chunk {
                                batch.upsert(tx, record.clone(), "bench")?;
                            }
                            batch.finish(tx)
                        })
                        .map_err(|e: StoreError| e)
                        .expect("write");
                }
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

criterion_group!(benches, bench_import);
criterion_main!(benches);
