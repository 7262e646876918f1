//! Orders by their gateway payment reference, and the gateway events already applied.

use redb::ReadableTable;

use super::tables::{GATEWAY_EVENTS, PAYMENT_REFS};
use super::{ReadTx, StoreError, WriteTx};
use crate::orders::Order;

impl WriteTx<'_> {
    /// Files the order under its payment reference (called as a gateway order is first written).
    pub(super) fn index_payment(&mut self, order: &Order) -> Result<(), StoreError> {
        if let (true, Some(reference)) = (order.payment.by_gateway(), &order.payment.reference) {
            self.txn()
                .open_table(PAYMENT_REFS)?
                .insert(reference.as_str(), order.number.as_str())?;
        }
        Ok(())
    }

    /// The order a gateway payment paid for.
    pub fn order_by_payment(&mut self, reference: &str) -> Result<Option<Order>, StoreError> {
        let number = self
            .txn()
            .open_table(PAYMENT_REFS)?
            .get(reference)?
            .map(|n| n.value().to_owned());
        match number {
            Some(number) => self.order(&number),
            None => Ok(None),
        }
    }

    /// Whether gateway event `id` is new; records it if so.
    pub fn first_gateway_event(&mut self, id: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut table = self.txn().open_table(GATEWAY_EVENTS)?;
        if table.get(id)?.is_some() {
            return Ok(false);
        }
        table.insert(id, now_ms)?;
        Ok(true)
    }
}

impl ReadTx {
    /// The order number a gateway payment paid for.
    pub fn order_number_by_payment(&self, reference: &str) -> Result<Option<String>, StoreError> {
        Ok(self.table(PAYMENT_REFS)?.get(reference)?.map(|n| n.value().to_owned()))
    }
}
