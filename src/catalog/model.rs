//! The product model: what a sellable item is, independent of storage and the web.

use std::collections::BTreeMap;
use std::fmt;

use crate::domain::{CategoryPath, Fitments, Money, PartNumber, Sku};
use crate::sales::model::{BundlePart, Offer, ScheduledPrice};

/// One sellable item (SKU). Stock lives in `inventory`, not here.
#[derive(Clone, Debug, PartialEq, bincode::Encode, bincode::Decode)]
pub struct Product {
    pub sku: Sku,
    pub title: String,
    pub description: String,
    pub brand: Option<String>,
    pub category: Option<CategoryPath>,
    pub price: Money,
    /// The item's own number first, then interchange, OEM and superseded numbers.
    pub part_numbers: Vec<PartNumber>,
    /// Sorted by name; names are unique.
    pub attributes: BTreeMap<String, AttrValue>,
    pub fitments: Fitments,
    /// Fits every vehicle (wiper fluid, a tool).
    pub universal: bool,
    /// Variant group handle: items sharing it are one product in several options (sizes).
    pub group: Option<String>,
    pub options: BTreeMap<String, String>,
    pub featured: bool,
    /// Seeded by the merchant and raised by sales; orders "best sellers".
    pub popularity: u32,
    /// Fields of the import line this version does not know, kept as a JSON object so that an
    /// export gives them back. Empty when there were none.
    pub extra: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    /// A scheduled price (layout 2).
    pub sale: Option<ScheduledPrice>,
    /// The components, when this item is a bundle sold as one (layout 2); empty otherwise.
    pub bundle: Vec<BundlePart>,
}

/// An attribute value; attributes become search facets.
#[derive(Clone, Debug, PartialEq, bincode::Encode, bincode::Decode)]
pub enum AttrValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Text(s) => f.write_str(s),
            AttrValue::Int(n) => write!(f, "{n}"),
            AttrValue::Float(x) => write!(f, "{x}"),
            AttrValue::Bool(true) => f.write_str("Yes"),
            AttrValue::Bool(false) => f.write_str("No"),
        }
    }
}

impl Product {
    /// A part with fitments or marked universal; hot sauces are neither.
    pub fn is_vehicle_part(&self) -> bool {
        self.universal || !self.fitments.is_empty()
    }

    /// The product photo's URL: the `image` field of the import line, when it is a path on this
    /// shop (`/images/…`, set by an upload) or an https URL. Anything else is ignored.
    pub fn image_url(&self) -> Option<String> {
        if self.extra.is_empty() {
            return None;
        }
        let extra: serde_json::Value = serde_json::from_str(&self.extra).ok()?;
        let url = extra.get("image")?.as_str()?;
        let safe = url.starts_with("/images/") || url.starts_with("https://");
        (safe && !url.contains(['"', '<', '>', ' ', '\\'])).then(|| url.to_owned())
    }

    /// A copy whose `image` field is `url` (kept with the other unknown fields, so an export
    /// carries it and an import restores it).
    pub fn with_image(&self, url: &str) -> Product {
        let mut extra: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&self.extra).unwrap_or_default();
        extra.insert("image".into(), serde_json::Value::String(url.to_owned()));
        Product {
            extra: serde_json::Value::Object(extra).to_string(),
            ..self.clone()
        }
    }

    /// The price in force at `now_ms`: the scheduled price while it runs, else the regular one.
    pub fn price_at(&self, now_ms: u64) -> Money {
        match &self.sale {
            Some(sale) if sale.in_force(now_ms) => sale.price,
            _ => self.price,
        }
    }

    pub fn is_bundle(&self) -> bool {
        !self.bundle.is_empty()
    }

    /// The stock `quantity` units of this item take: its own, or each component's for a bundle.
    pub fn stock_taken(&self, quantity: u64) -> Vec<(&str, u64)> {
        if self.is_bundle() {
            self.bundle
                .iter()
                .map(|part| (part.sku.as_str(), quantity.saturating_mul(u64::from(part.quantity))))
                .collect()
        } else {
            vec![(self.sku.as_str(), quantity)]
        }
    }

    pub fn own_part_number(&self) -> Option<&PartNumber> {
        self.part_numbers.first()
    }

    /// The compact row a category listing sorts on, so listing pages never decode whole products;
    /// its price is the one in force at `now_ms` (rewritten when a scheduled price starts or ends).
    pub fn listing_entry(&self, now_ms: u64) -> ListingEntry {
        ListingEntry {
            title: self.title.clone(),
            price_minor: self.price_at(now_ms).minor(),
            created_ms: self.created_ms,
            popularity: self.popularity,
        }
    }
}

/// A product as a line of the import format carries it: the product and, optionally, its stock.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductRecord {
    pub product: Product,
    /// `None` leaves stock as it is (0 for a new item).
    pub stock: Option<u64>,
}

