//! Typed access to the tables inside one write transaction.

use std::ops::Bound;

use redb::{CursorError, Key, ReadableTable, ReadableTableMetadata, Table, Value, WriteTransaction};

use super::codec::{Encoded, decode, encode};
use super::mirror::{MirrorChanges, Mirrors};
use super::tables::*;
use super::{CatalogChange, StoreError};

const LEDGER_SEQ: &str = "ledger_seq";
const ORDER_SEQ: &str = "order_seq";
pub(super) const CATALOG_VERSION: &str = "catalog_version";
pub(super) const DEMO_CATALOG: &str = "demo_catalog";
use crate::cart::Cart;
use crate::catalog::{Category, ListingEntry, Product};
use crate::domain::{ORDER_SEQUENCE_LIMIT, OrderNumbering};
use crate::inventory::LedgerEntry;
use crate::orders::{IdempotencyRecord, Order};
use crate::staff::{Account, ApiToken, AuditEntry, Session};

/// What a transaction leaves for after its commit.
pub(super) struct Finished {
    pub change: Option<CatalogChange>,
    pub mirrored: MirrorChanges,
    pub jobs_added: bool,
}

/// The tables of one write transaction, opened once. Obtain one through `Store::write`.
pub struct WriteTx<'t> {
    txn: &'t WriteTransaction,
    meta: Table<'t, &'static str, u64>,
    products: Table<'t, &'static str, &'static [u8]>,
    stock: Table<'t, &'static str, u64>,
    ledger: Table<'t, (&'static str, u64), &'static [u8]>,
    categories: Table<'t, &'static str, &'static [u8]>,
    category_items: Table<'t, (&'static str, &'static str), &'static [u8]>,
    groups: Table<'t, (&'static str, &'static str), ()>,
    featured: Table<'t, &'static str, ()>,
    zero_results: Table<'t, &'static str, u64>,
    carts: Table<'t, &'static str, &'static [u8]>,
    carts_used: Table<'t, (u64, &'static str), ()>,
    /// The committed mirrors of `carts_used` and `idempotency_log`, and this transaction's
    /// changes to them.
    mirrors: &'t Mirrors,
    pending: MirrorChanges,
    cart_expiry: Table<'t, (u64, &'static str), ()>,
    orders: Table<'t, u64, &'static [u8]>,
    numbering: OrderNumbering,
    orders_by_time: Table<'t, (u64, &'static str), ()>,
    orders_by_status: Table<'t, (&'static str, u64, &'static str), ()>,
    idempotency_log: Table<'t, (u64, &'static str), &'static [u8]>,
    promo_uses: Table<'t, &'static str, u64>,
    /// Held open like the tables above: a checkout queues its event job and reads its SKUs'
    /// thresholds, and opening a table costs about as much as the write itself.
    pub(super) jobs: Table<'t, u64, &'static [u8]>,
    pub(super) jobs_due: Table<'t, (u8, u64, u64), ()>,
    low_stock: Table<'t, &'static str, u64>,
    /// SKUs whose catalog view changed in this transaction, as told (sorted and deduplicated
    /// when the transaction ends).
    changed: Vec<String>,
    /// The ledger sequence, read once and written back by `finish`, so appending an entry costs
    /// one insert rather than three table operations.
    ledger_seq: Option<u64>,
    /// The last order sequence handed out, cached like `ledger_seq`.
    order_seq: Option<u64>,
    /// A job was queued: the job runner is woken after the commit.
    pub(super) jobs_added: bool,
    /// The last job id handed out, cached like `ledger_seq` (a flash sale's batch queues a job
    /// per order).
    pub(super) job_seq: Option<u64>,
    /// `meta` settings read once per transaction: whether events are recorded, the shop's
    /// low-stock threshold, and whether catalog changes queue purges.
    pub(super) settings: Option<(bool, Option<u64>, bool)>,
}

