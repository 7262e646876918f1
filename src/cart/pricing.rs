//! Cart totals, computed in exactly one place: subtotal, discount, shipping, tax and total.
//!
//! Money is integer minor units with checked arithmetic; an amount that would overflow is an
//! error, never a wrapped number. The cart page, the cart API and checkout all call `quote`.

use crate::catalog::{AttrValue, Item};
use crate::domain::{Currency, Money, MoneyError, Sku};
use crate::inventory::Shortfall;

use super::model::CartLine;
use super::rules::{Benefit, Promo, Rules, ShippingMethod, ShippingRate};

/// Items without a weight attribute count as this heavy for weight-based shipping.
pub const DEFAULT_ITEM_GRAMS: u64 = 500;

/// Where the order goes; tax and some shipping methods depend on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Destination {
    pub country: String,
    pub region: String,
}

/// What a quote is asked for.
pub struct QuoteInput<'a> {
    /// Each cart line with its item as it is now (`None` when the product was removed).
    pub lines: Vec<(CartLine, Option<Item>)>,
    pub promo: Option<&'a str>,
    /// Orders that have used the promo so far.
    pub promo_uses: u64,
    /// `None` picks the first method that can ship the cart.
    pub shipping_method: Option<&'a str>,
    pub destination: Option<&'a Destination>,
    pub now_ms: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub currency: Currency,
    pub lines: Vec<QuotedLine>,
    pub subtotal: Money,
    pub discount: Money,
    pub promo: Option<PromoStatus>,
    /// The methods that can ship this cart (to the destination, when known), with their prices.
    pub shipping_options: Vec<ShippingOption>,
    pub shipping: Option<ShippingOption>,
    /// Known once there is a destination.
    pub tax: Option<TaxLine>,
    pub total: Money,
    pub weight_grams: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QuotedLine {
    pub sku: Sku,
    pub item: Option<Item>,
    pub quantity: u32,
    pub line_total: Money,
    /// Units of the line at a flash sale's price (the rest are at the price in force).
    pub sale: Option<SaleUnits>,
}

/// The part of a line a flash sale prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaleUnits {
    pub sale_id: u64,
    pub units: u32,
    pub price: Money,
}

impl QuotedLine {
    /// Units at the price in force (not the flash sale's).
    pub fn units_at_price(&self) -> u32 {
        self.quantity - self.sale.map_or(0, |s| s.units)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippingOption {
    pub id: String,
    pub name: String,
    pub price: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxLine {
    pub name: String,
    pub basis_points: u32,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromoStatus {
    pub code: String,
    /// `None` when it applies; otherwise why not, in words for the shopper.
    pub problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("the cart's total is too large")]
    Overflow,
    #[error("the cart mixes currencies ({0} and {1}); check out items in one currency at a time")]
    MixedCurrencies(Currency, Currency),
}

impl From<MoneyError> for PricingError {
    fn from(_: MoneyError) -> Self {
        PricingError::Overflow
    }
}

impl Quote {
    /// Lines asking for more than is in stock (a removed product has none).
    pub fn shortfalls(&self) -> Vec<Shortfall> {
        self.lines
            .iter()
            .filter_map(|l| {
                let available = l.item.as_ref().map_or(0, |i| i.stock);
                (u64::from(l.quantity) > available).then(|| Shortfall {
                    sku: l.sku.to_string(),
                    requested: u64::from(l.quantity),
                    available,
                })
            })
            .collect()
    }

    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity)).sum()
    }

    /// The promo applied, if one is and it applies.
    pub fn applied_promo(&self) -> Option<&str> {
        self.promo
            .as_ref()
            .filter(|p| p.problem.is_none())
            .map(|p| p.code.as_str())
    }
}

