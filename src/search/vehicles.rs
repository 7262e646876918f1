//! The Year → Make → Model → Submodel → Engine cascade: only vehicles at least one product fits,
//! kept in memory as a tree that answers each step by walking a few map keys (microseconds).
//!
//! The tree is read from the index's `fit` terms when the index is opened or rebuilt (about
//! 2 s at a million parts, far too slow for a request), and live updates add the vehicles of the
//! products they index. A vehicle whose last product is deleted stays listed until the next
//! start or reindex; choosing it finds no parts, which says so.
//!
//! The tree also keeps every `fit` term under its model, so a vehicle filter becomes a handful of
//! exact term lookups instead of a scan of the term dictionary.

use std::collections::{BTreeMap, BTreeSet};

use super::query::VehicleFilter;
use super::schema::{ANY, vehicle_key};
use super::{SearchError, SearchIndex};

/// Which part of a vehicle a cascade step lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Year,
    Make,
    Model,
    Submodel,
    Engine,
}

/// Every fitted vehicle: year → make → model → (submodel, engine) trims, by normalized key, each
/// with its display spelling.
#[derive(Debug, Default)]
pub struct VehicleTree {
    years: BTreeMap<String, Makes>,
}

type Makes = BTreeMap<String, Named<Models>>;
type Models = BTreeMap<String, Named<Trims>>;

/// The configurations of one model in one year, and the `fit` terms that name them.
#[derive(Debug, Default)]
struct Trims {
    trims: BTreeSet<Trim>,
    terms: Vec<String>,
}

#[derive(Debug, Default)]
struct Named<T> {
    shown: String,
    inner: T,
}

/// (submodel key, engine key, submodel shown, engine shown); `*` keys mean "every one".
type Trim = (String, String, String, String);

impl VehicleTree {
    /// Adds one `fit` term.
    pub(super) fn add_term(&mut self, term: &str) {
        let parts: Vec<&str> = term.split('|').collect();
        if let Ok(parts) = <[&str; 9]>::try_from(parts) {
            self.add(term, &parts);
        }
    }

    fn add(&mut self, term: &str, parts: &[&str; 9]) {
        let [
            year,
            make,
            model,
            sub,
            eng,
            make_shown,
            model_shown,
            sub_shown,
            eng_shown,
        ] = *parts;
        // Live updates mostly re-add vehicles already known: look up before allocating keys.
        if !self.years.contains_key(year) {
            self.years.insert(year.to_owned(), Makes::new());
        }
        let Some(makes) = self.years.get_mut(year) else { return };
        if !makes.contains_key(make) {
            makes.insert(
                make.to_owned(),
                Named {
                    shown: make_shown.to_owned(),
                    inner: Models::new(),
                },
            );
        }
        let Some(models) = makes.get_mut(make) else { return };
        if !models.inner.contains_key(model) {
            let named = Named {
                shown: model_shown.to_owned(),
                inner: Trims::default(),
            };
            models.inner.insert(model.to_owned(), named);
        }
        let Some(trims) = models.inner.get_mut(model) else {
            return;
        };
        let trims = &mut trims.inner;
        if !trims.terms.iter().any(|t| t == term) {
            trims.terms.push(term.to_owned());
        }
        let known = trims.trims.iter().any(|(s, e, _, _)| s == sub && e == eng);
        if !known {
            trims.trims.insert((
                sub.to_owned(),
                eng.to_owned(),
                sub_shown.to_owned(),
                eng_shown.to_owned(),
            ));
        }
    }

