//! Turning a search request into one tantivy pass: matching documents, the page of hits in the
//! requested order, the exact total and facet counts.

use std::collections::BTreeMap;
use std::ops::Bound;

use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use super::schema::PRICE_BUCKETS;
use super::{SearchError, SearchIndex};
use crate::catalog::PageRequest;
use crate::domain::PartNumber;

/// What a shopper asked for.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub q: String,
    pub brands: Vec<String>,
    /// A category slug path; subcategories match too.
    pub category: Option<String>,
    pub attrs: Vec<(String, String)>,
    pub min_price: Option<u64>,
    pub max_price: Option<u64>,
    pub in_stock: bool,
    /// Parts that fit this vehicle, plus universal parts.
    pub vehicle: Option<VehicleFilter>,
    /// Parts that fit a vehicle named in the query (set by the search itself, see `spoken`).
    pub spoken: Option<super::spoken::SpokenVehicle>,
    pub sort: SearchSort,
    pub page: PageRequest,
}

pub use crate::domain::VehicleFilter;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchSort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
    Title,
}

impl SearchSort {
    pub fn parse(raw: &str) -> Option<SearchSort> {
        Some(match raw {
            "relevance" => SearchSort::Relevance,
            "price_asc" => SearchSort::PriceAsc,
            "price_desc" => SearchSort::PriceDesc,
            "newest" => SearchSort::Newest,
            "title" => SearchSort::Title,
            _ => return None,
        })
    }
}

/// A facet value and how many matching products have it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    pub brand: Vec<FacetValue>,
    /// Children of the selected category (or top-level categories), by slug path.
    pub category: Vec<FacetValue>,
    pub attrs: BTreeMap<String, Vec<FacetValue>>,
    pub price: Vec<FacetValue>,
}

#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    pub total: u64,
    pub skus: Vec<String>,
    pub facets: Facets,
    /// True when nothing matched as typed and these results come from the typo-tolerant retry.
    pub corrected: bool,
    /// Nothing matched as typed, so vehicle words in it were read as a vehicle: which, and the
    /// words searched for with it.
    pub understood: Option<(super::spoken::SpokenVehicle, String)>,
}

const FACET_VALUES: usize = 20;

/// The answers to recent searches, good while the index generation they were made at is the
/// current one: during a rush every second shopper types "hot sauce", and a broad word costs
/// milliseconds of facet counting that the second shopper need not pay again.
pub(super) struct RecentSearches {
    answers: std::sync::Mutex<std::collections::HashMap<String, (u64, u64, SearchResults)>>,
    tick: std::sync::atomic::AtomicU64,
    /// Off in benchmarks that measure the work itself.
    pub(super) on: std::sync::atomic::AtomicBool,
}

/// Searches remembered (a search's answer is a few kilobytes).
const RECENT_SEARCHES: usize = 2_048;

impl RecentSearches {
    pub(super) fn new() -> RecentSearches {
        RecentSearches {
            answers: Default::default(),
            tick: Default::default(),
            on: std::sync::atomic::AtomicBool::new(true),
        }
    }

    fn get(&self, key: &str, generation: u64) -> Option<SearchResults> {
        use std::sync::atomic::Ordering::Relaxed;
        if !self.on.load(Relaxed) {
            return None;
        }
        let mut answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = answers
            .get_mut(key)
            .filter(|(g, _, _)| *g == generation)
            .map(|(_, used, results)| {
                *used = self.tick.fetch_add(1, Relaxed);
                results.clone()
            });
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!(crate::telemetry::metrics::SEARCH_CACHE, "outcome" => outcome).increment(1);
        found
    }

    fn put(&self, key: String, generation: u64, results: &SearchResults) {
        use std::sync::atomic::Ordering::Relaxed;
        if !self.on.load(Relaxed) {
            return;
        }
        let mut answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if answers.len() >= RECENT_SEARCHES {
            // Older generations first, then the least recently used half.
            answers.retain(|_, (g, _, _)| *g == generation);
            if answers.len() >= RECENT_SEARCHES {
                let mut used: Vec<u64> = answers.values().map(|(_, u, _)| *u).collect();
                used.sort_unstable();
                let cut = used[used.len() / 2];
                answers.retain(|_, (_, u, _)| *u > cut);
            }
        }
        answers.insert(key, (generation, self.tick.fetch_add(1, Relaxed), results.clone()));
    }
}

