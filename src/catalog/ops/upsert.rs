//! Writing products: upsert one or many in the caller's transaction, keeping the secondary tables
//! (categories, variant groups, featured) and the stock ledger in step.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::catalog::model::{Category, ListingEntry, Product, ProductRecord};
use crate::domain::{CategoryPath, now_ms};
use crate::inventory::{self, Change};
use crate::store::{Encoded, StoreError, WriteTx};

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// How many upserts of a batch did what.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Tally {
    fn count(&mut self, outcome: Upserted) {
        match outcome {
            Upserted::Created => self.created += 1,
            Upserted::Updated => self.updated += 1,
            Upserted::Unchanged => self.unchanged += 1,
        }
    }
}

/// Writes a product and its stock (if given) in the caller's transaction, keeping the category,
/// variant-group and featured tables in step.
pub fn upsert(tx: &mut WriteTx<'_>, record: ProductRecord, actor: &str) -> Result<Upserted, StoreError> {
    let mut batch = Batch::default();
    let outcome = batch.upsert(tx, record, actor)?;
    batch.finish(tx)?;
    Ok(outcome)
}

/// Deletes a product and its rows in the secondary tables; its stock goes to zero with a ledger
/// entry (the ledger keeps the history). Returns the product that was removed.
pub fn remove(tx: &mut WriteTx<'_>, sku: &str, actor: &str) -> Result<Option<Product>, StoreError> {
    let Some(product) = tx.product(sku)? else {
        return Ok(None);
    };
    let mut batch = Batch::default();
    batch.unindex(tx, &product, None)?;
    inventory::clear(
        tx,
        sku,
        &Change {
            reason: "product deleted",
            actor,
        },
    )?;
    tx.remove_product(sku)?;
    tx.set_low_stock_threshold(sku, None)?;
    tx.catalog_changed(sku);
    batch.finish(tx)?;
    Ok(Some(product))
}

/// Rewrites a product's listing row at the price a shopper pays at `now_ms` and tells the
/// search index and caches it changed: a scheduled price or flash sale started or ended.
pub fn reprice(tx: &mut WriteTx<'_>, sku: &str, now_ms: u64) -> Result<(), StoreError> {
    let Some(product) = tx.product(sku)? else {
        return Ok(());
    };
    if let Some(path) = &product.category {
        let price = super::read::sellable(tx, product.clone(), now_ms, None)?.unit_price();
        let entry = ListingEntry {
            price_minor: price.minor(),
            ..product.listing_entry(now_ms)
        };
        tx.put_category_item(&path.slug(), sku, &entry)?;
    }
    tx.catalog_changed(sku);
    Ok(())
}

/// Whether two versions of a product differ in nothing but when they were created and updated.
/// `old` is given back as it was; borrowing it mutably saves a copy per product.
fn same_but_times(old: &mut Product, new: &Product) -> bool {
    let kept = (old.created_ms, old.updated_ms);
    (old.created_ms, old.updated_ms) = (new.created_ms, new.updated_ms);
    let same = *old == *new;
    (old.created_ms, old.updated_ms) = kept;
    same
}

/// A product record made ready to write on a thread other than the writer's: the product
/// encoded as it is stored if it turns out to be new, which is most of an import's writing work.
pub struct Prepared {
    pub record: ProductRecord,
    as_new: Encoded<Product>,
    /// Its category's slug and its row there, when it has a category.
    listed: Option<Listed>,
}

struct Listed {
    slug: String,
    entry: Encoded<ListingEntry>,
}

impl Prepared {
    pub fn new(mut record: ProductRecord) -> Result<Prepared, StoreError> {
        record.product.updated_ms = now_ms();
        let as_new = Encoded::new(&record.product)?;
        let listed = match &record.product.category {
            Some(path) => Some(Listed {
                slug: path.slug(),
                entry: Encoded::new(&record.product.listing_entry(record.product.updated_ms))?,
            }),
            None => None,
        };
        Ok(Prepared { record, as_new, listed })
    }
}

/// Upserts many products in one transaction, adjusting each category's count once at the end
/// rather than once per product.
#[derive(Default)]
#[must_use = "call finish to apply the category counts"]
pub struct Batch {
    /// Each product's own category, in the order first seen, with the change to its count;
    /// spread over the ancestors once, in `finish`.
    category_deltas: Vec<(CategoryPath, i64)>,
    position: FxHashMap<CategoryPath, usize>,
}

