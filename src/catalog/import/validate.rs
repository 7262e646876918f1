//! Turns a raw import line into a valid product, or says in shop terms why it cannot.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::raw::{Loose, RawBundlePart, RawFitment, RawProduct};
use crate::catalog::model::{AttrValue, Product, ProductRecord};
use crate::domain::{CategoryPath, Currency, Fitments, FitmentsBuilder, Money, PartNumber, Sku, YearRange};
use crate::sales::model::{BundlePart, MAX_BUNDLE_PARTS, ScheduledPrice};

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_SHORT_TEXT: usize = 100;
const MAX_PART_NUMBERS: usize = 100;
const MAX_ATTRIBUTES: usize = 100;
const MAX_FITMENTS: usize = 5_000;
/// Prices above this are surely a typo (a billion dollars for a brake pad).
const MAX_PRICE_CENTS: u64 = 100_000_000_000;

/// The limits a line is checked against, for the API's description of the format.
pub struct Limits {
    pub title: usize,
    pub description: usize,
    pub short_text: usize,
    pub part_numbers: usize,
    pub attributes: usize,
    pub fitments: usize,
    pub price_cents: u64,
}

pub const LIMITS: Limits = Limits {
    title: MAX_TITLE,
    description: MAX_DESCRIPTION,
    short_text: MAX_SHORT_TEXT,
    part_numbers: MAX_PART_NUMBERS,
    attributes: MAX_ATTRIBUTES,
    fitments: MAX_FITMENTS,
    price_cents: MAX_PRICE_CENTS,
};

/// Validates one line. `now_ms` becomes the creation time of new products.
pub fn validate(raw: RawProduct<'_>, now_ms: u64) -> Result<ProductRecord, String> {
    let sku = Sku::parse(&required_text("sku", raw.sku)?).map_err(|e| e.to_string())?;
    let title = required_text("title", raw.title)?;
    check_len("title", &title, MAX_TITLE)?;
    let description = text("description", raw.description)?.unwrap_or_default();
    check_len("description", &description, MAX_DESCRIPTION)?;
    let brand = short_text("brand", raw.brand)?;
    let category = match text("category", raw.category)? {
        Some(c) => Some(CategoryPath::parse(&c).map_err(|e| e.to_string())?),
        None => None,
    };
    let currency = match text("currency", raw.currency)? {
        Some(c) => Currency::parse(&c).map_err(|e| e.to_string())?,
        None => Currency::default(),
    };
    let price_cents = whole_number("price_cents", raw.price_cents)?.ok_or("missing price_cents")?;
    if price_cents > MAX_PRICE_CENTS {
        return Err(format!("price_cents {price_cents} is implausibly large"));
    }
    let stock = whole_number("stock", raw.stock)?;
    if let Some(units) = stock.filter(|units| *units > crate::inventory::MAX_UNITS) {
        return Err(format!(
            "stock {units} is more than the {} units one SKU may hold",
            crate::inventory::MAX_UNITS
        ));
    }
    let popularity = whole_number("popularity", raw.popularity)?.unwrap_or(0);
    let sale = scheduled_price(
        &raw.sale_price_cents,
        raw.sale_starts,
        raw.sale_ends,
        price_cents,
        currency,
    )?;
    let bundle = bundle(raw.bundle.unwrap_or_default(), &sku)?;
    let product = Product {
        sku,
        title,
        description,
        brand,
        category,
        price: Money::new(price_cents as i64, currency),
        part_numbers: part_numbers(raw.part_numbers)?,
        attributes: attributes(raw.attributes.unwrap_or_default())?,
        fitments: match raw.fitments {
            Some(CheckedFitments(checked)) => checked?,
            None => Fitments::default(),
        },
        universal: flag("universal", raw.universal)?,
        group: short_text("group", raw.group)?,
        options: options(raw.options.unwrap_or_default())?,
        featured: flag("featured", raw.featured)?,
        popularity: u32::try_from(popularity).map_err(|_| "popularity is too large".to_owned())?,
        extra: if raw.extra.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&raw.extra).unwrap_or_default()
        },
        created_ms: now_ms,
        updated_ms: now_ms,
        sale,
        bundle,
    };
    // A bundle's stock is what its components allow; it holds none of its own.
    let stock = if product.is_bundle() { None } else { stock };
    Ok(ProductRecord { product, stock })
}