impl SearchIndex {
    /// Runs a search. No input is an error: unparsable text is searched leniently.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let started = std::time::Instant::now();
        let results = self.search_unmeasured(req);
        metrics::histogram!(crate::telemetry::metrics::SEARCH_DURATION).record(started.elapsed().as_secs_f64());
        results
    }

    fn search_unmeasured(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let key = format!("{req:?}");
        if let Some(hit) = self.recent.get(&key, generation) {
            return Ok(hit);
        }
        let mut results = self.run(&searcher, req, false)?;
        if results.total == 0
            && let Some(understood) = self.understood(&searcher, req)?
        {
            results = understood;
        }
        if results.total == 0 && req.q.split_whitespace().any(|w| w.chars().count() >= 4) {
            results = self.run(&searcher, req, true)?;
            results.corrected = results.total > 0;
        }
        self.recent.put(key, generation, &results);
        Ok(results)
    }

    /// The query read as a vehicle and words ("oil filter civic"), when that finds something.
    fn understood(&self, searcher: &Searcher, req: &SearchRequest) -> Result<Option<SearchResults>, SearchError> {
        let found = super::spoken::find(
            &req.q,
            self.vehicles
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .known(),
        );
        let Some((spoken, words)) = found else {
            return Ok(None);
        };
        let reading = SearchRequest {
            q: words.clone(),
            vehicle: None,
            spoken: Some(spoken.clone()),
            ..req.clone()
        };
        let mut results = self.run(searcher, &reading, false)?;
        if results.total == 0 {
            return Ok(None);
        }
        results.understood = Some((spoken, words));
        Ok(Some(results))
    }

    fn run(&self, searcher: &Searcher, req: &SearchRequest, fuzzy: bool) -> Result<SearchResults, SearchError> {
        let query = self.query(req, fuzzy);
        let limit = req.page.per_page as usize;
        let offset = req.page.offset();
        let facets = self.facet_collectors(req);
        let (addresses, total, counts) = match req.sort {
            SearchSort::Relevance => {
                let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
                let (hits, total, counts) = searcher.search(&query, &(top, Count, facets))?;
                (hits.into_iter().map(|(_, a)| a).collect::<Vec<_>>(), total, counts)
            }
            SearchSort::PriceAsc | SearchSort::PriceDesc | SearchSort::Newest => {
                let (field, order) = match req.sort {
                    SearchSort::PriceAsc => ("price_cents", Order::Asc),
                    SearchSort::PriceDesc => ("price_cents", Order::Desc),
                    _ => ("created", Order::Desc),
                };
                let top = TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_fast_field::<u64>(field, order);
                let (hits, total, counts) = searcher.search(&query, &(top, Count, facets))?;
                (hits.into_iter().map(|(_, a)| a).collect(), total, counts)
            }
            SearchSort::Title => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_string_fast_field("title_sort", Order::Asc);
                let (hits, total, counts) = searcher.search(&query, &(top, Count, facets))?;
                (hits.into_iter().map(|(_, a)| a).collect(), total, counts)
            }
        };
        Ok(SearchResults {
            total: total as u64,
            skus: self.skus(searcher, &addresses)?,
            facets: self.read_facets(req, counts),
            corrected: false,
            understood: None,
        })
    }

    /// Best sellers: the SKUs of the most popular products, most popular first (popularity 0 is
    /// none). Read from the popularity column once per index generation (about 1 ms per 100k
    /// products), then from memory.
    pub fn best_sellers(&self, limit: usize) -> Result<Vec<String>, SearchError> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let mut cached = self
            .best_sellers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let asked_before = match cached.as_ref() {
            Some((g, asked, skus)) if *g == generation && *asked >= limit => {
                return Ok(skus.iter().take(limit).cloned().collect());
            }
            Some((_, asked, _)) => *asked,
            None => 0,
        };
        // Read as many as any caller has asked for, so callers asking for fewer share the read.
        let asked = limit.max(asked_before);
        let skus = self.read_best_sellers(&searcher, asked)?;
        let first = skus.iter().take(limit).cloned().collect();
        *cached = Some((generation, asked, skus));
        Ok(first)
    }

    fn read_best_sellers(&self, searcher: &Searcher, limit: usize) -> Result<Vec<String>, SearchError> {
        let top = TopDocs::with_limit(limit).order_by_fast_field::<u64>("popularity", Order::Desc);
        let hits = searcher.search(&AllQuery, &top)?;
        let popular: Vec<DocAddress> = hits
            .into_iter()
            .filter(|(popularity, _)| popularity.is_some_and(|p| p > 0))
            .map(|(_, address)| address)
            .collect();
        self.skus(searcher, &popular)
    }

    fn skus(&self, searcher: &Searcher, addresses: &[DocAddress]) -> Result<Vec<String>, SearchError> {
        let mut out = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(*address)?;
            if let Some(sku) = doc.get_first(self.fields.sku).and_then(|v| v.as_str()) {
                out.push(sku.to_owned());
            }
        }
        Ok(out)
    }

    /// Text and part numbers scored, everything else as filters that do not change the score.
    fn query(&self, req: &SearchRequest, fuzzy: bool) -> Box<dyn Query> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let q = req.q.trim();
        if !q.is_empty() {
            let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.body]);
            parser.set_conjunction_by_default();
            parser.set_field_boost(f.title, 2.0);
            if fuzzy {
                parser.set_field_fuzzy(f.title, false, 1, true);
                parser.set_field_fuzzy(f.body, false, 1, true);
            }
            let (text, _errors) = parser.parse_query_lenient(q);
            let mut either: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, text)];
            for (key, boost) in part_number_keys(q) {
                let term = Term::from_field_text(f.part_number, &key);
                let exact = TermQuery::new(term, IndexRecordOption::Basic);
                either.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(ConstScoreQuery::new(Box::new(exact), 1.0)),
                        boost,
                    )),
                ));
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
        let mut filter = |q: Box<dyn Query>| clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
        if !req.brands.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = req
                .brands
                .iter()
                .map(|b| {
                    let term = Term::from_field_text(f.brand_key, &b.trim().to_lowercase());
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            filter(Box::new(BooleanQuery::new(any)));
        }
        if let Some(slug) = req
            .category
            .as_deref()
            .map(|c| c.trim_matches('/'))
            .filter(|c| !c.is_empty())
        {
            let facet = Facet::from_path(slug.split('/'));
            filter(Box::new(TermQuery::new(
                Term::from_facet(f.category, &facet),
                IndexRecordOption::Basic,
            )));
        }
        for (name, value) in &req.attrs {
            filter(Box::new(TermQuery::new(
                Term::from_field_text(f.attr_value, &super::schema::attr_key(name, value)),
                IndexRecordOption::Basic,
            )));
        }
        if req.min_price.is_some() || req.max_price.is_some() {
            let lower = req
                .min_price
                .map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_u64(f.price, p)));
            let upper = req
                .max_price
                .map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_u64(f.price, p)));
            filter(Box::new(RangeQuery::new(lower, upper)));
        }
        if let Some(vehicle) = &req.vehicle {
            filter(self.fits(vehicle));
        }
        if let Some(spoken) = &req.spoken {
            let terms = self
                .vehicles
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .terms_spoken(spoken);
            filter(self.fit_terms(&terms));
        }
        if req.in_stock {
            filter(Box::new(TermQuery::new(
                Term::from_field_bool(f.in_stock, true),
                IndexRecordOption::Basic,
            )));
        }
        if clauses.is_empty() {
            return Box::new(AllQuery);
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Parts whose fitments cover the vehicle, or that fit every vehicle. The vehicle tree names
    /// the `fit` terms that cover it (see `VehicleTree::terms_fitting`).
    pub(super) fn fits(&self, v: &VehicleFilter) -> Box<dyn Query> {
        let terms = self
            .vehicles
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .terms_fitting(v);
        self.fit_terms(&terms)
    }

    /// Parts with one of these `fit` terms, or that fit every vehicle.
    fn fit_terms(&self, terms: &[String]) -> Box<dyn Query> {
        let f = &self.fields;
        let term_query = |term: Term| -> (Occur, Box<dyn Query>) {
            (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
        };
        let any = terms
            .iter()
            .map(|t| term_query(Term::from_field_text(f.fit, t)))
            .chain([term_query(Term::from_field_bool(f.universal, true))])
            .collect();
        Box::new(BooleanQuery::new(any))
    }

    fn facet_collectors(
        &self,
        req: &SearchRequest,
    ) -> ((FacetCollector, FacetCollector), (FacetCollector, FacetCollector)) {
        let mut brand = FacetCollector::for_field("brand");
        brand.add_facet(Facet::root());
        let mut category = FacetCollector::for_field("category");
        category.add_facet(category_root(req));
        let mut attr = FacetCollector::for_field("attr");
        for name in self
            .attr_names
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            attr.add_facet(Facet::from_path([name.as_str()]));
        }
        let mut price = FacetCollector::for_field("price_bucket");
        price.add_facet(Facet::root());
        ((brand, category), (attr, price))
    }

    fn read_facets(
        &self,
        req: &SearchRequest,
        counts: ((FacetCounts, FacetCounts), (FacetCounts, FacetCounts)),
    ) -> Facets {
        let ((brand, category), (attr, price)) = counts;
        let top = |counts: &FacetCounts, root: &Facet| -> Vec<FacetValue> {
            counts
                .top_k(root.clone(), FACET_VALUES)
                .into_iter()
                .map(|(facet, count)| FacetValue {
                    value: facet.to_path().last().map(|s| s.to_string()).unwrap_or_default(),
                    count,
                })
                .collect()
        };
        let category_values = category
            .top_k(category_root(req), FACET_VALUES)
            .into_iter()
            .map(|(facet, count)| FacetValue {
                value: facet.to_path().join("/"),
                count,
            })
            .collect();
        let mut attrs = BTreeMap::new();
        for name in self
            .attr_names
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let values = top(&attr, &Facet::from_path([name.as_str()]));
            if !values.is_empty() {
                attrs.insert(name.clone(), values);
            }
        }
        let price_values = price
            .get(Facet::root())
            .filter_map(|(facet, count)| {
                let index: usize = facet.to_path().last()?.parse().ok()?;
                Some((
                    index,
                    FacetValue {
                        value: PRICE_BUCKETS.get(index)?.1.to_owned(),
                        count,
                    },
                ))
            })
            .collect::<BTreeMap<_, _>>()
            .into_values()
            .collect();
        Facets {
            brand: top(&brand, &Facet::root()),
            category: category_values,
            attrs,
            price: price_values,
        }
    }
}

fn category_root(req: &SearchRequest) -> Facet {
    match req
        .category
        .as_deref()
        .map(|c| c.trim_matches('/'))
        .filter(|c| !c.is_empty())
    {
        Some(slug) => Facet::from_path(slug.split('/')),
        None => Facet::root(),
    }
}

/// Part-number keys to try: the whole query, each word, and each pair of adjacent words, so that
/// `BP 1042 A` and `brake pads bp-1042-a` both find `BP-1042-A`. The whole query weighs most.
fn part_number_keys(q: &str) -> Vec<(String, f32)> {
    let words: Vec<&str> = q.split_whitespace().take(12).collect();
    let mut keys: Vec<(String, f32)> = vec![(PartNumber::key_of(q), 1000.0)];
    keys.extend(words.iter().map(|w| (PartNumber::key_of(w), 500.0)));
    keys.extend(words.windows(2).map(|pair| (PartNumber::key_of(&pair.join("")), 500.0)));
    let mut seen = std::collections::HashSet::new();
    keys.retain(|(key, _)| key.len() >= 3 && key.len() <= 64 && seen.insert(key.clone()));
    keys
}
