//! What the pages and the API read: products with stock, variant groups, category listings (with a
//! cache of sorted orders) and the home page.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::model::Product;
use crate::catalog::model::{Category, Item, Page, PageRequest, Sort};
use crate::domain::CategoryPath;
use crate::domain::now_ms;
use crate::sales::model::bundles_available;
use crate::store::{ReadTx, Store, StoreError, View};

/// A product with its stock and the other members of its variant group.
#[derive(Clone, Debug)]
pub struct ProductDetail {
    pub item: Item,
    /// Every member of the variant group, this one included, cheapest first; empty without a group.
    pub variants: Vec<Item>,
    pub breadcrumbs: Vec<(String, Category)>,
    /// A bundle's components with how many of each it holds; empty for other items.
    pub components: Vec<(u32, Item)>,
}

pub fn item(store: &Store, sku: &str) -> Result<Option<Item>, StoreError> {
    let tx = store.read()?;
    load_item(&tx, sku)
}

/// The products of `skus` that exist, in the given order, read from one snapshot.
pub fn items(store: &Store, skus: &[String]) -> Result<Vec<Item>, StoreError> {
    load_items(&store.read()?, skus)
}

fn load_item(tx: &ReadTx, sku: &str) -> Result<Option<Item>, StoreError> {
    let Some(product) = tx.product(sku)? else {
        return Ok(None);
    };
    sellable(tx, product, now_ms(), None).map(Some)
}

/// A product as a shopper may buy it at `now_ms`: its price in force, a running flash sale's
/// offer (to `buyer`, an email, when known) and the units on sale (a bundle's come from its
/// components).
pub fn sellable(view: &impl View, product: Product, now_ms: u64, buyer: Option<&str>) -> Result<Item, StoreError> {
    let stock = if product.is_bundle() {
        let mut levels = Vec::with_capacity(product.bundle.len());
        for part in &product.bundle {
            levels.push(view.stock(&part.sku)?);
        }
        bundles_available(&product.bundle, &levels)
    } else {
        view.stock(product.sku.as_str())?
    };
    let offer = view.flash_offer(product.sku.as_str(), now_ms, buyer)?;
    Ok(Item::new(product, stock, now_ms).with_offer(offer))
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
        Some(group) => {
            let mut members = load_items(&tx, &tx.group_members(group)?)?;
            // Sizes read naturally smallest first, and price follows size far more often than SKU does.
            members.sort_by(|a, b| a.price.cmp(&b.price).then_with(|| a.product.sku.cmp(&b.product.sku)));
            members
        }
        None => Vec::new(),
    };
    let breadcrumbs = match &item.product.category {
        Some(path) => breadcrumbs(&tx, path)?,
        None => Vec::new(),
    };
    let mut components = Vec::new();
    for part in &item.product.bundle {
        if let Some(component) = load_item(&tx, &part.sku)? {
            components.push((part.quantity, component));
        }
    }
    Ok(Some(ProductDetail {
        item,
        variants,
        breadcrumbs,
        components,
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
    let now = now_ms();
    for product in tx.products(page.offset(), page.per_page as usize)? {
        items.push(sellable(&tx, product, now, None)?);
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

/// `best_sellers` are SKUs, most popular first, as `SearchIndex::best_sellers` gives them.
pub fn home(store: &Store, limit: usize, best_sellers: &[String]) -> Result<Home, StoreError> {
    let tx = store.read()?;
    Ok(Home {
        categories: child_categories(&tx, "")?,
        featured: load_items(&tx, &tx.featured(limit)?)?,
        best_sellers: load_items(&tx, best_sellers)?,
        product_count: tx.product_count()?,
    })
}

/// Whether the store holds no products (a fresh data dir, which the demo catalog may seed).
pub fn is_empty(store: &Store) -> Result<bool, StoreError> {
    Ok(store.read()?.product_count()? == 0)
}
