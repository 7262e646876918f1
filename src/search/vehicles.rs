//! The Year → Make → Model → Submodel → Engine cascade: only vehicles at least one product fits,
//! read from the index's `fit_show` terms (sorted, so each step is a prefix range).

use std::collections::BTreeMap;

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
        let mut prefix = String::new();
        for part in [
            year.map(|y| y.to_string()),
            make.map(vehicle_key),
            model.map(vehicle_key),
        ]
        .into_iter()
        .flatten()
        {
            prefix.push_str(&part);
            prefix.push('|');
        }
        let submodel = submodel.map(vehicle_key);
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        self.for_each_fitted(&prefix, |parts| {
            let (key, shown) = match level {
                Level::Year => (parts[0], parts[0]),
                Level::Make => (parts[1], parts[5]),
                Level::Model => (parts[2], parts[6]),
                Level::Submodel => (parts[3], parts[7]),
                Level::Engine => {
                    let sub_ok = submodel.as_deref().is_none_or(|s| parts[3] == s || parts[3] == ANY);
                    (if sub_ok { parts[4] } else { ANY }, parts[8])
                }
            };
            if key != ANY && !key.is_empty() {
                values.entry(key.to_owned()).or_insert_with(|| shown.to_owned());
            }
        })?;
        let mut out: Vec<String> = values.into_values().collect();
        if level == Level::Year {
            out.reverse();
        }
        Ok(out)
    }

    fn for_each_fitted(&self, prefix: &str, mut f: impl FnMut(&[&str; 9])) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let mut end = prefix.as_bytes().to_vec();
        // The smallest key after every key that starts with `prefix`.
        end.push(0xFF);
        for segment in searcher.segment_readers() {
            let index = segment.inverted_index(self.fields.fit_show)?;
            let mut stream = index.terms().range().ge(prefix.as_bytes()).lt(&end).into_stream()?;
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                let parts: Vec<&str> = term.split('|').collect();
                if let Ok(parts) = <[&str; 9]>::try_from(parts) {
                    f(&parts);
                }
            }
        }
        Ok(())
    }
}
