//! The types the store keeps, each with the version of its stored layout (see
//! `codec::Record`). Most are still at their first layout; `Order` and `Product` are at their
//! second, and read the rows the round-1 release wrote through frozen copies of their first.
//!
//! Changing a stored type (adding a field to `Order`, say) changes its bincode layout. Then:
//! copy the type as it was into this module as a frozen `OrderV1` (with its bincode derives and
//! those of any nested type that changed), bump `Order`'s `VERSION` to 2, and give it a
//! `read_older` that decodes `OrderV1` with `codec::bincode_value` and converts it, filling the new
//! field. The golden test below fails until that is done, because it re-reads every row of the
//! round-1 fixture store (`data/fixtures/round1/store.redb`) and writes it back byte for byte.

use super::StoreError;
use super::codec::{Record, bincode_value};
use crate::cart::Cart;
use std::collections::BTreeMap;

use crate::catalog::{AttrValue, Category, ListingEntry, Product};
use crate::domain::{CategoryPath, Currency, Fitments, Money, PartNumber, Sku};
use crate::inventory::LedgerEntry;
use crate::orders::{Address, IdempotencyRecord, Order, OrderLine, PaymentRecord, Shipment, Status, StatusChange};
use crate::staff::{Account, ApiToken, AuditEntry, Session};

/// Declares stored types whose layout is still their first.
macro_rules! first_layout {
    ($($t:ty),* $(,)?) => {
        $(impl Record for $t {
            const VERSION: u8 = 1;
        })*
    };
}

first_layout!(
    ListingEntry,
    Category,
    LedgerEntry,
    Cart,
    IdempotencyRecord,
    Account,
    Session,
    ApiToken,
    AuditEntry,
    crate::jobs::Job,
    crate::mail::MailRecord,
    crate::webhooks::Endpoint,
    crate::webhooks::DeliveryRecord,
    crate::feeds::FeedRun,
    crate::sales::model::FlashSale,
    crate::flags::model::Flag,
    crate::waiting_room::model::Settings,
);

/// Layout 2 added sale day: a scheduled price (`Product::sale`) and bundles (`Product::bundle`).
impl Record for Product {
    const VERSION: u8 = 2;

    fn read_older(version: u8, bincode: &[u8]) -> Result<Product, StoreError> {
        match version {
            1 => Ok(bincode_value::<ProductV1>(bincode)?.into()),
            _ => Err(StoreError::Corrupt(format!(
                "a product of layout version {version}, which this build cannot read (it writes 2)"
            ))),
        }
    }
}

/// `Product` as the round-1 release wrote it. Frozen: never change it.
#[derive(bincode::Decode)]
struct ProductV1 {
    sku: Sku,
    title: String,
    description: String,
    brand: Option<String>,
    category: Option<CategoryPath>,
    price: Money,
    part_numbers: Vec<PartNumber>,
    attributes: BTreeMap<String, AttrValue>,
    fitments: Fitments,
    universal: bool,
    group: Option<String>,
    options: BTreeMap<String, String>,
    featured: bool,
    popularity: u32,
    extra: String,
    created_ms: u64,
    updated_ms: u64,
}

impl From<ProductV1> for Product {
    fn from(p: ProductV1) -> Product {
        Product {
            sku: p.sku,
            title: p.title,
            description: p.description,
            brand: p.brand,
            category: p.category,
            price: p.price,
            part_numbers: p.part_numbers,
            attributes: p.attributes,
            fitments: p.fitments,
            universal: p.universal,
            group: p.group,
            options: p.options,
            featured: p.featured,
            popularity: p.popularity,
            extra: p.extra,
            created_ms: p.created_ms,
            updated_ms: p.updated_ms,
            sale: None,
            bundle: Vec::new(),
        }
    }
}

/// Layout 2 added what payments through a gateway need: when the money was taken
/// (`PaymentRecord::captured_ms`) and the refunds (`Order::refunds`).
impl Record for Order {
    const VERSION: u8 = 2;

    fn read_older(version: u8, bincode: &[u8]) -> Result<Order, StoreError> {
        match version {
            1 => Ok(bincode_value::<OrderV1>(bincode)?.into()),
            _ => Err(StoreError::Corrupt(format!(
                "an order of layout version {version}, which this build cannot read (it writes 2)"
            ))),
        }
    }
}

/// `Order` as the round-1 release wrote it. Frozen: never change it. (Its nested types had not
/// changed when it was frozen; one that changes later needs a frozen copy here too.)
#[derive(bincode::Decode)]
struct OrderV1 {
    number: String,
    token: String,
    status: Status,
    created_ms: u64,
    email: String,
    address: Address,
    lines: Vec<OrderLine>,
    currency: Currency,
    subtotal: Money,
    discount: Money,
    promo: Option<String>,
    shipping_method: String,
    shipping_name: String,
    shipping: Money,
    tax_name: Option<String>,
    tax: Money,
    total: Money,
    payment: PaymentRecordV1,
    vehicle: Option<String>,
    shipment: Option<Shipment>,
    restocked: bool,
    history: Vec<StatusChange>,
}

