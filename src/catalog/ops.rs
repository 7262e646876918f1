//! Catalog use cases: upsert and import (writes), and what the pages and API read.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::mpsc;

use super::import::{self, Format, Rejected};
use super::model::{Category, Item, Page, PageRequest, Product, ProductRecord, Sort};
use crate::domain::{CategoryPath, now_ms};
use crate::inventory::{self, Change};
use crate::store::{ReadTx, Store, StoreError, WriteTx};

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// Writes a product and its stock (if given) in the caller's transaction, keeping the category,
/// variant-group and best-seller tables in step.
pub fn upsert(tx: &mut WriteTx<'_>, record: ProductRecord, actor: &str) -> Result<Upserted, StoreError> {
    let mut batch = Batch::default();
    let outcome = batch.upsert(tx, record, actor)?;
    batch.finish(tx)?;
    Ok(outcome)
}

/// Upserts many products in one transaction, adjusting each category's count once at the end
/// rather than once per product.
#[derive(Default)]
#[must_use = "call finish to apply the category counts"]
pub struct Batch {
    category_deltas: HashMap<String, (CategoryPath, i64)>,
    changed: bool,
}

impl Batch {
    pub fn upsert(&mut self, tx: &mut WriteTx<'_>, record: ProductRecord, actor: &str) -> Result<Upserted, StoreError> {
        let ProductRecord { mut product, stock } = record;
        let old = tx.product(product.sku.as_str())?;
        if let Some(old) = &old {
            product.created_ms = old.created_ms;
            product.updated_ms = old.updated_ms;
        }
        let changed = old.as_ref() != Some(&product);
        if changed {
            self.changed = true;
            product.updated_ms = now_ms();
            if let Some(old) = &old {
                self.unindex(tx, old, &product)?;
            }
            self.index(tx, &product, old.as_ref())?;
            tx.put_product(&product)?;
        }
        let restocked = match stock {
            Some(units) => inventory::set(
                tx,
                product.sku.as_str(),
                units,
                &Change {
                    reason: "import",
                    actor,
                },
            )?
            .is_some(),
            None => false,
        };
        Ok(match (old, changed || restocked) {
            (None, _) => Upserted::Created,
            (Some(_), true) => Upserted::Updated,
            (Some(_), false) => Upserted::Unchanged,
        })
    }

    /// Applies the category counts gathered by `upsert`; a category at zero disappears.
    pub fn finish(self, tx: &mut WriteTx<'_>) -> Result<(), StoreError> {
        if self.changed {
            tx.bump_catalog_version()?;
        }
        for (slug, (path, delta)) in self.category_deltas {
            let current = tx.category(&slug)?.map_or(0, |c| c.count as i64);
            match current + delta {
                n if n <= 0 => tx.remove_category(&slug)?,
                n => tx.put_category(&slug, &Category { path, count: n as u64 })?,
            }
        }
        Ok(())
    }

    fn count(&mut self, path: &CategoryPath, delta: i64) {
        for ancestor in path.ancestors() {
            self.category_deltas
                .entry(ancestor.slug())
                .or_insert_with(|| (ancestor, 0))
                .1 += delta;
        }
    }

    /// Adds the product to the secondary tables; `old` is the version it replaces, if any.
    fn index(&mut self, tx: &mut WriteTx<'_>, p: &Product, old: Option<&Product>) -> Result<(), StoreError> {
        let sku = p.sku.as_str();
        if let Some(path) = &p.category {
            if old.is_none_or(|o| o.category.as_ref() != Some(path)) {
                self.count(path, 1);
            }
            let entry = p.listing_entry();
            for ancestor in path.ancestors() {
                tx.put_category_item(&ancestor.slug(), sku, &entry)?;
            }
        }
        if let Some(group) = &p.group {
            tx.set_group_member(group, sku, true)?;
        }
        if p.popularity > 0 {
            tx.set_popularity(sku, None, Some(p.popularity))?;
        }
        if p.featured {
            tx.set_featured(sku, true)?;
        }
        Ok(())
    }

    /// Removes the old version from the secondary tables, keeping category rows when `new` stays
    /// in the same category (they are overwritten by `index`).
    fn unindex(&mut self, tx: &mut WriteTx<'_>, p: &Product, new: &Product) -> Result<(), StoreError> {
        let sku = p.sku.as_str();
        if let Some(path) = p.category.as_ref().filter(|_| new.category != p.category) {
            self.count(path, -1);
            for ancestor in path.ancestors() {
                tx.remove_category_item(&ancestor.slug(), sku)?;
            }
        }
        if let Some(group) = &p.group {
            tx.set_group_member(group, sku, false)?;
        }
        if p.popularity > 0 {
            tx.set_popularity(sku, Some(p.popularity), None)?;
        }
        if p.featured {
            tx.set_featured(sku, false)?;
        }
        Ok(())
    }
}