impl Batch {
    pub fn upsert(&mut self, tx: &mut WriteTx<'_>, record: ProductRecord, actor: &str) -> Result<Upserted, StoreError> {
        let old = tx.product(record.product.sku.as_str())?;
        self.upsert_with(tx, &record, None, old, actor)
    }

    /// `upsert` for a product prepared off the writing thread (see `Prepared`).
    pub fn upsert_prepared(
        &mut self,
        tx: &mut WriteTx<'_>,
        prepared: &Prepared,
        actor: &str,
    ) -> Result<Upserted, StoreError> {
        let old = tx.product(prepared.record.product.sku.as_str())?;
        self.upsert_with(tx, &prepared.record, Some(prepared), old, actor)
    }

    /// Upserts an import's batch: records prepared off the writing thread and sorted by SKU (a
    /// SKU given more than once ends with its last version). Products new to the store are
    /// written first, each table's rows in key order, a run of neighbouring keys at a time (see
    /// `WriteTx::add_products`), which is most of the writing when a catalog is loaded; the
    /// others are then upserted one by one, as `upsert_prepared` does.
    pub fn upsert_in_order(
        &mut self,
        tx: &mut WriteTx<'_>,
        records: &[Prepared],
        actor: &str,
    ) -> Result<Tally, StoreError> {
        let sku = |i: usize| records[i].record.product.sku.as_str();
        let present = tx.add_products(records.iter().map(|p| (p.record.product.sku.as_str(), &p.as_new)))?;
        let mut is_new = vec![true; records.len()];
        for (i, _) in &present {
            is_new[*i] = false;
        }
        let added = records.iter().zip(is_new).filter(|(_, new)| *new).map(|(p, _)| p);
        let mut tally = Tally {
            created: self.index_added(tx, added, actor)?,
            ..Tally::default()
        };
        for (i, stored) in present {
            // The stored version predates this batch; a SKU given again has changed since.
            let old = match i > 0 && sku(i - 1) == sku(i) {
                true => tx.product(sku(i))?,
                false => Some(stored),
            };
            let prepared = &records[i];
            tally.count(self.upsert_with(tx, &prepared.record, Some(prepared), old, actor)?);
        }
        Ok(tally)
    }

