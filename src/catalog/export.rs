//! Export in the import format: one JSON object per line, so export then import is lossless.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};

use super::model::{AttrValue, Product};
use crate::store::{Store, StoreError};

/// One line of the import format, borrowed from a product.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Line<'a> {
    #[schema(value_type = String)]
    sku: &'a str,
    #[schema(value_type = String)]
    title: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    #[schema(value_type = String)]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    brand: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    price_cents: i64,
    currency: String,
    stock: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    part_numbers: Vec<&'a str>,
    /// Name → text, number or true/false; each a search facet.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    attributes: BTreeMap<&'a str, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fitments: Vec<Fitment<'a>>,
    #[serde(skip_serializing_if = "is_false")]
    universal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    group: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    options: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "is_false")]
    featured: bool,
    #[serde(skip_serializing_if = "is_zero")]
    popularity: u32,
    /// A scheduled price, below `price_cents`, from `sale_starts` to `sale_ends` (RFC 3339; an
    /// absent end runs until changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    sale_price_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sale_starts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sale_ends: Option<String>,
    /// A bundle's components, sold together as this one item.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bundle: Vec<BundleComponent<'a>>,
    /// Fields this shop does not know are kept and given back.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    extra: Map<String, Value>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BundleComponent<'a> {
    #[schema(value_type = String)]
    sku: &'a str,
    quantity: u32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Fitment<'a> {
    year_from: u16,
    year_to: u16,
    #[schema(value_type = String)]
    make: &'a str,
    #[schema(value_type = String)]
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    submodel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    engine: Option<&'a str>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl<'a> Line<'a> {
    pub fn new(p: &'a Product, stock: u64) -> Line<'a> {
        Line {
            sku: p.sku.as_str(),
            title: &p.title,
            description: &p.description,
            brand: p.brand.as_deref(),
            category: p.category.as_ref().map(ToString::to_string),
            price_cents: p.price.minor(),
            currency: p.price.currency().to_string(),
            stock,
            part_numbers: p.part_numbers.iter().map(|pn| pn.as_str()).collect(),
            attributes: p.attributes.iter().map(|(k, v)| (k.as_str(), attr_json(v))).collect(),
            fitments: p
                .fitments
                .iter()
                .map(|f| Fitment {
                    year_from: f.years.from(),
                    year_to: f.years.to(),
                    make: f.make,
                    model: f.model,
                    submodel: f.submodel,
                    engine: f.engine,
                })
                .collect(),
            universal: p.universal,
            group: p.group.as_deref(),
            options: &p.options,
            featured: p.featured,
            popularity: p.popularity,
            sale_price_cents: p.sale.as_ref().map(|s| s.price.minor()),
            sale_starts: p.sale.as_ref().and_then(|s| s.starts_ms).map(crate::domain::format_utc),
            sale_ends: p.sale.as_ref().and_then(|s| s.ends_ms).map(crate::domain::format_utc),
            bundle: p
                .bundle
                .iter()
                .map(|b| BundleComponent {
                    sku: &b.sku,
                    quantity: b.quantity,
                })
                .collect(),
            extra: serde_json::from_str(&p.extra).unwrap_or_default(),
        }
    }
}

pub fn attr_json(v: &AttrValue) -> Value {
    match v {
        AttrValue::Text(s) => Value::String(s.clone()),
        AttrValue::Int(n) => Value::from(*n),
        AttrValue::Float(x) => Value::from(*x),
        AttrValue::Bool(b) => Value::Bool(*b),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not write the export")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes every product with its stock, from one snapshot, in SKU order. Returns the count.
pub fn export(store: &Store, out: &mut dyn Write) -> Result<u64, ExportError> {
    let tx = store.read()?;
    let mut count = 0;
    tx.for_each_product(|product, stock| {
        serde_json::to_writer(&mut *out, &Line::new(&product, stock)).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        count += 1;
        Ok::<_, ExportError>(())
    })?;
    out.flush()?;
    Ok(count)
}
