//! The hand-curated demo catalog (`data/demo.jsonl`), compiled into the binary so a new store
//! always has something believable to show.

use super::import::Format;
use super::ops::{self, ImportError, ImportReport};
use crate::store::Store;

pub const DEMO_CATALOG: &str = include_str!("../../data/demo.jsonl");

/// Loads the demo catalog into the store.
pub fn seed(store: &Store) -> Result<ImportReport, ImportError> {
    ops::import(store, DEMO_CATALOG.as_bytes(), Format::JsonLines, "demo", &mut |_| {})
}