#[derive(bincode::Decode)]
struct PaymentRecordV1 {
    method: String,
    reference: Option<String>,
}

impl From<OrderV1> for Order {
    fn from(o: OrderV1) -> Order {
        // Before gateways, only the test cards took money, and at checkout.
        let captured_ms = (o.payment.method == "test").then_some(o.created_ms);
        Order {
            number: o.number,
            token: o.token,
            status: o.status,
            created_ms: o.created_ms,
            email: o.email,
            address: o.address,
            lines: o.lines,
            currency: o.currency,
            subtotal: o.subtotal,
            discount: o.discount,
            promo: o.promo,
            shipping_method: o.shipping_method,
            shipping_name: o.shipping_name,
            shipping: o.shipping,
            tax_name: o.tax_name,
            tax: o.tax,
            total: o.total,
            payment: PaymentRecord {
                method: o.payment.method,
                reference: o.payment.reference,
                captured_ms,
            },
            vehicle: o.vehicle,
            shipment: o.shipment,
            restocked: o.restocked,
            history: o.history,
            refunds: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, ReadableTable, TableDefinition};

    use super::super::codec::{decode, encode};
    use super::super::tables::*;
    use super::*;

    /// Decodes every row of an upgraded table: each reads through its type's `read_older`, and
    /// writes and reads back as the same value in the current layout.
    fn upgrades<K: redb::Key + 'static, T: Record + std::fmt::Debug + PartialEq>(
        tx: &redb::ReadTransaction,
        table: TableDefinition<K, &[u8]>,
        check: impl Fn(&T),
    ) -> usize {
        let table = tx.open_table(table).expect("the fixture has the table");
        let mut rows = 0;
        for row in table.iter().unwrap() {
            let (_, bytes) = row.unwrap();
            let value: T = decode(bytes.value()).unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()));
            check(&value);
            let again: T = decode(&encode(&value).unwrap()).unwrap();
            assert_eq!(again, value);
            rows += 1;
        }
        rows
    }

    /// Decodes every row of `table` and encodes it again: the bytes must be the ones on disk.
    fn same_bytes<K: redb::Key + 'static, T: Record + std::fmt::Debug>(
        tx: &redb::ReadTransaction,
        table: TableDefinition<K, &[u8]>,
    ) -> usize {
        let table = tx.open_table(table).expect("the fixture has the table");
        let mut rows = 0;
        for row in table.iter().unwrap() {
            let (_, bytes) = row.unwrap();
            let value: T = decode(bytes.value()).unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()));
            assert_eq!(
                encode(&value).unwrap(),
                bytes.value(),
                "{} is written differently from the row the round-1 release wrote: {value:?}",
                std::any::type_name::<T>()
            );
            rows += 1;
        }
        rows
    }

    #[test]
    fn every_row_the_round_one_release_wrote_reads_and_writes_back_byte_for_byte() {
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fixtures/round1/store.redb");
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("store.redb");
        std::fs::copy(&fixture, &copy).expect("the round-1 fixture store is checked in");
        let db = redb::Database::open(&copy).unwrap();
        let tx = db.begin_read().unwrap();
        let counts = [
            (
                "products",
                upgrades::<&str, Product>(&tx, PRODUCTS, |p| {
                    assert!(p.sale.is_none() && p.bundle.is_empty());
                }),
            ),
            ("categories", same_bytes::<&str, Category>(&tx, CATEGORIES)),
            (
                "category listings",
                same_bytes::<(&str, &str), ListingEntry>(&tx, CATEGORY_ITEMS),
            ),
            ("ledger", same_bytes::<(&str, u64), LedgerEntry>(&tx, LEDGER)),
            ("carts", same_bytes::<&str, Cart>(&tx, CARTS)),
            (
                "orders",
                upgrades::<u64, Order>(&tx, ORDERS, |order| {
                    assert!(order.refunds.is_empty());
                    assert_eq!(
                        order.payment.captured_ms.is_some(),
                        order.payment.method == "test",
                        "{order:?}"
                    );
                }),
            ),
            (
                "idempotency keys",
                same_bytes::<(u64, &str), IdempotencyRecord>(&tx, IDEMPOTENCY_LOG),
            ),
            ("accounts", same_bytes::<&str, Account>(&tx, ACCOUNTS)),
            ("tokens", same_bytes::<&str, ApiToken>(&tx, API_TOKENS)),
            ("audit", same_bytes::<(u64, u64), AuditEntry>(&tx, AUDIT)),
        ];
        for (table, rows) in counts {
            assert!(
                rows > 0,
                "the fixture holds no {table}: the test would prove nothing for them"
            );
        }
        // The fixture has no session (nobody signed in); its layout is pinned here instead.
        let session = Session {
            username: "admin".into(),
            csrf: "c".into(),
            created_ms: 1,
            last_seen_ms: 300,
        };
        let bytes = encode(&session).unwrap();
        assert_eq!(bytes, [1, 5, b'a', b'd', b'm', b'i', b'n', 1, b'c', 1, 251, 44, 1]);
        assert_eq!(decode::<Session>(&bytes).unwrap(), session);
    }
}
