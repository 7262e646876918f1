//! Which attributes are facets: those with at most `FACET_MAX_VALUES` distinct values across the
//! catalog. A facet field's whole dictionary is walked by every search that counts it, so an
//! attribute with a value per product (a measurement, an ingredient list) would cost every
//! search time in proportion to the catalog; it is searchable text and filterable instead.
//!
//! The rule is applied as documents are indexed: an attribute's values go into the facet field
//! until it has more than the limit, after which it is "many" and no more of its values do (so
//! the dictionary holds at most `limit + 1` values of it). Rules only, no I/O.

use std::collections::{BTreeMap, BTreeSet};

/// Attributes with more distinct values than this are searchable text, not facets.
pub const FACET_MAX_VALUES: usize = 50;

#[derive(Clone, Debug, Default)]
pub struct AttrFacets {
    limit: usize,
    /// Values seen of each attribute still within the limit.
    values: BTreeMap<String, BTreeSet<String>>,
    many: BTreeSet<String>,
}

impl AttrFacets {
    pub fn new(limit: usize) -> AttrFacets {
        AttrFacets {
            limit,
            ..AttrFacets::default()
        }
    }

    /// Whether `name = value` goes into the facet field; counts it.
    pub fn admit(&mut self, name: &str, value: &str) -> bool {
        if self.many.contains(name) {
            return false;
        }
        let seen = self.values.entry(name.to_owned()).or_default();
        if seen.contains(value) {
            return true;
        }
        if seen.len() >= self.limit {
            self.values.remove(name);
            self.many.insert(name.to_owned());
            // This value is the one past the limit: indexed, so the dictionary shows the
            // attribute as "many" when it is read back at the next start.
            return true;
        }
        seen.insert(value.to_owned());
        true
    }

    /// The attributes shown as facets.
    pub fn names(&self) -> Vec<String> {
        self.values.keys().cloned().collect()
    }

    #[cfg(test)]
    fn is_many(&self, name: &str) -> bool {
        self.many.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_stops_being_a_facet_past_the_limit_and_its_values_stop_coming_in() {
        let mut f = AttrFacets::new(3);
        for v in ["S", "M", "L", "M"] {
            assert!(f.admit("size", v));
        }
        assert_eq!(f.names(), vec!["size"]);
        let admitted: Vec<bool> = (0..6).map(|i| f.admit("dimensions", &format!("{i} mm"))).collect();
        assert_eq!(
            admitted,
            [true, true, true, true, false, false],
            "one past the limit marks it"
        );
        assert!(f.is_many("dimensions"));
        assert_eq!(f.names(), vec!["size"]);
        // Read back from a dictionary holding limit + 1 values, it is "many" again.
        let mut again = AttrFacets::new(3);
        for i in 0..4 {
            again.admit("dimensions", &format!("{i} mm"));
        }
        assert!(again.is_many("dimensions"));
    }
}