/// Prices a cart under the merchant's rules.
pub fn quote(rules: &Rules, input: QuoteInput<'_>) -> Result<Quote, PricingError> {
    let currency = currency_of(&input.lines)?;
    let zero = Money::new(0, currency);
    let mut lines = Vec::with_capacity(input.lines.len());
    let (mut subtotal, mut weight_grams) = (zero, 0u64);
    for (line, item) in input.lines {
        let sale = item.as_ref().and_then(|i| sale_units(i, line.quantity));
        let line_total = match &item {
            Some(item) => {
                let at_sale = sale.map_or(Ok(zero), |s| s.price.checked_mul(s.units))?;
                let rest = line.quantity - sale.map_or(0, |s| s.units);
                item.price.checked_mul(rest)?.checked_add(at_sale)?
            }
            None => zero,
        };
        subtotal = subtotal.checked_add(line_total)?;
        let grams = item
            .as_ref()
            .map_or(0, |i| item_grams(i).saturating_mul(u64::from(line.quantity)));
        weight_grams = weight_grams.saturating_add(grams);
        lines.push(QuotedLine {
            sku: line.sku,
            item,
            quantity: line.quantity,
            line_total,
            sale,
        });
    }
    let promo = input
        .promo
        .map(|code| promo_status(rules.promo(code), code, subtotal, input.promo_uses, input.now_ms));
    let benefit = promo
        .as_ref()
        .filter(|p| p.problem.is_none())
        .and_then(|p| rules.promo(&p.code))
        .map(|p| &p.benefit);
    let discount = match benefit {
        Some(Benefit::Percent(pct)) => Money::new(percent_of(subtotal.minor(), *pct)?, currency),
        Some(Benefit::AmountOff(off)) => Money::new((*off).min(subtotal.minor()), currency),
        _ => zero,
    };
    let goods = Money::new(subtotal.minor() - discount.minor(), currency);
    let free_shipping = matches!(benefit, Some(Benefit::FreeShipping));
    let shipping_options: Vec<ShippingOption> = rules
        .shipping
        .iter()
        .filter(|m| input.destination.is_none_or(|d| m.ships_to(&d.country)))
        .filter_map(|m| {
            let price = if free_shipping {
                Some(0)
            } else {
                shipping_price(m, goods.minor(), weight_grams)
            }?;
            Some(ShippingOption {
                id: m.id.clone(),
                name: m.name.clone(),
                price: Money::new(price, currency),
            })
        })
        .collect();
    let shipping = match input.shipping_method {
        Some(id) => shipping_options.iter().find(|o| o.id == id).cloned(),
        None => shipping_options.first().cloned(),
    };
    let shipping_cost = shipping.as_ref().map_or(zero, |s| s.price);
    let tax = match input.destination {
        Some(dest) => rules
            .tax_rate(&dest.country, &dest.region)
            .map(|rate| -> Result<TaxLine, PricingError> {
                let base = if rate.shipping_taxable {
                    goods.checked_add(shipping_cost)?
                } else {
                    goods
                };
                Ok(TaxLine {
                    name: rate.name.clone(),
                    basis_points: rate.basis_points,
                    amount: Money::new(basis_points_of(base.minor(), rate.basis_points)?, currency),
                })
            })
            .transpose()?,
        None => None,
    };
    let tax_amount = tax.as_ref().map_or(zero, |t| t.amount);
    let total = goods.checked_add(shipping_cost)?.checked_add(tax_amount)?;
    Ok(Quote {
        currency,
        lines,
        subtotal,
        discount,
        promo,
        shipping_options,
        shipping,
        tax,
        total,
        weight_grams,
    })
}

/// The units of a line a running flash sale prices, up to what it allows this shopper.
fn sale_units(item: &Item, quantity: u32) -> Option<SaleUnits> {
    let offer = item.offer.as_ref()?;
    let units = offer.units_at_sale_price(quantity);
    (units > 0 && offer.price.currency() == item.price.currency()).then_some(SaleUnits {
        sale_id: offer.sale_id,
        units,
        price: offer.price,
    })
}

fn currency_of(lines: &[(CartLine, Option<Item>)]) -> Result<Currency, PricingError> {
    let mut currencies = lines
        .iter()
        .filter_map(|(_, i)| i.as_ref())
        .map(|i| i.product.price.currency());
    let first = currencies.next().unwrap_or_default();
    match currencies.find(|c| *c != first) {
        Some(other) => Err(PricingError::MixedCurrencies(first, other)),
        None => Ok(first),
    }
}

