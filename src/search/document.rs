//! One product as an index document.

use tantivy::TantivyDocument;
use tantivy::schema::Facet;

use super::schema::{ANY, Fields, price_bucket, vehicle_key};
use crate::catalog::Product;

pub fn document(f: &Fields, p: &Product, stock: u64) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.sku, p.sku.as_str());
    doc.add_text(f.title, &p.title);
    doc.add_text(f.body, body_text(p));
    for pn in &p.part_numbers {
        doc.add_text(f.part_number, pn.key());
    }
    if let Some(brand) = &p.brand {
        doc.add_facet(f.brand, Facet::from_path([brand.as_str()]));
        doc.add_text(f.brand_key, brand.to_lowercase());
    }
    if let Some(category) = &p.category {
        doc.add_facet(f.category, Facet::from_path(category.slug().split('/')));
    }
    for (name, value) in &p.attributes {
        doc.add_facet(f.attr, Facet::from_path([name.clone(), value.to_string()]));
    }
    let price = u64::try_from(p.price.minor()).unwrap_or(0);
    doc.add_facet(f.price_bucket, Facet::from_path([price_bucket(price).to_string()]));
    doc.add_u64(f.price, price);
    doc.add_bool(f.in_stock, stock > 0);
    doc.add_u64(f.created, p.created_ms);
    doc.add_u64(f.popularity, u64::from(p.popularity));
    doc.add_text(f.title_sort, p.title.to_lowercase());
    add_fitment_terms(f, p, &mut doc);
    doc
}

/// Everything else a shopper might type: description, brand, category names, attribute values,
/// part numbers as written.
fn body_text(p: &Product) -> String {
    let mut body = String::with_capacity(p.description.len() + 128);
    body.push_str(&p.description);
    for extra in p
        .brand
        .iter()
        .map(String::as_str)
        .chain(p.category.iter().flat_map(|c| c.names().iter().map(String::as_str)))
    {
        body.push(' ');
        body.push_str(extra);
    }
    for value in p.attributes.values() {
        body.push(' ');
        body.push_str(&value.to_string());
    }
    for pn in &p.part_numbers {
        body.push(' ');
        body.push_str(pn.as_str());
    }
    body
}

/// One `fit` term per fitment and year, deduplicated (see `Fields::fit`). A fitment without
/// submodel or engine carries `*` there, so a query for a concrete submodel also looks for `*`.
///
/// A part has ~50 fitments over a few years each, so this runs hundreds of times per document:
/// each fitment's part after the year is built once, and a year is four digits put in front.
fn add_fitment_terms(f: &Fields, p: &Product, doc: &mut TantivyDocument) {
    doc.add_bool(f.universal, p.universal);
    for term in fitment_terms(p) {
        doc.add_text(f.fit, term);
    }
}

fn fitment_terms(p: &Product) -> rustc_hash::FxHashSet<String> {
    let rows: usize = p
        .fitments
        .iter()
        .map(|f| usize::from(f.years.to() - f.years.from()) + 1)
        .sum();
    let mut seen = rustc_hash::FxHashSet::with_capacity_and_hasher(rows, Default::default());
    for fit in p.fitments.iter() {
        let key = |s: Option<&str>| s.map_or(ANY.to_owned(), vehicle_key);
        let clean = |s: Option<&str>| s.map(|s| s.replace('|', " ")).unwrap_or_default();
        let suffix = format!(
            "|{}|{}|{}|{}|{}|{}|{}|{}",
            vehicle_key(fit.make),
            vehicle_key(fit.model),
            key(fit.submodel),
            key(fit.engine),
            clean(Some(fit.make)),
            clean(Some(fit.model)),
            clean(fit.submodel),
            clean(fit.engine)
        );
        for year in fit.years.from()..=fit.years.to() {
            let mut term = String::with_capacity(4 + suffix.len());
            term.push_str(itoa::Buffer::new().format(year));
            term.push_str(&suffix);
            seen.insert(term);
        }
    }
    seen
}
