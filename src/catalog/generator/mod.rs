//! `storefront gen`: a deterministic synthetic catalog in the import format, for load tests and
//! benches. About 80 % auto parts (own, interchange, OEM and superseded numbers in real makers'
//! styles; 1 to 200 year-range fitments, mean about 50) and 20 % hot sauces in size variants.
//! The same seed always gives the same catalog.

mod parts;
mod sauces;
mod vehicles;

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

pub use vehicles::{MAKES, Make, Model};

/// Writes `products` lines to `out`. Returns the number written.
pub fn generate(products: u64, seed: u64, out: &mut dyn Write) -> std::io::Result<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut written = 0;
    let mut serial = 0u64;
    let mut line = Vec::with_capacity(8 * 1024);
    while written < products {
        serial += 1;
        // A sauce family averages two sizes, so one draw in nine gives a 20 % share of SKUs.
        let batch = if rng.random_bool(8.0 / 9.0) {
            vec![parts::part(&mut rng, serial)]
        } else {
            sauces::sauce_family(&mut rng, serial)
        };
        for product in batch.into_iter().take((products - written) as usize) {
            line.clear();
            serde_json::to_writer(&mut line, &product)?;
            line.push(b'\n');
            out.write_all(&line)?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

/// Picks from a slice with the given weights.
fn weighted<'a, T>(rng: &mut impl Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[0]
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A price ending in .99 or .49 within `lo..hi` dollars, as merchants price.
fn price(rng: &mut impl Rng, lo: u32, hi: u32) -> Value {
    let dollars = rng.random_range(lo..hi.max(lo + 1)) as u64;
    let cents = if rng.random_bool(0.8) { 99 } else { 49 };
    Value::from(dollars * 100 + cents)
}

/// Stock skewed like a real shop: a tenth sold out, most a handful, a few by the hundred.
fn stock(rng: &mut impl Rng) -> Value {
    let roll: f64 = rng.random();
    let units = if roll < 0.1 {
        0
    } else if roll < 0.8 {
        rng.random_range(1..40)
    } else {
        rng.random_range(40..500)
    };
    Value::from(units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::import::{Format, lines};

    fn catalog(n: u64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        generate(n, seed, &mut out).unwrap();
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_catalog_and_another_seed_another() {
        assert_eq!(catalog(300, 7), catalog(300, 7));
        assert_ne!(catalog(300, 7), catalog(300, 8));
    }

    #[test]
    fn every_generated_line_imports_and_the_mix_is_realistic() {
        let records: Vec<_> = lines(&catalog(2000, 1)[..], Format::JsonLines, 0)
            .map(|l| l.unwrap().1.expect("generated line is valid"))
            .collect();
        assert_eq!(records.len(), 2000);
        let parts: Vec<_> = records.iter().filter(|r| r.product.is_vehicle_part()).collect();
        let share = parts.len() as f64 / records.len() as f64;
        assert!((0.7..0.9).contains(&share), "auto-part share {share}");
        let fitted: Vec<_> = parts.iter().filter(|r| !r.product.fitments.is_empty()).collect();
        let mean = fitted.iter().map(|r| r.product.fitments.len()).sum::<usize>() as f64 / fitted.len() as f64;
        assert!((35.0..70.0).contains(&mean), "mean fitments {mean}");
        assert!(fitted.iter().all(|r| (1..=200).contains(&r.product.fitments.len())));
        assert!(parts.iter().all(|r| r.product.part_numbers.len() >= 2));
        let skus: std::collections::HashSet<_> = records.iter().map(|r| r.product.sku.clone()).collect();
        assert_eq!(skus.len(), records.len(), "skus are unique");
        assert!(
            records
                .iter()
                .any(|r| r.product.group.is_some() && r.product.options.contains_key("size"))
        );
    }
}