    /// Distinct values at `level` under the earlier choices (each `None` matches everything), in
    /// display spelling: years newest first, names in key order.
    pub fn values(
        &self,
        level: Level,
        year: Option<u16>,
        make: Option<&str>,
        model: Option<&str>,
        submodel: Option<&str>,
    ) -> Vec<String> {
        if level == Level::Year {
            return self.years.keys().rev().cloned().collect();
        }
        let year = year.map(|y| y.to_string());
        let (make, model, submodel) = (make.map(vehicle_key), model.map(vehicle_key), submodel.map(vehicle_key));
        let chosen = |key: &String, choice: &Option<String>| choice.as_ref().is_none_or(|c| c == key);
        let mut values: BTreeMap<&str, &str> = BTreeMap::new();
        for (_, makes) in self.years.iter().filter(|(y, _)| chosen(y, &year)) {
            for (make_key, models) in makes.iter().filter(|(m, _)| chosen(m, &make)) {
                if level == Level::Make {
                    values.entry(make_key).or_insert(&models.shown);
                    continue;
                }
                for (model_key, trims) in models.inner.iter().filter(|(m, _)| chosen(m, &model)) {
                    if level == Level::Model {
                        values.entry(model_key).or_insert(&trims.shown);
                        continue;
                    }
                    for (sub, eng, sub_shown, eng_shown) in &trims.inner.trims {
                        let (key, shown) = match level {
                            Level::Submodel => (sub, sub_shown),
                            _ => {
                                let sub_ok = submodel.as_deref().is_none_or(|s| sub == s || sub == ANY);
                                if !sub_ok {
                                    continue;
                                }
                                (eng, eng_shown)
                            }
                        };
                        if key != ANY && !key.is_empty() {
                            values.entry(key).or_insert(shown);
                        }
                    }
                }
            }
        }
        values.into_values().map(str::to_owned).collect()
    }
}

impl VehicleTree {
    /// The `fit` terms of fitments that cover `v`: its year, make and model, and its submodel and
    /// engine where given (a fitment's `*` covers any); a part fits when it has one of them.
    pub fn terms_fitting(&self, v: &VehicleFilter) -> Vec<String> {
        let model = self
            .years
            .get(itoa::Buffer::new().format(v.year))
            .and_then(|makes| makes.get(&vehicle_key(&v.make)))
            .and_then(|models| models.inner.get(&vehicle_key(&v.model)));
        let Some(model) = model else { return Vec::new() };
        let (sub, eng) = (
            v.submodel.as_deref().map(vehicle_key),
            v.engine.as_deref().map(vehicle_key),
        );
        let covers = |wanted: &Option<String>, key: &str| wanted.as_ref().is_none_or(|w| key == w || key == ANY);
        model
            .inner
            .terms
            .iter()
            .filter(|term| {
                let mut keys = term.split('|').skip(3);
                let (s, e) = (keys.next().unwrap_or(""), keys.next().unwrap_or(""));
                covers(&sub, s) && covers(&eng, e)
            })
            .cloned()
            .collect()
    }
}

impl SearchIndex {
    /// Distinct values at `level` among fitted vehicles matching the given earlier choices, in
    /// display spelling: years newest first, names alphabetically.
    pub fn vehicle_values(
        &self,
        level: Level,
        year: Option<u16>,
        make: Option<&str>,
        model: Option<&str>,
        submodel: Option<&str>,
    ) -> Result<Vec<String>, SearchError> {
        let tree = self.vehicles.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(tree.values(level, year, make, model, submodel))
    }

    /// Adds vehicles (as `fit` terms) that newly indexed products fit.
    pub(super) fn add_vehicles(&self, terms: &[String]) {
        if terms.is_empty() {
            return;
        }
        let mut tree = self.vehicles.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for term in terms {
            tree.add_term(term);
        }
    }

    /// Reads the whole tree from the terms of the index's last commit, replacing the one in
    /// memory. Call it before searches see that commit: a search finds a part for a vehicle only
    /// once the tree knows the part's `fit` term.
    pub fn reload_vehicles(&self) -> Result<(), SearchError> {
        let mut tree = VehicleTree::default();
        let latest: tantivy::IndexReader = self
            .index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        for segment in latest.searcher().segment_readers() {
            let index = segment.inverted_index(self.fields.fit)?;
            let mut stream = index.terms().stream()?;
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    tree.add_term(term);
                }
            }
        }
        *self.vehicles.write().unwrap_or_else(std::sync::PoisonError::into_inner) = tree;
        Ok(())
    }
}
