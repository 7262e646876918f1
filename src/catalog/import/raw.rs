//! One import line before validation: known fields as loose scalars, the rest kept aside.
//!
//! Leaves are [`Loose`] values borrowed from the input where possible, so parsing allocates little,
//! and validation can say what is wrong in shop terms ("price_cents is negative") instead of
//! returning a parser's type error.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::validate::CheckedFitments;

/// A JSON leaf as found: text stays borrowed from the line when it has no escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Loose<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(Cow<'a, str>),
    List(Vec<Loose<'a>>),
    /// An object where a leaf was expected; only its kind is kept for the error message.
    Object,
}

impl Loose<'_> {
    pub fn text(s: &str) -> Loose<'static> {
        Loose::Text(Cow::Owned(s.to_owned()))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Loose::Null => "nothing",
            Loose::Bool(_) => "true/false",
            Loose::Int(_) | Loose::UInt(_) | Loose::Float(_) => "a number",
            Loose::Text(_) => "text",
            Loose::List(_) => "a list",
            Loose::Object => "an object",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }
    fn visit_none<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Loose<'de>, E> {
        Ok(Loose::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Loose::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Object)
    }
}

/// An import line's fields, as found.
#[derive(Debug, Default)]
pub struct RawProduct<'a> {
    pub sku: Option<Loose<'a>>,
    pub title: Option<Loose<'a>>,
    pub description: Option<Loose<'a>>,
    pub brand: Option<Loose<'a>>,
    pub category: Option<Loose<'a>>,
    pub price_cents: Option<Loose<'a>>,
    pub currency: Option<Loose<'a>>,
    pub stock: Option<Loose<'a>>,
    pub part_numbers: Option<Loose<'a>>,
    pub attributes: Option<BTreeMap<Cow<'a, str>, Loose<'a>>>,
    pub fitments: Option<CheckedFitments>,
    pub universal: Option<Loose<'a>>,
    pub group: Option<Loose<'a>>,
    pub options: Option<BTreeMap<Cow<'a, str>, Loose<'a>>>,
    pub featured: Option<Loose<'a>>,
    pub popularity: Option<Loose<'a>>,
    pub sale_price_cents: Option<Loose<'a>>,
    pub sale_starts: Option<Loose<'a>>,
    pub sale_ends: Option<Loose<'a>>,
    pub bundle: Option<Vec<RawBundlePart<'a>>>,
    /// Fields this version does not know; kept so an export gives them back.
    pub extra: BTreeMap<String, Value>,
}

/// A bundle component as found.
#[derive(Debug, Default, Deserialize)]
pub struct RawBundlePart<'a> {
    #[serde(borrow)]
    pub sku: Option<Loose<'a>>,
    #[serde(borrow)]
    pub quantity: Option<Loose<'a>>,
}

/// A fitment object as found.
#[derive(Debug, Default, Deserialize)]
pub struct RawFitment<'a> {
    #[serde(borrow)]
    pub year_from: Option<Loose<'a>>,
    #[serde(borrow)]
    pub year_to: Option<Loose<'a>>,
    /// A single year, accepted as shorthand for `year_from` = `year_to`.
    #[serde(borrow)]
    pub year: Option<Loose<'a>>,
    #[serde(borrow)]
    pub make: Option<Loose<'a>>,
    #[serde(borrow)]
    pub model: Option<Loose<'a>>,
    #[serde(borrow)]
    pub submodel: Option<Loose<'a>>,
    #[serde(borrow)]
    pub engine: Option<Loose<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for RawProduct<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawVisitor)
    }
}

struct RawVisitor;

/// Reads a field's value, naming the field in any type error.
fn field<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: &mut A, name: &str) -> Result<Option<T>, A::Error> {
    map.next_value::<Option<T>>()
        .map_err(|e| de::Error::custom(format!("{name}: {e}")))
}

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawProduct<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object describing one product")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawProduct<'de>, A::Error> {
        let mut raw = RawProduct::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
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
                "sale_price_cents" => raw.sale_price_cents = field(&mut map, "sale_price_cents")?,
                "sale_starts" => raw.sale_starts = field(&mut map, "sale_starts")?,
                "sale_ends" => raw.sale_ends = field(&mut map, "sale_ends")?,
                "bundle" => raw.bundle = field(&mut map, "bundle")?,
                other => {
                    let value: Value = map.next_value()?;
                    raw.extra.insert(other.to_owned(), value);
                }
            }
        }
        Ok(raw)
    }
}
