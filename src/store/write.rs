//! Typed access to the tables inside one write transaction.

use redb::{ReadableTable, Table, WriteTransaction};

use super::StoreError;
use super::codec::{decode, encode};
use super::tables::*;

const LEDGER_SEQ: &str = "ledger_seq";
pub(super) const CATALOG_VERSION: &str = "catalog_version";
use crate::catalog::{Category, ListingEntry, Product};
use crate::inventory::LedgerEntry;

/// The tables of one write transaction, opened once. Obtain one through `Store::write`.
pub struct WriteTx<'t> {
    meta: Table<'t, &'static str, u64>,
    products: Table<'t, &'static str, &'static [u8]>,
    stock: Table<'t, &'static str, u64>,
    ledger: Table<'t, (&'static str, u64), &'static [u8]>,
    categories: Table<'t, &'static str, &'static [u8]>,
    category_items: Table<'t, (&'static str, &'static str), &'static [u8]>,
    groups: Table<'t, (&'static str, &'static str), ()>,
    popular: Table<'t, (u32, &'static str), ()>,
    featured: Table<'t, &'static str, ()>,
    zero_results: Table<'t, &'static str, u64>,
    /// The ledger sequence, read once and written back by `finish`, so appending an entry costs
    /// one insert rather than three table operations.
    ledger_seq: Option<u64>,
}

impl<'t> WriteTx<'t> {
    pub(super) fn open(txn: &'t WriteTransaction) -> Result<WriteTx<'t>, StoreError> {
        Ok(WriteTx {
            meta: txn.open_table(META)?,
            products: txn.open_table(PRODUCTS)?,
            stock: txn.open_table(STOCK)?,
            ledger: txn.open_table(LEDGER)?,
            categories: txn.open_table(CATEGORIES)?,
            category_items: txn.open_table(CATEGORY_ITEMS)?,
            groups: txn.open_table(GROUPS)?,
            popular: txn.open_table(POPULAR)?,
            featured: txn.open_table(FEATURED)?,
            zero_results: txn.open_table(ZERO_RESULTS)?,
            ledger_seq: None,
        })
    }

    /// Writes back cached counters; `Store::write` calls it before committing.
    pub(super) fn finish(mut self) -> Result<(), StoreError> {
        if let Some(seq) = self.ledger_seq {
            self.meta.insert(LEDGER_SEQ, seq)?;
        }
        Ok(())
    }

    /// Marks the catalog as changed, so caches derived from it (sorted listings) are rebuilt.
    pub fn bump_catalog_version(&mut self) -> Result<(), StoreError> {
        let next = self.meta.get(CATALOG_VERSION)?.map_or(0, |v| v.value()) + 1;
        self.meta.insert(CATALOG_VERSION, next)?;
        Ok(())
    }

    pub fn product(&self, sku: &str) -> Result<Option<Product>, StoreError> {
        self.products.get(sku)?.map(|v| decode(v.value())).transpose()
    }

    pub fn put_product(&mut self, product: &Product) -> Result<(), StoreError> {
        self.products
            .insert(product.sku.as_str(), encode(product)?.as_slice())?;
        Ok(())
    }

    pub fn remove_product(&mut self, sku: &str) -> Result<bool, StoreError> {
        Ok(self.products.remove(sku)?.is_some())
    }

    pub fn stock(&self, sku: &str) -> Result<u64, StoreError> {
        Ok(self.stock.get(sku)?.map_or(0, |v| v.value()))
    }

    /// Only `inventory` calls this, together with `append_ledger`.
    pub fn set_stock(&mut self, sku: &str, units: u64) -> Result<(), StoreError> {
        self.stock.insert(sku, units)?;
        Ok(())
    }

    pub fn append_ledger(&mut self, sku: &str, entry: &LedgerEntry) -> Result<(), StoreError> {
        let seq = match self.ledger_seq {
            Some(seq) => seq + 1,
            None => self.meta.get(LEDGER_SEQ)?.map_or(0, |v| v.value()) + 1,
        };
        self.ledger_seq = Some(seq);
        self.ledger.insert((sku, seq), encode(entry)?.as_slice())?;
        Ok(())
    }

    pub fn category(&self, slug: &str) -> Result<Option<Category>, StoreError> {
        self.categories.get(slug)?.map(|v| decode(v.value())).transpose()
    }

    pub fn put_category(&mut self, slug: &str, category: &Category) -> Result<(), StoreError> {
        self.categories.insert(slug, encode(category)?.as_slice())?;
        Ok(())
    }

    pub fn remove_category(&mut self, slug: &str) -> Result<(), StoreError> {
        self.categories.remove(slug)?;
        Ok(())
    }

    pub fn put_category_item(&mut self, slug: &str, sku: &str, entry: &ListingEntry) -> Result<(), StoreError> {
        self.category_items.insert((slug, sku), encode(entry)?.as_slice())?;
        Ok(())
    }

    pub fn remove_category_item(&mut self, slug: &str, sku: &str) -> Result<(), StoreError> {
        self.category_items.remove((slug, sku))?;
        Ok(())
    }

    pub fn set_group_member(&mut self, group: &str, sku: &str, member: bool) -> Result<(), StoreError> {
        if member {
            self.groups.insert((group, sku), ())?;
        } else {
            self.groups.remove((group, sku))?;
        }
        Ok(())
    }

    pub fn set_popularity(&mut self, sku: &str, old: Option<u32>, new: Option<u32>) -> Result<(), StoreError> {
        if let Some(old) = old {
            self.popular.remove((old, sku))?;
        }
        if let Some(new) = new {
            self.popular.insert((new, sku), ())?;
        }
        Ok(())
    }

    pub fn count_zero_result_search(&mut self, query: &str) -> Result<(), StoreError> {
        let seen = self.zero_results.get(query)?.map_or(0, |v| v.value());
        self.zero_results.insert(query, seen + 1)?;
        Ok(())
    }

    pub fn set_featured(&mut self, sku: &str, featured: bool) -> Result<(), StoreError> {
        if featured {
            self.featured.insert(sku, ())?;
        } else {
            self.featured.remove(sku)?;
        }
        Ok(())
    }
}
