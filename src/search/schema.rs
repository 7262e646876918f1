//! The index schema: which product facts are searchable, filterable, sortable and countable.

use tantivy::Index;
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};

/// Bump when fields or their analysis change: an index of another version is rebuilt at start.
pub const INDEX_VERSION: u64 = 5;

/// Words: split on non-alphanumerics, lower-cased, accents folded (`jalapeño` finds `Jalapeño`).
pub const TEXT: &str = "sf_text";

/// The handles of every field.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub sku: Field,
    pub title: Field,
    pub body: Field,
    /// Normalized part-number keys (`PartNumber::key`), one term per number.
    pub part_number: Field,
    pub brand: Field,
    pub brand_key: Field,
    pub category: Field,
    /// Facets of the attributes with few values (see `facets`).
    pub attr: Field,
    /// Every attribute as `name\u{1f}value`, one term each: what attribute filters match.
    pub attr_value: Field,
    pub price_bucket: Field,
    pub price: Field,
    pub in_stock: Field,
    pub created: Field,
    pub popularity: Field,
    pub title_sort: Field,
    /// Vehicle fitment, one term per fitment and model year:
    /// `year|make|model|submodel|engine|Make|Model|Submodel|Engine`, keys first (lower case, `*`
    /// for "every submodel/engine") so a vehicle filter is a prefix, then the display spellings
    /// the cascade shows. One field instead of one per question keeps a rebuild's postings work
    /// (most of it) to a third.
    pub fit: Field,
    pub universal: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut sb = Schema::builder();
    let text = |positions: bool| {
        let option = if positions {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TEXT)
                .set_index_option(option),
        )
    };
    let fields = Fields {
        sku: sb.add_text_field("sku", STRING | STORED | FAST),
        title: sb.add_text_field("title", text(true)),
        body: sb.add_text_field("body", text(false)),
        part_number: sb.add_text_field("part_number", STRING),
        brand: sb.add_facet_field("brand", FacetOptions::default()),
        brand_key: sb.add_text_field("brand_key", STRING),
        category: sb.add_facet_field("category", FacetOptions::default()),
        attr: sb.add_facet_field("attr", FacetOptions::default()),
        attr_value: sb.add_text_field("attr_value", STRING),
        price_bucket: sb.add_facet_field("price_bucket", FacetOptions::default()),
        price: sb.add_u64_field("price_cents", INDEXED | FAST),
        in_stock: sb.add_bool_field("in_stock", INDEXED | FAST),
        created: sb.add_u64_field("created", FAST),
        popularity: sb.add_u64_field("popularity", FAST),
        title_sort: sb.add_text_field("title_sort", TextOptions::default().set_fast("raw")),
        fit: sb.add_text_field("fit", STRING),
        universal: sb.add_bool_field("universal", INDEXED),
    };
    (sb.build(), fields)
}

/// Tokenizers are not saved in the index; register them after every create or open.
pub fn register_tokenizers(index: &Index) {
    index.tokenizers().register(
        TEXT,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
}

/// Price buckets shown as a facet: (upper bound in cents, label).
pub const PRICE_BUCKETS: [(u64, &str); 5] = [
    (2_000, "Under $20"),
    (5_000, "$20 to $50"),
    (10_000, "$50 to $100"),
    (25_000, "$100 to $250"),
    (u64::MAX, "$250 and up"),
];

/// The bucket index of a price, as the facet stores it.
pub fn price_bucket(cents: u64) -> usize {
    PRICE_BUCKETS
        .iter()
        .position(|(upper, _)| cents < *upper)
        .unwrap_or(PRICE_BUCKETS.len() - 1)
}

/// The price range of a bucket label, as `min_price` and `max_price` filter values (cents).
pub fn price_bucket_range(label: &str) -> Option<(Option<u64>, Option<u64>)> {
    let index = PRICE_BUCKETS.iter().position(|(_, l)| *l == label)?;
    let min = index.checked_sub(1).map(|i| PRICE_BUCKETS[i].0);
    let max = PRICE_BUCKETS[index]
        .0
        .checked_sub(1)
        .filter(|_| index + 1 < PRICE_BUCKETS.len());
    Some((min, max))
}

/// Marks "any" for a submodel or engine a fitment leaves open.
pub const ANY: &str = "*";

/// A vehicle name as a key: lower case, single spaces, no `|`.
/// The `attr_value` term of one attribute.
pub fn attr_key(name: &str, value: &str) -> String {
    format!("{name}\u{1f}{value}")
}

pub fn vehicle_key(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
