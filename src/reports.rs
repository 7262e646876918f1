//! Sales reports for a period: totals per hour or day, top products, stock-outs, and the searches
//! that found nothing. Pure computation over one read snapshot; the web layer draws the chart.

use std::collections::BTreeMap;

use crate::domain::{Currency, Money};
use crate::orders::{Order, Revenue};
use crate::store::{ReadTx, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn millis(self) -> u64 {
        match self {
            Bucket::Hour => 3_600_000,
            Bucket::Day => 86_400_000,
        }
    }
}

/// Orders and money over some time: what the dashboard shows for today and a report for each
/// period. Sums saturate rather than wrap: a figure past ±92 quadrillion minor units is shown at
/// the limit, never as a wrong sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Orders placed and not cancelled or refunded, paid or not.
    pub orders: u64,
    pub units: u64,
    /// Money received: paid orders only (see `Status::revenue`), less part refunds.
    pub revenue_minor: i64,
    /// Orders awaiting payment, and what they owe.
    pub unpaid_orders: u64,
    pub unpaid_minor: i64,
}

impl Totals {
    /// Counts `order` in, by the one revenue rule; returns whether it counted at all.
    pub fn add(&mut self, order: &Order) -> bool {
        let revenue = order.status.revenue();
        if revenue == Revenue::Void {
            return false;
        }
        self.orders += 1;
        self.units = self.units.saturating_add(order.units());
        if revenue == Revenue::Paid {
            // A part refund keeps the order but not all of its money.
            let kept = order.total.minor() - order.refunded().minor();
            self.revenue_minor = self.revenue_minor.saturating_add(kept);
        } else {
            self.unpaid_orders += 1;
            self.unpaid_minor = self.unpaid_minor.saturating_add(order.total.minor());
        }
        true
    }

    pub fn merge(&mut self, other: &Totals) {
        self.orders += other.orders;
        self.units = self.units.saturating_add(other.units);
        self.revenue_minor = self.revenue_minor.saturating_add(other.revenue_minor);
        self.unpaid_orders += other.unpaid_orders;
        self.unpaid_minor = self.unpaid_minor.saturating_add(other.unpaid_minor);
    }
}

/// One period's sales. Cancelled and refunded orders are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub start_ms: u64,
    /// Product page views and carts created: the top of the funnel.
    pub views: u64,
    pub carts: u64,
    pub sales: Totals,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SalesReport {
    pub from_ms: u64,
    pub to_ms: u64,
    pub bucket: Bucket,
    /// Every period in the range, empty ones included (a chart needs the gaps).
    pub periods: Vec<Period>,
    pub currency: Currency,
    /// (sku, title, units, revenue) by units sold, most first.
    pub top_products: Vec<(String, String, u64, i64)>,
    /// (sku, when) a sale took the last unit.
    pub stockouts: Vec<(String, u64)>,
    pub cancelled: u64,
    pub zero_result_searches: Vec<(String, u64)>,
}

impl SalesReport {
    pub fn totals(&self) -> Totals {
        let mut all = Totals::default();
        self.periods.iter().for_each(|p| all.merge(&p.sales));
        all
    }

    pub fn total_orders(&self) -> u64 {
        self.totals().orders
    }

    /// (product views, carts created, orders) over the whole period.
    pub fn funnel(&self) -> (u64, u64, u64) {
        self.periods.iter().fold((0, 0, 0), |(v, c, o), p| {
            (v.saturating_add(p.views), c.saturating_add(p.carts), o + p.sales.orders)
        })
    }

    /// Money received in the period (paid orders).
    pub fn total_revenue(&self) -> Money {
        Money::new(self.totals().revenue_minor, self.currency)
    }

    /// What orders still awaiting payment owe.
    pub fn total_unpaid(&self) -> Money {
        Money::new(self.totals().unpaid_minor, self.currency)
    }

    /// One section of the report as CSV: `periods`, `products`, `stockouts` or `searches`.
    pub fn section_csv(&self, section: &str) -> Option<String> {
        let csv = match section {
            "periods" => self.to_csv(),
            "products" => {
                let mut out = String::from("sku,title,units,revenue_minor,currency\n");
                for (sku, title, units, revenue) in &self.top_products {
                    out.push_str(&format!(
                        "{},{},{units},{revenue},{}\n",
                        csv_field(sku),
                        csv_field(title),
                        self.currency
                    ));
                }
                out
            }
            "stockouts" => {
                let mut out = String::from("sku,at_utc\n");
                for (sku, at) in &self.stockouts {
                    out.push_str(&format!("{},{}\n", csv_field(sku), crate::domain::format_utc(*at)));
                }
                out
            }
            "searches" => {
                let mut out = String::from("query,times\n");
                for (q, n) in &self.zero_result_searches {
                    out.push_str(&format!("{},{n}\n", csv_field(q)));
                }
                out
            }
            _ => return None,
        };
        Some(csv)
    }

