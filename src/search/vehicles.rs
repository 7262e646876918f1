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

use std::collections::BTreeMap;

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

/// Every fitted vehicle: year → make → model, by normalized key, each with its display
/// spelling, and under each model the `fit` terms naming its trims (submodel and engine).
#[derive(Debug, Default)]
pub struct VehicleTree {
    years: BTreeMap<String, Makes>,
    /// The makes, models and years, for reading vehicle words; made on first use after a change.
    known: std::sync::OnceLock<super::spoken::Known>,
}

type Makes = BTreeMap<String, Named<Models>>;
type Models = BTreeMap<String, Named<Vec<String>>>;

#[derive(Debug, Default)]
struct Named<T> {
    shown: String,
    inner: T,
}

/// The parts of a `fit` term (see `Fields::fit`).
struct FitTerm<'a> {
    year: &'a str,
    make: &'a str,
    model: &'a str,
    sub: &'a str,
    eng: &'a str,
    make_shown: &'a str,
    model_shown: &'a str,
    sub_shown: &'a str,
    eng_shown: &'a str,
}

impl<'a> FitTerm<'a> {
    fn parse(term: &'a str) -> Option<FitTerm<'a>> {
        let parts: Vec<&str> = term.split('|').collect();
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
        ] = <[&str; 9]>::try_from(parts).ok()?;
        Some(FitTerm {
            year,
            make,
            model,
            sub,
            eng,
            make_shown,
            model_shown,
            sub_shown,
            eng_shown,
        })
    }
}

impl VehicleTree {
    /// Adds one `fit` term.
    pub(super) fn add_term(&mut self, term: &str) {
        let Some(fit) = FitTerm::parse(term) else { return };
        if self.known.get().is_some() {
            self.known = std::sync::OnceLock::new();
        }
        // Live updates mostly re-add vehicles already known: look up before allocating keys.
        if !self.years.contains_key(fit.year) {
            self.years.insert(fit.year.to_owned(), Makes::new());
        }
        let Some(makes) = self.years.get_mut(fit.year) else {
            return;
        };
        if !makes.contains_key(fit.make) {
            let named = Named {
                shown: fit.make_shown.to_owned(),
                inner: Models::new(),
            };
            makes.insert(fit.make.to_owned(), named);
        }
        let Some(models) = makes.get_mut(fit.make) else { return };
        if !models.inner.contains_key(fit.model) {
            let named = Named {
                shown: fit.model_shown.to_owned(),
                inner: Vec::new(),
            };
            models.inner.insert(fit.model.to_owned(), named);
        }
        let Some(terms) = models.inner.get_mut(fit.model) else {
            return;
        };
        if !terms.inner.iter().any(|t| t == term) {
            terms.inner.push(term.to_owned());
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
                for (model_key, terms) in models.inner.iter().filter(|(m, _)| chosen(m, &model)) {
                    if level == Level::Model {
                        values.entry(model_key).or_insert(&terms.shown);
                        continue;
                    }
                    for fit in terms.inner.iter().filter_map(|t| FitTerm::parse(t)) {
                        let (key, shown) = match level {
                            Level::Submodel => (fit.sub, fit.sub_shown),
                            _ if covers(&submodel, fit.sub) => (fit.eng, fit.eng_shown),
                            _ => continue,
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

    /// The `fit` terms of fitments that cover `v`: its year, make and model, and its submodel and
    /// engine where given (a fitment's `*` covers any); a part fits when it has one of them.
    pub fn terms_fitting(&self, v: &VehicleFilter) -> Vec<String> {
        let terms = self
            .years
            .get(&v.year.to_string())
            .and_then(|makes| makes.get(&vehicle_key(&v.make)))
            .and_then(|models| models.inner.get(&vehicle_key(&v.model)));
        let Some(terms) = terms else { return Vec::new() };
        let (sub, eng) = (
            v.submodel.as_deref().map(vehicle_key),
            v.engine.as_deref().map(vehicle_key),
        );
        terms
            .inner
            .iter()
            .filter(|term| FitTerm::parse(term).is_some_and(|fit| covers(&sub, fit.sub) && covers(&eng, fit.eng)))
            .cloned()
            .collect()
    }
}

impl VehicleTree {
    /// The makes, models and years fitted, for reading vehicle words in a query.
    pub fn known(&self) -> &super::spoken::Known {
        self.known.get_or_init(|| self.read_known())
    }

    fn read_known(&self) -> super::spoken::Known {
        use super::spoken::squash;
        let mut known = super::spoken::Known::default();
        for (year, makes) in &self.years {
            if let Ok(y) = year.parse() {
                known.years.insert(y);
            }
            for models in makes.values() {
                known
                    .makes
                    .entry(squash(&models.shown))
                    .or_insert_with(|| models.shown.clone());
                for model in models.inner.values() {
                    let entry = known.models.entry(squash(&model.shown)).or_default();
                    let pair = (models.shown.clone(), model.shown.clone());
                    if !entry.contains(&pair) {
                        entry.push(pair);
                    }
                }
            }
        }
        known
    }

    /// The `fit` terms of every fitment of the vehicle as typed (any year, make or model it
    /// leaves out).
    pub fn terms_spoken(&self, v: &super::spoken::SpokenVehicle) -> Vec<String> {
        let year = v.year.map(|y| y.to_string());
        let (make, model) = (v.make.as_deref().map(vehicle_key), v.model.as_deref().map(vehicle_key));
        let chosen = |key: &String, choice: &Option<String>| choice.as_ref().is_none_or(|c| c == key);
        let mut out = Vec::new();
        for (_, makes) in self.years.iter().filter(|(y, _)| chosen(y, &year)) {
            for (_, models) in makes.iter().filter(|(m, _)| chosen(m, &make)) {
                for (_, terms) in models.inner.iter().filter(|(m, _)| chosen(m, &model)) {
                    out.extend(terms.inner.iter().cloned());
                }
            }
        }
        out
    }
}

/// Whether a fitment's submodel or engine key covers the one wanted (none wanted, or `*`).
fn covers(wanted: &Option<String>, key: &str) -> bool {
    wanted.as_ref().is_none_or(|w| key == w || key == ANY)
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
    ) -> Vec<String> {
        let tree = self.vehicles.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        tree.values(level, year, make, model, submodel)
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
