//! One import line before validation: known fields as loose JSON values, the rest kept aside.
//!
//! Leaf values stay as `serde_json::Value` so that validation can say what is wrong in shop
//! terms ("price_cents is negative") instead of a parser's type error.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// An import line's fields, as found.
#[derive(Debug, Default)]
pub struct RawProduct {
    pub sku: Option<Value>,
    pub title: Option<Value>,
    pub description: Option<Value>,
    pub brand: Option<Value>,
    pub category: Option<Value>,
    pub price_cents: Option<Value>,
    pub currency: Option<Value>,
    pub stock: Option<Value>,
    pub part_numbers: Option<Value>,
    pub attributes: Option<BTreeMap<String, Value>>,
    pub fitments: Option<Vec<RawFitment>>,
    pub universal: Option<Value>,
    pub group: Option<Value>,
    pub options: Option<BTreeMap<String, Value>>,
    pub featured: Option<Value>,
    pub popularity: Option<Value>,
    /// Fields this version does not know; kept so an export gives them back.
    pub extra: BTreeMap<String, Value>,
}

/// A fitment object as found.
#[derive(Debug, Default, Deserialize)]
pub struct RawFitment {
    pub year_from: Option<Value>,
    pub year_to: Option<Value>,
    /// A single year, accepted as shorthand for `year_from` = `year_to`.
    pub year: Option<Value>,
    pub make: Option<Value>,
    pub model: Option<Value>,
    pub submodel: Option<Value>,
    pub engine: Option<Value>,
}

impl<'de> Deserialize<'de> for RawProduct {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawVisitor)
    }
}

struct RawVisitor;

/// Reads a field's value, naming the field in any type error.
fn field<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: &mut A, name: &str) -> Result<Option<T>, A::Error> {
    map.next_value::<Option<T>>().map_err(|e| de::Error::custom(format!("{name}: {e}")))
}

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawProduct;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object describing one product")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawProduct, A::Error> {
        let mut raw = RawProduct::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "sku" => raw.sku = field(&mut map, "sku")?,
                "title" => raw.title = field(&mut map, "title")?,
                "description" => raw.description = field(&mut map, "description")?,
                "brand" => raw.brand = field(&mut map, "brand")?,
                "category" => raw.category = field(&mut map, "category")?,
                "price_cents" => raw.price_cents = field(&mut map, "price_cents")?,
                "currency" => raw.currency = field(&mut map, "currency")?,
                "stock" => raw.stock = field(&mut map, "stock")?,
                "part_numbers" => raw.part_numbers = field(&mut map, "part_numbers")?,
                "attributes" => raw.attributes = field(&mut map, "attributes")?,
                "fitments" => raw.fitments = field(&mut map, "fitments")?,
                "universal" => raw.universal = field(&mut map, "universal")?,
                "group" => raw.group = field(&mut map, "group")?,
                "options" => raw.options = field(&mut map, "options")?,
                "featured" => raw.featured = field(&mut map, "featured")?,
                "popularity" => raw.popularity = field(&mut map, "popularity")?,
                other => {
                    let value: Value = map.next_value()?;
                    raw.extra.insert(other.to_owned(), value);
                }
            }
        }
        Ok(raw)
    }
}