/// What a category listing needs to sort and page without loading products.
#[derive(Clone, Debug, PartialEq, bincode::Encode, bincode::Decode)]
pub struct ListingEntry {
    pub title: String,
    pub price_minor: i64,
    pub created_ms: u64,
    pub popularity: u32,
}

/// A product as a shopper may buy it now: what every page and API answer shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub product: Product,
    /// Units a shopper may buy: stock on hand, what a bundle's components allow, or what a
    /// sold-out-when-gone flash sale has left.
    pub stock: u64,
    /// The price in force when it was read (a scheduled price while it runs), before any offer.
    pub price: Money,
    /// A running flash sale's offer.
    pub offer: Option<Offer>,
}

impl Item {
    /// An item read at `now_ms` with `stock` on hand and no flash sale.
    pub fn new(product: Product, stock: u64, now_ms: u64) -> Item {
        Item {
            price: product.price_at(now_ms),
            product,
            stock,
            offer: None,
        }
    }

    /// With a running flash sale's offer, which may limit what can be bought.
    pub fn with_offer(mut self, offer: Option<Offer>) -> Item {
        if let Some(o) = &offer {
            self.stock = o.sellable(self.stock);
        }
        self.offer = offer;
        self
    }

    pub fn in_stock(&self) -> bool {
        self.stock > 0
    }

    /// What one unit costs now: the flash sale's price while it has units for this shopper,
    /// else the price in force.
    pub fn unit_price(&self) -> Money {
        match &self.offer {
            Some(o) if o.allowance > 0 => o.price,
            _ => self.price,
        }
    }

    /// The regular price, shown struck through, when the shopper pays less now.
    pub fn was(&self) -> Option<Money> {
        (self.unit_price() < self.product.price).then_some(self.product.price)
    }
}

/// A category with the number of products in it and below it.
#[derive(Clone, Debug, PartialEq, bincode::Encode, bincode::Decode)]
pub struct Category {
    pub path: CategoryPath,
    pub count: u64,
}

/// How a listing is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Featured,
    PriceAsc,
    PriceDesc,
    Newest,
    Title,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Featured,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Newest,
        Sort::Title,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Sort::Featured => "Featured",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::Newest => "Newest",
            Sort::Title => "Name: A to Z",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Featured => "featured",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Newest => "newest",
            Sort::Title => "title",
        }
    }
}

/// A page request: 1-based page, bounded size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(None, None, 20)
    }
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 100;
    /// Deep offsets cost linear time; nobody pages this far by hand.
    pub const MAX_OFFSET: u64 = 10_000;

    /// Clamps to 1..=MAX_PER_PAGE and to pages within MAX_OFFSET.
    pub fn new(page: Option<u32>, per_page: Option<u32>, default_per_page: u32) -> PageRequest {
        let per_page = per_page.unwrap_or(default_per_page).clamp(1, Self::MAX_PER_PAGE);
        let max_page = (Self::MAX_OFFSET / u64::from(per_page)).max(1) as u32;
        PageRequest {
            page: page.unwrap_or(1).clamp(1, max_page),
            per_page,
        }
    }

    /// Like `new`, but a page below 1 or a page size outside 1..=MAX_PER_PAGE is an error (the API
    /// says so rather than quietly answering another page); pages past the cap still clamp.
    pub fn checked(page: Option<u32>, per_page: Option<u32>, default_per_page: u32) -> Result<PageRequest, String> {
        // 2³¹ - 1: the largest page an OpenAPI int32 can name.
        if page.is_some_and(|p| p == 0 || p > i32::MAX as u32) {
            return Err(format!("page is 1 to {}", i32::MAX));
        }
        if per_page.is_some_and(|n| n == 0 || n > Self::MAX_PER_PAGE) {
            return Err(format!("per_page must be 1 to {}", Self::MAX_PER_PAGE));
        }
        Ok(PageRequest::new(page, per_page, default_per_page))
    }

    /// Like `new` without the offset cap: for the merchant's own lists (every order must be
    /// reachable, however many there are), not for public, unauthenticated paging.
    pub fn unbounded(page: Option<u32>, per_page: Option<u32>, default_per_page: u32) -> PageRequest {
        PageRequest {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(default_per_page).clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> usize {
        (self.page as usize - 1).saturating_mul(self.per_page as usize)
    }
}

/// A page of results and the total across all pages.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: PageRequest,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        self.total
            .div_ceil(u64::from(self.page.per_page))
            .max(1)
            .min(u64::from(u32::MAX)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_request_clamps_size_and_depth() {
        assert_eq!(PageRequest::new(None, None, 24), PageRequest { page: 1, per_page: 24 });
        assert_eq!(PageRequest::new(Some(0), Some(1000), 24).per_page, 100);
        assert_eq!(PageRequest::new(Some(1_000_000), Some(100), 24).page, 100);
        assert_eq!(PageRequest::new(Some(3), Some(10), 24).offset(), 20);
    }
}
