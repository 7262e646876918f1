//! Typed access to a read snapshot.

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::StoreError;
use super::codec::decode;
use super::tables::*;
use crate::cart::Cart;
use crate::catalog::{Category, ListingEntry, Product};
use crate::domain::OrderNumbering;
use crate::inventory::LedgerEntry;
use crate::orders::{IdempotencyRecord, Order};
use crate::staff::{Account, ApiToken, AuditEntry, Session};

/// A SKU the back office flags for reordering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowStock {
    pub sku: String,
    pub units: u64,
    pub threshold: u64,
}

/// A consistent snapshot of the store. Cheap to create; hold it only as long as a request.
pub struct ReadTx {
    txn: ReadTransaction,
    mirrors: std::sync::Arc<super::mirror::Mirrors>,
    numbering: OrderNumbering,
}

impl ReadTx {
    pub(super) fn new(
        txn: ReadTransaction,
        mirrors: std::sync::Arc<super::mirror::Mirrors>,
        numbering: OrderNumbering,
    ) -> ReadTx {
        ReadTx {
            txn,
            mirrors,
            numbering,
        }
    }

    pub(super) fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<ReadOnlyTable<K, V>, StoreError> {
        Ok(self.txn.open_table(def)?)
    }

    pub(super) fn mirrors(&self) -> &super::mirror::Mirrors {
        &self.mirrors
    }

    pub(super) fn numbering(&self) -> OrderNumbering {
        self.numbering
    }

    /// Changes whenever a product is created, changed or removed.
    pub fn catalog_version(&self) -> Result<u64, StoreError> {
        Ok(self
            .table(META)?
            .get(super::write::CATALOG_VERSION)?
            .map_or(0, |v| v.value()))
    }

    /// Whether the store was seeded with the demo catalog.
    pub fn is_demo_catalog(&self) -> Result<bool, StoreError> {
        Ok(self.table(META)?.get(super::write::DEMO_CATALOG)?.is_some())
    }

    pub fn product(&self, sku: &str) -> Result<Option<Product>, StoreError> {
        self.table(PRODUCTS)?.get(sku)?.map(|v| decode(v.value())).transpose()
    }

    pub fn product_count(&self) -> Result<u64, StoreError> {
        Ok(self.table(PRODUCTS)?.len()?)
    }