/// `sale_price_cents` with its optional `sale_starts` and `sale_ends` (RFC 3339).
fn scheduled_price(
    price: &Option<Loose<'_>>,
    starts: Option<Loose<'_>>,
    ends: Option<Loose<'_>>,
    regular_cents: u64,
    currency: Currency,
) -> Result<Option<ScheduledPrice>, String> {
    let time = |name: &str, value: Option<Loose<'_>>| -> Result<Option<u64>, String> {
        match text(name, value)? {
            Some(t) => crate::domain::parse_rfc3339(&t)
                .map(Some)
                .ok_or_else(|| format!("{name} must be a time like 2026-12-05T09:00:00Z, got {t:?}")),
            None => Ok(None),
        }
    };
    let (starts_ms, ends_ms) = (time("sale_starts", starts)?, time("sale_ends", ends)?);
    let Some(cents) = whole_number("sale_price_cents", price.clone())? else {
        if starts_ms.is_some() || ends_ms.is_some() {
            return Err("sale_starts and sale_ends need a sale_price_cents".into());
        }
        return Ok(None);
    };
    if cents >= regular_cents {
        return Err(format!(
            "sale_price_cents {cents} is not below price_cents {regular_cents}"
        ));
    }
    if let (Some(s), Some(e)) = (starts_ms, ends_ms)
        && e <= s
    {
        return Err("sale_ends must be after sale_starts".into());
    }
    Ok(Some(ScheduledPrice {
        price: Money::new(cents as i64, currency),
        starts_ms,
        ends_ms,
    }))
}

/// A bundle's components: each an existing SKU's number (checked when the bundle is sold) and
/// a quantity of 1 or more, each SKU once, never the bundle itself.
fn bundle(raw: Vec<RawBundlePart<'_>>, own: &Sku) -> Result<Vec<BundlePart>, String> {
    if raw.len() > MAX_BUNDLE_PARTS {
        return Err(format!("a bundle has at most {MAX_BUNDLE_PARTS} components"));
    }
    let mut parts: Vec<BundlePart> = Vec::with_capacity(raw.len());
    for (i, part) in raw.into_iter().enumerate() {
        let name = format!("bundle component {}", i + 1);
        let sku = Sku::parse(&required_text(&format!("{name} sku"), part.sku)?).map_err(|e| format!("{name}: {e}"))?;
        let quantity = whole_number("quantity", part.quantity)?.unwrap_or(1);
        if !(1..=1000).contains(&quantity) {
            return Err(format!("{name}: quantity must be 1 to 1000"));
        }
        if sku == *own || parts.iter().any(|p| p.sku == sku) {
            return Err(format!(
                "{name}: {} is listed twice or is the bundle itself",
                sku.as_str()
            ));
        }
        parts.push(BundlePart {
            sku: sku.clone(),
            quantity: quantity as u32,
        });
    }
    Ok(parts)
}

fn required_text(name: &str, value: Option<Loose<'_>>) -> Result<String, String> {
    text(name, value)?.ok_or_else(|| format!("missing {name}"))
}

/// A string (or a number, as spreadsheets write them), trimmed; blank counts as absent.
fn text(name: impl fmt::Display, value: Option<Loose<'_>>) -> Result<Option<String>, String> {
    let s = match value {
        None | Some(Loose::Null) => return Ok(None),
        Some(Loose::Text(s)) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return Ok(None);
            }
            return Ok(Some(if trimmed.len() == s.len() {
                s.into_owned()
            } else {
                trimmed.to_owned()
            }));
        }
        Some(Loose::Int(n)) => n.to_string(),
        Some(Loose::UInt(n)) => n.to_string(),
        Some(Loose::Float(x)) => x.to_string(),
        Some(other) => return Err(format!("{name} must be text, got {}", other.kind())),
    };
    let trimmed = s.trim();
    if trimmed.is_empty() {
        Ok(None)
    } else if trimmed.len() == s.len() {
        Ok(Some(s))
    } else {
        Ok(Some(trimmed.to_owned()))
    }
}

fn short_text(name: &str, value: Option<Loose<'_>>) -> Result<Option<String>, String> {
    let s = text(name, value)?;
    if let Some(s) = &s {
        check_len(name, s, MAX_SHORT_TEXT)?;
    }
    Ok(s)
}

fn check_len(name: impl fmt::Display, s: &str, max: usize) -> Result<(), String> {
    // Never more characters than bytes, so most checks skip the count.
    if s.len() > max && s.chars().count() > max {
        Err(format!("{name} is longer than {max} characters"))
    } else {
        Ok(())
    }
}

