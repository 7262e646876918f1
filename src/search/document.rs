//! One product as an index document.

use rustc_hash::FxHashMap;
use tantivy::TantivyDocument;
use tantivy::schema::Facet;

use super::facets::AttrFacets;
use super::schema::{ANY, Fields, attr_key, price_bucket, vehicle_key};
use crate::catalog::{Item, Product};

/// The item's document, at the price a shopper pays now; its attributes go into the facet field
/// as `rule` admits them, and all of them into the exact-match field that filters use.
pub fn document(f: &Fields, item: &Item, rule: &mut AttrFacets) -> TantivyDocument {
    let (p, stock) = (&item.product, item.stock);
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
        let value = value.to_string();
        if rule.admit(name, &value) {
            doc.add_facet(f.attr, Facet::from_path([name.as_str(), value.as_str()]));
        }
        doc.add_text(f.attr_value, attr_key(name, &value));
    }
    let price = u64::try_from(item.unit_price().minor()).unwrap_or(0);
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
/// A part has ~50 fitments over a few years each, so this runs hundreds of times per document
/// and is a good part of a rebuild's own work: each name is normalized once per product, each
/// fitment's part after the year is built once, and terms are deduplicated as (year, suffix)
/// numbers before one buffer writes them out.
fn add_fitment_terms(f: &Fields, p: &Product, doc: &mut TantivyDocument) {
    doc.add_bool(f.universal, p.universal);
    if p.fitments.is_empty() {
        return;
    }
    let mut keys: FxHashMap<&str, String> = FxHashMap::default();
    let mut suffixes: Vec<String> = Vec::with_capacity(p.fitments.len());
    let mut rows: Vec<(u16, u16, usize)> = Vec::with_capacity(p.fitments.len());
    for fit in p.fitments.iter() {
        let names = [Some(fit.make), Some(fit.model), fit.submodel, fit.engine];
        let mut suffix = String::with_capacity(96);
        for name in names {
            suffix.push('|');
            match name {
                Some(name) => suffix.push_str(keys.entry(name).or_insert_with(|| vehicle_key(name))),
                None => suffix.push_str(ANY),
            }
        }
        for name in names {
            suffix.push('|');
            let name = name.unwrap_or_default();
            if name.contains('|') {
                suffix.push_str(&name.replace('|', " "));
            } else {
                suffix.push_str(name);
            }
        }
        let id = match suffixes.iter().position(|s| *s == suffix) {
            Some(id) => id,
            None => {
                suffixes.push(suffix);
                suffixes.len() - 1
            }
        };
        rows.push((fit.years.from(), fit.years.to(), id));
    }
    let mut terms: Vec<(usize, u16)> = rows
        .iter()
        .flat_map(|&(from, to, id)| (from..=to).map(move |year| (id, year)))
        .collect();
    terms.sort_unstable();
    terms.dedup();
    let mut term = String::with_capacity(128);
    for (id, year) in terms {
        term.clear();
        term.push_str(itoa::Buffer::new().format(year));
        term.push_str(&suffixes[id]);
        doc.add_text(f.fit, &term);
    }
}