    /// Products in SKU order, skipping `offset`.
    pub fn products(&self, offset: usize, limit: usize) -> Result<Vec<Product>, StoreError> {
        let table = self.table(PRODUCTS)?;
        let mut out = Vec::with_capacity(limit.min(1024));
        for row in table.iter()?.skip(offset).take(limit) {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    /// Calls `f` with every product and its stock, in SKU order, from this one snapshot.
    pub fn for_each_product<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(Product, u64) -> Result<(), E>,
    ) -> Result<(), E> {
        let products = self.table(PRODUCTS)?;
        let stock = self.table(STOCK)?;
        for row in products.iter().map_err(StoreError::from)? {
            let (sku, bytes) = row.map_err(StoreError::from)?;
            let units = stock
                .get(sku.value())
                .map_err(StoreError::from)?
                .map_or(0, |v| v.value());
            f(decode(bytes.value())?, units)?;
        }
        Ok(())
    }

    pub fn stock(&self, sku: &str) -> Result<u64, StoreError> {
        Ok(self.table(STOCK)?.get(sku)?.map_or(0, |v| v.value()))
    }

    /// A SKU's ledger, oldest first.
    pub fn ledger(&self, sku: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        let table = self.table(LEDGER)?;
        let rows = table.range((sku, 0)..=(sku, u64::MAX))?;
        rows.map(|row| decode(row?.1.value())).collect()
    }

    /// Every category, ordered by slug (so parents come before their children).
    pub fn categories(&self) -> Result<Vec<(String, Category)>, StoreError> {
        let table = self.table(CATEGORIES)?;
        let mut out = Vec::new();
        for row in table.iter()? {
            let (slug, bytes) = row?;
            out.push((slug.value().to_owned(), decode(bytes.value())?));
        }
        Ok(out)
    }

    pub fn category(&self, slug: &str) -> Result<Option<Category>, StoreError> {
        self.table(CATEGORIES)?
            .get(slug)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    /// Every product in a category or below it, with what a listing sorts on.
    pub fn category_items(&self, slug: &str) -> Result<Vec<(String, ListingEntry)>, StoreError> {
        let table = self.table(CATEGORY_ITEMS)?;
        let mut out = Vec::new();
        for row in table.range((slug, "")..)? {
            let (key, bytes) = row?;
            let (row_slug, sku) = key.value();
            if row_slug != slug {
                break;
            }
            out.push((sku.to_owned(), decode(bytes.value())?));
        }
        let (below, after) = (format!("{slug}/"), format!("{slug}0"));
        for row in table.range((below.as_str(), "")..(after.as_str(), ""))? {
            let (key, bytes) = row?;
            out.push((key.value().1.to_owned(), decode(bytes.value())?));
        }
        Ok(out)
    }

    /// SKUs of a variant group, in SKU order.
    pub fn group_members(&self, group: &str) -> Result<Vec<String>, StoreError> {
        let table = self.table(GROUPS)?;
        let mut out = Vec::new();
        for row in table.range((group, "")..)? {
            let (key, _) = row?;
            let (g, sku) = key.value();
            if g != group {
                break;
            }
            out.push(sku.to_owned());
        }
        Ok(out)
    }

    /// Searches that found nothing, most frequent first.
    pub fn zero_result_searches(&self, limit: usize) -> Result<Vec<(String, u64)>, StoreError> {
        let mut all = Vec::new();
        for row in self.table(ZERO_RESULTS)?.iter()? {
            let (query, count) = row?;
            all.push((query.value().to_owned(), count.value()));
        }
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(limit);
        Ok(all)
    }

    pub fn featured(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let table = self.table(FEATURED)?;
        table
            .iter()?
            .take(limit)
            .map(|row| Ok(row?.0.value().to_owned()))
            .collect()
    }

    pub fn low_stock_threshold(&self, sku: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.table(LOW_STOCK)?.get(sku)?.map(|v| v.value()))
    }

    /// SKUs at or below their low-stock threshold (their own, else `default`), fewest units
    /// first, at most `limit`.
    pub fn low_stock(&self, default: u64, limit: usize) -> Result<Vec<LowStock>, StoreError> {
        let thresholds = self.table(LOW_STOCK)?;
        let mut own = std::collections::HashMap::new();
        for row in thresholds.iter()? {
            let (sku, units) = row?;
            own.insert(sku.value().to_owned(), units.value());
        }
        let mut low = Vec::new();
        let products = self.table(PRODUCTS)?;
        for row in self.table(STOCK)?.iter()? {
            let (sku, units) = row?;
            let (sku, units) = (sku.value(), units.value());
            let threshold = own.get(sku).copied().unwrap_or(default);
            // A deleted product's row stays at zero (its ledger keeps the history).
            if units <= threshold && products.get(sku)?.is_some() {
                low.push(LowStock {
                    sku: sku.to_owned(),
                    units,
                    threshold,
                });
            }
        }
        low.sort_by(|a, b| a.units.cmp(&b.units).then_with(|| a.sku.cmp(&b.sku)));
        low.truncate(limit);
        Ok(low)
    }

    /// Every SKU's stock level.
    pub fn stock_levels(&self) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let mut out = std::collections::BTreeMap::new();
        for row in self.table(STOCK)?.iter()? {
            let (sku, units) = row?;
            out.insert(sku.value().to_owned(), units.value());
        }
        Ok(out)
    }

    /// Every SKU's ledger: the sum of its deltas and the balance its last entry recorded.
    pub fn ledger_totals(&self) -> Result<std::collections::BTreeMap<String, (i64, u64)>, StoreError> {
        let mut out: std::collections::BTreeMap<String, (i64, u64)> = std::collections::BTreeMap::new();
        for row in self.table(LEDGER)?.iter()? {
            let (key, bytes) = row?;
            let entry: LedgerEntry = decode(bytes.value())?;
            let totals = out.entry(key.value().0.to_owned()).or_default();
            totals.0 += entry.delta;
            totals.1 = entry.balance;
        }
        Ok(out)
    }