impl<'t> WriteTx<'t> {
    pub(super) fn open(
        txn: &'t WriteTransaction,
        mirrors: &'t Mirrors,
        numbering: OrderNumbering,
    ) -> Result<WriteTx<'t>, StoreError> {
        Ok(WriteTx {
            txn,
            meta: txn.open_table(META)?,
            products: txn.open_table(PRODUCTS)?,
            stock: txn.open_table(STOCK)?,
            ledger: txn.open_table(LEDGER)?,
            categories: txn.open_table(CATEGORIES)?,
            category_items: txn.open_table(CATEGORY_ITEMS)?,
            groups: txn.open_table(GROUPS)?,
            featured: txn.open_table(FEATURED)?,
            zero_results: txn.open_table(ZERO_RESULTS)?,
            carts: txn.open_table(CARTS)?,
            carts_used: txn.open_table(CARTS_USED)?,
            mirrors,
            pending: MirrorChanges::default(),
            cart_expiry: txn.open_table(CART_EXPIRY)?,
            orders: txn.open_table(ORDERS)?,
            numbering,
            orders_by_time: txn.open_table(ORDERS_BY_TIME)?,
            orders_by_status: txn.open_table(ORDERS_BY_STATUS)?,
            idempotency_log: txn.open_table(IDEMPOTENCY_LOG)?,
            promo_uses: txn.open_table(PROMO_USES)?,
            jobs: txn.open_table(JOBS)?,
            jobs_due: txn.open_table(JOBS_DUE)?,
            low_stock: txn.open_table(LOW_STOCK)?,
            ledger_seq: None,
            order_seq: None,
            changed: Default::default(),
            jobs_added: false,
            job_seq: None,
            settings: None,
        })
    }

    /// Writes back cached counters and the catalog version; `Store::write` calls it before
    /// committing, and hands the changes it returns on once the commit is durable.
    pub(super) fn finish(mut self) -> Result<Finished, StoreError> {
        if let Some(seq) = self.ledger_seq {
            self.meta.insert(LEDGER_SEQ, seq)?;
        }
        if let Some(seq) = self.order_seq {
            self.meta.insert(ORDER_SEQ, seq)?;
        }
        if let Some(seq) = self.job_seq {
            self.meta.insert(super::jobs::JOB_SEQ, seq)?;
        }
        let change = self.bump_catalog_version()?;
        Ok(Finished {
            change,
            mirrored: std::mem::take(&mut self.pending),
            jobs_added: self.jobs_added,
        })
    }

    pub(super) fn txn(&self) -> &'t WriteTransaction {
        self.txn
    }

    pub(super) fn mirrors(&self) -> &'t Mirrors {
        self.mirrors
    }

    /// The next number of the counter `key` in `meta` (1 first).
    pub(super) fn next_in_sequence(&mut self, key: &str) -> Result<u64, StoreError> {
        let next = self.meta.get(key)?.map_or(0, |v| v.value()) + 1;
        self.meta.insert(key, next)?;
        Ok(next)
    }

    pub(super) fn meta_value(&self, key: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.meta.get(key)?.map(|v| v.value()))
    }

    pub(super) fn set_meta_value(&mut self, key: &str, value: u64) -> Result<(), StoreError> {
        self.meta.insert(key, value)?;
        Ok(())
    }

    /// Records that a SKU's product or its in-stock state changed: the catalog version is bumped
    /// once for the transaction (caches derived from it are rebuilt) and, after the commit, the
    /// SKU is handed to the store's change listener (the search indexer).
    pub fn catalog_changed(&mut self, sku: &str) {
        // A list sorted once at the end: an import calls this for thousands of SKUs in order.
        if self.changed.last().map(String::as_str) != Some(sku) {
            self.changed.push(sku.to_owned());
        }
    }

    /// Bumps the catalog version if anything changed; returns the change for the listener.
    fn bump_catalog_version(&mut self) -> Result<Option<CatalogChange>, StoreError> {
        if self.changed.is_empty() {
            return Ok(None);
        }
        let version = self.meta.get(CATALOG_VERSION)?.map_or(0, |v| v.value()) + 1;
        self.meta.insert(CATALOG_VERSION, version)?;
        let mut skus = std::mem::take(&mut self.changed);
        skus.sort_unstable();
        skus.dedup();
        let bundles = self.bundles_containing(&skus)?;
        if !bundles.is_empty() {
            skus.extend(bundles);
            skus.sort_unstable();
            skus.dedup();
        }
        if self.purges_on()? {
            // Named one by one up to a point; a bigger change purges every catalog page.
            let named = if skus.len() <= crate::purge::model::MOST_NAMED {
                skus.clone()
            } else {
                Vec::new()
            };
            let task = crate::jobs::Task::Purge(crate::jobs::PurgeTask { skus: named });
            self.enqueue(task, crate::domain::now_ms())?;
        }
        Ok(Some(CatalogChange { version, skus }))
    }

    pub fn product(&self, sku: &str) -> Result<Option<Product>, StoreError> {
        self.products.get(sku)?.map(|v| decode(v.value())).transpose()
    }

    pub fn put_product(&mut self, product: &Product) -> Result<(), StoreError> {
        self.products
            .insert(product.sku.as_str(), encode(product)?.as_slice())?;
        Ok(())
    }

    /// `put_product` for a product encoded beforehand.
    pub fn put_encoded_product(&mut self, sku: &str, product: &Encoded<Product>) -> Result<(), StoreError> {
        self.products.insert(sku, product.bytes())?;
        Ok(())
    }

    /// Adds products new to the store, given in ascending SKU order, a run of neighbouring SKUs at
    /// a time (see `add_in_order`). A SKU the store already holds is left as it is: its position
    /// is returned with the stored version.
    pub fn add_products<'a>(
        &mut self,
        products: impl IntoIterator<Item = (&'a str, &'a Encoded<Product>)>,
    ) -> Result<Vec<(usize, Product)>, StoreError> {
        let rows: Vec<(&str, &[u8])> = products.into_iter().map(|(sku, p)| (sku, p.bytes())).collect();
        let mut present = Vec::new();
        add_in_order(&mut self.products, &rows, |i, stored| {
            present.push((i, decode(stored)?));
            Ok(())
        })?;
        Ok(present)
    }

    pub fn remove_product(&mut self, sku: &str) -> Result<bool, StoreError> {
        Ok(self.products.remove(sku)?.is_some())
    }

    pub fn stock(&self, sku: &str) -> Result<u64, StoreError> {
        Ok(self.stock.get(sku)?.map_or(0, |v| v.value()))
    }

    pub fn has_stock_row(&self, sku: &str) -> Result<bool, StoreError> {
        Ok(self.stock.get(sku)?.is_some())
    }

    pub fn low_stock_threshold(&self, sku: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.low_stock.get(sku)?.map(|v| v.value()))
    }

    /// Sets a SKU's own low-stock threshold, or with `None` returns it to the shop's default.
    pub fn set_low_stock_threshold(&mut self, sku: &str, units: Option<u64>) -> Result<(), StoreError> {
        match units {
            Some(units) => drop(self.low_stock.insert(sku, units)?),
            None => drop(self.low_stock.remove(sku)?),
        }
        Ok(())
    }

    /// Only `inventory` calls this, together with `append_ledger`.
    pub fn set_stock(&mut self, sku: &str, units: u64) -> Result<(), StoreError> {
        self.stock.insert(sku, units)?;
        Ok(())
    }

    /// Only `inventory` calls this. Gives SKUs that have no stock row, in ascending order, their
    /// first stock level and its ledger entry, a run of neighbouring SKUs at a time. A SKU that
    /// has a stock row is left as it is; the positions of those are returned.
    pub fn add_stock(&mut self, rows: &[(&str, &LedgerEntry)]) -> Result<Vec<usize>, StoreError> {
        let levels: Vec<(&str, u64)> = rows.iter().map(|(sku, entry)| (*sku, entry.balance)).collect();
        let mut present = Vec::new();
        add_in_order(&mut self.stock, &levels, |i, _| {
            present.push(i);
            Ok(())
        })?;
        let mut seq = self.last_ledger_seq()?;
        let mut entries = Vec::with_capacity(rows.len() - present.len());
        let mut skipped = present.iter().peekable();
        for (i, (sku, entry)) in rows.iter().enumerate() {
            if skipped.next_if_eq(&&i).is_some() {
                continue;
            }
            seq += 1;
            entries.push(((*sku, seq), encode(*entry)?));
        }
        self.ledger_seq = Some(seq);
        let entries: Vec<((&str, u64), &[u8])> = entries.iter().map(|(key, bytes)| (*key, bytes.as_slice())).collect();
        add_in_order(&mut self.ledger, &entries, |_, _| {
            Err(StoreError::Corrupt(
                "a new stock ledger entry's sequence is taken".into(),
            ))
        })?;
        Ok(present)
    }

    pub fn append_ledger(&mut self, sku: &str, entry: &LedgerEntry) -> Result<(), StoreError> {
        let seq = self.last_ledger_seq()? + 1;
        self.ledger_seq = Some(seq);
        self.ledger.insert((sku, seq), encode(entry)?.as_slice())?;
        Ok(())
    }

    /// The sequence of the last ledger entry written (0 before the first).
    fn last_ledger_seq(&self) -> Result<u64, StoreError> {
        match self.ledger_seq {
            Some(seq) => Ok(seq),
            None => Ok(self.meta.get(LEDGER_SEQ)?.map_or(0, |v| v.value())),
        }
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

    /// `put_category_item` for an entry encoded beforehand.
    pub fn put_encoded_category_item(
        &mut self,
        slug: &str,
        sku: &str,
        entry: &Encoded<ListingEntry>,
    ) -> Result<(), StoreError> {
        self.category_items.insert((slug, sku), entry.bytes())?;
        Ok(())
    }

    /// `put_encoded_category_item` for many rows in ascending (slug, SKU) order, a run of
    /// neighbouring rows at a time (see `add_in_order`).
    pub fn put_encoded_category_items<'a>(
        &mut self,
        rows: impl IntoIterator<Item = ((&'a str, &'a str), &'a Encoded<ListingEntry>)>,
    ) -> Result<(), StoreError> {
        let rows: Vec<((&str, &str), &[u8])> = rows.into_iter().map(|(key, entry)| (key, entry.bytes())).collect();
        let mut present = Vec::new();
        add_in_order(&mut self.category_items, &rows, |i, _| {
            present.push(i);
            Ok(())
        })?;
        for i in present {
            self.category_items.insert(rows[i].0, rows[i].1)?;
        }
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

    /// A cart that became an order is gone, though the sweeper has not deleted it yet.
    pub fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
        if self.cart_used_at(id).is_some() {
            return Ok(None);
        }
        self.stored_cart(id)
    }

    /// The cart as stored, even if it became an order: for the sweeper.
    pub fn stored_cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
        self.carts.get(id)?.map(|v| decode(v.value())).transpose()
    }

    /// When the cart became an order, if it did.
    pub fn cart_used_at(&self, id: &str) -> Option<u64> {
        self.pending.used_carts.at(&self.mirrors.used_carts, id)
    }

    /// Stores a cart and files it under its last change for the idle sweep; `previous_ms` is the
    /// `updated_ms` it was filed under before, if it existed.
    pub fn put_cart(&mut self, cart: &Cart, previous_ms: Option<u64>) -> Result<(), StoreError> {
        if let Some(previous) = previous_ms {
            self.cart_expiry.remove((previous, cart.id.as_str()))?;
        }
        self.cart_expiry.insert((cart.updated_ms, cart.id.as_str()), ())?;
        self.carts.insert(cart.id.as_str(), encode(cart)?.as_slice())?;
        Ok(())
    }

    /// Deletes a cart, its row in the idleness index and its mark if it became an order.
    pub fn remove_cart(&mut self, cart: &Cart) -> Result<(), StoreError> {
        let id = cart.id.as_str();
        if let Some(at_ms) = self.cart_used_at(id) {
            self.carts_used.remove((at_ms, id))?;
            self.pending.used_carts.remove(id);
        }
        self.cart_expiry.remove((cart.updated_ms, id))?;
        self.carts.remove(id)?;
        Ok(())
    }

    /// Marks a cart that became an order: from now on it reads as gone, and the sweeper deletes it
    /// once it has been idle as long as any cart. Carts are keyed by random ids, so deleting one
    /// at checkout cost a page write (and its index row another) in every commit of a flash sale;
    /// the mark is appended at the end of `carts_used`, where a whole batch shares a page or two.
    pub fn mark_cart_used(&mut self, cart: &Cart, now_ms: u64) -> Result<(), StoreError> {
        let id = cart.id.as_str();
        self.carts_used.insert((now_ms, id), ())?;
        self.pending.used_carts.add(id, now_ms);
        Ok(())
    }

    /// Removes a row of the idleness index whose cart is gone.
    pub fn forget_idle_cart(&mut self, changed_ms: u64, id: &str) -> Result<(), StoreError> {
        self.cart_expiry.remove((changed_ms, id))?;
        Ok(())
    }

    /// Up to `limit` rows of the idleness index from before `cutoff_ms`, oldest first: when each
    /// cart last changed, and its id.
    pub fn idle_carts(&self, cutoff_ms: u64, limit: usize) -> Result<Vec<(u64, String)>, StoreError> {
        let mut out = Vec::new();
        for row in self.cart_expiry.range((0u64, "")..(cutoff_ms, ""))?.take(limit) {
            let (key, _) = row?;
            let (changed_ms, id) = key.value();
            out.push((changed_ms, id.to_owned()));
        }
        Ok(out)
    }

    pub fn order(&self, number: &str) -> Result<Option<Order>, StoreError> {
        super::read::order_by_number(&self.orders, self.numbering, number)
    }

    /// The number for a new order: the next sequence no order holds (orders from before schema
    /// 3 sit at scattered sequences, so one may rarely be skipped).
    pub fn next_order_number(&mut self) -> Result<String, StoreError> {
        let mut sequence = match self.order_seq {
            Some(seq) => seq,
            None => self.meta.get(ORDER_SEQ)?.map_or(0, |v| v.value()),
        };
        loop {
            sequence += 1;
            if sequence >= ORDER_SEQUENCE_LIMIT {
                return Err(StoreError::Corrupt("every order number is taken".into()));
            }
            if self.orders.get(sequence)?.is_none() {
                break;
            }
        }
        self.order_seq = Some(sequence);
        Ok(self.numbering.number(sequence))
    }

    /// The sequence of the newest order (0 without orders).
    pub fn last_order_sequence(&self) -> Result<u64, StoreError> {
        Ok(self.orders.last()?.map_or(0, |(k, _)| k.value()))
    }

    /// Inserts or updates an order; orders are also filed by time and by status.
    pub fn put_order(&mut self, order: &Order) -> Result<(), StoreError> {
        let sequence = super::read::order_sequence(self.numbering, &order.number)?;
        let previous = self.orders.insert(sequence, encode(order)?.as_slice())?;
        let was: Option<Order> = previous.map(|p| decode(p.value())).transpose()?;
        let number = order.number.as_str();
        match was {
            None => {
                self.orders_by_time.insert((order.created_ms, number), ())?;
                self.index_payment(order)?;
                // A new order is news for the job runner (see `orders_told`).
                self.jobs_added = true;
            }
            Some(was) if was.status == order.status => return Ok(()),
            Some(was) => {
                self.orders_by_status
                    .remove((was.status.as_str(), was.created_ms, number))?;
            }
        }
        self.orders_by_status
            .insert((order.status.as_str(), order.created_ms, number), ())?;
        Ok(())
    }

    pub fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(at_ms) = self.pending.idempotency.at(&self.mirrors.idempotency, key) else {
            return Ok(None);
        };
        self.idempotency_log
            .get((at_ms, key))?
            .map(|v| decode(v.value()))
            .transpose()
    }

    /// Binds a key to its order. Keys are random, so the record is filed by time at the end of
    /// `idempotency_log`, where a batch's keys share a page, and found through the mirror.
    pub fn put_idempotency(&mut self, key: &str, record: &IdempotencyRecord) -> Result<(), StoreError> {
        if let Some(old_ms) = self.pending.idempotency.at(&self.mirrors.idempotency, key) {
            self.idempotency_log.remove((old_ms, key))?;
        }
        self.idempotency_log
            .insert((record.at_ms, key), encode(record)?.as_slice())?;
        self.pending.idempotency.add(key, record.at_ms);
        Ok(())
    }

    /// Deletes up to `limit` idempotency records made before `cutoff_ms`; returns how many.
    pub fn sweep_idempotency(&mut self, cutoff_ms: u64, limit: usize) -> Result<usize, StoreError> {
        let mut old = Vec::new();
        for row in self.idempotency_log.range((0u64, "")..(cutoff_ms, ""))?.take(limit) {
            let (guard, _) = row?;
            let (at, key) = guard.value();
            old.push((at, key.to_owned()));
        }
        for (at, key) in &old {
            self.idempotency_log.remove((*at, key.as_str()))?;
            self.pending.idempotency.remove(key);
        }
        Ok(old.len())
    }

    pub fn promo_uses(&self, code: &str) -> Result<u64, StoreError> {
        Ok(self.promo_uses.get(code)?.map_or(0, |v| v.value()))
    }

    pub fn count_promo_use(&mut self, code: &str) -> Result<(), StoreError> {
        let uses = self.promo_uses(code)? + 1;
        self.promo_uses.insert(code, uses)?;
        Ok(())
    }

    pub fn account(&self, username: &str) -> Result<Option<Account>, StoreError> {
        let table = self.txn.open_table(ACCOUNTS)?;
        table.get(username)?.map(|v| decode(v.value())).transpose()
    }

    pub fn put_account(&mut self, account: &Account) -> Result<(), StoreError> {
        self.txn
            .open_table(ACCOUNTS)?
            .insert(account.username.as_str(), encode(account)?.as_slice())?;
        Ok(())
    }

    /// Records that the catalog came from the demo seed (the test cards are on by default then).
    pub fn mark_demo_catalog(&mut self) -> Result<(), StoreError> {
        self.meta.insert(DEMO_CATALOG, 1)?;
        Ok(())
    }

    pub fn has_accounts(&self) -> Result<bool, StoreError> {
        Ok(!self.txn.open_table(ACCOUNTS)?.is_empty()?)
    }

    pub fn put_session(&mut self, id_hash: &str, session: &Session) -> Result<(), StoreError> {
        self.txn
            .open_table(SESSIONS)?
            .insert(id_hash, encode(session)?.as_slice())?;
        Ok(())
    }

    pub fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.txn
            .open_table(SESSIONS)?
            .get(id_hash)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut out = Vec::new();
        for row in self.txn.open_table(ACCOUNTS)?.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn is_account_disabled(&self, username: &str) -> Result<bool, StoreError> {
        Ok(self.txn.open_table(DISABLED_ACCOUNTS)?.get(username)?.is_some())
    }

    pub fn remove_account(&mut self, username: &str) -> Result<bool, StoreError> {
        self.txn.open_table(DISABLED_ACCOUNTS)?.remove(username)?;
        Ok(self.txn.open_table(ACCOUNTS)?.remove(username)?.is_some())
    }

    pub fn set_account_disabled(&mut self, username: &str, disabled_ms: Option<u64>) -> Result<(), StoreError> {
        let mut table = self.txn.open_table(DISABLED_ACCOUNTS)?;
        match disabled_ms {
            Some(at) => table.insert(username, at)?,
            None => table.remove(username)?,
        };
        Ok(())
    }

    /// Ends every session of `username` but the one whose key is `keep`; returns how many ended.
    /// Sessions are few (one per signed-in browser), so a scan is fine.
    pub fn remove_sessions_of(&mut self, username: &str, keep: Option<&str>) -> Result<usize, StoreError> {
        let mut table = self.txn.open_table(SESSIONS)?;
        let mut ending = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            let session: Session = decode(value.value())?;
            if session.username == username && Some(key.value()) != keep {
                ending.push(key.value().to_owned());
            }
        }
        for key in &ending {
            table.remove(key.as_str())?;
        }
        Ok(ending.len())
    }

    pub fn remove_session(&mut self, id_hash: &str) -> Result<(), StoreError> {
        self.txn.open_table(SESSIONS)?.remove(id_hash)?;
        Ok(())
    }

    pub fn api_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        let table = self.txn.open_table(API_TOKENS)?;
        table.get(id)?.map(|v| decode(v.value())).transpose()
    }

    pub fn put_api_token(&mut self, token: &ApiToken) -> Result<(), StoreError> {
        self.txn
            .open_table(API_TOKENS)?
            .insert(token.id.as_str(), encode(token)?.as_slice())?;
        Ok(())
    }

    /// Appends to the audit log (and its per-subject index).
    pub fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut log = self.txn.open_table(AUDIT)?;
        let seq = log
            .range((entry.at_ms, 0)..=(entry.at_ms, u64::MAX))?
            .next_back()
            .transpose()?
            .map_or(0, |(k, _)| k.value().1 + 1);
        log.insert((entry.at_ms, seq), encode(entry)?.as_slice())?;
        self.txn
            .open_table(AUDIT_BY_SUBJECT)?
            .insert((entry.subject.as_str(), entry.at_ms, seq), ())?;
        Ok(())
    }

    /// Adds to the funnel counts of the hour containing `at_ms`.
    pub fn count_funnel(&mut self, at_ms: u64, views: u64, carts: u64) -> Result<(), StoreError> {
        let hour = at_ms / 3_600_000 * 3_600_000;
        let mut table = self.txn.open_table(FUNNEL)?;
        let (v, c) = table.get(hour)?.map_or((0, 0), |x| x.value());
        table.insert(hour, (v + views, c + carts))?;
        Ok(())
    }
}

