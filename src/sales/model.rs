//! Sale-day rules, without I/O: a product's scheduled price, flash sales that sell exactly their
//! quantity, and bundles made of other SKUs.

use crate::domain::{Money, Sku};

/// A price the merchant scheduled (`sale_price_cents` from `sale_starts` to `sale_ends`); an open
/// end runs until changed.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct ScheduledPrice {
    pub price: Money,
    pub starts_ms: Option<u64>,
    pub ends_ms: Option<u64>,
}

impl ScheduledPrice {
    pub fn in_force(&self, now_ms: u64) -> bool {
        self.starts_ms.is_none_or(|s| s <= now_ms) && self.ends_ms.is_none_or(|e| now_ms < e)
    }

    /// The moments after `now_ms` at which the price in force changes.
    pub fn changes_after(&self, now_ms: u64) -> impl Iterator<Item = u64> {
        [self.starts_ms, self.ends_ms]
            .into_iter()
            .flatten()
            .filter(move |t| *t > now_ms)
    }
}

/// One component of a bundle: `quantity` units of `sku` per bundle sold.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct BundlePart {
    pub sku: Sku,
    pub quantity: u32,
}

/// Most components one bundle may have.
pub const MAX_BUNDLE_PARTS: usize = 20;

/// How many bundles the components' stock allows; `levels` holds each part's stock, in order.
pub fn bundles_available(parts: &[BundlePart], levels: &[u64]) -> u64 {
    parts
        .iter()
        .zip(levels)
        .map(|(p, level)| level / u64::from(p.quantity.max(1)))
        .min()
        .unwrap_or(0)
}

/// What happens once a flash sale's quantity is gone, the merchant's choice.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, bincode::Encode, bincode::Decode, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Then {
    /// The item sells on at its regular price.
    #[default]
    Regular,
    /// The item shows sold out until the sale ends: the sale's quantity is all there is.
    SoldOut,
}

impl Then {
    pub fn as_str(self) -> &'static str {
        match self {
            Then::Regular => "regular",
            Then::SoldOut => "sold_out",
        }
    }
}

/// A limited-time sale of exact quantities.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct FlashSale {
    pub id: u64,
    pub name: String,
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub items: Vec<SaleItem>,
    /// Units of each item one shopper may buy at the sale price (by email across orders, and
    /// within one cart).
    pub per_customer_limit: Option<u32>,
    pub then: Then,
    pub created_ms: u64,
    /// Set when the merchant ended it early.
    pub ended_early_ms: Option<u64>,
}

/// One item of a flash sale, with what it has sold so far.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct SaleItem {
    pub sku: Sku,
    pub price: Money,
    pub quantity: u32,
    pub sold: u32,
    pub orders: u32,
    pub sold_out_ms: Option<u64>,
}

impl SaleItem {
    /// Minor units taken at the sale price.
    pub fn revenue_minor(&self) -> i64 {
        self.price.minor() * i64::from(self.sold)
    }
}

/// Of the offers running for one item, the one a shopper gets: one with units for them before
/// one without, then the lowest price.
pub fn best_offer(offers: impl IntoIterator<Item = Offer>) -> Option<Offer> {
    offers
        .into_iter()
        .max_by_key(|o| (o.allowance > 0, std::cmp::Reverse(o.price)))
}

/// The sale price a shopper is offered for one item right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub sale_id: u64,
    pub name: String,
    pub price: Money,
    pub ends_ms: u64,
    /// Units left in the sale, for everyone.
    pub remaining: u64,
    /// Units this shopper may still buy at the sale price (the remaining units, the
    /// per-customer limit less what the shopper's email bought before).
    pub allowance: u64,
    pub then: Then,
}

impl Offer {
    /// Of `quantity` units in one cart line, how many get the sale price.
    pub fn units_at_sale_price(&self, quantity: u32) -> u32 {
        quantity.min(u32::try_from(self.allowance).unwrap_or(u32::MAX))
    }

    /// The stock a shopper may buy of an item with `stock` on hand while this offer runs.
    pub fn sellable(&self, stock: u64) -> u64 {
        match self.then {
            Then::Regular => stock,
            Then::SoldOut => stock.min(self.allowance),
        }
    }
}

/// Why a flash sale cannot be created as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such flash sale")]
    NotFound,
}

impl FlashSale {
    pub fn running(&self, now_ms: u64) -> bool {
        self.ended_early_ms.is_none() && self.starts_ms <= now_ms && now_ms < self.ends_ms
    }

    /// When the sale ends (or ended), early or as planned.
    pub fn end_ms(&self) -> u64 {
        self.ended_early_ms.map_or(self.ends_ms, |e| e.min(self.ends_ms))
    }

    pub fn item(&self, sku: &str) -> Option<&SaleItem> {
        self.items.iter().find(|i| i.sku == sku)
    }

    /// The offer for `sku` at `now_ms` to a shopper whose email bought `bought` units of it in
    /// this sale before; `None` when the sale is not running or the item has sold its quantity.
    pub fn offer(&self, sku: &str, now_ms: u64, bought: u64) -> Option<Offer> {
        let item = self.item(sku).filter(|_| self.running(now_ms))?;
        let remaining = u64::from(item.quantity.saturating_sub(item.sold));
        let limit = self
            .per_customer_limit
            .map_or(u64::MAX, |l| u64::from(l).saturating_sub(bought));
        if remaining == 0 && self.then == Then::Regular {
            return None;
        }
        Some(Offer {
            sale_id: self.id,
            name: self.name.clone(),
            price: item.price,
            ends_ms: self.ends_ms,
            remaining,
            allowance: remaining.min(limit),
            then: self.then,
        })
    }