    /// The report as CSV: one row per period.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "period_start_utc,product_views,carts,orders,units,revenue_minor,unpaid_orders,unpaid_minor,currency\n",
        );
        for p in &self.periods {
            let s = &p.sales;
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                crate::domain::format_utc(p.start_ms),
                p.views,
                p.carts,
                s.orders,
                s.units,
                s.revenue_minor,
                s.unpaid_orders,
                s.unpaid_minor,
                self.currency
            ));
        }
        out
    }
}

/// Orders placed in `[from_ms, to_ms)`, summed (the dashboard's "today").
pub fn totals_between(read: &ReadTx, from_ms: u64, to_ms: u64) -> Result<(Totals, Currency), StoreError> {
    let (mut totals, mut currency) = (Totals::default(), None);
    read.orders_between(from_ms, to_ms, |order| {
        if totals.add(&order) {
            currency.get_or_insert(order.currency);
        }
    })?;
    Ok((totals, currency.unwrap_or_default()))
}

/// Sales in `[from_ms, to_ms)`, bucketed. At most 2,000 periods (about 83 days by hour).
pub fn sales(read: &ReadTx, from_ms: u64, to_ms: u64, bucket: Bucket) -> Result<SalesReport, StoreError> {
    let step = bucket.millis();
    let start = from_ms / step * step;
    let count = (to_ms.saturating_sub(start)).div_ceil(step).min(2_000);
    let mut periods: Vec<Period> = (0..count)
        .map(|i| Period {
            start_ms: start + i * step,
            ..Period::default()
        })
        .collect();
    let mut products: BTreeMap<String, (String, u64, i64)> = BTreeMap::new();
    let (mut currency, mut cancelled) = (None, 0u64);
    read.orders_between(from_ms, to_ms, |order| {
        let index = ((order.created_ms - start) / step) as usize;
        let Some(p) = periods.get_mut(index) else { return };
        if !p.sales.add(&order) {
            cancelled += 1;
            return;
        }
        currency.get_or_insert(order.currency);
        for line in &order.lines {
            let entry = products
                .entry(line.sku.to_string())
                .or_insert((line.title.clone(), 0, 0));
            entry.1 = entry.1.saturating_add(u64::from(line.quantity));
            entry.2 = entry.2.saturating_add(line.line_total.minor());
        }
    })?;
    for (hour, views, carts) in read.funnel_between(start, to_ms)? {
        if let Some(p) = periods.get_mut(((hour - start) / step) as usize) {
            p.views = p.views.saturating_add(views);
            p.carts = p.carts.saturating_add(carts);
        }
    }
    let mut top: Vec<(String, String, u64, i64)> = products
        .into_iter()
        .map(|(sku, (title, units, revenue))| (sku, title, units, revenue))
        .collect();
    top.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    top.truncate(10);
    Ok(SalesReport {
        from_ms,
        to_ms,
        bucket,
        periods,
        currency: currency.unwrap_or_default(),
        top_products: top,
        stockouts: read
            .stockouts_between(from_ms, to_ms)?
            .into_iter()
            .map(|(sku, e)| (sku, e.at_ms))
            .collect(),
        cancelled,
        zero_result_searches: read.zero_result_searches(20)?,
    })
}

/// A CSV field, quoted when it needs to be; a leading `=`, `+`, `-` or `@` is defused so a
/// spreadsheet never runs it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::Status;

    fn order(status: Status, total: i64) -> Order {
        let money = |minor| Money::new(minor, Currency::default());
        Order {
            number: "AAAA-BBBB".into(),
            token: String::new(),
            status,
            created_ms: 0,
            email: String::new(),
            address: Default::default(),
            lines: Vec::new(),
            currency: Currency::default(),
            subtotal: money(total),
            discount: money(0),
            promo: None,
            shipping_method: String::new(),
            shipping_name: String::new(),
            shipping: money(0),
            tax_name: None,
            tax: money(0),
            total: money(total),
            payment: crate::orders::PaymentRecord {
                method: "invoice".into(),
                reference: None,
                captured_ms: None,
            },
            vehicle: None,
            shipment: None,
            restocked: false,
            history: Vec::new(),
            refunds: Vec::new(),
        }
    }

    #[test]
    fn revenue_counts_paid_orders_apart_from_unpaid_ones_and_none_cancelled() {
        let mut totals = Totals::default();
        for (status, total) in [
            (Status::Paid, 1_000),
            (Status::Shipped, 500),
            (Status::Pending, 2_000),
            (Status::Cancelled, 7_000),
            (Status::Refunded, 9_000),
        ] {
            totals.add(&order(status, total));
        }
        assert_eq!((totals.orders, totals.revenue_minor), (3, 1_500));
        assert_eq!((totals.unpaid_orders, totals.unpaid_minor), (1, 2_000));
    }

    #[test]
    fn sums_past_the_largest_amount_stay_at_it_instead_of_wrapping_negative() {
        let mut totals = Totals::default();
        for _ in 0..3 {
            totals.add(&order(Status::Paid, i64::MAX / 2));
        }
        assert_eq!(totals.revenue_minor, i64::MAX);
        let mut all = Totals::default();
        all.merge(&totals);
        all.merge(&totals);
        assert_eq!(all.revenue_minor, i64::MAX);
    }
}
