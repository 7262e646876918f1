//! Autocomplete: products whose title words start with what was typed, part numbers by prefix,
//! and matching brands and categories.

use std::collections::BTreeSet;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::{SearchError, SearchIndex, VehicleFilter};
use crate::domain::PartNumber;

/// What the search box offers while typing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suggestions {
    /// SKUs of products whose titles match.
    pub products: Vec<String>,
    /// SKUs of products with a part number starting with `part_number_key`.
    pub part_numbers: Vec<String>,
    pub part_number_key: String,
    pub brands: Vec<String>,
    /// Whether `products` were narrowed to the shopper's vehicle (parts that fit it and
    /// universal items); when nothing fits, they are not.
    pub narrowed: bool,
}

const LIMIT: usize = 6;

/// Products looked at for suggestions, so that six distinct titles are left after repeats go.
const LOOKED_AT: usize = 24;

impl SearchIndex {
    /// Suggestions for a prefix, products narrowed to `vehicle` when any fit; fewer than two
    /// characters suggest nothing.
    pub fn suggest(&self, q: &str, vehicle: Option<&VehicleFilter>) -> Result<Suggestions, SearchError> {
        let q = q.trim();
        if q.chars().count() < 2 {
            return Ok(Suggestions::default());
        }
        let searcher = self.reader.searcher();
        let mut out = Suggestions::default();
        if let Some(query) = self.title_prefix_query(q) {
            let top = |query: &dyn Query| -> Result<Vec<String>, SearchError> {
                let found = searcher.search(query, &TopDocs::with_limit(LOOKED_AT).order_by_score())?;
                found
                    .into_iter()
                    .map(|(_, address)| Ok(self.sku_of(&searcher.doc::<TantivyDocument>(address)?)))
                    .collect()
            };
            if let Some(v) = vehicle {
                let fitting = BooleanQuery::new(vec![(Occur::Must, query.box_clone()), (Occur::Must, self.fits(v))]);
                out.products = top(&fitting)?;
                out.narrowed = !out.products.is_empty();
            }
            if out.products.is_empty() {
                out.products = top(query.as_ref())?;
            }
        }
        let key = PartNumber::key_of(q);
        if key.len() >= 3 {
            let query = RegexQuery::from_pattern(&format!("{}.*", regex_escape(&key)), self.fields.part_number)?;
            for (_, address) in searcher.search(&query, &TopDocs::with_limit(LIMIT).order_by_score())? {
                let doc: TantivyDocument = searcher.doc(address)?;
                out.part_numbers.push(self.sku_of(&doc));
            }
            out.part_number_key = key;
        }
        out.brands = self.brands_starting_with(q)?;
        Ok(out)
    }

    /// Every complete word must match a title word, and the last word may be a prefix. A plural
    /// finds its singular ("brake pads" finds "Brake Pad Set"), and a word of five letters or
    /// more may have one typo ("brkae pads").
    fn title_prefix_query(&self, q: &str) -> Option<Box<dyn Query>> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .take(8)
            .collect();
        let (last, complete) = words.split_last()?;
        let field = self.fields.title;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = complete
            .iter()
            .map(|w| {
                let mut either: Vec<(Occur, Box<dyn Query>)> = [w.as_str(), singular(w)]
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(|form| {
                        let term = Term::from_field_text(field, form);
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                        )
                    })
                    .collect();
                if w.chars().count() >= 5 {
                    let term = Term::from_field_text(field, w);
                    either.push((Occur::Should, Box::new(FuzzyTermQuery::new(term, 1, true))));
                }
                (Occur::Must, Box::new(BooleanQuery::new(either)) as Box<dyn Query>)
            })
            .collect();
        let stem = regex_escape(singular(last));
        let mut last_either: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(RegexQuery::from_pattern(&format!("{stem}.*"), field).ok()?),
        )];
        if last.chars().count() >= 5 {
            let term = Term::from_field_text(field, last);
            last_either.push((Occur::Should, Box::new(FuzzyTermQuery::new_prefix(term, 1, true))));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(last_either))));
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn brands_starting_with(&self, q: &str) -> Result<Vec<String>, SearchError> {
        let wanted = q.to_lowercase();
        let mut brands = BTreeSet::new();
        for segment in self.reader.searcher().segment_readers() {
            let facets = segment.facet_reader("brand")?;
            let mut facet = Facet::root();
            for ord in 0..facets.num_facets() {
                facets.facet_from_ord(ord as u64, &mut facet)?;
                if let Some(name) = facet.to_path().first()
                    && name
                        .to_lowercase()
                        .split_whitespace()
                        .any(|w| w.starts_with(&wanted) || name.to_lowercase().starts_with(&wanted))
                {
                    brands.insert((*name).to_owned());
                }
            }
        }
        Ok(brands.into_iter().take(LIMIT).collect())
    }

    fn sku_of(&self, doc: &TantivyDocument) -> String {
        doc.get_first(self.fields.sku)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// "pads" -> "pad", "brakes" -> "brake"; "glass" and short words stay.
fn singular(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if stem.chars().count() >= 3 && !stem.ends_with('s') => stem,
        _ => word,
    }
}

fn regex_escape(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}