/// A non-negative whole number, given as a number or as digits in a string.
fn whole_number(name: &str, value: Option<Loose<'_>>) -> Result<Option<u64>, String> {
    let bad = |shown: String| {
        if shown.trim_start().starts_with('-') {
            format!("{name} is negative ({shown})")
        } else {
            format!("{name} must be a whole number, got {shown}")
        }
    };
    match value {
        None | Some(Loose::Null) => Ok(None),
        Some(Loose::UInt(n)) => Ok(Some(n)),
        Some(Loose::Int(n)) => u64::try_from(n).map(Some).map_err(|_| bad(n.to_string())),
        // JSON's 12.0 is the whole number 12 (JavaScript writes it so).
        Some(Loose::Float(x)) if x.fract() == 0.0 && (0.0..1.8e19).contains(&x) => Ok(Some(x as u64)),
        Some(Loose::Float(x)) => Err(bad(x.to_string())),
        Some(Loose::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Loose::Text(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| bad(format!("{s:?}"))),
        Some(other) => Err(format!("{name} must be a whole number, got {}", other.kind())),
    }
}

fn flag(name: &str, value: Option<Loose<'_>>) -> Result<bool, String> {
    match value {
        None | Some(Loose::Null) => Ok(false),
        Some(Loose::Bool(b)) => Ok(b),
        Some(Loose::Text(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "y" => Ok(true),
            "false" | "no" | "0" | "n" | "" => Ok(false),
            _ => Err(format!("{name} must be true or false, got {s:?}")),
        },
        Some(Loose::UInt(n @ (0 | 1))) => Ok(n == 1),
        Some(other) => Err(format!("{name} must be true or false, got {}", other.kind())),
    }
}

fn part_numbers(value: Option<Loose<'_>>) -> Result<Vec<PartNumber>, String> {
    let items = match value {
        None | Some(Loose::Null) => return Ok(Vec::new()),
        Some(Loose::List(items)) => items,
        Some(single @ (Loose::Text(_) | Loose::UInt(_) | Loose::Int(_))) => vec![single],
        Some(other) => {
            return Err(format!("part_numbers must be a list of text, got {}", other.kind()));
        }
    };
    if items.len() > MAX_PART_NUMBERS {
        return Err(format!("more than {MAX_PART_NUMBERS} part numbers"));
    }
    let mut out: Vec<PartNumber> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let name = NthPartNumber(i + 1);
        let Some(raw) = text(name, Some(item))? else {
            continue;
        };
        check_len(name, &raw, MAX_SHORT_TEXT)?;
        let pn = PartNumber::parse_owned(raw).map_err(|raw| format!("{name} ({raw:?}) has no letters or digits"))?;
        // A handful per part: a scan beats hashing a copy of each key.
        if !out.iter().any(|seen| seen.key() == pn.key()) {
            out.push(pn);
        }
    }
    Ok(out)
}

/// "part number N", written only when a message needs it.
#[derive(Clone, Copy)]
struct NthPartNumber(usize);

impl fmt::Display for NthPartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "part number {}", self.0)
    }
}

fn attributes(raw: BTreeMap<Cow<'_, str>, Loose<'_>>) -> Result<BTreeMap<String, AttrValue>, String> {
    if raw.len() > MAX_ATTRIBUTES {
        return Err(format!("more than {MAX_ATTRIBUTES} attributes"));
    }
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(format!("attribute name {name:?} must be 1 to 40 characters"));
        }
        let value = match value {
            Loose::Null => continue,
            Loose::Bool(b) => AttrValue::Bool(b),
            Loose::Int(i) => AttrValue::Int(i),
            Loose::UInt(u) => i64::try_from(u)
                .map(AttrValue::Int)
                .unwrap_or(AttrValue::Float(u as f64)),
            Loose::Float(x) => AttrValue::Float(x),
            Loose::Text(s) if s.trim().is_empty() => continue,
            Loose::Text(s) => {
                check_len(format_args!("attribute {name:?}"), &s, MAX_SHORT_TEXT)?;
                AttrValue::Text(s.trim().to_owned())
            }
            other => {
                return Err(format!(
                    "attribute {name:?} must be text, a number or true/false, got {}",
                    other.kind()
                ));
            }
        };
        out.insert(name, value);
    }
    Ok(out)
}

fn options(raw: BTreeMap<Cow<'_, str>, Loose<'_>>) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let label = format!("option {name:?}");
        if let Some(v) = short_text(&label, Some(value))? {
            out.insert(name.trim().to_owned(), v);
        }
    }
    Ok(out)
}

/// A part's fitments, validated as they are read: the list never exists as raw objects, which
/// for a part with 200 fitments saves most of the copying. Holds the first error, if any.
#[derive(Debug)]
pub struct CheckedFitments(pub Result<Fitments, String>);

impl<'a> FromIterator<RawFitment<'a>> for CheckedFitments {
    fn from_iter<I: IntoIterator<Item = RawFitment<'a>>>(raw: I) -> Self {
        let mut check = FitmentCheck::default();
        raw.into_iter().for_each(|f| check.add(f));
        check.finish()
    }
}