    /// Records `units` sold at the sale price by one order; true when that sold the last unit.
    /// Checkout priced them against this same record in the same transaction, so they fit.
    pub fn record(&mut self, sku: &str, units: u32, now_ms: u64) -> Result<bool, SaleError> {
        let item = self
            .items
            .iter_mut()
            .find(|i| i.sku == sku)
            .ok_or_else(|| SaleError::Invalid(format!("{sku} is not in this sale")))?;
        if item.sold + units > item.quantity {
            return Err(SaleError::Invalid(format!(
                "{units} more units of {sku} would sell past the sale's quantity"
            )));
        }
        item.sold += units;
        item.orders += 1;
        let sold_out = item.sold == item.quantity;
        if sold_out {
            item.sold_out_ms = Some(now_ms);
        }
        Ok(sold_out)
    }

    /// Checks a new sale: a name, an end after its start, at least one item, each once, with a
    /// positive quantity and price.
    pub fn check(&self) -> Result<(), SaleError> {
        let bad = |m: &str| Err(SaleError::Invalid(m.to_owned()));
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return bad("name must be 1 to 100 characters");
        }
        if self.ends_ms <= self.starts_ms {
            return bad("ends must be after starts");
        }
        if self.items.is_empty() || self.items.len() > 100 {
            return bad("items must list 1 to 100 SKUs");
        }
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i].iter().any(|o| o.sku == item.sku) {
                return Err(SaleError::Invalid(format!("{} is listed twice", item.sku)));
            }
            if item.quantity == 0 || item.price.minor() <= 0 {
                return Err(SaleError::Invalid(format!(
                    "{} needs a quantity and a price above zero",
                    item.sku
                )));
            }
        }
        if self.per_customer_limit == Some(0) {
            return bad("per_customer_limit must be at least 1");
        }
        Ok(())
    }

    /// The moments at which the price in force of the sale's items changes.
    pub fn changes(&self) -> [u64; 2] {
        [self.starts_ms, self.ends_ms]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    fn sale(then: Then, limit: Option<u32>) -> FlashSale {
        FlashSale {
            id: 1,
            name: "Doorbusters".into(),
            starts_ms: 100,
            ends_ms: 200,
            items: vec![SaleItem {
                sku: Sku::parse("HS-1").unwrap(),
                price: Money::new(500, Currency::USD),
                quantity: 3,
                sold: 0,
                orders: 0,
                sold_out_ms: None,
            }],
            per_customer_limit: limit,
            then,
            created_ms: 1,
            ended_early_ms: None,
        }
    }

    #[test]
    fn an_offer_exists_only_while_the_sale_runs() {
        let s = sale(Then::Regular, None);
        assert!(s.offer("HS-1", 99, 0).is_none());
        assert_eq!(s.offer("HS-1", 100, 0).unwrap().allowance, 3);
        assert!(s.offer("HS-1", 200, 0).is_none());
        assert!(s.offer("OTHER", 150, 0).is_none());
    }

    #[test]
    fn the_per_customer_limit_counts_what_the_email_bought_before() {
        let s = sale(Then::Regular, Some(2));
        assert_eq!(s.offer("HS-1", 150, 0).unwrap().allowance, 2);
        assert_eq!(s.offer("HS-1", 150, 1).unwrap().allowance, 1);
        assert_eq!(s.offer("HS-1", 150, 2).unwrap().allowance, 0);
        assert_eq!(s.offer("HS-1", 150, 0).unwrap().units_at_sale_price(5), 2);
    }

    #[test]
    fn selling_the_quantity_ends_the_offer_or_the_item_as_the_merchant_chose() {
        let mut regular = sale(Then::Regular, None);
        assert!(!regular.record("HS-1", 2, 150).unwrap());
        assert!(regular.record("HS-1", 1, 160).unwrap());
        assert_eq!(regular.items[0].sold_out_ms, Some(160));
        assert_eq!(regular.items[0].revenue_minor(), 1500);
        assert!(regular.offer("HS-1", 170, 0).is_none());
        assert!(regular.record("HS-1", 1, 170).is_err(), "never past the quantity");

        let mut strict = sale(Then::SoldOut, None);
        strict.record("HS-1", 3, 150).unwrap();
        let offer = strict.offer("HS-1", 170, 0).unwrap();
        assert_eq!(offer.sellable(40), 0, "the item shows sold out until the sale ends");
        assert!(strict.offer("HS-1", 200, 0).is_none());
    }

    #[test]
    fn scheduled_prices_run_from_start_to_end() {
        let p = ScheduledPrice {
            price: Money::new(1, Currency::USD),
            starts_ms: Some(10),
            ends_ms: Some(20),
        };
        assert!(!p.in_force(9) && p.in_force(10) && p.in_force(19) && !p.in_force(20));
        assert_eq!(p.changes_after(15).collect::<Vec<_>>(), vec![20]);
    }

    #[test]
    fn a_bundle_is_as_available_as_its_scarcest_component() {
        let parts = vec![
            BundlePart {
                sku: Sku::parse("A").unwrap(),
                quantity: 1,
            },
            BundlePart {
                sku: Sku::parse("B").unwrap(),
                quantity: 2,
            },
        ];
        assert_eq!(bundles_available(&parts, &[10, 7]), 3);
        assert_eq!(bundles_available(&[], &[]), 0);
    }

    #[test]
    fn a_sale_must_name_itself_end_after_it_starts_and_list_each_item_once() {
        assert!(sale(Then::Regular, None).check().is_ok());
        let mut s = sale(Then::Regular, None);
        s.ends_ms = 100;
        assert!(s.check().is_err());
        let mut s = sale(Then::Regular, Some(0));
        assert!(s.check().is_err());
        s.per_customer_limit = None;
        s.items.push(s.items[0].clone());
        assert!(s.check().is_err());
    }
}