fn promo_status(promo: Option<&Promo>, code: &str, subtotal: Money, uses: u64, now_ms: u64) -> PromoStatus {
    let code = code.trim().to_ascii_uppercase();
    let problem = match promo {
        None => Some(format!("{code} is not a valid promo code")),
        Some(p) if p.starts_ms.is_some_and(|s| now_ms < s) => Some(format!("{code} is not active yet")),
        Some(p) if p.ends_ms.is_some_and(|e| now_ms > e) => Some(format!("{code} has expired")),
        Some(p) if p.usage_limit.is_some_and(|limit| uses >= limit) => Some(format!("{code} has been used up")),
        Some(p) if subtotal.minor() < p.min_subtotal => Some(format!(
            "{code} needs a subtotal of at least {}; add {} more",
            Money::new(p.min_subtotal, subtotal.currency()),
            Money::new(p.min_subtotal - subtotal.minor(), subtotal.currency())
        )),
        Some(_) => None,
    };
    PromoStatus { code, problem }
}

/// The method's price for this cart, or `None` when it cannot ship it (too heavy).
fn shipping_price(method: &ShippingMethod, goods_minor: i64, grams: u64) -> Option<i64> {
    if method.free_over.is_some_and(|limit| goods_minor >= limit) {
        return Some(0);
    }
    match &method.rate {
        ShippingRate::Flat(cents) => Some(*cents),
        ShippingRate::ByWeight(bands) => bands.iter().find(|(up_to, _)| grams <= *up_to).map(|(_, c)| *c),
        ShippingRate::ByPrice(bands) => bands
            .iter()
            .find(|(up_to, _)| goods_minor <= *up_to)
            .or(bands.last())
            .map(|(_, c)| *c),
    }
}

/// The item's weight from its `weight_g` or `weight_kg` attribute.
fn item_grams(item: &Item) -> u64 {
    let attrs = &item.product.attributes;
    match (attrs.get("weight_g"), attrs.get("weight_kg")) {
        (Some(AttrValue::Int(g)), _) => (*g).max(0) as u64,
        (_, Some(AttrValue::Int(kg))) => (*kg).max(0) as u64 * 1000,
        (_, Some(AttrValue::Float(kg))) if kg.is_finite() && *kg >= 0.0 => (kg * 1000.0).round() as u64,
        _ => DEFAULT_ITEM_GRAMS,
    }
}

/// `minor * pct / 100`, rounded down (the shopper never gets a cent less than promised off).
fn percent_of(minor: i64, pct: u32) -> Result<i64, PricingError> {
    let v = i128::from(minor) * i128::from(pct) / 100;
    i64::try_from(v).map_err(|_| PricingError::Overflow)
}