    /// A cart that became an order is gone, though the sweeper has not deleted it yet.
    pub fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
        if self.mirrors.used_carts.at(id).is_some() {
            return Ok(None);
        }
        self.table(CARTS)?.get(id)?.map(|v| decode(v.value())).transpose()
    }

    pub fn order(&self, number: &str) -> Result<Option<Order>, StoreError> {
        self.order_in(&self.table(ORDERS)?, number)
    }

    fn order_in(&self, orders: &ReadOnlyTable<u64, &'static [u8]>, number: &str) -> Result<Option<Order>, StoreError> {
        order_by_number(orders, self.numbering, number)
    }

    pub fn order_count(&self) -> Result<u64, StoreError> {
        Ok(self.table(ORDERS)?.len()?)
    }

    /// Calls `f` with every order, oldest first, until it returns `false`.
    pub fn for_each_order(&self, mut f: impl FnMut(Order) -> bool) -> Result<(), StoreError> {
        let by_time = self.table(ORDERS_BY_TIME)?;
        let orders = self.table(ORDERS)?;
        for row in by_time.iter()? {
            let (key, _) = row?;
            let Some(order) = self.order_in(&orders, key.value().1)? else {
                continue;
            };
            if !f(order) {
                break;
            }
        }
        Ok(())
    }

    pub fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(at_ms) = self.mirrors.idempotency.at(key) else {
            return Ok(None);
        };
        self.table(IDEMPOTENCY_LOG)?
            .get((at_ms, key))?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn promo_uses(&self, code: &str) -> Result<u64, StoreError> {
        Ok(self.table(PROMO_USES)?.get(code)?.map_or(0, |v| v.value()))
    }
}

impl ReadTx {
    pub fn account(&self, username: &str) -> Result<Option<Account>, StoreError> {
        self.table(ACCOUNTS)?
            .get(username)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(ACCOUNTS)?.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn is_account_disabled(&self, username: &str) -> Result<bool, StoreError> {
        Ok(self.table(DISABLED_ACCOUNTS)?.get(username)?.is_some())
    }

    pub fn disabled_accounts(&self) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let mut out = std::collections::BTreeSet::new();
        for row in self.table(DISABLED_ACCOUNTS)?.iter()? {
            out.insert(row?.0.value().to_owned());
        }
        Ok(out)
    }

