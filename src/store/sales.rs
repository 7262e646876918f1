//! Flash sales, what each buyer took of them, and the price clock.

use std::sync::atomic::Ordering;

use redb::{ReadableTable, ReadableTableMetadata};

use super::codec::{decode, encode};
use super::tables::{BUNDLE_OF, FLASH_SALES, PRICE_CLOCK, SALE_BUYERS, SALES_BY_SKU};
use super::{ReadTx, StoreError, WriteTx};
use crate::sales::model::{FlashSale, Offer, best_offer};

const SALE_SEQ: &str = "flash_sale_seq";

/// The offer for `sku` at `now_ms` to `buyer`, read from the sales tables however they are open
/// (for reading or inside the write transaction).
fn offer_from(
    by_sku: &impl ReadableTable<(&'static str, u64), ()>,
    sales: &impl ReadableTable<u64, &'static [u8]>,
    buyers: &impl ReadableTable<(u64, &'static str), u64>,
    sku: &str,
    now_ms: u64,
    buyer: Option<&str>,
) -> Result<Option<Offer>, StoreError> {
    let buyer = buyer.map(buyer_key);
    let mut offers = Vec::new();
    for row in by_sku.range((sku, 0)..=(sku, u64::MAX))? {
        let id = row?.0.value().1;
        let Some(sale) = sales.get(id)?.map(|v| decode::<FlashSale>(v.value())).transpose()? else {
            continue;
        };
        let bought = match &buyer {
            Some(key) => buyers.get((id, key.as_str()))?.map_or(0, |v| v.value()),
            None => 0,
        };
        offers.extend(sale.offer(sku, now_ms, bought));
    }
    Ok(best_offer(offers))
}

fn buyer_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl ReadTx {
    pub fn flash_sale(&self, id: u64) -> Result<Option<FlashSale>, StoreError> {
        self.table(FLASH_SALES)?.get(id)?.map(|v| decode(v.value())).transpose()
    }

    /// Every flash sale, newest first.
    pub fn flash_sales(&self) -> Result<Vec<FlashSale>, StoreError> {
        let table = self.table(FLASH_SALES)?;
        let mut out = Vec::new();
        for row in table.iter()?.rev() {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    /// Whether any flash sale was ever created.
    pub fn has_flash_sales(&self) -> Result<bool, StoreError> {
        Ok(!self.table(SALES_BY_SKU)?.is_empty()?)
    }

    pub fn flash_offer(&self, sku: &str, now_ms: u64, buyer: Option<&str>) -> Result<Option<Offer>, StoreError> {
        if !self.mirrors().flash_sales.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let (by_sku, sales, buyers) = (
            self.table(SALES_BY_SKU)?,
            self.table(FLASH_SALES)?,
            self.table(SALE_BUYERS)?,
        );
        offer_from(&by_sku, &sales, &buyers, sku, now_ms, buyer)
    }

    /// The next moment a price changes by the clock, if any is scheduled.
    pub fn next_price_change(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.table(PRICE_CLOCK)?.first()?.map(|(k, _)| k.value().0))
    }
}

impl WriteTx<'_> {
    pub fn flash_sale(&self, id: u64) -> Result<Option<FlashSale>, StoreError> {
        self.txn()
            .open_table(FLASH_SALES)?
            .get(id)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn next_flash_sale_id(&mut self) -> Result<u64, StoreError> {
        self.next_in_sequence(SALE_SEQ)
    }

    /// Writes a sale and files it under each of its SKUs.
    pub fn put_flash_sale(&mut self, sale: &FlashSale) -> Result<(), StoreError> {
        // Set before the commit: should it fail, pricing merely looks for sales that are not there.
        self.mirrors().flash_sales.store(true, Ordering::Relaxed);
        self.txn()
            .open_table(FLASH_SALES)?
            .insert(sale.id, encode(sale)?.as_slice())?;
        let mut by_sku = self.txn().open_table(SALES_BY_SKU)?;
        for item in &sale.items {
            by_sku.insert((item.sku.as_str(), sale.id), ())?;
        }
        Ok(())
    }

    pub fn flash_offer(&self, sku: &str, now_ms: u64, buyer: Option<&str>) -> Result<Option<Offer>, StoreError> {
        if !self.mirrors().flash_sales.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let txn = self.txn();
        let (by_sku, sales, buyers) = (
            txn.open_table(SALES_BY_SKU)?,
            txn.open_table(FLASH_SALES)?,
            txn.open_table(SALE_BUYERS)?,
        );
        offer_from(&by_sku, &sales, &buyers, sku, now_ms, buyer)
    }

    /// Counts `units` bought at the sale price by `email`.
    pub fn add_sale_units_bought(&mut self, sale_id: u64, email: &str, units: u64) -> Result<(), StoreError> {
        let mut buyers = self.txn().open_table(SALE_BUYERS)?;
        let key = buyer_key(email);
        let before = buyers.get((sale_id, key.as_str()))?.map_or(0, |v| v.value());
        buyers.insert((sale_id, key.as_str()), before + units)?;
        Ok(())
    }

    /// Files (or with `false` unfiles) `bundle` as made partly of `component`.
    pub fn set_bundle_component(&mut self, component: &str, bundle: &str, member: bool) -> Result<(), StoreError> {
        let mut table = self.txn().open_table(BUNDLE_OF)?;
        match member {
            true => drop(table.insert((component, bundle), ())?),
            false => drop(table.remove((component, bundle))?),
        }
        Ok(())
    }

    /// The bundles that contain any of `skus` (sorted), whose availability changes with theirs.
    pub(super) fn bundles_containing(&self, skus: &[String]) -> Result<Vec<String>, StoreError> {
        let table = self.txn().open_table(BUNDLE_OF)?;
        if table.is_empty()? {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for sku in skus {
            for row in table.range((sku.as_str(), "")..=(sku.as_str(), "\u{10FFFF}"))? {
                out.push(row?.0.value().1.to_owned());
            }
        }
        Ok(out)
    }

    /// Asks the price clock to reprice `sku` at `at_ms`.
    pub fn schedule_price_change(&mut self, at_ms: u64, sku: &str) -> Result<(), StoreError> {
        self.txn().open_table(PRICE_CLOCK)?.insert((at_ms, sku), ())?;
        Ok(())
    }

    /// Takes up to `limit` price changes due at `now_ms`, removing them.
    pub fn take_due_price_changes(&mut self, now_ms: u64, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut clock = self.txn().open_table(PRICE_CLOCK)?;
        let due: Vec<(u64, String)> = clock
            .range((0, "")..(now_ms + 1, ""))?
            .take(limit)
            .map(|row| row.map(|(k, _)| (k.value().0, k.value().1.to_owned())))
            .collect::<Result<_, _>>()?;
        for (at, sku) in &due {
            clock.remove((*at, sku.as_str()))?;
        }
        Ok(due.into_iter().map(|(_, sku)| sku).collect())
    }
}