/// `minor * bp / 10_000`, rounded half up, as tax authorities expect.
fn basis_points_of(minor: i64, bp: u32) -> Result<i64, PricingError> {
    let v = (i128::from(minor) * i128::from(bp) + 5_000) / 10_000;
    i64::try_from(v).map_err(|_| PricingError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Product;
    use crate::domain::Sku;

    fn item(sku: &str, cents: i64, stock: u64) -> Item {
        let product = Product {
            sku: Sku::parse(sku).unwrap(),
            title: sku.into(),
            description: String::new(),
            brand: None,
            category: None,
            price: Money::new(cents, Currency::USD),
            part_numbers: vec![],
            attributes: Default::default(),
            fitments: Default::default(),
            universal: false,
            group: None,
            options: Default::default(),
            featured: false,
            popularity: 0,
            extra: String::new(),
            created_ms: 0,
            updated_ms: 0,
            sale: None,
            bundle: Vec::new(),
        };
        Item::new(product, stock, 0)
    }

    fn line(sku: &str, quantity: u32) -> CartLine {
        CartLine {
            sku: Sku::parse(sku).unwrap(),
            quantity,
        }
    }

    fn input<'a>(lines: Vec<(CartLine, Option<Item>)>) -> QuoteInput<'a> {
        QuoteInput {
            lines,
            promo: None,
            promo_uses: 0,
            shipping_method: None,
            destination: None,
            now_ms: 1_795_305_600_000,
        }
    }

    #[test]
    fn totals_add_up_with_discount_shipping_and_tax() {
        let rules = Rules::default();
        let dest = Destination {
            country: "US".into(),
            region: "CA".into(),
        };
        let q = quote(
            &rules,
            QuoteInput {
                promo: Some("welcome10"),
                destination: Some(&dest),
                ..input(vec![(line("A-1", 3), Some(item("A-1", 1_299, 10)))])
            },
        )
        .unwrap();
        assert_eq!(q.subtotal.minor(), 3_897);
        assert_eq!(q.discount.minor(), 389);
        assert_eq!(q.shipping.as_ref().unwrap().price.minor(), 599);
        // 7.25 % of 3,508 = 254.33 -> 254
        assert_eq!(q.tax.as_ref().unwrap().amount.minor(), 254);
        assert_eq!(q.total.minor(), 3_897 - 389 + 599 + 254);
    }

    #[test]
    fn standard_shipping_is_free_over_the_threshold_after_discounts() {
        let rules = Rules::default();
        let q = quote(&rules, input(vec![(line("A-1", 1), Some(item("A-1", 7_500, 1)))])).unwrap();
        assert_eq!(q.shipping.unwrap().price.minor(), 0);
        let q = quote(
            &rules,
            QuoteInput {
                promo: Some("FIVEOFF"),
                ..input(vec![(line("A-1", 1), Some(item("A-1", 7_500, 1)))])
            },
        )
        .unwrap();
        assert_eq!(q.shipping.unwrap().price.minor(), 599);
    }

    #[test]
    fn a_promo_below_its_minimum_says_how_much_more_is_needed() {
        let q = quote(
            &Rules::default(),
            QuoteInput {
                promo: Some("WELCOME10"),
                ..input(vec![(line("A-1", 1), Some(item("A-1", 1_500, 1)))])
            },
        )
        .unwrap();
        assert_eq!(q.discount.minor(), 0);
        assert!(q.promo.unwrap().problem.unwrap().contains("add $5.00 more"));
    }

    #[test]
    fn a_used_up_promo_gives_nothing() {
        let q = quote(
            &Rules::default(),
            QuoteInput {
                promo: Some("FIVEOFF"),
                promo_uses: 100,
                ..input(vec![(line("A-1", 1), Some(item("A-1", 1_500, 1)))])
            },
        )
        .unwrap();
        assert_eq!(q.discount.minor(), 0);
        assert_eq!(q.applied_promo(), None);
    }

    #[test]
    fn huge_quantities_are_an_error_not_a_wrapped_total() {
        let err = quote(
            &Rules::default(),
            input(vec![
                (line("A-1", u32::MAX), Some(item("A-1", i64::MAX / 2, 1))),
                (line("B-1", u32::MAX), Some(item("B-1", i64::MAX / 2, 1))),
            ]),
        )
        .unwrap_err();
        assert_eq!(err, PricingError::Overflow);
    }

    #[test]
    fn shortfalls_cover_missing_products_and_short_stock() {
        let q = quote(
            &Rules::default(),
            input(vec![
                (line("A-1", 3), Some(item("A-1", 100, 2))),
                (line("GONE-1", 1), None),
                (line("C-1", 1), Some(item("C-1", 100, 1))),
            ]),
        )
        .unwrap();
        let short: Vec<_> = q
            .shortfalls()
            .into_iter()
            .map(|s| (s.sku, s.requested, s.available))
            .collect();
        assert_eq!(short, vec![("A-1".into(), 3, 2), ("GONE-1".into(), 1, 0)]);
    }

    #[test]
    fn heavy_carts_lose_weight_priced_methods() {
        let mut heavy = item("A-1", 100, 100);
        heavy.product.attributes.insert("weight_kg".into(), AttrValue::Int(20));
        let q = quote(&Rules::default(), input(vec![(line("A-1", 2), Some(heavy))])).unwrap();
        assert_eq!(q.weight_grams, 40_000);
        assert!(q.shipping_options.iter().all(|o| o.id != "express"));
    }
}