    pub fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.table(SESSIONS)?
            .get(id_hash)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn api_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        self.table(API_TOKENS)?.get(id)?.map(|v| decode(v.value())).transpose()
    }

    pub fn api_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(API_TOKENS)?.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    /// The newest audit entries, optionally only for one subject (`product:SKU`, `order:N`).
    pub fn audit_log(&self, subject: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let log = self.table(AUDIT)?;
        let mut out = Vec::new();
        match subject {
            None => {
                for row in log.iter()?.rev().take(limit) {
                    out.push(decode(row?.1.value())?);
                }
            }
            Some(subject) => {
                let index = self.table(AUDIT_BY_SUBJECT)?;
                for row in index
                    .range((subject, 0, 0)..=(subject, u64::MAX, u64::MAX))?
                    .rev()
                    .take(limit)
                {
                    let (_, at, seq) = row?.0.value();
                    if let Some(bytes) = log.get((at, seq))? {
                        out.push(decode(bytes.value())?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Funnel counts (views, carts) per hour in `[from_ms, to_ms)`.
    pub fn funnel_between(&self, from_ms: u64, to_ms: u64) -> Result<Vec<(u64, u64, u64)>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(FUNNEL)?.range(from_ms..to_ms)? {
            let (hour, counts) = row?;
            let (views, carts) = counts.value();
            out.push((hour.value(), views, carts));
        }
        Ok(out)
    }

    /// Orders placed in `[from_ms, to_ms)`, oldest first.
    pub fn orders_between(&self, from_ms: u64, to_ms: u64, mut f: impl FnMut(Order)) -> Result<(), StoreError> {
        let by_time = self.table(ORDERS_BY_TIME)?;
        let orders = self.table(ORDERS)?;
        for row in by_time.range((from_ms, "")..(to_ms, ""))? {
            let (key, _) = row?;
            if let Some(order) = self.order_in(&orders, key.value().1)? {
                f(order);
            }
        }
        Ok(())
    }

    /// Ledger entries of every SKU whose change left it at zero through an order, in `[from, to)`.
    pub fn stockouts_between(&self, from_ms: u64, to_ms: u64) -> Result<Vec<(String, LedgerEntry)>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(LEDGER)?.iter()? {
            let (key, bytes) = row?;
            let entry: LedgerEntry = decode(bytes.value())?;
            if entry.balance == 0 && entry.delta < 0 && (from_ms..to_ms).contains(&entry.at_ms) {
                out.push((key.value().0.to_owned(), entry));
            }
        }
        out.sort_by_key(|(_, e)| e.at_ms);
        Ok(out)
    }

    /// Orders newest first, optionally of one status, skipping `offset`.
    pub fn orders_newest_first(
        &self,
        status: Option<crate::orders::Status>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Order>, u64), StoreError> {
        // Only the page's orders are read; the rest are counted by their index keys.
        let orders = self.table(ORDERS)?;
        let mut numbers = Vec::with_capacity(limit.min(1024));
        let total = match status {
            None => {
                let by_time = self.table(ORDERS_BY_TIME)?;
                for row in by_time.iter()?.rev().skip(offset).take(limit) {
                    numbers.push(row?.0.value().1.to_owned());
                }
                by_time.len()?
            }
            Some(status) => {
                let by_status = self.table(ORDERS_BY_STATUS)?;
                let s = status.as_str();
                let mut total = 0u64;
                for row in by_status.range((s, 0u64, "")..=(s, u64::MAX, "\u{10FFFF}"))?.rev() {
                    let (key, _) = row?;
                    if total as usize >= offset && numbers.len() < limit {
                        numbers.push(key.value().2.to_owned());
                    }
                    total += 1;
                }
                total
            }
        };
        let mut out = Vec::with_capacity(numbers.len());
        for number in &numbers {
            if let Some(order) = self.order_in(&orders, number)? {
                out.push(order);
            }
        }
        Ok((out, total))
    }
}

/// The order with this number, from the `orders` table of a snapshot or a write transaction.
/// Orders are filed by sequence, which the number encodes.
pub(super) fn order_by_number(
    orders: &impl ReadableTable<u64, &'static [u8]>,
    numbering: OrderNumbering,
    number: &str,
) -> Result<Option<Order>, StoreError> {
    let Some(sequence) = numbering.sequence(number) else {
        return Ok(None);
    };
    let Some(bytes) = orders.get(sequence)? else {
        return Ok(None);
    };
    let order: Order = decode(bytes.value())?;
    // Anything else means the numbering key in `meta` does not match the orders (a store pieced
    // together from two), and showing a stranger's order would be worse than failing.
    if order.number != number {
        return Err(StoreError::Corrupt(format!(
            "order filed for {number} is numbered {}: the order numbering key does not match",
            order.number
        )));
    }
    Ok(Some(order))
}

/// The sequence an order with this number is filed under; a malformed number is corruption.
pub(super) fn order_sequence(numbering: OrderNumbering, number: &str) -> Result<u64, StoreError> {
    numbering
        .sequence(number)
        .ok_or_else(|| StoreError::Corrupt(format!("malformed order number {number:?}")))
}

/// What pricing and checkout read, from a read snapshot or from inside a write transaction, so
/// the check before a write and the write itself run the same code.
pub trait View {
    fn product(&self, sku: &str) -> Result<Option<Product>, StoreError>;
    fn stock(&self, sku: &str) -> Result<u64, StoreError>;
    fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError>;
    fn promo_uses(&self, code: &str) -> Result<u64, StoreError>;
    fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    fn order(&self, number: &str) -> Result<Option<Order>, StoreError>;
    /// The running flash sale's offer for `sku` at `now_ms`, to `buyer` (an email) if known.
    fn flash_offer(
        &self,
        sku: &str,
        now_ms: u64,
        buyer: Option<&str>,
    ) -> Result<Option<crate::sales::model::Offer>, StoreError>;
}

macro_rules! view_of {
    ($ty:ty) => {
        impl View for $ty {
            fn product(&self, sku: &str) -> Result<Option<Product>, StoreError> {
                <$ty>::product(self, sku)
            }
            fn stock(&self, sku: &str) -> Result<u64, StoreError> {
                <$ty>::stock(self, sku)
            }
            fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
                <$ty>::cart(self, id)
            }
            fn promo_uses(&self, code: &str) -> Result<u64, StoreError> {
                <$ty>::promo_uses(self, code)
            }
            fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
                <$ty>::idempotency(self, key)
            }
            fn order(&self, number: &str) -> Result<Option<Order>, StoreError> {
                <$ty>::order(self, number)
            }
            fn flash_offer(
                &self,
                sku: &str,
                now_ms: u64,
                buyer: Option<&str>,
            ) -> Result<Option<crate::sales::model::Offer>, StoreError> {
                <$ty>::flash_offer(self, sku, now_ms, buyer)
            }
        }
    };
}
view_of!(ReadTx);
view_of!(super::WriteTx<'_>);
