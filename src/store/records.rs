//! The types the store keeps, each with the version of its stored layout (see
//! `codec::Record`). Every one is still at its first layout: the rows the round-1 release wrote
//! read as they are.
//!
//! Changing a stored type (adding a field to `Order`, say) changes its bincode layout. Then:
//! copy the type as it was into this module as a frozen `OrderV1` (with its bincode derives and
//! those of any nested type that changed), bump `Order`'s `VERSION` to 2, and give it a
//! `read_older` that decodes `OrderV1` with `codec::bincode_value` and converts it, filling the new
//! field. The golden test below fails until that is done, because it re-reads every row of the
//! round-1 fixture store (`data/fixtures/round1/store.redb`) and writes it back byte for byte.

use super::codec::Record;
use crate::cart::Cart;
use crate::catalog::{Category, ListingEntry, Product};
use crate::inventory::LedgerEntry;
use crate::orders::{IdempotencyRecord, Order};
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
    Product,
    ListingEntry,
    Category,
    LedgerEntry,
    Cart,
    Order,
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
);

#[cfg(test)]
mod tests {
    use redb::{ReadableDatabase, ReadableTable, TableDefinition};

    use super::super::codec::{decode, encode};
    use super::super::tables::*;
    use super::*;

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
            ("products", same_bytes::<&str, Product>(&tx, PRODUCTS)),
            ("categories", same_bytes::<&str, Category>(&tx, CATEGORIES)),
            (
                "category listings",
                same_bytes::<(&str, &str), ListingEntry>(&tx, CATEGORY_ITEMS),
            ),
            ("ledger", same_bytes::<(&str, u64), LedgerEntry>(&tx, LEDGER)),
            ("carts", same_bytes::<&str, Cart>(&tx, CARTS)),
            ("orders", same_bytes::<u64, Order>(&tx, ORDERS)),
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