impl<'de> serde::Deserialize<'de> for CheckedFitments {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(FitmentsVisitor)
    }
}

struct FitmentsVisitor;

impl<'de> serde::de::Visitor<'de> for FitmentsVisitor {
    type Value = CheckedFitments;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of fitments")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<CheckedFitments, A::Error> {
        let mut check = FitmentCheck::default();
        while let Some(raw) = seq.next_element::<RawFitment<'de>>()? {
            check.add(raw);
        }
        Ok(check.finish())
    }
}

#[derive(Default)]
pub(super) struct FitmentCheck<'a> {
    out: FitmentsBuilder<'a>,
    seen: usize,
    error: Option<String>,
}

impl<'a> FitmentCheck<'a> {
    pub(super) fn add(&mut self, raw: RawFitment<'a>) {
        self.add_with(|out| fitment(out, raw));
    }

    /// Like `add`, for a fitment the scanner read (see `fitment_scan`).
    pub(super) fn add_plain(&mut self, plain: PlainFitment<'a>) {
        self.add_with(|out| plain_fitment(out, plain));
    }

    fn add_with(&mut self, push: impl FnOnce(&mut FitmentsBuilder<'a>) -> Result<(), String>) {
        self.seen += 1;
        if self.error.is_none()
            && self.seen <= MAX_FITMENTS
            && let Err(e) = push(&mut self.out)
        {
            self.error = Some(format!("fitment {}: {e}", self.seen));
        }
    }

    pub(super) fn finish(self) -> CheckedFitments {
        CheckedFitments(if self.seen > MAX_FITMENTS {
            Err(format!("more than {MAX_FITMENTS} fitments"))
        } else if let Some(e) = self.error {
            Err(e)
        } else {
            Ok(self.out.finish())
        })
    }
}

fn fitment<'a>(out: &mut FitmentsBuilder<'a>, raw: RawFitment<'a>) -> Result<(), String> {
    let single = year("year", whole_number("year", raw.year)?)?;
    let from = year("year_from", whole_number("year_from", raw.year_from)?)?;
    let to = year("year_to", whole_number("year_to", raw.year_to)?)?;
    let years = years(single, from, to)?;
    let make = name("make", raw.make)?.unwrap_or_default();
    let model = name("model", raw.model)?.unwrap_or_default();
    let submodel = name("submodel", raw.submodel)?;
    let engine = name("engine", raw.engine)?;
    out.push(years, make, model, submodel, engine)
        .map_err(|e| e.to_string())
}

/// A fitment as the scanner reads it: whole numbers and text without escapes, so none of the
/// type errors `fitment` can report apply.
#[derive(Default)]
pub(super) struct PlainFitment<'a> {
    pub year: Option<u64>,
    pub year_from: Option<u64>,
    pub year_to: Option<u64>,
    pub make: Option<&'a str>,
    pub model: Option<&'a str>,
    pub submodel: Option<&'a str>,
    pub engine: Option<&'a str>,
}

/// `fitment` for a `PlainFitment`, with the same checks in the same order.
fn plain_fitment<'a>(out: &mut FitmentsBuilder<'a>, f: PlainFitment<'a>) -> Result<(), String> {
    let years = years(
        year("year", f.year)?,
        year("year_from", f.year_from)?,
        year("year_to", f.year_to)?,
    )?;
    out.push(
        years,
        Cow::Borrowed(f.make.unwrap_or_default()),
        Cow::Borrowed(f.model.unwrap_or_default()),
        f.submodel.map(Cow::Borrowed),
        f.engine.map(Cow::Borrowed),
    )
    .map_err(|e| e.to_string())
}

fn year(name: &str, value: Option<u64>) -> Result<Option<u16>, String> {
    value
        .map(|y| u16::try_from(y).map_err(|_| format!("{name} {y} is not a year")))
        .transpose()
}

/// A single `year` stands for both ends when either is missing.
fn years(single: Option<u16>, from: Option<u16>, to: Option<u16>) -> Result<YearRange, String> {
    let from = from.or(single).ok_or("missing year_from")?;
    let to = to.or(single).ok_or("missing year_to")?;
    YearRange::new(from, to).map_err(|e| e.to_string())
}

/// Like `text`, but borrows from the line where it can: fitments repeat names many times.
fn name<'a>(field: &str, value: Option<Loose<'a>>) -> Result<Option<Cow<'a, str>>, String> {
    match value {
        None | Some(Loose::Null) => Ok(None),
        Some(Loose::Text(Cow::Borrowed(s))) => Ok(Some(Cow::Borrowed(s))),
        other => Ok(text(field, other)?.map(Cow::Owned)),
    }
}
