//! Sale-day use cases inside store transactions: creating and ending flash sales (audited),
//! counting what checkout sold at a sale price, and the price clock.

use crate::cart::Quote;
use crate::domain::{Money, Sku};
use crate::staff::{Catalog, Staff, ops as staff};
use crate::store::{StoreError, TxError, TxResult, WriteTx, refuse};

use super::model::{FlashSale, SaleError, SaleItem, Then};

/// A flash sale as the merchant asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSale {
    pub name: String,
    pub starts_ms: u64,
    pub ends_ms: u64,
    /// (SKU, sale price in minor units, quantity)
    pub items: Vec<(Sku, i64, u32)>,
    pub per_customer_limit: Option<u32>,
    pub then: Then,
}

type Outcome<T> = TxResult<T, SaleError>;

/// Creates a flash sale; its items must exist. The price clock reprices them as it starts and ends.
pub fn create(tx: &mut WriteTx<'_>, who: &Staff<Catalog>, new: NewSale, now_ms: u64) -> Outcome<FlashSale> {
    let mut items = Vec::with_capacity(new.items.len());
    for (sku, cents, quantity) in &new.items {
        let Some(product) = tx.product(sku)? else {
            return refuse(SaleError::Invalid(format!("no product has SKU {sku}")));
        };
        items.push(SaleItem {
            sku: sku.clone(),
            price: Money::new(*cents, product.price.currency()),
            quantity: *quantity,
            sold: 0,
            orders: 0,
            sold_out_ms: None,
        });
    }
    let mut sale = FlashSale {
        id: 0,
        name: new.name.trim().to_owned(),
        starts_ms: new.starts_ms,
        ends_ms: new.ends_ms,
        items,
        per_customer_limit: new.per_customer_limit,
        then: new.then,
        created_ms: now_ms,
        ended_early_ms: None,
    };
    sale.check().map_err(TxError::Refused)?;
    if sale.ends_ms <= now_ms {
        return refuse(SaleError::Invalid("ends is in the past".into()));
    }
    sale.id = tx.next_flash_sale_id()?;
    tx.put_flash_sale(&sale)?;
    for item in &sale.items {
        for at in sale.changes().into_iter().filter(|at| *at > now_ms) {
            tx.schedule_price_change(at, &item.sku)?;
        }
        // A sale that runs already is in force at once, not at the clock's next tick.
        if sale.running(now_ms) {
            crate::catalog::ops::reprice(tx, &item.sku, now_ms)?;
        }
    }
    staff::record(
        tx,
        who.actor(),
        "sale.create",
        &format!("sale:{}", sale.id),
        "",
        &describe(&sale),
    )?;
    Ok(sale)
}

/// Ends a sale now (the merchant's "stop the sale"); its record stays for the reports.
pub fn end(tx: &mut WriteTx<'_>, who: &Staff<Catalog>, id: u64, now_ms: u64) -> Outcome<FlashSale> {
    let Some(mut sale) = tx.flash_sale(id)? else {
        return refuse(SaleError::NotFound);
    };
    if sale.ended_early_ms.is_none() && now_ms < sale.ends_ms {
        sale.ended_early_ms = Some(now_ms);
        tx.put_flash_sale(&sale)?;
        for item in &sale.items {
            tx.schedule_price_change(now_ms, &item.sku)?;
        }
        staff::record(
            tx,
            who.actor(),
            "sale.end",
            &format!("sale:{id}"),
            &describe(&sale),
            "ended",
        )?;
    }
    Ok(sale)
}

/// Counts the units an order took at flash-sale prices against each sale and the buyer's limit.
/// Checkout priced them against these same records in this transaction, so they fit.
pub fn record_checkout(tx: &mut WriteTx<'_>, quote: &Quote, email: &str, now_ms: u64) -> Result<(), StoreError> {
    for line in &quote.lines {
        let Some(units) = line.sale else { continue };
        let Some(mut sale) = tx.flash_sale(units.sale_id)? else {
            return Err(StoreError::Corrupt(format!(
                "checkout priced by missing sale {}",
                units.sale_id
            )));
        };
        let sold_out = sale
            .record(&line.sku, units.units, now_ms)
            .map_err(|e| StoreError::Corrupt(format!("sale {}: {e}", sale.id)))?;
        tx.put_flash_sale(&sale)?;
        tx.add_sale_units_bought(sale.id, email, u64::from(units.units))?;
        if sold_out {
            // The price in force (or, for a sold-out-when-gone sale, the stock shown) changes.
            crate::catalog::ops::reprice(tx, &line.sku, now_ms)?;
        }
    }
    Ok(())
}

/// Reprices the SKUs whose price in force changes by now (a scheduled price or a flash sale
/// starting or ending): their listing rows, search documents and cached pages follow. Returns
/// how many were due (at most `limit`).
pub fn run_price_clock(tx: &mut WriteTx<'_>, now_ms: u64, limit: usize) -> Result<usize, StoreError> {
    let due = tx.take_due_price_changes(now_ms, limit)?;
    for sku in &due {
        crate::catalog::ops::reprice(tx, sku, now_ms)?;
    }
    Ok(due.len())
}

fn describe(sale: &FlashSale) -> String {
    let items: Vec<String> = sale
        .items
        .iter()
        .map(|i| format!("{} {} x{}", i.sku, i.price, i.quantity))
        .collect();
    format!(
        "{} {}..{} [{}] limit {:?} then {}",
        sale.name,
        crate::domain::format_utc(sale.starts_ms),
        crate::domain::format_utc(sale.ends_ms),
        items.join(", "),
        sale.per_customer_limit,
        sale.then.as_str()
    )
}