    /// Fills the other tables for products `add_products` has just added (in SKU order), each
    /// table's rows in key order. Returns how many there were.
    fn index_added<'a>(
        &mut self,
        tx: &mut WriteTx<'_>,
        added: impl Iterator<Item = &'a Prepared>,
        actor: &str,
    ) -> Result<u64, StoreError> {
        let (mut count, mut listings, mut levels) = (0, Vec::new(), Vec::new());
        for prepared in added {
            let product = &prepared.record.product;
            let sku = product.sku.as_str();
            if let (Some(path), Some(listed)) = (&product.category, &prepared.listed) {
                self.count(path, 1);
                listings.push(((listed.slug.as_str(), sku), &listed.entry));
            }
            self.index_beyond_category(tx, product)?;
            // A new product without a stock figure starts at zero, with its row.
            levels.push((sku, prepared.record.stock.unwrap_or(0)));
            tx.catalog_changed(sku);
            count += 1;
        }
        listings.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        tx.put_encoded_category_items(listings)?;
        let why = Change {
            reason: "import",
            actor,
        };
        inventory::set_in_order(tx, &levels, &why)?;
        Ok(count)
    }

    /// `prepared` is the record made ready, if the caller has it: used when the product is new.
    /// `old` is the stored version.
    fn upsert_with(
        &mut self,
        tx: &mut WriteTx<'_>,
        record: &ProductRecord,
        prepared: Option<&Prepared>,
        mut old: Option<Product>,
        actor: &str,
    ) -> Result<Upserted, StoreError> {
        let product = &record.product;
        let sku = product.sku.as_str();
        let unchanged = old.as_mut().is_some_and(|old| same_but_times(old, product));
        let changed = match &old {
            None => {
                match prepared {
                    Some(prepared) => tx.put_encoded_product(sku, &prepared.as_new)?,
                    None => tx.put_product(&Product {
                        updated_ms: now_ms(),
                        ..product.clone()
                    })?,
                }
                self.index(tx, product, None, prepared.and_then(|p| p.listed.as_ref()))?;
                true
            }
            Some(_) if unchanged => false,
            Some(old) => {
                let new = Product {
                    created_ms: old.created_ms,
                    updated_ms: now_ms(),
                    ..product.clone()
                };
                self.unindex(tx, old, Some(&new))?;
                self.index(tx, &new, Some(old), None)?;
                tx.put_product(&new)?;
                true
            }
        };
        // A new product without a stock figure starts at zero, with its row.
        let stock = record.stock.or(old.is_none().then_some(0));
        let restocked = match stock {
            Some(units) => inventory::set(
                tx,
                sku,
                units,
                &Change {
                    reason: "import",
                    actor,
                },
            )?
            .is_some(),
            None => false,
        };
        // Stock shows in listings and search (in stock or not), so it counts as a catalog change.
        if changed || restocked {
            tx.catalog_changed(sku);
        }
        // A running flash sale's price, not the product's, is the one its listing row sorts by.
        let now = now_ms();
        if changed && tx.flash_offer(sku, now, None)?.is_some() {
            reprice(tx, sku, now)?;
        }
        Ok(match (old, changed || restocked) {
            (None, _) => Upserted::Created,
            (Some(_), true) => Upserted::Updated,
            (Some(_), false) => Upserted::Unchanged,
        })
    }

    /// Applies the category counts gathered by `upsert`; a category at zero disappears. Paths
    /// spelled differently but with one slug share a count under the first spelling seen.
    pub fn finish(self, tx: &mut WriteTx<'_>) -> Result<(), StoreError> {
        let mut by_slug: HashMap<String, (CategoryPath, i64)> = HashMap::new();
        for (path, delta) in self.category_deltas {
            for ancestor in path.ancestors() {
                by_slug.entry(ancestor.slug()).or_insert_with(|| (ancestor, 0)).1 += delta;
            }
        }
        for (slug, (path, delta)) in by_slug {
            let current = tx.category(&slug)?.map_or(0, |c| c.count as i64);
            match current + delta {
                n if n <= 0 => tx.remove_category(&slug)?,
                n => tx.put_category(&slug, &Category { path, count: n as u64 })?,
            }
        }
        Ok(())
    }

    fn count(&mut self, path: &CategoryPath, delta: i64) {
        match self.position.get(path) {
            Some(&i) => self.category_deltas[i].1 += delta,
            None => {
                self.position.insert(path.clone(), self.category_deltas.len());
                self.category_deltas.push((path.clone(), delta));
            }
        }
    }

    /// Adds the product to the secondary tables; `old` is the version it replaces, if any.
    /// `listed` is the product's category row made ready beforehand, if it was.
    fn index(
        &mut self,
        tx: &mut WriteTx<'_>,
        p: &Product,
        old: Option<&Product>,
        listed: Option<&Listed>,
    ) -> Result<(), StoreError> {
        let sku = p.sku.as_str();
        if let Some(path) = &p.category {
            if old.is_none_or(|o| o.category.as_ref() != Some(path)) {
                self.count(path, 1);
            }
            match listed {
                Some(listed) => tx.put_encoded_category_item(&listed.slug, sku, &listed.entry)?,
                None => tx.put_category_item(&path.slug(), sku, &p.listing_entry(now_ms()))?,
            }
        }
        self.index_beyond_category(tx, p)
    }

    /// The part of `index` for a new product other than its category.
    fn index_beyond_category(&mut self, tx: &mut WriteTx<'_>, p: &Product) -> Result<(), StoreError> {
        let sku = p.sku.as_str();
        if let Some(group) = &p.group {
            tx.set_group_member(group, sku, true)?;
        }
        if p.featured {
            tx.set_featured(sku, true)?;
        }
        if let Some(sale) = &p.sale {
            for at in sale.changes_after(now_ms()) {
                tx.schedule_price_change(at, sku)?;
            }
        }
        for part in &p.bundle {
            tx.set_bundle_component(&part.sku, sku, true)?;
        }
        Ok(())
    }

    /// Removes the old version from the secondary tables, keeping category rows when `new` stays
    /// in the same category (they are overwritten by `index`); with no `new`, removes them all.
    fn unindex(&mut self, tx: &mut WriteTx<'_>, p: &Product, new: Option<&Product>) -> Result<(), StoreError> {
        let sku = p.sku.as_str();
        if let Some(path) = p
            .category
            .as_ref()
            .filter(|_| new.is_none_or(|n| n.category != p.category))
        {
            self.count(path, -1);
            tx.remove_category_item(&path.slug(), sku)?;
        }
        if let Some(group) = &p.group {
            tx.set_group_member(group, sku, false)?;
        }
        if p.featured {
            tx.set_featured(sku, false)?;
        }
        for part in &p.bundle {
            tx.set_bundle_component(&part.sku, sku, false)?;
        }
        Ok(())
    }
}