/// The outcome of an import: counts and every rejected line.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<Rejected>,
}

impl ImportReport {
    pub fn accepted(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("could not read the catalog: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Products per write transaction: large enough that the fsync per commit is noise, small enough
/// that progress shows and memory stays flat.
const BATCH: usize = 2_000;

/// Imports a whole source. Parsing runs on its own thread while this one writes, one transaction
/// per batch. `progress` is called after every batch with the report so far.
pub fn import<R: BufRead + Send>(
    store: &Store,
    source: R,
    format: Format,
    actor: &str,
    progress: &mut dyn FnMut(&ImportReport),
) -> Result<ImportReport, ImportError> {
    let (sender, receiver) = mpsc::sync_channel::<std::io::Result<Vec<import::Line>>>(4);
    std::thread::scope(|scope| {
        scope.spawn(move || parse_batches(source, format, sender));
        let mut report = ImportReport::default();
        for batch in receiver {
            write_batch(store, batch?, actor, &mut report)?;
            progress(&report);
        }
        Ok(report)
    })
}

fn parse_batches<R: BufRead>(source: R, format: Format, sender: mpsc::SyncSender<std::io::Result<Vec<import::Line>>>) {
    let mut batch = Vec::with_capacity(BATCH);
    for line in import::lines(source, format, now_ms()) {
        match line {
            Ok(line) => batch.push(line),
            Err(e) => {
                let _ = sender.send(Err(e));
                return;
            }
        }
        if batch.len() == BATCH
            && sender
                .send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                .is_err()
        {
            return;
        }
    }
    let _ = sender.send(Ok(batch));
}

fn write_batch(
    store: &Store,
    batch: Vec<import::Line>,
    actor: &str,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let mut counts = ImportReport::default();
    store.write(|tx| {
        let mut upserts = Batch::default();
        for (line, parsed) in batch {
            match parsed {
                Ok(record) => match upserts.upsert(tx, record, actor)? {
                    Upserted::Created => counts.created += 1,
                    Upserted::Updated => counts.updated += 1,
                    Upserted::Unchanged => counts.unchanged += 1,
                },
                Err(message) => counts.rejected.push(Rejected { line, message }),
            }
        }
        upserts.finish(tx)
    })?;
    report.created += counts.created;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    report.rejected.extend(counts.rejected);
    Ok(())
}

/// A product with its stock and the other members of its variant group.
#[derive(Clone, Debug)]
pub struct ProductDetail {
    pub item: Item,
    /// Every member of the variant group, this one included, in SKU order; empty without a group.
    pub variants: Vec<Item>,
    pub breadcrumbs: Vec<(String, Category)>,
}

pub fn item(store: &Store, sku: &str) -> Result<Option<Item>, StoreError> {
    let tx = store.read()?;
    load_item(&tx, sku)
}

fn load_item(tx: &ReadTx, sku: &str) -> Result<Option<Item>, StoreError> {
    let Some(product) = tx.product(sku)? else {
        return Ok(None);
    };
    Ok(Some(Item {
        stock: tx.stock(sku)?,
        product,
    }))
}

fn load_items(tx: &ReadTx, skus: &[String]) -> Result<Vec<Item>, StoreError> {
    let mut out = Vec::with_capacity(skus.len());
    for sku in skus {
        out.extend(load_item(tx, sku)?);
    }
    Ok(out)
}

pub fn product_detail(store: &Store, sku: &str) -> Result<Option<ProductDetail>, StoreError> {
    let tx = store.read()?;
    let Some(item) = load_item(&tx, sku)? else {
        return Ok(None);
    };
    let variants = match &item.product.group {
        Some(group) => load_items(&tx, &tx.group_members(group)?)?,
        None => Vec::new(),
    };
    let breadcrumbs = match &item.product.category {
        Some(path) => breadcrumbs(&tx, path)?,
        None => Vec::new(),
    };
    Ok(Some(ProductDetail {
        item,
        variants,
        breadcrumbs,
    }))
}

fn breadcrumbs(tx: &ReadTx, path: &CategoryPath) -> Result<Vec<(String, Category)>, StoreError> {
    let mut out = Vec::new();
    for ancestor in path.ancestors() {
        let slug = ancestor.slug();
        if let Some(category) = tx.category(&slug)? {
            out.push((slug, category));
        }
    }
    Ok(out)
}

/// All products in SKU order, a page at a time.
pub fn list(store: &Store, page: PageRequest) -> Result<Page<Item>, StoreError> {
    let tx = store.read()?;
    let total = tx.product_count()?;
    let mut items = Vec::with_capacity(page.per_page as usize);
    for product in tx.products(page.offset(), page.per_page as usize)? {
        let stock = tx.stock(product.sku.as_str())?;
        items.push(Item { product, stock });
    }
    Ok(Page { items, total, page })
}

/// A category page: the category, its trail, its subcategories and a sorted page of its products.
#[derive(Clone, Debug)]
pub struct CategoryListing {
    pub slug: String,
    pub category: Category,
    pub breadcrumbs: Vec<(String, Category)>,
    pub children: Vec<(String, Category)>,
    pub items: Page<Item>,
}

pub fn category_listing(
    store: &Store,
    cache: &ListingCache,
    slug: &str,
    sort: Sort,
    page: PageRequest,
) -> Result<Option<CategoryListing>, StoreError> {
    let tx = store.read()?;
    let Some(category) = tx.category(slug)? else {
        return Ok(None);
    };
    let order = cache.get_or_build(&tx, slug, sort)?;
    let skus: Vec<String> = order
        .iter()
        .skip(page.offset())
        .take(page.per_page as usize)
        .cloned()
        .collect();
    let items = Page {
        items: load_items(&tx, &skus)?,
        total: order.len() as u64,
        page,
    };
    let children = child_categories(&tx, slug)?;
    let breadcrumbs = breadcrumbs(&tx, &category.path)?;
    Ok(Some(CategoryListing {
        slug: slug.to_owned(),
        category,
        breadcrumbs,
        children,
        items,
    }))
}

/// Sorted SKU lists of category listings, kept until the catalog changes. Sorting a big category
/// costs tens of milliseconds; serving it from here costs a lookup.
#[derive(Default)]
pub struct ListingCache {
    entries: std::sync::Mutex<SortedListings>,
}

/// (category slug, order) -> (catalog version it was built at, SKUs in order).
type SortedListings = HashMap<(String, Sort), (u64, Arc<Vec<String>>)>;

impl ListingCache {
    /// Enough for every category in every order of a large catalog; beyond it the cache restarts.
    const MAX_ENTRIES: usize = 4096;

    fn get_or_build(&self, tx: &ReadTx, slug: &str, sort: Sort) -> Result<Arc<Vec<String>>, StoreError> {
        let version = tx.catalog_version()?;
        let key = (slug.to_owned(), sort);
        if let Some((v, order)) = self.lock().get(&key)
            && *v == version
        {
            return Ok(order.clone());
        }
        let order = Arc::new(sorted_skus(tx, slug, sort)?);
        let mut entries = self.lock();
        if entries.len() >= Self::MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (version, order.clone()));
        Ok(order)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SortedListings> {
        // A panic while holding the lock leaves only a cache behind; its contents are still valid.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn sorted_skus(tx: &ReadTx, slug: &str, sort: Sort) -> Result<Vec<String>, StoreError> {
    let mut rows = tx.category_items(slug)?;
    match sort {
        Sort::Featured => rows.sort_by(|a, b| {
            b.1.popularity
                .cmp(&a.1.popularity)
                .then_with(|| a.1.title.cmp(&b.1.title))
        }),
        Sort::PriceAsc => rows.sort_by_key(|r| r.1.price_minor),
        Sort::PriceDesc => rows.sort_by_key(|r| Reverse(r.1.price_minor)),
        Sort::Newest => rows.sort_by_key(|r| Reverse(r.1.created_ms)),
        Sort::Title => rows.sort_by_cached_key(|r| r.1.title.to_lowercase()),
    }
    Ok(rows.into_iter().map(|(sku, _)| sku).collect())
}

/// Direct subcategories of `slug`, or the top level for `""`.
fn child_categories(tx: &ReadTx, slug: &str) -> Result<Vec<(String, Category)>, StoreError> {
    let depth = if slug.is_empty() {
        1
    } else {
        slug.split('/').count() + 1
    };
    let prefix = if slug.is_empty() {
        String::new()
    } else {
        format!("{slug}/")
    };
    let mut out: Vec<_> = tx
        .categories()?
        .into_iter()
        .filter(|(s, c)| s.starts_with(&prefix) && c.path.depth() == depth)
        .collect();
    out.sort_by(|a, b| a.1.path.name().cmp(b.1.path.name()));
    Ok(out)
}

/// What the home page shows.
#[derive(Clone, Debug)]
pub struct Home {
    pub categories: Vec<(String, Category)>,
    pub featured: Vec<Item>,
    pub best_sellers: Vec<Item>,
    pub product_count: u64,
}

pub fn home(store: &Store, limit: usize) -> Result<Home, StoreError> {
    let tx = store.read()?;
    Ok(Home {
        categories: child_categories(&tx, "")?,
        featured: load_items(&tx, &tx.featured(limit)?)?,
        best_sellers: load_items(&tx, &tx.most_popular(limit)?)?,
        product_count: tx.product_count()?,
    })
}

/// Whether the store holds no products (a fresh data dir, which the demo catalog may seed).
pub fn is_empty(store: &Store) -> Result<bool, StoreError> {
    Ok(store.read()?.product_count()? == 0)
}