/// Adds `rows` through a cursor: redb splices a run of keys that fall between the same two stored
/// entries into its leaf in one pass, where an insert each would find, copy and split the leaf
/// again for every row (on 100k rows: about 0.75 of the time for product-sized values, under half
/// for small rows). Rows in ascending key order make the runs; any order is still right. A key
/// the table already holds (or an earlier row gave) is left as it is, and `present` is called
/// with the row's position and the stored value.
fn add_in_order<'r, K: Key + 'static, V: Value + 'static>(
    table: &mut Table<'_, K, V>,
    rows: &[(K::SelfType<'r>, V::SelfType<'r>)],
    mut present: impl FnMut(usize, V::SelfType<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut i = 0;
    while i < rows.len() {
        let mut cursor = table.lower_bound_mut(Bound::Included(&rows[i].0))?;
        let mut placed_for_this_row = true;
        while i < rows.len() {
            match cursor.insert_before(&rows[i].0, &rows[i].1) {
                Ok(()) => {
                    i += 1;
                    placed_for_this_row = false;
                }
                // The cursor stands before the first stored key not below this row's, and the
                // row's key does not fit before it: it is that key.
                Err(CursorError::UnorderedKey) if placed_for_this_row => {
                    let (_, stored) = cursor
                        .peek_next()?
                        .ok_or_else(|| StoreError::Corrupt("a cursor lost its place".into()))?;
                    present(i, stored.value())?;
                    i += 1;
                    break;
                }
                // Past the next stored key: place the cursor again, for this row.
                Err(CursorError::UnorderedKey) => break,
                Err(CursorError::Storage(e)) => return Err(e.into()),
                Err(e) => return Err(StoreError::Unavailable(e.to_string())),
            }
        }
        cursor.close()?;
    }
    Ok(())
}
