//! The merchant's shipping methods, tax rates and promo codes, read from the config file.
//!
//! The file's shapes (`*Settings`) are validated once into `Rules`; everything after that works
//! in minor units and basis points, never floats.

use anyhow::{Context, bail, ensure};

use crate::domain::day_start_ms;
use serde::Deserialize;

/// Shipping, tax and promotions, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub shipping: Vec<ShippingMethod>,
    pub taxes: Vec<TaxRate>,
    pub promos: Vec<Promo>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ShippingMethod {
    pub id: String,
    pub name: String,
    pub rate: ShippingRate,
    /// Orders whose subtotal (after discounts) reaches this ship free.
    pub free_over: Option<i64>,
    /// ISO country codes it ships to; empty means everywhere.
    pub countries: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ShippingRate {
    Flat(i64),
    /// (up to grams inclusive, price); heavier carts cannot use the method.
    ByWeight(Vec<(u64, i64)>),
    /// (up to subtotal inclusive, price); the last band's price applies above it.
    ByPrice(Vec<(i64, i64)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaxRate {
    pub country: String,
    /// `None` applies to the whole country unless a region rate matches.
    pub region: Option<String>,
    /// Hundredths of a percent: 725 is 7.25 %.
    pub basis_points: u32,
    pub shipping_taxable: bool,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Promo {
    /// Upper case; codes are matched case-insensitively.
    pub code: String,
    pub benefit: Benefit,
    pub min_subtotal: i64,
    pub starts_ms: Option<u64>,
    pub ends_ms: Option<u64>,
    /// Orders that may use the code, counted exactly in the checkout transaction.
    pub usage_limit: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Benefit {
    Percent(u32),
    AmountOff(i64),
    FreeShipping,
}

impl Rules {
    pub fn promo(&self, code: &str) -> Option<&Promo> {
        let code = code.trim().to_ascii_uppercase();
        self.promos.iter().find(|p| p.code == code)
    }

    pub fn shipping_method(&self, id: &str) -> Option<&ShippingMethod> {
        self.shipping.iter().find(|m| m.id == id)
    }

    /// The region's own rate if there is one, else the country's.
    pub fn tax_rate(&self, country: &str, region: &str) -> Option<&TaxRate> {
        let (country, region) = (country.trim().to_ascii_uppercase(), region.trim().to_ascii_uppercase());
        self.taxes
            .iter()
            .find(|t| t.country == country && t.region.as_deref() == Some(region.as_str()))
            .or_else(|| self.taxes.iter().find(|t| t.country == country && t.region.is_none()))
    }
}

impl ShippingMethod {
    pub fn ships_to(&self, country: &str) -> bool {
        self.countries.is_empty() || self.countries.iter().any(|c| c.eq_ignore_ascii_case(country.trim()))
    }
}

/// `[[shipping]]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingSettings {
    pub id: String,
    pub name: String,
    pub flat_cents: Option<i64>,
    pub by_weight: Option<Vec<WeightBand>>,
    pub by_price: Option<Vec<PriceBand>>,
    pub free_over_cents: Option<i64>,
    #[serde(default)]
    pub countries: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightBand {
    pub up_to_grams: u64,
    pub cents: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceBand {
    pub up_to_cents: i64,
    pub cents: i64,
}

/// `[[tax]]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxSettings {
    pub country: String,
    pub region: Option<String>,
    /// Written as a percentage with at most two decimals, e.g. `"7.25"`.
    pub percent: String,
    #[serde(default)]
    pub shipping_taxable: bool,
    pub name: Option<String>,
}

/// `[[promo]]` in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoSettings {
    pub code: String,
    pub percent_off: Option<u32>,
    pub amount_off_cents: Option<i64>,
    #[serde(default)]
    pub free_shipping: bool,
    #[serde(default)]
    pub min_subtotal_cents: i64,
    /// `YYYY-MM-DD` (UTC, from the start of that day).
    pub starts: Option<String>,
    /// `YYYY-MM-DD` (UTC, to the end of that day).
    pub ends: Option<String>,
    pub usage_limit: Option<u64>,
}

impl Rules {
    /// Validates the config file's sections; absent sections take the sample rules so a new shop
    /// can sell at once.
    pub fn from_settings(
        shipping: Option<Vec<ShippingSettings>>,
        taxes: Option<Vec<TaxSettings>>,
        promos: Option<Vec<PromoSettings>>,
    ) -> anyhow::Result<Rules> {
        let shipping = shipping.unwrap_or_else(sample::shipping);
        let taxes = taxes.unwrap_or_else(sample::taxes);
        let promos = promos.unwrap_or_else(sample::promos);
        let rules = Rules {
            shipping: shipping.into_iter().map(shipping_method).collect::<Result<_, _>>()?,
            taxes: taxes.into_iter().map(tax_rate).collect::<Result<_, _>>()?,
            promos: promos.into_iter().map(promo).collect::<Result<_, _>>()?,
        };
        ensure!(!rules.shipping.is_empty(), "at least one [[shipping]] method is needed");
        for (i, m) in rules.shipping.iter().enumerate() {
            ensure!(
                !rules.shipping[..i].iter().any(|o| o.id == m.id),
                "shipping method {:?} is defined twice",
                m.id
            );
        }
        for (i, p) in rules.promos.iter().enumerate() {
            ensure!(
                !rules.promos[..i].iter().any(|o| o.code == p.code),
                "promo code {:?} is defined twice",
                p.code
            );
        }
        Ok(rules)
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from_settings(None, None, None).expect("the sample rules are valid")
    }
}

fn shipping_method(s: ShippingSettings) -> anyhow::Result<ShippingMethod> {
    let what = format!("shipping method {:?}", s.id);
    ensure!(
        !s.id.is_empty()
            && s.id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{what}: id must be letters, digits, - or _"
    );
    let rate = match (s.flat_cents, s.by_weight, s.by_price) {
        (Some(c), None, None) => {
            ensure!(c >= 0, "{what}: flat_cents cannot be negative");
            ShippingRate::Flat(c)
        }
        (None, Some(bands), None) => {
            ensure!(!bands.is_empty(), "{what}: by_weight needs at least one band");
            ensure!(
                bands.windows(2).all(|w| w[0].up_to_grams < w[1].up_to_grams) && bands.iter().all(|b| b.cents >= 0),
                "{what}: weight bands must rise and cost 0 or more"
            );
            ShippingRate::ByWeight(bands.into_iter().map(|b| (b.up_to_grams, b.cents)).collect())
        }
        (None, None, Some(bands)) => {
            ensure!(!bands.is_empty(), "{what}: by_price needs at least one band");
            ensure!(
                bands.windows(2).all(|w| w[0].up_to_cents < w[1].up_to_cents) && bands.iter().all(|b| b.cents >= 0),
                "{what}: price bands must rise and cost 0 or more"
            );
            ShippingRate::ByPrice(bands.into_iter().map(|b| (b.up_to_cents, b.cents)).collect())
        }
        _ => bail!("{what}: give exactly one of flat_cents, by_weight or by_price"),
    };
    ensure!(
        s.free_over_cents.is_none_or(|c| c >= 0),
        "{what}: free_over_cents cannot be negative"
    );
    Ok(ShippingMethod {
        id: s.id,
        name: s.name,
        rate,
        free_over: s.free_over_cents,
        countries: s.countries.iter().map(|c| c.trim().to_ascii_uppercase()).collect(),
    })
}

fn tax_rate(s: TaxSettings) -> anyhow::Result<TaxRate> {
    let basis_points = parse_percent(&s.percent).with_context(|| {
        format!(
            "tax for {}: percent {:?} is not a percentage like \"7.25\"",
            s.country, s.percent
        )
    })?;
    let country = s.country.trim().to_ascii_uppercase();
    ensure!(
        country.len() == 2,
        "tax country {:?} must be a two-letter code",
        s.country
    );
    let region = s.region.map(|r| r.trim().to_ascii_uppercase());
    let name = s.name.unwrap_or_else(|| match &region {
        Some(r) => format!("Sales tax ({country}-{r})"),
        None => format!("Tax ({country})"),
    });
    Ok(TaxRate {
        country,
        region,
        basis_points,
        shipping_taxable: s.shipping_taxable,
        name,
    })
}

/// `"7.25"` -> 725 basis points; at most two decimals, at most 100 %.
fn parse_percent(text: &str) -> Option<u32> {
    let text = text.trim().trim_end_matches('%');
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 2 || !(whole.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bp = whole.parse::<u32>().ok()?.checked_mul(100)? + format!("{frac:0<2}").parse::<u32>().ok()?;
    (bp <= 10_000).then_some(bp)
}

fn promo(s: PromoSettings) -> anyhow::Result<Promo> {
    let code = s.code.trim().to_ascii_uppercase();
    let what = format!("promo {code:?}");
    ensure!(
        !code.is_empty()
            && code.len() <= 40
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{what}: code must be 1 to 40 letters, digits, - or _"
    );
    let benefit = match (s.percent_off, s.amount_off_cents, s.free_shipping) {
        (Some(p), None, false) => {
            ensure!((1..=100).contains(&p), "{what}: percent_off must be 1 to 100");
            Benefit::Percent(p)
        }
        (None, Some(c), false) => {
            ensure!(c > 0, "{what}: amount_off_cents must be positive");
            Benefit::AmountOff(c)
        }
        (None, None, true) => Benefit::FreeShipping,
        _ => bail!("{what}: give exactly one of percent_off, amount_off_cents or free_shipping = true"),
    };
    ensure!(
        s.min_subtotal_cents >= 0,
        "{what}: min_subtotal_cents cannot be negative"
    );
    let starts_ms = s
        .starts
        .as_deref()
        .map(|d| day_start_ms(d).with_context(|| format!("{what}: starts {d:?} is not YYYY-MM-DD")))
        .transpose()?;
    let ends_ms = s
        .ends
        .as_deref()
        .map(|d| {
            day_start_ms(d)
                .map(|ms| ms + 86_400_000 - 1)
                .with_context(|| format!("{what}: ends {d:?} is not YYYY-MM-DD"))
        })
        .transpose()?;
    if let (Some(a), Some(b)) = (starts_ms, ends_ms) {
        ensure!(a <= b, "{what}: ends before it starts");
    }
    Ok(Promo {
        code,
        benefit,
        min_subtotal: s.min_subtotal_cents,
        starts_ms,
        ends_ms,
        usage_limit: s.usage_limit,
    })
}

/// The rules a new shop starts with, and the ones `storefront.example.toml` spells out.
mod sample {
    use super::*;

    pub fn shipping() -> Vec<ShippingSettings> {
        vec![
            ShippingSettings {
                id: "standard".into(),
                name: "Standard (3–5 business days)".into(),
                flat_cents: Some(599),
                by_weight: None,
                by_price: None,
                free_over_cents: Some(7500),
                countries: vec![],
            },
            ShippingSettings {
                id: "express".into(),
                name: "Express (1–2 business days)".into(),
                flat_cents: None,
                by_weight: Some(vec![
                    WeightBand {
                        up_to_grams: 2_000,
                        cents: 1_499,
                    },
                    WeightBand {
                        up_to_grams: 10_000,
                        cents: 2_499,
                    },
                    WeightBand {
                        up_to_grams: 30_000,
                        cents: 4_999,
                    },
                ]),
                by_price: None,
                free_over_cents: None,
                countries: vec!["US".into(), "CA".into()],
            },
        ]
    }

    pub fn taxes() -> Vec<TaxSettings> {
        let tax = |country: &str, region: Option<&str>, percent: &str| TaxSettings {
            country: country.into(),
            region: region.map(Into::into),
            percent: percent.into(),
            shipping_taxable: false,
            name: None,
        };
        vec![
            tax("US", Some("CA"), "7.25"),
            tax("US", Some("NY"), "4"),
            tax("US", Some("TX"), "6.25"),
            TaxSettings {
                name: Some("GST".into()),
                shipping_taxable: true,
                ..tax("CA", None, "5")
            },
        ]
    }

    pub fn promos() -> Vec<PromoSettings> {
        let promo = |code: &str| PromoSettings {
            code: code.into(),
            percent_off: None,
            amount_off_cents: None,
            free_shipping: false,
            min_subtotal_cents: 0,
            starts: None,
            ends: None,
            usage_limit: None,
        };
        vec![
            PromoSettings {
                percent_off: Some(10),
                min_subtotal_cents: 2_000,
                ..promo("WELCOME10")
            },
            PromoSettings {
                free_shipping: true,
                min_subtotal_cents: 3_500,
                ..promo("SHIPFREE")
            },
            PromoSettings {
                amount_off_cents: Some(500),
                usage_limit: Some(100),
                ..promo("FIVEOFF")
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_basis_points_without_floats() {
        assert_eq!(parse_percent("7.25"), Some(725));
        assert_eq!(parse_percent("4"), Some(400));
        assert_eq!(parse_percent("0.5%"), Some(50));
        assert_eq!(parse_percent("100"), Some(10_000));
        for bad in ["", "7.255", "-1", "101", "abc", "1e2", ".5"] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_days_since_the_epoch() {
        assert_eq!(day_start_ms("1970-01-01"), Some(0));
        assert_eq!(day_start_ms("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(day_start_ms("2026-13-01"), None);
    }

    #[test]
    fn a_promo_with_two_benefits_is_refused_with_its_code() {
        let err = promo(PromoSettings {
            percent_off: Some(10),
            free_shipping: true,
            ..sample::promos().remove(0)
        })
        .unwrap_err();
        assert!(err.to_string().contains("WELCOME10"), "{err}");
    }

    #[test]
    fn region_rates_win_over_country_rates() {
        let rules = Rules::default();
        assert_eq!(rules.tax_rate("us", "ca").map(|t| t.basis_points), Some(725));
        assert_eq!(rules.tax_rate("CA", "ON").map(|t| t.basis_points), Some(500));
        assert!(rules.tax_rate("US", "OR").is_none());
    }
}
